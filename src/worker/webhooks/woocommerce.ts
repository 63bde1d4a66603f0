// WooCommerce order webhooks → canonical events (docs/platforms/woocommerce.md). Pure: no I/O besides the
// signature check. A webhook carries the order as it is when delivered, not the change that triggered it, and
// several quick changes can arrive as one; so the events are derived from the state alone, each under a key that
// depends only on the order (created, paid, delivered, cancelled, one per refund id). A webhook that carries
// three changes yields three events, and posting it again, or a later webhook of the same order, adds only what
// is new: the stored keys absorb the rest, with no look-up.
import { round } from '../order';
import { type Draft, type DraftItem, defined, type Json, list, money, obj, phone, seconds, str } from './common';
import { verifyBase64Hmac } from './hmac';

/** `X-WC-Webhook-Signature`: base64 HMAC-SHA256 of the raw body under the webhook's secret. */
export const verifyWooCommerce = (secret: string | undefined, body: Uint8Array<ArrayBuffer>, header: string | null) =>
  verifyBase64Hmac(secret, body, header);

/** The ping a new webhook sends first: `webhook_id=<n>`, form-encoded and unsigned. */
export function isWooPing(body: string): boolean {
  return /^webhook_id=\d+$/.test(body.trim());
}

/** Statuses that are not an order yet (or any more): nothing is derived from them. */
const IGNORED = new Set(['checkout-draft', 'auto-draft', 'draft', 'trash']);

function toItem(line: Json): DraftItem {
  const quantity = Number(line.quantity);
  const qty = Number.isFinite(quantity) && quantity > 0 ? quantity : 1;
  const total = money(line.total);
  return defined({
    id:
      str(line.sku) ??
      str(Number(line.variation_id) > 0 ? line.variation_id : undefined) ??
      str(line.product_id) ??
      `line-${str(line.id) ?? '0'}`,
    name: str(line.name),
    quantity: qty,
    // `total` is the line after its discounts, before tax; `price` is the same per unit (a float, maybe rounded).
    price: total === undefined ? money(line.price) : round(total / qty),
  });
}

function customerOf(order: Json): Draft['customer'] {
  const billing = obj(order.billing);
  return defined({
    id: Number(order.customer_id) > 0 ? str(order.customer_id) : undefined,
    email: str(billing.email),
    phone: phone(billing.phone),
    first_name: str(billing.first_name),
    last_name: str(billing.last_name),
    city: str(billing.city),
    country: str(billing.country),
  });
}

/** The events an order's current state implies. */
export function wooEvents(
  payload: unknown,
  meta: { topic?: string; webhookId?: string; source?: string } = {},
): Draft[] {
  const order = obj(payload);
  const orderId = str(order.id);
  const status = str(order.status) ?? '';
  // No status: not an order resource (order.deleted sends `{id}` only).
  if (!orderId || !status || IGNORED.has(status)) return [];
  const items = list(order.line_items)
    .filter((l) => Number(l.quantity) > 0)
    .map(toItem);
  const total = money(order.total);
  const base = {
    order_id: orderId,
    currency: str(order.currency),
    total,
    tax: money(order.total_tax),
    shipping: money(order.shipping_total),
    discount: money(order.discount_total),
    items,
    coupons: list(order.coupon_lines)
      .map((c) => str(c.code))
      .filter((c): c is string => c !== undefined),
    customer: customerOf(order),
    extra: { woocommerce: defined({ topic: meta.topic, webhook_id: meta.webhookId, number: str(order.number) }) },
  };
  const created = seconds(order.date_created_gmt, true) ?? seconds(order.date_created);
  const modified = seconds(order.date_modified_gmt, true) ?? created;
  const out: Draft[] = [{ ...base, status: 'created', occurred_at: created }];
  const paidAt = seconds(order.date_paid_gmt, true);
  if (paidAt !== undefined || status === 'processing' || status === 'completed')
    out.push({ ...base, status: 'paid', occurred_at: paidAt ?? modified });
  const completedAt = seconds(order.date_completed_gmt, true);
  if (completedAt !== undefined || status === 'completed')
    out.push({ ...base, status: 'delivered', occurred_at: completedAt ?? modified });
  // Refunds are `{id, reason, total: "-12.50"}` only: no lines without an authenticated REST call. A partial one
  // is sent as the order's new state (`updated` with the reduced total); the refund that ends a `refunded`
  // order is the whole-order refund.
  const refunds = list(order.refunds)
    .filter((r) => str(r.id) !== undefined)
    .sort((a, b) => Number(a.id) - Number(b.id));
  let refundedSoFar = 0;
  refunds.forEach((r, i) => {
    const amount = money(r.total) ?? 0;
    refundedSoFar = round(refundedSoFar + amount);
    const last = i === refunds.length - 1;
    const extra = { ...base.extra, refund_reason: str(r.reason) ?? str(r.refund) };
    if (last && status === 'refunded')
      out.push({
        ...base,
        status: 'refunded',
        action_id: str(r.id),
        occurred_at: modified,
        total: amount,
        items: [],
        extra,
      });
    else
      out.push({
        ...base,
        status: 'updated',
        action_id: `refund-${str(r.id)}`,
        occurred_at: modified,
        total: total === undefined ? undefined : round(Math.max(0, total - refundedSoFar)),
        extra,
      });
  });
  if (status === 'refunded' && !refunds.length)
    out.push({ ...base, status: 'refunded', occurred_at: modified, total: undefined, items: [] });
  if (status === 'cancelled')
    out.push({ ...base, status: 'cancelled', occurred_at: modified, total: undefined, items: [] });
  return out;
}
