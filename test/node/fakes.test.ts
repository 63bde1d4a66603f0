// Tests of the fake vendor servers (test/fakes/*.mjs) against the vendors' documented examples
// (docs/vendors/): examples accepted, malformed bodies rejected with the documented bodies, failure injection.
import { beforeEach, describe, expect, it } from 'vitest';
import { listenNode } from '../fakes/common.mjs';
import { createFake as createEcomail } from '../fakes/ecomail.mjs';
import { createFakeVendors, listenFakeVendors } from '../fakes/index.mjs';
import { createFake as createMyTracker } from '../fakes/mytracker.mjs';
import { createFake as createYandex, parseCsv } from '../fakes/yandex.mjs';

// biome-ignore lint/suspicious/noExplicitAny: the fakes' JSON answers are read freely in assertions.
type Json = any;

function post(url: string, body: unknown, headers: Record<string, string> = {}, method = 'POST'): Request {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new Request(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: text });
}
async function call(
  fake: { handle(r: Request): Promise<Response> },
  r: Request,
): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fake.handle(r);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}
/** Deterministic rng (mulberry32). */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------- MyTracker
const MT = 'https://tracker-s2s.my.com';
const MT_AUTH = { authorization: 'test-mytracker-token' };
const mtItem = {
  item_id: '00912',
  item_name: 'Apple',
  affilation: 'Gardens',
  item_list_id: '5',
  item_list_name: 'Fruits',
  price: '11.90',
  discount: '2',
  coupon: ' two-for-one',
  tax: '20',
  index: '1',
  item_brand: 'Honey Crisp',
  item_variant: 'Green',
  item_category1: 'Foodstuffs',
  item_category2: 'Fruits',
  item_category3: 'Apples',
  item_category4: 'Sweet',
  location_id: 'Oregon',
  quantity: '5',
};
const mtSeed = (status: string, action_ts: string, quantity: string) => ({
  lvid: '00000000000000000000000000000000',
  order: {
    order_id: '000919',
    currency_code: 'USD',
    status,
    action_ts,
    coupon: 'two-for-one',
    items: [{ ...mtItem, quantity }],
  },
});

