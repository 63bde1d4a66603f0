// The delivery engine against its own rules (docs/design/delivery.md): fenced claims, an order's events in
// sequence at a vendor, nothing accepted lost while D1 fails, exact queue names, and a 5,000-row Yandex flush
// in a handful of D1 statements.
import { beforeEach, describe, expect, it } from 'vitest';
import { enabledVendor } from '../../src/worker/config';
import { handleDeliveries } from '../../src/worker/consumers/deliveries';
import { handleIngest } from '../../src/worker/consumers/ingest';
import { defaultDeps } from '../../src/worker/cron';
import type { Deps } from '../../src/worker/deliveries/deliver';
import { flushVendor } from '../../src/worker/deliveries/flush';
import { VENDOR_CODES } from '../../src/worker/deliveries/state';
import { claimOrders, recordResults, storeEvents } from '../../src/worker/deliveries/store';
import type { DeliveryMessage, Env, IngestMessage } from '../../src/worker/env';
import { type CanonicalEvent, parseEventInput } from '../../src/worker/event';
import { toCanonicalEvent } from '../../src/worker/event-key';
import worker from '../../src/worker/index';
import { deliveries, env, fakes, isFinal, makeEvent, orderId, receivedFor, waitFor } from './helpers';

const MT = VENDOR_CODES.mytracker;

