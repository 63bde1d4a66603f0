// Browser bodies → canonical browse event input (./event.ts). The every-page snippet (src/client/browse.ts) posts
// the RAW dataLayer entry to `/o` in an envelope, as it does for orders; ingest tells the two apart by the entry's
// event name (isBrowseBody). Formats, as for orders (object pushes and gtag('event', …) arguments alike):
//   GA4  page_view → page; view_item → product; view_item_list with item_list_id / item_list_name → category;
//        add_to_cart, remove_from_cart, view_cart → cart
//        (https://developers.google.com/analytics/devguides/collection/ga4/reference/events);
//   UA / Yandex  ecommerce.detail → product; ecommerce.add, ecommerce.remove → cart
//        (https://developers.google.com/analytics/devguides/collection/ua/gtm/enhanced-ecommerce,
//        https://yandex.ru/support/metrica/ecommerce/data.html).
// The snippet keeps the whole cart: a cart entry arrives with `k`, the cart after the change, so the event carries
// the cart and not the change (eSputnik's cartUpdated). Items are mapped with the order normalisers' item readers.
//
// The browse envelope, `POST /o` as text/plain JSON (a contract with every deployed snippet: add keys, never rename):
//   { "v": 1,
//     "e": <entry>,                     the dataLayer entry; gtag() `arguments` as an array; a page view is
//                                       { "event": "page_view" }
//     "k"?: { "i": "<state id>",        the cart after this entry (cart entries only): a new id per state,
//             "p": [<item>, …] },       and the raw GA4 items / UA products, quantities applied
//     "d"?: { "email"?, "phone"? },     identity the shop renders on the script tag (data-email, data-phone)
//     "u"?: { email?, … },              GA4 user_data from the latest gtag('set', 'user_data', {…})
//     "g"?: [[command, …], …],          the page's gtag() commands in order (the snippet sends these instead of
//                                       c and u): consent commands without a region, and set user_data
//     "ids"?: { "sc"? },                eSputnik's visitor cookie
//     "c"?: { ad_storage?, … },         Consent Mode state, merged in order
//     "url": "https://…" }              location.href
import * as v from 'valibot';
import { CustomerSchema, toIssues } from '../event';
import { HttpError } from '../http';
import { absent, consentOf, type Draft, first, isObject, list, obj, type Raw, text } from '../normalize/common';
import { fromGa4Item } from '../normalize/ga4';
import { fromUaProduct } from '../normalize/ua';
import type { BrowseType } from './event';

const GA4_TYPES: Readonly<Record<string, BrowseType>> = {
  page_view: 'page',
  view_item: 'product',
  view_item_list: 'category',
  add_to_cart: 'cart',
  remove_from_cart: 'cart',
  view_cart: 'cart',
};

export const BrowseEnvelopeSchema = v.object({
  v: v.literal(1, 'v: only envelope version 1 is known'),
  e: v.unknown(),
  k: v.optional(
    v.object({
      i: v.string('k.i must be the cart state id'),
      p: v.pipe(v.array(v.unknown(), 'k.p must be a list of items'), v.maxLength(500, 'At most 500 items')),
    }),
  ),
  d: v.optional(v.unknown()),
  u: v.optional(v.unknown()),
  g: v.optional(v.pipe(v.array(v.unknown()), v.maxLength(200, 'At most 200 gtag commands'))),
  ids: v.optional(v.object({ sc: v.optional(v.unknown()) })),
  c: v.optional(v.unknown()),
  url: v.optional(v.string()),
});
/** What the every-page snippet sends (it imports this type only). */
export type BrowseEnvelope = v.InferInput<typeof BrowseEnvelopeSchema>;

function invalid(message: string, issues?: { path: string; message: string }[]): never {
  throw new HttpError(400, 'invalid_event', message, issues);
}

/** gtag('event', name, params) → `{...params, event: name}`; anything else stays as it is. */
function asObject(entry: unknown): unknown {
  if (!Array.isArray(entry)) return entry;
  const [command, name, params] = entry;
  return command === 'event' && typeof name === 'string' ? { ...obj(params), event: name } : entry;
}

/** The UA / Yandex action of an entry: detail, add or remove (an object under `ecommerce`), if any. */
function uaAction(x: Raw): 'detail' | 'add' | 'remove' | undefined {
  const ec = obj(x.ecommerce);
  return isObject(ec.detail) ? 'detail' : isObject(ec.add) ? 'add' : isObject(ec.remove) ? 'remove' : undefined;
}

