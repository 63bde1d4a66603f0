// GA4 `purchase` / `refund` (https://developers.google.com/analytics/devguides/collection/ga4/reference/events#purchase,
// vendors.md §6.2): `{event, ecommerce: {transaction_id, value, tax, shipping, currency, coupon, items}}`, or the
// parameters of gtag('event', 'purchase', {…}) flat (index.ts turns those arguments into `{event, ...params}`).
// Money: GA4's `value` leaves tax and shipping out (Google: the sum of price × quantity), the canonical `total`
// is what the customer pays, so total = value + tax + shipping. A refund without items refunds the whole order.
import * as v from 'valibot';
import type { Draft, Format, Raw } from './common';
import {
  addMoney,
  categories,
  checkShape,
  compact,
  consentOf,
  coupons,
  customerOf,
  fieldsOf,
  first,
  list,
  orderId,
  text,
} from './common';

const Items = v.optional(v.array(v.object({}), 'items must be a list of objects'));
const Ga4Shape = v.object({
  ecommerce: v.nullish(v.object({ items: Items }, 'ecommerce must be an object')),
  items: Items,
});

/**
 * A GA4 item; MyTracker's share the names. `price` is the unit price after `discount`, which is per unit. GA4 numbers
 * its categories item_category, item_category2..5 and MyTracker item_category1..4: one list reads both.
 */
export function fromGa4Item(i: Raw): Draft {
  return compact({
    id: text(first(i.item_id, i.item_name)),
    name: text(i.item_name),
    quantity: i.quantity,
    price: i.price,
    discount: i.discount,
    brand: text(i.item_brand),
    variant: text(i.item_variant),
    categories: categories([
      i.item_category,
      i.item_category1,
      i.item_category2,
      i.item_category3,
      i.item_category4,
      i.item_category5,
    ]),
    coupon: text(i.coupon),
  });
}

export const ga4: Format = {
  name: 'ga4',
  matches: (entry) => entry.event === 'purchase' || entry.event === 'refund',
  toEvent(entry, extras) {
    checkShape(Ga4Shape, entry, `GA4 ${String(entry.event)}`);
    const f = fieldsOf(entry);
    const tax = f('tax');
    const shipping = f('shipping');
    return compact({
      order_id: orderId(f('transaction_id'), `GA4 ${entry.event} transaction_id`),
      status: entry.event === 'purchase' ? 'paid' : 'refunded',
      currency: text(f('currency')),
      total: addMoney(f('value'), tax, shipping),
      tax,
      shipping,
      coupons: coupons(f('coupon')),
      items: list(f('items')).map(fromGa4Item),
      customer: customerOf(f, extras),
      consent: consentOf(extras.consent),
    });
  },
};
