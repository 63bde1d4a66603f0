// Shared by the dataLayer normalisers: reading raw page values, the side data the snippet sends beside an entry
// (visitor ids, consent, GA4 user_data), and the one 400 every unusable entry gets. Normalisers copy raw values
// through and let the canonical schema (../event.ts) convert and check them; they only compute where a format's
// meaning differs from the canonical one (GA4 money, status names).
import * as v from 'valibot';
import { ConsentSchema, CustomerSchema, toIssues, type Issue } from '../event';
import { HttpError } from '../http';

export type Raw = Record<string, unknown>;

/** A canonical event input, not yet validated: ingest checks it with the one schema. */
export type Draft = Record<string, unknown>;

/** What the snippet collects beside the entry (envelope `ids`, `c`, `u`). */
export type Extras = { ids?: { lvid?: unknown; ym?: unknown; vt?: unknown }; consent?: unknown; userData?: unknown };

export type FormatName = 'mytracker' | 'ga4' | 'ua';

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
const absent = (x: unknown): boolean => x === undefined || x === null || (typeof x === 'string' && x.trim() === '');
export const first = (...xs: unknown[]): unknown => xs.find((x) => !absent(x));

/** Fields may sit flat on the entry or under `ecommerce`; `ecommerce` wins. */
export const fieldsOf = (entry: Raw): Raw => ({ ...entry, ...obj(entry.ecommerce) });

export function invalid(message: string, issues?: Issue[]): never {
  throw new HttpError(400, 'invalid_event', message, issues);
}

/** The order id, or a 400 naming where the format keeps it. */
export function orderId(id: unknown, where: string): unknown {
  if (absent(id)) invalid(`No order id: ${where} is missing`);
  return id;
}

/** Checks a raw entry's structure; issues name the raw fields as the snippet sent them (`e.ecommerce.items.0`). */
export function checkShape(schema: v.GenericSchema, entry: unknown, what: string): void {
  const result = v.safeParse(schema, entry);
  if (!result.success) invalid(`The ${what} entry has the wrong shape`, toIssues(result.issues, 'e'));
}

/** Numbers in text fields (an item_name of 123) become strings; anything else goes through for the schema to judge. */
export const text = (x: unknown): unknown => (typeof x === 'number' ? String(x) : x);

/** Drops absent values, so the schema's defaults apply and no key holds undefined. */
export function compact(o: Raw): Draft {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => !absent(x)));
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
  const numbers = [amount, ...parts.filter((p) => !absent(p))].map(toNumber);
  if (numbers.some((n) => n === undefined)) return amount;
  return Math.round((numbers as number[]).reduce((a, b) => a + b, 0) * 1e6) / 1e6;
}

/** Category levels, most general first: blanks dropped, at most the canonical five. */
export function categories(levels: unknown[]): string[] | undefined {
  const names = levels.map(text).filter((c): c is string => typeof c === 'string' && c.trim() !== '').map((c) => c.trim());
  return names.length ? names.slice(0, 5) : undefined;
}

/** A coupon string as the canonical one-element list. */
export const coupons = (coupon: unknown): unknown[] | undefined => (absent(coupon) ? undefined : [text(coupon)]);

/** The fields of `c` that pass the canonical customer schema one by one: page-collected data never sinks an order. */
function softCustomer(c: Raw): Draft {
  return Object.fromEntries(Object.entries(c).filter(([k, x]) => !absent(x) && v.safeParse(CustomerSchema, { [k]: x }).success));
}

const firstOf = (x: unknown): unknown => (Array.isArray(x) ? x[0] : x);

/**
 * GA4 user-provided data (https://support.google.com/google-ads/answer/13262500): email / email_address and
 * phone_number (a string or a list), address (an object or a list) with first_name, last_name, city, country.
 * The sha256_* variants are hashes we cannot send on, so they are ignored.
 */
export function fromUserData(userData: unknown): Draft {
  const u = obj(userData);
  const address = obj(firstOf(u.address));
  return {
    email: firstOf(first(u.email, u.email_address)), phone: firstOf(u.phone_number),
    first_name: address.first_name, last_name: address.last_name, city: address.city, country: address.country,
  };
}

/**
 * The canonical customer, weakest source first: visitor ids from cookies, user_data from an earlier
 * gtag('set'), user_data on the push, and the push's own `customer` (canonical names, checked strictly).
 * The first three are page-collected and only kept when valid.
 */
export function customerOf(fields: Raw, extras: Extras): unknown {
  const ids = obj(extras.ids);
  const collected = {
    ...softCustomer({ lvid: ids.lvid, ym_client_id: ids.ym, vt_user: ids.vt }),
    ...softCustomer(fromUserData(extras.userData)),
    ...softCustomer(fromUserData(fields.user_data)),
  };
  const own = fields.customer;
  if (absent(own)) return collected;
  return isObject(own) ? { ...collected, ...compact(own) } : own;
}

/** The Consent Mode keys the canonical event knows, where they hold `granted` or `denied`; undefined when none. */
export function consentOf(consent: unknown): Draft | undefined {
  const c = obj(consent);
  const known = Object.keys(ConsentSchema.entries).filter((k) => c[k] === 'granted' || c[k] === 'denied');
  return known.length ? Object.fromEntries(known.map((k) => [k, c[k]])) : undefined;
}