describe('fake MyTracker', () => {
  const v = createFakeVendors();
  const mt = v.mytracker;
  beforeEach(() => v.reset());
  const order = (body: unknown, headers: Record<string, string> = MT_AUTH) =>
    call(v, post(`${MT}/v1/order/?idApp=12345`, body, headers));

  it('accepts the four documented curl examples and answers {"message":"ОK"} with a Cyrillic О', async () => {
    const seeds = [
      mtSeed('ADD', '1709317326', '5'),
      mtSeed('PAY', '1709478868', '4'),
      mtSeed('CANCEL', '1709479828', '1'),
      mtSeed('REFUND', '1709652628', '1'),
    ];
    for (const s of seeds) {
      const r = await order(s);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ message: '\u041eK' });
      expect(r.headers.get('content-type')).toBe('application/json');
    }
    expect(mt.accepted.map((a) => a.status)).toEqual(['ADD', 'PAY', 'CANCEL', 'REFUND']);
    const first = mt.accepted[0]!;
    expect(first.order_id).toBe('000919');
    expect(first.ids).toEqual({ lvid: '00000000000000000000000000000000' });
    expect(first.items[0]).toMatchObject({ affilation: 'Gardens', quantity: '5' }); // the docs' typo kept as an extra field
    expect(mt.received.every((r) => r.accepted)).toBe(true);
  });

  it('defaults status to PAY and accepts numbers, customUserId and a numeric eventTimestamp', async () => {
    const r = await order({
      customUserId: 'u1',
      eventTimestamp: 1709317326,
      order: { order_id: '1', items: [{ item_id: 'a', item_name: 'A', price: 11.9, quantity: 2 }] },
    });
    expect(r.status).toBe(200);
    expect(mt.accepted[0]).toMatchObject({ status: 'PAY', ids: { customUserId: 'u1' } });
  });

  it('answers 403 Forbidden for a bad, missing or Bearer token and a wrong or missing idApp', async () => {
    const body = mtSeed('ADD', '1709317326', '5');
    for (const [url, h] of [
      [`${MT}/v1/order/?idApp=12345`, { authorization: 'wrong' }],
      [`${MT}/v1/order/?idApp=12345`, {}],
      [`${MT}/v1/order/?idApp=12345`, { authorization: 'Bearer test-mytracker-token' }],
      [`${MT}/v1/order/?idApp=999`, MT_AUTH],
      [`${MT}/v1/order/`, MT_AUTH],
    ] as const) {
      const r = await call(v, post(url, body, h));
      expect(r.status).toBe(403);
      expect(r.body).toEqual({ error: 'Forbidden' });
    }
    expect(mt.accepted).toHaveLength(0);
  });

  it('rejects malformed bodies with the documented error bodies', async () => {
    const bad = async (body: unknown, error: string, headers: Record<string, string> = MT_AUTH) => {
      const r = await order(body, headers);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.body).toEqual({ error });
    };
    await bad('', 'Empty post data');
    await bad('{"lvid":', 'Bad json');
    const ok = mtSeed('ADD', '1709317326', '5');
    await bad({ order: ok.order }, 'Bad Request'); // no user/device identifier
    await bad({ ...ok, lvid: '0'.repeat(31) }, 'Bad Request');
    await bad({ ...ok, order: { ...ok.order, status: 'PAID' } }, 'Bad Request');
    await bad({ ...ok, order: { ...ok.order, items: [] } }, 'Bad Request');
    await bad({ ...ok, order: { ...ok.order, order_id: 919 } }, 'Bad Request');
    await bad({ ...ok, order: { ...ok.order, items: [{ ...mtItem, tax: '0' }] } }, 'Bad Request'); // tax is 1..100 %
    await bad({ ...ok, order: { ...ok.order, items: [{ ...mtItem, quantity: '1.5' }] } }, 'Bad Request');
    await bad({ ...ok, order: { ...ok.order, items: [{ item_id: 'x' }] } }, 'Bad Request'); // item_name required
    await bad({ ...ok, eventTimestamp: 1e12 }, 'Bad Request'); // milliseconds, out of range
    await bad({ ...ok, userAgent: 'x'.repeat(2049) }, 'Bad Request');
    await bad({ ...ok, order: { ...ok.order, coupon: 'x'.repeat(10300) } }, 'Bad Request'); // > 10 KB
    await bad(ok, 'Bad Request', { ...MT_AUTH, 'content-type': 'text/plain' });
    expect(mt.accepted).toHaveLength(0);
  });

  it('answers 404 for an unknown method and "Bad api version" for v2', async () => {
    expect((await call(v, post(`${MT}/v1/purchase/?idApp=12345`, {}, MT_AUTH))).body).toEqual({
      error: 'Method not found',
    });
    const r = await call(v, post(`${MT}/v2/order/?idApp=12345`, mtSeed('ADD', '1', '1'), MT_AUTH));
    expect(r).toMatchObject({ status: 400, body: { error: 'Bad api version' } });
  });

  it('orderBatch takes 1..20 full bodies; one bad element or 21 elements fail the whole batch', async () => {
    const el = (id: string) => ({
      lvid: 'a'.repeat(32),
      order: { order_id: id, status: 'ADD', items: [{ item_id: '1', item_name: 'A', quantity: '6' }] },
    });
    const batch = (b: unknown) => call(v, post(`${MT}/v1/orderBatch/?idApp=12345`, b, MT_AUTH));
    expect((await batch([el('1'), el('2')])).status).toBe(200);
    expect(mt.accepted.map((a) => a.order_id)).toEqual(['1', '2']);
    expect((await batch([el('3'), { order: el('4').order }])).status).toBe(400);
    expect((await batch(Array.from({ length: 21 }, (_, i) => el(`b${i}`)))).body).toEqual({ error: 'Bad Request' });
    expect((await batch([])).status).toBe(400);
    // The docs' flat example has no identifier; read as invalid (docs/vendors/mytracker.md).
    expect(
      (
        await batch([
          { order_id: '000919', status: 'ADD', items: [{ item_id: '00912', item_name: 'Apple', quantity: '6' }] },
        ])
      ).status,
    ).toBe(400);
    expect((await batch(el('5'))).status).toBe(400); // not an array
    expect(mt.accepted).toHaveLength(2);
  });

  it('test-app-access answers 200 with the right token only', async () => {
    expect((await call(v, post(`${MT}/v1/test-app-access?idApp=12345`, true, MT_AUTH))).status).toBe(200);
    expect((await call(v, post(`${MT}/v1/test-app-access?idApp=12345`, true, { authorization: 'x' }))).status).toBe(
      403,
    );
  });

  it('matches paths under any base and honours constructor options', async () => {
    const own = createMyTracker({ token: 'tok', appId: '7' });
    const r = await call(
      own,
      post('http://127.0.0.1:9999/prefix/v1/order/?idApp=7', mtSeed('ADD', '1', '1'), { authorization: 'tok' }),
    );
    expect(r.status).toBe(200);
    expect(own.accepted).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- eSputnik
const ES = 'https://esputnik.com/api/v1';
const ES_AUTH = { authorization: `Basic ${btoa('mc:test-esputnik-key')}` };
const seedOrderCreated = {
  eventTypeKey: 'orderCreated',
  keyValue: '380501234567',
  params: [
    { name: 'phone', value: '380501234567' },
    { name: 'externalOrderId', value: '12345679' },
    { name: 'externalCustomerId', value: 'AV13760' },
    { name: 'totalCost', value: '258.0' },
    { name: 'status', value: 'INITIALIZED' },
    { name: 'date', value: '2020-05-14T10:11:00' },
    {
      name: 'items',
      value:
        '[{"externalItemId":"200600","name":"Super Device","category":"devices","quantity":1,"cost":990,"url":"http://example.com/item/200600","imageUrl":"http://example.com/item/200600/image.png","description":"High quality"}]',
    },
  ],
};
const esEvent = (key: string, params: Record<string, string>, keyValue = 'AV13760') => ({
  eventTypeKey: key,
  keyValue,
  params: Object.entries(params).map(([name, value]) => ({ name, value })),
});

describe('fake eSputnik', () => {
  const v = createFakeVendors();
  const es = v.esputnik;
  beforeEach(() => v.reset());
  const contact = (b: unknown, h: Record<string, string> = ES_AUTH) => call(v, post(`${ES}/contact`, b, h));
  const event = (b: unknown, h: Record<string, string> = ES_AUTH) => call(v, post(`${ES}/event`, b, h));
  const seedContact = {
    externalCustomerId: 'AV13760',
    firstName: 'Ivan',
    channels: [{ type: 'sms', value: '380501234567' }],
  };

  it('upserts contacts by externalCustomerId, then by email/phone, and answers {id}', async () => {
    const a = await contact(seedContact);
    expect(a).toMatchObject({ status: 200, body: { id: 1 } });
    const b = await contact({
      externalCustomerId: 'AV13760',
      channels: [{ type: 'email', value: 'ivan@example.com' }],
    });
    expect(b.body).toEqual({ id: 1 });
    expect(es.contacts.get(1)).toMatchObject({ email: 'ivan@example.com', phone: '380501234567', firstName: 'Ivan' });
    const c = await contact({ channels: [{ type: 'email', value: 'IVAN@example.com' }], lastName: 'P' });
    expect(c.body).toEqual({ id: 1 });
    expect(
      (await contact({ externalCustomerId: 'other', channels: [{ type: 'email', value: 'o@example.com' }] })).body,
    ).toEqual({ id: 2 });
    expect(es.contacts.size).toBe(2);
  });

  it('requires channels and HTTP Basic with the API key as password', async () => {
    expect((await contact({ externalCustomerId: 'x' })).status).toBe(400);
    expect((await contact({ channels: [{ type: 'push', value: 'x' }] })).status).toBe(400);
    expect((await contact(seedContact, { authorization: `Basic ${btoa('mc:wrong')}` })).status).toBe(401);
    expect((await contact(seedContact, { authorization: `Basic ${btoa('anyone:test-esputnik-key')}` })).status).toBe(
      200,
    );
    expect((await event(seedOrderCreated, {})).status).toBe(401);
  });

  it('accepts the documented orderCreated example for an existing contact and stores the order', async () => {
    await contact(seedContact);
    const r = await event(seedOrderCreated);
    expect(r.status).toBe(200);
    expect(es.accepted).toHaveLength(1);
    expect(es.accepted[0]).toMatchObject({
      eventTypeKey: 'orderCreated',
      keyValue: '380501234567',
      externalOrderId: '12345679',
      params: { totalCost: '258.0', status: 'INITIALIZED' },
      contactId: 1,
    });
    const o = es.orders.get('12345679')!;
    expect(o).toMatchObject({ status: 'INITIALIZED', totalCost: 258, contactId: 1 });
    expect(o.items).toEqual([expect.objectContaining({ externalItemId: '200600', cost: 990 })]);
    expect(es.dropped).toHaveLength(0);
  });

  it('answers 200 but drops events of unknown contacts, with missing required params, or for unknown orders', async () => {
    expect((await event(seedOrderCreated)).status).toBe(200);
    expect(es.dropped.map((d) => d.reason)).toEqual(['unknown_contact']);
    await contact(seedContact);
    await event(
      esEvent('orderCreated', {
        externalCustomerId: 'AV13760',
        externalOrderId: '1',
        status: 'INITIALIZED',
        date: '2020-05-14T10:11:00',
      }),
    );
    await event(esEvent('orderDelivered', { externalCustomerId: 'AV13760', externalOrderId: 'nope' }));
    await event(
      esEvent('orderCreated', {
        externalCustomerId: 'AV13760',
        externalOrderId: '2',
        totalCost: '1',
        status: 'PAID',
        date: '2020-05-14T10:11:00',
      }),
    );
    expect(es.dropped.map((d) => d.reason)).toEqual([
      'unknown_contact',
      'missing_required',
      'unknown_order',
      'invalid_status',
    ]);
    expect(es.accepted).toHaveLength(0);
    expect(es.received.filter((r) => r.path.endsWith('/event')).every((r) => r.status === 200 && !r.accepted)).toBe(
      true,
    );
  });

  it('applies orderUpdated, orderDelivered and orderCancelled to the stored order', async () => {
    await contact(seedContact);
    await event(seedOrderCreated);
    await event(
      esEvent('orderUpdated', {
        externalCustomerId: 'AV13760',
        externalOrderId: '12345679',
        status: 'IN_PROGRESS',
        totalCost: '200',
      }),
    );
    expect(es.orders.get('12345679')).toMatchObject({ status: 'IN_PROGRESS', totalCost: 200 });
    await event(esEvent('orderDelivered', { phone: '+380 50 123 45 67', externalOrderId: '12345679' }));
    expect(es.orders.get('12345679')!.status).toBe('DELIVERED');
    await event(esEvent('orderCancelled', { externalCustomerId: 'AV13760', externalOrderId: '12345679' }));
    expect(es.orders.get('12345679')!.events).toEqual([
      'orderCreated',
      'orderUpdated',
      'orderDelivered',
      'orderCancelled',
    ]);
    expect(es.orders.get('12345679')!.status).toBe('CANCELLED');
    // orderUpdated for a new order needs orderCreated's fields
    await event(
      esEvent('orderUpdated', { externalCustomerId: 'AV13760', externalOrderId: 'new', status: 'IN_PROGRESS' }),
    );
    expect(es.dropped.map((d) => d.reason)).toEqual(['missing_required']);
  });

  it('rejects non-string param values, non-array items and bad eventTypeKeys with 400 and a text', async () => {
    await contact(seedContact);
    const withParam = (value: unknown) => ({
      ...seedOrderCreated,
      params: [...seedOrderCreated.params.slice(0, 6), { name: 'items', value }],
    });
    const r1 = await event(withParam([{ externalItemId: '1' }]));
    expect(r1.status).toBe(400);
    expect(r1.body.error).toMatch(/string/);
    expect((await event(withParam('{"externalItemId":"1"}'))).status).toBe(400);
    expect((await event(withParam('not json'))).status).toBe(400);
    expect((await event({ ...seedOrderCreated, params: [{ name: 'totalCost', value: 258 }] })).status).toBe(400);
    expect((await event({ ...seedOrderCreated, eventTypeKey: 'order/created' })).status).toBe(400);
    expect((await event({ ...seedOrderCreated, eventTypeKey: 'x'.repeat(101) })).status).toBe(400);
    expect((await event({ ...seedOrderCreated, keyValue: undefined })).status).toBe(400);
    expect(es.accepted).toHaveLength(0);
  });

  it("accepts the seed's four recommendation-event examples and refuses malformed ones with 400", async () => {
    await contact({ channels: [{ type: 'email', value: 'example@email.com' }] });
    const ex = (key: string, phone: string, params: Record<string, string>) =>
      esEvent(key, { phone, email: 'example@email.com', ...params }, 'example@email.com');
    const page = ex('pageViewed', '380501234567', { page: '{"location":"https://example.com"}' });
    const product = ex('productViewed', '411786452', {
      product: '{"productId":"WS01-L-Green","price":45.5,"isInStock":1,"someProductProperty":["green"]}',
      currencyCode: 'USD',
    });
    const category = ex('productCategoryViewed', '7411324763', { category: '{"productCategoryId":"Mugs"}' });
    const cart = ex('cartUpdated', '73456712', {
      products: '[{"productId":"WS01-L-Green","quantity":1,"price":45.5}]',
      currencyCode: 'USD',
      recycleStateId: 'd59c6e6d-4123-4b0e-8c32-15f0656a8c60',
    });
    for (const b of [page, product, category, cart]) expect((await event(b)).status).toBe(200);
    expect(es.browse.map((b) => b.eventTypeKey)).toEqual([
      'pageViewed',
      'productViewed',
      'productCategoryViewed',
      'cartUpdated',
    ]);
    expect(es.browse[3]?.params.products).toEqual([{ productId: 'WS01-L-Green', quantity: 1, price: 45.5 }]);

    const bad = [
      // The seed's productViewed value as printed ends in a stray "]}": not JSON.
      ex('productViewed', '411786452', {
        product: '{"productId":"WS01-L-Green","price":45.5,"isInStock":1,"someProductProperty":["green"]}]}',
      }),
      ex('pageViewed', '1', { page: '{"url":"https://example.com"}' }),
      ex('productViewed', '1', { product: '{"productId":"A","price":"45.5"}' }),
      ex('productCategoryViewed', '1', { category: '"Mugs"' }),
      ex('cartUpdated', '1', { products: '[{"productId":"A","quantity":1,"price":1}]' }), // no recycleStateId
      ex('cartUpdated', '1', { products: '[{"productId":"A","quantity":1.5,"price":1}]', recycleStateId: 'abc' }),
      ex('cartUpdated', '1', { products: '{"productId":"A"}', recycleStateId: 'abc' }),
      ex('pageViewed', '1', { page: '{"location":"https://example.com"}', currencyCode: 'usd' }),
      { ...page, keyValue: 'someone-else@example.com' },
    ];
    for (const b of bad) expect((await event(b)).status, JSON.stringify(b)).toBe(400);
    expect(es.browse).toHaveLength(4);
  });

  it('is also reachable as yespo.io', async () => {
    const r = await call(v, post('https://yespo.io/api/v1/contact', seedContact, ES_AUTH));
    expect(r.status).toBe(200);
  });
});

// ---------------------------------------------------------------- Ecomail
const EC = 'https://api2.ecomailapp.cz';
const EC_AUTH = { key: 'test-ecomail-key' };
const ecSeed = {
  transaction: {
    order_id: 'transaction_1234',
    email: 'foo@bar.cz',
    shop: 'myshop.cz',
    amount: 1500,
    tax: 200,
    shipping: 100,
    city: 'Praha',
    timestamp: 1441905935,
    status: 'completed',
  },
  transaction_items: [
    {
      code: 'product code',
      title: 'product name',
      categories: ['my category 1', 'my category 2'],
      price: 1500,
      amount: 1,
      tags: ['M', '3+', 'puzzle'],
    },
  ],
};

describe('fake Ecomail', () => {
  const v = createFakeVendors();
  const ec = v.ecomail;
  beforeEach(() => v.reset());
  const create = (b: unknown, h: Record<string, string> = EC_AUTH) => call(v, post(`${EC}/tracker/transaction`, b, h));
  const update = (id: string, b: unknown) =>
    call(v, post(`${EC}/tracker/transaction/${encodeURIComponent(id)}`, b, EC_AUTH, 'PUT'));

  it('accepts the documented example and answers the documented reply', async () => {
    const r = await create(ecSeed);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      order_id: 'transaction_1234',
      email: 'foo@bar.cz',
      shop: 'myshop.cz',
      amount: 1500,
      timestamp: '2015-09-10 17:25:35',
      id: 1,
      status: 'completed',
    });
    expect(ec.accepted[0]).toMatchObject({ method: 'POST', order_id: 'transaction_1234', duplicate: false });
    expect(ec.transactions.get('transaction_1234')!.transaction_items).toEqual(ecSeed.transaction_items);
  });

  it('answers 401 {"message":"Unauthorized"} without the right `key` header', async () => {
    for (const h of [{}, { key: 'wrong' }, { authorization: 'test-ecomail-key' }] as Record<string, string>[]) {
      expect(await create(ecSeed, h)).toMatchObject({ status: 401, body: { message: 'Unauthorized' } });
    }
  });

  it('answers 422 {"errors":{field:[msg]}} for invalid bodies', async () => {
    const t = ecSeed.transaction;
    const fails = async (b: unknown, field: string) => {
      const r = await create(b);
      expect(r.status).toBe(422);
      expect(Object.keys(r.body.errors)).toContain(field);
      expect(r.body.errors[field][0]).toEqual(expect.any(String));
    };
    await fails({ transaction: t }, 'transaction_items');
    await fails({ transaction_items: ecSeed.transaction_items }, 'transaction');
    await fails({ ...ecSeed, transaction: { ...t, email: undefined } }, 'transaction.email');
    await fails({ ...ecSeed, transaction: { ...t, email: 'not-an-email' } }, 'transaction.email');
    await fails({ ...ecSeed, transaction: { ...t, order_id: undefined } }, 'transaction.order_id');
    await fails({ ...ecSeed, transaction: { ...t, status: 'cancelled' } }, 'transaction.status'); // single-L "canceled"
    await fails({ ...ecSeed, transaction: { ...t, timestamp: 1441905935000 } }, 'transaction.timestamp');
    await fails(
      { ...ecSeed, transaction_items: [{ ...ecSeed.transaction_items[0], categories: Array(21).fill('c') }] },
      'transaction_items.0.categories',
    );
    await fails(
      { ...ecSeed, transaction_items: [{ ...ecSeed.transaction_items[0], categories: ['x'.repeat(101)] }] },
      'transaction_items.0.categories',
    );
    await fails('not json', 'transaction');
    expect(ec.accepted).toHaveLength(0);
    // status null is allowed
    expect((await create({ ...ecSeed, transaction: { ...t, status: null } })).status).toBe(200);
  });

  it('records a second POST for the same order_id as a duplicate and answers 200', async () => {
    await create(ecSeed);
    const r = await create(ecSeed);
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(2);
    expect(ec.duplicates).toHaveLength(1);
    expect(ec.duplicates[0]!.order_id).toBe('transaction_1234');
  });

  it('PUT overwrites the whole transaction and answers {}; an unknown order_id gets 404', async () => {
    await create(ecSeed);
    const r = await update('transaction_1234', {
      transaction: { order_id: 'transaction_1234', email: 'foo@bar.cz', status: 'canceled' },
      transaction_items: [{ code: 'x', price: 10, amount: 1 }],
    });
    expect(r).toMatchObject({ status: 200, body: {} });
    const row = ec.transactions.get('transaction_1234')!;
    expect(row.transaction).toEqual({ order_id: 'transaction_1234', email: 'foo@bar.cz', status: 'canceled' });
    expect(row.transaction_items).toEqual([{ code: 'x', price: 10, amount: 1 }]);
    expect(await update('nope', ecSeed)).toMatchObject({ status: 404, body: { errors: { order_id: ['not found'] } } });
    expect(ec.accepted.map((a) => a.method)).toEqual(['POST', 'PUT']);
  });

  it('limits to N requests per minute with 429 and Retry-After', async () => {
    let now = 1_000_000;
    const own = createEcomail({ ratePerMinute: 2, now: () => now });
    const req = () => post(`${EC}/tracker/transaction`, ecSeed, EC_AUTH);
    expect((await own.handle(req())).status).toBe(200);
    now += 10_000;
    expect((await own.handle(req())).status).toBe(200);
    const limited = await own.handle(req());
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('50');
    now += 50_000;
    expect((await own.handle(req())).status).toBe(200);
  });
});

