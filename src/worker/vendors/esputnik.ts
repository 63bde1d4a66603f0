// eSputnik / Yespo orders through v1/event: https://esputnik.com/en/support/how-send-orders-via-the-api-resource-v1event
// (docs/vendors/esputnik.md). `POST {base}/api/v1/event`, HTTP Basic
// with any user name and the API key as password, one event per call, every param value a string. v1/event drops
// events of unknown contacts, so each order's lane first upserts its contact (`POST {base}/api/v1/contact`).

import type { RateLimit } from '../deliveries/pacing';
import type { Item } from '../event';
import { type FoldedOrder, isFinalNegative, type OrderState, round } from '../order';
import { classifyHttp, str, trimSlash, truncate } from './http';
import type { Plan, Skip, Vendor, VendorRequest, Work } from './types';

export const ESPUTNIK_BASE_URL = 'https://esputnik.com';
/** Any user name works; the password is the key (Yespo's own apps send their app name). */
const BASIC_USER = 'order-relay';

/** `authorization` is the Basic header, built once per isolate (config is cached) rather than per request. */
export type ESputnikConfig = { baseUrl: string; authorization: string };

type ESputnikStatus = 'INITIALIZED' | 'IN_PROGRESS' | 'DELIVERED' | 'CANCELLED';
export type ESputnikEventType = 'orderCreated' | 'orderUpdated' | 'orderDelivered' | 'orderCancelled';
export type ESputnikParam = { name: string; value: string };
export type ESputnikEvent = { eventTypeKey: ESputnikEventType; keyValue: string; params: ESputnikParam[] };
/** Keys of the v1/orders item, which v1/event's `items` param reuses. */
export type ESputnikItem = {
  externalItemId: string;
  name: string;
  category?: string;
  quantity: number;
  cost?: number;
  url?: string;
  imageUrl?: string;
};
export type ESputnikContact = {
  externalCustomerId?: string;
  firstName?: string;
  lastName?: string;
  channels: { type: 'email' | 'sms'; value: string }[];
};

// eSputnik has no paid or refunded status: paid is IN_PROGRESS, and only DELIVERED counts for RFM.
const STATUS: Record<OrderState, ESputnikStatus> = {
  created: 'INITIALIZED',
  paid: 'IN_PROGRESS',
  delivered: 'DELIVERED',
  cancelled: 'CANCELLED',
  refunded: 'CANCELLED',
};

