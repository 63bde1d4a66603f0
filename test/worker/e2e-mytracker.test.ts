// MyTracker end to end: /v1/events → ingest queue → D1 → deliveries queue → the strict fake MyTracker. The order's
// lifecycle as ADD, PAY, REFUND (refunded items only), CANCEL; dedup; a retry after a 500; a 400 rejected with the
// vendor's text; and a batch with one invalid order split so the good ones still go through.
import { beforeEach, describe, expect, it } from 'vitest';
import {
  deliveries,
  fakes,
  orderId,
  postAccepted,
  type Received,
  type Row,
  receivedFor,
  settledRows,
  storedEvents,
} from './helpers';

const VENDOR = 'mytracker';
const settled = (order: string, count: number): Promise<Row[]> => settledRows(order, VENDOR, count);
const post = postAccepted;

type Body = { order: { order_id: string; status: string; items: { item_id: string; quantity: number }[] } };
/** One line per event a request carried: HTTP status, method path, then MyTracker status and items. */
function lines(r: Received): string[] {
  const parsed = JSON.parse(r.body) as Body | Body[];
  return (Array.isArray(parsed) ? parsed : [parsed]).map(
    (b) =>
      `${r.status} ${r.path} ${b.order.order_id} ${b.order.status} ${b.order.items.map((i) => `${i.item_id}x${i.quantity}`).join(',')}`,
  );
}

const ITEMS = [
  { id: 'SKU-1', name: 'Green apple', quantity: 2, price: 11.9, categories: ['Food', 'Fruit'] },
  { id: 'SKU-2', name: 'Honey', quantity: 1, price: 5 },
];

function newOrder(prefix: string) {
  const id = orderId(prefix);
  const t = Math.floor(Date.now() / 1000) - 3600;
  return { id, t, base: { order_id: id, currency: 'EUR', customer: { id: `cust-${id}`, lvid: 'b'.repeat(32) } } };
}

beforeEach(async () => {
  await fakes.reset();
});

