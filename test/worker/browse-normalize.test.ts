// Browse envelopes → canonical browse events (src/worker/browse/normalize.ts + the schema), one case per page
// format: GA4 object pushes and gtag('event', …) arguments, UA / Yandex ecommerce.detail / add / remove, the
// whole cart from the snippet's `k`, identity from every source, and the 400s.
import { describe, expect, it } from 'vitest';
import type { BrowseEvent } from '../../src/worker/browse/event';
import { isBrowseBody, parseBrowse } from '../../src/worker/browse/ingest';
import type { Env } from '../../src/worker/env';
import { HttpError } from '../../src/worker/http';

const env = { DEFAULT_CURRENCY: 'EUR' } as unknown as Env;
const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const URL_ = 'https://shop.example/p/apple';
const ME = { email: 'jana@example.com' };

const envelope = (e: unknown, more: Record<string, unknown> = {}) => ({ v: 1, e, url: URL_, d: ME, ...more });
const parse = (body: unknown): BrowseEvent => parseBrowse(body, env, NOW);

function refused(body: unknown): HttpError {
  try {
    parse(body);
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('expected a 400');
}

const APPLE = { item_id: 'SKU-1', item_name: 'Green apple', price: 11.9, quantity: 1, item_category: 'Fruit' };
const HONEY = { item_id: 'SKU-2', item_name: 'Honey', price: '5', quantity: 2 };

describe('browse entries are told apart from orders', () => {
  it.each([
    [{ event: 'page_view' }, true],
    [{ event: 'view_item', ecommerce: { items: [APPLE] } }, true],
    [['event', 'view_item_list', { item_list_id: 'fruit' }], true],
    [{ event: 'add_to_cart' }, true],
    [{ event: 'remove_from_cart' }, true],
    [{ event: 'view_cart' }, true],
    [{ ecommerce: { detail: { products: [] } } }, true],
    [{ event: 'addToCart', ecommerce: { add: { products: [] } } }, true],
    [{ ecommerce: { remove: { products: [] } } }, true],
    [{ event: 'purchase', ecommerce: { transaction_id: 'A1' } }, false],
    [{ event: 'add_to_cart', ecommerce: { purchase: { actionField: { id: 'A1' } } } }, false],
    [{ event: 'mt_order' }, false],
    [['event', 'purchase', {}], false],
    [['config', 'G-1'], false],
  ])('%j → browse %s', (e, browse) => {
    expect(isBrowseBody({ v: 1, e })).toBe(browse);
  });

  it('needs the envelope around the entry', () => {
    expect(isBrowseBody({ event: 'page_view' })).toBe(false);
    expect(isBrowseBody({ v: 2, e: { event: 'page_view' } })).toBe(false);
  });
});

describe('GA4', () => {
  it('page_view → page, with the page URL and the Worker time', () => {
    expect(parse(envelope({ event: 'page_view' }))).toEqual({
      type: 'page',
      url: URL_,
      currency: 'EUR',
      items: [],
      customer: ME,
      occurred_at: NOW / 1000,
    });
  });

  it('view_item → product: the first item, its in_stock parameter, the currency', () => {
    const e = parse(
      envelope({ event: 'view_item', ecommerce: { currency: 'usd', items: [{ ...APPLE, in_stock: true }, HONEY] } }),
    );
    expect(e).toMatchObject({ type: 'product', currency: 'USD', in_stock: 1 });
    expect(e.items).toEqual([{ id: 'SKU-1', name: 'Green apple', price: 11.9, quantity: 1, categories: ['Fruit'] }]);
  });

  it('gtag("event", "view_item_list", …) → category from item_list_id, else item_list_name, else the items’', () => {
    expect(parse(envelope(['event', 'view_item_list', { item_list_id: 'fruit', items: [APPLE] }])).category).toBe(
      'fruit',
    );
    expect(parse(envelope({ event: 'view_item_list', ecommerce: { item_list_name: 'Fruit' } })).category).toBe('Fruit');
    expect(
      parse(envelope({ event: 'view_item_list', ecommerce: { items: [{ ...APPLE, item_list_id: 'fruit-2' }] } }))
        .category,
    ).toBe('fruit-2');
  });

  it('add_to_cart → cart: the WHOLE cart from k, not the pushed change', () => {
    const e = parse(
      envelope(
        { event: 'add_to_cart', ecommerce: { currency: 'EUR', items: [HONEY] } },
        { k: { i: 'state-0002', p: [APPLE, HONEY] } },
      ),
    );
    expect(e).toMatchObject({ type: 'cart', cart_id: 'state-0002', currency: 'EUR' });
    expect(e.items.map((i) => [i.id, i.quantity, i.price])).toEqual([
      ['SKU-1', 1, 11.9],
      ['SKU-2', 2, 5],
    ]);
  });

  it('an emptied cart is a cart event with no items', () => {
    const e = parse(
      envelope({ event: 'remove_from_cart', ecommerce: { items: [APPLE] } }, { k: { i: 'state-0003', p: [] } }),
    );
    expect(e).toMatchObject({ type: 'cart', cart_id: 'state-0003', items: [] });
  });
});

describe('UA / Yandex', () => {
  it('ecommerce.detail → product (UA product fields, category levels split on /)', () => {
    const e = parse(
      envelope({
        ecommerce: {
          currencyCode: 'RUB',
          detail: { products: [{ id: 'P-7', name: 'Mug', price: '350.00', category: 'Home/Kitchen/Mugs' }] },
        },
      }),
    );
    expect(e).toMatchObject({ type: 'product', currency: 'RUB' });
    expect(e.items).toEqual([
      { id: 'P-7', name: 'Mug', price: 350, quantity: 1, categories: ['Home', 'Kitchen', 'Mugs'] },
    ]);
  });

  it('ecommerce.add and .remove → cart from k, whose items may be UA products', () => {
    for (const action of ['add', 'remove']) {
      const e = parse(
        envelope(
          { event: 'x', ecommerce: { [action]: { products: [{ id: 'P-7', quantity: 1 }] } } },
          { k: { i: `state-${action}-1`, p: [{ id: 'P-7', name: 'Mug', price: 350, quantity: 3 }] } },
        ),
      );
      expect(e).toMatchObject({ type: 'cart', cart_id: `state-${action}-1` });
      expect(e.items).toEqual([{ id: 'P-7', name: 'Mug', price: 350, quantity: 3 }]);
    }
  });
});

describe('identity, sc and consent', () => {
  it('the push’s customer beats user_data on the push, which beats gtag user_data, which beats data-*', () => {
    const e = parse({
      v: 1,
      e: {
        event: 'page_view',
        user_data: { phone_number: ['+420 777 000 111'] },
        customer: { email: 'c@example.com' },
      },
      d: { email: 'd@example.com', phone: '+420 777 000 999' },
      u: { email: 'u@example.com' },
      url: URL_,
    });
    expect(e.customer).toEqual({ email: 'c@example.com', phone: '+420 777 000 111' });
  });

  it('invalid page values are dropped, not refused; sc is kept; consent is the Consent Mode keys', () => {
    const e = parse({
      v: 1,
      e: { event: 'page_view' },
      d: { email: 'not an email', phone: 'call me' },
      ids: { sc: 'CDA68358-1B2C-4D5E-8F90-A1B2C3D4E5F6' },
      c: { analytics_storage: 'granted', ad_personalization: 'denied', junk: 'x' },
      url: URL_,
    });
    expect(e.customer).toEqual({ sc: 'CDA68358-1B2C-4D5E-8F90-A1B2C3D4E5F6' });
    expect(e.consent).toEqual({ analytics_storage: 'granted', ad_personalization: 'denied' });
  });
});

describe('refusals (400, nothing queued)', () => {
  it.each([
    ['a cart entry without the whole cart', envelope({ event: 'add_to_cart', ecommerce: { items: [APPLE] } })],
    [
      'a cart state id that is not random letters and digits',
      envelope({ event: 'view_cart' }, { k: { i: 'a b', p: [] } }),
    ],
    ['a product view without a product', envelope({ event: 'view_item', ecommerce: { items: [] } })],
    ['a list view without a list id or name', envelope({ event: 'view_item_list', ecommerce: { items: [] } })],
    ['a page view without a URL', { v: 1, e: { event: 'page_view' } }],
    ['a relative page URL', { v: 1, e: { event: 'page_view' }, url: '/p/apple' }],
    ['an item without an id', envelope({ event: 'view_item', ecommerce: { items: [{ price: 1 }] } })],
  ])('%s', (_name, body) => {
    const err = refused(body);
    expect(err.status).toBe(400);
    expect(err.code).toBe('invalid_event');
  });
});
