// The Shopify custom pixel's report end to end: it is kept as a hint, never an event or a delivery, and only
// enriches the signed webhook's events of the same order (docs/platforms/shopify.md "Trust").
import { beforeEach, describe, expect, it } from 'vitest';
import { api } from './admin-helpers';
import { shopifyOrder, shopifyOrderId } from './fixtures/shopify';
import { call, deliveries, fakes, receivedFor, settledRows, waitFor } from './helpers';
import { eventsOf, pixelHint, postPixel, postShopify } from './webhooks-helpers';

const VENDORS = ['mytracker', 'esputnik', 'ecomail', 'vtmarketing', 'yandex'];
const LVID = `${'f'.repeat(31)}1`;

beforeEach(async () => {
  await fakes.reset();
});

async function hintStored(id: string) {
  const row = await waitFor(() => pixelHint(id));
  if (!row) throw new Error(`pixel hint for ${id} was not stored`);
  return row;
}

describe('POST /v1/shopify/pixel', () => {
  it('a report for an order no webhook confirms is stored as a hint only: no event, no delivery, no vendor call', async () => {
    const id = String(shopifyOrderId());
    const res = await postPixel({
      order_id: `gid://shopify/OrderIdentity/${id}`,
      ids: { lvid: LVID, ym: '1700000000123456789', vt: 'vt-42', sc: 'sc-42' },
      consent: { analytics: true, marketing: true },
    });
    expect(res.status).toBe(202);
    await hintStored(id);
    await new Promise((r) => setTimeout(r, 2500)); // a wrongly planned delivery would have been sent by now
    expect(await eventsOf(id)).toEqual([]);
    expect(await deliveries(id)).toEqual([]);
    for (const vendor of VENDORS) expect(await receivedFor(vendor, id), vendor).toEqual([]);
  });

  it('refuses a report without an order id (400) and other methods (405)', async () => {
    const res = await postPixel({ ids: { lvid: LVID } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_pixel' });
    expect((await call('/v1/shopify/pixel', { method: 'GET' })).status).toBe(405);
  });

  it("enriches the signed webhook's events: the pixel's lvid reaches MyTracker with the order", async () => {
    const n = shopifyOrderId();
    const id = String(n);
    // The real pixel sees the order id as a number string; the customer id is left out so that the lvid is the
    // only identifier MyTracker gets (without it MyTracker would skip the order: no_identifier).
    expect((await postPixel({ order_id: id, ids: { lvid: LVID, ym: '1700000000123456789' } })).status).toBe(202);
    await hintStored(id);
    const order = shopifyOrder(n, { financial_status: 'paid', customer: null });
    expect((await postShopify('orders/paid', order)).status).toBe(200);
    const rows = await settledRows(id, 'mytracker', 2);
    expect(rows.map((r) => r.state)).toEqual(['delivered', 'delivered']);
    const accepted = (await fakes.accepted<{ order_id: string; ids: Record<string, string> }>('mytracker')).filter(
      (a) => a.order_id === id,
    );
    expect(accepted).toHaveLength(2);
    expect(accepted.every((a) => a.ids.lvid === LVID)).toBe(true);
    const events = await eventsOf(id);
    expect(events.map((e) => e.source)).toEqual(['shopify', 'shopify']);
    // The operator's ledger names the source of each event.
    const ledger = (await (await api(`/orders/${id}`)).json()) as { events: { status: string; source: string }[] };
    expect(ledger.events.map((e) => `${e.status} ${e.source}`)).toEqual(['created shopify', 'paid shopify']);
    expect(events[0]?.body).toMatchObject({
      customer: { email: 'jon@example.com', lvid: LVID, ym_client_id: '1700000000123456789' },
      extra: { pixel: {} },
    });
  });

  it('a second report for the same order does not replace the first', async () => {
    const id = String(shopifyOrderId());
    await postPixel({ order_id: id, ids: { lvid: LVID } });
    const first = await hintStored(id);
    await postPixel({ order_id: id, ids: { lvid: 'e'.repeat(32) } });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await pixelHint(id)).toEqual(first);
  });
});
