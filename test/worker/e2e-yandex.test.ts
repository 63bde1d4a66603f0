// Yandex Metrica end to end: /v1/events → ingest queue → D1, where the rows wait → a flush (the cron's
// runScheduled, or the ingest consumer once YANDEX_BATCH rows wait and a minute has passed) → one CSV upload to the
// strict fake CDP, one row per order in its latest state.
import { beforeEach, describe, expect, it } from 'vitest';
import { handleIngest } from '../../src/worker/consumers/ingest';
import { defaultDeps, runScheduled } from '../../src/worker/cron';
import type { Env, IngestMessage } from '../../src/worker/env';
import { type CanonicalEvent, parseEventInput } from '../../src/worker/event';
import { toCanonicalEvent } from '../../src/worker/event-key';
import type { YandexAccepted, YandexRow } from '../fakes/yandex.d.mts';
import { deliveries, env, fakes, invocation, orderId, postEvents, type Row, receivedFor, waitFor } from './helpers';

const VENDOR = 'yandex';
const final = (state: string) => !['pending', 'retry'].includes(state);

/** Waits until the ingest consumer has stored `count` Yandex rows of the order (they wait for a flush). */
async function stored(order: string, count: number): Promise<Row[]> {
  const rows = await waitFor(
    async () => {
      const r = await deliveries(order, VENDOR);
      return r.length === count ? r : null;
    },
    { timeout: 30_000 },
  );
  if (!rows)
    throw new Error(
      `${count} Yandex rows of ${order} were not stored: ${JSON.stringify(await deliveries(order, VENDOR))}`,
    );
  return rows;
}

/** Runs the cron (retrying rows come due after their 1–2 s backoff) until every Yandex row of the order is final. */
async function flushUntilFinal(order: string): Promise<Row[]> {
  const rows = await waitFor(
    async () => {
      await invocation('scheduled', (e) => runScheduled(e, defaultDeps()));
      const r = await deliveries(order, VENDOR);
      return r.length > 0 && r.every((x) => final(x.state)) ? r : null;
    },
    { timeout: 30_000, every: 500 },
  );
  if (!rows)
    throw new Error(`Yandex rows of ${order} did not settle: ${JSON.stringify(await deliveries(order, VENDOR))}`);
  return rows;
}

async function post(event: Record<string, unknown>): Promise<void> {
  expect((await postEvents(event)).status).toBe(202);
}

type FakeState = { orders: Record<string, YandexRow>; failedUploads: unknown[]; uploads: number };
const fakeState = () => fakes.state<FakeState>(VENDOR);
const uploadedRows = async (id: string) =>
  (await fakes.accepted<YandexAccepted>(VENDOR)).flatMap((u) => u.rows.filter((r) => r.id === id));

/** Moscow has been UTC+3 all year since 2014. */
const moscow = (unix: number) => new Date((unix + 3 * 3600) * 1000).toISOString().slice(0, 19).replace('T', ' ');

const ITEMS = [
  { id: 'SKU-1', name: 'Green apple', quantity: 2, price: 11.9 },
  { id: 'SKU-2', name: 'Honey', quantity: 1, price: 5 },
];

function newOrder(prefix: string) {
  const id = orderId(prefix);
  const t = Math.floor(Date.now() / 1000) - 3600;
  return {
    id,
    t,
    base: {
      order_id: id,
      currency: 'RUB',
      customer: {
        id: `cust-${id}`,
        email: `${id}@Example.com`,
        phone: '+7 999 555-11-11',
        ym_client_id: '1700000000000000001',
      },
    },
  };
}

