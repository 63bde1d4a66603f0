// MyTracker S2S Ecomm import: https://docs.tracker.my.com/api/s2s-api/import-ecomm?lang=en
// (docs/vendors/mytracker.md). `POST /v1/order/?idApp=` for one event, `/v1/orderBatch/`
// for up to 20, body ≤ 10 KB, `Authorization: <app token>` without a scheme. Each event lists only the items
// it affects (ADD/PAY what was placed/paid, REFUND/CANCEL what was returned/cancelled).

import type { RateLimit } from '../deliveries/pacing';
import type { CanonicalEvent, Item } from '../event';
import type { FoldedOrder } from '../order';
import { classifyHttp, str, trimSlash } from './http';
import type { Plan, Skip, Vendor, VendorRequest, Work } from './types';

export const MYTRACKER_BASE_URL = 'https://tracker-s2s.my.com';
export const MAX_BATCH_ORDERS = 20;
export const MAX_BODY_BYTES = 10 * 1024;

export type MyTrackerConfig = { baseUrl: string; appId: string; token: string; batch: boolean };

type MyTrackerItem = {
  item_id: string;
  item_name: string;
  affiliation?: string;
  price?: number;
  discount?: number;
  coupon?: string;
  tax?: number;
  index?: number;
  item_brand?: string;
  item_variant?: string;
  item_list_id?: string;
  item_list_name?: string;
  item_category1?: string;
  item_category2?: string;
  item_category3?: string;
  item_category4?: string;
  location_id?: string;
  quantity: number;
};
type MyTrackerOrder = {
  order_id: string;
  status: 'ADD' | 'PAY' | 'CANCEL' | 'REFUND';
  currency_code: string;
  action_id: string;
  action_ts: string;
  coupon?: string;
  items: MyTrackerItem[];
};
/** One `order` method body; orderBatch takes an array of these. */
export type MyTrackerEvent = {
  customUserId?: string;
  lvid?: string;
  instanceId?: string;
  gaid?: string;
  appSetId?: string;
  androidId?: string;
  idfa?: string;
  iosVendorId?: string;
  eventTimestamp: number;
  ipv4?: string;
  ipv6?: string;
  userAgent?: string;
  order: MyTrackerOrder;
};

const STATUS = { created: 'ADD', paid: 'PAY', refunded: 'REFUND', cancelled: 'CANCEL' } as const;

// Bodies are object literals of one fixed shape with `undefined` for absent fields: JSON.stringify leaves those
// out, and a literal keeps one object shape where `{...spread, newKey}` and conditional spreads make the engine
// copy and reshape objects on the hot path (BENCHMARKS.md).
function toItem(i: Item): MyTrackerItem {
  const c = i.categories;
  return {
    item_id: i.id,
    item_name: i.name ?? i.id,
    affiliation: i.affiliation || undefined,
    index: i.index,
    item_list_id: i.list_id || undefined,
    item_list_name: i.list_name || undefined,
    location_id: i.location_id || undefined,
    quantity: Math.max(1, Math.round(i.quantity)),
    price: i.price,
    discount: i.discount,
    coupon: i.coupon || undefined,
    // MyTracker's `tax` is a percentage from 1 to 100, like our tax_rate; 0 has no valid spelling there.
    tax: i.tax_rate !== undefined && i.tax_rate >= 1 ? i.tax_rate : undefined,
    item_brand: i.brand || undefined,
    item_variant: i.variant || undefined,
    // MyTracker numbers its categories from 1 and has four of them (GA4 has five).
    item_category1: c?.[0] || undefined,
    item_category2: c?.[1] || undefined,
    item_category3: c?.[2] || undefined,
    item_category4: c?.[3] || undefined,
  };
}

/** The items an event affects: its own list, or for a whole-order event the order's items at that moment. */
function affectedItems(event: CanonicalEvent, order: FoldedOrder, before: FoldedOrder | null): Item[] {
  if (event.items.length) return event.items;
  if (event.status === 'refunded' || event.status === 'cancelled') return before?.items ?? [];
  // A whole-order ADD/PAY covers the items as they stood then, not after later refunds folded into `order`.
  return before?.items.length ? before.items : order.items;
}

