// Shopify webhooks → canonical events (docs/platforms/shopify.md). Pure: no I/O besides the signature check.
// Every order topic carries the whole order, so each one yields the events its state implies (created, paid,
// delivered, cancelled, refunds) under keys that depend on the order alone: a retry, a duplicate subscription or
// orders/updated repeating what orders/paid said all collapse into the events already stored.
import { round } from '../order';
import { type Draft, type DraftItem, defined, type Json, list, money, obj, phone, seconds, str } from './common';
import { verifyBase64Hmac } from './hmac';

export const SHOPIFY_ORDER_TOPICS = [
  'orders/create',
  'orders/paid',
  'orders/cancelled',
  'orders/fulfilled',
  'orders/updated',
] as const;
export const SHOPIFY_TOPICS = [...SHOPIFY_ORDER_TOPICS, 'refunds/create'] as const;
export type ShopifyTopic = (typeof SHOPIFY_TOPICS)[number];
export const isShopifyTopic = (t: string): t is ShopifyTopic => (SHOPIFY_TOPICS as readonly string[]).includes(t);

/** A refund this close to the cancellation is the cancellation's own refund ("cancel and refund" in the admin). */
export const CANCEL_REFUND_WINDOW_SECONDS = 600;
/** `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body under the webhook secret. */
export const verifyShopify = (secret: string | undefined, body: Uint8Array<ArrayBuffer>, header: string | null) =>
  verifyBase64Hmac(secret, body, header);

export type ShopifyMeta = {
  topic: ShopifyTopic;
  webhookId?: string;
  eventId?: string;
  shop?: string;
  triggeredAt?: number;
};

/** The item id vendors match on: the SKU, else the variant, else the product, else the line. */
function itemId(line: Json): string {
  return str(line.sku) ?? str(line.variant_id) ?? str(line.product_id) ?? `line-${str(line.id) ?? '0'}`;
}

/** A line item at its unit price after the line's own discounts (`price` is before them). */
function toItem(line: Json, quantity = Number(line.quantity)): DraftItem {
  const qty = Number.isFinite(quantity) && quantity > 0 ? quantity : 1;
  const price = money(line.price);
  const allocated = list(line.discount_allocations).reduce((s, d) => s + (money(d.amount) ?? 0), 0);
  const discount = allocated || (money(line.total_discount) ?? 0);
  return defined({
    id: itemId(line),
    name: str(line.title) ?? str(line.name),
    variant: str(line.variant_title),
    brand: str(line.vendor),
    quantity: qty,
    price: price === undefined ? undefined : round(Math.max(0, price - discount / qty)),
  });
}

function customerOf(order: Json): Draft['customer'] {
  const c = obj(order.customer);
  const address = obj(order.billing_address);
  return defined({
    id: str(c.id),
    email: str(order.email) ?? str(order.contact_email) ?? str(c.email),
    phone: phone(order.phone) ?? phone(c.phone) ?? phone(address.phone),
    first_name: str(c.first_name) ?? str(address.first_name),
    last_name: str(c.last_name) ?? str(address.last_name),
    city: str(address.city),
    country: str(address.country_code) ?? str(address.country),
  });
}

/** Money a refund returned: its successful refund transactions, else its lines with their tax. */
function refundAmount(refund: Json): number | undefined {
  const paid = list(refund.transactions).filter((t) => t.kind === 'refund' && t.status === 'success');
  if (paid.length) return round(paid.reduce((s, t) => s + (money(t.amount) ?? 0), 0));
  const lines = list(refund.refund_line_items);
  if (!lines.length) return undefined;
  return round(lines.reduce((s, l) => s + (money(l.subtotal) ?? 0) + (money(l.total_tax) ?? 0), 0));
}

function refundCurrency(refund: Json): string | undefined {
  const tx = list(refund.transactions)[0];
  const line = list(refund.refund_line_items)[0];
  return str(tx?.currency) ?? str(obj(obj(line?.subtotal_set).shop_money).currency_code);
}

/**
 * One refund (a refunds/create body, or an entry of an order's `refunds`) as a `refunded` event with its lines.
 * A refund without lines (shipping, an adjustment) is money only: the canonical contract reads "no items" as
 * the whole order, so it is not sent as a refund (README "Shopify").
 */
