// The canonical order event: the public back-office API (`POST /v1/events`) and what every dataLayer
// normaliser produces and every vendor module consumes. Field names are a contract (README "Back-office API");
// change them only behind a new versioned endpoint. Money: `total` is what the customer pays (tax and
// shipping included); item `price` is the unit price after the item's discount; `tax_rate` is a percent.
import * as v from 'valibot';

export const STATUSES = ['created', 'paid', 'cancelled', 'refunded', 'delivered', 'updated'] as const;
export type Status = (typeof STATUSES)[number];

/** Numbers arrive as numbers or numeric strings (MyTracker's own examples send "11.90"); output is a number. */
const NumberLike = v.union(
  [
    v.pipe(v.number(), v.finite()),
    v.pipe(v.string(), v.trim(), v.regex(/^-?\d{1,15}(\.\d{1,6})?$/, 'Invalid number'), v.transform(Number)),
  ],
  'Expected a number or a numeric string',
);
const Money = v.pipe(NumberLike, v.minValue(0, 'Must not be negative'), v.maxValue(1e12, 'Too large'));
const Quantity = v.pipe(NumberLike, v.minValue(0, 'Must not be negative'), v.maxValue(1e6, 'Too large'));
const Str = (max: number) => v.pipe(v.string(), v.trim(), v.maxLength(max));
/** A lone UTF-16 surrogate (JSON allows "\ud800"): ids go into event keys and URLs, which need real text. */
const LONE_SURROGATE = /\p{Cs}/u;
const Id = (max: number) =>
  v.pipe(
    v.union([v.string(), v.pipe(v.number(), v.finite(), v.transform(String))], 'Expected a string'),
    v.trim(),
    v.minLength(1, 'Must not be empty'),
    v.maxLength(max),
    v.check((s) => !LONE_SURROGATE.test(s), 'Must be valid Unicode text (no lone surrogate)'),
  );
/** Shops render empty template variables: '' and null mean "absent". */
const blankToUndefined = (x: unknown): unknown => (x === '' || x === null ? undefined : x);

/**
 * `v.optional(schema)` that also takes '' and null as absent, from valibot's public API: the outer optional lets
 * the key be missing, the transform turns a blank into undefined, and the inner optional lets that through. Any
 * other value is validated by `schema` with its own issues (a bad value refuses the event; it is not dropped).
 */
const Opt = <T extends v.GenericSchema>(schema: T) =>
  v.optional(v.pipe(v.unknown(), v.transform(blankToUndefined), v.optional(schema)));

export const ItemSchema = v.object({
  id: Id(128),
  name: v.optional(Str(512)),
  quantity: v.optional(Quantity, 1),
  price: Opt(Money),
  discount: Opt(Money),
  brand: Opt(Str(256)),
  variant: Opt(Str(256)),
  categories: v.optional(v.pipe(v.array(Str(256)), v.maxLength(5, 'At most 5 categories'))),
  coupon: Opt(Str(128)),
  url: Opt(Str(2048)),
  image_url: Opt(Str(2048)),
  tax_rate: Opt(v.pipe(NumberLike, v.minValue(0), v.maxValue(100, 'tax_rate is a percent (0..100)'))),
  // Where the item was sold and shown (GA4's and MyTracker's item parameters, docs/page-formats.md).
  affiliation: Opt(Str(256)),
  index: Opt(v.pipe(NumberLike, v.integer('index is a whole number'), v.minValue(0), v.maxValue(1e6))),
  list_id: Opt(Str(256)),
  list_name: Opt(Str(256)),
  location_id: Opt(Str(256)),
});

const AppIdsSchema = v.object({
  instance_id: Opt(Str(64)),
  gaid: Opt(Str(64)),
  app_set_id: Opt(Str(64)),
  android_id: Opt(Str(64)),
  idfa: Opt(Str(64)),
  ios_vendor_id: Opt(Str(64)),
});

export const CustomerSchema = v.object({
  id: Opt(Id(1024)),
  email: Opt(v.pipe(Str(254), v.email('Invalid email'))),
  phone: Opt(v.pipe(Str(32), v.regex(/^\+?[\d\s().-]{5,32}$/, 'Invalid phone'))),
  first_name: Opt(Str(128)),
  last_name: Opt(Str(128)),
  city: Opt(Str(128)),
  country: Opt(Str(128)),
  lvid: Opt(v.pipe(Str(32), v.regex(/^[0-9a-zA-Z]{32}$/, 'lvid is 32 characters'))),
  ym_client_id: Opt(v.pipe(Str(32), v.regex(/^\d{1,32}$/, 'ym_client_id is digits'))),
  vt_user: Opt(Str(256)),
  app: v.optional(AppIdsSchema),
});

