// The every-page snippet in Chromium against `wrangler dev` and the strict fake eSputnik (which checks each
// recommendation event against the documented shape): a product page, a category page, a cart flow (add, add,
// remove) and the purchase, which /s.js relays carrying the last cart id; nothing for an anonymous visitor, nothing
// after an opt-out.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ESputnikBrowseEvent } from '../fakes/esputnik.d.mts';
import { eventually, freePort, launchChromium, type Relay, startRelay, startShop } from './harness';

let relay: Relay;
let browser: Browser;
let shop: Awaited<ReturnType<typeof startShop>>;

const EMAIL = 'browsing.buyer@example.com';
const APPLE = { item_id: 'SKU-1', item_name: 'Green apple', price: 11.9, quantity: 1, item_category: 'Fruit' };
const HONEY = { item_id: 'SKU-2', item_name: 'Honey', price: 5, quantity: 1 };

const page = (relayUrl: string, pushes: string, attrs = `data-email="${EMAIL}"`) =>
  `<!doctype html><html><head><title>Shop</title><script>
  window.dataLayer = window.dataLayer || [];
  function gtag() { dataLayer.push(arguments); }
  ${pushes}
</script><script async src="${relayUrl}/s.all.js" ${attrs}></script></head><body><h1>Shop</h1></body></html>`;

const pages = (r: string): Record<string, string> => ({
  '/product': page(
    r,
    `dataLayer.push({ event: 'view_item', ecommerce: { currency: 'EUR', items: [${JSON.stringify(APPLE)}] } });`,
  ),
  '/category': page(
    r,
    `gtag('event', 'view_item_list', { item_list_id: 'fruit', items: [${JSON.stringify(APPLE)}] });`,
  ),
  '/cart': page(r, ''),
  '/thank-you': page(
    r,
    `dataLayer.push({ event: 'purchase', ecommerce: { transaction_id: 'BR-BROWSE-1', value: 5, currency: 'EUR',
      items: [${JSON.stringify(HONEY)}] }, customer: { email: '${EMAIL}' } });`,
  ),
  '/anonymous-product': page(
    r,
    `dataLayer.push({ event: 'view_item', ecommerce: { items: [${JSON.stringify(APPLE)}] } });`,
    '',
  ),
  '/opted-out': page(
    r,
    `gtag('consent', 'update', { analytics_storage: 'denied', ad_personalization: 'denied' });
     dataLayer.push({ event: 'view_item', ecommerce: { items: [${JSON.stringify(APPLE)}] } });`,
  ),
});

