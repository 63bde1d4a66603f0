// The snippet in a real browser: a shop's thank-you page on its own origin loads /s.js from the relay, the
// order reaches the fake vendors, and a reload sends nothing new.

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, freePort, launchChromium, type Relay, startRelay, startShop } from './harness';

let relay: Relay;
let browser: Browser;
let shop: Awaited<ReturnType<typeof startShop>>;

const LVID = '0123456789abcdef0123456789abcdef';
const pages = (relayUrl: string): Record<string, string> => ({
  '/thank-you-mytracker': `<!doctype html><html><head><title>Thank you</title></head><body><h1>Thank you!</h1>
<script>
  document.cookie = 'tmr_lvid=${LVID}; path=/';
  window.dataLayer = window.dataLayer || [];
  dataLayer.push({ event: 'mt_order', ecommerce: { status: 'PAY', currency_code: 'EUR', order_id: 'BR-MT-1',
    items: [{ item_id: 'SKU-1', item_name: 'Green apple', price: '11.90', quantity: '2', item_category1: 'Fruit' }] },
    customer: { id: 'cust-br-1', email: 'browser.buyer@example.com' } });
</script>
<script async src="${relayUrl}/s.js"></script></body></html>`,
  '/thank-you-ga4': `<!doctype html><html><head><title>Thank you</title>
<script async src="${relayUrl}/s.js"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag() { dataLayer.push(arguments); }
  gtag('consent', 'default', { ad_storage: 'granted', ad_user_data: 'granted', analytics_storage: 'granted', ad_personalization: 'denied' });
  gtag('set', 'user_data', { email: 'ga4.buyer@example.com', phone_number: '+420777000111', address: { first_name: 'Jana', city: 'Praha', country: 'CZ' } });
</script></head><body><h1>Děkujeme!</h1>
<script>
  gtag('event', 'purchase', { transaction_id: 'BR-GA4-1', value: 30, tax: 6.3, shipping: 4, currency: 'CZK',
    items: [{ item_id: 'SKU-9', item_name: 'Mug', price: 15, quantity: 2, item_category: 'Kitchen' }] });
</script></body></html>`,
});

beforeAll(async () => {
  const shopPort = await freePort();
  relay = await startRelay({ ALLOWED_ORIGINS: `http://127.0.0.1:${shopPort}` });
  shop = await startShop(pages(relay.url), shopPort);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await shop?.stop();
  await relay?.stop();
});

type Accepted = { order_id?: string; status?: string; ids?: Record<string, string>; items?: unknown[] };

it('an mt_order on a thank-you page reaches MyTracker once, and a reload sends nothing new', async () => {
  const page = await browser.newPage();
  const posts: string[] = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && req.url().startsWith(`${relay.url}/o`)) posts.push(req.url());
  });
  await page.goto(`${shop.origin}/thank-you-mytracker`);
  const order = await eventually(() =>
    (relay.fakes.mytracker.accepted as Accepted[]).find((a) => a.order_id === 'BR-MT-1'),
  );
  expect(order).toMatchObject({ order_id: 'BR-MT-1', status: 'PAY' });
  expect(order?.ids).toMatchObject({ lvid: LVID, customUserId: 'cust-br-1' });
  expect(posts).toHaveLength(1);

  await page.reload();
  await page.waitForLoadState('networkidle');
  await new Promise((r) => setTimeout(r, 3000));
  expect(posts).toHaveLength(1);
  expect((relay.fakes.mytracker.accepted as Accepted[]).filter((a) => a.order_id === 'BR-MT-1')).toHaveLength(1);
  await page.close();
});

it('a GA4 purchase with user_data reaches Ecomail with the customer and the full total', async () => {
  const page = await browser.newPage();
  await page.goto(`${shop.origin}/thank-you-ga4`);
  type Tx = {
    method: string;
    order_id: string;
    transaction: { email: string; amount: number; status: string; city?: string };
  };
  const tx = await eventually(() => (relay.fakes.ecomail.accepted as Tx[]).find((a) => a.order_id === 'BR-GA4-1'));
  expect(tx?.method).toBe('POST');
  expect(tx?.transaction).toMatchObject({ email: 'ga4.buyer@example.com', amount: 40.3, status: 'completed' });
  await page.close();
});
