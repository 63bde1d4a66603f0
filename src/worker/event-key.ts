// The event key makes every event idempotent: a reloaded thank-you page, the same purchase seen as `mt_order`
// and as GA4 `purchase`, and the back office posting the same payment all collapse into one stored event.
import type { CanonicalEvent, Context, EventInput } from './event';

/** order_id + status + action_id; refunds, cancellations and updates without one add a hash of what they change. */
export async function eventKey(
  e: Pick<EventInput, 'order_id' | 'status' | 'action_id' | 'items' | 'total'>,
): Promise<string> {
  const base = `${encodeURIComponent(e.order_id)}:${e.status}`;
  if (e.action_id !== undefined) return `${base}:${encodeURIComponent(e.action_id)}`;
  // Partial cancellations too (docs/design/event-model.md): MyTracker's CANCEL is per item, so two partial cancellations
  // of one order are two events; a whole-order cancellation (no items) happens once and keeps the plain key.
  const partialCancel = e.status === 'cancelled' && e.items.length > 0;
  if (e.status !== 'refunded' && e.status !== 'updated' && !partialCancel) return base;
  const what = JSON.stringify([e.items.map((i) => [i.id, i.quantity]).sort(), e.total ?? null]);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(what));
  const hex = [...new Uint8Array(digest).slice(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${base}:h${hex}`;
}

/** Completes a validated input with the key, defaults and the Worker-set context. */
export async function toCanonicalEvent(
  input: EventInput,
  context: Context,
  defaultCurrency: string,
): Promise<CanonicalEvent> {
  // One literal naming every field (undefined ones are left out when stored as JSON), cheaper than a rest-spread
  // copy plus added keys (BENCHMARKS.md). `satisfies` keeps a field added to the schema from being dropped here
  // silently.
  return {
    order_id: input.order_id,
    status: input.status,
    action_id: input.action_id,
    currency: input.currency ?? defaultCurrency,
    total: input.total,
    tax: input.tax,
    shipping: input.shipping,
    discount: input.discount,
    items: input.items,
    coupons: input.coupons,
    shop: input.shop,
    customer: input.customer,
    consent: input.consent,
    extra: input.extra,
    key: await eventKey(input),
    occurred_at: input.occurred_at ?? context.received_at,
    context,
  } satisfies { [K in keyof Required<CanonicalEvent>]: CanonicalEvent[K] };
}
