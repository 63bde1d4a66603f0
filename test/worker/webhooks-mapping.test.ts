// The pure parts of the platform webhooks: signatures over the raw bytes, Shopify topics and WooCommerce order
// states → canonical events (through the same validation as every other event), the pixel's report and the
// 24-hour rule by which it may enrich a webhook's event.
import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../../src/worker/event';
import { toEvents } from '../../src/worker/webhooks/common';
import { signBase64Hmac, verifyBase64Hmac } from '../../src/worker/webhooks/hmac';
import { enrich, HINT_WINDOW_MS, parsePixel } from '../../src/worker/webhooks/pixel';
import { type ShopifyTopic, shopifyEvents } from '../../src/worker/webhooks/shopify';
import { isWooPing, wooEvents } from '../../src/worker/webhooks/woocommerce';
import { shopifyOrder, shopifyRefund } from './fixtures/shopify';
import { wooOrder } from './fixtures/woocommerce';

const enc = (s: string) => new TextEncoder().encode(s);
const NOW = Date.parse('2026-12-01T12:00:00Z');

async function canonical(drafts: Parameters<typeof toEvents>[0], source: 'shopify' | 'woocommerce' = 'shopify') {
  const r = await toEvents(drafts, { source, received_at: NOW / 1000 }, 'EUR');
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.events;
}
const shopify = (topic: ShopifyTopic, body: unknown) => canonical(shopifyEvents(body, { topic }));
const keys = (events: CanonicalEvent[]) => events.map((e) => e.key);

describe('webhook signatures (base64 HMAC-SHA256 of the raw body)', () => {
  const body = enc('{"id":820982911946154508,"email":"jon@example.com"}');

  it('accepts the signature of the exact bytes and refuses a wrong, missing, truncated or other-key one', async () => {
    const good = await signBase64Hmac('s3cret', body);
    expect(await verifyBase64Hmac('s3cret', body, good)).toBe(true);
    expect(await verifyBase64Hmac('other', body, good)).toBe(false);
    expect(await verifyBase64Hmac('s3cret', body, null)).toBe(false);
    expect(await verifyBase64Hmac('s3cret', body, '')).toBe(false);
    expect(await verifyBase64Hmac('s3cret', body, good.slice(0, 20))).toBe(false);
    expect(await verifyBase64Hmac('s3cret', body, 'not base64!')).toBe(false);
    expect(await verifyBase64Hmac(undefined, body, good)).toBe(false);
    expect(await verifyBase64Hmac('', body, good)).toBe(false);
  });

  it('refuses the same JSON re-serialised (one space) and a body with one byte changed', async () => {
    const good = await signBase64Hmac('s3cret', body);
    expect(await verifyBase64Hmac('s3cret', enc('{"id": 820982911946154508,"email":"jon@example.com"}'), good)).toBe(
      false,
    );
    const changed = body.slice();
    changed[5] = (changed[5] ?? 0) ^ 1;
    expect(await verifyBase64Hmac('s3cret', changed, good)).toBe(false);
  });

  it('is the hex-free base64 form the platforms send (44 characters for 32 bytes)', async () => {
    expect(await signBase64Hmac('s3cret', body)).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });
});

