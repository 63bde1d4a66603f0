// The backbone end to end: ingest queue → D1 → deliveries queue → fake MyTracker, with retries, rejections,
// dead rows, dead letters and the cron's re-enqueue of lost work.
import { beforeEach, describe, expect, it } from 'vitest';
import { handleDeadLetters } from '../../src/worker/consumers/dead-letter';
import { defaultDeps, runScheduled } from '../../src/worker/cron';
import type { DeliveryMessage } from '../../src/worker/env';
import {
  callsOf,
  deliveries,
  fakes,
  invocation,
  isFinal,
  makeEvent,
  postEvents,
  receivedFor,
  seedEvent,
  storedEvents,
  waitFor,
} from './helpers';

const final = (state?: string) => state !== undefined && isFinal(state);
async function settled(order: string, vendor = 'mytracker', timeout = 30_000) {
  return waitFor(
    async () => {
      const rows = await deliveries(order, vendor);
      return rows.length > 0 && rows.every((r) => final(r.state)) ? rows : null;
    },
    { timeout },
  );
}
const attemptsOf = (key: string) => callsOf(key, 'mytracker');

beforeEach(async () => {
  await fakes.reset();
});

describe('delivery pipeline', () => {
  it('carries an event through both queues to MyTracker with the documented request', async () => {
    const event = makeEvent();
    expect((await postEvents(event)).status).toBe(202);
    const rows = await settled(String(event.order_id));
    expect(rows?.map((r) => r.state)).toEqual(['delivered']);
    const [req, ...more] = await receivedFor('mytracker', String(event.order_id));
    expect(more).toEqual([]);
    expect(req).toMatchObject({
      method: 'POST',
      path: '/v1/order/',
      query: { idApp: '12345' },
      status: 200,
      accepted: true,
    });
    expect(req!.headers.authorization).toBe('test-mytracker-token');
    const body = JSON.parse(req!.body);
    expect(body.lvid).toBe('a'.repeat(32));
    expect(body.customUserId).toBe('cust-1');
    expect(body.order).toMatchObject({ order_id: event.order_id, status: 'PAY', currency_code: 'EUR' });
    expect(body.order.items).toHaveLength(2);
  });

  it('stores an event posted twice once and sends it once', async () => {
    const event = makeEvent();
    expect((await postEvents(event)).status).toBe(202);
    expect((await postEvents(event)).status).toBe(202);
    await settled(String(event.order_id));
    await new Promise((r) => setTimeout(r, 2500)); // room for a second (wrong) delivery to show up
    expect(await storedEvents(String(event.order_id))).toHaveLength(1);
    expect(await receivedFor('mytracker', String(event.order_id))).toHaveLength(1);
    expect(await deliveries(String(event.order_id), 'mytracker')).toHaveLength(1);
  });

  it('retries a 500 and delivers once', async () => {
    await fakes.failNext('mytracker', 1, { status: 500 });
    const event = makeEvent();
    await postEvents(event);
    const rows = await settled(String(event.order_id));
    expect(rows?.[0]).toMatchObject({ state: 'delivered', attempts: 2, last_status: 200 });
    const received = await fakes.received('mytracker');
    expect(received.filter((r) => r.accepted && r.body.includes(String(event.order_id)))).toHaveLength(1);
    expect((await attemptsOf(rows![0]!.event_key)).map((a) => [a.http_status, a.outcome])).toEqual([
      [500, 'retry'],
      [200, 'delivered'],
    ]);
  });

  it('retries a refused connection and a timeout as network failures', async () => {
    await fakes.failNext('mytracker', 1, { refuse: true });
    await fakes.failNext('mytracker', 1, { delayMs: 3000 }); // VENDOR_TIMEOUT_MS is 2000 in tests
    const event = makeEvent();
    await postEvents(event);
    const rows = await settled(String(event.order_id));
    expect(rows?.[0]).toMatchObject({ state: 'delivered', attempts: 3 });
    const log = await attemptsOf(rows![0]!.event_key);
    expect(log.map((a) => a.outcome)).toEqual(['retry', 'retry', 'delivered']);
    expect(log[0]?.detail).toMatch(/network error/);
    expect(log[1]?.detail).toMatch(/timeout after 2000 ms/);
  });

  it('honours Retry-After on a 429', async () => {
    await fakes.failNext('mytracker', 1, { status: 429, retryAfter: 2 });
    const event = makeEvent();
    const started = Date.now();
    await postEvents(event);
    const rows = await settled(String(event.order_id));
    expect(rows?.[0]?.state).toBe('delivered');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });

  it('marks a 400 rejected with the vendor text and never retries it', async () => {
    await fakes.failNext('mytracker', 1, { status: 400, body: '{"error":"Bad Request"}' });
    const event = makeEvent();
    await postEvents(event);
    const rows = await settled(String(event.order_id));
    expect(rows?.[0]).toMatchObject({ state: 'rejected', attempts: 1, last_status: 400 });
    expect(rows?.[0]?.last_detail).toContain('Bad Request');
    await new Promise((r) => setTimeout(r, 3000));
    expect(await attemptsOf(rows![0]!.event_key)).toHaveLength(1);
  });

  it('gives up after MAX_ATTEMPTS and marks the row dead', { timeout: 120_000 }, async () => {
    await fakes.down('mytracker', true);
    try {
      const event = makeEvent();
      await postEvents(event);
      const rows = await settled(String(event.order_id), 'mytracker', 100_000);
      expect(rows?.[0]).toMatchObject({ state: 'dead', attempts: 10 });
      expect(rows?.[0]?.last_detail).toMatch(/gave up after 10 attempts/);
    } finally {
      await fakes.down('mytracker', false);
    }
  });

  it('skips an event without any MyTracker identifier, recording why', async () => {
    const event = makeEvent({ customer: { email: 'no-ids@example.com' } });
    await postEvents(event);
    const rows = await settled(String(event.order_id));
    expect(rows?.[0]).toMatchObject({ state: 'skipped', reason: 'no_identifier' });
    expect(await receivedFor('mytracker', String(event.order_id))).toEqual([]);
  });
});

