// order-relay's thank-you-page snippet (README "The snippet"; docs/page-formats.md). It forwards the RAW order entries (MyTracker
// mt_order/mt_refund, GA4 purchase/refund, UA/Yandex ecommerce.purchase/refund, classic GTM transactionId) of the
// page's containers — window.dataLayer, the names in data-layer, and the one Yandex Metrica's
// ym(…, 'init', {ecommerce}) names — to the relay's `/o`, with the container's earlier pushes (the Worker merges
// them into GTM's data model), visitor ids, every gtag() command but events (consent, user_data), the page URL and
// the order token; the Worker maps them
// (src/worker/normalize/index.ts specifies the envelope). Budget: ≤ 1,000 bytes gzip -9 (test/client/size.test.ts).
import type { Envelope } from '../worker/normalize';

declare const DEBUG: boolean;

// biome-ignore lint/suspicious/noExplicitAny: page data is untyped and may be anything; every read of it sits inside a try/catch.
type Raw = any;
/** An order entry found (gtag('event', …) as `{event, ...params}`) and the container's object pushes before it. */
type Found = [entry: Raw, before: Raw[]];
/** The one localStorage value, oldest first: dedup key → body of a send not yet answered, or 0 once it was. */
type Saved = Record<string, string | 0>;

const STORE = 'order-relay';
const KEEP = 20;
const ORDER_EVENT = /^(mt_order|mt_refund|purchase|refund)$/;

const w: Raw = window;
let url: URL;
let token: string | undefined;
/** Every gtag() command but events, in page order: the Worker reads consent (by region) and user_data from them. */
const gtag: Raw[] = [];
/** Container names already watched. */
const watched: Raw = {};
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

/**
 * Sets `key` to its pending body, or to 0 once answered for good (2xx, or a 4xx but 429): a reload then sends
 * nothing. Keeps the last KEEP keys.
 */
function store(key: string, value: string | 0): void {
  const s = load();
  s[key] = value;
  memory = Object.fromEntries(Object.entries(s).slice(-KEEP));
  try {
    localStorage.setItem(STORE, JSON.stringify(memory));
  } catch (e) {
    if (DEBUG) console.log('[order-relay] storage failed', e);
  }
}

function post(key: string, body: string): void {
  if (DEBUG) console.log('[order-relay] sending', key, JSON.parse(body));
  // A string body goes as text/plain;charset=UTF-8, a CORS "simple" request: no preflight. keepalive lets it
  // finish while the page navigates away (a checkout page that pushes the order, then redirects).
  fetch(url, { method: 'POST', body, keepalive: true }).then(
    (r) => {
      if (DEBUG) console.log('[order-relay] answer', r.status, key);
      // 5xx and 429 stay pending for the next page view, like network errors (the rejection handler).
      if (r.status < 500 && r.status !== 429) store(key, 0);
    },
    () => {},
  );
}

const cookie = (name: string): string | undefined => (document.cookie.match(`(^|; )${name}=([^;]*)`) || [])[2];

function relay([o, before]: Found): void {
  // Fields sit flat or under `ecommerce`; the key is the order's, whichever format carries it.
  const f = { ...o, ...o.ecommerce };
  // biome-ignore lint/complexity/useOptionalChain: es2019 lowers `?.` to longer code; the snippet's bytes count.
  const id = f.order_id || f.transaction_id || f.transactionId || ((f.purchase || f.refund || {}).actionField || {}).id;
  const key = [o.event, !f.refund, id, f.status, f.action_id].join();
  if (!id || key in load()) return;
  let lvid: string | undefined;
  try {
    lvid = w._tmr.getClientID();
  } catch {
    // The MyTracker counter is absent or not loaded yet: its cookie holds the same id.
  }
  const envelope: Envelope = {
    v: 1,
    e: o,
    ids: { lvid: lvid || cookie('tmr_lvid'), ym: cookie('_ym_uid'), vt: cookie('_vt_user') },
    g: gtag,
    m: before,
    url: `${location}`,
    t: o.token || token,
  };
  let body: string;
  try {
    body = JSON.stringify(envelope);
    // The Worker takes 16 KB: a big page must not cost the order.
    if (body.length > 15e3) throw 0;
  } catch {
    // Earlier pushes too big or not serialisable (circular): the order goes without them.
    body = JSON.stringify({ ...envelope, m: [] });
  }
  store(key, body);
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

/**
 * Watches one container: reads what is already in it, then wraps its push, chaining to whatever push is there
 * (Array's, or GTM's wrapper; GTM loading later wraps ours the same way). Each push is read entirely before its
 * orders are relayed, so the consent and user_data sent are the latest.
 */
function watch(name: string): void {
  if (watched[name]) return;
  watched[name] = 1;
  // biome-ignore lint/suspicious/noAssignInExpressions: the assignment as a value saves bytes of the snippet's budget.
  const dl = (w[name] = w[name] || []);
  // The object pushes so far: the Worker merges them into GTM's data model.
  const pushes: Raw[] = [];
  const handle = (entries: unknown[]) => {
    const found: Found[] = [];
    each(entries, (x: Raw) => {
      let o = x;
      if (typeof x[0] === 'string') {
        // gtag() pushes its `arguments`: an event is read in its object form, other commands go to the Worker.
        if (x[0] !== 'event') return gtag.push([...x]);
        o = { ...x[2], event: x[1] };
      }
      const ec = o.ecommerce || {};
      if (ORDER_EVENT.test(o.event) || ec.purchase || ec.refund || o.transactionId) found.push([o, [...pushes]]);
      if (o === x) pushes.push(x);
    });
    each(found, relay);
  };
  handle(dl);
  const push = dl.push;
  dl.push = function (this: unknown, ...entries: unknown[]) {
    const result = push.apply(this, entries);
    handle(entries);
    return result;
  };
}

/** The container Yandex Metrica's own init names (`ecommerce: "name"`), from ym's queue of calls. */
function findYm(): void {
  // biome-ignore lint/complexity/useOptionalChain: es2019 lowers `?.` to longer code; the snippet's bytes count.
  each((w.ym || {}).a || [], ([, command, options]: Raw) => {
    const name = command === 'init' && options.ecommerce;
    // A string; `ecommerce: true` means dataLayer, watched anyway (and `true` has no length).
    if (name.length) watch(name);
  });
}

try {
  // `o` beside `s.js` (so a path prefix such as /relay/ is kept), or under data-endpoint (an origin, or a URL
  // ending in /). Without a current script (an ES module, a callback) the snippet does not start.
  const me = document.currentScript as HTMLScriptElement;
  url = new URL('o', me.dataset.endpoint || me.src);
  token = me.dataset.token;
  // What a previous page view left unacknowledged (network error, 5xx, 429), sent once the containers are hooked.
  const pending = Object.entries(load());
  each(`dataLayer ${me.dataset.layer || ''}`.match(/[\w$]+/g) as string[], watch);
  // ym(…, 'init') runs after this script, at times much later (metrica loaded on scroll): look every 2 s.
  findYm();
  setInterval(findYm, 2e3);
  for (const [key, body] of pending) if (body) post(key, body);
} catch (e) {
  if (DEBUG) console.log('[order-relay] not started', e);
}
