// Duplicates and races: the same event posted 50 times at once through each door, the same queue message
// handled twice at once (both consumers), two flushes at once → one stored event, one call per vendor.
import { beforeAll, describe, expect, it } from 'vitest';
import { handleDeliveries } from '../../src/worker/consumers/deliveries';
import { handleIngest } from '../../src/worker/consumers/ingest';
import { defaultDeps, runScheduled } from '../../src/worker/cron';
import type { DeliveryMessage, IngestMessage } from '../../src/worker/env';
import type { CanonicalEvent } from '../../src/worker/event';
import {
  env,
  fakes,
  invocation,
  isFinal,
  makeEvent,
  orderId,
  postBrowser,
  postEvents,
  receivedFor,
  seedEvent,
  storedEvents,
  waitFor,
} from './helpers';

const QUEUE_VENDORS = ['mytracker', 'esputnik', 'ecomail', 'vtmarketing'] as const;
const VENDORS = [...QUEUE_VENDORS, 'yandex'] as const;

type Row = { event_key: string; vendor: string; state: string; attempts: number };
const rowsOf = async (order: string) =>
  (
    await env.DB.prepare(
      `SELECT event_key, vendor, state, attempts FROM deliveries WHERE order_id = ?1 ORDER BY vendor`,
    )
      .bind(order)
      .all<Row>()
  ).results;

/** Waits until every row of the order is final, running the cron (the Yandex flush) as it goes. */
async function settle(order: string, expected: number): Promise<Row[]> {
  return (
    (await waitFor(
      async () => {
        await invocation('scheduled', (e) => runScheduled(e, defaultDeps()));
        const rows = await rowsOf(order);
        return rows.length === expected && rows.every((r) => isFinal(r.state)) ? rows : null;
      },
      { timeout: 30_000, every: 500 },
    )) ?? rowsOf(order)
  );
}

/** An event whose buyer is unique to it, so each fake's requests for it can be told apart. */
function uniqueEvent(order = orderId('RACE')): Record<string, unknown> & { order_id: string } {
  const base = makeEvent({ order_id: order });
  return {
    ...base,
    order_id: order,
    customer: { ...(base.customer as object), id: `cust-${order}`, email: `${order.toLowerCase()}@example.com` },
  };
}

/** Requests each fake received for the order (eSputnik's contact upsert, which names the buyer, counted apart). */
async function callsPerVendor(order: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of VENDORS) {
    if (v === 'esputnik') {
      const received = await fakes.received(v);
      out['esputnik contact'] = received.filter(
        (r) => r.path.endsWith('/contact') && r.body.includes(`cust-${order}`),
      ).length;
      out.esputnik = received.filter((r) => r.path.endsWith('/event') && r.body.includes(order)).length;
    } else out[v] = (await receivedFor(v, order)).length;
  }
  return out;
}
const ONE_EACH = { mytracker: 1, 'esputnik contact': 1, esputnik: 1, ecomail: 1, vtmarketing: 1, yandex: 1 };

/** A queue message as the runtime hands it over, recording what the consumer did with it. */
function message<T>(body: T, id: string): Message<T> & { outcome: string[] } {
  const outcome: string[] = [];
  return {
    id,
    timestamp: new Date(),
    body,
    attempts: 1,
    outcome,
    ack() {
      outcome.push('ack');
    },
    retry() {
      outcome.push('retry');
    },
  } as Message<T> & { outcome: string[] };
}

beforeAll(async () => {
  await fakes.reset();
});

describe('duplicates', () => {
  it('stores an event posted 50 times at once through /o and 50 through /v1/events once, and sends it once per vendor', async () => {
    const event = uniqueEvent();
    const order = event.order_id;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_x, i) => (i % 2 ? postEvents(event) : postBrowser(event))),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(100).fill(202));
    const keys = new Set(await Promise.all(answers.map(async (r) => (await r.json<{ keys: string[] }>()).keys.join())));
    expect([...keys]).toEqual([`${order}:paid`]);

    const rows = await settle(order, VENDORS.length);
    await new Promise((r) => setTimeout(r, 3000)); // room for a wrong second call to show up
    await invocation('scheduled', (e) => runScheduled(e, defaultDeps()));
    expect(await storedEvents(order)).toHaveLength(1);
    expect(rows.map((r) => `${r.vendor}:${r.state}`)).toEqual(VENDORS.map((v) => `${v}:delivered`).sort());
    const calls = await callsPerVendor(order);
    console.log('[races] 100 concurrent posts of one event → stored events 1, calls per vendor:', calls);
    expect(calls).toEqual(ONE_EACH);
  });
});

