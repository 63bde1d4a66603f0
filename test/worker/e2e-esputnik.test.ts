// eSputnik end to end: /v1/events → ingest queue → D1 → deliveries queue → the strict fake eSputnik (contact
// upsert, then v1/event in the same lane), with a retry after a 500 and a rejection that keeps the vendor's text.
import { beforeEach, describe, expect, it } from 'vitest';
import type { ESputnikContact, ESputnikOrder } from '../fakes/esputnik.d.mts';
import { fakes, orderId, postAccepted, type Received, type Row, settledRows } from './helpers';

const VENDOR = 'esputnik';
const settled = (order: string, count: number): Promise<Row[]> => settledRows(order, VENDOR, count);
const post = postAccepted;

/** What the fake received for this order: its events and the upserts of its (unique) buyer. */
async function receivedFor(order: string, email: string): Promise<Received[]> {
  return (await fakes.received(VENDOR)).filter((r) => r.body.includes(`"${order}"`) || r.body.includes(email));
}

type EventBody = { eventTypeKey: string; keyValue: string; params: { name: string; value: string }[] };
const param = (body: EventBody, name: string) => body.params.find((p) => p.name === name)?.value;
/** One line per request: the path, and for an event its type, status and total. */
function summary(r: Received): string {
  const body = JSON.parse(r.body) as EventBody;
  if (r.path === '/api/v1/contact') return `${r.status} contact`;
  return `${r.status} ${body.eventTypeKey} ${param(body, 'status')} ${param(body, 'totalCost') ?? '-'}`;
}

type FakeState = {
  orders: Record<string, ESputnikOrder>;
  contacts: Record<string, ESputnikContact>;
  dropped: { externalOrderId?: string; reason: string }[];
};
const fakeState = () => fakes.state<FakeState>(VENDOR);

const ITEMS = [
  { id: 'SKU-1', name: 'Green apple', quantity: 2, price: 11.9, categories: ['Food', 'Fruit'] },
  { id: 'SKU-2', name: 'Honey', quantity: 1, price: 5 },
];

function newOrder(prefix: string, customer: Record<string, unknown> = {}) {
  const id = orderId(prefix);
  const email = `${id.toLowerCase()}@example.com`;
  const t = Math.floor(Date.now() / 1000) - 3600;
  const base = { order_id: id, currency: 'EUR', customer: { email, ...customer } };
  return { id, email, t, base };
}

beforeEach(async () => {
  await fakes.reset();
});

describe('eSputnik end to end', () => {
  it('created → paid → partial refund → cancelled: each event once, after its contact upsert, all delivered', async () => {
    const { id, email, t, base } = newOrder('ES', { id: 'cust-es-1', phone: '+420 777 123 456', first_name: 'Jana' });
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
    const received = await receivedFor(id, email);
    expect(received.map(summary)).toEqual([
      '200 contact',
      '200 orderCreated INITIALIZED 33.8',
      '200 contact',
      '200 orderUpdated IN_PROGRESS 33.8',
      '200 contact',
      '200 orderUpdated IN_PROGRESS 21.9',
      '200 contact',
      '200 orderCancelled CANCELLED -',
    ]);
    expect(received.every((r) => r.accepted && r.headers.authorization?.startsWith('Basic '))).toBe(true);
    const contact = JSON.parse(received[0]!.body) as Record<string, unknown>;
    expect(contact).toEqual({
      externalCustomerId: 'cust-es-1',
      firstName: 'Jana',
      channels: [
        { type: 'email', value: email },
        { type: 'sms', value: '420777123456' },
      ],
    });

    const state = await fakeState();
    expect(state.dropped.filter((d) => d.externalOrderId === id)).toEqual([]);
    expect(state.orders[id]).toMatchObject({
      status: 'CANCELLED',
      totalCost: 21.9,
      externalCustomerId: 'cust-es-1',
      events: ['orderCreated', 'orderUpdated', 'orderUpdated', 'orderCancelled'],
    });
    expect(Object.values(state.contacts).filter((c) => c.email === email)).toHaveLength(1);
  });

  it("stores a first-time guest buyer's order: the contact is created first, so the event is not dropped", async () => {
    const { id, email, t, base } = newOrder('ESNEW');
    expect(Object.values((await fakeState()).contacts).some((c) => c.email === email)).toBe(false);
    await post({ ...base, status: 'paid', occurred_at: t, total: 33.8, shipping: 5, items: ITEMS });
    const rows = await settled(id, 1);
    expect(rows[0]?.state).toBe('delivered');
    const state = await fakeState();
    expect(state.dropped.filter((d) => d.externalOrderId === id)).toEqual([]);
    expect(state.orders[id]).toMatchObject({ status: 'IN_PROGRESS', totalCost: 33.8, email, events: ['orderCreated'] });
    const contact = Object.values(state.contacts).find((c) => c.email === email);
    expect(contact?.externalCustomerId).toBeUndefined();
    expect(state.orders[id]?.contactId).toBe(contact?.id);
  });

  it('retries after a 500 and then delivers, sending the event once', async () => {
    await fakes.failNext(VENDOR, 1, { status: 500 });
    const { id, email, t, base } = newOrder('ES500');
    await post({ ...base, status: 'created', occurred_at: t, total: 5, items: [ITEMS[1]] });
    const rows = await settled(id, 1);
    expect(rows[0]).toMatchObject({ state: 'delivered', attempts: 2, last_status: 200 });
    // The 500 hit the contact call, which stopped the lane: the event went out only on the second attempt.
    expect((await receivedFor(id, email)).map(summary)).toEqual([
      '500 contact',
      '200 contact',
      '200 orderCreated INITIALIZED 5',
    ]);
  });

  it("rejects on a 400 and keeps the vendor's text", async () => {
    await fakes.failNext(VENDOR, 1, { status: 400, body: { error: 'channels is required' } });
    const { id, email, t, base } = newOrder('ES400');
    await post({ ...base, status: 'created', occurred_at: t, total: 5, items: [ITEMS[1]] });
    const rows = await settled(id, 1);
    expect(rows[0]).toMatchObject({ state: 'rejected', attempts: 1, last_status: 400 });
    expect(rows[0]?.last_detail).toContain('400 {"error":"channels is required"}');
    expect((await receivedFor(id, email)).map(summary)).toEqual(['400 contact']);
  });

  it('records an order without email, phone or customer id as skipped: no_identifier, and sends nothing', async () => {
    const { id, t } = newOrder('ESNOID');
    await post({ order_id: id, currency: 'EUR', status: 'created', occurred_at: t, total: 5, items: [ITEMS[1]] });
    const rows = await settled(id, 1);
    expect(rows[0]).toMatchObject({ state: 'skipped', reason: 'no_identifier' });
    expect((await fakes.received(VENDOR)).filter((r) => r.body.includes(`"${id}"`))).toEqual([]);
  });
});
