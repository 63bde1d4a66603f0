// POST /o with the snippet's envelope, one per page format (src/worker/normalize): 202, then the stored canonical
// event (events.body) has the right status, money, items, visitor ids and consent. Signed orders: the token check
// itself, ingestBrowser called with REQUIRE_SIGNATURE=true, and the route under the default (false).
import { describe, expect, it } from 'vitest';
import { admitBrowserEvent } from '../../src/worker/browser-admission';
import { orderEvents } from '../../src/worker/deliveries/store';
import type { Env } from '../../src/worker/env';
import type { CanonicalEvent } from '../../src/worker/event';
import { parseEventInput } from '../../src/worker/event';
import { HttpError } from '../../src/worker/http';
import { ingestBrowser } from '../../src/worker/ingest';
import { type OrderClaims, signOrder, verifyOrderToken } from '../../src/worker/signature';

const PAID: OrderClaims = { status: 'paid', total: '120.00', currency: 'EUR' };

import { env, ORIGIN, orderId, postBrowser, waitFor } from './helpers';

const LVID = '0123456789abcdef0123456789abcdef';
const YM = '1700000000123456789';
const PAGE = 'https://shop.example/thank-you?order=1';

async function storedEvents(order: string): Promise<CanonicalEvent[]> {
  return (await orderEvents(env.DB, [order])).sort((a, b) => (a.key < b.key ? -1 : 1));
}

async function storedEvent(order: string): Promise<CanonicalEvent> {
  const events = await waitFor(async () => {
    const found = await storedEvents(order);
    return found.length ? found : null;
  });
  expect(events, `no event stored for ${order}`).toHaveLength(1);
  return events![0]!;
}

/** What s.js posts: the raw entry plus what it collected on the page. */
function envelope(entry: unknown, more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    e: entry,
    ids: { lvid: LVID, ym: YM, vt: 'u123_s456_789' },
    c: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'denied', ad_personalization: 'denied' },
    url: PAGE,
    ...more,
  };
}

type Case = {
  name: string;
  entry(id: string): unknown;
  expected: Partial<CanonicalEvent>;
  /** Refunds come from a page only with the shop's signed token (src/worker/browser-admission.ts). */
  claims?: OrderClaims;
};

const CASES: Case[] = [
  {
    name: 'MyTracker mt_order',
    entry: (id) => ({
      event: 'mt_order',
      ecommerce: {
        status: 'PAY',
        currency_code: 'RUB',
        order_id: id,
        items: [
          { item_id: '00912', item_name: 'Apple', price: '11.90', quantity: '5', tax: '20', item_category1: 'Fruit' },
        ],
      },
    }),
    expected: {
      status: 'paid',
      currency: 'RUB',
      items: [{ id: '00912', name: 'Apple', price: 11.9, quantity: 5, tax_rate: 20, categories: ['Fruit'] }],
    },
  },
  {
    name: 'GA4 purchase object',
    entry: (id) => ({
      event: 'purchase',
      ecommerce: {
        transaction_id: id,
        value: 30.03,
        tax: 4.9,
        shipping: 5.99,
        currency: 'USD',
        items: [
          {
            item_id: 'SKU_1',
            item_name: 'Tee',
            price: 10.01,
            quantity: 3,
            item_category: 'Apparel',
            item_category2: 'Adult',
          },
        ],
      },
    }),
    expected: {
      status: 'paid',
      currency: 'USD',
      total: 40.92,
      tax: 4.9,
      shipping: 5.99,
      items: [{ id: 'SKU_1', name: 'Tee', price: 10.01, quantity: 3, categories: ['Apparel', 'Adult'] }],
    },
  },
  {
    name: "gtag('event', 'purchase') arguments",
    entry: (id) => [
      'event',
      'purchase',
      {
        transaction_id: id,
        value: '20',
        shipping: '3.5',
        currency: 'czk',
        items: [{ item_name: 'Mug', price: 10, quantity: 2 }],
      },
    ],
    expected: {
      status: 'paid',
      currency: 'CZK',
      total: 23.5,
      shipping: 3.5,
      items: [{ id: 'Mug', name: 'Mug', price: 10, quantity: 2 }],
    },
  },
  {
    name: 'GA4 refund without items (full)',
    entry: (id) => ({ event: 'refund', ecommerce: { transaction_id: id, currency: 'USD', value: 30.03 } }),
    expected: { status: 'refunded', currency: 'USD', total: 30.03, items: [] },
    claims: { status: 'refunded', total: '30.03', currency: 'USD' },
  },
  {
    name: 'UA ecommerce.purchase',
    entry: (id) => ({
      ecommerce: {
        purchase: {
          actionField: { id, revenue: '35.43', tax: '4.90', shipping: '5.99', coupon: 'SUMMER_SALE' },
          products: [
            {
              name: 'Tee',
              id: '12345',
              price: '15.25',
              brand: 'Google',
              category: 'Apparel/Men/Shirts',
              variant: 'Gray',
              quantity: 2,
            },
          ],
        },
      },
    }),
    expected: {
      status: 'paid',
      total: 35.43,
      tax: 4.9,
      shipping: 5.99,
      coupons: ['SUMMER_SALE'],
      items: [
        {
          id: '12345',
          name: 'Tee',
          price: 15.25,
          quantity: 2,
          brand: 'Google',
          variant: 'Gray',
          categories: ['Apparel', 'Men', 'Shirts'],
        },
      ],
    },
  },
  {
    name: 'UA ecommerce.refund with products (partial)',
    entry: (id) => ({ ecommerce: { refund: { actionField: { id }, products: [{ id: 'P4567', quantity: 1 }] } } }),
    expected: { status: 'refunded', total: 15.25, items: [{ id: 'P4567', quantity: 1 }] },
    claims: { status: 'refunded', total: '15.25', currency: 'EUR' },
  },
  {
    name: 'Yandex ecommerce.purchase',
    entry: (id) => ({
      ecommerce: {
        currencyCode: 'RUB',
        purchase: {
          actionField: { id, revenue: 123.4, goal_id: 123 },
          products: [{ id: 'SKU', name: 'Чай', price: 99.5, quantity: 2, discount: 5 }],
        },
      },
    }),
    expected: {
      status: 'paid',
      currency: 'RUB',
      total: 123.4,
      items: [{ id: 'SKU', name: 'Чай', price: 99.5, quantity: 2, discount: 5 }],
    },
  },
];