/** Digits only, as the docs write numbers ("380501234567"); the contact and the event must spell it alike. */
const digits = (phone: string | undefined): string | undefined => phone?.replace(/\D/g, '') || undefined;
const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
/** ISO 8601 without milliseconds, from the UTC getters (cheaper than toISOString() and a regex). */
function isoDate(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}Z`;
}
const money = (n: number | undefined): string | undefined => (n === undefined ? undefined : String(round(n)));

// Bodies are fixed-shape literals with `undefined` for absent fields (JSON.stringify leaves them out): one object
// shape per body, cheaper than conditional spreads (see mytracker.ts).
function toItem(i: Item): ESputnikItem {
  return {
    externalItemId: i.id,
    name: i.name ?? i.id,
    // One category field: the most specific one, as the docs' example ("devices") and the recommendations feed use.
    category: i.categories?.at(-1) || undefined,
    quantity: i.quantity,
    // The line total: items must sum to totalCost (docs/vendors/esputnik.md).
    cost: i.price !== undefined ? round(i.price * i.quantity) : undefined,
    url: i.url || undefined,
    imageUrl: i.image_url || undefined,
  };
}

/**
 * The contact to upsert before the order's events, or null without an email or phone: `channels` is required.
 * A guest gets no invented externalCustomerId: an unknown external ID always creates a new contact, whereas
 * without one eSputnik matches an existing contact by email/phone (docs "External ID for Creating and Updating
 * Contacts"; docs/vendors/esputnik.md), so a newsletter subscriber who checks out as a guest is not duplicated.
 */
export function toESputnikContact(order: FoldedOrder): ESputnikContact | null {
  const c = order.customer;
  const phone = digits(c.phone);
  const channels: ESputnikContact['channels'] = [];
  if (c.email) channels.push({ type: 'email', value: c.email });
  if (phone) channels.push({ type: 'sms', value: phone });
  if (!channels.length) return null;
  return {
    externalCustomerId: c.id || undefined,
    firstName: c.first_name || undefined,
    lastName: c.last_name || undefined,
    channels,
  };
}

/**
 * keyValue names the contact: email, else phone, else the shop's customer id (the docs' examples pass the
 * contact's email or phone). An id-only event reaches a contact that already exists when the account maps an
 * event param to External ID (Yespo "Mapping Events with Contacts by External IDs"); it cannot be upserted.
 */
function keyValue(order: FoldedOrder): string | undefined {
  return order.customer.email ?? digits(order.customer.phone) ?? order.customer.id;
}

/** Params in the docs' order: contact identifiers, order id, customer id, totals and status, then the rest. */
function toParams(latest: FoldedOrder, state: FoldedOrder | null, status: ESputnikStatus): ESputnikParam[] {
  const c = latest.customer;
  const params: ESputnikParam[] = [];
  add(params, 'email', c.email);
  add(params, 'phone', digits(c.phone));
  add(params, 'externalOrderId', latest.order_id);
  add(params, 'externalCustomerId', c.id);
  add(params, 'totalCost', money(state?.total));
  add(params, 'status', status);
  if (state) {
    add(params, 'date', isoDate(state.created_at));
    add(params, 'currency', state.currency);
    add(params, 'firstName', c.first_name);
    add(params, 'lastName', c.last_name);
    add(params, 'shipping', money(state.shipping));
    add(params, 'discount', money(state.discount));
    add(params, 'taxes', money(state.tax));
    if (state.items.length) add(params, 'items', JSON.stringify(state.items.map(toItem)));
  }
  return params;
}

function add(params: ESputnikParam[], name: string, value: string | undefined): void {
  if (value !== undefined) params.push({ name, value });
}

/**
 * The v1/event body for one event. `state` is the order as this event left it; `first` = eSputnik has not
 * received this order yet (nothing acknowledged, no earlier request in this lane). orderCreated and orderUpdated
 * carry the whole order (orderUpdated creates a missing order with orderCreated's required fields); orderDelivered
 * and orderCancelled only change the status and are ignored for an unknown order, so a first event of those kinds
 * goes as orderUpdated with the whole order instead.
 */
export function toESputnikEvent(work: Work, state: FoldedOrder, first: boolean): ESputnikEvent | string {
  const key = keyValue(work.order);
  if (!key) return 'no_identifier';
  const whole = (type: ESputnikEventType, status: ESputnikStatus): ESputnikEvent => ({
    eventTypeKey: type,
    keyValue: key,
    params: toParams(work.order, state, status),
  });
  const statusOnly = (type: ESputnikEventType, status: ESputnikStatus): ESputnikEvent => ({
    eventTypeKey: type,
    keyValue: key,
    params: toParams(work.order, null, status),
  });
  switch (work.event.status) {
    case 'created':
      // A created that arrives after eSputnik has the order must not re-create (and reset) it.
      return first ? whole('orderCreated', 'INITIALIZED') : whole('orderUpdated', STATUS[state.state]);
    case 'paid':
      return whole(first ? 'orderCreated' : 'orderUpdated', STATUS[state.state]);
    case 'delivered':
      return first ? whole('orderUpdated', STATUS[state.state]) : statusOnly('orderDelivered', 'DELIVERED');
    case 'refunded':
    case 'cancelled':
      // A refund or cancellation that leaves items is partial: the order lives on with the reduced total.
      if (!isFinalNegative(state)) return whole('orderUpdated', STATUS[state.state]);
      return first ? whole('orderUpdated', 'CANCELLED') : statusOnly('orderCancelled', 'CANCELLED');
    case 'updated':
      return whole('orderUpdated', STATUS[state.state]);
  }
}

function post(config: ESputnikConfig, path: string, body: unknown, keys: string[], lane: string): VendorRequest {
  return {
    method: 'POST',
    url: `${config.baseUrl}/api/v1/${path}`,
    headers: { Authorization: config.authorization, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    keys,
    lane,
  };
}

/** Work items grouped by order, in plan order. */
function byOrder(work: readonly Work[]): Work[][] {
  const groups = new Map<string, Work[]>();
  for (const w of work) {
    const group = groups.get(w.event.order_id);
    if (group) group.push(w);
    else groups.set(w.event.order_id, [w]);
  }
  return [...groups.values()];
}

export const esputnik: Vendor<ESputnikConfig> = {
  name: 'esputnik',
  label: 'eSputnik',
  mode: 'queue',
  // The contact upsert and the order events hand the buyer's email and phone to a marketing platform.
  consentKey: 'ad_user_data',
  secrets: ['ESPUTNIK_API_KEY'],

  parseConfig(env) {
    const apiKey = str(env, 'ESPUTNIK_API_KEY');
    // Basic credentials are Latin-1 (btoa): a key outside it cannot be sent at all.
    if (!apiKey || /[^\x20-\xff]/.test(apiKey)) return null;
    return {
      baseUrl: trimSlash(str(env, 'ESPUTNIK_BASE_URL') ?? ESPUTNIK_BASE_URL),
      authorization: `Basic ${btoa(`${BASIC_USER}:${apiKey}`)}`,
    };
  },

  // One lane per order: the contact upsert (once per plan), then the order's events in sequence, so each event
  // is sent only after its contact exists and after the events before it.
  plan(work, config): Plan {
    const requests: VendorRequest[] = [];
    const skipped: Skip[] = [];
    for (const group of byOrder(work)) {
      const [head] = group;
      if (!head) continue;
      const lane = `esputnik:${head.event.order_id}`;
      const events: VendorRequest[] = [];
      let first = head.sent.length === 0;
      group.forEach((w, i) => {
        // The order as this event left it: just before the next event of this plan, or the latest state.
        const state = group[i + 1]?.before ?? w.order;
        const body = toESputnikEvent(w, state, first);
        if (typeof body === 'string') {
          skipped.push({ key: w.event.key, reason: body });
          return;
        }
        events.push(post(config, 'event', body, [w.event.key], lane));
        first = false;
      });
      const contact = events.length ? toESputnikContact(head.order) : null;
      if (contact) requests.push(post(config, 'contact', contact, [], lane));
      requests.push(...events);
    }
    return { requests, skipped };
  },

  // 2xx = accepted (the body is undocumented and not read). Yespo's own Shopify app treats a contact call answered
  // "Duplicated request" as done (docs/vendors/esputnik.md). Note: eSputnik answers 200 to events it then ignores.
  classify(res) {
    if (res.status >= 400 && res.status < 500 && res.body.includes('Duplicated request')) {
      return { outcome: 'delivered', detail: truncate(`${res.status} ${res.body}`.trim()) };
    }
    return classifyHttp(res);
  },

  // "Testing Your API Connection" (docs.yespo.io) names GET /v1/account/info; Yespo's Shopify app calls it too.
  checkRequest(config) {
    return {
      method: 'GET',
      url: `${config.baseUrl}/api/v1/account/info`,
      headers: { Authorization: config.authorization, Accept: 'application/json' },
      body: '',
      keys: [],
    };
  },
};

/**
 * eSputnik: 350 requests/s on each event endpoint, 200/s in total for every other method; a delivery may make
 * a contact upsert (the 200/s group) before its event, so deliveries are paced at 200/s (docs/vendors/esputnik.md).
 */
export const RATE_LIMIT: RateLimit = {
  max: 200,
  windowMs: 1000,
  env: 'ESPUTNIK_MAX_PER_SECOND',
  requestsPerEvent: 1,
};
