// The canonical browse event: what every page-format normaliser (./normalize.ts) produces and the eSputnik
// mapping (./esputnik.ts) consumes. Beside the order event (../event.ts) and built from its item, customer and
// consent schemas, but lighter: no order id, no key, no ledger. `type` says what the visitor did:
//   page     — a page view (`url`);
//   product  — a product card view (`items[0]` is the product, `in_stock` its availability);
//   category — a category or list view (`category`);
//   cart     — the cart changed: `items` is the WHOLE cart after the change (empty = emptied), `cart_id` the id of
//              this cart state (new for every state; the purchase carries the last one).
import * as v from 'valibot';
import { ConsentSchema, CustomerSchema, ItemSchema } from '../event';

export const BROWSE_TYPES = ['page', 'product', 'category', 'cart'] as const;
export type BrowseType = (typeof BROWSE_TYPES)[number];

/** Blank template variables ('' and null) mean absent, as in the order event. */
const blank = (x: unknown): boolean => x === undefined || x === null || x === '';
const Opt = <T extends v.GenericSchema>(schema: T) =>
  v.optional(
    v.pipe(
      v.unknown(),
      v.transform((x) => (blank(x) ? undefined : x)),
      v.optional(schema),
    ),
  );
const Text = (max: number) =>
  v.pipe(
    v.union([v.string(), v.pipe(v.number(), v.finite(), v.transform(String))], 'Expected a string'),
    v.trim(),
    v.minLength(1, 'Must not be empty'),
    v.maxLength(max),
  );
/** The cart-state id goes into eSputnik's recycleStateId: "random numbers and Latin letters" (a UUID has dashes). */
const StateId = v.pipe(v.string(), v.regex(/^[0-9A-Za-z-]{8,64}$/, 'cart_id is 8..64 letters, digits or dashes'));
/** eSputnik's own visitor cookie `sc`, a GUID, forwarded for its anonymous tracker API. */
const Sc = v.pipe(v.string(), v.trim(), v.regex(/^[0-9A-Za-z-]{1,64}$/, 'sc is eSputnik’s visitor GUID'));

export const BrowseCustomerSchema = v.object({
  id: CustomerSchema.entries.id,
  email: CustomerSchema.entries.email,
  phone: CustomerSchema.entries.phone,
  sc: Opt(Sc),
});

export const BrowseEventSchema = v.pipe(
  v.object({
    type: v.picklist(BROWSE_TYPES, `type is one of ${BROWSE_TYPES.join(', ')}`),
    url: Opt(v.pipe(v.string(), v.trim(), v.maxLength(2048), v.url('url must be an absolute URL'))),
    currency: Opt(v.pipe(v.string(), v.trim(), v.toUpperCase(), v.regex(/^[A-Z]{3}$/, 'currency is an ISO 4217 code'))),
    category: Opt(Text(256)),
    /** Product views: whether the product is in stock (a custom item parameter `in_stock` on the page's push). */
    in_stock: Opt(
      v.pipe(
        v.union([v.boolean(), v.picklist([0, 1])], 'in_stock is true, false, 1 or 0'),
        v.transform((x) => (x ? 1 : 0)),
      ),
    ),
    items: v.optional(v.pipe(v.array(ItemSchema), v.maxLength(500, 'At most 500 items')), []),
    cart_id: Opt(StateId),
    customer: v.optional(BrowseCustomerSchema, {}),
    consent: v.optional(ConsentSchema),
    occurred_at: v.pipe(v.number(), v.integer(), v.minValue(946684800)),
  }),
  v.check((e) => e.type !== 'product' || e.items.length > 0, 'A product view needs the product in items'),
  v.check((e) => e.type !== 'category' || e.category !== undefined, 'A category view needs category'),
  v.check((e) => e.type !== 'cart' || e.cart_id !== undefined, 'A cart update needs cart_id'),
  v.check((e) => e.type !== 'page' || e.url !== undefined, 'A page view needs url'),
);
export type BrowseEvent = v.InferOutput<typeof BrowseEventSchema>;
export type BrowseCustomer = v.InferOutput<typeof BrowseCustomerSchema>;

/** A browse-queue message: one validated event (≤ 16 KB of browser body, far under the 128 KB message cap). */
export type BrowseMessage = { browse: BrowseEvent };
