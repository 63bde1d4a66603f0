// Classic GTM ecommerce keys (GTM's "Google Analytics: Universal Analytics" transaction tag, docs/page-formats.md):
// `{transactionId, transactionTotal, transactionTax, transactionShipping, transactionCurrency?, transactionProducts:
// [{sku, name, category, price, quantity}]}`. MagePal's Magento 2 module pushes them under `event: 'purchase'`
// (magepal/magento2-google-tag-manager Model/Order.php, getTransactionDetail) and names the currency only in an
// earlier page-level push (`{ecommerce: {currencyCode}}`, Block/DataLayerAbstract.php), which the snippet sends as
// GTM's data model; GTM4WP 1.x pushes them under `gtm4wp.orderCompleted`. `transactionTotal` is the grand total.
import * as v from 'valibot';
import type { Draft, Format, Raw } from './common';
import {
  checkShape,
  compact,
  consentOf,
  coupons,
  customerOf,
  fieldsOf,
  first,
  list,
  modelCurrency,
  orderId,
  text,
} from './common';
import { fromUaProduct } from './ua';

const ClassicShape = v.object({
  transactionProducts: v.optional(v.array(v.object({}), 'transactionProducts must be a list of objects')),
});

/** A transactionProducts entry: `sku` is the product key in the classic keys (`id` in UA's productFieldObject). */
function fromClassicProduct(p: Raw): Draft {
  return fromUaProduct({ ...p, id: first(p.sku, p.id, p.name) });
}

export const classic: Format = {
  name: 'classic',
  matches: (entry) => 'transactionId' in entry,
  toEvent(entry, extras) {
    checkShape(ClassicShape, entry, 'transactionId');
    return compact({
      order_id: orderId(entry.transactionId, 'transactionId'),
      status: 'paid',
      currency: text(first(entry.transactionCurrency, modelCurrency(extras))),
      total: entry.transactionTotal,
      tax: entry.transactionTax,
      shipping: entry.transactionShipping,
      coupons: coupons(entry.transactionCouponCode),
      items: list(entry.transactionProducts).map(fromClassicProduct),
      customer: customerOf(fieldsOf(entry), extras, entry),
      consent: consentOf(extras.consent),
    });
  },
};
