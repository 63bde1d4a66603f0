// order-relay's thank-you-page snippet (DESIGN.md "Client"). It forwards the RAW order entries of
// window.dataLayer (MyTracker mt_order/mt_refund, GA4 purchase/refund, UA/Yandex ecommerce.purchase/refund) to
// the relay's `/o` with visitor ids, consent, user_data, the page URL and the order token; the Worker maps them
// (src/worker/normalize/index.ts specifies the envelope). Budget: ≤ 1,000 bytes gzip -9 (test/client/size.test.ts).
import type { Envelope } from '../worker/normalize';

declare const DEBUG: boolean;

// biome-ignore lint/suspicious/noExplicitAny: page data is untyped and may be anything; every read of it sits inside a try/catch.
type Raw = any;
/** An order entry found in dataLayer: what to send (gtag arguments as an array) and its fields (with `event`). */
type Found = [entry: unknown, fields: Raw];
/** The one localStorage value, oldest first: dedup key → body of a send not yet acknowledged, or 0 once it was. */
type Saved = Record<string, string | 0>;

const STORE = 'order-relay';
const KEEP = 20;
const ORDER_EVENTS = ['mt_order', 'mt_refund', 'purchase', 'refund'];

const w: Raw = window;
let url: URL;
let token: string | undefined;
let consent: Raw;
let userData: Raw;
// Used when localStorage is unavailable (blocked or full): dedup then holds for this page view only.
let memory: Saved = {};

function load(): Saved {
  try {
    // getItem's null parses as null, which falls back to memory.
    memory = JSON.parse(localStorage.getItem(STORE) as string) || memory;
  } catch {
    // Storage blocked: memory it is.
  }
  return memory;
}

function save(s: Saved): void {
  memory = Object.fromEntries(Object.entries(s).slice(-KEEP));
  try {
    localStorage.setItem(STORE, JSON.stringify(memory));
  } catch (e) {
    if (DEBUG) console.log('[order-relay] storage failed', e);
  }
}

/** A 2xx acknowledges the key, so a reload sends nothing; a final 4xx only drops the pending send. */
function settle(key: string, acked: boolean): void {
  const s = load();
  if (acked) s[key] = 0;
  else delete s[key];
  save(s);
}

function post(key: string, body: string): void {
  if (DEBUG) console.log('[order-relay] sending', key, JSON.parse(body));
  try {
    // A string body goes as text/plain;charset=UTF-8, a CORS "simple" request: no preflight.
    fetch(url, { method: 'POST', body, keepalive: true }).then(
      (r) => {
        if (DEBUG) console.log('[order-relay] answer', r.status, key);
        // 5xx and 429 stay pending for the next page view, like network errors (the rejection handler).
        if (r.ok || /^4(?!29)/.test(`${r.status}`)) settle(key, r.ok);
      },
      () => {},
    );
  } catch {
    // No fetch: the beacon is fire-and-forget, so the browser taking it is the only acknowledgement there is.
    if (navigator.sendBeacon(url, body)) settle(key, true);
  }
}

const cookie = (name: string): string | undefined => (document.cookie.match(`(^|; )${name}=([^;]*)`) || [])[2];

/** Remembers consent and user_data commands; adds the entry to `found` when it is an order we relay. */
function see(x: Raw, found: Found[]): void {
  if (typeof x[0] === 'string') {
    // gtag('consent'|'set'|'event', …) pushes its `arguments` object.
    const [command, a, b] = x;
    if (command === 'consent') consent = { ...consent, ...b };
    if (command === 'set') userData = (a === 'user_data' ? b : a.user_data) || userData;
    if (command === 'event' && (a === 'purchase' || a === 'refund')) found.push([[command, a, b], { ...b, event: a }]);
  } else {
    const ec = x.ecommerce || {};
    if (ORDER_EVENTS.includes(x.event) || ec.purchase || ec.refund) found.push([x, x]);
  }
}

function relay([entry, o]: Found): void {
  // Fields sit flat or under `ecommerce`; the key is the order's, whichever format carries it.
  const f = { ...o, ...o.ecommerce };
  // biome-ignore lint/complexity/useOptionalChain: es2019 lowers `?.` to longer code; the snippet's bytes count.
  const id = f.order_id || f.transaction_id || ((f.purchase || f.refund || {}).actionField || {}).id;
  const key = [o.event, !f.refund, id, f.status, f.action_id].join();
  const s = load();
  if (!id || key in s) return;
  let lvid: string | undefined;
  try {
    lvid = w._tmr.getClientID();
  } catch {
    // The MyTracker counter is absent or not loaded yet: its cookie holds the same id.
  }
  const envelope: Envelope = {
    v: 1,
    e: entry,
    ids: { lvid: lvid || cookie('tmr_lvid'), ym: cookie('_ym_uid'), vt: cookie('_vt_user') },
    c: consent,
    u: userData,
    url: location.href,
    t: o.token || token,
  };
  const body = JSON.stringify(envelope);
  s[key] = body;
  save(s);
  post(key, body);
}

/** Calls `f` on each item: one bad entry neither stops the others nor reaches the page. */
function each<T>(list: T[], f: (x: T) => void): void {
  for (const x of list) {
    try {
      f(x);
    } catch (e) {
      if (DEBUG) console.log('[order-relay] skipped', x, e);
    }
  }
}

/** Reads every entry before relaying the orders among them, so the consent and user_data sent are the latest. */
function handle(entries: unknown[]): void {
  const found: Found[] = [];
  each(entries, (x) => see(x, found));
  each(found, relay);
}

try {
  // `o` beside `s.js` (so a path prefix such as /relay/ is kept), or under data-endpoint (an origin, or a URL
  // ending in /). Without a current script (an ES module, a callback) the snippet does not start.
  const me = document.currentScript as HTMLScriptElement;
  url = new URL('o', me.dataset.endpoint || me.src);
  token = me.dataset.token;
  // What a previous page view left unacknowledged (network error, 5xx, 429), sent once dataLayer is hooked.
  const pending = Object.entries(load());

  // biome-ignore lint/suspicious/noAssignInExpressions: the assignment as a value saves bytes of the snippet's budget.
  const dl = (w.dataLayer = w.dataLayer || []);
  handle(dl);
  // Chain to whatever push is there (Array's, or GTM's wrapper); GTM loading later wraps ours the same way.
  const push = dl.push;
  dl.push = function (this: unknown, ...entries: unknown[]) {
    const result = push.apply(this, entries);
    handle(entries);
    return result;
  };
  for (const [key, body] of pending) if (body) post(key, body);
} catch (e) {
  if (DEBUG) console.log('[order-relay] not started', e);
}
