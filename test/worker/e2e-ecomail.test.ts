// Ecomail end to end: /v1/events → ingest queue → D1 → deliveries queue → the strict fake Ecomail (one POST per
// order, then PUTs of the whole transaction), with a retry after a 500 and rejections that keep the vendor's text.
import { beforeEach, describe, expect, it } from 'vitest';
import type { EcomailRow } from '../fakes/ecomail.d.mts';
import { fakes, orderId, postAccepted, postEvents, type Received, type Row, receivedFor, settledRows } from './helpers';

const VENDOR = 'ecomail';
const settled = (order: string, count: number): Promise<Row[]> => settledRows(order, VENDOR, count);
const post = postAccepted;

type Body = {
  transaction: { status: string; amount: number };
  transaction_items: { code: string; amount: number; price: number }[];
};
/** One line per request: status code, method, path, and the transaction's status, amount and items. */
function summary(r: Received): string {
  const b = JSON.parse(r.body) as Body;
  const items = b.transaction_items.map((i) => `${i.code}x${i.amount}`).join(',');
  return `${r.status} ${r.method} ${r.path} ${b.transaction.status} ${b.transaction.amount} ${items}`;
}

type FakeState = { transactions: Record<string, EcomailRow>; duplicates: { order_id: string }[] };
const fakeState = () => fakes.state<FakeState>(VENDOR);

const ITEMS = [
  { id: 'SKU-1', name: 'Green apple', quantity: 2, price: 11.9, categories: ['Food', 'Fruit'] },
  { id: 'SKU-2', name: 'Honey', quantity: 1, price: 5 },
];

function newOrder(prefix: string) {
  const id = orderId(prefix);
  const t = Math.floor(Date.now() / 1000) - 3600;
  return {
    id,
    t,
    base: { order_id: id, currency: 'EUR', customer: { email: `${id.toLowerCase()}@example.com`, city: 'Brno' } },
  };
}

beforeEach(async () => {
  await fakes.reset();
});