describe('the same queue message twice at once', () => {
  it('ingest: two consumers storing one batch create one event, one set of rows, one call per vendor', async () => {
    const order = orderId('RACE-IN');
    const now = Math.floor(Date.now() / 1000);
    const event = {
      ...uniqueEvent(order),
      key: `${order}:paid`,
      occurred_at: now,
      context: { source: 'server', received_at: now },
    } as unknown as CanonicalEvent;
    const a = [message<IngestMessage>({ event }, 'a')];
    const b = [message<IngestMessage>({ event }, 'b')];
    await Promise.all([
      invocation('queue ingest', (e) => handleIngest(a, e, defaultDeps())),
      invocation('queue ingest', (e) => handleIngest(b, e, defaultDeps())),
    ]);
    expect([...a, ...b].map((m) => m.outcome.join())).toEqual(['ack', 'ack']);

    const rows = await settle(order, VENDORS.length);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await storedEvents(order)).toHaveLength(1);
    expect(rows.map((r) => `${r.vendor}:${r.state}:${r.attempts}`)).toEqual(
      VENDORS.map((v) => `${v}:delivered:1`).sort(),
    );
    expect(await callsPerVendor(order)).toEqual(ONE_EACH);
  });

  it('deliveries: two consumers handling the same messages claim each row once and call each vendor once', async () => {
    // Rows with no message of their own, so only the two hand-made batches below can deliver them.
    const order = orderId('RACE-DL');
    const now = Date.now();
    const event = {
      ...uniqueEvent(order),
      key: `${order}:paid`,
      occurred_at: Math.floor(now / 1000),
      context: { source: 'server', received_at: Math.floor(now / 1000) },
    };
    await seedEvent(
      order,
      QUEUE_VENDORS.map((vendor) => ({ vendor, state: 'pending', due: now, attempts: 0 })),
      { receivedAt: now, body: event },
    );
    const batch = (tag: string) =>
      QUEUE_VENDORS.flatMap((vendor) => [
        message<DeliveryMessage>({ key: event.key, vendor }, `${tag}-${vendor}`),
        message<DeliveryMessage>({ key: event.key, vendor }, `${tag}-${vendor}-again`), // and twice within one batch
      ]);
    const [a, b] = [batch('a'), batch('b')];
    await Promise.all([
      invocation('queue deliveries', (e) => handleDeliveries(a, e, defaultDeps())),
      invocation('queue deliveries', (e) => handleDeliveries(b, e, defaultDeps())),
    ]);

    const rows = await rowsOf(order);
    expect(rows.map((r) => `${r.vendor}:${r.state}:${r.attempts}`)).toEqual(
      QUEUE_VENDORS.map((v) => `${v}:delivered:1`).sort(),
    );
    // Every message is settled: acked (the loser sees the row claimed or final), never left to be redelivered.
    expect([...a, ...b].map((m) => m.outcome.join())).toEqual(Array(a.length + b.length).fill('ack'));
    await new Promise((r) => setTimeout(r, 2000));
    const { yandex: _none, ...calls } = await callsPerVendor(order);
    const { yandex: _one, ...want } = ONE_EACH;
    expect(calls).toEqual(want);
  });

  it('yandex: two flushes at once upload an order once (the lease)', async () => {
    const event = uniqueEvent();
    const order = event.order_id;
    expect((await postEvents(event)).status).toBe(202);
    await waitFor(async () => (await rowsOf(order)).length === VENDORS.length);
    await Promise.all([
      invocation('scheduled', (e) => runScheduled(e, defaultDeps())),
      invocation('scheduled', (e) => runScheduled(e, defaultDeps())),
      invocation('scheduled', (e) => runScheduled(e, defaultDeps())),
    ]);
    const rows = await settle(order, VENDORS.length);
    expect(rows.find((r) => r.vendor === 'yandex')).toMatchObject({ state: 'delivered', attempts: 1 });
    expect(await receivedFor('yandex', order)).toHaveLength(1);
  });
});
