// Upgrading a deployed relay (`wrangler d1 migrations apply`): a database holding rows written by the first
// schema (migrations/0001_init.sql) moves to the delivery engine's tables with nothing lost, and the engine
// reads and claims the moved rows.
import { applyD1Migrations } from 'cloudflare:test';
import { env as rawEnv } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { orderLedger } from '../../src/worker/admin/queries';
import { VENDOR_CODES } from '../../src/worker/deliveries/state';
import { claimOrders, orderEvents } from '../../src/worker/deliveries/store';
import { makeEvent } from './helpers';

type Migrations = Parameters<typeof applyD1Migrations>[1];
const bindings = rawEnv as unknown as { UPGRADE_DB: D1Database; TEST_MIGRATIONS: Migrations };

describe('migration 0002 on a database of the first schema', () => {
  it('moves events, deliveries, attempts and flush times; the engine then claims the open rows', async () => {
    const db = bindings.UPGRADE_DB;
    const all = bindings.TEST_MIGRATIONS;
    await applyD1Migrations(
      db,
      all.filter((m) => m.name.startsWith('0001')),
    );
    const now = Date.now();
    const orders = ['OLD-1', 'OLD/2 ü'];
    const key = (o: string, status: string) => `${encodeURIComponent(o)}:${status}`;
    const body = (o: string, status: string) =>
      JSON.stringify({
        ...makeEvent({ order_id: o, status }),
        key: key(o, status),
        occurred_at: 1_700_000_000,
        context: { source: 'server', received_at: 1_700_000_000 },
      });
    const old = [
      ...orders.flatMap((o) => [
        db
          .prepare(
            `INSERT INTO events (key, order_id, status, occurred_at, received_at, source, body) VALUES (?1, ?2, 'paid', 1700000000, ?3, 'server', ?4)`,
          )
          .bind(key(o, 'paid'), o, now - 60_000, body(o, 'paid')),
        db
          .prepare(
            `INSERT INTO deliveries (event_key, vendor, order_id, state, attempts, next_attempt_at, last_status, last_detail, created_at, updated_at, delivered_at)
             VALUES (?1, 'mytracker', ?2, 'delivered', 1, ?3, 200, '200 {"ok":true}', ?3, ?3, ?3)`,
          )
          .bind(key(o, 'paid'), o, now - 50_000),
        db
          .prepare(
            `INSERT INTO deliveries (event_key, vendor, order_id, state, attempts, next_attempt_at, claimed_until, last_status, last_detail, created_at, updated_at)
             VALUES (?1, 'esputnik', ?2, 'retry', 2, ?3, ?3, 503, '503 busy', ?3, ?3)`,
          )
          .bind(key(o, 'paid'), o, now - 40_000),
        db
          .prepare(
            `INSERT INTO attempts (event_key, vendor, at, http_status, outcome, detail) VALUES (?1, 'esputnik', ?2, 503, 'retry', '503 busy'), (?1, 'mytracker', ?2, 200, 'delivered', '200')`,
          )
          .bind(key(o, 'paid'), now - 45_000),
      ]),
      db
        .prepare(
          `INSERT INTO leases (name, holder, until) VALUES ('last-flush:yandex', 'x', ?1), ('flush:yandex', 'x', 0)`,
        )
        .bind(now - 5000),
    ];
    await db.batch(old);

    await applyD1Migrations(db, all);

    for (const o of orders) {
      const rows = await db
        .prepare(
          `SELECT event_key, vendor, state, attempts, last_status, last_detail, next_attempt_at FROM deliveries WHERE order_id = ?1 ORDER BY vendor`,
        )
        .bind(o)
        .all();
      expect(rows.results).toEqual([
        {
          event_key: key(o, 'paid'),
          vendor: 'esputnik',
          state: 'retry',
          attempts: 2,
          last_status: 503,
          last_detail: '503 busy',
          next_attempt_at: now - 40_000,
        },
        // A success's answer is not kept: the row's time and status are its record.
        {
          event_key: key(o, 'paid'),
          vendor: 'mytracker',
          state: 'delivered',
          attempts: 1,
          last_status: 200,
          last_detail: null,
          next_attempt_at: now - 50_000,
        },
      ]);
      const [event] = await orderEvents(db, [o]);
      expect(event).toMatchObject({ order_id: o, key: key(o, 'paid'), status: 'paid' });
      const ledger = await orderLedger(db, o);
      expect(ledger.attempts.map((a) => [a.vendor, a.outcome, a.http_status]).sort()).toEqual([
        ['esputnik', 'retry', 503],
        ['mytracker', 'delivered', 200],
      ]);
    }
    expect(await db.prepare(`SELECT name, at FROM marks`).all()).toMatchObject({
      results: [{ name: 'last-flush:yandex', at: now - 5000 }],
    });
    const tables = await db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('leases', 'attempts')`)
      .all();
    expect(tables.results).toEqual([]);

    // The engine works on the moved rows: the due retry rows are claimed, the delivered ones are not.
    const claim = await claimOrders(db, VENDOR_CODES.esputnik, orders, now, 60_000);
    expect(claim.rows.map((r) => [r.kind, r.attempts])).toEqual([
      ['paid', 3],
      ['paid', 3],
    ]);
    expect((await claimOrders(db, VENDOR_CODES.mytracker, orders, now, 60_000)).rows).toEqual([]);
  });
});