// ---------------------------------------------------------------- VTmarketing
const VT = 'https://api.vtcdn.net/v1/event/';
const VT_AUTH = { authorization: 'test-vtmarketing-key' };
const vtSeed = {
  user: { email: 'john@example.com', tel: '07650000000' },
  event: {
    confirmation: {
      generic: {
        orderId: 'unique_order_id',
        total: 400.33,
        status: 'order_status',
        coupons: ['coupon1', 'coupon2'],
        phone: 'phone number',
        currency: 'RON',
        total_shipping: 22.0,
      },
      items: [
        { id: '12345', quantity: 1 },
        { id: 'amnsdf', quantity: 3 },
      ],
    },
  },
};

describe('fake VTmarketing', () => {
  const v = createFakeVendors();
  const vt = v.vtmarketing;
  beforeEach(() => v.reset());
  const send = (b: unknown, h: Record<string, string> = VT_AUTH, url = VT) => call(v, post(url, b, h));

  it('accepts the documented example request', async () => {
    const r = await send(vtSeed);
    expect(r).toMatchObject({
      status: 200,
      body: { results: { message: 'Event created', email: 'Event was created for the specified user' } },
    });
    expect(vt.accepted).toEqual([
      {
        email: 'john@example.com',
        orderId: 'unique_order_id',
        total: 400.33,
        items: vtSeed.event.confirmation.items,
        missingOrderId: false,
        raw: vtSeed,
      },
    ]);
  });

  it('answers 401 with an errors body for a wrong, missing or Bearer key', async () => {
    for (const h of [{}, { authorization: 'nope' }, { authorization: 'Bearer test-vtmarketing-key' }] as Record<
      string,
      string
    >[]) {
      const r = await send(vtSeed, h);
      expect(r.status).toBe(401);
      expect(r.body.errors[0]).toEqual({ message: expect.any(String), description: expect.any(String) });
    }
  });

  it('rejects mis-cased or unknown keys, wrong types and missing parts with 400 {"errors":[…]}', async () => {
    const g = vtSeed.event.confirmation.generic;
    const withGeneric = (generic: object) => ({
      ...vtSeed,
      event: { confirmation: { ...vtSeed.event.confirmation, generic } },
    });
    const { orderId, ...noId } = g;
    for (const b of [
      withGeneric({ ...noId, orderid: orderId }),
      withGeneric({ ...g, total: '400.33' }),
      withGeneric({ ...g, orderId: 123 }),
      withGeneric({ ...g, coupons: 'coupon1' }),
      { ...vtSeed, user: { Email: 'john@example.com' } },
      { ...vtSeed, event: { confirmation: { ...vtSeed.event.confirmation, items: [{ id: 12345, quantity: 1 }] } } },
      { user: vtSeed.user },
    ]) {
      const r = await send(b);
      expect(r.status, JSON.stringify(b)).toBe(400);
      expect(r.body.errors[0]).toEqual({ message: expect.any(String), description: expect.any(String) });
    }
    expect((await send({ user: vtSeed.user })).body.errors[0].message).toBe('Missing event information');
    expect(vt.accepted).toHaveLength(0);
  });

  it('answers 200 to a repeated orderId for the same user but records it as ignored', async () => {
    await send(vtSeed);
    const again = await send({ ...vtSeed, user: { email: 'JOHN@example.com' } });
    expect(again.status).toBe(200);
    expect(vt.accepted).toHaveLength(1);
    expect(vt.ignoredDuplicates).toHaveLength(1);
    await send({ ...vtSeed, user: { email: 'other@example.com' } });
    expect(vt.accepted).toHaveLength(2);
  });

  it('needs the trailing slash', async () => {
    expect((await send(vtSeed, VT_AUTH, 'https://api.vtcdn.net/v1/event')).status).toBe(404);
  });
});

