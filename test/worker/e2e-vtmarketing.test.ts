// VTmarketing end to end: /v1/events → ingest queue → D1 → deliveries queue → the strict fake VTmarketing. One
// confirmation per order (the vendor drops later events with the same orderId and has no refund or cancel API),
// everything else recorded as skipped with its reason.
import { beforeEach, describe, expect, it } from 'vitest';
import type { VtAccepted } from '../fakes/vtmarketing.d.mts';
import { fakes, orderId, postAccepted, type Row, receivedFor, settledRows } from './helpers';

const VENDOR = 'vtmarketing';
const settled = (order: string, count: number): Promise<Row[]> => settledRows(order, VENDOR, count);
const post = postAccepted;

type FakeState = { ignoredDuplicates: { orderId: string }[] };

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
      currency: 'RON',
      customer: { email: `${id.toLowerCase()}@example.com`, phone: '0765000000', first_name: 'Ion' },
    },
  };
}

beforeEach(async () => {
  await fakes.reset();
});

describe('VTmarketing end to end', () => {
  it('created → paid → partial refund → cancelled: one confirmation, the rest skipped with reasons', async () => {
    const { id, t, base } = newOrder('VT');
    await post({
      ...base,
      status: 'created',
      occurred_at: t,
      total: 33.8,
      shipping: 5,
      coupons: ['WELCOME'],
      items: ITEMS,
    });
    await settled(id, 1);
    await post({ ...base, status: 'paid', occurred_at: t + 60, total: 33.8, shipping: 5, items: ITEMS });
    await settled(id, 2);
    await post({
      ...base,
      status: 'refunded',
      occurred_at: t + 120,
      total: 5,
      items: [{ id: 'SKU-2', quantity: 1, price: 5 }],
    });
    await settled(id, 3);
    await post({ ...base, status: 'cancelled', occurred_at: t + 180 });
    const rows = await settled(id, 4);

    expect(rows.map((r) => [r.event_key.split(':')[1], r.state, r.reason])).toEqual([
      ['created', 'delivered', null],
      ['paid', 'skipped', 'already_confirmed'],
      ['refunded', 'skipped', 'no_api'],
      ['cancelled', 'skipped', 'no_api'],
    ]);
    const received = await receivedFor(VENDOR, id);
    expect(received.map((r) => [r.method, r.path, r.status, r.headers.authorization])).toEqual([
      ['POST', '/v1/event/', 200, 'test-vtmarketing-key'],
    ]);
    expect(JSON.parse(received[0]!.body)).toStrictEqual({
      user: { email: base.customer.email, tel: '0765000000', firstname: 'Ion' },
      event: {
        confirmation: {
          generic: {
            orderId: id,
            total: 33.8,
            currency: 'RON',
            coupons: ['WELCOME'],
            total_shipping: 5,
            phone: '0765000000',
          },
          items: [
            { id: 'SKU-1', quantity: 2 },
            { id: 'SKU-2', quantity: 1 },
          ],
        },
      },
    });
    const accepted = (await fakes.accepted<VtAccepted>(VENDOR)).filter((a) => a.orderId === id);
    expect(accepted.map((a) => [a.email, a.total, a.missingOrderId])).toEqual([[base.customer.email, 33.8, false]]);
    expect((await fakes.state<FakeState>(VENDOR)).ignoredDuplicates.filter((d) => d.orderId === id)).toEqual([]);
  });

  it('confirms a paid order the vendor has not seen, then skips its delivery', async () => {
    const { id, t, base } = newOrder('VTPAID');
    await post({ ...base, status: 'paid', occurred_at: t, total: 12, items: [ITEMS[1]] });
    await settled(id, 1);
    await post({ ...base, status: 'delivered', occurred_at: t + 86_400 });
    const rows = await settled(id, 2);
    expect(rows.map((r) => [r.state, r.reason])).toEqual([
      ['delivered', null],
      ['skipped', 'no_meaning'],
    ]);
    expect((await receivedFor(VENDOR, id)).map((r) => r.status)).toEqual([200]);
  });

  it('records an order without email as skipped: no_identifier', async () => {
    const { id, t } = newOrder('VTNOMAIL');
    await post({
      order_id: id,
      status: 'paid',
      occurred_at: t,
      total: 5,
      items: [ITEMS[1]],
      customer: { phone: '0765000000' },
    });
    const rows = await settled(id, 1);
    expect(rows[0]).toMatchObject({ state: 'skipped', reason: 'no_identifier' });
    expect(await receivedFor(VENDOR, id)).toEqual([]);
  });

  it('retries a 503 and confirms once', async () => {
    await fakes.failNext(VENDOR, 1, { status: 503 });
    const { id, t, base } = newOrder('VT503');
    await post({ ...base, status: 'created', occurred_at: t, total: 10, items: [ITEMS[0]] });
    const rows = await settled(id, 1);
    expect(rows[0]).toMatchObject({ state: 'delivered', attempts: 2, last_status: 200 });
    expect((await receivedFor(VENDOR, id)).map((r) => r.status)).toEqual([503, 200]);
  });
});
