// GA4 `purchase` / `refund` (https://developers.google.com/analytics/devguides/collection/ga4/reference/events#purchase):
// `{event, ecommerce: {transaction_id, value, tax, shipping, currency, coupon, items}}`, or the parameters of
// gtag('event', 'purchase', {…}) flat (index.ts turns those arguments into `{event, ...params}`). Money: `value` is
// read against the items (./revenue.ts, docs/page-formats.md "Revenue"). A refund without items refunds the whole
// order. GTM4WP adds `orderData` to the purchase push (duracelltomi/gtm4wp src/Modules/WooCommerce/ProductData.php,
// get_raw_order_datalayer): the order number, the WooCommerce status and the grand total, read as the platform's
// own hints.
import * as v from 'valibot';
import type { Draft, Format, Raw } from './common';
import {
  absent,
  categories,
  checkShape,
  compact,
  consentOf,
  coupons,
  customerOf,
  fieldsOf,
  first,
  list,
  modelCurrency,
  obj,
  orderId,
  text,
} from './common';
import { netPrice, type PriceReading, reconcile } from './revenue';

const Items = v.optional(v.array(v.object({}), 'items must be a list of objects'));
const Ga4Shape = v.object({
  ecommerce: v.nullish(v.object({ items: Items }, 'ecommerce must be an object')),
  items: Items,
});

/**
 * A GA4 item; MyTracker's share the names. `price` is the unit price after `discount`, which is per unit. GA4 numbers
 * its categories item_category, item_category2..5 and MyTracker item_category1..4: one list reads both.
 */
function ga4Item(i: Raw, reading: PriceReading): Draft {
  const { price, discount } = netPrice(i, reading);
  return compact({
    id: text(first(i.item_id, i.item_name)),
    name: text(i.item_name),
    quantity: i.quantity,
    price,
    discount,
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
    affiliation: text(i.affiliation),
    index: i.index,
    list_id: text(i.item_list_id),
    list_name: text(i.item_list_name),
    location_id: text(i.location_id),
  });
}

/** One argument only, so it can be passed to `map` as it is. */
export const fromGa4Item = (i: Raw): Draft => ga4Item(i, 'net');

/**
 * WooCommerce statuses (GTM4WP `orderData.attributes.status`): GTM4WP pushes the purchase for processing, on-hold
 * and completed orders; on-hold (bank transfer, cheque) and pending are placed but not paid.
 */
const WOO_STATUS: Readonly<Partial<Record<string, 'created' | 'paid'>>> = {
  pending: 'created',
  'on-hold': 'created',
  processing: 'paid',
  completed: 'paid',
};

function purchaseStatus(orderData: Raw): 'created' | 'paid' {
  const status = String(obj(orderData.attributes).status ?? '').toLowerCase();
  return (Object.hasOwn(WOO_STATUS, status) && WOO_STATUS[status]) || 'paid';
}

export const ga4: Format = {
  name: 'ga4',
  matches: (entry) => entry.event === 'purchase' || entry.event === 'refund',
  toEvent(entry, extras) {
    checkShape(Ga4Shape, entry, `GA4 ${String(entry.event)}`);
    const f = fieldsOf(entry);
    const tax = f('tax');
    const shipping = f('shipping');
    const items = list(f('items'));
    const orderData = obj(entry.orderData);
    const totals = obj(orderData.totals);
    const purchase = entry.event === 'purchase';
    const { total, reading } = reconcile(f('value'), tax, shipping, items);
    return compact({
      order_id: first(
        text(obj(orderData.attributes).order_number),
        orderId(f('transaction_id'), `GA4 ${entry.event} transaction_id`),
      ),
      status: purchase ? purchaseStatus(orderData) : 'refunded',
      currency: text(first(f('currency'), totals.currency, modelCurrency(extras))),
      // GTM4WP's orderData.totals.total is WooCommerce's own grand total: no reading needed.
      total: purchase && !absent(totals.total) ? totals.total : total,
      tax,
      shipping,
      coupons: coupons(f('coupon')),
      items: items.map((i) => ga4Item(i, reading)),
      customer: customerOf(f, extras, entry),
      consent: consentOf(extras.consent),
    });
  },
};
