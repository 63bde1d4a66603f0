// MyTracker's own dataLayer events `mt_order` / `mt_refund` (https://docs.tracker.my.com/tracking/ecommerce/sending-events,
// docs/page-formats.md). The field table is flat but calls `ecommerce` the main container, so both places are read.
// Items use GA4's names except item_category1..4 (numbered from 1) and `tax`, a percent. The push carries no order
// total: the order fold derives it from the items. One English copy of the docs spells PAID / CANCELED.
import * as v from 'valibot';
import type { Status } from '../event';
import type { Draft, Format, Raw } from './common';
import {
  absent,
  checkShape,
  compact,
  consentOf,
  coupons,
  customerOf,
  fieldsOf,
  first,
  invalid,
  list,
  modelCurrency,
  orderId,
  text,
} from './common';
import { fromGa4Item } from './ga4';

const ORDER_STATUS: Readonly<Record<string, Status>> = { PAY: 'paid', PAID: 'paid', ADD: 'created' };
const REFUND_STATUS: Readonly<Record<string, Status>> = {
  REFUND: 'refunded',
  CANCEL: 'cancelled',
  CANCELED: 'cancelled',
  CANCELLED: 'cancelled',
};

const Items = v.optional(v.array(v.object({}), 'items must be a list of objects'));
const MyTrackerShape = v.object({
  ecommerce: v.nullish(v.object({ items: Items }, 'ecommerce must be an object')),
  items: Items,
});

/** MyTracker's item `tax` is a percent, the canonical `tax_rate`. */
function fromMyTrackerItem(i: Raw): Draft {
  const item = fromGa4Item(i);
  if (!absent(i.tax)) item.tax_rate = i.tax; // added in place: keeps the object one shape (BENCHMARKS.md)
  return item;
}

export const mytracker: Format = {
  name: 'mytracker',
  matches: (entry) => entry.event === 'mt_order' || entry.event === 'mt_refund',
  toEvent(entry, extras) {
    checkShape(MyTrackerShape, entry, String(entry.event));
    const f = fieldsOf(entry);
    const refund = entry.event === 'mt_refund';
    const given = String(first(f('status')) ?? (refund ? 'REFUND' : 'PAY'))
      .trim()
      .toUpperCase();
    const table = refund ? REFUND_STATUS : ORDER_STATUS;
    const status = Object.hasOwn(table, given) ? table[given] : undefined;
    if (!status) invalid(`${String(entry.event)} status "${given}" is not one of ${Object.keys(table).join(', ')}`);
    return compact({
      order_id: orderId(f('order_id'), `${String(entry.event)} order_id`),
      status,
      action_id: f('action_id'),
      currency: text(first(f('currency_code'), f('currency'), modelCurrency(extras))),
      coupons: coupons(f('coupon')),
      items: list(f('items')).map(fromMyTrackerItem),
      customer: customerOf(f, extras, entry),
      consent: consentOf(extras.consent),
    });
  },
};