// ---------------------------------------------------------------- Yandex Metrica CDP
const YA = 'https://api-metrika.yandex.net/cdp/api/v1/counter/12345678/data/simple_orders';
const YA_AUTH = { authorization: 'OAuth test-yandex-token' };
const YA_HEADER =
  'id,create_date_time,client_uniq_id,client_ids,emails,phones,order_status,revenue,cost,goals,currency';
function upload(
  csv: string,
  { mode = 'SAVE', headers = YA_AUTH as Record<string, string>, url = YA, filename = 'orders.csv' } = {},
): Request {
  const fd = new FormData();
  if (filename) fd.append('file', new Blob([csv], { type: 'text/csv' }), filename);
  else fd.append('file', csv);
  return new Request(`${url}?merge_mode=${mode}&delimiter_type=COMMA`, { method: 'POST', headers, body: fd });
}

describe('fake Yandex Metrica CDP simple_orders', () => {
  const v = createFakeVendors();
  const ya = v.yandex;
  beforeEach(() => v.reset());

  it('accepts a documented CSV and answers the uploading object', async () => {
    const csv =
      `${YA_HEADER}\r\n704,2022-09-21 09:48:23,J3QQ4,"1234567890123456789,987",a@b.cz,79995551111,IN_PROGRESS,5000,4000,"goal_id1:123.5,goal2",RUB\r\n` +
      `706,30.09.2022 10:48,,,"x@y.ru,z@y.ru",,PAID,13000.50,,,\r\n`;
    const r = await call(v, upload(csv));
    expect(r.status).toBe(200);
    expect(r.body.uploading).toEqual({
      uploading_id: '1',
      datetime: expect.any(String),
      api_validation_status: 'PASSED',
      elements_count: 2,
      entity_type: 'ORDER',
      uploading_format: 'CSV',
      uploading_source: 'API',
    });
    expect(ya.uploads).toBe(1);
    expect(ya.accepted[0]!.merge_mode).toBe('SAVE');
    expect(ya.orders.get('704')).toMatchObject({
      client_ids: '1234567890123456789,987',
      order_status: 'IN_PROGRESS',
      revenue: '5000',
    });
    expect(ya.orders.get('706')).toMatchObject({ emails: 'x@y.ru,z@y.ru', revenue: '13000.50' });
  });

  it('SAVE with the same id replaces the stored order', async () => {
    await call(v, upload('id,create_date_time,emails,order_status,revenue\n1,2024-01-02 10:00:00,a@b.cz,PAID,10\n'));
    await call(
      v,
      upload('id,create_date_time,emails,order_status,revenue\n1,2024-01-02 10:00:00,a@b.cz,CANCELLED,0\n'),
    );
    expect(ya.orders.size).toBe(1);
    expect(ya.orders.get('1')).toMatchObject({ order_status: 'CANCELLED', revenue: '0' });
    expect(ya.uploads).toBe(2);
  });

  it('answers 401 with the documented body for a bad token, 403 for another counter', async () => {
    for (const headers of [
      {},
      { authorization: 'OAuth nope' },
      { authorization: 'Bearer test-yandex-token' },
      { authorization: 'test-yandex-token' },
    ] as Record<string, string>[]) {
      const r = await call(v, upload('id,create_date_time,emails\n1,2024-01-02,a@b.cz\n', { headers }));
      expect(r.status).toBe(401);
      expect(r.body).toEqual({
        errors: [{ error_type: 'invalid_token', message: 'Invalid oauth_token' }],
        code: 401,
        message: 'Invalid oauth_token',
      });
    }
    const other = YA.replace('12345678', '999');
    expect((await call(v, upload('id,create_date_time,emails\n1,2024-01-02,a@b.cz\n', { url: other }))).status).toBe(
      403,
    );
    expect(ya.uploads).toBe(0);
  });

  it('answers 200 with api_validation_status FAILED for invalid rows and stores nothing', async () => {
    const failed = [
      'id,create_date_time,emails\n1,2024-01-02 10:00:00,A@b.cz\n', // upper-case email
      'id,create_date_time,emails\n1,2024-01-02 10:00:00,"a@b.cz, c@d.cz"\n', // space in a list
      'id,create_date_time,emails,order_status\n1,2024-01-02 10:00:00,a@b.cz,CANCELED\n', // old spelling
      'create_date_time,emails\n2024-01-02 10:00:00,a@b.cz\n', // no id column
      'id,create_date_time,emails\n,2024-01-02 10:00:00,a@b.cz\n', // empty id
      'id,create_date_time,phones\n1,2024-01-02 10:00:00,+79995551111\n', // phones are digits only
      'id,create_date_time,emails\n1,2024-02-30 10:00:00,a@b.cz\n', // no such date
      'id,create_date_time,emails\n1,1969-12-31 10:00:00,a@b.cz\n', // before 1970
      'id,create_date_time\n1,2024-01-02 10:00:00\n', // no client identifier
      'id,create_date_time,emails,revenue\n1,2024-01-02 10:00:00,a@b.cz,10,50\n', // comma decimal → extra cell
      'id,create_date_time,email\n1,2024-01-02 10:00:00,a@b.cz\n', // unknown column
      'id,create_date_time,emails\n1,2024-01-02 10:00:00,"a@b.cz\n', // unterminated quote
      'id,create_date_time,emails\n', // no rows
    ];
    for (const csv of failed) {
      const r = await call(v, upload(csv));
      expect(r.status, csv).toBe(200);
      expect(r.body.uploading.api_validation_status, csv).toBe('FAILED');
    }
    expect(ya.orders.size).toBe(0);
    expect(ya.accepted).toHaveLength(0);
    expect(ya.failedUploads).toHaveLength(failed.length);
  });

  it('answers 400 for a missing file part, a part without filename, malformed multipart or a bad merge_mode', async () => {
    const csv = 'id,create_date_time,emails\n1,2024-01-02,a@b.cz\n';
    const noFile = new FormData();
    noFile.append('data', new Blob([csv]), 'x.csv');
    const reqs = [
      new Request(`${YA}?merge_mode=SAVE`, { method: 'POST', headers: YA_AUTH, body: noFile }),
      upload(csv, { filename: '' }),
      new Request(`${YA}?merge_mode=SAVE`, {
        method: 'POST',
        headers: { ...YA_AUTH, 'content-type': 'multipart/form-data; boundary=XYZ' },
        body: 'garbage',
      }),
      new Request(`${YA}?merge_mode=SAVE`, {
        method: 'POST',
        headers: { ...YA_AUTH, 'content-type': 'text/csv' },
        body: csv,
      }),
      upload(csv, { mode: 'REPLACE' }),
    ];
    for (const r of reqs) expect((await call(v, r)).status).toBe(400);
    expect(ya.uploads).toBe(0);
  });

  it('accepts a hand-built multipart body with a fixed boundary', async () => {
    const body =
      '--b0undary\r\nContent-Disposition: form-data; name="file"; filename="orders.csv"\r\nContent-Type: text/csv\r\n\r\n' +
      'id,create_date_time,emails,order_status,revenue,currency\r\n42,2026-11-23 12:00:00,a@b.cz,PAID,99.90,EUR\r\n--b0undary--\r\n';
    const r = await call(
      v,
      new Request(`${YA}?merge_mode=SAVE&delimiter_type=COMMA`, {
        method: 'POST',
        headers: { ...YA_AUTH, 'content-type': 'multipart/form-data; boundary=b0undary' },
        body,
      }),
    );
    expect(r.body.uploading.api_validation_status).toBe('PASSED');
    expect(ya.orders.get('42')).toMatchObject({ revenue: '99.90', currency: 'EUR' });
  });

  it('enforces the daily quota with 429', async () => {
    const own = createYandex({ dailyQuota: 2 });
    const csv = 'id,create_date_time,emails\n1,2024-01-02,a@b.cz\n';
    expect((await own.handle(upload(csv))).status).toBe(200);
    expect((await own.handle(upload(csv))).status).toBe(200);
    expect((await own.handle(upload(csv))).status).toBe(429);
  });

  it('parses RFC 4180 CSV', () => {
    expect(parseCsv('a,b\r\n"x,""y""",\n"",z')).toEqual([
      ['a', 'b'],
      ['x,"y"', ''],
      ['', 'z'],
    ]);
    expect(parseCsv('a;b\n1;2\n', ';')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(() => parseCsv('a,b\n"x"y,1')).toThrow();
    expect(() => parseCsv('a,b\nx"y,1')).toThrow();
  });
});

// ---------------------------------------------------------------- failure injection
describe('failure injection', () => {
  const mtOk = () => post(`${MT}/v1/order/?idApp=12345`, mtSeed('ADD', '1709317326', '5'), MT_AUTH);

  it('failNext answers the status with Retry-After before processing, then recovers', async () => {
    const mt = createMyTracker();
    mt.failNext(2, { status: 503, retryAfter: 7 });
    for (let i = 0; i < 2; i++) {
      const r = await mt.handle(mtOk());
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('7');
    }
    expect(mt.accepted).toHaveLength(0);
    expect((await mt.handle(mtOk())).status).toBe(200);
    expect(mt.accepted).toHaveLength(1);
    expect(mt.received.map((r) => [r.status, r.accepted, r.injected])).toEqual([
      [503, false, 'failNext'],
      [503, false, 'failNext'],
      [200, true, undefined],
    ]);
  });

  it('failNext fails even a request that would be invalid (failure before validation) and uses a custom body', async () => {
    const mt = createMyTracker();
    mt.failNext(1, { status: 500, body: { error: 'boom' } });
    const r = await call(mt, post(`${MT}/v1/order/?idApp=12345`, 'garbage', { authorization: 'wrong' }));
    expect(r).toMatchObject({ status: 500, body: { error: 'boom' } });
  });

  it('afterProcessing stores the payload and still answers the failure', async () => {
    const v = createFakeVendors();
    v.ecomail.failNext(1, { status: 502, afterProcessing: true });
    const r = await v.handle(post(`${EC}/tracker/transaction`, ecSeed, EC_AUTH));
    expect(r.status).toBe(502);
    expect(v.ecomail.accepted).toHaveLength(1);
    expect(v.ecomail.transactions.has('transaction_1234')).toBe(true);
    // the retry is then a duplicate at the vendor
    await v.handle(post(`${EC}/tracker/transaction`, ecSeed, EC_AUTH));
    expect(v.ecomail.duplicates).toHaveLength(1);
  });

  it('refuse makes handle() throw TypeError("fetch failed") and is recorded with status 0', async () => {
    const mt = createMyTracker();
    mt.failNext(1, { refuse: true });
    await expect(mt.handle(mtOk())).rejects.toThrow(new TypeError('fetch failed'));
    expect(mt.received[0]).toMatchObject({ status: 0, accepted: false });
    mt.failNext(1, { refuse: true, afterProcessing: true });
    await expect(mt.handle(mtOk())).rejects.toThrow(TypeError);
    expect(mt.accepted).toHaveLength(1);
  });

  it('delayMs waits before answering and stops waiting when the caller aborts', async () => {
    const mt = createMyTracker();
    mt.failNext(1, { delayMs: 60, status: 504 });
    const t0 = Date.now();
    expect((await mt.handle(mtOk())).status).toBe(504);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
    mt.failNext(1, { delayMs: 5000 });
    const ac = new AbortController();
    const r = mt.handle(new Request(mtOk(), { signal: ac.signal }));
    setTimeout(() => ac.abort(), 20);
    const t1 = Date.now();
    await r;
    expect(Date.now() - t1).toBeLessThan(2000);
  });

  it('setFailureRate fails a reproducible share before processing with a seeded rng', async () => {
    const run = async () => {
      const mt = createMyTracker();
      mt.setFailureRate(0.3, { rng: seeded(42), statuses: [500, 503, 429], retryAfter: 2, refuseShare: 0.2 });
      const outcomes: (number | 'refused')[] = [];
      for (let i = 0; i < 200; i++) {
        try {
          outcomes.push((await mt.handle(mtOk())).status);
        } catch {
          outcomes.push('refused');
        }
      }
      return { mt, outcomes };
    };
    const a = await run();
    const b = await run();
    expect(a.outcomes).toEqual(b.outcomes);
    const ok = a.outcomes.filter((o) => o === 200).length;
    const refused = a.outcomes.filter((o) => o === 'refused').length;
    expect(ok).toBeGreaterThan(110);
    expect(ok).toBeLessThan(170);
    expect(refused).toBeGreaterThan(0);
    expect(new Set(a.outcomes.filter((o) => o !== 200 && o !== 'refused'))).toEqual(new Set([500, 503, 429]));
    expect(a.mt.accepted).toHaveLength(ok); // failed requests were never processed
    expect(a.mt.received.filter((r) => r.injected === 'random' && r.status === 429).every(() => true)).toBe(true);
    a.mt.setFailureRate(0);
    expect((await a.mt.handle(mtOk())).status).toBe(200);
  });

  it('down() fails everything with 503 (or refuses) until down(false); reset() clears all', async () => {
    const mt = createMyTracker();
    mt.down(true);
    expect((await mt.handle(mtOk())).status).toBe(503);
    mt.down(true, { refuse: true });
    await expect(mt.handle(mtOk())).rejects.toThrow('fetch failed');
    mt.down(false);
    expect((await mt.handle(mtOk())).status).toBe(200);
    mt.failNext(3);
    mt.reset();
    expect(mt.received).toHaveLength(0);
    expect(mt.accepted).toHaveLength(0);
    expect((await mt.handle(mtOk())).status).toBe(200);
  });
});

// ---------------------------------------------------------------- router and HTTP servers
describe('createFakeVendors router and listenFakeVendors', () => {
  it('routes the real hosts and answers 599 for anything else', async () => {
    const v = createFakeVendors();
    expect(v.all.map((f) => f.name)).toEqual(['mytracker', 'esputnik', 'ecomail', 'vtmarketing', 'yandex']);
    expect((await v.handle(mtOk2())).status).toBe(200);
    const r = await v.handle(new Request('https://example.com/x'));
    expect(r.status).toBe(599);
    expect(await r.json<Json>()).toEqual({ error: 'blocked outbound: example.com' });
    expect(v.blocked).toHaveLength(1);
    // 127.0.0.1 by port: basePort + index
    expect((await v.handle(new Request('http://127.0.0.1:9103/tracker/transaction', { method: 'POST' }))).status).toBe(
      401,
    );
    v.reset();
    expect(v.blocked).toHaveLength(0);
    expect(v.mytracker.received).toHaveLength(0);
  });

  it('serves each fake over HTTP, logs one line per request without secrets, and resets refused sockets', async () => {
    const lines: string[] = [];
    const running = await listenFakeVendors({ basePort: 0, log: (l: string) => lines.push(l) });
    try {
      expect(Object.keys(running.urls)).toEqual([
        'MYTRACKER_BASE_URL',
        'ESPUTNIK_BASE_URL',
        'ECOMAIL_BASE_URL',
        'VTMARKETING_BASE_URL',
        'YANDEX_METRICA_BASE_URL',
      ]);
      const res = await fetch(`${running.urls.MYTRACKER_BASE_URL}/v1/order/?idApp=12345`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...MT_AUTH },
        body: JSON.stringify(mtSeed('ADD', '1709317326', '5')),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ message: '\u041eK' });
      const ya = await fetch(
        upload('id,create_date_time,emails\n7,2024-01-02,a@b.cz\n', {
          url: `${running.urls.YANDEX_METRICA_BASE_URL}/cdp/api/v1/counter/12345678/data/simple_orders`,
        }),
      );
      expect((await ya.json<Json>()).uploading.api_validation_status).toBe('PASSED');
      expect(running.fakes.yandex.orders.has('7')).toBe(true);
      running.fakes.ecomail.failNext(1, { refuse: true });
      await expect(
        fetch(`${running.urls.ECOMAIL_BASE_URL}/tracker/transaction`, { method: 'POST', headers: EC_AUTH, body: '{}' }),
      ).rejects.toThrow();
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^\[fake mytracker\] POST \/v1\/order\/\?idApp=12345 → 200 order 000919 ADD/);
      expect(lines[1]).toMatch(/^\[fake yandex\] POST .*simple_orders.* → 200 upload SAVE 1 rows/);
      expect(lines[2]).toMatch(/^\[fake ecomail\] POST \/tracker\/transaction → REFUSED/);
      for (const l of lines) expect(l).not.toMatch(/test-(mytracker|yandex|ecomail)-/);
    } finally {
      await running.close();
    }
  });
});

