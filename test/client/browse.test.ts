// The BUILT every-page snippet (dist/s.all.js; run `node build.mjs` first) in happy-dom: page views (once per load,
// SPA route changes, identified visitors only), product and category views, the whole cart kept in localStorage
// (add, add, remove, view_cart) with a new state id each time, an order that loads /s.js and carries the last cart
// id, opt-out. Each body is also run through the Worker's browse parser, so the snippet and the Worker agree.
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseBrowse } from '../../src/worker/browse/ingest';
import type { BrowseEnvelope } from '../../src/worker/browse/normalize';
import type { Env } from '../../src/worker/env';

const DIST = 'dist/s.all.js';
if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run node build.mjs first`);
const CODE = readFileSync(DIST, 'utf8');

const PAGE = 'https://shop.example/p/green-apple';
const RELAY = 'https://relay.shop.example';
const ENV = { DEFAULT_CURRENCY: 'EUR' } as unknown as Env;

// biome-ignore lint/suspicious/noExplicitAny: the page globals the snippet reads and writes
type PageWindow = Window & { dataLayer?: any[] };
const win = window as PageWindow;

type Sent = { url: string; body: BrowseEnvelope & { e: Record<string, unknown>; k?: { i: string; p: unknown[] } } };
let sent: Sent[];
// Each load wraps history.pushState and listens to popstate, as a page does once: undone after each test.
const pushState = history.pushState;
const listeners: EventListenerOrEventListenerObject[] = [];
const addListener = window.addEventListener.bind(window);

beforeEach(() => {
  history.pushState = pushState;
  vi.spyOn(window, 'addEventListener').mockImplementation((type: string, listener, options) => {
    if (type === 'popstate' && listener) listeners.push(listener);
    addListener(type, listener, options);
  });
  sent = [];
  localStorage.clear();
  delete win.dataLayer;
  for (const s of document.head.querySelectorAll('script')) s.remove();
  Object.defineProperty(document, 'cookie', { configurable: true, get: () => 'sc=CDA68358-1B2C-4D5E; other=1' });
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(PAGE);
  vi.stubGlobal(
    'fetch',
    vi.fn((url: URL | string, init: RequestInit) => {
      sent.push({ url: String(url), body: JSON.parse(String(init.body)) });
      return Promise.resolve({ ok: true, status: 202 } as Response);
    }),
  );
});

afterEach(() => {
  for (const l of listeners.splice(0)) window.removeEventListener('popstate', l);
  delete (document as { cookie?: string }).cookie;
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

/** Evaluates the built snippet as if loaded by `<script async src=… data-…>`, then lets its timers run. */
async function load(data: Record<string, string> = {}): Promise<void> {
  const script = document.createElement('script');
  script.src = `${RELAY}/s.all.js`;
  Object.assign(script.dataset, data);
  Object.defineProperty(document, 'currentScript', { configurable: true, value: script });
  try {
    new Function(CODE)();
  } finally {
    Object.defineProperty(document, 'currentScript', { configurable: true, value: null });
  }
  await tick();
}
const tick = () => new Promise((r) => setTimeout(r, 0));
const push = (...entries: unknown[]): unknown => win.dataLayer?.push(...entries);
function gtag(..._args: unknown[]): void {
  // biome-ignore lint/complexity/noArguments: gtag pushes its `arguments` object, which the snippet must recognise.
  win.dataLayer?.push(arguments);
}
const events = () => sent.map((s) => s.body.e.event ?? Object.keys((s.body.e.ecommerce as object) ?? {})[0]);
/** What the Worker makes of each body (throws on a body it would refuse). */
const parsed = () => sent.map((s) => parseBrowse(s.body, ENV, Date.now()));

const ME = { email: 'jana@example.com' };
const APPLE = { item_id: 'SKU-1', item_name: 'Green apple', price: 11.9, quantity: 1 };
const HONEY = { item_id: 'SKU-2', item_name: 'Honey', price: 5, quantity: 1 };

describe('page views', () => {
  it('one per load for a visitor the script tag identifies, to /o beside s.all.js, with sc and the page URL', async () => {
    await load(ME);
    expect(sent.map((s) => s.url)).toEqual([`${RELAY}/o`]);
    expect(sent[0]?.body).toMatchObject({ v: 1, e: { event: 'page_view' }, d: ME, ids: { sc: 'CDA68358-1B2C-4D5E' } });
    expect(parsed()).toMatchObject([
      { type: 'page', url: PAGE, customer: { email: ME.email, sc: 'CDA68358-1B2C-4D5E' } },
    ]);
  });

  it('one per SPA route change (pushState, back / forward)', async () => {
    await load(ME);
    history.pushState({}, '', '/c/fruit');
    dispatchEvent(new PopStateEvent('popstate'));
    expect(events()).toEqual(['page_view', 'page_view', 'page_view']);
    expect(sent[1]?.body.url).toBe('https://shop.example/c/fruit');
  });

  it('identity from a GA4 user_data command already in the dataLayer', async () => {
    win.dataLayer = [];
    gtag('set', 'user_data', { email: 'u@example.com' });
    await load();
    expect(parsed()).toMatchObject([{ type: 'page', customer: { email: 'u@example.com' } }]);
  });

  it('nothing for an anonymous visitor on a page without ecommerce pushes', async () => {
    await load();
    push({ event: 'gtm.dom' });
    history.pushState({}, '', '/about');
    await tick();
    expect(sent).toEqual([]);
  });
});

describe('product and category views', () => {
  it('GA4 view_item, gtag view_item_list and UA detail, each as pushed', async () => {
    await load(ME);
    push({ event: 'view_item', ecommerce: { currency: 'EUR', items: [APPLE] } });
    gtag('event', 'view_item_list', { item_list_id: 'fruit', items: [APPLE, HONEY] });
    push({ ecommerce: { detail: { products: [{ id: 'P-7', name: 'Mug', price: 350 }] } } });
    expect(parsed().map((e) => [e.type, e.items[0]?.id ?? e.category])).toEqual([
      ['page', undefined],
      ['product', 'SKU-1'],
      ['category', 'fruit'],
      ['product', 'P-7'],
    ]);
  });
});

describe('the whole cart', () => {
  it('add, add, remove: every cartUpdated carries the whole cart and a new state id; view_cart replaces it', async () => {
    await load(ME);
    push({ event: 'add_to_cart', ecommerce: { items: [APPLE] } });
    push({ event: 'add_to_cart', ecommerce: { items: [{ ...HONEY, quantity: 2 }] } });
    push({ event: 'add_to_cart', ecommerce: { items: [APPLE] } });
    push({ event: 'remove_from_cart', ecommerce: { items: [{ ...HONEY, quantity: 2 }] } });
    const carts = parsed().filter((e) => e.type === 'cart');
    expect(carts.map((c) => c.items.map((i) => `${i.id}×${i.quantity}`))).toEqual([
      ['SKU-1×1'],
      ['SKU-1×1', 'SKU-2×2'],
      ['SKU-1×2', 'SKU-2×2'],
      ['SKU-1×2'],
    ]);
    const ids = carts.map((c) => c.cart_id);
    expect(new Set(ids).size).toBe(4);

    push({ event: 'view_cart', ecommerce: { items: [{ ...HONEY, quantity: 3 }] } });
    expect(parsed().at(-1)).toMatchObject({ type: 'cart', items: [{ id: 'SKU-2', quantity: 3 }] });
  });

  it('UA add / remove, and the cart survives a page load', async () => {
    await load(ME);
    push({
      event: 'addToCart',
      ecommerce: { add: { products: [{ id: 'P-7', name: 'Mug', price: 350, quantity: 2 }] } },
    });
    delete win.dataLayer;
    sent = [];
    await load(ME);
    push({ ecommerce: { remove: { products: [{ id: 'P-7', quantity: 1 }] } } });
    expect(parsed().at(-1)).toMatchObject({ type: 'cart', items: [{ id: 'P-7', quantity: 1, price: 350 }] });
  });

  it('an order loads /s.js (same data-*), carries the last cart id on its entry and empties the cart', async () => {
    await load({ ...ME, token: 'exp.sig', layer: 'shopLayer' });
    push({ event: 'add_to_cart', ecommerce: { items: [APPLE] } });
    const last = parsed().at(-1)?.cart_id;
    expect(document.head.querySelector('script')).toBeNull();
    const order = { event: 'purchase', ecommerce: { transaction_id: 'G-1', value: 11.9, items: [APPLE] } };
    push(order);
    const s = document.head.querySelector('script');
    expect(s?.src).toBe(`${RELAY}/s.js`);
    expect({ ...s?.dataset }).toEqual({ ...ME, token: 'exp.sig', layer: 'shopLayer' });
    expect((order as Record<string, unknown>).recycleStateId).toBe(last);
    // The order itself is s.js's to send: nothing more went to /o from the every-page snippet.
    expect(events().at(-1)).toBe('add_to_cart');
    push({ event: 'add_to_cart', ecommerce: { items: [HONEY] } });
    expect(
      parsed()
        .at(-1)
        ?.items.map((i) => i.id),
    ).toEqual(['SKU-2']);
    push({ event: 'purchase', ecommerce: { transaction_id: 'G-2' } });
    expect(document.head.querySelectorAll('script')).toHaveLength(1);
  });

  it('an unacknowledged order left by an earlier page loads /s.js at once', async () => {
    localStorage.setItem('order-relay', JSON.stringify({ 'purchase,true,G-1,,': '{"v":1}' }));
    await load();
    expect(document.head.querySelector('script')?.src).toBe(`${RELAY}/s.js`);
  });
});

describe('opt-out', () => {
  it('nothing once Consent Mode denies analytics_storage or ad_personalization; again after a grant', async () => {
    win.dataLayer = [];
    gtag('consent', 'default', { analytics_storage: 'denied', ad_personalization: 'denied' });
    await load(ME);
    push({ event: 'view_item', ecommerce: { items: [APPLE] } });
    push({ event: 'add_to_cart', ecommerce: { items: [APPLE] } });
    gtag('consent', 'update', { analytics_storage: 'granted', ad_personalization: 'denied' });
    push({ event: 'view_item', ecommerce: { items: [APPLE] } });
    expect(sent).toEqual([]);
    gtag('consent', 'update', { ad_personalization: 'granted' });
    push({ event: 'view_item', ecommerce: { items: [APPLE] } });
    expect(events()).toEqual(['view_item']);
  });
});
