// Shared by the dataLayer normalisers: reading raw page values, the side data the snippet sends beside an entry
// (visitor ids, consent, GA4 user_data), and the one 400 every unusable entry gets. Normalisers copy raw values
// through and let the canonical schema (../event.ts) convert and check them; they only compute where a format's
// meaning differs from the canonical one (GA4 money, status names).
import * as v from 'valibot';
import { ConsentSchema, CustomerSchema, type Issue, toIssues } from '../event';
import { HttpError } from '../http';

export type Raw = Record<string, unknown>;

/** A canonical event input, not yet validated: ingest checks it with the one schema. */
export type Draft = Record<string, unknown>;

/**
 * What the snippet collects beside the entry (envelope `ids`, `c` / `cs`, `u`, `m`). `model` is GTM's merged data
 * model of the container before this entry: page-level pushes that name the currency or the customer.
 */
export type Extras = {
  ids?: { lvid?: unknown; ym?: unknown; vt?: unknown };
  consent?: unknown;
  userData?: unknown;
  model?: unknown;
};

export type FormatName = 'mytracker' | 'ga4' | 'ua' | 'classic';

/** One page format: whether an entry is its own, and the canonical event input it means. */
export type Format = {
  name: FormatName;
  /** `entry` is an object; gtag() arguments were already turned into `{ event, ...params }`. */
  matches(entry: Raw): boolean;
  toEvent(entry: Raw, extras: Extras): Draft;
};

export const isObject = (x: unknown): x is Raw => typeof x === 'object' && x !== null && !Array.isArray(x);
export const obj = (x: unknown): Raw => (isObject(x) ? x : {});
export const list = (x: unknown): Raw[] => (Array.isArray(x) ? x.filter(isObject) : []);

/** Shops render empty template variables as '' or null: those mean "absent". */
export const absent = (x: unknown): boolean =>
  x === undefined || x === null || (typeof x === 'string' && x.trim() === '');
export function first(...xs: unknown[]): unknown {
  for (const x of xs) if (!absent(x)) return x;
  return undefined;
}

/** Reads one field of an entry: see fieldsOf. */
export type Fields = (key: string) => unknown;

/**
 * Fields may sit flat on the entry or under `ecommerce`; `ecommerce` wins, exactly as in `{ ...entry, ...ecommerce }`
 * (own keys only). A reader rather than that merged copy: copying every field of the entry was a hot spot.
 */
export function fieldsOf(entry: Raw): Fields {
  const ec = obj(entry.ecommerce);
  return (key) => (Object.hasOwn(ec, key) ? ec[key] : Object.hasOwn(entry, key) ? entry[key] : undefined);
}

export function invalid(message: string, issues?: Issue[]): never {
  throw new HttpError(400, 'invalid_event', message, issues);
}

/** The order id, or a 400 naming where the format keeps it. */
export function orderId(id: unknown, where: string): unknown {
  if (absent(id)) invalid(`No order id: ${where} is missing`);
  return id;
}

/**
 * Checks a raw entry's structure; issues name the raw fields as the snippet sent them (`e.ecommerce.items.0`).
 * Shapes use v.object, not v.looseObject: both accept unknown keys with the same issues, and only the issues are
 * used here, while looseObject would copy every field of the entry and its items.
 */
export function checkShape(schema: v.GenericSchema, entry: unknown, what: string): void {
  const result = v.safeParse(schema, entry);
  if (!result.success) invalid(`The ${what} entry has the wrong shape`, toIssues(result.issues, 'e'));
}

/** Numbers in text fields (an item_name of 123) become strings; anything else goes through for the schema to judge. */
export const text = (x: unknown): unknown => (typeof x === 'number' ? String(x) : x);

/** Sets an own data property, like Object.fromEntries or a spread: a JSON `"__proto__"` key stays plain data. */
function put(o: Draft, k: string, x: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
  else o[k] = x;
}

/**
 * Drops absent values, so the schema's defaults apply and no key holds undefined. `o` is a fresh literal the
 * caller built: when nothing is absent it is returned as it is (usual for a complete order, and no copy is cheaper
 * than any copy); else the present keys are copied in order into a new object.
 */
export function compact(o: Raw): Draft {
  let complete = true;
  for (const k in o)
    if (absent(o[k])) {
      complete = false;
      break;
    }
  return complete ? o : copyPresent({}, o);
}

/** Copies `from`'s present values into `out`, in key order (later keys overwrite, as a spread would). */
function copyPresent(out: Draft, from: Raw): Draft {
  for (const k of Object.keys(from)) {
    const x = from[k];
    if (!absent(x)) put(out, k, x);
  }
  return out;
}

/** A number or a numeric string as a number; undefined for anything else. */
export function toNumber(x: unknown): number | undefined {
  if (typeof x === 'number') return Number.isFinite(x) ? x : undefined;
  if (typeof x === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(x)) return Number(x);
  return undefined;
}

/**
 * `amount` plus the parts present, without float noise. When any of them is not a number, `amount` goes through
 * unchanged: the schema then reports the bad field by its canonical name instead of us guessing.
 */
export function addMoney(amount: unknown, ...parts: unknown[]): unknown {
  if (absent(amount)) return undefined;
  let sum = 0;
  for (const x of [amount, ...parts]) {
    if (absent(x)) continue;
    const n = toNumber(x);
    if (n === undefined) return amount;
    sum += n;
  }
  return Math.round(sum * 1e6) / 1e6;
}