/** What kind of browse entry this is (UA first: GTM's UA setups push GA4-looking event names), or undefined. */
export function browseTypeOf(entry: unknown): BrowseType | undefined {
  const x = asObject(entry);
  if (!isObject(x)) return undefined;
  const ec = obj(x.ecommerce);
  // An order push is never a browse entry, whatever else it carries.
  if (isObject(ec.purchase) || isObject(ec.refund)) return undefined;
  const action = uaAction(x);
  if (action) return action === 'detail' ? 'product' : 'cart';
  return typeof x.event === 'string' && Object.hasOwn(GA4_TYPES, x.event) ? GA4_TYPES[x.event] : undefined;
}

/** A body for the browse path: an envelope whose entry is a browse entry. */
export function isBrowseBody(body: unknown): boolean {
  return isObject(body) && body.v === 1 && browseTypeOf(body.e) !== undefined;
}

/** A raw item of either format: GA4 names its fields item_*, UA does not. */
const fromAnyItem = (i: Raw): Draft =>
  i.item_id !== undefined || i.item_name !== undefined ? fromGa4Item(i) : fromUaProduct(i);

const keep = (schema: v.GenericSchema, x: unknown): unknown => (!absent(x) && v.is(schema, x) ? x : undefined);
const firstOf = (x: unknown): unknown => (Array.isArray(x) ? x[0] : x);

/**
 * The visitor, weakest source first: the script tag's data-email / data-phone, the latest gtag user_data, user_data
 * on the push, the push's own `customer`. Each value is kept only when valid (page data never sinks an event).
 */
function customerOf(x: Raw, d: unknown, u: unknown, sc: unknown): Draft {
  const sources = [obj(d), obj(u), obj(x.user_data), obj(obj(x.ecommerce).user_data), obj(x.customer)];
  const out: Draft = {};
  for (const s of sources) {
    const email = keep(CustomerSchema.entries.email, firstOf(first(s.email, s.email_address)));
    const phone = keep(CustomerSchema.entries.phone, text(firstOf(first(s.phone, s.phone_number))));
    const id = keep(CustomerSchema.entries.id, text(s.id));
    if (email !== undefined) out.email = email;
    if (phone !== undefined) out.phone = phone;
    if (id !== undefined) out.id = id;
  }
  if (typeof sc === 'string' && /^[0-9A-Za-z-]{1,64}$/.test(sc)) out.sc = sc;
  return out;
}

/**
 * Consent and user_data from gtag() commands in page order: consent commands merged (those limited to a `region`
 * are left out: the page's own region is unknown here), and the last user_data set.
 */
function fromGtag(commands: readonly unknown[]): { consent: Raw; userData: unknown } {
  const consent: Raw = {};
  let userData: unknown;
  for (const c of commands) {
    if (!Array.isArray(c)) continue;
    const [command, a, b] = c;
    if (command === 'consent' && isObject(b) && b.region === undefined) Object.assign(consent, b);
    if (command === 'set') userData = (a === 'user_data' ? b : obj(a).user_data) ?? userData;
  }
  return { consent, userData };
}

/** An envelope → unvalidated canonical browse input (`occurred_at` is the Worker's to set). */
export function fromBrowseEnvelope(body: unknown): Draft {
  const parsed = v.safeParse(BrowseEnvelopeSchema, body);
  if (!parsed.success) invalid('The body is not a valid snippet envelope', toIssues(parsed.issues));
  const { e, k, d, ids, url } = parsed.output;
  const g = fromGtag(parsed.output.g ?? []);
  const c = parsed.output.c ?? g.consent;
  const u = parsed.output.u ?? g.userData;
  const type = browseTypeOf(e);
  const x = asObject(e);
  if (!type || !isObject(x)) return invalid('Not a browse entry');
  const ec = obj(x.ecommerce);
  const f = (key: string): unknown => (Object.hasOwn(ec, key) ? ec[key] : x[key]);
  const action = uaAction(x);
  const out: Draft = {
    type,
    url: first(f('page_location'), url),
    currency: text(first(f('currency'), ec.currencyCode)),
    customer: customerOf(x, d, u, ids?.sc),
    consent: consentOf(c),
  };
  if (type === 'product') {
    const products = action ? list(obj(ec[action]).products) : list(f('items'));
    out.items = products.slice(0, 1).map(action ? fromUaProduct : fromGa4Item);
    out.in_stock = products[0]?.in_stock;
  }
  if (type === 'category') {
    const firstItem = obj(list(f('items'))[0]);
    out.category = text(
      first(f('item_list_id'), f('item_list_name'), firstItem.item_list_id, firstItem.item_list_name),
    );
  }
  if (type === 'cart') {
    // The event carries the cart, not the change: the snippet's copy of the whole cart after this entry.
    if (!k) invalid('A cart entry needs the whole cart beside it (k)');
    out.cart_id = k.i;
    out.items = k.p.filter(isObject).map(fromAnyItem);
  }
  return out;
}