describe('Shopify topics → canonical events', () => {
  const id = 450789469;

  it('orders/create of an unpaid order: created only, with money from decimal strings, identity and items', async () => {
    const [e, ...rest] = await shopify('orders/create', shopifyOrder(id));
    expect(rest).toEqual([]);
    expect(e).toMatchObject({
      key: `${id}:created`,
      order_id: String(id),
      status: 'created',
      currency: 'EUR',
      total: 428,
      tax: 71.67,
      shipping: 15,
      discount: 10,
      coupons: ['WINTER10'],
      occurred_at: Date.parse('2026-11-30T10:00:00+01:00') / 1000,
      customer: {
        id: '207119551',
        email: 'jon@example.com',
        phone: '+420777123456',
        first_name: 'Bob',
        country: 'CZ',
      },
      context: { source: 'shopify' },
    });
    // SKU when there is one, else the variant id; unit price after the line's own discount (10.00 over 2 units).
    expect(e?.items).toEqual([
      { id: 'IPOD2008GREEN', name: 'IPod Nano - 8gb', variant: 'green', brand: 'Apple', quantity: 2, price: 194 },
      { id: '457924702', name: 'IPod Touch 8GB', brand: 'Apple', quantity: 1, price: 25 },
    ]);
  });

  it('orders/paid: created and paid (the created key is the one orders/create stored, so it collapses)', async () => {
    const events = await shopify('orders/paid', shopifyOrder(id, { financial_status: 'paid' }));
    expect(keys(events)).toEqual([`${id}:created`, `${id}:paid`]);
    expect(events[1]).toMatchObject({ status: 'paid', total: 428 });
  });

  it('orders/fulfilled: delivered', async () => {
    const events = await shopify(
      'orders/fulfilled',
      shopifyOrder(id, { financial_status: 'paid', fulfillment_status: 'fulfilled' }),
    );
    expect(keys(events)).toEqual([`${id}:created`, `${id}:paid`, `${id}:delivered`]);
  });

  it('orders/cancelled without a refund: a whole-order cancellation', async () => {
    const events = await shopify(
      'orders/cancelled',
      shopifyOrder(id, { cancelled_at: '2026-11-30T12:00:00+01:00', cancel_reason: 'customer' }),
    );
    expect(keys(events)).toEqual([`${id}:created`, `${id}:cancelled`]);
    expect(events[1]).toMatchObject({ status: 'cancelled', items: [], total: undefined });
    expect(events[1]?.extra).toMatchObject({ cancel_reason: 'customer', refund_ids: [] });
  });

  it('refunds/create: the refunded line with its quantity, unit amount and the money paid back', async () => {
    const [e, ...rest] = await shopify('refunds/create', shopifyRefund(id, 509562969));
    expect(rest).toEqual([]);
    expect(e).toMatchObject({
      key: `${id}:refunded:509562969`,
      status: 'refunded',
      action_id: '509562969',
      currency: 'EUR',
      total: 194,
      occurred_at: Date.parse('2026-12-01T09:00:00+01:00') / 1000,
    });
    expect(e?.items).toEqual([{ id: 'IPOD2008GREEN', name: 'IPod Nano - 8gb', quantity: 1, price: 194 }]);
  });

  it('refunds/create of money only (shipping, no lines) yields nothing: "no items" would mean the whole order', async () => {
    expect(await shopify('refunds/create', shopifyRefund(id, 5, { refund_line_items: [] }))).toEqual([]);
  });

  it("orders/updated repeats the state's events under the same keys, refunds included", async () => {
    const order = shopifyOrder(id, {
      financial_status: 'partially_refunded',
      refunds: [shopifyRefund(id, 509562969)],
    });
    const events = await shopify('orders/updated', order);
    expect(keys(events)).toEqual([`${id}:created`, `${id}:paid`, `${id}:refunded:509562969`]);
    const [direct] = await shopify('refunds/create', shopifyRefund(id, 509562969));
    expect(events[2]?.items).toEqual(direct?.items);
  });

  it('a cancel that also refunds: the cancellation lists its refund and the refund is not an event of its own', async () => {
    const cancelledAt = '2026-12-01T09:00:30+01:00';
    const refund = shopifyRefund(id, 777, { created_at: '2026-12-01T09:00:29+01:00' });
    const older = shopifyRefund(id, 555, { created_at: '2026-11-30T15:00:00+01:00' });
    const events = await shopify(
      'orders/cancelled',
      shopifyOrder(id, { financial_status: 'refunded', cancelled_at: cancelledAt, refunds: [older, refund] }),
    );
    // The refund made a day earlier stays a refund; the one made with the cancellation is the cancellation.
    expect(keys(events)).toEqual([`${id}:created`, `${id}:paid`, `${id}:refunded:555`, `${id}:cancelled`]);
    expect(events[3]?.extra).toMatchObject({ refund_ids: ['777'] });
  });

  it('a body without an order id yields nothing (the route answers 400)', async () => {
    expect(await shopify('orders/paid', { email: 'x@example.com' })).toEqual([]);
  });
});

