// Real shops' thank-you pages, read right: each input is what a platform or plugin pushes, written from its own
// source code or its vendor's documentation (cited above each fixture), sent as the snippet sends it (envelope
// with `m`, GTM's data model before the entry, and `g`, the gtag() commands) → the canonical event ingest stores.
import { describe, expect, it } from 'vitest';
import { parseEventInput } from '../../src/worker/event';
import { fromBrowserBody } from '../../src/worker/normalize';
import { reconcile, tolerance } from '../../src/worker/normalize/revenue';

type Envelope = { e: unknown; m?: unknown[]; g?: unknown[] };

/** Envelope → what ingest would store. `place` is what request.cf says about the visitor. */
function stored(envelope: Envelope, place = {}): Record<string, unknown> {
  const { event } = fromBrowserBody({ v: 1, url: 'https://shop.example/checkout/thanks', ...envelope }, place);
  const parsed = parseEventInput(event);
  if (!parsed.ok) throw new Error(`schema: ${JSON.stringify(parsed.issues)}`);
  return parsed.value as Record<string, unknown>;
}

// ---- WooCommerce: GTM4WP ----

/**
 * GTM4WP 2.x, default GA4 output with "order data" and "customer data" on: duracelltomi/gtm4wp
 * src/Modules/WooCommerce/ProductData.php get_purchase_datalayer() (value = WC_Order::get_total(), tax and
 * shipping included; transaction_id = prefix + order number), get_raw_order_datalayer() (orderData) and
 * process_order_items()/process_product() (item keys); PageDataLayer.php add_customer_data() (customerBilling*).
 * A bank-transfer order: WooCommerce status "on-hold".
 */
const GTM4WP_GA4 = {
  customerTotalOrders: 1,
  customerBillingFirstName: 'Jana',
  customerBillingEmail: 'visitor@example.com',
  orderData: {
    attributes: {
      date: '2026-12-06T03:10:00+00:00',
      order_number: '1042',
      order_key: 'wc_order_abc',
      payment_method: 'bacs',
      payment_method_title: 'Direct bank transfer',
      shipping_method: 'Flat rate',
      status: 'on-hold',
      coupons: '',
    },
    totals: { currency: 'EUR', shipping_total: 5, cart_tax: 20, total: 120, total_tax: 20, subtotal: 95 },
    customer: {
      id: 0,
      billing: {
        first_name: 'Jana',
        last_name: 'Nováková',
        city: 'Brno',
        country: 'CZ',
        email: 'jana@example.com',
        phone: '+420 777 123 456',
      },
    },
  },
  new_customer: true,
  customer_type: 'new',
  event: 'purchase',
  ecommerce: {
    currency: 'EUR',
    transaction_id: 'WEB-1042',
    affiliation: '',
    value: 120,
    tax: 20,
    shipping: 5,
    coupon: '',
    items: [
      {
        item_id: 31,
        item_name: 'Hoodie',
        sku: 'HD-1',
        price: 47.5,
        google_business_vertical: 'retail',
        item_category: 'Clothing',
        id: 31,
        quantity: 2,
      },
    ],
  },
};