beforeAll(async () => {
  const shopPort = await freePort();
  relay = await startRelay({ ALLOWED_ORIGINS: `http://127.0.0.1:${shopPort}` });
  shop = await startShop(pages(relay.url), shopPort);
  browser = await launchChromium();
  // v1/event reaches existing contacts only: the buyer is one (a subscriber, say).
  const res = await relay.fakes.esputnik.handle(
    new Request('https://esputnik.com/api/v1/contact', {
      method: 'POST',
      headers: { authorization: `Basic ${btoa('x:test-esputnik-key')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channels: [{ type: 'email', value: EMAIL }] }),
    }),
  );
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await browser?.close();
  await shop?.stop();
  await relay?.stop();
});

const browse = (): ESputnikBrowseEvent[] => relay.fakes.esputnik.browse as ESputnikBrowseEvent[];
async function received(count: number): Promise<ESputnikBrowseEvent[]> {
  const got = await eventually(() => (browse().length >= count ? browse() : null));
  if (!got)
    throw new Error(`eSputnik got ${browse().length} browse events, expected ${count}:\n${relay.logs.join('')}`);
  return got;
}
/** The bodies the page posted to the relay's /o. */
function posts(p: Page): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  p.on('request', (req) => {
    if (req.method() === 'POST' && req.url() === `${relay.url}/o`) out.push(JSON.parse(req.postData() ?? '{}'));
  });
  return out;
}
const ready = (p: Page) =>
  p.waitForFunction(() => (window as unknown as { dataLayer: unknown[] }).dataLayer.push !== Array.prototype.push);

it('product page, category page, cart (add, add, remove) and purchase: the right events, the whole cart each time', async () => {
  const context = await browser.newContext();
  const p = await context.newPage();
  const sentToRelay = posts(p);

  await p.goto(`${shop.origin}/product`);
  let got = await received(2);
  expect(got.map((b) => b.eventTypeKey).sort()).toEqual(['pageViewed', 'productViewed']);
  expect(got.find((b) => b.eventTypeKey === 'productViewed')?.params).toEqual({
    email: EMAIL,
    product: { productId: 'SKU-1', price: 11.9 },
    currencyCode: 'EUR',
  });
  expect(got.every((b) => b.keyValue === EMAIL)).toBe(true);

  await p.goto(`${shop.origin}/category`);
  got = await received(4);
  expect(got.find((b) => b.eventTypeKey === 'productCategoryViewed')?.params).toEqual({
    email: EMAIL,
    category: { productCategoryId: 'fruit' },
  });

  await p.goto(`${shop.origin}/cart`);
  await ready(p);
  for (const [event, item] of [
    ['add_to_cart', APPLE],
    ['add_to_cart', HONEY],
    ['remove_from_cart', APPLE],
  ] as const) {
    await p.evaluate(
      ([e, i]) =>
        (window as unknown as { dataLayer: unknown[] }).dataLayer.push({
          event: e,
          ecommerce: { currency: 'EUR', items: [i] },
        }),
      [event, item] as const,
    );
  }
  got = await received(8);
  // The light path keeps no order between events (the consumer sends several at once): compare the states as a set.
  const carts = got.filter((b) => b.eventTypeKey === 'cartUpdated');
  const lines = (c: ESputnikBrowseEvent) =>
    (c.params.products as { productId: string; quantity: number }[]).map((x) => `${x.productId}×${x.quantity}`).join();
  expect(carts.map(lines).sort()).toEqual(['SKU-1×1', 'SKU-1×1,SKU-2×1', 'SKU-2×1']);
  const ids = carts.map((c) => c.params.recycleStateId as string);
  expect(new Set(ids).size).toBe(3);
  // The last state (after the remove) is the one the purchase must carry.
  const lastId = carts.find((c) => lines(c) === 'SKU-2×1')?.params.recycleStateId;

  // The purchase: the every-page snippet loads /s.js, whose order entry carries the last cart state id.
  await p.goto(`${shop.origin}/thank-you`);
  const order = await eventually(() => sentToRelay.find((b) => (b.e as { event?: string })?.event === 'purchase'));
  expect(order?.e).toMatchObject({ recycleStateId: lastId });
  const delivered = await eventually(() => relay.fakes.esputnik.orders.get('BR-BROWSE-1'));
  expect(delivered).toBeTruthy();
  // The cart was emptied: the next add starts a new one.
  await p.goto(`${shop.origin}/cart`);
  await ready(p);
  await p.evaluate(
    (i) =>
      (window as unknown as { dataLayer: unknown[] }).dataLayer.push({
        event: 'add_to_cart',
        ecommerce: { items: [i] },
      }),
    HONEY,
  );
  // Two page views (thank-you, cart) and the new cart.
  got = await received(11);
  const last = got.filter((b) => b.eventTypeKey === 'cartUpdated').at(-1);
  expect(last?.params.products).toEqual([{ productId: 'SKU-2', quantity: 1, price: 5, name: 'Honey' }]);
  await context.close();
});

it('nothing reaches eSputnik for an anonymous visitor; nothing is even posted after an opt-out', async () => {
  const before = browse().length;
  const context = await browser.newContext();
  const anonymous = await context.newPage();
  const anonymousPosts = posts(anonymous);
  await anonymous.goto(`${shop.origin}/anonymous-product`);
  // The product view goes to the relay (with eSputnik's sc cookie, were there one), which skips and counts it.
  await eventually(() => anonymousPosts.length > 0);
  const counted = await eventually(async () => {
    const res = await fetch(`${relay.url}/admin/api/browse?days=1`, {
      headers: { authorization: 'Bearer test-admin-token' },
    });
    const body = (await res.json()) as { rows: { type: string; outcome: string; n: number }[] };
    return body.rows.find((r) => r.type === 'product' && r.outcome === 'skipped_anonymous');
  });
  expect(counted?.n).toBeGreaterThanOrEqual(1);
  expect(anonymousPosts.map((b) => (b.e as { event: string }).event)).toEqual(['view_item']);

  const optedOut = await context.newPage();
  const optedOutPosts = posts(optedOut);
  await optedOut.goto(`${shop.origin}/opted-out`);
  await ready(optedOut);
  await optedOut.waitForLoadState('networkidle');
  await new Promise((r) => setTimeout(r, 2000));
  expect(optedOutPosts).toEqual([]);
  expect(browse()).toHaveLength(before);
  await context.close();
});