describe('WooCommerce order states → canonical events', () => {
  const id = 727;
  const woo = (state: Parameters<typeof wooOrder>[1]) => canonical(wooEvents(wooOrder(id, state)), 'woocommerce');

  it('pending: created, with identity, SKU or variation/product ids, and the line price after discounts', async () => {
    const [e, ...rest] = await woo({ status: 'pending' });
    expect(rest).toEqual([]);
    expect(e).toMatchObject({
      key: `${id}:created`,
      total: 29.35,
      tax: 1.35,
      shipping: 10,
      currency: 'EUR',
      occurred_at: Date.parse('2026-11-30T10:00:00Z') / 1000,
      customer: { email: 'john.doe@example.com', phone: '(555) 555-5555', city: 'San Francisco', country: 'US' },
      context: { source: 'woocommerce' },
    });
    expect(e?.customer.id).toBeUndefined(); // customer_id 0 is a guest
    expect(e?.items).toEqual([
      { id: '93', name: 'Woo Single #1', quantity: 2, price: 3 },
      { id: 'Bar3', name: 'Ship Your Idea &ndash; Color: Black, Size: M Test', quantity: 1, price: 12 },
    ]);
  });

  it('on-hold: created only; processing: created + paid; completed: + delivered', async () => {
    expect(keys(await woo({ status: 'on-hold' }))).toEqual([`${id}:created`]);
    expect(keys(await woo({ status: 'processing', date_paid_gmt: '2026-11-30T10:01:00' }))).toEqual([
      `${id}:created`,
      `${id}:paid`,
    ]);
    const completed = await woo({
      status: 'completed',
      date_paid_gmt: '2026-11-30T10:01:00',
      date_completed_gmt: '2026-11-30T10:02:00',
    });
    expect(keys(completed)).toEqual([`${id}:created`, `${id}:paid`, `${id}:delivered`]);
    expect(completed.map((e) => e.occurred_at)).toEqual(
      ['10:00:00', '10:01:00', '10:02:00'].map((t) => Date.parse(`2026-11-30T${t}Z`) / 1000),
    );
  });

  it('a partial refund is the order with its reduced total (no refund lines in the payload); the full one ends it', async () => {
    const partly = await woo({
      status: 'completed',
      date_paid_gmt: '2026-11-30T10:01:00',
      date_completed_gmt: '2026-11-30T10:02:00',
      refunds: [{ id: 801, reason: 'scratched', total: '-12.00' }],
    });
    expect(partly[3]).toMatchObject({ key: `${id}:updated:refund-801`, status: 'updated', total: 17.35 });
    expect(partly[3]?.items).toHaveLength(2);
    const refunded = await woo({
      status: 'refunded',
      date_paid_gmt: '2026-11-30T10:01:00',
      date_completed_gmt: '2026-11-30T10:02:00',
      refunds: [
        { id: 802, reason: '', total: '-17.35' },
        { id: 801, reason: 'scratched', total: '-12.00' },
      ],
    });
    expect(keys(refunded)).toEqual([
      `${id}:created`,
      `${id}:paid`,
      `${id}:delivered`,
      `${id}:updated:refund-801`,
      `${id}:refunded:802`,
    ]);
    expect(refunded[3]).toEqual(partly[3]); // the same event, whichever webhook carried it
    expect(refunded[4]).toMatchObject({ status: 'refunded', action_id: '802', total: 17.35, items: [] });
  });

  it('cancelled: a whole-order cancellation; drafts and trash: nothing', async () => {
    expect(keys(await woo({ status: 'cancelled' }))).toEqual([`${id}:created`, `${id}:cancelled`]);
    expect(wooEvents({ ...wooOrder(id, { status: 'pending' }), status: 'checkout-draft' })).toEqual([]);
    expect(wooEvents({ id })).toHaveLength(0); // order.deleted sends {id} only, and has no status
  });

  it('recognises the activation ping', () => {
    expect(isWooPing('webhook_id=15')).toBe(true);
    expect(isWooPing('webhook_id=15&x=1')).toBe(false);
    expect(isWooPing('{"webhook_id":15}')).toBe(false);
  });
});

describe('Shopify pixel report', () => {
  it('takes the order id as a number, a string or a GID and keeps only valid cookie values', () => {
    const hint = parsePixel(
      {
        order_id: 'gid://shopify/OrderIdentity/5940139491234',
        ids: { lvid: 'a'.repeat(32), ym: 'not digits', vt: 'vt-123', sc: 'sc-9' },
        consent: { analytics: true, marketing: false },
      },
      NOW,
    );
    expect(hint).toEqual({
      order_id: '5940139491234',
      received_at: NOW,
      customer: { lvid: 'a'.repeat(32), vt_user: 'vt-123' },
      esputnik_sc: 'sc-9',
      consent: {
        analytics_storage: 'granted',
        ad_storage: 'denied',
        ad_user_data: 'denied',
        ad_personalization: 'denied',
      },
    });
    expect(parsePixel({ order_id: 42 }, NOW)).toEqual({ order_id: '42', received_at: NOW, customer: {} });
    expect(() => parsePixel({ ids: { lvid: 'a'.repeat(32) } }, NOW)).toThrow(/order_id/);
    expect(() => parsePixel({ order_id: 'checkout-token' }, NOW)).toThrow(/order_id/);
  });

  it("fills only what the webhook lacks, and only within 24 hours of the webhook's arrival", async () => {
    const [event] = await shopify('orders/paid', shopifyOrder(1, { financial_status: 'paid' }));
    if (!event) throw new Error('no event');
    const hint = parsePixel({ order_id: 1, ids: { lvid: 'b'.repeat(32), ym: '1700000000123456789' } }, NOW);
    const enriched = enrich(event, hint);
    expect(enriched.customer).toMatchObject({
      email: 'jon@example.com',
      lvid: 'b'.repeat(32),
      ym_client_id: '1700000000123456789',
    });
    expect(enriched.key).toBe(event.key);
    expect(enrich(event, { ...hint, received_at: NOW - HINT_WINDOW_MS - 1000 })).toBe(event);
    const own = { ...event, customer: { ...event.customer, lvid: 'c'.repeat(32) } };
    expect(enrich(own, hint).customer.lvid).toBe('c'.repeat(32));
  });
});