describe('WooCommerce + GTM4WP', () => {
  it('GA4 output: the 120.00 grand total stays 120.00; order number, on-hold status and billing from orderData', () => {
    expect(stored({ e: GTM4WP_GA4 })).toStrictEqual({
      order_id: '1042',
      status: 'created',
      currency: 'EUR',
      total: 120,
      tax: 20,
      shipping: 5,
      items: [{ id: '31', name: 'Hoodie', quantity: 2, price: 47.5, categories: ['Clothing'] }],
      customer: {
        email: 'jana@example.com',
        first_name: 'Jana',
        phone: '+420 777 123 456',
        last_name: 'Nováková',
        city: 'Brno',
        country: 'CZ',
      },
    });
  });

  it('GA4 output with default settings (no orderData): value reconciled with the items → 120.00, paid', () => {
    const { orderData, ...push } = GTM4WP_GA4;
    const out = stored({ e: push });
    expect(out).toMatchObject({ order_id: 'WEB-1042', status: 'paid', total: 120 });
    // customerBilling* of the logged-in visitor, on the same push.
    expect(out.customer).toStrictEqual({ first_name: 'Jana', email: 'visitor@example.com' });
  });

  /**
   * GTM4WP 1.15 (tag 1.15.2, integration/woocommerce.php): the page-level push carries customerBilling*, the
   * order push both the classic keys and Enhanced Ecommerce (`gtm4wp.orderCompletedEEC`, revenue = order total).
   */
  it('UA output 1.x: EEC revenue as the total, customer from the earlier page-level push', () => {
    const pageLevel = {
      pagePostType: 'page',
      customerBillingEmail: 'jana@example.com',
      customerBillingPhone: '777123456',
    };
    const order = {
      event: 'gtm4wp.orderCompletedEEC',
      transactionId: '1042',
      transactionTotal: 120,
      transactionProducts: [{ id: 31, name: 'Hoodie', sku: 'HD-1', category: 'Clothing', price: 47.5, quantity: 2 }],
      ecommerce: {
        currencyCode: 'EUR',
        purchase: {
          actionField: { id: '1042', affiliation: '', revenue: 120, tax: 20, shipping: 5, coupon: '' },
          products: [
            { id: 31, name: 'Hoodie', sku: 'HD-1', category: 'Clothing', price: 47.5, stocklevel: null, quantity: 2 },
          ],
        },
      },
    };
    expect(stored({ e: order, m: [{ 'gtm.start': 1, event: 'gtm.js' }, pageLevel] })).toStrictEqual({
      order_id: '1042',
      status: 'paid',
      currency: 'EUR',
      total: 120,
      tax: 20,
      shipping: 5,
      items: [{ id: '31', name: 'Hoodie', quantity: 2, price: 47.5, categories: ['Clothing'] }],
      customer: { email: 'jana@example.com', phone: '777123456' },
    });
  });
});

// ---- WooCommerce: its own Google Analytics plugin ----

/**
 * woocommerce/woocommerce-google-analytics-integration: includes/class-wc-google-gtag-js.php (consent defaults:
 * denied for EEA + UK + CH via `region`, wait_for_update 500) and assets/js/src/tracker/data-formatting.js
 * purchase() (transaction_id = order.id, the post id; value = totals.total_price, the grand total) with
 * utils/index.js getProductFieldObject() and formatPrice() (minor units / 10^2).
 */
const EEA_UK_CH = [
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IS',
  'IE',
  'IT',
  'LV',
];
EEA_UK_CH.push('LI', 'LT', 'LU', 'MT', 'NL', 'NO', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'GB', 'CH');
const WOO_GA_CONSENT = [
  [
    'consent',
    'default',
    {
      wait_for_update: 500,
      analytics_storage: 'denied',
      ad_storage: 'denied',
      ad_user_data: 'denied',
      ad_personalization: 'denied',
      region: EEA_UK_CH,
    },
  ],
];
const WOO_GA_PURCHASE = [
  'event',
  'purchase',
  {
    transaction_id: 1187,
    affiliation: 'Hoodie Shop',
    currency: 'EUR',
    value: 12000 / 10 ** 2,
    tax: 2000 / 10 ** 2,
    shipping: 500 / 10 ** 2,
    items: [{ item_id: 'HD-1', item_name: 'Hoodie', item_category: 'Clothing', quantity: 2, price: 4750 / 10 ** 2 }],
  },
];

