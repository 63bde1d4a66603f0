// Fake Ecomail transaction tracker, written from https://docs.ecomail.cz/api-reference/transactions/create
// (docs/vendors/ecomail.md): POST /tracker/transaction,
// PUT /tracker/transaction/{order_id}, DELETE /tracker/transaction/{order_id}/delete; header `key`; 1000 req/min.
// Errors use the Laravel shape the docs show: 422 {"errors":{"field":["message"]}}.
import { createFakeBase, isMediaType, isNumeric, isObject, json, matchPath } from './common.mjs';

const STATUSES = ['processing', 'canceled', 'pending', 'completed', null];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Validate a {transaction, transaction_items} body; returns a Laravel-style errors object (empty = valid). */
function validate(b) {
  const e = {};
  const add = (field, msg) => {
    e[field] ??= [];
    e[field].push(msg);
  };
  const t = isObject(b) ? b.transaction : undefined;
  const items = isObject(b) ? b.transaction_items : undefined;
  if (!isObject(t)) add('transaction', 'The transaction field is required.');
  // [I] Laravel's `required` also fails on an empty array, so an order must list at least one item.
  if (!Array.isArray(items) || items.length === 0) add('transaction_items', 'The transaction items field is required.');
  if (isObject(t)) {
    if (!(typeof t.order_id === 'string' && t.order_id) && !Number.isInteger(t.order_id))
      add('transaction.order_id', 'The transaction.order_id field is required.');
    if (typeof t.email !== 'string' || !t.email) add('transaction.email', 'The transaction.email field is required.');
    else if (!EMAIL.test(t.email)) add('transaction.email', 'The transaction.email must be a valid email address.');
    for (const k of ['shop', 'city', 'county', 'country']) {
      if (t[k] != null && typeof t[k] !== 'string') add(`transaction.${k}`, `The transaction.${k} must be a string.`);
    }
    for (const k of ['amount', 'tax', 'shipping']) {
      if (t[k] != null && !isNumeric(t[k])) add(`transaction.${k}`, `The transaction.${k} must be a number.`);
    }
    // [I] unix SECONDS; a millisecond value (> year 2286) is refused to catch the classic ×1000 bug.
    if (t.timestamp != null && !(Number.isInteger(t.timestamp) && t.timestamp >= 0 && t.timestamp < 1e10)) {
      add('transaction.timestamp', 'The transaction.timestamp must be a unix timestamp in seconds.');
    }
    if (t.props != null && typeof t.props !== 'string' && !isObject(t.props))
      add('transaction.props', 'The transaction.props must be a string or an object.');
    if ('status' in t && !STATUSES.includes(t.status))
      add('transaction.status', 'The selected transaction.status is invalid.');
  }
  (Array.isArray(items) ? items : []).forEach((it, i) => {
    const f = (k) => `transaction_items.${i}.${k}`;
    if (!isObject(it)) {
      add(`transaction_items.${i}`, `The transaction_items.${i} must be an object.`);
      return;
    }
    for (const k of ['code', 'title', 'category'])
      if (it[k] != null && typeof it[k] !== 'string') add(f(k), `The ${f(k)} must be a string.`);
    for (const k of ['price', 'amount'])
      if (it[k] != null && !isNumeric(it[k])) add(f(k), `The ${f(k)} must be a number.`);
    if (it.categories != null) {
      if (!Array.isArray(it.categories)) add(f('categories'), `The ${f('categories')} must be an array.`);
      else {
        if (it.categories.length > 20) add(f('categories'), `The ${f('categories')} may not have more than 20 items.`);
        if (!it.categories.every((c) => typeof c === 'string' && c.length <= 100))
          add(f('categories'), `Each of ${f('categories')} must be a string of at most 100 characters.`);
      }
    }
    if (it.tags != null && !(Array.isArray(it.tags) && it.tags.every((x) => typeof x === 'string')))
      add(f('tags'), `The ${f('tags')} must be an array of strings.`);
  });
  return e;
}

/** Rate-limit mode (fake.rateLimits()): "up to 1,000 requests per minute per API key", 429 with Retry-After past it
 * (https://docs.ecomail.cz/api-reference/introduction, "Rate limiting"). The per-key minute check in process() below
 * is always on; this rule counts the same window before any other check. */
export const LIMITS = [{ name: 'per-key-minute', max: 1000, windowMs: 60_000, key: (r) => r.headers.key ?? null }];

const utc = (sec) => new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ');