async function canonical(
  input: Record<string, unknown>,
  receivedAt = Math.floor(Date.now() / 1000),
): Promise<CanonicalEvent> {
  const parsed = parseEventInput(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return toCanonicalEvent(parsed.value, { source: 'server', received_at: receivedAt }, 'EUR');
}

function message<T>(body: T): Message<T> & { outcome: string[] } {
  const outcome: string[] = [];
  return {
    id: crypto.randomUUID(),
    timestamp: new Date(),
    body,
    attempts: 1,
    outcome,
    ack: () => outcome.push('ack'),
    retry: () => outcome.push('retry'),
  } as unknown as Message<T> & { outcome: string[] };
}

/** D1 statements issued through this binding (each statement of a batch counts, as D1 counts them). */
function countingDb(db: D1Database): { db: D1Database; count: () => number } {
  let n = 0;
  const wrap = (s: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(s, {
      get(target, prop) {
        if (prop === 'bind') return (...args: unknown[]) => wrap(target.bind(...args));
        if (prop === 'run' || prop === 'all' || prop === 'first' || prop === 'raw')
          return (...args: unknown[]) => {
            n++;
            return (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
          };
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  const counted = new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrap(target.prepare(sql));
      if (prop === 'batch')
        return (list: D1PreparedStatement[]) => {
          n += list.length;
          // The wrapped statements are proxies: hand D1 its own objects.
          return target.batch(list.map((s) => (s as unknown as { [RAW]?: D1PreparedStatement })[RAW] ?? s));
        };
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { db: counted, count: () => n };
}
const RAW = Symbol('raw');

/** An env whose queue sends are captured instead of delivered (so only the test's own calls run). */
function quietEnv(extra: Partial<Env> = {}): Env & { sent: DeliveryMessage[] } {
  const sent: DeliveryMessage[] = [];
  return {
    ...env,
    ...extra,
    sent,
    DELIVERIES: {
      send: async (body: DeliveryMessage) => void sent.push(body),
      sendBatch: async (list: { body: DeliveryMessage }[]) => void sent.push(...list.map((m) => m.body)),
    } as unknown as Queue<DeliveryMessage>,
  } as Env & { sent: DeliveryMessage[] };
}

const at = (t: number): Deps => ({ ...defaultDeps(), now: () => t });

beforeEach(async () => {
  await fakes.reset();
});

// First in the file: no other test's Yandex rows are waiting yet.
describe('set-based SQL', () => {
  it('a 5,000-row Yandex flush claims, uploads once and records in a handful of statements', {
    timeout: 120_000,
  }, async () => {
    const t = Date.now();
    const received = Math.floor(t / 1000);
    const events: CanonicalEvent[] = [];
    for (let i = 0; i < 5000; i++) {
      const id = orderId('Y5K');
      events.push(
        await canonical(
          {
            ...makeEvent({ order_id: id }),
            customer: { id: `c-${id}`, ym_client_id: '1700000000000000001' },
            occurred_at: received - 600,
          },
          received,
        ),
      );
    }
    for (let i = 0; i < events.length; i += 1000)
      await storeEvents(env.DB, events.slice(i, i + 1000), [VENDOR_CODES.yandex], t);
    const counted = countingDb(env.DB);
    // The fake parses 5,000 CSV rows on a shared 2-core machine: more than the tests' 2 s timeout.
    const flushEnv = quietEnv({ DB: counted.db, VENDOR_TIMEOUT_MS: '30000' });
    const results = await flushVendor(flushEnv, enabledVendor(flushEnv, 'yandex')!, at(t + 1000));
    const states = await env.DB.prepare(
      `SELECT state, count(*) AS n, max(claim_until) AS until FROM order_deliveries WHERE vendor = 5 GROUP BY state`,
    ).all();
    expect(
      results.filter((r) => r.state === 'delivered'),
      JSON.stringify([states.results, results[0]]),
    ).toHaveLength(5000);
    const statements = counted.count();
    console.log(`[engine] 5,000-row Yandex flush: ${statements} D1 statements, 1 upload`);
    expect(statements).toBeLessThanOrEqual(12);
    expect((await fakes.received('yandex')).map((r) => r.status)).toEqual([200]);
    const open = await env.DB.prepare(
      `SELECT count(*) AS n FROM order_deliveries WHERE vendor = ?1 AND state IN ('pending', 'claimed', 'retry')`,
    )
      .bind(VENDOR_CODES.yandex)
      .first<{ n: number }>();
    expect(open?.n).toBe(0);
  });
});

describe('fenced claims', () => {
  it('a worker whose claim ran out and was taken over cannot overwrite the new claimant', async () => {
    const order = orderId('FENCE');
    const now = Date.now();
    await storeEvents(env.DB, [await canonical(makeEvent({ order_id: order }))], [MT], now);
    const stale = await claimOrders(env.DB, MT, [order], now, 1000);
    expect(stale.rows).toHaveLength(1);
    // While the stale claim runs, nobody else can claim the row.
    expect((await claimOrders(env.DB, MT, [order], now + 500, 60_000)).rows).toEqual([]);
    // Its claim runs out mid-call; a second worker claims the row.
    const fresh = await claimOrders(env.DB, MT, [order], now + 2000, 60_000);
    expect(fresh.rows).toHaveLength(1);
    expect(fresh.id).not.toBe(stale.id);
    const result = (state: 'retry' | 'delivered', detail: string) => [
      {
        ...stale.rows[0]!,
        key: `${order}:paid`,
        order_id: order,
        state,
        detail,
        httpStatus: 500,
        nextAttemptAt: now + 9e6,
      },
    ];
    // The stale worker's late answer is refused by the fence…
    expect(await recordResults(env.DB, MT, stale.id, result('retry', 'stale 500'), now + 3000)).toBe(0);
    expect((await deliveries(order, 'mytracker'))[0]).toMatchObject({ state: 'claimed', attempts: 2 });
    // …and the claimant's result is recorded.
    expect(await recordResults(env.DB, MT, fresh.id, result('delivered', 'ok'), now + 3500)).toBe(1);
    expect((await deliveries(order, 'mytracker'))[0]).toMatchObject({ state: 'delivered', last_detail: null });
    // A result for a row no longer claimed at all changes nothing either.
    expect(await recordResults(env.DB, MT, fresh.id, result('retry', 'late'), now + 4000)).toBe(0);
  });
});

describe('an order in sequence at a vendor', () => {
  it('PAY waits behind a failing ADD and goes after it', async () => {
    const order = orderId('SEQ');
    const t = Date.now();
    // A 30 s backoff (the default), so ADD is still waiting when PAY comes.
    const quiet = quietEnv({ RETRY_BASE_SECONDS: '30', RETRY_CAP_SECONDS: '3600' });
    const created = await canonical({
      ...makeEvent({ order_id: order }),
      status: 'created',
      occurred_at: Math.floor(t / 1000) - 60,
    });
    const paid = await canonical({
      ...makeEvent({ order_id: order }),
      status: 'paid',
      occurred_at: Math.floor(t / 1000) - 30,
    });
    await storeEvents(env.DB, [created], [MT], t);
    await fakes.failNext('mytracker', 1, { status: 500 });
    const add = message<DeliveryMessage>({ key: created.key, vendor: 'mytracker', order_id: order });
    await handleDeliveries([add], quiet, at(t));
    const [addRow] = await deliveries(order, 'mytracker');
    expect(addRow).toMatchObject({ state: 'retry', attempts: 1 });
    expect(quiet.sent).toEqual([{ key: created.key, vendor: 'mytracker', order_id: order }]);

    // PAY arrives while ADD waits out its backoff: it is not sent, its row waits for ADD's next try.
    await storeEvents(env.DB, [paid], [MT], t + 100);
    const pay = message<DeliveryMessage>({ key: paid.key, vendor: 'mytracker', order_id: order });
    await handleDeliveries([pay], quiet, at(t + 200));
    expect(pay.outcome).toEqual(['ack']);
    const waiting = await deliveries(order, 'mytracker');
    expect(waiting.map((r) => [r.state, r.attempts])).toEqual([
      ['retry', 1],
      ['pending', 0],
    ]);
    expect(waiting[1]!.next_attempt_at).toBe(addRow!.next_attempt_at);
    expect((await receivedFor('mytracker', order)).map((r) => r.status)).toEqual([500]);

    // ADD's retry message claims the whole order: ADD, then PAY, in one lane.
    await handleDeliveries([message<DeliveryMessage>({ ...add.body })], quiet, at(addRow!.next_attempt_at));
    const calls = await receivedFor('mytracker', order);
    expect(calls[0]?.status).toBe(500);
    const accepted = calls
      .slice(1)
      .map((r) => `${r.status} ${r.body}`)
      .join('\n');
    expect(accepted.indexOf('"ADD"')).toBeGreaterThan(-1);
    expect(accepted.indexOf('"PAY"')).toBeGreaterThan(accepted.indexOf('"ADD"'));
    expect((await deliveries(order, 'mytracker')).map((r) => `${r.state}:${r.attempts}`)).toEqual([
      'delivered:2',
      'delivered:1',
    ]);
  });
});

describe('nothing accepted is lost', () => {
  it('D1 failing for the ingest consumer: the batch throws unacknowledged; the dead-letter consumer stores it once D1 is back, and it is delivered once', async () => {
    const events = await Promise.all(
      [0, 1, 2].map((i) => canonical({ ...makeEvent({ order_id: orderId(`DLQ${i}`) }), status: 'paid' })),
    );
    const down = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === 'prepare' || prop === 'batch' || prop === 'exec')
          return () => {
            throw new Error('D1_ERROR: Network connection lost.');
          };
        return Reflect.get(target, prop);
      },
    });
    const batch = events.map((event) => message<IngestMessage>({ event }));
    await expect(handleIngest(batch, { ...env, DB: down } as Env, defaultDeps())).rejects.toThrow(/D1_ERROR/);
    expect(batch.flatMap((m) => m.outcome)).toEqual([]);
    for (const e of events) expect(await deliveries(e.order_id)).toEqual([]);

    // Queues retry the batch, then move it to order-relay-ingest-dead-letter: its consumer is the same job.
    const again = events.map((event) => message<IngestMessage>({ event }));
    await worker.queue(
      { queue: 'order-relay-ingest-dead-letter', messages: again } as unknown as MessageBatch<IngestMessage>,
      env,
    );
    expect(again.flatMap((m) => m.outcome)).toEqual(['ack', 'ack', 'ack']);
    for (const e of events) {
      const rows = await waitFor(async () => {
        const r = await deliveries(e.order_id, 'mytracker');
        return r.length === 1 && isFinal(r[0]!.state) ? r : null;
      });
      expect(rows?.[0]?.state).toBe('delivered');
    }
    await new Promise((r) => setTimeout(r, 1500));
    for (const e of events) expect(await receivedFor('mytracker', e.order_id)).toHaveLength(1);
  });

  it('a batch from a queue the Worker does not know throws instead of being acknowledged', async () => {
    const m = message<DeliveryMessage>({ key: 'X:paid', vendor: 'mytracker' });
    await expect(
      worker.queue(
        { queue: 'order-relay-deliveries-renamed', messages: [m] } as unknown as MessageBatch<DeliveryMessage>,
        env,
      ),
    ).rejects.toThrow(/unknown queue/);
    expect(m.outcome).toEqual([]);
  });
});