const ConsentValue = v.optional(v.picklist(['granted', 'denied']));
export const ConsentSchema = v.object({
  ad_storage: ConsentValue,
  analytics_storage: ConsentValue,
  ad_user_data: ConsentValue,
  ad_personalization: ConsentValue,
});

export const ContextSchema = v.object({
  source: v.picklist(['browser', 'server', 'shopify', 'woocommerce']),
  page_url: v.optional(v.string()),
  user_agent: v.optional(v.string()),
  ip: v.optional(v.string()),
  received_at: v.number(),
});

const Currency = v.pipe(v.string(), v.trim(), v.toUpperCase(), v.regex(/^[A-Z]{3}$/, 'currency is an ISO 4217 code'));

const KNOWN = new Set<string>([
  'order_id',
  'status',
  'occurred_at',
  'action_id',
  'currency',
  'total',
  'tax',
  'shipping',
  'discount',
  'items',
  'coupons',
  'shop',
  'customer',
  'consent',
  'context',
  'extra',
]);

const EventFieldsSchema = v.object({
  order_id: Id(128),
  status: v.picklist(STATUSES, `status is one of ${STATUSES.join(', ')}`),
  occurred_at: Opt(
    v.pipe(NumberLike, v.integer('occurred_at is unix seconds'), v.minValue(946684800), v.maxValue(4294967295)),
  ),
  action_id: Opt(Id(128)),
  currency: Opt(Currency),
  total: Opt(Money),
  tax: Opt(Money),
  shipping: Opt(Money),
  discount: Opt(Money),
  items: v.optional(v.pipe(v.array(ItemSchema), v.maxLength(500, 'At most 500 items')), []),
  coupons: v.optional(v.pipe(v.array(Str(128)), v.maxLength(20))),
  shop: Opt(Str(128)),
  customer: v.optional(CustomerSchema, {}),
  consent: v.optional(ConsentSchema),
  context: v.optional(v.never('context is set by the relay')),
  extra: v.optional(v.record(v.string(), v.unknown())),
});

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** What a caller sends. Unknown fields are kept under `extra`, not dropped. `context` is refused: the Worker sets it. */
export const EventInputSchema = v.pipe(
  v.custom<Record<string, unknown>>(isObject, 'Expected an object'),
  // Object.fromEntries defines own properties, so a `__proto__` key stays plain data.
  v.transform((input) => {
    // The usual case, every key known: the input as it is, without building entry lists.
    if (Object.keys(input).every((k) => KNOWN.has(k))) return input;
    const rest = Object.entries(input).filter(([k]) => !KNOWN.has(k));
    // A non-object `extra` is left for the schema to refuse, not silently replaced by the unknown fields.
    if (!rest.length || (input.extra !== undefined && !isObject(input.extra))) return input;
    const extra = isObject(input.extra) ? input.extra : {};
    const fields = Object.entries(input).filter(([k]) => KNOWN.has(k) && k !== 'extra');
    return Object.fromEntries([...fields, ['extra', Object.fromEntries([...Object.entries(extra), ...rest])]]);
  }),
  EventFieldsSchema,
);
export type EventInput = v.InferOutput<typeof EventInputSchema>;
export type Item = v.InferOutput<typeof ItemSchema>;
export type Customer = v.InferOutput<typeof CustomerSchema>;
export type Consent = v.InferOutput<typeof ConsentSchema>;
export type Context = v.InferOutput<typeof ContextSchema>;

/** A stored event: validated input plus everything the Worker fills in. */
export type CanonicalEvent = Omit<EventInput, 'context' | 'currency' | 'occurred_at'> & {
  key: string;
  currency: string;
  occurred_at: number;
  context: Context;
};

export type Issue = { path: string; message: string };

/** valibot issues → `{ path: "items.0.price", message }`, the shape every 400 answer uses. */
export function toIssues(issues: readonly v.BaseIssue<unknown>[], prefix = ''): Issue[] {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((p) => String(p.key)).join('.');
    return { path: [prefix, path].filter(Boolean).join('.') || '(root)', message: issue.message };
  });
}

export function parseEventInput(
  input: unknown,
  prefix = '',
): { ok: true; value: EventInput } | { ok: false; issues: Issue[] } {
  const result = v.safeParse(EventInputSchema, input);
  return result.success ? { ok: true, value: result.output } : { ok: false, issues: toIssues(result.issues, prefix) };
}