describe('WooCommerce Google Analytics integration', () => {
  it('grand-total value stays the total; the post id is the order id', () => {
    expect(stored({ e: WOO_GA_PURCHASE })).toMatchObject({
      order_id: '1187',
      status: 'paid',
      total: 120,
      currency: 'EUR',
    });
  });

  it('its region-scoped denial applies to a visitor in Germany only', () => {
    expect(stored({ e: WOO_GA_PURCHASE, g: WOO_GA_CONSENT }, { country: 'DE' }).consent).toStrictEqual({
      analytics_storage: 'denied',
      ad_storage: 'denied',
      ad_user_data: 'denied',
      ad_personalization: 'denied',
    });
    expect(stored({ e: WOO_GA_PURCHASE, g: WOO_GA_CONSENT }, { country: 'US' }).consent).toBeUndefined();
  });

  it('an update (wp-consent-api.js setCurrentConsentState) wins over the regional default', () => {
    const cs = [
      ...WOO_GA_CONSENT,
      ['consent', 'update', { ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' }],
    ];
    expect(stored({ e: WOO_GA_PURCHASE, g: cs }, { country: 'AT' }).consent).toStrictEqual({
      analytics_storage: 'denied',
      ad_storage: 'granted',
      ad_user_data: 'granted',
      ad_personalization: 'granted',
    });
  });

  it('the most specific region wins, whatever the order of the defaults', () => {
    const cs = [
      ['consent', 'default', { ad_user_data: 'denied', region: ['US-CA'] }],
      ['consent', 'default', { ad_user_data: 'granted', region: ['US'] }],
      ['consent', 'default', { ad_user_data: 'denied' }],
    ];
    expect(stored({ e: WOO_GA_PURCHASE, g: cs }, { country: 'US', region: 'CA' }).consent).toStrictEqual({
      ad_user_data: 'denied',
    });
    expect(stored({ e: WOO_GA_PURCHASE, g: cs }, { country: 'US', region: 'NY' }).consent).toStrictEqual({
      ad_user_data: 'granted',
    });
    expect(stored({ e: WOO_GA_PURCHASE, g: cs }, { country: 'FR' }).consent).toStrictEqual({ ad_user_data: 'denied' });
  });
});

// ---- Magento 2 ----

/**
 * MagePal (magepal/magento2-google-tag-manager): Block/DataLayerAbstract.php _init() pushes
 * `{ecommerce: {currencyCode}, pageType, list}` first; Model/Order.php getOrderLayer() pushes the transaction
 * (getTransactionDetail: transactionTotal = base grand total, formatPrice() = float) as `gtm.orderComplete` and
 * again as `purchase`.
 */
const MAGEPAL_PAGE = { ecommerce: { currencyCode: 'EUR' }, pageType: 'checkout_onepage_success', list: 'other' };
const MAGEPAL_ORDER = {
  event: 'purchase',
  transactionId: '000000042',
  transactionAffiliation: 'Main Website Store',
  transactionTotal: 130,
  transactionSubTotal: 100,
  transactionShipping: 10,
  transactionTax: 20,
  transactionCouponCode: '',
  transactionDiscount: 0,
  transactionProducts: [
    { sku: 'MH01-XS-Black', name: 'Chaz Kangeroo Hoodie', price: 50, quantity: 2, category: 'Men' },
  ],
  order: { order_id: '000000042', total: 130 },
};

/**
 * Yireo_GoogleTagManager2 (yireo/Yireo_GoogleTagManager2): DataLayer/Event/Purchase.php (value =
 * Util/OrderTotals.php getValueTotal() = subtotal − discount, no tax or shipping) and
 * DataLayer/Mapper/OrderItemDataMapper.php (price = unit price before the discount, discount = the row's
 * discount amount).
 */
const YIREO_PURCHASE = {
  event: 'purchase',
  ecommerce: {
    transaction_id: '000000043',
    affiliation: 'Main Website Store',
    currency: 'EUR',
    tax: 19,
    value: 90,
    value_adjusted: 90,
    shipping: 5,
    coupon: 'SAVE10',
    payment_method: 'checkmo',
    payment_type: 'checkmo',
    items: [{ item_id: 'MH01', item_name: 'Chaz Kangeroo Hoodie', discount: 10, quantity: 2, price: 50 }],
  },
};

describe('Magento 2', () => {
  it('MagePal classic keys: currency from the earlier page-level push, transactionTotal as the total', () => {
    expect(
      stored({ e: MAGEPAL_ORDER, m: [MAGEPAL_PAGE, { ...MAGEPAL_ORDER, event: 'gtm.orderComplete' }] }),
    ).toStrictEqual({
      order_id: '000000042',
      status: 'paid',
      currency: 'EUR',
      total: 130,
      tax: 20,
      shipping: 10,
      items: [{ id: 'MH01-XS-Black', name: 'Chaz Kangeroo Hoodie', quantity: 2, price: 50, categories: ['Men'] }],
      customer: {},
    });
  });

  it('Yireo GA4: a subtotal value gets tax and shipping added; the line discount becomes a per-unit net price', () => {
    expect(stored({ e: YIREO_PURCHASE })).toStrictEqual({
      order_id: '000000043',
      status: 'paid',
      currency: 'EUR',
      total: 114,
      tax: 19,
      shipping: 5,
      coupons: ['SAVE10'],
      items: [{ id: 'MH01', name: 'Chaz Kangeroo Hoodie', quantity: 2, price: 45, discount: 5 }],
      customer: {},
    });
  });
});

// ---- 1C-Bitrix, CS-Cart, Yandex Metrica ----

/**
 * 1C-Bitrix sale.order.ajax, templates/.default/order_ajax.js setAnalyticsDataLayer('purchase', id) (as shipped
 * in e.g. yuriy-yarvinen/bitrix-1c-lesson bitrix/components/bitrix/sale.order.ajax/templates/.default/order_ajax.js):
 * pushed on the checkout page right before the redirect; the numbers come from the component's JSON, quoted.
 */
const BITRIX_JSON = `{"event":"purchase","ecommerce":{"purchase":{"actionField":{"id":"57","revenue":"2450","tax":"0",
  "shipping":"300"},"products":[{"id":"12","name":"Чайник","price":"1075.00","brand":"","variant":"","quantity":"2"}]}}}`;

/**
 * CS-Cart rus_yandex_metrika add-on (e.g. ksajo/tdevops-csc var/themes_repository/responsive/templates/addons/
 * rus_yandex_metrika/views/components/datalayer.tpl): `window.dataLayerYM.push({ecommerce: {purchase: …}})`,
 * Smarty printing numbers bare (a float as `795.00`, quantity `2.0` from a decimal column).
 */
const CSCART_JSON = `{"ecommerce":{"purchase":{"actionField":{"id":98,"revenue":1590.00},"products":[{"id":12,
  "name":"Чайник","price":795.00,"brand":"Bosch","category":"Кухня","quantity":2.0}]}}}`;

describe('1C-Bitrix, CS-Cart, Yandex Metrica', () => {
  it('Bitrix: every number quoted', () => {
    expect(stored({ e: JSON.parse(BITRIX_JSON) })).toStrictEqual({
      order_id: '57',
      status: 'paid',
      total: 2450,
      tax: 0,
      shipping: 300,
      items: [{ id: '12', name: 'Чайник', quantity: 2, price: 1075 }],
      customer: {},
    });
  });

  it('CS-Cart dataLayerYM: floats like 2.0', () => {
    expect(stored({ e: JSON.parse(CSCART_JSON) })).toStrictEqual({
      order_id: '98',
      status: 'paid',
      total: 1590,
      items: [{ id: '12', name: 'Чайник', quantity: 2, price: 795, brand: 'Bosch', categories: ['Кухня'] }],
      customer: {},
    });
  });

  /** https://yandex.ru/support/metrica/ecommerce/data.html, the purchase example (currency on the push). */
  it('Yandex Metrica documented purchase', () => {
    const push = {
      ecommerce: {
        currencyCode: 'RUB',
        purchase: {
          actionField: { id: 'TRX987', coupon: 'one-two-three', goal_id: '1234567' },
          products: [
            {
              id: '25341',
              name: 'Мужская футболка',
              price: 1799.7,
              brand: 'Яндекс / Яndex',
              category: 'Одежда/Мужская одежда/Футболки',
              variant: 'Оранжевый цвет',
              quantity: 1,
              list: 'Одежда',
              position: 2,
            },
          ],
        },
      },
    };
    expect(stored({ e: push })).toMatchObject({
      order_id: 'TRX987',
      currency: 'RUB',
      coupons: ['one-two-three'],
      items: [
        {
          id: '25341',
          price: 1799.7,
          categories: ['Одежда', 'Мужская одежда', 'Футболки'],
          index: 2,
          list_name: 'Одежда',
        },
      ],
    });
  });
});

// ---- GA4 and MyTracker, as documented ----

/** https://developers.google.com/analytics/devguides/collection/ga4/ecommerce?client_type=gtm — purchase, refund. */
const GA4_ITEMS = [
  { item_id: 'SKU_12345', item_name: 'Stan and Friends Tee', discount: 2.22, price: 10.01, quantity: 3 },
];

describe('GA4 and MyTracker documented pushes', () => {
  it('GA4 purchase after an `ecommerce: null` reset: value is the items, tax and shipping added', () => {
    const reset = { ecommerce: null };
    const purchase = {
      event: 'purchase',
      ecommerce: {
        transaction_id: 'T_12345',
        value: 30.03,
        tax: 4.9,
        shipping: 5.99,
        currency: 'USD',
        coupon: 'SUMMER_SALE',
        items: GA4_ITEMS,
      },
    };
    expect(stored({ e: purchase, m: [{ ecommerce: { currency: 'EUR', items: [] } }, reset] })).toMatchObject({
      order_id: 'T_12345',
      total: 40.92,
      currency: 'USD',
    });
  });

  it('GA4 refund: full without items, partial with them', () => {
    const full = {
      event: 'refund',
      ecommerce: { currency: 'USD', transaction_id: 'T_12345', value: 30.03, tax: 4.9, shipping: 5.99 },
    };
    expect(stored({ e: full, m: [{ ecommerce: null }] })).toMatchObject({
      status: 'refunded',
      total: 40.92,
      items: [],
    });
    const partial = {
      event: 'refund',
      ecommerce: { currency: 'USD', transaction_id: 'T_12345', value: 30.03, items: GA4_ITEMS },
    };
    expect(stored({ e: partial })).toMatchObject({
      status: 'refunded',
      total: 30.03,
      items: [{ id: 'SKU_12345', quantity: 3 }],
    });
  });

  /** The MyTracker seed's item table (docs/field-coverage/mytracker.md): all five new item fields read. */
  it('MyTracker mt_order with the documented item parameters, and mt_refund', () => {
    const item = {
      item_id: '00912',
      item_name: 'Apple',
      affiliation: 'Gardens',
      price: '11.90',
      discount: '2',
      index: '1',
    };
    const more = { item_list_id: '5', item_list_name: 'Fruits', location_id: 'Oregon', quantity: '3' };
    const order = {
      event: 'mt_order',
      ecommerce: { order_id: '000919', status: 'PAY', currency_code: 'USD', items: [{ ...item, ...more }] },
    };
    expect(stored({ e: order })).toMatchObject({
      status: 'paid',
      items: [
        { id: '00912', affiliation: 'Gardens', index: 1, list_id: '5', list_name: 'Fruits', location_id: 'Oregon' },
      ],
    });
    const refund = {
      event: 'mt_refund',
      ecommerce: { order_id: '000919', status: 'REFUND', items: [{ ...item, quantity: 1 }] },
    };
    expect(stored({ e: refund })).toMatchObject({ status: 'refunded', items: [{ id: '00912', quantity: 1 }] });
  });
});

// ---- the revenue rule (docs/page-formats.md "Revenue") ----

describe('GA4 value reconciliation', () => {
  const items = [{ price: 47.5, quantity: 2 }];
  it.each([
    ['value = items → subtotal, tax and shipping added', 95, 120.5],
    ['value = items + tax + shipping → the grand total as is', 120.5, 120.5],
    ['value within the rounding tolerance of the items', 95.01, 120.51],
    ['nothing adds up, value above items + shipping (tax-inclusive prices) → as is', 104, 104],
    ['nothing adds up, value below the items → subtotal', 90, 115.5],
  ])('%s', (_, value, total) => {
    expect(reconcile(value, 20.5, 5, items).total).toBe(total);
  });

  it('no items: Google’s definition, a subtotal', () => {
    expect(reconcile(100, 20, 5, []).total).toBe(125);
  });

  it('the tolerance is a cent plus half a cent per unit', () => {
    expect(tolerance([{ quantity: 2 }, {}])).toBeCloseTo(0.025);
  });
});
