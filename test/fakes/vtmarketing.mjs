// Fake VTmarketing server-side events API, written from https://help.vtcdn.net/kb/serverside-integration/
// (docs/vendors/vtmarketing.md): POST /v1/event/ with a `confirmation` event.
// Field names are case-sensitive; a later confirmation with an orderId already seen for the user is dropped.
import { createFakeBase, isMediaType, isObject, json, matchPath } from './common.mjs';

const error = (status, message, description) => json(status, { errors: [{ message, description }] });
const CREATED = json(200, { results: { message: 'Event created', email: 'Event was created for the specified user' } });
const isStr = (v) => typeof v === 'string';
const isNum = (v) => typeof v === 'number' && Number.isFinite(v); // "[float]": a JSON number, not "400.33"
// The documented keys of each object, with their type checks. [I] Unknown or mis-cased keys are errors
// ("orderId is different from orderid"), so a typo cannot pass silently.
const SHAPES = {
  root: { user: isObject, event: isObject },
  user: { email: isStr, tel: isStr, firstname: isStr, lastname: isStr, country: isStr, city: isStr },
  event: { confirmation: isObject },
  confirmation: { generic: isObject, items: Array.isArray },
  generic: {
    orderId: isStr,
    total: isNum,
    status: isStr,
    phone: isStr,
    total_shipping: isNum,
    currency: (v) => isStr(v) && /^[A-Z]{3}$/.test(v),
    coupons: (v) => Array.isArray(v) && v.every(isStr),
  },
  item: { id: isStr, quantity: (v) => isNum(v) && v > 0 },
};

/** Returns an error reply for the first key of `obj` that is unknown or has a wrong type, else null. */
function checkShape(obj, shape, where) {
  for (const [k, v] of Object.entries(obj)) {
    if (!(k in shape))
      return error(400, 'Invalid field', `Unknown field "${where}.${k}" (field names are case-sensitive)`);
    if (!shape[k](v)) return error(400, 'Invalid field', `Field "${where}.${k}" has an invalid type or value`);
  }
  return null;
}

/** Rate-limit mode (fake.rateLimits()): the vendor publishes no figure; 100 requests/s is an ASSUMPTION for load tests. */
export const LIMITS = [{ name: 'assumed-second', max: 100, windowMs: 1000, key: () => 'all' }];

/** createFake({ apiKey = 'test-vtmarketing-key' }) → fake VTmarketing; also exposes ignoredDuplicates. */
export function createFake({ apiKey = 'test-vtmarketing-key' } = {}) {
  const seen = new Map(); // lower-case email → Set(orderId)
  const ignoredDuplicates = [];
  let autoId = 1;

  const fake = createFakeBase({
    name: 'vtmarketing',
    limits: LIMITS,
    errorBody: (status) => ({
      errors: [{ message: status === 429 ? 'Too many requests' : 'Internal error', description: 'Injected failure' }],
    }),
    onReset() {
      seen.clear();
      ignoredDuplicates.length = 0;
      autoId = 1;
    },
    process(ctx) {
      // [I] the endpoint is documented with its trailing slash; without it we answer 404 (a real server may redirect,
      // and a redirected POST loses its body), so the Worker must use the exact path.
      if (!matchPath(ctx.path, '/v1/event/')) return error(404, 'Not found', 'Unknown endpoint');
      if (ctx.method !== 'POST') return error(405, 'Method not allowed', 'Use POST');
      // [I] the bare key, no scheme ("Authorization: api_key").
      if (ctx.headers.get('authorization') !== apiKey) return error(401, 'Unauthorized', 'Invalid or missing API key');
      if (!isMediaType(ctx.headers.get('content-type'), 'application/json')) {
        return error(400, 'Invalid content type', 'Content-Type must be application/json');
      }
      let b;
      try {
        b = JSON.parse(ctx.body);
      } catch {
        return error(400, 'Invalid JSON', 'The request body is not valid JSON');
      }
      if (!isObject(b)) return error(400, 'Invalid payload', 'The payload must be a JSON object');
      if (!('user' in b))
        return error(400, 'Missing user information', 'Please send user information along with event');
      if (!('event' in b))
        return error(400, 'Missing event information', 'Please send event information along with user');
      const bad =
        checkShape(b, SHAPES.root, 'body') ??
        checkShape(b.user, SHAPES.user, 'user') ??
        checkShape(b.event, SHAPES.event, 'event');
      if (bad) return bad;
      if (!b.user.email) return error(400, 'Missing email', 'user.email is required');
      if (!/^[^\s@]+@[^\s@]+$/.test(b.user.email))
        return error(400, 'Invalid email', 'user.email is not an email address');
      const conf = b.event.confirmation;
      if (!conf) return error(400, 'Unsupported event', 'Only the "confirmation" event is supported');
      const bad2 =
        checkShape(conf, SHAPES.confirmation, 'event.confirmation') ??
        (conf.generic ? checkShape(conf.generic, SHAPES.generic, 'generic') : null) ??
        (conf.items ?? []).reduce(
          (acc, it, i) =>
            acc ??
            (isObject(it)
              ? checkShape(it, SHAPES.item, `items[${i}]`)
              : error(400, 'Invalid field', `items[${i}] must be an object`)),
          null,
        );
      if (bad2) return bad2;
      if (!conf.generic) return error(400, 'Missing generic information', 'event.confirmation.generic is required');
      const g = conf.generic;
      if (!('total' in g)) return error(400, 'Missing total', 'generic.total is required');
      // "missing orderId won't generate an error": the vendor assigns one; recorded so tests can see it.
      const missingOrderId = !g.orderId;
      const orderId = g.orderId || `auto-${autoId++}`;
      const email = b.user.email.toLowerCase(); // [I] users keyed by email, case-insensitively
      const orders = seen.get(email) ?? new Set();
      seen.set(email, orders);
      if (orders.has(orderId)) {
        // The vendor rejects later events with the same orderId, yet the API answers as usual [I: 200].
        ignoredDuplicates.push({ email: b.user.email, orderId, raw: b });
        ctx.reject('ignored duplicate orderId');
        ctx.summary(`confirmation ${orderId} IGNORED duplicate`);
        return CREATED;
      }
      orders.add(orderId);
      ctx.accept({ email: b.user.email, orderId, total: g.total, items: conf.items ?? [], missingOrderId, raw: b });
      ctx.summary(`confirmation ${orderId} total=${g.total}`);
      return CREATED;
    },
  });
  return Object.assign(fake, { ignoredDuplicates });
}
