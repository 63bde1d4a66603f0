// Universal Analytics Enhanced Ecommerce and Yandex Metrica e-commerce, which reads the same shape
// (https://developers.google.com/analytics/devguides/collection/ua/gtm/enhanced-ecommerce#purchases,
// https://yandex.ru/support/metrica/ecommerce/data.html; docs/page-formats.md):
// `{ecommerce: {currencyCode, purchase | refund: {actionField: {id, revenue, tax, shipping, coupon}, products}}}`.
// Money: UA defines `revenue` as "the total revenue or grand total associated with the transaction", which "may
// include shipping, tax costs, or other adjustments" (analytics.js enhanced ecommerce, "Action data"): shops that
// follow it send what the customer pays, so it is the canonical `total` as is. Without `revenue`, UA and Yandex sum
// price × quantity themselves; we leave `total` out and the order fold does the same. A refund without products
// refunds the whole order (Yandex has no refund action; UA's is the same shape as purchase).
import * as v from 'valibot';
import type { Draft, Format, Raw } from './common';
import {
  categories,
  checkShape,
  compact,
  consentOf,
  coupons,
  customerOf,
  fieldsOf,
  first,
  isObject,
  list,
  modelCurrency,
  obj,
  orderId,
  text,
} from './common';

const Action = v.object({
  actionField: v.optional(v.object({}, 'actionField must be an object')),
  products: v.optional(v.array(v.object({}), 'products must be a list of objects')),
});
const UaShape = v.object({ ecommerce: v.object({ purchase: v.optional(Action), refund: v.optional(Action) }) });

/** A productFieldObject; `category` holds up to five levels separated by "/". */
export function fromUaProduct(p: Raw): Draft {
  const category = text(p.category);
  return compact({
    id: text(first(p.id, p.name)),
    name: text(p.name),
    quantity: p.quantity,
    price: p.price,
    // Yandex's `discount` (docs/page-formats.md) read as GA4's: per unit, `price` already after it.
    discount: p.discount,
    brand: text(p.brand),
    variant: text(p.variant),
    categories: typeof category === 'string' ? categories(category.split('/')) : undefined,
    coupon: text(p.coupon),
    // Yandex's `position` and `list` (https://yandex.ru/support/metrica/ecommerce/data.html), UA's too.
    index: p.position,
    list_name: text(p.list),
  });
}

export const ua: Format = {
  name: 'ua',
  matches: (entry) => isObject(obj(entry.ecommerce).purchase) || isObject(obj(entry.ecommerce).refund),
  toEvent(entry, extras) {
    checkShape(UaShape, entry, 'ecommerce');
    const ec = obj(entry.ecommerce);
    const purchase = isObject(ec.purchase);
    const action = obj(purchase ? ec.purchase : ec.refund);
    const af = obj(action.actionField);
    return compact({
      order_id: orderId(af.id, `ecommerce.${purchase ? 'purchase' : 'refund'}.actionField.id`),
      status: purchase ? 'paid' : 'refunded',
      currency: text(first(ec.currencyCode, ec.currency, modelCurrency(extras))),
      total: af.revenue,
      tax: af.tax,
      shipping: af.shipping,
      coupons: coupons(af.coupon),
      items: list(action.products).map(fromUaProduct),
      customer: customerOf(fieldsOf(entry), extras, entry),
      consent: consentOf(extras.consent),
    });
  },
};
