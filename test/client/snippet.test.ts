// The BUILT snippet (dist/s.js; run `node build.mjs` first) in happy-dom: each test is one or more "page views"
// that evaluate the file with a <script> element as document.currentScript, a stubbed fetch / sendBeacon and the
// real happy-dom localStorage and cookies, which survive from one page view to the next.
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Envelope, fromBrowserBody } from '../../src/worker/normalize';

const DIST = 'dist/s.js';
if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run node build.mjs first`);
const CODE = readFileSync(DIST, 'utf8');
const DEBUG_CODE = readFileSync('dist/s.debug.js', 'utf8');

const PAGE = 'https://shop.example/thank-you?order=1';
const RELAY = 'https://relay.shop.example';
const LVID = '0123456789abcdef0123456789abcdef';

// biome-ignore lint/suspicious/noExplicitAny: the page globals the snippet reads and writes
type PageWindow = Window & { dataLayer?: any[]; _tmr?: unknown };
const win = window as PageWindow;

type Sent = { via: 'fetch' | 'beacon'; url: string; init?: RequestInit; body: Envelope };
type Answer = number | 'network';
let sent: Sent[];
let answers: Answer[];

function answer(): Answer {
  return answers.shift() ?? 202;
}

function stubNetwork(): void {
  vi.stubGlobal(
    'fetch',
    vi.fn((url: URL | string, init: RequestInit) => {
      sent.push({ via: 'fetch', url: String(url), init, body: JSON.parse(String(init.body)) as Envelope });
      const a = answer();
      if (a === 'network') return Promise.reject(new TypeError('Failed to fetch'));
      return Promise.resolve({ ok: a >= 200 && a < 300, status: a } as Response);
    }),
  );
  Object.defineProperty(navigator, 'sendBeacon', {
    configurable: true,
    value: vi.fn((url: URL | string, body: string) => {
      sent.push({ via: 'beacon', url: String(url), body: JSON.parse(body) as Envelope });
      return true;
    }),
  });
}

/** A new page view: a fresh dataLayer and no counters; storage and cookies stay, as in a browser. */
function newPage(): void {
  delete win.dataLayer;
  delete win._tmr;
  sent.length = 0;
}

/** Evaluates the built snippet as if loaded by `<script async src=… data-…>`. */
function loadSnippet({
  src = `${RELAY}/s.js`,
  endpoint,
  token,
  layer,
  code = CODE,
}: {
  src?: string;
  endpoint?: string;
  token?: string;
  layer?: string;
  code?: string;
} = {}): void {
  const script = document.createElement('script');
  script.src = src;
  if (endpoint) script.dataset.endpoint = endpoint;
  if (layer) script.dataset.layer = layer;
  if (token) script.dataset.token = token;
  Object.defineProperty(document, 'currentScript', { configurable: true, value: script });
  try {
    new Function(code)();
  } finally {
    Object.defineProperty(document, 'currentScript', { configurable: true, value: null });
  }
}

const push = (...entries: unknown[]): unknown => win.dataLayer!.push(...entries);
/** Google's gtag(): pushes its `arguments` object. */
function gtag(..._args: unknown[]): void {
  // biome-ignore lint/complexity/noArguments: gtag pushes its `arguments` object, which the snippet must recognise.
  win.dataLayer!.push(arguments);
}
/** Lets fetch answers settle (then-callbacks run in microtasks). */
const settle = () => new Promise((r) => setTimeout(r, 0));

/** The page's cookie string; happy-dom cannot delete cookies, so each test gets its own jar. */
let cookies: string[];
function stubCookies(): void {
  cookies = [];
  Object.defineProperty(document, 'cookie', {
    configurable: true,
    get: () => cookies.join('; '),
    set: (c: string) => cookies.push(c.split(';')[0]!),
  });
}

/** The snippet polls for Yandex Metrica's init every 2 s: each test's intervals are cleared after it. */
let intervals: ReturnType<typeof setInterval>[] = [];
const realSetInterval = globalThis.setInterval;

beforeEach(() => {
  intervals = [];
  vi.stubGlobal('setInterval', (f: () => void, ms: number) => {
    const id = realSetInterval(f, ms);
    intervals.push(id);
    return id;
  });
  sent = [];
  answers = [];
  localStorage.clear();
  stubCookies();
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(PAGE);
  stubNetwork();
  newPage();
});

afterEach(() => {
  for (const id of intervals) clearInterval(id);
  delete (document as { cookie?: string }).cookie;
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

// ---- the formats: what the page pushes, how, and what the Worker makes of it ----

const MT_ORDER = {
  event: 'mt_order',
  ecommerce: {
    status: 'PAY',
    currency_code: 'RUB',
    order_id: 'MT-1',
    items: [{ item_id: '00912', item_name: 'Apple', price: '11.90', quantity: '5' }],
  },
};
const MT_REFUND = {
  event: 'mt_refund',
  ecommerce: { order_id: 'MT-1', items: [{ item_id: '00912', item_name: 'Apple', quantity: '1' }] },
};
const GA4_PARAMS = {
  transaction_id: 'G-1',
  value: 30.03,
  tax: 4.9,
  shipping: 5.99,
  currency: 'USD',
  items: [{ item_id: 'SKU_1', item_name: 'Tee', price: 10.01, quantity: 3 }],
};
const GA4_PURCHASE = { event: 'purchase', ecommerce: GA4_PARAMS };
const GA4_REFUND = { event: 'refund', ecommerce: { transaction_id: 'G-1', value: 30.03 } };
const UA_PURCHASE = {
  ecommerce: {
    purchase: {
      actionField: { id: 'UA-1', revenue: '35.43' },
      products: [{ id: '12345', name: 'Tee', price: '15.25', quantity: 1, category: 'Apparel/Men' }],
    },
  },
};
const UA_REFUND = { ecommerce: { refund: { actionField: { id: 'UA-1' } } } };
const YANDEX_PURCHASE = {
  ecommerce: {
    currencyCode: 'RUB',
    purchase: {
      actionField: { id: 'YA-1', revenue: 123.4, goal_id: 123 },
      products: [{ id: 'SKU', name: 'Чай', price: 99.5, quantity: 2, discount: 5 }],
    },
  },
};

type Case = { name: string; pushIt(): void; raw: unknown; order: string; status: string };
const CASES: Case[] = [
  { name: 'MyTracker mt_order', pushIt: () => push(MT_ORDER), raw: MT_ORDER, order: 'MT-1', status: 'paid' },
  { name: 'MyTracker mt_refund', pushIt: () => push(MT_REFUND), raw: MT_REFUND, order: 'MT-1', status: 'refunded' },
  { name: 'GA4 purchase object', pushIt: () => push(GA4_PURCHASE), raw: GA4_PURCHASE, order: 'G-1', status: 'paid' },
  {
    name: "gtag('event', 'purchase')",
    pushIt: () => gtag('event', 'purchase', GA4_PARAMS),
    raw: { ...GA4_PARAMS, event: 'purchase' },
    order: 'G-1',
    status: 'paid',
  },
  { name: 'GA4 refund object', pushIt: () => push(GA4_REFUND), raw: GA4_REFUND, order: 'G-1', status: 'refunded' },
  {
    name: "gtag('event', 'refund')",
    pushIt: () => gtag('event', 'refund', { transaction_id: 'G-1' }),
    raw: { transaction_id: 'G-1', event: 'refund' },
    order: 'G-1',
    status: 'refunded',
  },
  { name: 'UA ecommerce.purchase', pushIt: () => push(UA_PURCHASE), raw: UA_PURCHASE, order: 'UA-1', status: 'paid' },
  { name: 'UA ecommerce.refund', pushIt: () => push(UA_REFUND), raw: UA_REFUND, order: 'UA-1', status: 'refunded' },
  {
    name: 'Yandex ecommerce.purchase',
    pushIt: () => push(YANDEX_PURCHASE),
    raw: YANDEX_PURCHASE,
    order: 'YA-1',
    status: 'paid',
  },
];

describe.each(CASES)('$name', ({ pushIt, raw, order, status }) => {
  it.each(['early', 'late'] as const)('is sent once, raw, when the snippet loads %s', async (when) => {
    if (when === 'early') {
      loadSnippet({ token: 'exp.sig' });
      pushIt();
    } else {
      win.dataLayer = [];
      pushIt();
      loadSnippet({ token: 'exp.sig' });
    }
    expect(sent).toHaveLength(1);
    const [{ via, url, init, body }] = sent as [Sent];
    expect(via).toBe('fetch');
    expect(url).toBe(`${RELAY}/o`);
    expect(init).toMatchObject({ method: 'POST', keepalive: true });
    expect(init!.headers).toBeUndefined(); // a string body: text/plain;charset=UTF-8, no preflight
    expect(body).toStrictEqual({ v: 1, e: raw, ids: {}, g: [], m: [], url: PAGE, t: 'exp.sig' });
    // The Worker understands what the snippet sent.
    const input = fromBrowserBody(body);
    expect(input.event).toMatchObject({ order_id: order, status });
    expect(input.token).toBe('exp.sig');
    await settle();
  });
});

describe('the envelope', () => {
  it('carries visitor ids from cookies, MyTracker lvid from _tmr.getClientID() first', () => {
    document.cookie = 'tmr_lvid=ffffffffffffffffffffffffffffffff';
    document.cookie = '_ym_uid=1700000000123456789';
    document.cookie = '_vt_user=u123_s456_789';
    win._tmr = { getClientID: () => LVID };
    loadSnippet();
    push(MT_ORDER);
    expect(sent[0]!.body.ids).toStrictEqual({ lvid: LVID, ym: '1700000000123456789', vt: 'u123_s456_789' });
  });

  it('falls back to the tmr_lvid cookie when the counter is absent or throws', () => {
    document.cookie = 'tmr_lvid=ffffffffffffffffffffffffffffffff';
    win._tmr = [];
    loadSnippet();
    push(MT_ORDER);
    win._tmr = {
      getClientID: () => {
        throw new Error('not ready');
      },
    };
    push(GA4_PURCHASE);
    expect(sent.map((s) => s.body.ids)).toStrictEqual([{ lvid: 'f'.repeat(32) }, { lvid: 'f'.repeat(32) }]);
  });

  it('merges consent default and updates in order and carries gtag set user_data (early load)', () => {
    win.dataLayer = [];
    gtag('consent', 'default', {
      ad_storage: 'denied',
      analytics_storage: 'denied',
      ad_user_data: 'denied',
      wait_for_update: 500,
    });
    gtag('set', 'user_data', { email: 'buyer@example.com' });
    loadSnippet();
    gtag('consent', 'update', { ad_storage: 'granted', ad_user_data: 'granted' });
    push(GA4_PURCHASE);
    expect(sent[0]!.body.g).toStrictEqual([
      [
        'consent',
        'default',
        { ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'denied', wait_for_update: 500 },
      ],
      ['set', 'user_data', { email: 'buyer@example.com' }],
      ['consent', 'update', { ad_storage: 'granted', ad_user_data: 'granted' }],
    ]);
    const input = fromBrowserBody(sent[0]!.body);
    expect(input.event).toMatchObject({
      consent: { ad_storage: 'granted', analytics_storage: 'denied', ad_user_data: 'granted' },
      customer: { email: 'buyer@example.com' },
    });
  });

  it('sends the latest consent and user_data on a late load, even when pushed after the order', () => {
    win.dataLayer = [];
    gtag('consent', 'default', { ad_storage: 'denied' });
    push(MT_ORDER);
    gtag('consent', 'update', { ad_storage: 'granted' });
    gtag('set', { user_data: { phone_number: '+420777000111' } });
    loadSnippet();
    expect(fromBrowserBody(sent[0]!.body).event).toMatchObject({
      consent: { ad_storage: 'granted' },
      customer: { phone: '+420777000111' },
    });
  });

  it('takes the token from the push over data-token', () => {
    loadSnippet({ token: 'from-tag' });
    push({ ...MT_ORDER, token: 'from-push' });
    gtag('event', 'purchase', { ...GA4_PARAMS, token: 'from-gtag' });
    expect(sent.map((s) => s.body.t)).toStrictEqual(['from-push', 'from-gtag']);
  });

  it.each([
    ['beside the script', 'https://shop.example/s.js?v=3', undefined, 'https://shop.example/o'],
    [
      'data-endpoint',
      'https://cdn.example.net/assets/s.js',
      'https://relay.example.net',
      'https://relay.example.net/o',
    ],
    [
      'data-endpoint with a trailing slash',
      'https://cdn.example.net/s.js',
      'https://relay.example.net/',
      'https://relay.example.net/o',
    ],
    [
      'data-endpoint with a path',
      'https://cdn.example.net/s.js',
      'https://shop.example/relay/',
      'https://shop.example/relay/o',
    ],
    [
      'the script directory under a path prefix',
      'https://shop.example/relay/s.js',
      undefined,
      'https://shop.example/relay/o',
    ],
  ])('posts to %s', (_what, src, endpoint, url) => {
    loadSnippet({ src, endpoint });
    push(MT_ORDER);
    expect(sent.map((s) => s.url)).toStrictEqual([url]);
  });
});

// ---- containers and GTM's data model ----

type Containers = Record<string, unknown[] | undefined>;
const page = win as unknown as Containers & { ym?: { a?: unknown[] } };

describe('containers', () => {
  afterEach(() => {
    delete page.dataLayerYM;
    delete page.shopLayer;
    delete page.ym;
  });

  /** The MagePal page (magepal/magento2-google-tag-manager: currency only in the page-level push). */
  const MAGEPAL = [
    { ecommerce: { currencyCode: 'EUR' }, pageType: 'checkout_onepage_success', list: 'other' },
    {
      event: 'purchase',
      transactionId: '000000042',
      transactionTotal: 130,
      transactionProducts: [{ sku: 'MH01', price: 65, quantity: 2 }],
    },
  ];

  it('sends the container pushes before the order, which the Worker merges into GTM’s model', () => {
    win.dataLayer = [{ 'gtm.start': 1, event: 'gtm.js' }, MAGEPAL[0]];
    loadSnippet();
    push(MAGEPAL[1]);
    expect(sent[0]!.body.m).toStrictEqual([{ 'gtm.start': 1, event: 'gtm.js' }, MAGEPAL[0]]);
    expect(fromBrowserBody(sent[0]!.body).event).toMatchObject({ order_id: '000000042', currency: 'EUR', total: 130 });
  });

  it('watches the containers named in data-layer, each with its own model', () => {
    page.shopLayer = [{ ecommerce: { currencyCode: 'CZK' } }];
    loadSnippet({ layer: 'shopLayer dataLayerYM' });
    page.shopLayer!.push(MAGEPAL[1]);
    page.dataLayerYM!.push({ ecommerce: { purchase: { actionField: { id: 'Y-1' } } } });
    expect(sent.map((x) => [x.body.m, fromBrowserBody(x.body).event])).toMatchObject([
      [[{ ecommerce: { currencyCode: 'CZK' } }], { order_id: '000000042', currency: 'CZK' }],
      [[], { order_id: 'Y-1' }],
    ]);
  });

  it('finds the container Yandex Metrica’s init names, even when ym is initialised after the snippet', async () => {
    // CS-Cart's rus_yandex_metrika add-on: dataLayerYM filled before the counter's init call.
    page.dataLayerYM = [{ ecommerce: { purchase: { actionField: { id: 98, revenue: 1590 } } } }];
    loadSnippet();
    expect(sent).toHaveLength(0);
    page.ym = { a: [[12345, 'init', { clickmap: true, ecommerce: 'dataLayerYM' }]] };
    await new Promise((r) => setTimeout(r, 2100));
    expect(sent.map((x) => fromBrowserBody(x.body).event)).toMatchObject([{ order_id: 98, total: 1590 }]);
  });

  it('takes ym init `ecommerce: true` as dataLayer, and never wraps a container twice', () => {
    page.ym = {
      a: [
        [1, 'init', { ecommerce: true }],
        [2, 'init', { ecommerce: 'dataLayer' }],
      ],
    };
    loadSnippet({ layer: 'dataLayer' });
    push(MT_ORDER);
    expect(sent).toHaveLength(1);
  });

  it('1C-Bitrix: the purchase pushed on the checkout page right before the redirect is sent once, resent once', async () => {
    answers = ['network'];
    loadSnippet();
    push({ event: 'purchase', ecommerce: { purchase: { actionField: { id: '57', revenue: '2450' }, products: [] } } });
    await settle();
    expect(sent).toHaveLength(1);
    const body = sent[0]!.body;
    // The confirmation page pushes nothing: the unacknowledged order goes again from there, once.
    newPage();
    loadSnippet();
    await settle();
    expect(sent.map((x) => x.body)).toStrictEqual([body]);
    newPage();
    loadSnippet();
    await settle();
    expect(sent).toHaveLength(0);
  });
});

describe('living with the page', () => {
  it('creates dataLayer when missing and defines no other global', () => {
    const before = new Set(Object.keys(window));
    loadSnippet();
    expect(Array.isArray(win.dataLayer)).toBe(true);
    expect(Object.keys(window).filter((k) => !before.has(k))).toStrictEqual(['dataLayer']);
  });

  it('keeps push returning what the original returns, with its `this`', () => {
    win.dataLayer = ['x'];
    loadSnippet();
    expect(push({ event: 'page_view' })).toBe(2);
    expect(push(MT_ORDER, GA4_PURCHASE)).toBe(4);
    const other: unknown[] = [];
    expect(win.dataLayer!.push.call(other, 'y')).toBe(1);
    expect(other).toStrictEqual(['y']);
    expect(sent).toHaveLength(2);
  });

  it('chains to a GTM wrapper installed before it', () => {
    const dl: unknown[] = [];
    win.dataLayer = dl;
    const seen: unknown[] = [];
    const original = dl.push;
    const gtm = function (this: unknown[], ...entries: unknown[]) {
      seen.push(this, ...entries);
      original.apply(this, entries);
      return 'gtm';
    };
    dl.push = gtm as unknown as typeof dl.push; // GTM's push answers something else than a length

    loadSnippet();
    expect(dl.push).not.toBe(gtm);
    expect(push(MT_ORDER)).toBe('gtm');
    expect(seen).toStrictEqual([dl, MT_ORDER]);
    expect([...dl]).toStrictEqual([MT_ORDER]);
    expect(sent).toHaveLength(1);
  });

  it('works when GTM wraps push after it', () => {
    loadSnippet();
    const dl = win.dataLayer!;
    const ours = dl.push;
    const seen: unknown[] = [];
    dl.push = function (this: unknown, ...entries: unknown[]) {
      seen.push(...entries);
      return ours.apply(this, entries);
    };
    expect(push(GA4_PURCHASE)).toBe(1);
    expect(seen).toStrictEqual([GA4_PURCHASE]);
    expect(sent).toHaveLength(1);
  });

  it('ignores malformed pushes without throwing, and still relays the next order', () => {
    const circular: Record<string, unknown> = { event: 'purchase', ecommerce: { transaction_id: 'C-1' } };
    circular.self = circular;
    win.dataLayer = [null, 7, circular];
    expect(() => loadSnippet()).not.toThrow();
    const bad: unknown[] = [
      null,
      undefined,
      0,
      'purchase',
      [],
      {},
      { event: 'purchase' },
      { event: 'mt_order', ecommerce: 'x' },
      { ecommerce: { purchase: null } },
      { ecommerce: { purchase: { actionField: null } } },
      Object.create(null),
      circular,
      ['consent'],
      ['set'],
      ['event', 'purchase'],
      {
        get event(): string {
          throw new Error('hostile getter');
        },
      },
    ];
    for (const entry of bad) expect(() => push(entry)).not.toThrow();
    expect(() => gtag('set')).not.toThrow();
    expect(() => gtag('event', 'purchase', null)).not.toThrow();
    expect(win.dataLayer).toHaveLength(3 + bad.length + 2);
    expect(sent).toHaveLength(0);
    push(MT_ORDER);
    expect(sent).toHaveLength(1);
  });

  it('never logs in s.js; s.debug.js does', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    loadSnippet();
    push(MT_ORDER);
    expect(log).not.toHaveBeenCalled();
    newPage();
    loadSnippet({ code: DEBUG_CODE });
    push(GA4_PURCHASE);
    expect(log).toHaveBeenCalled();
  });

  it('does not start (and does not throw) without a current script', () => {
    expect(() => new Function(CODE)()).not.toThrow();
    expect(win.dataLayer).toBeUndefined();
  });
});

describe('delivery: retries, drops and dedup across page views', () => {
  it.each<[string, Answer]>([
    ['a network error', 'network'],
    ['a 500', 500],
    ['a 503', 503],
    ['a 429', 429],
  ])('keeps the event after %s and resends it on the next page view until a 2xx', async (_what, failure) => {
    answers = [failure, failure];
    loadSnippet();
    push(MT_ORDER);
    await settle();
    const body = sent[0]!.body;

    newPage();
    loadSnippet(); // a page without the order: the stored event goes again, and fails again
    await settle();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toStrictEqual(body);

    newPage();
    loadSnippet(); // now answered 202
    await settle();
    expect(sent).toHaveLength(1);

    newPage();
    loadSnippet();
    win.dataLayer!.push(MT_ORDER); // even the same order pushed again: acknowledged, nothing goes
    await settle();
    expect(sent).toHaveLength(0);
  });

  it('sends a stored event once on the reloaded thank-you page (resend, not a second send)', async () => {
    answers = [500];
    win.dataLayer = [MT_ORDER];
    loadSnippet();
    await settle();
    newPage();
    win.dataLayer = [MT_ORDER];
    loadSnippet();
    await settle();
    expect(sent).toHaveLength(1);
  });

  it.each([400, 401, 403, 413, 415])('drops the event after a %i: nothing is resent', async (status) => {
    answers = [status];
    loadSnippet();
    push(MT_ORDER);
    await settle();
    newPage();
    loadSnippet();
    await settle();
    expect(sent).toHaveLength(0);
  });

  it('sends nothing when the acknowledged thank-you page is reloaded', async () => {
    win.dataLayer = [MT_ORDER, GA4_PURCHASE];
    loadSnippet();
    await settle();
    expect(sent).toHaveLength(2);
    for (let i = 0; i < 3; i++) {
      newPage();
      win.dataLayer = [MT_ORDER, GA4_PURCHASE];
      loadSnippet();
      await settle();
      expect(sent).toHaveLength(0);
    }
  });

  it('sends a pushed-twice order once, but a refund of it and another status separately', async () => {
    loadSnippet();
    push(MT_ORDER);
    push(MT_ORDER);
    push({ ...MT_ORDER, ecommerce: { ...MT_ORDER.ecommerce, status: 'ADD' } });
    push(MT_REFUND);
    push(GA4_PURCHASE);
    gtag('event', 'purchase', GA4_PARAMS);
    await settle();
    expect(sent.map((s) => fromBrowserBody(s.body).event)).toMatchObject([
      { order_id: 'MT-1', status: 'paid' },
      { order_id: 'MT-1', status: 'created' },
      { order_id: 'MT-1', status: 'refunded' },
      { order_id: 'G-1', status: 'paid' },
    ]);
  });

  it('skips an order entry without an order id', () => {
    loadSnippet();
    push({ event: 'purchase', ecommerce: { value: 5 } });
    gtag('event', 'refund', {});
    expect(sent).toHaveLength(0);
  });

  it('caps what it stores', async () => {
    loadSnippet();
    for (let i = 0; i < 30; i++) push({ event: 'mt_order', ecommerce: { order_id: `O-${i}`, items: [] } });
    await settle();
    const saved = JSON.parse(localStorage.getItem('order-relay')!) as Record<string, unknown>;
    expect(Object.keys(saved)).toHaveLength(20);
    expect(Object.keys(saved).at(-1)).toContain('O-29');
  });

  it('without fetch, throws nothing into the page and keeps the order for the next page view', async () => {
    vi.stubGlobal('fetch', undefined);
    loadSnippet();
    expect(() => push(MT_ORDER)).not.toThrow();
    expect(sent).toHaveLength(0);
    newPage();
    stubNetwork();
    loadSnippet();
    await settle();
    expect(sent.map((s) => s.body.e)).toStrictEqual([MT_ORDER]);
  });

  it('swallows localStorage quota errors and still dedups within the page', async () => {
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    loadSnippet();
    expect(() => push(MT_ORDER)).not.toThrow();
    expect(() => push(MT_ORDER)).not.toThrow();
    await settle();
    expect(sent).toHaveLength(1);
  });

  it('works with storage blocked entirely (getItem throws too)', async () => {
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    win.dataLayer = [MT_ORDER];
    expect(() => loadSnippet()).not.toThrow();
    push(MT_ORDER);
    await settle();
    expect(sent).toHaveLength(1);
  });

  it('survives a corrupt stored value', async () => {
    localStorage.setItem('order-relay', '{not json');
    loadSnippet();
    push(MT_ORDER);
    await settle();
    expect(sent).toHaveLength(1);
    expect(Object.values(JSON.parse(localStorage.getItem('order-relay')!) as object)).toStrictEqual([0]);
  });
});
