// The dataLayer normalisers (src/worker/normalize): each format's documented example pushes → the exact
// canonical event input (after the one schema, as ingest stores it); malformed entries → 400.
import { describe, expect, it } from 'vitest';
import { parseEventInput } from '../../src/worker/event';
import { HttpError } from '../../src/worker/http';
import { type Extras, fromBrowserBody, fromDataLayerEntry } from '../../src/worker/normalize';

const LVID = '0123456789abcdef0123456789abcdef';

/** Entry → what ingest would store: normalised, then validated by the canonical schema. */
function canonical(entry: unknown, extras?: Extras): unknown {
  const { event } = fromDataLayerEntry(entry, extras);
  const parsed = parseEventInput(event);
  if (!parsed.ok) throw new Error(`schema: ${JSON.stringify(parsed.issues)}`);
  return parsed.value;
}

function rejection(run: () => unknown): HttpError {
  try {
    run();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('expected a 400');
}

// ---- documented example pushes (docs/page-formats.md) ----

/** MyTracker (docs/page-formats.md), the nested form its docs imply. */
const MT_ORDER = {
  event: 'mt_order',
  ecommerce: {
    status: 'PAY',
    currency_code: 'RUB',
    order_id: '000919',
    items: [{ item_id: '00912', item_name: 'Apple', price: '11.90', quantity: '5' }],
  },
};

/** GA4's purchase example (developers.google.com … /ga4/reference/events#purchase), one item. */
const GA4_PARAMS = {
  transaction_id: 'T_12345',
  value: 30.03,
  tax: 4.9,
  shipping: 5.99,
  currency: 'USD',
  coupon: 'SUMMER_SALE',
  items: [
    {
      item_id: 'SKU_12345',
      item_name: 'Stan and Friends Tee',
      affiliation: 'Google Merchandise Store',
      coupon: 'SUMMER_FUN',
      discount: 2.22,
      index: 0,
      item_brand: 'Google',
      item_category: 'Apparel',
      item_category2: 'Adult',
      item_category3: 'Shirts',
      item_category4: 'Crew',
      item_category5: 'Short sleeve',
      item_list_id: 'related_products',
      item_list_name: 'Related Products',
      item_variant: 'green',
      location_id: 'ChIJIQBpAG2ahYAR_6128GcTUEo',
      price: 10.01,
      quantity: 3,
    },
  ],
};
const GA4_ITEM = {
  id: 'SKU_12345',
  name: 'Stan and Friends Tee',
  quantity: 3,
  price: 10.01,
  discount: 2.22,
  brand: 'Google',
  variant: 'green',
  categories: ['Apparel', 'Adult', 'Shirts', 'Crew', 'Short sleeve'],
  coupon: 'SUMMER_FUN',
  affiliation: 'Google Merchandise Store',
  index: 0,
  list_id: 'related_products',
  list_name: 'Related Products',
  location_id: 'ChIJIQBpAG2ahYAR_6128GcTUEo',
};
const GA4_EXPECTED = {
  order_id: 'T_12345',
  status: 'paid',
  currency: 'USD',
  total: 40.92,
  tax: 4.9,
  shipping: 5.99,
  coupons: ['SUMMER_SALE'],
  items: [GA4_ITEM],
  customer: {},
};

/** UA Enhanced Ecommerce purchase (developers.google.com … /ua/gtm/enhanced-ecommerce#purchases). */
const UA_PURCHASE = {
  ecommerce: {
    purchase: {
      actionField: {
        id: 'T12345',
        affiliation: 'Online Store',
        revenue: '35.43',
        tax: '4.90',
        shipping: '5.99',
        coupon: 'SUMMER_SALE',
      },
      products: [
        {
          name: 'Triblend Android T-Shirt',
          id: '12345',
          price: '15.25',
          brand: 'Google',
          category: 'Apparel',
          variant: 'Gray',
          quantity: 1,
          coupon: '',
        },
        {
          name: 'Donut Friday Scented T-Shirt',
          id: '67890',
          price: '33.75',
          brand: 'Google',
          category: 'Apparel',
          variant: 'Black',
          quantity: 1,
        },
      ],
    },
  },
};

/** Yandex Metrica (docs/page-formats.md). */
const YANDEX_PURCHASE = {
  ecommerce: {
    currencyCode: 'RUB',
    purchase: {
      actionField: { id: 'TRX1', revenue: 123.4, coupon: 'X', goal_id: 123 },
      products: [
        {
          id: 'SKU',
          name: 'Чай',
          price: 99.5,
          brand: 'Greenfield',
          category: 'Еда/Напитки/Чай',
          variant: '100 г',
          quantity: 2,
          discount: 5,
          list: 'Поиск',
          position: 1,
        },
      ],
    },
  },
};

describe('MyTracker mt_order / mt_refund', () => {
  it('maps the documented nested push', () => {
    expect(canonical(MT_ORDER)).toStrictEqual({
      order_id: '000919',
      status: 'paid',
      currency: 'RUB',
      items: [{ id: '00912', name: 'Apple', price: 11.9, quantity: 5 }],
      customer: {},
    });
  });

  it('reads flat fields too, with every item field', () => {
    const entry = {
      event: 'mt_order',
      status: 'ADD',
      order_id: 77,
      action_id: 'a-1',
      currency_code: 'eur',
      coupon: 'WELCOME',
      customer: { id: 'c-1', email: 'buyer@example.com' },
      items: [
        {
          item_id: 'SKU-1',
          item_name: 'Honey',
          price: 6.5,
          quantity: 2,
          discount: '0.50',
          coupon: 'BEE',
          tax: '20',
          item_brand: 'Bees',
          item_variant: '250 g',
          item_category1: 'Food',
          item_category2: 'Sweet',
          item_category3: '',
          item_category4: 'Jars',
          affiliation: 'Shop',
          index: 1,
          item_list_id: 'x',
          location_id: 'y',
        },
      ],
    };
    expect(canonical(entry)).toStrictEqual({
      order_id: '77',
      status: 'created',
      action_id: 'a-1',
      currency: 'EUR',
      coupons: ['WELCOME'],
      items: [
        {
          id: 'SKU-1',
          name: 'Honey',
          quantity: 2,
          price: 6.5,
          discount: 0.5,
          coupon: 'BEE',
          tax_rate: 20,
          brand: 'Bees',
          variant: '250 g',
          categories: ['Food', 'Sweet', 'Jars'],
          affiliation: 'Shop',
          index: 1,
          list_id: 'x',
          location_id: 'y',
        },
      ],
      customer: { id: 'c-1', email: 'buyer@example.com' },
    });
  });

  it.each([
    ['mt_order', undefined, 'paid'],
    ['mt_order', 'PAY', 'paid'],
    ['mt_order', 'PAID', 'paid'],
    ['mt_order', 'add', 'created'],
    ['mt_refund', undefined, 'refunded'],
    ['mt_refund', 'REFUND', 'refunded'],
    ['mt_refund', 'CANCEL', 'cancelled'],
    ['mt_refund', 'CANCELED', 'cancelled'],
  ])('%s status %s → %s', (event, status, expected) => {
    const { event: out } = fromDataLayerEntry({ event, ecommerce: { ...MT_ORDER.ecommerce, status } });
    expect(out.status).toBe(expected);
  });

  it('names a status it does not know', () => {
    const err = rejection(() =>
      fromDataLayerEntry({ event: 'mt_refund', ecommerce: { ...MT_ORDER.ecommerce, status: 'PAY' } }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toContain('mt_refund status "PAY"');
  });
});

describe('GA4 purchase / refund', () => {
  it('maps the object form: total = value + tax + shipping', () => {
    expect(canonical({ event: 'purchase', ecommerce: GA4_PARAMS })).toStrictEqual(GA4_EXPECTED);
  });

  it('maps gtag() arguments (sent as an array) the same way', () => {
    expect(canonical(['event', 'purchase', GA4_PARAMS])).toStrictEqual(GA4_EXPECTED);
  });

  it('reads flat fields and numeric strings', () => {
    const entry = {
      event: 'purchase',
      transaction_id: 'T-2',
      value: '10.10',
      tax: '0.2',
      shipping: '',
      currency: 'czk',
      items: [{ item_name: 'Mug', price: '10.10' }],
    };
    expect(canonical(entry)).toStrictEqual({
      order_id: 'T-2',
      status: 'paid',
      currency: 'CZK',
      total: 10.3,
      tax: 0.2,
      items: [{ id: 'Mug', name: 'Mug', price: 10.1, quantity: 1 }],
      customer: {},
    });
  });

  it('keeps a non-numeric value as given so the schema reports it', () => {
    const { event } = fromDataLayerEntry({
      event: 'purchase',
      ecommerce: { transaction_id: 'T', value: 'lots', tax: 1 },
    });
    expect(event.total).toBe('lots');
    const parsed = parseEventInput(event);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.issues.map((i) => i.path)).toContain('total');
  });

  it('maps a refund without items as a full refund and one with items as partial', () => {
    expect(
      canonical({ event: 'refund', ecommerce: { transaction_id: 'T_12345', currency: 'USD', value: 30.03 } }),
    ).toStrictEqual({
      order_id: 'T_12345',
      status: 'refunded',
      currency: 'USD',
      total: 30.03,
      items: [],
      customer: {},
    });
    expect(
      canonical([
        'event',
        'refund',
        { transaction_id: 'T_12345', items: [{ item_id: 'SKU_12345', quantity: 1, price: 10.01 }] },
      ]),
    ).toStrictEqual({
      order_id: 'T_12345',
      status: 'refunded',
      items: [{ id: 'SKU_12345', quantity: 1, price: 10.01 }],
      customer: {},
    });
  });
});

describe('UA Enhanced Ecommerce and Yandex Metrica', () => {
  it('maps the UA purchase: revenue is the total as is, categories split on "/"', () => {
    expect(canonical(UA_PURCHASE)).toStrictEqual({
      order_id: 'T12345',
      status: 'paid',
      total: 35.43,
      tax: 4.9,
      shipping: 5.99,
      coupons: ['SUMMER_SALE'],
      items: [
        {
          id: '12345',
          name: 'Triblend Android T-Shirt',
          price: 15.25,
          brand: 'Google',
          categories: ['Apparel'],
          variant: 'Gray',
          quantity: 1,
        },
        {
          id: '67890',
          name: 'Donut Friday Scented T-Shirt',
          price: 33.75,
          brand: 'Google',
          categories: ['Apparel'],
          variant: 'Black',
          quantity: 1,
        },
      ],
      customer: {},
    });
  });

  it('maps the UA purchase pushed by GTM with event "purchase" as UA, not GA4', () => {
    expect(fromDataLayerEntry({ event: 'purchase', ...UA_PURCHASE }).format).toBe('ua');
  });

  it('maps the Yandex purchase', () => {
    expect(canonical(YANDEX_PURCHASE)).toStrictEqual({
      order_id: 'TRX1',
      status: 'paid',
      currency: 'RUB',
      total: 123.4,
      coupons: ['X'],
      items: [
        {
          id: 'SKU',
          name: 'Чай',
          price: 99.5,
          discount: 5,
          brand: 'Greenfield',
          categories: ['Еда', 'Напитки', 'Чай'],
          variant: '100 г',
          quantity: 2,
          index: 1,
          list_name: 'Поиск',
        },
      ],
      customer: {},
    });
  });

  it('maps UA refunds: no products = full, products = partial', () => {
    expect(canonical({ ecommerce: { refund: { actionField: { id: 'T12345' } } } })).toStrictEqual({
      order_id: 'T12345',
      status: 'refunded',
      items: [],
      customer: {},
    });
    expect(
      canonical({
        ecommerce: {
          refund: {
            actionField: { id: 'T12345' },
            products: [
              { id: 'P4567', quantity: 4 },
              { id: 'P8901', quantity: 3 },
            ],
          },
        },
      }),
    ).toStrictEqual({
      order_id: 'T12345',
      status: 'refunded',
      items: [
        { id: 'P4567', quantity: 4 },
        { id: 'P8901', quantity: 3 },
      ],
      customer: {},
    });
  });

  it('leaves total out without revenue (the order fold sums the items, as UA does)', () => {
    const { event } = fromDataLayerEntry({
      ecommerce: { purchase: { actionField: { id: 'T1' }, products: [{ id: 'a', price: 2, quantity: 2 }] } },
    });
    expect(event).not.toHaveProperty('total');
  });
});

describe('customer, visitor ids and consent', () => {
  const extras: Extras = {
    ids: { lvid: LVID, ym: '1700000000123456789', vt: 'u123_s456_789' },
    consent: {
      ad_storage: 'granted',
      analytics_storage: 'denied',
      ad_user_data: 'granted',
      ad_personalization: 'denied',
      wait_for_update: 500,
      region: ['CZ'],
    },
    userData: {
      email: 'early@example.com',
      phone_number: '+420777000111',
      address: { first_name: 'Eva', last_name: 'Nová', city: 'Brno', country: 'CZ' },
    },
  };

  it('puts visitor ids, earlier user_data and consent on the event', () => {
    expect(canonical(MT_ORDER, extras)).toStrictEqual({
      order_id: '000919',
      status: 'paid',
      currency: 'RUB',
      items: [{ id: '00912', name: 'Apple', price: 11.9, quantity: 5 }],
      customer: {
        lvid: LVID,
        ym_client_id: '1700000000123456789',
        vt_user: 'u123_s456_789',
        email: 'early@example.com',
        phone: '+420777000111',
        first_name: 'Eva',
        last_name: 'Nová',
        city: 'Brno',
        country: 'CZ',
      },
      consent: {
        ad_storage: 'granted',
        analytics_storage: 'denied',
        ad_user_data: 'granted',
        ad_personalization: 'denied',
      },
    });
  });

  it('prefers user_data on the push, then the push customer; ignores sha256_* hashes', () => {
    const entry = {
      event: 'purchase',
      ecommerce: { transaction_id: 'T1' },
      user_data: {
        email_address: ['late@example.com', 'other@example.com'],
        sha256_phone_number: 'ab'.repeat(32),
        address: [{ city: 'Praha' }],
      },
      customer: { id: 'c-9', first_name: 'Jana' },
    };
    const out = canonical(entry, extras) as { customer: Record<string, unknown> };
    expect(out.customer).toStrictEqual({
      lvid: LVID,
      ym_client_id: '1700000000123456789',
      vt_user: 'u123_s456_789',
      email: 'late@example.com',
      phone: '+420777000111',
      first_name: 'Jana',
      last_name: 'Nová',
      city: 'Praha',
      country: 'CZ',
      id: 'c-9',
    });
  });

  it('drops invalid page-collected values instead of refusing the order', () => {
    const out = canonical(MT_ORDER, {
      ids: { lvid: 'short', ym: 'abc', vt: 42 },
      consent: { ad_storage: 'yes', analytics_storage: 'granted' },
      userData: { email: 'not an email', phone_number: 'call me' },
    });
    expect(out).toMatchObject({ customer: {}, consent: { analytics_storage: 'granted' } });
    expect((out as { consent: object }).consent).toStrictEqual({ analytics_storage: 'granted' });
  });

  it('still checks the push customer strictly', () => {
    const { event } = fromDataLayerEntry({ ...MT_ORDER, customer: { email: 'nope' } });
    const parsed = parseEventInput(event);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.issues[0]!.path).toBe('customer.email');
  });
});

describe('malformed entries → 400', () => {
  it.each([
    ['null', null],
    ['a string', 'purchase'],
    ['a page view', { event: 'page_view' }],
    ['an ecommerce reset', { ecommerce: null }],
    ['a gtag config call', ['config', 'G-XXXX']],
    ['gtag purchase with string params', ['event', 'purchase', 'T1']],
    ['mt_order without order_id', { event: 'mt_order', ecommerce: { items: [] } }],
    ['mt_order with items not a list', { event: 'mt_order', ecommerce: { order_id: '1', items: 'apple' } }],
    ['mt_order with a string ecommerce', { event: 'mt_order', order_id: '1', ecommerce: 'x' }],
    ['GA4 purchase without transaction_id', { event: 'purchase', ecommerce: { value: 1 } }],
    [
      'GA4 purchase with items an object',
      { event: 'purchase', ecommerce: { transaction_id: 'T', items: { item_id: 'a' } } },
    ],
    ['UA purchase without actionField.id', { ecommerce: { purchase: { products: [] } } }],
    ['UA purchase with products not a list', { ecommerce: { purchase: { actionField: { id: 'T' }, products: 'x' } } }],
  ])('refuses %s', (_what, entry) => {
    const err = rejection(() => fromDataLayerEntry(entry));
    expect(err.status).toBe(400);
    expect(err.code).toBe('invalid_event');
    expect(err.message.length).toBeGreaterThan(10);
  });

  it('names the raw field in shape issues', () => {
    const err = rejection(() =>
      fromDataLayerEntry({ event: 'purchase', ecommerce: { transaction_id: 'T', items: [1] } }),
    );
    expect(err.issues?.[0]?.path).toBe('e.ecommerce.items.0');
  });

  it('leaves item-level problems to the schema (an item with neither id nor name)', () => {
    const { event } = fromDataLayerEntry({
      event: 'purchase',
      ecommerce: { transaction_id: 'T', items: [{ price: 1 }] },
    });
    const parsed = parseEventInput(event);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.issues[0]!.path).toBe('items.0.id');
  });
});

