// Fake eSputnik / Yespo API: POST /api/v1/contact (single upsert) and POST /api/v1/event, written from
// "How to Send Orders via the API Resource v1/event" (docs/vendors/esputnik.md).
// The vendor silently ignores order events it cannot use; this fake answers 200 the same way but records why in `dropped`.
import { createFakeBase, isMediaType, isNumeric, isObject, json, matchPath } from './common.mjs';

const FORBIDDEN_KEY_CHARS = /[<;'\\/|"^?!,>]/; // docs.esputnik.com/docs/validating-event-parameters
const ORDER_STATUSES = ['INITIALIZED', 'IN_PROGRESS', 'DELIVERED', 'CANCELLED', 'ABANDONED_SHOPPING_CART'];
const ORDER_EVENTS = ['orderCreated', 'orderUpdated', 'orderDelivered', 'orderCancelled'];
// Default contact-identifying param names, matched ignoring case (the docs' "Important!" box) + externalCustomerId
// (docs/vendors/esputnik.md).
const EMAIL_NAMES = ['email', 'emailaddress', 'useremail', 'contactemail'];
const PHONE_NAMES = ['phone', 'sms', 'phonenumber'];
const ID_NAMES = ['contactid', 'contact_id'];
const digits = (s) => String(s).replace(/\D/g, ''); // [I] phones compared by digits only ("+380…" = "380…")
const err = (status, text) => json(status, { error: text }); // [I] error bodies are undocumented ("optional text")

// Recommendation events, from the docs' second half ("How to Use v1/event to Transfer Data to the Recommendation
// System"; docs/vendors/esputnik.md): the JSON-encoded param each type needs and what it must hold. This fake answers a
// malformed one with 400 and the expected structure, as eSputnik does with parameter validation on.
const BROWSE_PARAM = {
  pageViewed: 'page',
  productViewed: 'product',
  productCategoryViewed: 'category',
  cartUpdated: 'products',
};
const isStr = (x) => typeof x === 'string' && x.length > 0;
const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
const optional = (x, check) => x === undefined || check(x);
function browseShapeError(key, p) {
  const raw = p[BROWSE_PARAM[key]];
  if (key === 'cartUpdated' && raw === undefined) return null; // "required if the cart isn't empty"
  let v;
  try {
    v = JSON.parse(raw ?? '');
  } catch {
    return `Param "${BROWSE_PARAM[key]}" must be a JSON-encoded string`;
  }
  if ('currencyCode' in p && !/^[A-Z]{3}$/.test(p.currencyCode)) return 'currencyCode must be an ISO 4217 code';
  if (key === 'pageViewed') {
    if (!isObject(v) || !isStr(v.location) || !URL.canParse(v.location)) return 'page must be {"location": url}';
  } else if (key === 'productViewed') {
    if (!isObject(v) || !isStr(v.productId)) return 'product needs productId (string)';
    if (!optional(v.price, isNum)) return 'product.price must be a number';
    if (!optional(v.isInStock, (x) => x === 0 || x === 1)) return 'product.isInStock is 0 or 1';
  } else if (key === 'productCategoryViewed') {
    if (!isObject(v) || !isStr(v.productCategoryId)) return 'category needs productCategoryId (string)';
  } else {
    if (!Array.isArray(v)) return 'products must be a JSON array';
    for (const x of v) {
      if (!isObject(x) || !isStr(x.productId)) return 'Each product needs productId (string)';
      if (!Number.isInteger(x.quantity) || x.quantity < 0) return 'product.quantity must be an integer';
      if (!isNum(x.price)) return 'product.price must be a number';
      if (!optional(x.name, isStr) || !optional(x.category, isStr)) return 'product name and category are strings';
      if (!optional(x.discount, (d) => typeof d === 'string' && isNumeric(d))) return 'product.discount is a string';
    }
    if (!isStr(p.recycleStateId) || !/^[0-9A-Za-z-]+$/.test(p.recycleStateId))
      return 'recycleStateId (random numbers and Latin letters) is required';
  }
  return null;
}

/**
 * Rate-limit mode (fake.rateLimits()), from https://docs.yespo.io/reference/rate-limits: 350 requests/s on each event
 * endpoint (/api/v1|v2|v3/event), 200 requests/s in total for every other method (contact upserts count there);
 * 429 above. The page names no Retry-After; the fake sends one (seconds until the window frees a slot).
 */
const EVENT_ENDPOINT = /\/api\/v[123]\/event\/?$/;
export const LIMITS = [
  {
    name: 'event-endpoint-second',
    max: 350,
    windowMs: 1000,
    key: (r) => (EVENT_ENDPOINT.test(r.path) ? r.path.replace(/\/$/, '') : null),
  },
  { name: 'other-methods-second', max: 200, windowMs: 1000, key: (r) => (EVENT_ENDPOINT.test(r.path) ? null : 'all') },
];

/** createFake({ apiKey = 'test-esputnik-key' }) → fake eSputnik; also exposes contacts, orders, dropped, browse. */
export function createFake({ apiKey = 'test-esputnik-key' } = {}) {
  let nextId = 1;
  const contacts = new Map(); // id → { id, externalCustomerId, firstName, lastName, email, phone, channels, raw }
  const orders = new Map(); // externalOrderId → { externalOrderId, status, totalCost, items, …, events: [] }
  const dropped = [];
  const browse = []; // accepted recommendation events, params decoded

  function findContact(p) {
    const lower = Object.fromEntries(Object.entries(p).map(([k, v]) => [k.toLowerCase(), v]));
    const all = [...contacts.values()];
    const ext = lower.externalcustomerid;
    return (
      (ext && all.find((c) => c.externalCustomerId === ext)) ??
      all.find((c) => ID_NAMES.some((n) => lower[n] && String(c.id) === lower[n])) ??
      all.find(
        (c) => c.email && EMAIL_NAMES.some((n) => lower[n] && lower[n].toLowerCase() === c.email.toLowerCase()),
      ) ??
      all.find((c) => c.phone && PHONE_NAMES.some((n) => lower[n] && digits(lower[n]) === digits(c.phone))) ??
      null
    );
  }

  function upsertContact(ctx, b) {
    if (!isObject(b)) return err(400, 'Body must be a contact object');
    if (!Array.isArray(b.channels) || b.channels.length === 0) return err(400, 'channels is required');
    for (const ch of b.channels) {
      if (!isObject(ch) || !['email', 'sms'].includes(ch.type) || typeof ch.value !== 'string' || !ch.value) {
        return err(400, 'Each channel needs type email|sms and a value');
      }
    }
    for (const k of ['externalCustomerId', 'firstName', 'lastName', 'languageCode']) {
      if (k in b && typeof b[k] !== 'string') return err(400, `${k} must be a string`);
    }
    const email = b.channels.find((c) => c.type === 'email')?.value;
    const phone = b.channels.find((c) => c.type === 'sms')?.value;
    // Matching: externalCustomerId first, otherwise a contact with the same email/phone (docs/vendors/esputnik.md).
    let c = b.externalCustomerId
      ? [...contacts.values()].find((x) => x.externalCustomerId === b.externalCustomerId)
      : null;
    c ??= findContact({ email: email ?? '', phone: phone ?? '' });
    if (!c) {
      c = { id: nextId++ };
      contacts.set(c.id, c);
    }
    Object.assign(c, {
      externalCustomerId: b.externalCustomerId ?? c.externalCustomerId,
      firstName: b.firstName ?? c.firstName,
      lastName: b.lastName ?? c.lastName,
      email: email ?? c.email,
      phone: phone ?? c.phone,
      channels: [...(c.channels ?? []).filter((x) => !b.channels.some((y) => y.type === x.type)), ...b.channels],
      raw: b,
    });
    ctx.record.accepted = true; // stored in `contacts`; `accepted` lists events only
    ctx.summary(`contact ${c.id}${c.externalCustomerId ? ` ext=${c.externalCustomerId}` : ''}`);
    return json(200, { id: c.id });
  }

  function event(ctx, b) {
    if (!isObject(b)) return err(400, 'Body must be an event object');
    const { eventTypeKey: key, keyValue } = b;
    if (typeof key !== 'string' || !key || key.length > 100 || FORBIDDEN_KEY_CHARS.test(key)) {
      return err(400, 'eventTypeKey must be 1..100 characters without < ; \' \\ / | " ^ ? ! , >');
    }
    if (typeof keyValue !== 'string' || !keyValue) return err(400, 'keyValue is required');
    if ('params' in b && !Array.isArray(b.params)) return err(400, 'params must be an array');
    const p = {};
    for (const x of b.params ?? []) {
      if (!isObject(x) || typeof x.name !== 'string' || !x.name) return err(400, 'Each param needs a name');
      if (typeof x.value !== 'string') return err(400, `Param "${x.name}": value must be a string`);
      p[x.name] = x.value;
    }
    let items;
    if ('items' in p) {
      try {
        items = JSON.parse(p.items);
      } catch {
        items = null;
      }
      if (!Array.isArray(items)) return err(400, 'Param "items" must be a JSON-encoded array');
    }
    if (key in BROWSE_PARAM) {
      const problem = browseShapeError(key, p);
      if (problem) return err(400, `${key}: ${problem}`);
      // The docs' examples name the contact by keyValue = its email (or phone) and repeat it in the params.
      if (keyValue !== p.email && digits(keyValue) !== digits(p.phone ?? ''))
        return err(400, `${key}: keyValue must be the email or phone param`);
    }
    const entry = { eventTypeKey: key, keyValue, params: p, externalOrderId: p.externalOrderId };
    const drop = (reason) => {
      dropped.push({ reason, ...entry });
      ctx.reject(`dropped: ${reason}`);
      ctx.summary(`${key} ${p.externalOrderId ?? ''} DROPPED ${reason}`);
      return json(200, {}); // [I] the success body is undocumented; clients check only the status
    };
    const contact = findContact(p);
    if (!contact) return drop('unknown_contact'); // "v1/event only for an existing contact"
    if (ORDER_EVENTS.includes(key)) {
      const id = p.externalOrderId;
      if (!id) return drop('missing_required');
      const existing = orders.get(id);
      if ((key === 'orderDelivered' || key === 'orderCancelled') && !existing) return drop('unknown_order'); // [I] for Cancelled
      if (key === 'orderCreated' || (key === 'orderUpdated' && !existing)) {
        const hasCustomer =
          p.externalCustomerId ||
          Object.keys(p).some((n) => [...EMAIL_NAMES, ...PHONE_NAMES].includes(n.toLowerCase()));
        if (!hasCustomer || !p.totalCost || !p.status || !p.date) return drop('missing_required');
      }
      if (p.status !== undefined && !ORDER_STATUSES.includes(p.status)) return drop('invalid_status');
      if (p.totalCost !== undefined && !(isNumeric(p.totalCost) && Number(p.totalCost) >= 0))
        return drop('invalid_value');
      if (p.date !== undefined && Number.isNaN(Date.parse(p.date))) return drop('invalid_value');
      const order = key === 'orderCreated' || !existing ? { externalOrderId: id, events: [] } : existing;
      for (const [k, v] of Object.entries(p)) if (k !== 'items') order[k] = v;
      if (items) order.items = items;
      if (p.totalCost !== undefined) order.totalCost = Number(p.totalCost);
      if (key === 'orderDelivered') order.status = 'DELIVERED';
      if (key === 'orderCancelled') order.status = 'CANCELLED';
      order.contactId = contact.id;
      order.events.push(key);
      orders.set(id, order);
    }
    if (key in BROWSE_PARAM) {
      const decoded = Object.fromEntries(
        Object.entries(p).map(([k, v]) => [k, k === BROWSE_PARAM[key] ? JSON.parse(v) : v]),
      );
      browse.push({ eventTypeKey: key, keyValue, contactId: contact.id, params: decoded });
    }
    ctx.accept({ ...entry, contactId: contact.id });
    ctx.summary(`${key} ${p.externalOrderId ?? keyValue}${p.status ? ` ${p.status}` : ''}`);
    return json(200, {});
  }

  const fake = createFakeBase({
    name: 'esputnik',
    limits: LIMITS,
    errorBody: (status) => ({
      error: status === 429 ? 'Too Many Requests' : status >= 500 ? 'Internal Server Error' : 'Error',
    }),
    onReset() {
      contacts.clear();
      orders.clear();
      dropped.length = 0;
      browse.length = 0;
      nextId = 1;
    },
    process(ctx) {
      const info = matchPath(ctx.path, '/api/v1/account/info/?');
      const m = matchPath(ctx.path, '/api/v1/(contact|event)/?');
      if (!m && !info) return err(404, 'Not Found');
      if (ctx.method !== (info ? 'GET' : 'POST')) return err(405, 'Method Not Allowed');
      const auth = /^Basic\s+(\S+)$/i.exec(ctx.headers.get('authorization') ?? '');
      const decoded = auth ? Buffer.from(auth[1], 'base64').toString('utf8') : '';
      // Any username; the password is the API key.
      if (!decoded.includes(':') || decoded.slice(decoded.indexOf(':') + 1) !== apiKey) return err(401, 'Unauthorized');
      // "Testing your API connection": GET /api/v1/account/info answers the account's details.
      if (info) return json(200, { userEmail: 'owner@example.com', organisationName: 'Fake eSputnik account' });
      if (!isMediaType(ctx.headers.get('content-type'), 'application/json'))
        return err(415, 'Content-Type must be application/json');
      let b;
      try {
        b = JSON.parse(ctx.body);
      } catch {
        return err(400, 'Malformed JSON');
      }
      return m[0] === 'contact' ? upsertContact(ctx, b) : event(ctx, b);
    },
  });
  return Object.assign(fake, { contacts, orders, dropped, browse });
}