describe('POST /o with the snippet envelope', () => {
  it.each(CASES)('$name → 202 and the canonical event', async ({ entry, expected, claims }) => {
    const id = orderId('B');
    const exp = Math.floor(Date.now() / 1000) + 600;
    const signed = claims ? { t: await signOrder(env.SIGNING_SECRET!, id, claims, exp) } : {};
    const res = await postBrowser(envelope(entry(id), signed));
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const { keys } = await res.json<{ keys: string[] }>();
    expect(keys[0]).toMatch(new RegExp(`^${id}:${expected.status}`));

    const event = await storedEvent(id);
    expect(event).toMatchObject({ order_id: id, key: keys[0], currency: 'EUR', ...expected });
    expect(event.items).toStrictEqual(expected.items);
    if (!('total' in expected)) expect(event.total).toBeUndefined();
    expect(event.customer).toStrictEqual({ lvid: LVID, ym_client_id: YM, vt_user: 'u123_s456_789' });
    expect(event.consent).toStrictEqual({
      ad_storage: 'granted',
      analytics_storage: 'granted',
      ad_user_data: 'denied',
      ad_personalization: 'denied',
    });
    expect(event.context).toMatchObject({ source: 'browser', page_url: PAGE });
  });

  it('takes the customer from the push and user_data, and keeps an invalid cookie from sinking the order', async () => {
    const id = orderId('B');
    const entry = {
      event: 'purchase',
      ecommerce: { transaction_id: id, value: 10, currency: 'EUR' },
      customer: { id: 'cust-7' },
      user_data: {
        email: 'buyer@example.com',
        address: { first_name: 'Eva', city: 'Brno', country: 'CZ' },
        sha256_phone_number: 'ab'.repeat(32),
      },
    };
    const res = await postBrowser(
      envelope(entry, { ids: { lvid: 'not-an-lvid', ym: YM }, u: { phone_number: '+420777000111' }, c: undefined }),
    );
    expect(res.status).toBe(202);
    const event = await storedEvent(id);
    expect(event.customer).toStrictEqual({
      id: 'cust-7',
      email: 'buyer@example.com',
      phone: '+420777000111',
      first_name: 'Eva',
      city: 'Brno',
      country: 'CZ',
      ym_client_id: YM,
    });
    expect(event.consent).toBeUndefined();
  });

  it('stores the same purchase seen as mt_order and as GA4 purchase once', async () => {
    const id = orderId('B');
    const a = await postBrowser(
      envelope({
        event: 'mt_order',
        ecommerce: { order_id: id, items: [{ item_id: 'A', item_name: 'A', price: 5, quantity: 1 }] },
      }),
    );
    const b = await postBrowser(envelope(['event', 'purchase', { transaction_id: id, value: 5, currency: 'EUR' }]));
    expect([a.status, b.status]).toStrictEqual([202, 202]);
    await storedEvent(id);
    await new Promise((r) => setTimeout(r, 500));
    expect(await storedEvents(id)).toHaveLength(1);
  });

  it.each([
    ['an unrecognised entry', envelope({ event: 'begin_checkout', ecommerce: { items: [] } }), 'Not an order entry'],
    ['an order entry without an order id', envelope({ event: 'purchase', ecommerce: { value: 3 } }), 'No order id'],
    ['an unknown envelope version', { v: 9, e: {} }, 'envelope'],
    [
      'an unknown mt_order status',
      envelope({ event: 'mt_order', ecommerce: { order_id: 'X', status: 'SHIPPED' } }),
      'status "SHIPPED"',
    ],
    [
      'an item the schema refuses',
      envelope({ event: 'purchase', ecommerce: { transaction_id: 'X', items: [{ price: -1, item_id: 'a' }] } }),
      'schema',
    ],
  ])('answers %s with 400 and a clear message, CORS headers included', async (_what, body, message) => {
    const res = await postBrowser(body);
    expect(res.status).toBe(400);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const answer = await res.json<{ error: string; message: string }>();
    expect(answer.error).toBe('invalid_event');
    expect(answer.message).toContain(message);
  });
});