/** Category levels, most general first: blanks dropped, at most the canonical five. */
export function categories(levels: unknown[]): string[] | undefined {
  const names: string[] = [];
  for (const level of levels) {
    const c = text(level);
    if (typeof c === 'string' && c.trim() !== '') names.push(c.trim());
    if (names.length === 5) break;
  }
  return names.length ? names : undefined;
}

/** A coupon string as the canonical list; GTM4WP joins several with ", " (ProductData.php). */
export function coupons(coupon: unknown): unknown[] | undefined {
  if (absent(coupon)) return undefined;
  const c = text(coupon);
  return typeof c === 'string'
    ? c
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : [c];
}

type CustomerField = keyof typeof CustomerSchema.entries;

/**
 * Keeps a page-collected customer value when it passes its field of the canonical customer schema: page data never
 * sinks an order. The field's own schema decides exactly as the whole CustomerSchema would on `{ [k]: x }` (the other
 * fields are optional), without building an object and walking every field per value. (v.is stops at the first
 * issue, which does not change whether there is one.)
 */
function keepValid(out: Draft, k: CustomerField, x: unknown): void {
  if (!absent(x) && v.is(CustomerSchema.entries[k], x)) out[k] = x;
}

const firstOf = (x: unknown): unknown => (Array.isArray(x) ? x[0] : x);

/**
 * GA4 user-provided data (https://support.google.com/google-ads/answer/13262500): email / email_address and
 * phone_number (a string or a list), address (an object or a list) with first_name, last_name, city, country.
 * The sha256_* variants are hashes we cannot send on, so they are ignored. The valid ones go into `out`.
 */
function keepUserData(out: Draft, userData: unknown): void {
  const u = obj(userData);
  const address = obj(firstOf(u.address));
  keepValid(out, 'email', firstOf(first(u.email, u.email_address)));
  keepValid(out, 'phone', firstOf(u.phone_number));
  keepValid(out, 'first_name', address.first_name);
  keepValid(out, 'last_name', address.last_name);
  keepValid(out, 'city', address.city);
  keepValid(out, 'country', address.country);
}

/**
 * GTM4WP's "customer data in data layer" (duracelltomi/gtm4wp src/Modules/WooCommerce/PageDataLayer.php,
 * add_customer_data): the logged-in customer's billing details as flat `customerBilling*` keys of a push.
 */
function keepGtm4wpVisitor(out: Draft, push: Raw): void {
  keepValid(out, 'email', push.customerBillingEmail);
  keepValid(out, 'phone', push.customerBillingPhone);
  keepValid(out, 'first_name', push.customerBillingFirstName);
  keepValid(out, 'last_name', push.customerBillingLastName);
  keepValid(out, 'city', push.customerBillingCity);
  keepValid(out, 'country', push.customerBillingCountry);
}

/**
 * GTM4WP's `orderData.customer` (ProductData.php, get_raw_order_datalayer): the order's own buyer, so it beats
 * the logged-in visitor's `customerBilling*`. A guest's customer id is 0: no id.
 */
function keepGtm4wpOrder(out: Draft, orderData: Raw): void {
  const customer = obj(orderData.customer);
  const billing = obj(customer.billing);
  if (customer.id !== 0 && customer.id !== '0') keepValid(out, 'id', text(customer.id));
  keepValid(out, 'email', billing.email);
  keepValid(out, 'phone', billing.phone);
  keepValid(out, 'first_name', billing.first_name);
  keepValid(out, 'last_name', billing.last_name);
  keepValid(out, 'city', billing.city);
  keepValid(out, 'country', billing.country);
}

/** GTM's data model before the entry (envelope `m`); `{}` when the snippet sent none. */
export const modelOf = (extras: Extras): Raw => obj(extras.model);

/** The currency a page-level push named (MagePal: `{ecommerce: {currencyCode}}` before the order push). */
export function modelCurrency(extras: Extras): unknown {
  const ec = obj(modelOf(extras).ecommerce);
  return text(first(ec.currencyCode, ec.currency, modelOf(extras).transactionCurrency));
}

/**
 * The canonical customer, weakest source first: visitor ids from cookies, the page-level pushes before the entry
 * (GTM's data model: GTM4WP `customerBilling*`), user_data from an earlier gtag('set'), the entry's own
 * `customerBilling*`, GTM4WP `orderData.customer`, user_data on the push, and the push's own `customer`
 * (canonical names, checked strictly). All but the last are page-collected and only kept when valid. Later
 * sources overwrite earlier ones in place, so keys keep the order a chain of spreads would give.
 */
export function customerOf(field: Fields, extras: Extras, entry: Raw = {}): unknown {
  const own = field('customer');
  if (!absent(own) && !isObject(own)) return own;
  const ids = obj(extras.ids);
  const model = modelOf(extras);
  const out: Draft = {};
  keepValid(out, 'lvid', ids.lvid);
  keepValid(out, 'ym_client_id', ids.ym);
  keepValid(out, 'vt_user', ids.vt);
  keepGtm4wpVisitor(out, model);
  keepUserData(out, model.user_data);
  keepUserData(out, extras.userData);
  keepGtm4wpVisitor(out, entry);
  keepGtm4wpOrder(out, obj(entry.orderData));
  keepUserData(out, field('user_data'));
  return isObject(own) ? copyPresent(out, own) : out;
}

const CONSENT_KEYS = Object.keys(ConsentSchema.entries);

/** The Consent Mode keys the canonical event knows, where they hold `granted` or `denied`; undefined when none. */
export function consentOf(consent: unknown): Draft | undefined {
  const c = obj(consent);
  let out: Draft | undefined;
  for (const k of CONSENT_KEYS) {
    const x = c[k];
    if (x === 'granted' || x === 'denied') out = { ...out, [k]: x };
  }
  return out;
}
