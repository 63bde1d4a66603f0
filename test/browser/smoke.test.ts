// The relay as a new user meets it: wrangler dev + fakes + a real Chromium on a demo thank-you page.

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, launchChromium, type Relay, startRelay } from './harness';

let relay: Relay;
let browser: Browser;
beforeAll(async () => {
  relay = await startRelay();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await relay?.stop();
});

it('back-office curl reaches the fake MyTracker within seconds', async () => {
  const res = await fetch(`${relay.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: 'Bearer test-s2s-token', 'content-type': 'application/json' },
    body: JSON.stringify({
      order_id: 'SMOKE-1',
      status: 'paid',
      total: 42,
      currency: 'EUR',
      items: [{ id: 'SKU-1', name: 'Mug', price: 42, quantity: 1 }],
      customer: { id: 'c-1', email: 'buyer@example.com' },
    }),
  });
  expect(res.status).toBe(202);
  const started = Date.now();
  const got = await eventually(() =>
    relay.fakes.mytracker.accepted.find((a: { order_id?: string }) => a.order_id === 'SMOKE-1'),
  );
  expect(got).toBeTruthy();
  expect(Date.now() - started).toBeLessThan(10_000);
});

it('serves the snippet with an ETag to a real browser', async () => {
  const page = await browser.newPage();
  const res = await page.goto(`${relay.url}/s.js`);
  expect(res?.status()).toBe(200);
  expect(res?.headers().etag).toMatch(/^".+"$/);
  await page.close();
});