describe('Ecomail end to end', () => {
  it('created → paid → partial refund → cancelled: one POST, then whole-order PUTs, all delivered', async () => {
    const { id, t, base } = newOrder('EC');
    await post({ ...base, status: 'created', occurred_at: t, total: 33.8, shipping: 5, items: ITEMS });
    await settled(id, 1);
    await post({ ...base, status: 'paid', occurred_at: t + 60, total: 33.8, shipping: 5, items: ITEMS });
    await settled(id, 2);
    await post({
      ...base,
      status: 'refunded',
      occurred_at: t + 120,
      total: 11.9,
      items: [{ id: 'SKU-1', quantity: 1, price: 11.9 }],
    });
    await settled(id, 3);
    await post({ ...base, status: 'cancelled', occurred_at: t + 180 });
    const rows = await settled(id, 4);

    expect(rows.map((r) => r.state)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    const received = await receivedFor(VENDOR, id);
    expect(received.map(summary)).toEqual([
      `200 POST /tracker/transaction pending 33.8 SKU-1x2,SKU-2x1`,
      `200 PUT /tracker/transaction/${id} completed 33.8 SKU-1x2,SKU-2x1`,
      `200 PUT /tracker/transaction/${id} completed 21.9 SKU-1x1,SKU-2x1`,
      `200 PUT /tracker/transaction/${id} canceled 21.9 SKU-1x1,SKU-2x1`,
    ]);
    expect(received.every((r) => r.accepted && r.headers.key === 'test-ecomail-key')).toBe(true);

    const state = await fakeState();
    expect(state.duplicates.filter((d) => d.order_id === id)).toEqual([]);
    expect(state.transactions[id]?.transaction).toMatchObject({
      order_id: id,
      email: base.customer.email,
      shop: 'shop.example',
      amount: 21.9,
      shipping: 5,
      city: 'Brno',
      timestamp: t,
      status: 'canceled',
    });
  });

  it('sends created and paid posted together as one POST with the latest state', async () => {
    const { id, t, base } = newOrder('EC2');
    const res = await postEvents([
      { ...base, status: 'created', occurred_at: t, total: 33.8, shipping: 5, items: ITEMS },
      { ...base, status: 'paid', occurred_at: t + 60, total: 33.8, shipping: 5, items: ITEMS },
    ]);
    expect(res.status).toBe(202);
    const rows = await settled(id, 2);
    expect(rows.every((r) => r.state === 'delivered')).toBe(true);
    // Both rows may be claimed together (one POST, completed) or one after the other (POST pending, PUT completed);
    // never two POSTs and never a PUT before the POST.
    const lines = (await receivedFor(VENDOR, id)).map(summary);
    expect([
      [`200 POST /tracker/transaction completed 33.8 SKU-1x2,SKU-2x1`],
      [
        `200 POST /tracker/transaction pending 33.8 SKU-1x2,SKU-2x1`,
        `200 PUT /tracker/transaction/${id} completed 33.8 SKU-1x2,SKU-2x1`,
      ],
    ]).toContainEqual(lines);
    expect((await fakeState()).transactions[id]?.transaction.status).toBe('completed');
  });

  it('retries after a 500 and then delivers, with no duplicate transaction', async () => {
    await fakes.failNext(VENDOR, 1, { status: 500 });
    const { id, t, base } = newOrder('EC500');
    await post({ ...base, status: 'paid', occurred_at: t, total: 33.8, shipping: 5, items: ITEMS });
    const rows = await settled(id, 1);
    expect(rows[0]).toMatchObject({ state: 'delivered', attempts: 2, last_status: 200 });
    expect((await receivedFor(VENDOR, id)).map((r) => `${r.status} ${r.method}`)).toEqual(['500 POST', '200 POST']);
    expect((await fakeState()).duplicates.filter((d) => d.order_id === id)).toEqual([]);
  });

  it("rejects a 422 and keeps the vendor's text", async () => {
    const errors = { errors: { 'transaction.email': ['The transaction.email must be a valid email address.'] } };
    await fakes.failNext(VENDOR, 1, { status: 422, body: errors });
    const { id, t, base } = newOrder('EC422');
    await post({ ...base, status: 'paid', occurred_at: t, total: 33.8, shipping: 5, items: ITEMS });
    const rows = await settled(id, 1);
    expect(rows[0]).toMatchObject({ state: 'rejected', attempts: 1, last_status: 422 });
    expect(rows[0]?.last_detail).toBe(`422 ${JSON.stringify(errors)}`);
  });

  it('rejects a PUT for an order Ecomail does not know (404) with its text, and does not fall back to POST', async () => {
    const { id, t, base } = newOrder('EC404');
    await post({ ...base, status: 'created', occurred_at: t, total: 33.8, shipping: 5, items: ITEMS });
    await settled(id, 1);
    await fakes.reset(); // Ecomail forgets the transaction (as if it was deleted there)
    await post({ ...base, status: 'paid', occurred_at: t + 60, total: 33.8, shipping: 5, items: ITEMS });
    const rows = await settled(id, 2);
    expect(rows.map((r) => r.state)).toEqual(['delivered', 'rejected']);
    expect(rows[1]).toMatchObject({ last_status: 404 });
    expect(rows[1]?.last_detail).toContain('not found');
    expect((await receivedFor(VENDOR, id)).map((r) => `${r.status} ${r.method}`)).toEqual(['404 PUT']);
  });

  it('records an order without email as skipped: no_identifier', async () => {
    const { id, t } = newOrder('ECNOMAIL');
    await post({
      order_id: id,
      currency: 'EUR',
      status: 'paid',
      occurred_at: t,
      total: 5,
      items: [ITEMS[1]],
      customer: { phone: '+420777000111' },
    });
    const rows = await settled(id, 1);
    expect(rows[0]).toMatchObject({ state: 'skipped', reason: 'no_identifier' });
    expect(await receivedFor(VENDOR, id)).toEqual([]);
  });
});
