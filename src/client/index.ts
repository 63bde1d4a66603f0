// order-relay's thank-you-page snippet (DESIGN.md "Client"). It forwards the RAW order entries of
// window.dataLayer (MyTracker mt_order/mt_refund, GA4 purchase/refund, UA/Yandex ecommerce.purchase/refund) to
// `<endpoint>/o` with visitor ids, consent, user_data, the page URL and the order token; the Worker maps them
// (src/worker/normalize, where the envelope is specified). Budget: ≤ 1,000 bytes gzip -9 (test/client/size.test.ts).
import type { Envelope } from '../worker/normalize';

declare const DEBUG: boolean;

// Page data is untyped and may be anything: every read of it sits inside a try/catch.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = any;
/** An order entry found in dataLayer: what to send (gtag arguments as an array), its event name, its fields. */
type Found = [entry: unknown, name: string, fields: Raw];
/** The one localStorage value, oldest first: dedup key → body of a send not yet acknowledged, or 0 once it was. */
type Saved = Record<string, string | 0>;

const STORE = 'order-relay';
const KEEP = 20;
const ORDER_EVENTS = ['mt_order', 'mt_refund', 'purchase', 'refund'];

const w: Raw = window;
let consent: Raw;
let userData: Raw;
// Used when localStorage is unavailable (blocked or full): dedup then holds for this page view only.
let memory: Saved = {};

function load(): Saved {
  try {
    return JSON.parse(localStorage.getItem(STORE)!) || memory;
  } catch (e) {
    return memory;
  }
}

function save(s: Saved): void {
  memory = Object.fromEntries(Object.entries(s).slice(-KEEP));
  try {
    localStorage.setItem(STORE, JSON.stringify(memory));
  } catch (e) {
    if (DEBUG) console.log('[order-relay] storage failed', e);
  }
}

/** A 2xx acknowledges the key (a reload sends nothing); a final 4xx only drops the pending send. */
function settle(key: string, acked: boolean): void {
  const s = load();
  if (acked) s[key] = 0;
  else delete s[key];
  save(s);
}

const cookie = (name: string): string | undefined => (document.cookie.match('(?:^|; )' + name + '=([^;]*)') || [])[1];

function lvid(): string | undefined {
  let id;
  try {
    id = w._tmr.getClientID();
  } catch (e) {
    // The MyTracker counter is absent or not loaded yet: its cookie holds the same id.
  }
  return id || cookie('tmr_lvid');
}

let endpoint = '';
let token: string | undefined;

function post(key: string, body: string): void {
  const url = endpoint + '/o';
  if (DEBUG) console.log('[order-relay] sending', key, JSON.parse(body));
  try {
    // A string body goes as text/plain;charset=UTF-8, a CORS "simple" request: no preflight.
    // keepalive lets it outlive the page.
    fetch(url, { method: 'POST', body, keepalive: true }).then((r) => {
      if (DEBUG) console.log('[order-relay] answer', r.status, key);
      // 5xx and 429 stay pending for the next page view, like network errors (the rejection handler).
      if (r.ok || /^4(?!29)/.test('' + r.status)) settle(key, r.ok);
    }, () => {});
  } catch (e) {
    // No fetch: the beacon is fire-and-forget, so the browser taking it is the only acknowledgement there is.
    if (navigator.sendBeacon && navigator.sendBeacon(url, body)) settle(key, true);
  }
}

/** Remembers consent and user_data commands; returns the entry when it is an order we relay. */
function see(x: Raw): Found | undefined {
  if (typeof x[0] == 'string') {
    // gtag('consent'|'set'|'event', …) pushes its `arguments` object.
    const [command, a, b] = x;
    if (command == 'consent') consent = { ...consent, ...b };
    if (command == 'set') userData = (a == 'user_data' ? b : a.user_data) || userData;
    if (command == 'event' && (a == 'purchase' || a == 'refund')) return [Array.from(x), a, b];
  } else {
    const ec = x.ecommerce || {};
    const name = ORDER_EVENTS.includes(x.event) ? x.event : ec.purchase ? 'purchase' : ec.refund && 'refund';
    if (name) return [x, name, x];
  }
}

function relay([entry, name, o]: Found): void {
  // Fields sit flat or under `ecommerce`; the key is the order's, whichever format carries it.
  const f = { ...o, ...o.ecommerce };
  const id = f.order_id || f.transaction_id || ((f.purchase || f.refund || {}).actionField || {}).id;
  if (!id) return;
  const key = [name, id, f.status, f.action_id].join();
  const s = load();
  if (key in s) {
    if (DEBUG) console.log('[order-relay] already sent', key);
    return;
  }
  const envelope: Envelope = {
    v: 1, e: entry, ids: { lvid: lvid(), ym: cookie('_ym_uid'), vt: cookie('_vt_user') },
    c: consent, u: userData, url: location.href, t: o.token || token,
  };
  const body = JSON.stringify(envelope);
  s[key] = body;
  save(s);
  post(key, body);
}

const found: Found[] = [];

function scan(x: unknown): void {
  try {
    const order = see(x);
    if (order) found.push(order);
  } catch (e) {
    if (DEBUG) console.log('[order-relay] skipped', x, e);
  }
}

function flush(): void {
  for (const order of found.splice(0)) {
    try {
      relay(order);
    } catch (e) {
      if (DEBUG) console.log('[order-relay] not sent', order, e);
    }
  }
}

try {
  // Without a current script (an ES module, a callback) the endpoint is unknown: the snippet does not start.
  const me = document.currentScript as HTMLScriptElement;
  const data = me.dataset;
  endpoint = (data.endpoint || new URL(me.src).origin).replace(/\/$/, '');
  token = data.token;

  // Sends a previous page view left unacknowledged (network error, 5xx, 429) go again, until a 2xx or a 4xx.
  const s = load();
  for (const key in s) if (s[key]) post(key, s[key] as string);

  // Entries pushed before we loaded: the whole list is read first, so consent and user_data are the latest.
  const dl = (w.dataLayer = w.dataLayer || []);
  dl.forEach(scan);
  // Chain to whatever push is there (Array's, or GTM's own wrapper; GTM loading later wraps ours the same way).
  const push = dl.push;
  dl.push = function (this: unknown, ...entries: unknown[]) {
    const result = push.apply(this, entries);
    entries.forEach(scan);
    flush();
    return result;
  };
  flush();
} catch (e) {
  if (DEBUG) console.log('[order-relay] not started', e);
}