describe('signed orders', () => {
  const SECRET = 'test-signing-secret';
  const now = 1_800_000_000;

  it('verifies a token for its order until it expires', async () => {
    const token = await signOrder(SECRET, 'ORD-1', PAID, now + 600);
    expect(await verifyOrderToken(SECRET, 'ORD-1', token, now)).toStrictEqual({ ok: true, claims: PAID });
    expect(await verifyOrderToken(SECRET, 'ORD-1', token, now + 601)).toStrictEqual({ ok: false, reason: 'expired' });
  });

  it.each([
    ['missing', undefined, 'missing'],
    ['empty', '', 'missing'],
    ['not a token', 'abc', 'malformed'],
    ['a number', 5, 'missing'],
  ])('refuses a %s token', async (_what, token, reason) => {
    expect(await verifyOrderToken(SECRET, 'ORD-1', token, now)).toStrictEqual({ ok: false, reason });
  });

  it("refuses another order's token, a forged signature, a moved expiry and another secret", async () => {
    const token = await signOrder(SECRET, 'ORD-1', PAID, now + 600);
    const exp = token.slice(0, token.indexOf('.'));
    const sig = token.slice(-43);
    const claims = token.slice(exp.length + 1, -44);
    const flipped = `${exp}.${claims}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    expect(await verifyOrderToken(SECRET, 'ORD-2', token, now)).toStrictEqual({ ok: false, reason: 'invalid' });
    expect(await verifyOrderToken(SECRET, 'ORD-1', flipped, now)).toStrictEqual({ ok: false, reason: 'invalid' });
    // The signature covers the expiry and every claim: none can be moved or changed.
    for (const moved of [`${Number(exp) + 1}.${claims}.${sig}`, `${exp}.${claims.replace('120.00', '1.00')}.${sig}`])
      expect(await verifyOrderToken(SECRET, 'ORD-1', moved, now)).toStrictEqual({ ok: false, reason: 'invalid' });
    expect(await verifyOrderToken(SECRET, 'ORD-1', `${Number(exp) + 1}.${claims}.${sig}`, now)).toStrictEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await verifyOrderToken('other-secret', 'ORD-1', token, now)).toStrictEqual({ ok: false, reason: 'invalid' });
  });

  /** ingestBrowser itself with REQUIRE_SIGNATURE=true: the route's env cannot change per test, its handler's can. */
  async function signedIngest(body: unknown, vars: Partial<Env> = {}): Promise<number> {
    const request = new Request('https://relay.shop.example/o', {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'text/plain' },
      body: JSON.stringify(body),
    });
    try {
      return (await ingestBrowser(request, { ...env, REQUIRE_SIGNATURE: 'true', ...vars } as Env, Date.now())).status;
    } catch (err) {
      if (err instanceof HttpError) return err.status;
      throw err;
    }
  }

  it('with REQUIRE_SIGNATURE=true: a valid envelope token passes; missing, expired, other-order, forged → 401', async () => {
    const id = orderId('S');
    const exp = Math.floor(Date.now() / 1000) + 600;
    const entry = { event: 'mt_order', ecommerce: { order_id: id, items: [] } };
    const good = await signOrder(SECRET, id, PAID, exp);
    expect(await signedIngest(envelope(entry, { t: good }))).toBe(202);
    expect(await signedIngest(envelope(entry))).toBe(401);
    expect(await signedIngest(envelope(entry, { t: await signOrder(SECRET, id, PAID, exp - 1200) }))).toBe(401);
    expect(await signedIngest(envelope(entry, { t: await signOrder(SECRET, 'OTHER', PAID, exp) }))).toBe(401);
    expect(await signedIngest(envelope(entry, { t: await signOrder('not-the-secret', id, PAID, exp) }))).toBe(401);
    // A canonical body carries its token beside the fields.
    expect(await signedIngest({ order_id: id, status: 'created', token: good })).toBe(202);
    expect(await signedIngest({ order_id: id, status: 'created' })).toBe(401);
  });

  // Known bug (reported): ingest.ts verifies before checking that SIGNING_SECRET is set, and an empty HMAC key
  // throws DataError in workerd, so this answers 500 instead of 401. Drop `.fails` once ingest.ts checks first.
  it('with REQUIRE_SIGNATURE=true and no SIGNING_SECRET answers 401', async () => {
    const id = orderId('S');
    const token = await signOrder(SECRET, id, PAID, Math.floor(Date.now() / 1000) + 600);
    expect(
      await signedIngest(envelope({ event: 'mt_order', ecommerce: { order_id: id } }, { t: token }), {
        SIGNING_SECRET: '',
      }),
    ).toBe(401);
  });

  it('passes the envelope token through, and with REQUIRE_SIGNATURE off an invalid one is not checked', async () => {
    expect(env.REQUIRE_SIGNATURE).toBe('false');
    const id = orderId('S');
    const res = await postBrowser(
      envelope({ event: 'mt_order', ecommerce: { order_id: id, items: [] } }, { t: '1.forged' }),
    );
    expect(res.status).toBe(202);
  });

  it('accepts from a page only what it can know: created and paid; a refund only signed; never cancelled', async () => {
    const id = orderId('ST');
    const purchase = { event: 'purchase', ecommerce: { transaction_id: id, value: 10, currency: 'EUR' } };
    expect((await postBrowser(envelope(purchase))).status).toBe(202);
    const cancel = { event: 'mt_refund', ecommerce: { order_id: id, status: 'CANCEL' } };
    const cancelled = await postBrowser(envelope(cancel));
    expect([cancelled.status, (await cancelled.json<{ error: string }>()).error]).toEqual([400, 'status_not_allowed']);
    const refund = { event: 'refund', ecommerce: { transaction_id: id, value: 10 } };
    expect((await postBrowser(envelope(refund))).status).toBe(401);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const signedRefund = await signOrder(
      env.SIGNING_SECRET!,
      id,
      { status: 'refunded', total: '10', currency: 'EUR' },
      exp,
    );
    expect((await postBrowser(envelope(refund, { t: signedRefund }))).status).toBe(202);
    // A token signed for the order does not make a refund of it, nor the other way round.
    const signedPaid = await signOrder(env.SIGNING_SECRET!, id, PAID, exp);
    expect((await postBrowser(envelope(refund, { t: signedPaid }))).status).toBe(401);
    // An older `exp.sig` token signs no status or total: with signing optional it counts as no token.
    expect((await postBrowser(envelope(refund, { t: `${exp}.${'A'.repeat(43)}` }))).status).toBe(401);
  });

  it('a valid token overrules the page: status, total and currency become what the shop signed', async () => {
    const parsed = parseEventInput({ order_id: 'ORD-9', status: 'created', total: 999, currency: 'USD' });
    if (!parsed.ok) throw new Error('fixture');
    const vars = { ...env, SIGNING_SECRET: SECRET, REQUIRE_SIGNATURE: 'false' } as Env;
    const token = await signOrder(SECRET, 'ORD-9', PAID, now + 600);
    expect(await admitBrowserEvent(vars, parsed.value, token, now)).toMatchObject({
      order_id: 'ORD-9',
      status: 'paid',
      total: 120,
      currency: 'EUR',
    });
    // Unsigned, the page's own reading stands.
    expect(await admitBrowserEvent(vars, parsed.value, undefined, now)).toMatchObject({
      status: 'created',
      total: 999,
    });
  });
});