describe('MyTracker end to end', () => {
  it('created → paid → partial refund → cancelled: ADD, PAY, REFUND (refunded items only), CANCEL, each once', async () => {
    const { id, t, base } = newOrder('MT');
    await post({ ...base, status: 'created', occurred_at: t, total: 33.8, shipping: 5, items: ITEMS });
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

    expect(rows.map((r) => r.state)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    const received = await receivedFor(VENDOR, id);
    expect(received.flatMap(lines)).toEqual([
      `200 /v1/order/ ${id} ADD SKU-1x2,SKU-2x1`,
      `200 /v1/order/ ${id} PAY SKU-1x2,SKU-2x1`,
      `200 /v1/order/ ${id} REFUND SKU-2x1`,
      `200 /v1/order/ ${id} CANCEL SKU-1x2`,
    ]);
    expect(
      received.every(
        (r) => r.accepted && r.headers.authorization === 'test-mytracker-token' && r.query.idApp === '12345',
      ),
    ).toBe(true);
    const accepted = (
      await fakes.accepted<{ order_id: string; action_id: string; ids: Record<string, string> }>(VENDOR)
    ).filter((a) => a.order_id === id);
    expect(accepted).toHaveLength(4);
    expect(new Set(accepted.map((a) => a.action_id)).size).toBe(4);
    expect(accepted.every((a) => a.ids.customUserId === `cust-${id}` && a.ids.lvid === 'b'.repeat(32))).toBe(true);
  });

  it('stores an event posted twice once and sends it once', async () => {
    const { id, t, base } = newOrder('MTDUP');
    const event = { ...base, status: 'paid', occurred_at: t, total: 33.8, shipping: 5, items: ITEMS };
    await post(event);
    await post(event);
    await settled(id, 1);
    await new Promise((r) => setTimeout(r, 2500)); // room for a second (wrong) delivery to show up
    expect(await storedEvents(id)).toHaveLength(1);
    expect(await deliveries(id, VENDOR)).toHaveLength(1);
    expect((await receivedFor(VENDOR, id)).flatMap(lines)).toEqual([`200 /v1/order/ ${id} PAY SKU-1x2,SKU-2x1`]);
  });

  it('retries after a 500 and delivers once', async () => {
    await fakes.failNext(VENDOR, 1, { status: 500 });
    const { id, t, base } = newOrder('MT500');
    await post({ ...base, status: 'paid', occurred_at: t, items: ITEMS });
    const rows = await settled(id, 1);
    expect(rows[0]).toMatchObject({ state: 'delivered', attempts: 2, last_status: 200 });
    const received = await receivedFor(VENDOR, id);
    expect(received.map((r) => r.status)).toEqual([500, 200]);
    expect(received.filter((r) => r.accepted)).toHaveLength(1);
  });

  it("rejects a 400 with the vendor's text and does not retry", async () => {
    // A valid canonical event that MyTracker refuses: its device ids are exactly 36 characters long.
    const { id, t } = newOrder('MT400');
    await post({
      order_id: id,
      status: 'paid',
      occurred_at: t,
      items: ITEMS,
      customer: { app: { gaid: 'not-a-36-character-id' } },
    });
    const rows = await settled(id, 1);
    expect(rows[0]).toMatchObject({
      state: 'rejected',
      attempts: 1,
      last_status: 400,
      last_detail: '400 {"error":"Bad Request"}',
    });
    await new Promise((r) => setTimeout(r, 2500)); // a retry would have shown up by now (RETRY_BASE_SECONDS=1)
    expect((await receivedFor(VENDOR, id)).map((r) => r.status)).toEqual([400]);
    expect((await deliveries(id, VENDOR))[0]).toMatchObject({ state: 'rejected', attempts: 1 });
  });

  it('splits a refused batch so one invalid order does not sink the good ones', async () => {
    const good1 = newOrder('MTOK1');
    const bad = newOrder('MTBAD');
    const good2 = newOrder('MTOK2');
    await post([
      { ...good1.base, status: 'paid', occurred_at: good1.t, items: ITEMS },
      {
        order_id: bad.id,
        status: 'paid',
        occurred_at: bad.t,
        items: ITEMS,
        customer: { app: { gaid: 'not-a-36-character-id' } },
      },
      { ...good2.base, status: 'paid', occurred_at: good2.t, items: ITEMS },
    ]);
    const [ok1] = await settled(good1.id, 1);
    const [no] = await settled(bad.id, 1);
    const [ok2] = await settled(good2.id, 1);
    expect([ok1?.state, no?.state, ok2?.state]).toEqual(['delivered', 'rejected', 'delivered']);
    expect(no?.last_detail).toMatch(/^after batch rejection \(400 .*\): 400 \{"error":"Bad Request"\}$/);

    // The orderBatch with all three was refused (one invalid element fails the whole request); the relay bisects:
    // [good1, bad] (refused again) and [good2], then good1 and bad alone.
    const received = await fakes.received(VENDOR);
    const batch = received.filter((r) => r.path === '/v1/orderBatch/');
    expect(batch.map((r) => [r.status, [good1.id, bad.id, good2.id].filter((id) => r.body.includes(id))])).toEqual([
      [400, [good1.id, bad.id, good2.id]],
      [400, [good1.id, bad.id]],
    ]);
    const singles = received
      .filter((r) => r.path === '/v1/order/')
      .flatMap(lines)
      .sort();
    expect(singles).toEqual(
      [
        `200 /v1/order/ ${good1.id} PAY SKU-1x2,SKU-2x1`,
        `200 /v1/order/ ${good2.id} PAY SKU-1x2,SKU-2x1`,
        `400 /v1/order/ ${bad.id} PAY SKU-1x2,SKU-2x1`,
      ].sort(),
    );
    const accepted = await fakes.accepted<{ order_id: string }>(VENDOR);
    expect(accepted.map((a) => a.order_id).sort()).toEqual([good1.id, good2.id].sort());
  });
});