async function canonical(input: Record<string, unknown>): Promise<CanonicalEvent> {
  const parsed = parseEventInput(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return toCanonicalEvent(parsed.value, { source: 'server', received_at: Math.floor(Date.now() / 1000) }, 'EUR');
}
const message = (event: CanonicalEvent) =>
  ({
    id: crypto.randomUUID(),
    timestamp: new Date(),
    attempts: 1,
    body: { event },
    ack() {},
    retry() {},
  }) as unknown as Message<IngestMessage>;

beforeEach(async () => {
  await fakes.reset();
});

describe('Yandex Metrica end to end', () => {
  // First in the file: the consumer's own flush needs a minute since the last flush, and no flush has run yet.
  it('the ingest consumer flushes once YANDEX_BATCH rows wait, then not again within a minute; the cron does', async () => {
    const batchEnv = { ...env, YANDEX_BATCH: '1' } as Env;
    const a = newOrder('YAB1');
    const aMessage = message(await canonical({ ...a.base, status: 'paid', occurred_at: a.t, total: 10 }));
    await invocation('queue ingest', () => handleIngest([aMessage], batchEnv, defaultDeps()));
    expect((await deliveries(a.id, VENDOR)).map((r) => r.state)).toEqual(['delivered']);
    expect((await fakeState()).orders[a.id]).toMatchObject({ order_status: 'PAID', revenue: '10' });

    const b = newOrder('YAB2');
    const bMessage = message(await canonical({ ...b.base, status: 'paid', occurred_at: b.t, total: 20 }));
    await invocation('queue ingest', () => handleIngest([bMessage], batchEnv, defaultDeps()));
    expect((await deliveries(b.id, VENDOR)).map((r) => r.state)).toEqual(['pending']);
    expect(await receivedFor(VENDOR, b.id)).toEqual([]);
    expect((await flushUntilFinal(b.id)).map((r) => r.state)).toEqual(['delivered']);
    expect((await fakeState()).orders[b.id]).toMatchObject({ order_status: 'PAID', revenue: '20' });
  });

  it('created → paid → partial refund → cancelled: one upload per flush, the stored order ends CANCELLED', async () => {
    const { id, t, base } = newOrder('YA');
    const steps: [Record<string, unknown>, string, string][] = [
      [{ status: 'created', occurred_at: t, total: 33.8, shipping: 5, items: ITEMS }, 'IN_PROGRESS', '33.8'],
      [{ status: 'paid', occurred_at: t + 60, total: 33.8, shipping: 5, items: ITEMS }, 'PAID', '33.8'],
      [
        { status: 'refunded', occurred_at: t + 120, total: 5, items: [{ id: 'SKU-2', quantity: 1, price: 5 }] },
        'PAID',
        '28.8',
      ],
      [{ status: 'cancelled', occurred_at: t + 180 }, 'CANCELLED', '0'],
    ];
    for (const [i, [event, status, revenue]] of steps.entries()) {
      await post({ ...base, ...event });
      await stored(id, i + 1);
      const rows = await flushUntilFinal(id);
      expect(rows.map((r) => r.state)).toEqual(Array(i + 1).fill('delivered'));
      expect((await fakeState()).orders[id]).toStrictEqual({
        id,
        create_date_time: moscow(t),
        client_uniq_id: `cust-${id}`,
        client_ids: '1700000000000000001',
        emails: `${id.toLowerCase()}@example.com`,
        phones: '79995551111',
        order_status: status,
        revenue,
        currency: 'RUB',
      });
    }
    const received = await receivedFor(VENDOR, id);
    expect(
      received.map((r) => [r.method, r.path, r.query.merge_mode, r.status, r.accepted, r.headers.authorization]),
    ).toEqual(
      Array(4).fill([
        'POST',
        '/cdp/api/v1/counter/12345678/data/simple_orders',
        'SAVE',
        200,
        true,
        'OAuth test-yandex-token',
      ]),
    );
    expect((await uploadedRows(id)).map((r) => r.order_status)).toEqual(['IN_PROGRESS', 'PAID', 'PAID', 'CANCELLED']);
    expect((await fakeState()).failedUploads).toEqual([]);
  });

  it('uploads one row per order when several events of it wait for the same flush', async () => {
    const { id, t, base } = newOrder('YA2');
    await post({ ...base, status: 'created', occurred_at: t, total: 33.8, shipping: 5, items: ITEMS });
    await post({ ...base, status: 'paid', occurred_at: t + 60 });
    await stored(id, 2);
    const rows = await flushUntilFinal(id);
    expect(rows.map((r) => r.state)).toEqual(['delivered', 'delivered']);
    expect(await receivedFor(VENDOR, id)).toHaveLength(1);
    expect((await uploadedRows(id)).map((r) => [r.order_status, r.revenue])).toEqual([['PAID', '33.8']]);
  });

  it('records an order with no client id, email or phone as skipped: no_identifier', async () => {
    const id = orderId('YANOID');
    await post({
      order_id: id,
      status: 'paid',
      occurred_at: Math.floor(Date.now() / 1000),
      total: 5,
      customer: { id: 'cust-only' },
    });
    await stored(id, 1);
    const rows = await flushUntilFinal(id);
    expect(rows[0]).toMatchObject({ state: 'skipped', reason: 'no_identifier' });
    expect(await receivedFor(VENDOR, id)).toEqual([]);
  });

  it('retries an upload after a 503 on the next flush', async () => {
    await fakes.failNext(VENDOR, 1, { status: 503 });
    const { id, t, base } = newOrder('YA503');
    await post({ ...base, status: 'paid', occurred_at: t, total: 10 });
    await stored(id, 1);
    const rows = await flushUntilFinal(id);
    expect(rows[0]).toMatchObject({ state: 'delivered', attempts: 2, last_status: 200 });
    expect((await receivedFor(VENDOR, id)).map((r) => r.status)).toEqual([503, 200]);
  });

  it('rejects an upload whose validation FAILED, keeping the answer', async () => {
    const failed = {
      uploading: {
        uploading_id: '9',
        datetime: '2026-01-01 00:00:00',
        api_validation_status: 'FAILED',
        elements_count: 1,
        entity_type: 'ORDER',
        uploading_format: 'CSV',
        uploading_source: 'API',
      },
    };
    await fakes.failNext(VENDOR, 1, { status: 200, body: failed });
    const { id, t, base } = newOrder('YAFAIL');
    await post({ ...base, status: 'paid', occurred_at: t, total: 10 });
    await stored(id, 1);
    const rows = await flushUntilFinal(id);
    expect(rows[0]).toMatchObject({
      state: 'rejected',
      attempts: 1,
      last_status: 200,
      last_detail: `200 ${JSON.stringify(failed)}`,
    });
  });

  it('narrows a FAILED upload of two orders down to single uploads', async () => {
    const failed = { uploading: { uploading_id: '10', api_validation_status: 'FAILED', elements_count: 2 } };
    await fakes.failNext(VENDOR, 1, { status: 200, body: failed });
    const a = newOrder('YASPLIT1');
    const b = newOrder('YASPLIT2');
    await post({ ...a.base, status: 'paid', occurred_at: a.t, total: 10 });
    await post({ ...b.base, status: 'paid', occurred_at: b.t, total: 20 });
    await stored(a.id, 1);
    await stored(b.id, 1);
    await flushUntilFinal(a.id);
    await flushUntilFinal(b.id);
    for (const o of [a, b]) {
      const [row] = await deliveries(o.id, VENDOR);
      expect(row).toMatchObject({ state: 'delivered' });
      expect(row?.last_detail).toMatch(/^after batch rejection/);
    }
    const received = await fakes.received(VENDOR);
    expect(received.map((r) => [r.status, r.body.includes(a.id), r.body.includes(b.id)]).sort()).toEqual(
      [
        [200, true, true],
        [200, true, false],
        [200, false, true],
      ].sort(),
    );
  });
});
