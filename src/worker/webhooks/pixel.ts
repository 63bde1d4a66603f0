// The Shopify custom pixel's report (visitor ids and consent for an order) and the one step of the ingest
// consumer that uses it. Trust rule (docs/platforms/shopify.md "Trust"): anyone can post here (a sandboxed pixel
// sends `Origin: null`), so a report never becomes an event or a delivery. It is kept as a hint and only merged
// into events of the same order that arrive through the signed Shopify webhook within 24 hours, and only into
// visitor ids and consent the webhook does not have. Its other job: a Shopify cancellation that also refunds is
// one cancellation, not a refund plus a cancellation (both webhooks fire; whichever is stored first stands).

import * as v from 'valibot';
import { orderEvents } from '../deliveries/store';
import type { IngestMessage } from '../env';
import type { CanonicalEvent, Consent, Customer } from '../event';
import { HttpError } from '../http';

export const HINT_WINDOW_MS = 24 * 3600 * 1000;

export type PixelHint = {
  order_id: string;
  received_at: number;
  customer: Pick<Customer, 'lvid' | 'ym_client_id' | 'vt_user'>;
  esputnik_sc?: string;
  consent?: Consent;
};
export type PixelMessage = { pixel: PixelHint };

/** A Shopify order id as the pixel may see it: a number, a numeric string or a GID ending in the number. */
const OrderId = v.pipe(
  v.union([v.string(), v.pipe(v.number(), v.integer(), v.transform(String))]),
  v.transform((s) => /(\d{1,20})$/.exec(s.trim())?.[1] ?? ''),
  v.regex(/^\d{1,20}$/, 'order_id is a Shopify order id'),
);
/** Cookie values: a bad one is dropped, never refuses the report (as for the snippet). */
const cookie = (re: RegExp) => v.fallback(v.optional(v.pipe(v.string(), v.trim(), v.regex(re))), undefined);
const Allowed = v.fallback(v.optional(v.boolean()), undefined);
const PixelBody = v.object({
  order_id: OrderId,
  ids: v.fallback(
    v.optional(
      v.object({
        lvid: cookie(/^[0-9a-zA-Z]{32}$/),
        ym: cookie(/^\d{1,32}$/),
        vt: cookie(/^[\x21-\x7e]{1,256}$/),
        sc: cookie(/^[\x21-\x7e]{1,256}$/),
      }),
    ),
    undefined,
  ),
  consent: v.fallback(v.optional(v.object({ analytics: Allowed, marketing: Allowed })), undefined),
});

const grant = (x: boolean | undefined): 'granted' | 'denied' | undefined =>
  x === undefined ? undefined : x ? 'granted' : 'denied';

/** Validates a pixel post into a hint; 400 when it names no order. */
export function parsePixel(body: unknown, now: number): PixelHint {
  const r = v.safeParse(PixelBody, body);
  if (!r.success)
    throw new HttpError(400, 'invalid_pixel', 'Expected {"order_id": <Shopify order id>, "ids": {…}, "consent": {…}}');
  const { order_id, ids, consent } = r.output;
  const customer = strip({ lvid: ids?.lvid, ym_client_id: ids?.ym, vt_user: ids?.vt });
  const c = consent
    ? strip({
        analytics_storage: grant(consent.analytics),
        ad_storage: grant(consent.marketing),
        ad_user_data: grant(consent.marketing),
        ad_personalization: grant(consent.marketing),
      })
    : undefined;
  return strip({
    order_id,
    received_at: now,
    customer,
    esputnik_sc: ids?.sc,
    consent: c && Object.keys(c).length ? c : undefined,
  });
}

function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
}

/** The webhook's event with what the pixel saw; the webhook's own values win. */
export function enrich(event: CanonicalEvent, hint: PixelHint): CanonicalEvent {
  if (Math.abs(hint.received_at - event.context.received_at * 1000) > HINT_WINDOW_MS) return event;
  return {
    ...event,
    customer: { ...hint.customer, ...strip(event.customer) },
    consent: event.consent ?? hint.consent,
    extra: { ...event.extra, pixel: strip({ received_at: hint.received_at, esputnik_sc: hint.esputnik_sc }) },
  };
}

