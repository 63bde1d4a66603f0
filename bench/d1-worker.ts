// A Worker for `npm run bench` (bench/d1.mjs runs it in Miniflare against a persisted local D1 and the fake
// vendors): the benchmark order's lifecycle through the real consumers, and what it cost D1 — statements issued
// and D1's own meta.rows_written (table rows, index entries and deletes), summed over every result.
import { enabledVendor } from '../src/worker/config';
import { handleDeliveries } from '../src/worker/consumers/deliveries';
import { handleIngest } from '../src/worker/consumers/ingest';
import type { Deps } from '../src/worker/deliveries/deliver';
import { flushVendor } from '../src/worker/deliveries/flush';
import { fetchSend } from '../src/worker/deliveries/send';
import type { DeliveryMessage, Env, IngestMessage } from '../src/worker/env';
import type { CanonicalEvent } from '../src/worker/event';
import { browserBody, ingest } from './hot';

type Meter = { statements: number; rowsWritten: number; perInvocation: number[] };

/** A D1 binding that counts statements and sums meta.rows_written (forwarding everything to the real one). */
function metered(db: D1Database, m: Meter): D1Database {
  const add = (r: unknown) => {
    const meta = (r as { meta?: { rows_written?: number } } | null)?.meta;
    m.rowsWritten += meta?.rows_written ?? 0;
    return r;
  };
  const raw = new WeakMap<object, D1PreparedStatement>();
  const wrap = (s: D1PreparedStatement): D1PreparedStatement => {
    const w = {
      bind: (...args: unknown[]) => wrap(s.bind(...args)),
      run: async () => {
        m.statements++;
        return add(await s.run());
      },
      all: async () => {
        m.statements++;
        return add(await s.all());
      },
      first: async (col?: string) => {
        m.statements++;
        // first() carries no meta: count its rows written through all().
        const r = (await s.all()) as D1Result<Record<string, unknown>>;
        add(r);
        const row = r.results[0] ?? null;
        return col === undefined ? row : (row?.[col] ?? null);
      },
      raw: (...args: unknown[]) => {
        m.statements++;
        return (s.raw as (...a: unknown[]) => unknown)(...args);
      },
    } as unknown as D1PreparedStatement;
    raw.set(w, s);
    return w;
  };
  return {
    prepare: (sql: string) => wrap(db.prepare(sql)),
    batch: async (list: D1PreparedStatement[]) => {
      m.statements += list.length;
      const out = await db.batch(list.map((s) => raw.get(s) ?? s));
      for (const r of out) add(r);
      return out;
    },
    exec: (sql: string) => db.exec(sql),
    dump: () => db.dump(),
    withSession: () => db.withSession(),
  } as unknown as D1Database;
}

function message<T>(body: T): Message<T> {
  return {
    id: crypto.randomUUID(),
    timestamp: new Date(),
    body,
    attempts: 1,
    ack() {},
    retry() {},
  } as unknown as Message<T>;
}

export default {
  async fetch(request: Request, rawEnv: Env): Promise<Response> {
    const url = new URL(request.url);
    const orders = Number(url.searchParams.get('orders') ?? 100);
    const m: Meter = { statements: 0, rowsWritten: 0, perInvocation: [] };
    const queued: DeliveryMessage[] = [];
    const env = {
      ...rawEnv,
      DB: metered(rawEnv.DB, m),
      DELIVERIES: {
        send: async (body: DeliveryMessage) => void queued.push(body),
        sendBatch: async (list: { body: DeliveryMessage }[]) => void queued.push(...list.map((x) => x.body)),
      },
    } as unknown as Env;
    const deps: Deps = { now: Date.now, send: fetchSend() };
    const invocation = async (fn: () => Promise<unknown>) => {
      const before = m.statements;
      await fn();
      m.perInvocation.push(m.statements - before);
    };
    const created: CanonicalEvent[] = [];
    const paid: CanonicalEvent[] = [];
    const tag = url.searchParams.get('tag') ?? 'B';
    for (let i = 0; i < orders; i++) {
      const e = await ingest(browserBody(`${tag}-${100000 + i}`, 3));
      created.push({
        ...e,
        status: 'created',
        key: e.key.replace(/:paid$/, ':created'),
        occurred_at: e.occurred_at - 60,
      });
      paid.push({ ...e, context: { ...e.context, source: 'server' } });
    }
    for (const events of [created, paid]) {
      // The ingest consumer's batches of 100, then the deliveries consumer's batches of 100, then the flush.
      for (let i = 0; i < events.length; i += 100) {
        const batch = events.slice(i, i + 100).map((event) => message<IngestMessage>({ event }));
        await invocation(() => handleIngest(batch, env, deps));
      }
      const messages = queued.splice(0);
      for (let i = 0; i < messages.length; i += 100) {
        const batch = messages.slice(i, i + 100).map((b) => message(b));
        await invocation(() => handleDeliveries(batch, env, deps));
      }
      const y = enabledVendor(env, 'yandex');
      if (y) await invocation(() => flushVendor(env, y, deps));
    }
    const states = await rawEnv.DB.prepare(
      `SELECT v.name AS vendor, d.state, count(*) AS n FROM order_deliveries d JOIN vendor_codes v ON v.code = d.vendor GROUP BY 1, 2`,
    ).all();
    return Response.json({
      orders,
      events: orders * 2,
      statements: m.statements,
      rowsWritten: m.rowsWritten,
      maxStatementsPerInvocation: Math.max(...m.perInvocation),
      invocations: m.perInvocation.length,
      states: states.results,
    });
  },
};