export function refundEvent(refund: Json, meta: Partial<ShopifyMeta> = {}): Draft | null {
  const lines = list(refund.refund_line_items).filter((l) => Number(l.quantity) > 0);
  const orderId = str(refund.order_id);
  const id = str(refund.id);
  if (!orderId || !id || !lines.length) return null;
  return {
    order_id: orderId,
    status: 'refunded',
    action_id: id,
    occurred_at: seconds(refund.processed_at) ?? seconds(refund.created_at) ?? meta.triggeredAt,
    currency: refundCurrency(refund),
    total: refundAmount(refund),
    items: lines.map((l) => {
      const qty = Number(l.quantity);
      const subtotal = money(l.subtotal);
      return { ...toItem(obj(l.line_item), qty), ...(subtotal === undefined ? {} : { price: round(subtotal / qty) }) };
    }),
    customer: {},
    extra: shopifyExtra(meta),
  };
}

function shopifyExtra(meta: Partial<ShopifyMeta>): Json {
  return {
    shopify: defined({ topic: meta.topic, webhook_id: meta.webhookId, event_id: meta.eventId, shop: meta.shop }),
  };
}

/** Refunds of the order made with its cancellation: they are the cancellation, not refunds of their own. */
export function cancellationRefundIds(order: Json): string[] {
  const cancelledAt = seconds(order.cancelled_at);
  if (cancelledAt === undefined) return [];
  return list(order.refunds)
    .filter((r) => {
      const at = seconds(r.created_at) ?? seconds(r.processed_at);
      return at !== undefined && Math.abs(at - cancelledAt) <= CANCEL_REFUND_WINDOW_SECONDS;
    })
    .map((r) => str(r.id))
    .filter((id): id is string => id !== undefined);
}

const PAID = new Set(['paid', 'partially_refunded', 'refunded']);

/** The events an order payload's state implies (any order topic). */
export function orderEvents(order: Json, meta: ShopifyMeta): Draft[] {
  const orderId = str(order.id);
  if (!orderId) return [];
  const items = list(order.line_items)
    .filter((l) => Number(l.quantity) > 0)
    .map((l) => toItem(l));
  const shippingSet = money(obj(obj(order.total_shipping_price_set).shop_money).amount);
  const shipping = shippingSet ?? round(list(order.shipping_lines).reduce((s, l) => s + (money(l.price) ?? 0), 0));
  const base = {
    order_id: orderId,
    currency: str(order.currency),
    total: money(order.total_price),
    tax: money(order.total_tax),
    shipping,
    discount: money(order.total_discounts),
    items,
    coupons: list(order.discount_codes)
      .map((d) => str(d.code))
      .filter((c): c is string => c !== undefined),
    customer: customerOf(order),
    extra: shopifyExtra(meta),
  };
  const created = seconds(order.created_at) ?? seconds(order.processed_at);
  const out: Draft[] = [{ ...base, status: 'created', occurred_at: created }];
  if (PAID.has(String(order.financial_status)))
    out.push({ ...base, status: 'paid', occurred_at: seconds(order.processed_at) ?? created });
  if (order.fulfillment_status === 'fulfilled')
    out.push({ ...base, status: 'delivered', occurred_at: seconds(order.closed_at) ?? meta.triggeredAt ?? created });
  const withCancel = new Set(cancellationRefundIds(order));
  for (const r of list(order.refunds)) {
    if (withCancel.has(str(r.id) ?? '')) continue;
    const e = refundEvent({ ...r, order_id: r.order_id ?? order.id }, meta);
    if (e) out.push({ ...e, customer: base.customer });
  }
  const cancelledAt = seconds(order.cancelled_at);
  if (cancelledAt !== undefined)
    out.push({
      ...base,
      status: 'cancelled',
      occurred_at: cancelledAt,
      items: [],
      total: undefined,
      extra: { ...base.extra, cancel_reason: str(order.cancel_reason), refund_ids: [...withCancel] },
    });
  return out;
}

/** The events one webhook yields. */
export function shopifyEvents(payload: unknown, meta: ShopifyMeta): Draft[] {
  const body = obj(payload);
  if (meta.topic === 'refunds/create') {
    const e = refundEvent(body, meta);
    return e ? [e] : [];
  }
  return orderEvents(body, meta);
}