/** A stable per-event action id: the shop's own, else one derived from the event key (status + change hash). */
function actionId(event: CanonicalEvent): string {
  return event.action_id ?? event.key.slice(event.key.indexOf(':') + 1).replaceAll(':', '-');
}

/** The `order` method body for one event, or the reason it cannot be sent. */
export function toMyTrackerEvent({ event, order, before }: Work): MyTrackerEvent | string {
  if (event.status === 'delivered' || event.status === 'updated') return `${event.status}: no MyTracker status`;
  // The event's own identifiers first, else what other events of the order said.
  const ec = event.customer;
  const oc = order.customer;
  const lvid = ec.lvid ?? oc.lvid;
  const app = ec.app ?? oc.app ?? {};
  const customUserId = (ec.id ?? oc.id) || undefined;
  const lvid32 = lvid?.length === 32 ? lvid : undefined;
  const instanceId = app.instance_id || undefined;
  const gaid = app.gaid || undefined;
  const appSetId = app.app_set_id || undefined;
  const androidId = app.android_id || undefined;
  const idfa = app.idfa || undefined;
  const iosVendorId = app.ios_vendor_id || undefined;
  if (!(customUserId || lvid32 || instanceId || gaid || appSetId || androidId || idfa || iosVendorId))
    return 'no_identifier';
  const items = affectedItems(event, order, before);
  if (items.length === 0) return 'no_items';
  const coupon = event.coupons?.join(',') ?? order.coupons?.join(',');
  const ip = event.context.ip ?? order.ip;
  const v6 = ip?.includes(':') ?? false;
  const userAgent = event.context.user_agent ?? order.user_agent;
  return {
    customUserId,
    lvid: lvid32,
    instanceId,
    gaid,
    appSetId,
    androidId,
    idfa,
    iosVendorId,
    eventTimestamp: event.occurred_at,
    ipv4: ip && !v6 ? ip.slice(0, 15) : undefined,
    ipv6: ip && v6 ? ip.slice(0, 45) : undefined,
    userAgent: userAgent ? userAgent.slice(0, 2048) : undefined,
    order: {
      order_id: event.order_id,
      status: STATUS[event.status],
      currency_code: event.currency,
      action_id: actionId(event),
      action_ts: String(event.occurred_at),
      coupon: coupon || undefined,
      items: items.map(toItem),
    },
  };
}

/** UTF-8 length without encoding (a lone surrogate counts 3 bytes, as TextEncoder's U+FFFD would). */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2;
      i++;
    } else n += 2;
  }
  return n;
}

type Body = { key: string; order: string; json: string; bytes?: number };
const bytesOf = (b: Body): number => (b.bytes ??= utf8Length(b.json));

/**
 * ≤ 20 elements and ≤ 10 KB as the JSON array `[a,b,…]` of `pack` then `more`. A string of n UTF-16 units is n to
 * 3n UTF-8 bytes, so bytes are only counted (a walk over the string) when those bounds do not already decide.
 */
function fits(pack: readonly Body[], more: readonly Body[] = []): boolean {
  const count = pack.length + more.length;
  if (count > MAX_BATCH_ORDERS) return false;
  let units = 1 + count;
  for (const b of pack) units += b.json.length;
  for (const b of more) units += b.json.length;
  if (units > MAX_BODY_BYTES) return false;
  if (3 * units - 2 * (1 + count) <= MAX_BODY_BYTES) return true;
  let bytes = 1 + count;
  for (const b of pack) bytes += bytesOf(b);
  for (const b of more) bytes += bytesOf(b);
  return bytes <= MAX_BODY_BYTES;
}

function request(config: MyTrackerConfig, method: 'order' | 'orderBatch', body: string, keys: string[]): VendorRequest {
  return {
    method: 'POST',
    url: `${config.baseUrl}/v1/${method}/?idApp=${encodeURIComponent(config.appId)}`,
    headers: { Authorization: config.token, 'Content-Type': 'application/json' },
    body,
    keys,
  };
}

