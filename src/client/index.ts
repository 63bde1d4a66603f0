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
/** A send not yet acknowledged: dedup key, body, when it was queued (ms). */
type Pending = [key: string, body: string, at: number];
/** The one localStorage value: pending sends and the keys the relay acknowledged. */
type Saved = { p: Pending[]; k: string[] };

const STORE = 'order-relay';
const KEEP_PENDING = 3;
const KEEP_KEYS = 20;
const MAX_AGE_MS = 7 * 864e5;
const ORDER_EVENTS = ['mt_order', 'mt_refund', 'purchase', 'refund'];

const w: Raw = window;
let consent: Raw;
let userData: Raw;
// Used when localStorage is unavailable (blocked, or full): dedup then holds for this page view only.
let memory: Saved = { p: [], k: [] };

function load(): Saved {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE)!);
    if (saved.p && saved.k) return saved;
  } catch (e) {
    // Nothing stored yet, or storage blocked: fall back to memory.
  }
  return memory;
}

function save(s: Saved): void {
  memory = { p: s.p.slice(-KEEP_PENDING), k: s.k.slice(-KEEP_KEYS) };
  try {
    localStorage.setItem(STORE, JSON.stringify(memory));
  } catch (e) {
    if (DEBUG) console.log('[order-relay] storage failed', e);
  }
}

/** A 2xx acknowledges the key (a reload sends nothing); a final 4xx only drops the pending send. */
function settle(key: string, acked: boolean): void {
  const s = load();
  s.p = s.p.filter((p) => p[0] != key);
  if (acked) s.k.push(key);
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
    // text/plain keeps it a CORS "simple" request: no preflight. keepalive lets it outlive the page.
    fetch(url, { method: 'POST', body, keepalive: true, headers: { 'content-type': 'text/plain' } }).then((r) => {
      if (DEBUG) console.log('[order-relay] answer', r.status, key);
      // 5xx and 429 stay pending for the next page view, like network errors (the rejection handler).
      if (r.ok || (r.status > 399 && r.status < 500 && r.status != 429)) settle(key, r.ok);
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
  const f = o.ecommerce || o;
  const id = f.order_id || f.transaction_id || o.order_id || o.transaction_id || ((f.purchase || f.refund || {}).actionField || {}).id;
  if (!id) return;
  const key = [name, id, f.status || o.status, f.action_id || o.action_id].join();
  const s = load();
  if (s.k.includes(key) || s.p.some((p) => p[0] == key)) {
    if (DEBUG) console.log('[order-relay] already sent', key);
    return;
  }
  const envelope: Envelope = {
    v: 1, e: entry, ids: { lvid: lvid(), ym: cookie('_ym_uid'), vt: cookie('_vt_user') },
    c: consent, u: userData, url: location.href, t: o.token || token,
  };
  const body = JSON.stringify(envelope);
  s.p.push([key, body, Date.now()]);
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
  const me = document.currentScript as HTMLScriptElement | null;
  const data = me ? me.dataset : {};
  endpoint = (data.endpoint || (me && me.src ? new URL(me.src).origin : '')).replace(/\/$/, '');
  token = data.token;

  const s = load();
  s.p = s.p.filter((p) => p[2] > Date.now() - MAX_AGE_MS);
  save(s);
  for (const p of s.p) post(p[0], p[1]);

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
