// GA4 `value` → the canonical `total` (what the customer pays). Google defines `value` as the items' sum, but
// shops differ: GTM4WP and WooCommerce's own Google Analytics plugin put the grand total there (tax and shipping
// in), Magento 2 GA4 modules the subtotal, Yireo's module with pre-discount unit prices and a line discount. The
// items tell which reading adds up; the rule, its order and its tolerance are docs/page-formats.md "Revenue".
import { absent, type Raw, toNumber } from './common';

/** How the items' `price` and `discount` are meant (docs/page-formats.md "Revenue"). */
export type PriceReading = 'net' | 'line_discount' | 'unit_discount';

export type Reconciled = { total: unknown; reading: PriceReading };

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

/** The items' sums under each price reading; undefined when an item's price or quantity is not a number. */
function itemSums(items: Raw[]): Record<PriceReading, number> | undefined {
  let net = 0;
  let line = 0;
  let unit = 0;
  for (const i of items) {
    const price = toNumber(i.price);
    const quantity = absent(i.quantity) ? 1 : toNumber(i.quantity);
    const discount = absent(i.discount) ? 0 : toNumber(i.discount);
    if (price === undefined || quantity === undefined || discount === undefined) return undefined;
    net += price * quantity;
    line += price * quantity - discount;
    unit += (price - discount) * quantity;
  }
  return { net, line_discount: line, unit_discount: unit };
}

/** Rounding slack: a cent, plus half a cent per unit (pages round unit prices to cents, not the value). */
export function tolerance(items: Raw[]): number {
  let units = 0;
  for (const i of items) units += toNumber(i.quantity) ?? 1;
  return 0.01 + 0.005 * units;
}

/**
 * Reads `value` against the items. First reading that adds up, in order net, line discount, unit discount: value =
 * items → a subtotal (total = value + tax + shipping); value = items + tax + shipping → the grand total as is.
 * Nothing adds up: the grand total when value exceeds the items by at least the shipping (tax-inclusive prices),
 * else a subtotal; no items: Google's definition, a subtotal.
 */
export function reconcile(value: unknown, tax: unknown, shipping: unknown, items: Raw[]): Reconciled {
  const v = toNumber(value);
  const t = absent(tax) ? 0 : toNumber(tax);
  const s = absent(shipping) ? 0 : toNumber(shipping);
  // A non-number goes through unchanged, for the schema to name the bad field.
  if (v === undefined || t === undefined || s === undefined) return { total: value, reading: 'net' };
  const subtotal = (reading: PriceReading): Reconciled => ({ total: round(v + t + s), reading });
  const sums = items.length ? itemSums(items) : undefined;
  if (!sums) return subtotal('net');
  const tol = tolerance(items);
  const readings: PriceReading[] =
    sums.net === sums.line_discount ? ['net'] : ['net', 'line_discount', 'unit_discount'];
  for (const reading of readings) {
    if (Math.abs(v - sums[reading]) <= tol) return subtotal(reading);
    if (t + s > tol && Math.abs(v - (sums[reading] + t + s)) <= tol) return { total: v, reading };
  }
  const over = v - sums.net;
  return over > tol && over >= s - tol ? { total: v, reading: 'net' } : subtotal('net');
}

/** An item's price and discount as the canonical per-unit pair, given how the page meant them. */
export function netPrice(i: Raw, reading: PriceReading): { price: unknown; discount: unknown } {
  if (reading === 'net') return { price: i.price, discount: i.discount };
  const price = toNumber(i.price);
  const quantity = absent(i.quantity) ? 1 : toNumber(i.quantity);
  const discount = absent(i.discount) ? 0 : toNumber(i.discount);
  if (price === undefined || discount === undefined || !quantity) return { price: i.price, discount: i.discount };
  const perUnit = reading === 'line_discount' ? discount / quantity : discount;
  return { price: round(price - perUnit), discount: perUnit ? round(perUnit) : undefined };
}
