// WooCommerce webhooks end to end: POST /v1/woocommerce → signature → ingest queue → D1 → the fake vendors.
// Bodies: test/worker/fixtures/woocommerce.ts (the REST v3 order resource of WooCommerce's documented example).
import { beforeEach, describe, expect, it } from 'vitest';
import { api } from './admin-helpers';
import { type WooState, wooOrder, wooOrderId } from './fixtures/woocommerce';
import { call, fakes, type Received, receivedFor, settledRows } from './helpers';
import { eventsOf, postWoo } from './webhooks-helpers';

type Body = { order: { status: string; items: { item_id: string; quantity: number }[] } };
const lines = (r: Received): string[] => {
  const parsed = JSON.parse(r.body) as Body | Body[];
  return (Array.isArray(parsed) ? parsed : [parsed]).map(
    (b) => `${b.order.status} ${b.order.items.map((i) => `${i.item_id}x${i.quantity}`).join(',')}`,
  );
};

beforeEach(async () => {
  await fakes.reset();
});

describe('POST /v1/woocommerce', () => {
  it('answers the unsigned activation ping with exactly 200', async () => {
    const res = await call('/v1/woocommerce', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'WooCommerce/9.4.0 Hookshot' },
      body: 'webhook_id=7',
    });
    expect(res.status).toBe(200);
  });

  it('refuses an unsigned or wrongly signed order with 401 JSON and stores nothing', async () => {
    const n = wooOrderId();
    const body = wooOrder(n, { status: 'processing', date_paid_gmt: '2026-11-30T10:01:00' });
    for (const res of [
      await postWoo('order.updated', body, { secret: null }),
      await postWoo('order.updated', body, { secret: 'wrong' }),
      await postWoo('order.updated', null, { raw: 'webhook_id=7', secret: 'wrong' }),
    ]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'invalid_signature' });
    }
    const ok = await postWoo('order.created', wooOrder(n, { status: 'pending' }));
    expect(ok.status).toBe(200);
    await settledRows(String(n), 'esputnik', 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await eventsOf(String(n))).map((e) => e.status)).toEqual(['created']);
  });

  it('pending → processing → completed → partly refunded → refunded, merged and repeated: each event once', async () => {
    const n = wooOrderId();
    const id = String(n);
    const post = async (topic: string, state: WooState) => {
      const res = await postWoo(topic, { ...wooOrder(n, state), customer_id: 12 });
      expect(res.status).toBe(200);
      return (await res.json()) as { keys: string[] };
    };
    const paid = { date_paid_gmt: '2026-11-30T10:01:00' };
    const done = { ...paid, date_completed_gmt: '2026-11-30T10:02:00' };
    const refund1 = { id: 801, reason: 'scratched', total: '-12.00' };
    const refund2 = { id: 802, reason: '', total: '-17.35' };

    await post('order.created', { status: 'pending' });
    await settledRows(id, 'mytracker', 1);
    // processing and completed happened within a minute: WooCommerce sends one webhook, already `completed`.
    const merged = await post('order.updated', {
      status: 'completed',
      ...done,
      date_modified_gmt: '2026-11-30T10:02:00',
    });
    expect(merged.keys).toEqual([`${id}:created`, `${id}:paid`, `${id}:delivered`]);
    await post('order.updated', { status: 'completed', ...done, date_modified_gmt: '2026-11-30T10:02:00' });
    await settledRows(id, 'mytracker', 3);
    await post('order.updated', {
      status: 'completed',
      ...done,
      refunds: [refund1],
      date_modified_gmt: '2026-12-01T08:00:00',
    });
    await settledRows(id, 'mytracker', 4);
    const final = {
      status: 'refunded' as const,
      ...done,
      refunds: [refund2, refund1],
      date_modified_gmt: '2026-12-02T08:00:00',
    };
    await post('order.updated', final);
    await post('order.updated', final);
    const rows = await settledRows(id, 'mytracker', 5);
    await new Promise((r) => setTimeout(r, 1500)); // room for a duplicate to show up

    const events = await eventsOf(id);
    expect(events.map((e) => e.key)).toEqual([
      `${id}:created`,
      `${id}:paid`,
      `${id}:delivered`,
      `${id}:updated:refund-801`,
      `${id}:refunded:802`,
    ]);
    expect(events.every((e) => e.source === 'woocommerce')).toBe(true);
    const ledger = (await (await api(`/orders/${id}`)).json()) as { events: { source: string }[] };
    expect(ledger.events.map((e) => e.source)).toEqual(Array(5).fill('woocommerce'));
    expect(events[3]?.body).toMatchObject({ total: 17.35 });
    expect(events[4]?.body).toMatchObject({ total: 17.35, items: [] });
    expect(Object.fromEntries(rows.map((r) => [r.event_key.slice(id.length + 1), r.state]))).toEqual({
      created: 'delivered',
      paid: 'delivered',
      delivered: 'skipped',
      'updated:refund-801': 'skipped',
      'refunded:802': 'delivered',
    });
    expect((await receivedFor('mytracker', id)).filter((r) => r.accepted).flatMap(lines)).toEqual([
      'ADD 93x2,Bar3x1',
      'PAY 93x2,Bar3x1',
      'REFUND 93x2,Bar3x1',
    ]);
    // Vendors that take the whole order (Ecomail, eSputnik) get the partial refund as the order's new state.
    for (const vendor of ['ecomail', 'esputnik']) {
      const r = await settledRows(id, vendor, 5);
      expect(r.find((x) => x.event_key === `${id}:updated:refund-801`)?.state, vendor).toBe('delivered');
    }
  });
});