describe('fromBrowserBody', () => {
  it('unwraps the envelope: event, token and page URL', () => {
    const input = fromBrowserBody({
      v: 1,
      e: MT_ORDER,
      ids: { lvid: LVID },
      url: 'https://shop.example/thanks',
      t: '1.sig',
    });
    expect(input.format).toBe('mytracker');
    expect(input.token).toBe('1.sig');
    expect(input.pageUrl).toBe('https://shop.example/thanks');
    expect(input.event).toMatchObject({ order_id: '000919', customer: { lvid: LVID } });
  });

  it('still takes a canonical event without an envelope, token beside it', () => {
    const input = fromBrowserBody({ order_id: 'X1', status: 'paid', token: 'tok' });
    expect(input).toStrictEqual({ event: { order_id: 'X1', status: 'paid' }, token: 'tok', format: 'canonical' });
  });

  it.each([
    ['an unknown version', { v: 2, e: MT_ORDER }],
    ['a token that is not a string', { v: 1, e: MT_ORDER, t: 5 }],
    ['an array body', [MT_ORDER]],
    ['an unknown entry', { v: 1, e: { event: 'add_to_cart' } }],
  ])('refuses %s with 400', (_what, body) => {
    expect(rejection(() => fromBrowserBody(body)).status).toBe(400);
  });
});
