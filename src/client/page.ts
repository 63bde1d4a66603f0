// order-relay's every-page snippet (dist/s.all.js, served as /s.all.js): one line on every page of the shop, the
// thank-you page included. It captures browsing (./browse.ts) from window.dataLayer and the containers named in
// data-layer, and leaves orders to the thank-you-page snippet (./index.ts, /s.js): the first time it sees an order
// entry, or finds an order send a previous page left unacknowledged, it loads /s.js beside itself with the same
// data-* attributes, and s.js relays the order exactly as on a shop that pastes s.js. So orders cost every other
// page nothing, and both builds stay in budget (≤ 1,000 and ≤ 1,400 bytes gzip -9: test/client/size.test.ts).
import { gtag, ordered, see, start } from './browse';

declare const DEBUG: boolean;

// biome-ignore lint/suspicious/noExplicitAny: page data is untyped and may be anything; every read of it sits inside a try/catch.
type Raw = any;

const ORDER_EVENT = /^(mt_order|mt_refund|purchase|refund)$/;

const w: Raw = window;
let me: HTMLScriptElement;
let orders: HTMLScriptElement | undefined;

/** /s.js beside this script, with the same data-* attributes (endpoint, token, layer), loaded once. */
function loadOrders(): void {
  if (orders) return;
  orders = document.createElement('script');
  orders.src = new URL('s.js', me.src).href;
  Object.assign(orders.dataset, me.dataset);
  document.head.appendChild(orders);
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

/** One entry: gtag() commands are kept for consent and user_data, orders go to s.js, the rest to the browse capture. */
function entry(x: Raw): void {
  let o = x;
  if (typeof x[0] === 'string') {
    if (x[0] !== 'event') return void gtag.push([...x]);
    o = { ...x[2], event: x[1] };
  }
  const ec = o.ecommerce || {};
  if (ORDER_EVENT.test(o.event) || ec.purchase || ec.refund || o.transactionId) {
    loadOrders();
    // The cart this order closes: its id rides on the pushed entry itself, which s.js sends as it is.
    if (o === x) o.recycleStateId = ordered();
  } else see(o);
}

/** Reads a container's entries so far, then each push after Array's (or GTM's) own, chained. */
function watch(name: string): void {
  // biome-ignore lint/suspicious/noAssignInExpressions: the assignment as a value saves bytes of the snippet's budget.
  const dl = (w[name] = w[name] || []);
  each(dl, entry);
  const push = dl.push;
  dl.push = function (this: unknown, ...entries: unknown[]) {
    const result = push.apply(this, entries);
    each(entries, entry);
    return result;
  };
}

try {
  me = document.currentScript as HTMLScriptElement;
  start(me);
  each(`dataLayer ${me.dataset.layer || ''}`.match(/[\w$]+/g) as string[], watch);
  // An order a previous page view could not deliver (network error, 5xx, 429) waits in s.js's storage.
  if (/":"/.test(localStorage['order-relay'])) loadOrders();
} catch (e) {
  if (DEBUG) console.log('[order-relay] not started', e);
}
