// Browse events end to end: POST /o with the every-page snippet's envelopes → the browse queue → the consumer →
// the strict fake eSputnik (which checks each body against the seed's documented shape), plus the day counters
// and the operator API. No order machinery: nothing lands in events or deliveries.

import { beforeEach, describe, expect, it } from 'vitest';
import { dayOf } from '../../src/worker/browse/counts';
import { orderEvents } from '../../src/worker/deliveries/store';
import type { ESputnikBrowseEvent } from '../fakes/esputnik.d.mts';
import { login } from './admin-helpers';
import { call, env, fakes, ORIGIN, postBrowser, waitFor } from './helpers';

const PAGE = 'https://shop.example/p/green-apple';
const APPLE = { item_id: 'SKU-1', item_name: 'Green apple', price: 11.9, quantity: 1, item_category: 'Fruit' };
const HONEY = { item_id: 'SKU-2', item_name: 'Honey', price: 5, quantity: 1 };

let seq = 0;
const newEmail = () => `browser-${Date.now().toString(36)}-${++seq}@example.com`;

/** Creates the contact in the fake, as an order or a newsletter sign-up would have: v1/event needs one. */
async function contact(email: string): Promise<void> {
  const res = await fetch('https://esputnik.com/api/v1/contact', {
    method: 'POST',
    headers: { authorization: `Basic ${btoa('test:test-esputnik-key')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channels: [{ type: 'email', value: email }] }),
  });
  expect(res.status).toBe(200);
}

const envelope = (e: unknown, more: Record<string, unknown> = {}) => ({ v: 1, e, url: PAGE, ...more });

async function accepted(body: unknown): Promise<void> {
  const res = await postBrowser(body);
  expect(res.status, await res.clone().text()).toBe(202);
  expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
}

async function browseFor(keyValue: string, count: number): Promise<ESputnikBrowseEvent[]> {
  const found = await waitFor(async () => {
    const { browse } = await fakes.state<{ browse: ESputnikBrowseEvent[] }>('esputnik');
    const mine = browse.filter((b) => b.keyValue === keyValue);
    return mine.length >= count ? mine : null;
  });
  if (!found) throw new Error(`eSputnik did not get ${count} browse events for ${keyValue}`);
  return found;
}

async function dayCount(type: string, outcome: string): Promise<number> {
  const row = await env.DB.prepare('SELECT n FROM browse_counts WHERE day = ?1 AND type = ?2 AND outcome = ?3')
    .bind(dayOf(Math.floor(Date.now() / 1000)), type, outcome)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

beforeEach(async () => {
  await fakes.reset();
});

describe('browse events end to end', () => {
  it('page, product, category and cart views of an identified visitor reach eSputnik as the seed documents them', async () => {
    const email = newEmail();
    await contact(email);
    const d = { email };
    await accepted(envelope({ event: 'page_view' }, { d }));
    await browseFor(email, 1);
    await accepted(envelope({ event: 'view_item', ecommerce: { currency: 'EUR', items: [APPLE] } }, { d }));
    await browseFor(email, 2);
    await accepted(envelope(['event', 'view_item_list', { item_list_id: 'fruit', items: [APPLE, HONEY] }], { d }));
    await browseFor(email, 3);
    await accepted(
      envelope(
        { event: 'add_to_cart', ecommerce: { currency: 'EUR', items: [HONEY] } },
        { d, k: { i: 'd59c6e6d-4123-4b0e-8c32-15f0656a8c60', p: [APPLE, HONEY] } },
      ),
    );
    const got = await browseFor(email, 4);

    expect(got.map((b) => [b.eventTypeKey, b.keyValue])).toEqual([
      ['pageViewed', email],
      ['productViewed', email],
      ['productCategoryViewed', email],
      ['cartUpdated', email],
    ]);
    expect(got[0]?.params).toEqual({ email, page: { location: PAGE } });
    expect(got[1]?.params).toEqual({ email, product: { productId: 'SKU-1', price: 11.9 }, currencyCode: 'EUR' });
    expect(got[2]?.params).toEqual({ email, category: { productCategoryId: 'fruit' } });
    expect(got[3]?.params).toEqual({
      email,
      products: [
        { productId: 'SKU-1', quantity: 1, price: 11.9, name: 'Green apple', category: 'Fruit' },
        { productId: 'SKU-2', quantity: 1, price: 5, name: 'Honey' },
      ],
      currencyCode: 'EUR',
      recycleStateId: 'd59c6e6d-4123-4b0e-8c32-15f0656a8c60',
    });
    // The light path keeps no order rows (event bodies are stored compressed: read them through the engine).
    const refs = (await env.DB.prepare('SELECT ref FROM orders').all<{ ref: string }>()).results.map((r) => r.ref);
    expect(JSON.stringify(await orderEvents(env.DB, refs))).not.toContain(email);
  });

  it('UA / Yandex detail and add pushes, identity from GA4 user_data', async () => {
    const email = newEmail();
    await contact(email);
    const u = { email };
    await accepted(
      envelope(
        { ecommerce: { currencyCode: 'RUB', detail: { products: [{ id: 'P-7', name: 'Mug', price: 350 }] } } },
        { u },
      ),
    );
    await accepted(
      envelope(
        { event: 'addToCart', ecommerce: { currencyCode: 'RUB', add: { products: [{ id: 'P-7', quantity: 2 }] } } },
        { u, k: { i: 'ua-cart-state-1', p: [{ id: 'P-7', name: 'Mug', price: 350, quantity: 2 }] } },
      ),
    );
    const got = await browseFor(email, 2);
    const byType = Object.fromEntries(got.map((b) => [b.eventTypeKey, b.params]));
    expect(byType.productViewed).toEqual({ email, product: { productId: 'P-7', price: 350 }, currencyCode: 'RUB' });
    expect(byType.cartUpdated).toMatchObject({
      products: [{ productId: 'P-7', quantity: 2, price: 350, name: 'Mug' }],
      recycleStateId: 'ua-cart-state-1',
    });
  });

  it('an anonymous visitor is accepted, counted as skipped and never sent', async () => {
    const before = await dayCount('product', 'skipped_anonymous');
    await accepted(
      envelope(
        { event: 'view_item', ecommerce: { items: [APPLE] } },
        { ids: { sc: 'CDA68358-1B2C-4D5E-8F90-A1B2C3D4E5F6' } },
      ),
    );
    const counted = await waitFor(async () =>
      (await dayCount('product', 'skipped_anonymous')) > before ? true : null,
    );
    expect(counted).toBe(true);
    const received = await fakes.received('esputnik');
    expect(received).toEqual([]);
  });

  it('an identified visitor eSputnik does not know: sent, answered 200 and ignored by eSputnik (v1/event needs a contact)', async () => {
    const email = newEmail();
    await accepted(envelope({ event: 'page_view' }, { d: { email } }));
    const dropped = await waitFor(async () => {
      const s = await fakes.state<{ dropped: { keyValue: string; reason: string }[] }>('esputnik');
      return s.dropped.find((x) => x.keyValue === email) ?? null;
    });
    expect(dropped?.reason).toBe('unknown_contact');
  });

  it('refuses what the order route refuses: a foreign origin, a body over 16 KB; and a cart entry without its cart', async () => {
    const foreign = await postBrowser(envelope({ event: 'page_view' }, { d: { email: newEmail() } }), {
      origin: 'https://evil.example',
    });
    expect(foreign.status).toBe(403);
    const big = await postBrowser(envelope({ event: 'page_view' }, { pad: 'x'.repeat(17 * 1024) }));
    expect(big.status).toBe(413);
    const noCart = await postBrowser(envelope({ event: 'add_to_cart', ecommerce: { items: [APPLE] } }));
    expect(noCart.status).toBe(400);
    expect(await noCart.json()).toMatchObject({ error: 'invalid_event' });
  });

  it('the operator API shows the counters per day, type and outcome', async () => {
    const email = newEmail();
    await contact(email);
    const before = await dayCount('page', 'delivered');
    await accepted(envelope({ event: 'page_view' }, { d: { email } }));
    await browseFor(email, 1);
    await waitFor(async () => ((await dayCount('page', 'delivered')) > before ? true : null));
    const res = await call('/admin/api/browse?days=7', { headers: { authorization: 'Bearer test-admin-token' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      days: number;
      rows: { day: string; type: string; outcome: string; n: number }[];
    };
    expect(body.days).toBe(7);
    const today = dayOf(Math.floor(Date.now() / 1000));
    expect(body.rows.find((r) => r.day === today && r.type === 'page' && r.outcome === 'delivered')?.n).toBeGreaterThan(
      before,
    );
    const unauthorized = await call('/admin/api/browse');
    expect(unauthorized.status).toBe(401);

    // The operator page shows the same counters: today's page row, its delivered column.
    const { cookie } = await login();
    const page = await (await call('/admin', { headers: { cookie } })).text();
    const section = page.slice(page.indexOf('id="browse"'));
    expect(section).toContain('Browse events to eSputnik');
    const row = new RegExp(
      `<td class="nowrap">${today}</td><td><span class="tag">page</span></td><td class="num">(\\d+)</td>`,
    );
    expect(Number(row.exec(section)?.[1])).toBeGreaterThan(before);
  });
});

describe('the demo shop pages (DEMO=true)', () => {
  it('/demo/product and /demo/cart load the every-page snippet with the demo buyer; other paths are not pages', async () => {
    const { demoShopPage } = await import('../../src/worker/demo');
    const product = await demoShopPage(new URL('https://relay.example/demo/product'))?.text();
    expect(product).toContain('<script async src="/s.all.js" data-email="demo.buyer@example.com"></script>');
    expect(product).toContain("event: 'view_item'");
    const cart = await demoShopPage(new URL('https://relay.example/demo/cart?debug'))?.text();
    expect(cart).toContain('src="/s.all.debug.js"');
    expect(cart).toContain('data-event="remove_from_cart"');
    expect(demoShopPage(new URL('https://relay.example/demo/admin'))).toBeNull();
    // Without DEMO the route does not exist.
    expect((await call('/demo/product')).status).toBe(404);
  });
});
