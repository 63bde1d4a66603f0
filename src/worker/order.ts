// The order's state is folded from its stored events (never updated in place), so two events of one order
// arriving at once cannot race: each delivery folds the same history. created → paid → partial refunds subtract
// items and add to `refunded_total` → cancelled / fully refunded.
import type { CanonicalEvent, Consent, Customer, Item, Status } from './event';

export type OrderState = 'created' | 'paid' | 'delivered' | 'cancelled' | 'refunded';

export type FoldedOrder = {
  order_id: string;
  state: OrderState;
  paid: boolean;
  currency: string;
  /** What the customer pays now: the original total less refunds and cancellations. */
  total: number;
  original_total: number;
  refunded_total: number;
  cancelled_total: number;
  tax?: number;
  shipping?: number;
  discount?: number;
  /** Items still in the order (refunded / cancelled quantities taken out). */
  items: Item[];
  /** The order as it stood just before a refund or cancellation emptied it (vendors that need items send this). */
  closed_from?: { items: Item[]; total: number; tax?: number; shipping?: number };
  coupons?: string[];
  shop?: string;
  customer: Customer;
  consent?: Consent;
  page_url?: string;
  user_agent?: string;
  ip?: string;
  created_at: number;
  updated_at: number;
  event_count: number;
};

const RANK: Record<Status, number> = { created: 0, paid: 1, updated: 2, delivered: 3, refunded: 4, cancelled: 5 };

/** Money sums without float noise (0.1 + 0.2). */
export const round = (x: number): number => Math.round(x * 10_000) / 10_000;
export const lineTotal = (items: readonly Item[]): number =>
  round(items.reduce((sum, i) => sum + (i.price ?? 0) * i.quantity, 0));

/** Events in the order they happened; same second → lifecycle order. */
export function sortEvents<T extends Pick<CanonicalEvent, 'occurred_at' | 'status' | 'key'>>(
  events: readonly T[],
): T[] {
  return [...events].sort(
    (a, b) => a.occurred_at - b.occurred_at || RANK[a.status] - RANK[b.status] || (a.key < b.key ? -1 : 1),
  );
}

/** Later values win; an undefined one never erases a known value. */
function mergeCustomer(into: Customer, from: Customer): Customer {
  const out: Record<string, unknown> = { ...into };
  for (const k in from) {
    const val = from[k as keyof Customer];
    if (val !== undefined) out[k] = val;
  }
  return out as Customer;
}

/** Takes the given quantities out of `items`; returns what remains and the value taken. */
function subtractItems(items: Item[], taken: readonly Item[]): { items: Item[]; value: number } {
  let value = 0;
  const remaining = items.map((i) => ({ ...i }));
  for (const t of taken) {
    const hit = remaining.find((i) => i.id === t.id);
    const qty = Math.min(t.quantity, hit?.quantity ?? t.quantity);
    value += (t.price ?? hit?.price ?? 0) * qty;
    if (hit) hit.quantity -= qty;
  }
  return { items: remaining.filter((i) => i.quantity > 0), value: round(value) };
}

export function foldOrder(events: readonly CanonicalEvent[]): FoldedOrder {
  const sorted = sortEvents(events);
  const first = sorted[0];
  if (!first) throw new Error('foldOrder needs at least one event');
  // Every field is present from the start and only reassigned: one object shape instead of a spread copy that
  // grows key by key (BENCHMARKS.md). `satisfies` makes a field added to FoldedOrder fail to compile here until it
  // is given its starting value.
  const o: FoldedOrder = {
    order_id: first.order_id,
    state: 'created',
    paid: false,
    currency: first.currency,
    total: 0,
    original_total: 0,
    refunded_total: 0,
    cancelled_total: 0,
    tax: undefined,
    shipping: undefined,
    discount: undefined,
    items: [],
    closed_from: undefined,
    coupons: undefined,
    shop: undefined,
    customer: {},
    consent: undefined,
    page_url: undefined,
    user_agent: undefined,
    ip: undefined,
    created_at: first.occurred_at,
    updated_at: first.occurred_at,
    event_count: 0,
  } satisfies { [K in keyof Required<FoldedOrder>]: FoldedOrder[K] };
  for (const e of sorted) {
    o.customer = mergeCustomer(o.customer, e.customer);
    o.updated_at = e.occurred_at;
    o.event_count += 1;
    o.consent = e.consent ?? o.consent;
    o.page_url ??= e.context.page_url;
    o.user_agent ??= e.context.user_agent;
    o.ip ??= e.context.ip;
    o.shop = e.shop ?? o.shop;
    o.coupons = e.coupons ?? o.coupons;
    if (e.status === 'created' || e.status === 'paid' || e.status === 'updated') {
      o.currency = e.currency;
      if (e.items.length) o.items = e.items.map((i) => ({ ...i }));
      o.tax = e.tax ?? o.tax;
      o.shipping = e.shipping ?? o.shipping;
      o.discount = e.discount ?? o.discount;
      if (e.total !== undefined || e.items.length) {
        o.total = e.total ?? round(lineTotal(o.items) + (o.shipping ?? 0));
        o.original_total = round(o.total + o.refunded_total + o.cancelled_total);
      }
      if (e.status === 'paid') o.paid = true;
      if (e.status === 'paid' && o.state === 'created') o.state = 'paid';
    } else if (e.status === 'delivered') {
      if (o.state === 'created' || o.state === 'paid') o.state = 'delivered';
    } else {
      // refunded / cancelled: no items = the whole (remaining) order.
      const whole = e.items.length === 0;
      const { items, value } = whole ? { items: [], value: o.total } : subtractItems(o.items, e.items);
      const amount = round(Math.min(e.total ?? value, o.total));
      if (items.length === 0 && o.items.length)
        o.closed_from = { items: o.items, total: o.total, tax: o.tax, shipping: o.shipping };
      o.items = items;
      o.total = round(o.total - amount);
      if (e.status === 'refunded') o.refunded_total = round(o.refunded_total + amount);
      else o.cancelled_total = round(o.cancelled_total + amount);
      if (items.length === 0) o.state = e.status;
    }
  }
  return o;
}

/** A refund or cancellation that empties the order: vendors without partial semantics treat it as a cancel. */
export function isFinalNegative(order: FoldedOrder): boolean {
  return order.state === 'cancelled' || order.state === 'refunded';
}