/** createFake({ apiKey = 'test-ecomail-key', ratePerMinute = 1000, now = Date.now }) → fake Ecomail. */
export function createFake({ apiKey = 'test-ecomail-key', ratePerMinute = 1000, now = Date.now } = {}) {
  let nextId = 1;
  let hits = []; // request times within the last minute, for the rate limit
  const transactions = new Map(); // order_id → { id, transaction, transaction_items }
  const duplicates = [];
  const deleted = [];

  const fake = createFakeBase({
    name: 'ecomail',
    limits: LIMITS,
    errorBody: (status) => (status === 429 ? { message: 'Too Many Attempts.' } : { message: 'Server Error' }),
    onReset() {
      transactions.clear();
      duplicates.length = 0;
      deleted.length = 0;
      hits = [];
      nextId = 1;
    },
    process(ctx) {
      const post = ctx.method === 'POST' && matchPath(ctx.path, '/tracker/transaction');
      const put = ctx.method === 'PUT' && matchPath(ctx.path, '/tracker/transaction/([^/]+)');
      const del = ctx.method === 'DELETE' && matchPath(ctx.path, '/tracker/transaction/([^/]+)/delete');
      if (!post && !put && !del) return json(404, { message: 'Not Found' }); // [I] undocumented
      if (ctx.headers.get('key') !== apiKey) return json(401, { message: 'Unauthorized' });
      const t = now();
      hits = hits.filter((h) => h > t - 60000);
      if (hits.length >= ratePerMinute) {
        return json(
          429,
          { message: 'Too Many Attempts.' },
          { 'retry-after': String(Math.ceil((hits[0] + 60000 - t) / 1000)) },
        );
      }
      hits.push(t);
      // [I] a non-JSON body reads as empty input in Laravel, which then fails `required` below.
      let b = {};
      if (isMediaType(ctx.headers.get('content-type'), 'application/json') && ctx.body) {
        try {
          b = JSON.parse(ctx.body);
        } catch {
          b = {};
        }
      }
      if (del) {
        const id = del[0];
        const shop = isObject(b) ? b.transaction_data?.shop : undefined;
        const row = transactions.get(id);
        const ok = !!row && (shop === undefined || row.transaction.shop === shop);
        if (ok) {
          transactions.delete(id);
          deleted.push(id);
          ctx.accept({ method: 'DELETE', order_id: id });
        }
        ctx.summary(`delete ${id}${ok ? '' : ' (nothing)'}`);
        return json(200, { deleted: ok });
      }
      // [I] PUT on an unknown order_id is undocumented; answered like a Laravel model lookup miss (before validation).
      if (put && !transactions.has(put[0])) return json(404, { errors: { order_id: ['not found'] } });
      const errors = validate(b);
      if (Object.keys(errors).length) return json(422, { errors });
      const tr = b.transaction;
      const orderId = String(tr.order_id);
      if (put) {
        if (orderId !== put[0])
          return json(422, { errors: { 'transaction.order_id': ['The transaction.order_id must match the URL.'] } });
        const row = transactions.get(put[0]);
        transactions.set(orderId, { id: row.id, transaction: tr, transaction_items: b.transaction_items }); // whole order overwritten
        ctx.accept({ method: 'PUT', order_id: orderId, transaction: tr, transaction_items: b.transaction_items });
        ctx.summary(`PUT ${orderId} ${tr.status ?? ''} amount=${tr.amount ?? '-'}`);
        return json(200, {});
      }
      const id = nextId++;
      // [I] a repeat POST for the same order_id probably adds a duplicate row (docs/vendors/ecomail.md): accepted, also listed.
      const duplicate = transactions.has(orderId);
      if (duplicate)
        duplicates.push({ order_id: orderId, id, transaction: tr, transaction_items: b.transaction_items });
      transactions.set(orderId, { id, transaction: tr, transaction_items: b.transaction_items });
      ctx.accept({
        method: 'POST',
        order_id: orderId,
        transaction: tr,
        transaction_items: b.transaction_items,
        duplicate,
      });
      ctx.summary(`POST ${orderId} ${tr.status ?? ''} amount=${tr.amount ?? '-'}${duplicate ? ' DUPLICATE' : ''}`);
      return json(200, {
        order_id: tr.order_id,
        email: tr.email,
        shop: tr.shop ?? null,
        amount: tr.amount ?? null,
        timestamp: utc(tr.timestamp ?? Math.floor(t / 1000)),
        id,
        status: tr.status ?? null,
      });
    },
  });
  return Object.assign(fake, { transactions, duplicates, deleted });
}
