// VTmarketing server-side events: https://help.vtcdn.net/kb/serverside-integration/
// (docs/vendors/vtmarketing.md). `POST /v1/event/` (trailing slash as documented),
// `Authorization: <api key>` bare, one `confirmation` per order: the vendor drops later events with the same
// orderId (help.vtcdn.net/kb/confirmation-event/) and has no refund or cancel API.

import type { RateLimit } from '../deliveries/pacing';
import type { CanonicalEvent, Customer, Item } from '../event';
import { type FoldedOrder, lineTotal, round } from '../order';
import { classifyHttp, str, trimSlash } from './http';
import type { Plan, Skip, Vendor, VendorRequest, Work } from './types';

export const VTMARKETING_BASE_URL = 'https://api.vtcdn.net';
export const VTMARKETING_EVENT_PATH = '/v1/event/';

export type VtMarketingConfig = { baseUrl: string; apiKey: string };

type VtUser = { email: string; tel?: string; firstname?: string; lastname?: string; country?: string; city?: string };
type VtGeneric = {
  orderId: string;
  total: number;
  coupons?: string[];
  currency: string;
  total_shipping?: number;
  phone?: string;
};
type VtItem = { id: string; quantity: number };
/** The documented body: `{user, event: {confirmation: {generic, items}}}`; field names are case-sensitive. */
export type VtConfirmation = { user: VtUser; event: { confirmation: { generic: VtGeneric; items?: VtItem[] } } };

/** A value, or undefined for an empty one (JSON.stringify then leaves the field out). */
const given = <T>(x: T | undefined): T | undefined => (x === '' ? undefined : x);
/** This event's own value when it has one, else what the order's other events said. */
const own = <T>(mine: T | undefined, order: T | undefined): T | undefined => given(mine) ?? order;

/** The customer as best known: every event of the order, this event's own values on top. */
function customerOf(
  event: CanonicalEvent,
  order: FoldedOrder,
): Pick<Customer, 'email' | 'phone' | 'first_name' | 'last_name' | 'country' | 'city'> {
  const e = event.customer;
  const o = order.customer;
  return {
    email: own(e.email, o.email),
    phone: own(e.phone, o.phone),
    first_name: own(e.first_name, o.first_name),
    last_name: own(e.last_name, o.last_name),
    country: own(e.country, o.country),
    city: own(e.city, o.city),
  };
}

/**
 * The order as this created/paid event states it, falling back to the order just before it (a `paid` event
 * often carries only the status). Not the latest state: a refund folded in meanwhile must not shrink the purchase.
 */
function purchase(
  event: CanonicalEvent,
  before: FoldedOrder | null,
): { items: Item[]; total: number; shipping?: number; coupons?: string[] } {
  const items = event.items.length ? event.items : (before?.items ?? []);
  const shipping = event.shipping ?? before?.shipping;
  const total =
    event.total ?? (event.items.length || !before ? round(lineTotal(items) + (shipping ?? 0)) : before.total);
  return { items, total, shipping, coupons: event.coupons ?? before?.coupons };
}

/** The confirmation body for a created/paid event, or the reason it cannot be sent. */
export function toVtConfirmation({ event, order, before }: Work): VtConfirmation | string {
  const c = customerOf(event, order);
  if (!c.email) return 'no_identifier';
  const p = purchase(event, before);
  // Fixed-shape literals with `undefined` for absent fields, which JSON.stringify leaves out (see mytracker.ts).
  const user: VtUser = {
    email: c.email,
    tel: given(c.phone),
    firstname: given(c.first_name),
    lastname: given(c.last_name),
    country: given(c.country),
    city: given(c.city),
  };
  // `status` appears in the docs' example ("order_status") but not in its field table, and no page says what
  // values it takes (docs/vendors/vtmarketing.md). The vendor keeps only the first confirmation per orderId, so a status
  // would stay frozen at its first value anyway: it is not sent.
  const generic: VtGeneric = {
    orderId: event.order_id,
    total: p.total, // "[float] including shipping" = our `total`
    currency: event.currency,
    coupons: p.coupons?.length ? p.coupons : undefined,
    total_shipping: p.shipping,
    phone: c.phone || undefined,
  };
  // Items are optional but "strongly recommended"; ids must match the product feed. A zero quantity means nothing.
  const items = p.items.filter((i) => i.quantity > 0).map((i) => ({ id: i.id, quantity: i.quantity }));
  return { user, event: { confirmation: { generic, items: items.length ? items : undefined } } };
}

function request(config: VtMarketingConfig, body: VtConfirmation, key: string): VendorRequest {
  return {
    method: 'POST',
    url: `${config.baseUrl}${VTMARKETING_EVENT_PATH}`,
    headers: { Authorization: config.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    keys: [key],
  };
}

export const vtmarketing: Vendor<VtMarketingConfig> = {
  name: 'vtmarketing',
  label: 'VTmarketing',
  mode: 'queue',
  consentKey: 'ad_user_data',
  secrets: ['VTMARKETING_API_KEY'],

  parseConfig(env) {
    const apiKey = str(env, 'VTMARKETING_API_KEY');
    if (!apiKey) return null;
    return { apiKey, baseUrl: trimSlash(str(env, 'VTMARKETING_BASE_URL') ?? VTMARKETING_BASE_URL) };
  },

  plan(work, config): Plan {
    const requests: VendorRequest[] = [];
    const skipped: Skip[] = [];
    // Orders confirmed by an earlier delivery or by a request planned above: the first confirmation wins.
    const confirmed = new Set<string>();
    for (const w of work) {
      const { event } = w;
      if (event.status === 'refunded' || event.status === 'cancelled') {
        skipped.push({ key: event.key, reason: 'no_api' });
        continue;
      }
      if (event.status !== 'created' && event.status !== 'paid') {
        skipped.push({ key: event.key, reason: 'no_meaning' });
        continue;
      }
      const alreadySent = w.sent.some((s) => s.status === 'created' || s.status === 'paid');
      if (alreadySent || confirmed.has(event.order_id)) {
        skipped.push({ key: event.key, reason: 'already_confirmed' });
        continue;
      }
      const body = toVtConfirmation(w);
      if (typeof body === 'string') {
        skipped.push({ key: event.key, reason: body });
        continue;
      }
      confirmed.add(event.order_id);
      requests.push(request(config, body, event.key));
    }
    return { requests, skipped };
  },

  // 200 {"results":{…}}; any other status is an error {"errors":[{message, description}]}.
  classify: classifyHttp,
};

/**
 * VTmarketing publishes no limit: 100 requests/s is an assumption (VTMARKETING_MAX_PER_SECOND overrides it).
 */
export const RATE_LIMIT: RateLimit = {
  max: 100,
  windowMs: 1000,
  env: 'VTMARKETING_MAX_PER_SECOND',
  requestsPerEvent: 1,
  assumed: true,
};
