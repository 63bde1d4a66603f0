// The operator view in a real Chromium against `wrangler dev`: sign in, see the counts after a few orders,
// find an order, replay a dead delivery and watch it turn delivered. Leaves test-results/admin.png behind.
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, launchChromium, type Relay, startRelay } from './harness';

const ADMIN = 'test-admin-token';
// Two attempts a second apart, so a delivery to a vendor that is down dies within seconds.
const VARS = { MAX_ATTEMPTS: '2', RETRY_BASE_SECONDS: '1', RETRY_CAP_SECONDS: '1' };

let relay: Relay;
let browser: Browser;
let context: BrowserContext;
let page: Page;

type Ledger = { deliveries: { vendor: string; state: string }[] };

async function post(event: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${relay.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: 'Bearer test-s2s-token', 'content-type': 'application/json' },
    body: JSON.stringify({
      status: 'paid',
      currency: 'EUR',
      total: 42,
      items: [{ id: 'SKU-1', name: 'Mug', price: 42, quantity: 1 }],
      customer: { id: 'c-1', email: 'buyer@example.com', phone: '+420777123456' },
      ...event,
    }),
  });
  expect(res.status).toBe(202);
}

async function mytrackerState(order: string): Promise<string | undefined> {
  const res = await fetch(`${relay.url}/admin/api/orders/${order}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  if (res.status !== 200) return undefined;
  return ((await res.json()) as Ledger).deliveries.find((d) => d.vendor === 'mytracker')?.state;
}

beforeAll(async () => {
  relay = await startRelay(VARS);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  for (const id of ['ADM-1', 'ADM-2', 'ADM-3']) await post({ order_id: id });
  expect(await eventually(async () => (await mytrackerState('ADM-3')) === 'delivered')).toBe(true);
  // MyTracker goes down for one order, which dies after its two attempts; then it comes back.
  relay.fakes.mytracker.down(true);
  await post({ order_id: 'ADM-DEAD' });
  expect(await eventually(async () => (await mytrackerState('ADM-DEAD')) === 'dead', 30_000)).toBe(true);
  relay.fakes.mytracker.down(false);
});

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
});

it('shows only the login form until signed in, then the counts', async () => {
  await page.goto(`${relay.url}/admin`);
  await expect(page.locator('input[name="token"]')).toBeTruthy();
  expect(await page.content()).not.toContain('ADM-1');
  await page.fill('input[name="token"]', 'wrong');
  await page.click('button:has-text("Sign in")');
  expect(await page.textContent('.notice.error')).toContain('not right');
  await page.fill('input[name="token"]', ADMIN);
  await page.click('button:has-text("Sign in")');
  await page.waitForSelector('#overview');
  const [cookie] = await context.cookies();
  expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
  const bar = await page.getAttribute('#vendor-mytracker svg.bar', 'aria-label');
  expect(bar).toMatch(/MyTracker, last 24 hours: .*3 delivered.*1 dead/);
  expect(await page.textContent('#events')).toContain('ADM-2');
  // Masked unless revealed.
  expect(await page.content()).not.toContain('buyer@example.com');
});

it('finds an order, replays its dead delivery and watches it turn delivered', async () => {
  await page.fill('input[name="order"]', 'ADM-DEAD');
  await page.click('form.search button');
  const row = 'tr.delivery[data-vendor="mytracker"]';
  await page.waitForSelector(`${row}[data-state="dead"]`);
  expect(await page.textContent('.ledger')).toContain('HTTP 503');
  await page.click(`${row} button:has-text("Replay")`);
  expect(await page.textContent('.notice.ok')).toContain('Replayed 1 delivery');
  // The ledger reloads itself while a row is pending.
  await page.waitForSelector(`${row}[data-state="delivered"]`, { timeout: 30_000 });
  expect(await mytrackerState('ADM-DEAD')).toBe('delivered');
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: 'test-results/admin.png', fullPage: true });
});

it('previews a raw mt_order with the secrets masked, and logs out', async () => {
  await page.click('button[data-example]:has-text("mt_order")');
  await page.click('#preview button.primary');
  const result = await page.textContent('.preview-result');
  expect(result).toContain('/v1/order/?idApp=12345');
  expect(result).toContain('***');
  expect(await page.content()).not.toContain('test-mytracker-token');
  await page.click('button:has-text("Log out")');
  await page.waitForSelector('input[name="token"]');
  expect(await context.cookies()).toEqual([]);
});