describe('vendors.node (miniflare `outboundService: { node }`)', () => {
  it('routes by the MF-Original-URL header, drops MF-* headers, and drops the connection on refuse', async () => {
    const v = createFakeVendors();
    const server = await listenNode(v.node);
    try {
      const res = await fetch(`${server.url}/ignored`, {
        method: 'POST',
        headers: {
          'mf-original-url': `${MT}/v1/order/?idApp=12345`,
          'mf-custom-node-service': 'x',
          'content-type': 'application/json',
          ...MT_AUTH,
        },
        body: JSON.stringify(mtSeed('PAY', '1709317326', '5')),
      });
      expect(res.status).toBe(200);
      expect(v.mytracker.received[0]!.headers).not.toHaveProperty('mf-original-url');
      expect(v.mytracker.received[0]!.path).toBe('/v1/order/');
      v.mytracker.failNext(1, { refuse: true });
      await expect(
        fetch(`${server.url}/`, {
          method: 'POST',
          headers: { 'mf-original-url': `${MT}/v1/order/?idApp=12345` },
          body: '{}',
        }),
      ).rejects.toThrow();
      const blocked = await fetch(`${server.url}/`, { headers: { 'mf-original-url': 'https://evil.example/' } });
      expect(blocked.status).toBe(599);
    } finally {
      await server.close();
    }
  });
});

function mtOk2(): Request {
  return post(`${MT}/v1/order/?idApp=12345`, mtSeed('PAY', '1709317326', '5'), MT_AUTH);
}
