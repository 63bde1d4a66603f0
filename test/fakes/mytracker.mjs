// Fake MyTracker S2S Ecomm API, written from https://docs.tracker.my.com/api/s2s-api/import-ecomm?lang=en
// (docs/vendors/mytracker.md): POST /v1/order/ and /v1/orderBatch/ (≤20),
// plus /v1/test-app-access from the official PHP client. Strict: anything the docs forbid gets their 400 body.
import { createFakeBase, isInteger, isMediaType, isNumeric, isObject, json, matchPath } from './common.mjs';

const OK = json(200, { message: 'ОK' }); // the "О" is Cyrillic U+041E, exactly as in the docs
const BAD = json(400, { error: 'Bad Request' });
const STATUSES = ['ADD', 'PAY', 'CANCEL', 'REFUND'];
const MAX_BYTES = 10240;
const LIMITED_STRINGS = { customUserId: 1024, ipv4: 15, ipv6: 45, userAgent: 2048 };
// App device ids: "number of symbols 36"; androidId says 16 but its own example has 15 chars [I: ≤16].
const APP_IDS = { instanceId: 36, gaid: 36, appSetId: 36, idfa: 36, iosVendorId: 36 };
const ENUMS = {
  adBlocker: [0, 1],
  idGender: [0, 1, 2],
  connectionType: [0, 1, 2],
  bluetoothEnabled: [0, 1, 2],
  adTrackingEnabled: [0, 1],
};
const ITEM_STRINGS = [
  'affiliation',
  'coupon',
  'item_brand',
  'item_variant',
  'item_list_id',
  'item_list_name',
  'item_category1',
  'item_category2',
  'item_category3',
  'item_category4',
  'location_id',
];

const str = (v, max = Infinity) => typeof v === 'string' && v.length > 0 && v.length <= max;
const inRange = (v, lo, hi) => isNumeric(v) && Number(v) >= lo && Number(v) <= hi;

/** Validate one single-method body; returns the accepted entry or null. */
function validateOrderBody(b) {
  if (!isObject(b)) return null;
  const ids = {};
  for (const [k, max] of Object.entries(LIMITED_STRINGS)) if (k in b && !str(b[k], max)) return null;
  if ('customUserId' in b) ids.customUserId = b.customUserId;
  if ('lvid' in b) {
    if (typeof b.lvid !== 'string' || b.lvid.length !== 32) return null;
    ids.lvid = b.lvid;
  }
  for (const [k, len] of Object.entries(APP_IDS)) {
    if (k in b) {
      if (typeof b[k] !== 'string' || b[k].length !== len) return null;
      ids[k] = b[k];
    }
  }
  if ('androidId' in b) {
    if (!str(b.androidId, 16)) return null;
    ids.androidId = b.androidId;
  }
  if (Object.keys(ids).length === 0) return null; // "the user and/or device ID" is required
  // [I] eventTimestamp: the table says Number, examples use strings; both accepted, integer seconds only.
  if ('eventTimestamp' in b && !(isInteger(b.eventTimestamp) && inRange(b.eventTimestamp, 946674000, 4294967295)))
    return null;
  for (const [k, allowed] of Object.entries(ENUMS))
    if (k in b && !(isInteger(b[k]) && allowed.includes(Number(b[k])))) return null;
  if ('age' in b && !(isInteger(b.age) && inRange(b.age, 0, 128))) return null;

  const o = b.order;
  if (!isObject(o) || !str(o.order_id)) return null;
  const status = o.status ?? 'PAY';
  if (!STATUSES.includes(status)) return null;
  if ('currency_code' in o && !(typeof o.currency_code === 'string' && /^[A-Z]{3}$/.test(o.currency_code))) return null;
  if ('action_id' in o && !str(o.action_id)) return null;
  if ('action_ts' in o && !(isInteger(o.action_ts) && Number(o.action_ts) > 0)) return null;
  if ('coupon' in o && typeof o.coupon !== 'string') return null;
  if (!Array.isArray(o.items) || o.items.length === 0 || !o.items.every(validItem)) return null;
  return {
    order_id: o.order_id,
    status,
    action_id: o.action_id,
    currency_code: o.currency_code,
    items: o.items,
    ids,
    eventTimestamp: b.eventTimestamp,
    raw: b,
  };
}

function validItem(it) {
  if (!isObject(it) || !str(it.item_id) || !str(it.item_name)) return false;
  for (const k of ITEM_STRINGS) if (k in it && typeof it[k] !== 'string') return false;
  // Unknown keys (the docs' own "affilation" typo) are tolerated, as the docs' examples need it.
  if ('price' in it && !(isNumeric(it.price) && Number(it.price) >= 0)) return false;
  if ('discount' in it && !(isNumeric(it.discount) && Number(it.discount) >= 0)) return false;
  if ('tax' in it && !inRange(it.tax, 1, 100)) return false; // a percentage, not an amount
  if ('index' in it && !isInteger(it.index)) return false;
  // [I] quantity: "Integer" (examples as strings); a zero or negative count is meaningless.
  if ('quantity' in it && !(isInteger(it.quantity) && Number(it.quantity) >= 1)) return false;
  return true;
}

/** Rate-limit mode (fake.rateLimits()): the vendor publishes no figure; 100 requests/s is an ASSUMPTION for load tests. */
export const LIMITS = [{ name: 'assumed-second', max: 100, windowMs: 1000, key: () => 'all' }];

/** createFake({ token = 'test-mytracker-token', appId = '12345' }) → fake MyTracker. */
export function createFake({ token = 'test-mytracker-token', appId = '12345' } = {}) {
  return createFakeBase({
    name: 'mytracker',
    limits: LIMITS,
    errorBody: (status) => ({
      error: status >= 500 ? 'Internal Server Error' : status === 429 ? 'Too Many Requests' : 'Bad Request',
    }),
    process(ctx) {
      // [I] routing before auth; only POST exists (the PHP client always POSTs); trailing slash optional.
      const m = matchPath(ctx.path, '/v(\\d+)/(order|orderBatch|test-app-access)/?');
      if (!m || ctx.method !== 'POST') return json(404, { error: 'Method not found' });
      if (m[0] !== '1') return json(400, { error: 'Bad api version' });
      if (ctx.headers.get('authorization') !== token || String(ctx.query.idApp ?? '') !== String(appId)) {
        return json(403, { error: 'Forbidden' });
      }
      if (m[1] === 'test-app-access') return OK;
      // [I] a wrong Content-Type is a validation error.
      if (!isMediaType(ctx.headers.get('content-type'), 'application/json')) return BAD;
      if (ctx.bytes.length === 0) return json(400, { error: 'Empty post data' });
      if (ctx.bytes.length > MAX_BYTES) {
        ctx.reject(`body ${ctx.bytes.length} bytes > 10 KB`);
        return BAD;
      }
      let body;
      try {
        body = JSON.parse(ctx.body);
      } catch {
        return json(400, { error: 'Bad json' });
      }
      // [I] batch elements are full single-method bodies {ids…, order:{…}} (docs/vendors/mytracker.md), not the flat example.
      const bodies = m[1] === 'orderBatch' ? body : [body];
      if (m[1] === 'orderBatch' && (!Array.isArray(body) || body.length < 1 || body.length > 20)) return BAD;
      const entries = bodies.map(validateOrderBody);
      if (entries.some((e) => e === null)) return BAD; // one bad element fails the whole batch
      for (const e of entries) ctx.accept(e);
      ctx.summary(
        entries.map((e) => `order ${e.order_id} ${e.status}${e.action_id ? `#${e.action_id}` : ''}`).join(', '),
      );
      return OK;
    },
  });
}