const wrap = (m: Message<unknown>, event: CanonicalEvent): Message<IngestMessage> => ({
  id: m.id,
  timestamp: m.timestamp,
  attempts: m.attempts,
  body: { event },
  ack: () => m.ack(),
  retry: (options) => m.retry(options),
});

const refundIds = (e: CanonicalEvent): string[] => {
  const ids = e.extra?.refund_ids;
  return Array.isArray(ids) ? ids.map(String) : [];
};

/**
 * Runs before the engine's ingest consumer: stores pixel hints (and acknowledges them: they are never events),
 * merges stored hints into Shopify events, and drops the second half of a Shopify cancel-and-refund. Costs one
 * D1 batch for the hints and, when the batch holds Shopify events, one D1 batch of two reads.
 */
export async function prepareIngest(
  messages: readonly Message<IngestMessage | PixelMessage>[],
  db: D1Database,
  now: number,
): Promise<Message<IngestMessage>[]> {
  const hints = messages.flatMap((m) => ('pixel' in m.body ? [m.body.pixel] : []));
  if (hints.length) {
    await db.batch([
      db
        .prepare(
          `INSERT OR IGNORE INTO pixel_hints (order_id, received_at, body)
           SELECT json_extract(value, '$.order_id'), json_extract(value, '$.received_at'), value FROM json_each(?1)`,
        )
        .bind(JSON.stringify(hints)),
      db.prepare(`DELETE FROM pixel_hints WHERE received_at < ?1`).bind(now - HINT_WINDOW_MS),
    ]);
  }
  const events: { m: Message<unknown>; event: CanonicalEvent }[] = [];
  for (const m of messages) {
    if ('pixel' in m.body) m.ack();
    else events.push({ m, event: m.body.event });
  }
  const shopify = events.filter((x) => x.event.context.source === 'shopify');
  if (!shopify.length) return events.map(({ m, event }) => wrap(m, event));

  const orderIds = JSON.stringify([...new Set(shopify.map((x) => x.event.order_id))]);
  const [hintRows, stored] = await Promise.all([
    db
      .prepare(`SELECT body FROM pixel_hints WHERE order_id IN (SELECT value FROM json_each(?1))`)
      .bind(orderIds)
      .all<{ body: string }>(),
    // Stored bodies are compressed: the delivery engine reads them (src/worker/deliveries/store.ts).
    orderEvents(db, JSON.parse(orderIds) as string[]),
  ]);
  const negatives = {
    results: stored.filter(
      (e) => e.context.source === 'shopify' && (e.status === 'refunded' || e.status === 'cancelled'),
    ),
  };
  const hintOf = new Map<string, PixelHint>();
  for (const r of hintRows?.results ?? []) {
    const h = JSON.parse(r.body) as PixelHint;
    hintOf.set(h.order_id, h);
  }
  // Refund ids already standing as refunds, and refund ids a stored cancellation already covers, per order.
  const refunded = new Set<string>();
  const coveredByCancel = new Set<string>();
  for (const e of negatives.results) {
    if (e.status === 'refunded' && e.action_id) refunded.add(`${e.order_id}\n${e.action_id}`);
    if (e.status === 'cancelled') for (const id of refundIds(e)) coveredByCancel.add(`${e.order_id}\n${id}`);
  }
  const kept: Message<IngestMessage>[] = [];
  // Cancellations first, so that within one batch the cancellation stands and its refund is dropped.
  const ordered = [...events].sort(
    (a, b) => Number(b.event.status === 'cancelled') - Number(a.event.status === 'cancelled'),
  );
  for (const { m, event } of ordered) {
    if (event.context.source !== 'shopify') {
      kept.push(wrap(m, event));
      continue;
    }
    const id = (x: string) => `${event.order_id}\n${x}`;
    if (event.status === 'refunded' && event.action_id && coveredByCancel.has(id(event.action_id))) {
      m.ack();
      continue;
    }
    const own = refundIds(event);
    if (event.status === 'cancelled' && own.length && own.every((r) => refunded.has(id(r)))) {
      m.ack();
      continue;
    }
    if (event.status === 'cancelled') for (const r of own) coveredByCancel.add(id(r));
    if (event.status === 'refunded' && event.action_id) refunded.add(id(event.action_id));
    const hint = hintOf.get(event.order_id);
    kept.push(wrap(m, hint ? enrich(event, hint) : event));
  }
  return kept;
}
