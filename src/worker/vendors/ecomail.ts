// Ecomail transactions: https://docs.ecomail.cz/api-reference/transactions/create and …/update
// (docs/vendors/ecomail.md). `POST {base}/tracker/transaction` once per
// order, then `PUT {base}/tracker/transaction/{order_id}`, which overwrites the whole transaction, items too.
// Header `key: <API key>`; 1000 requests a minute, 429 with Retry-After above that.

import type { RateLimit } from '../deliveries/pacing';
import type { Item } from '../event';
import { type OrderState, round } from '../order';
import { classifyHttp, str, trimSlash } from './http';
import type { Plan, Skip, Vendor, VendorRequest, Work } from './types';

export const ECOMAIL_BASE_URL = 'https://api2.ecomailapp.cz';

export type EcomailConfig = { baseUrl: string; apiKey: string; shop?: string };

type EcomailStatus = 'pending' | 'processing' | 'completed' | 'canceled';
export type EcomailTransaction = {
  order_id: string;
  email: string;
  shop?: string;
  amount: number;
  tax?: number;
  shipping?: number;
  city?: string;
  country?: string;
  timestamp: number;
  status: EcomailStatus;
};
export type EcomailTransactionItem = {
  code: string;
  title: string;
  category?: string;
  categories?: string[];
  price?: number;
  amount: number;
};
export type EcomailBody = { transaction: EcomailTransaction; transaction_items: EcomailTransactionItem[] };

// "canceled" with a single L is the docs' spelling.
const STATUS: Record<OrderState, EcomailStatus> = {
  created: 'pending',
  paid: 'completed',
  delivered: 'completed',
  cancelled: 'canceled',
  refunded: 'canceled',
};

// Bodies are fixed-shape literals with `undefined` for absent fields (JSON.stringify leaves them out): one object
// shape per body, cheaper than conditional spreads (see mytracker.ts).
function toItem(i: Item): EcomailTransactionItem {
  const categories = i.categories?.length ? i.categories : undefined;
  return {
    code: i.id,
    title: i.name ?? i.id,
    // `categories` is "currently not visible in the app — use category for now"; Ecomail's own sGTM template
    // fills `category` with the GA4 categories joined by " | ".
    category: categories?.join(' | '),
    categories,
    // "Total price for the given quantity": the line total (docs/vendors/ecomail.md).
    price: i.price !== undefined ? round(i.price * i.quantity) : undefined,
    amount: i.quantity,
  };
}

/**
 * The transaction to send for an order's latest state, or why there is none. Both `transaction_items` and at
 * least one item are required, so a cancelled or fully refunded order (no items left) is sent as it stood before
 * (`closed_from`, its last state with items, whichever events this plan covers) with status canceled.
 * `config.shop` (ECOMAIL_SHOP) wins over the event's `shop`: it must match the shop name the Ecomail account
 * segments by.
 */
export function toEcomailBody(group: readonly Work[], config: EcomailConfig): EcomailBody | string {
  const order = group.at(-1)?.order;
  if (!order) return 'no_items';
  const email = order.customer.email;
  if (!email) return 'no_identifier';
  const shown = order.items.length ? order : order.closed_from;
  if (!shown) return 'no_items';
  const shop = config.shop ?? order.shop;
  const transaction: EcomailTransaction = {
    order_id: order.order_id,
    email,
    shop: shop || undefined,
    // "Total amount including tax and shipping" = our `total`.
    amount: shown.total,
    tax: shown.tax,
    shipping: shown.shipping,
    city: order.customer.city || undefined,
    country: order.customer.country || undefined,
    // Unix seconds of the order's creation: a later PUT must not move the purchase date.
    timestamp: order.created_at,
    status: STATUS[order.state],
  };
  return { transaction, transaction_items: shown.items.map(toItem) };
}

function request(config: EcomailConfig, orderId: string, create: boolean, body: string, keys: string[]): VendorRequest {
  return {
    method: create ? 'POST' : 'PUT',
    url: create
      ? `${config.baseUrl}/tracker/transaction`
      : `${config.baseUrl}/tracker/transaction/${encodeURIComponent(orderId)}`,
    headers: { key: config.apiKey, 'Content-Type': 'application/json' },
    body,
    keys,
    lane: `ecomail:${orderId}`,
  };
}

export const ecomail: Vendor<EcomailConfig> = {
  name: 'ecomail',
  label: 'Ecomail',
  mode: 'queue',
  // The transaction carries the buyer's email to a marketing platform.
  consentKey: 'ad_user_data',
  secrets: ['ECOMAIL_API_KEY'],

  parseConfig(env) {
    const apiKey = str(env, 'ECOMAIL_API_KEY');
    if (!apiKey) return null;
    const shop = str(env, 'ECOMAIL_SHOP');
    return { apiKey, baseUrl: trimSlash(str(env, 'ECOMAIL_BASE_URL') ?? ECOMAIL_BASE_URL), ...(shop ? { shop } : {}) };
  },

  // One request per order carrying its latest state and covering all its events: POST while Ecomail has
  // acknowledged nothing of the order, else PUT. A repeat POST most likely adds a duplicate row (docs/vendors/ecomail.md),
  // so the state is never POSTed twice and never sent as a POST + PUT pair.
  plan(work, config): Plan {
    const groups = new Map<string, Work[]>();
    for (const w of work) {
      const group = groups.get(w.event.order_id);
      if (group) group.push(w);
      else groups.set(w.event.order_id, [w]);
    }
    const requests: VendorRequest[] = [];
    const skipped: Skip[] = [];
    for (const [orderId, group] of groups) {
      const keys = group.map((w) => w.event.key);
      const body = toEcomailBody(group, config);
      if (typeof body === 'string') {
        skipped.push(...keys.map((key) => ({ key, reason: body })));
        continue;
      }
      const json = JSON.stringify(body);
      const create = group[0]?.sent.length === 0;
      requests.push(request(config, orderId, create, json, keys));
    }
    return { requests, skipped };
  },

  // 2xx delivered; 429 (with Retry-After) and 5xx retry; 422 {"errors":{…}} rejected with its text. A PUT for an
  // order Ecomail does not know (undocumented; e.g. its POST was deleted there) is rejected with the vendor's
  // text too: replay after fixing it at Ecomail, no local state is kept for it.
  classify: classifyHttp,
};

/**
 * Ecomail: up to 1,000 requests per minute per API key, 429 with Retry-After past it
 * (https://docs.ecomail.cz/api-reference/introduction, "Rate limiting").
 */
export const RATE_LIMIT: RateLimit = {
  max: 1000,
  windowMs: 60_000,
  env: 'ECOMAIL_MAX_PER_MINUTE',
  requestsPerEvent: 1,
};