/** One event alone goes to `order`; more to `orderBatch`. */
function packRequest(config: MyTrackerConfig, pack: readonly Body[]): VendorRequest {
  const [only, ...rest] = pack;
  return only && !rest.length
    ? request(config, 'order', only.json, [only.key])
    : request(
        config,
        'orderBatch',
        `[${pack.map((b) => b.json).join(',')}]`,
        pack.map((b) => b.key),
      );
}

export const mytracker: Vendor<MyTrackerConfig> = {
  name: 'mytracker',
  label: 'MyTracker',
  mode: 'queue',
  consentKey: 'ad_user_data',
  secrets: ['MYTRACKER_TOKEN'],

  parseConfig(env) {
    const appId = str(env, 'MYTRACKER_APP_ID');
    const token = str(env, 'MYTRACKER_TOKEN');
    if (!appId || !token) return null;
    return {
      appId,
      token,
      baseUrl: trimSlash(str(env, 'MYTRACKER_BASE_URL') ?? MYTRACKER_BASE_URL),
      batch: str(env, 'MYTRACKER_BATCH') !== 'false',
    };
  },

  plan(work, config): Plan {
    const skipped: Skip[] = [];
    const bodies: Body[] = [];
    for (const w of work) {
      const body = toMyTrackerEvent(w);
      if (typeof body === 'string') skipped.push({ key: w.event.key, reason: body });
      else {
        bodies.push({ key: w.event.key, order: w.event.order_id, json: JSON.stringify(body) });
      }
    }
    // Events of one order go one after another (ADD before PAY before REFUND): a lane per order.
    if (!config.batch) {
      return {
        skipped,
        requests: bodies.map((b) => ({ ...request(config, 'order', b.json, [b.key]), lane: `order:${b.order}` })),
      };
    }
    // orderBatch elements are whole `order` method bodies, identifiers included: the docs' flat example has no
    // user id although the page requires one, and the sibling registrationBatch takes full single bodies
    // (docs/vendors/mytracker.md). Events of one order stay in one request so their ADD → PAY → REFUND order holds; an
    // order with more than one request can take is cut into consecutive requests sharing a lane.
    const groups = new Map<string, Body[]>();
    for (const b of bodies) {
      const group = groups.get(b.order);
      if (group) group.push(b);
      else groups.set(b.order, [b]);
    }
    const requests: VendorRequest[] = [];
    let pack: Body[] = [];
    const close = () => {
      if (pack.length) requests.push(packRequest(config, pack));
      pack = [];
    };
    for (const [orderId, group] of groups) {
      if (fits(pack, group)) {
        pack.push(...group);
        continue;
      }
      close();
      if (fits(group)) {
        pack = [...group];
        continue;
      }
      let chunk: Body[] = [];
      for (const b of group) {
        if (chunk.length && !fits(chunk, [b])) {
          requests.push({ ...packRequest(config, chunk), lane: `order:${orderId}` });
          chunk = [];
        }
        chunk.push(b);
      }
      requests.push({ ...packRequest(config, chunk), lane: `order:${orderId}` });
    }
    close();
    return { requests, skipped };
  },

  // 200 {"message":"ОK"} (a Cyrillic О: trust the status, not the text); 400/403/404 are permanent.
  classify: classifyHttp,

  checkRequest(config) {
    return {
      ...request(config, 'order', '{}', []),
      url: `${config.baseUrl}/v1/test-app-access?idApp=${encodeURIComponent(config.appId)}`,
    };
  },
};

/**
 * MyTracker publishes no limit: 100 requests/s is an assumption (MYTRACKER_MAX_PER_SECOND overrides it). A request
 * carries up to 20 orders; pacing counts the worst case, one per delivery.
 */
export const RATE_LIMIT: RateLimit = {
  max: 100,
  windowMs: 1000,
  env: 'MYTRACKER_MAX_PER_SECOND',
  requestsPerEvent: 1,
  assumed: true,
};