describe('cron and dead letters', () => {
  it('re-enqueues an expired claim and leaves a row waiting out its backoff alone', async () => {
    const now = Date.now();
    const lost = `CRON-LOST-${now}`;
    const waiting = `CRON-WAIT-${now}`;
    await seedEvent(lost, [
      { vendor: 'mytracker', state: 'claimed', due: now - 120_000, claimUntil: now - 1000, attempts: 1 },
    ]);
    await seedEvent(waiting, [{ vendor: 'mytracker', state: 'retry', due: now + 3_600_000, attempts: 2 }]);
    const result = await invocation('scheduled', (e) => runScheduled(e, defaultDeps()));
    expect(result.requeued).toBeGreaterThanOrEqual(1);
    const rows = await settled(lost);
    expect(rows?.[0]).toMatchObject({ state: 'delivered', attempts: 2 });
    const still = await deliveries(waiting, 'mytracker');
    expect(still[0]).toMatchObject({ state: 'retry', attempts: 2, claimed_until: null });
    expect(await receivedFor('mytracker', waiting)).toEqual([]);
  });

  it('marks dead-lettered rows dead only when their budget is spent, never a delivered one', async () => {
    const now = Date.now();
    const a = await seedEvent(`DLQ-A-${now}`, [{ vendor: 'mytracker', state: 'retry', due: now, attempts: 10 }]);
    const b = await seedEvent(`DLQ-B-${now}`, [{ vendor: 'mytracker', state: 'delivered', due: null, attempts: 1 }]);
    // Never sent (or budget left): stays open for the cron's re-enqueue.
    const c = await seedEvent(`DLQ-C-${now}`, [
      { vendor: 'mytracker', state: 'pending', due: now + 600_000, attempts: 0 },
    ]);
    const acked: string[] = [];
    const message = (key: string) =>
      ({
        body: { key, vendor: 'mytracker' },
        ack: () => acked.push(key),
        retry: () => {},
      }) as unknown as Message<DeliveryMessage>;
    await invocation('queue dead letters', (e) =>
      handleDeadLetters([message(a), message(b), message(c)], e, defaultDeps()),
    );
    expect(acked).toEqual([a, b, c]);
    expect((await deliveries(`DLQ-A-${now}`))[0]?.state).toBe('dead');
    expect((await deliveries(`DLQ-B-${now}`))[0]?.state).toBe('delivered');
    expect((await deliveries(`DLQ-C-${now}`))[0]).toMatchObject({ state: 'pending', attempts: 0 });
  });

  it('purges events past the retention whose deliveries are final, keeping open ones', async () => {
    const now = Date.now();
    const old = now - 40 * 86_400_000;
    await seedEvent(`PURGE-DONE-${now}`, [{ vendor: 'mytracker', state: 'delivered', due: null, attempts: 1 }], {
      receivedAt: old,
    });
    await seedEvent(`PURGE-OPEN-${now}`, [{ vendor: 'mytracker', state: 'retry', due: now + 3_600_000, attempts: 1 }], {
      receivedAt: old,
    });
    const result = await invocation('scheduled', (e) => runScheduled(e, defaultDeps()));
    expect(result.purged).toBeGreaterThanOrEqual(1);
    expect(await storedEvents(`PURGE-DONE-${now}`)).toEqual([]);
    expect(await deliveries(`PURGE-DONE-${now}`)).toEqual([]);
    expect(await storedEvents(`PURGE-OPEN-${now}`)).toHaveLength(1);
  });
});
