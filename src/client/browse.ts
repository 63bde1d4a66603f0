// Browse capture of the every-page snippet (./page.ts): page views, product and category views and the WHOLE cart,
// posted to the relay's `/o` as browse envelopes (src/worker/browse/normalize.ts specifies them). The cart lives in
// localStorage: adds and removes are applied to it, view_cart replaces it, an order empties it, and every new cart
// state gets a new random id (eSputnik's recycleStateId). Fire and forget: a lost page view is not worth a retry.
// Nothing is sent for a visitor whose Consent Mode commands deny analytics_storage or ad_personalization, and a
// page view only for a visitor the page identifies (data-email / data-phone, or a GA4 user_data command).
import type { BrowseEnvelope } from '../worker/browse/normalize';

declare const DEBUG: boolean;

// biome-ignore lint/suspicious/noExplicitAny: page data is untyped and may be anything; every read of it sits inside a try/catch.
type Raw = any;
type Cart = { i: string; p: Raw[] };

const CART = 'order-relay-cart';

let url: URL;
let me: DOMStringMap;
/** The page's gtag() commands (not events) in order: consent and user_data are read from them. */
export const gtag: Raw[] = [];

const load = (): Cart => JSON.parse(localStorage.getItem(CART) as string) || { p: [] };

/** Stores a new cart state: "random numbers and Latin letters", as eSputnik's recycleStateId asks. */
function save(p: Raw[]): Cart {
  const cart = { i: `${Math.random()}`.slice(2), p };
  localStorage.setItem(CART, JSON.stringify(cart));
  return cart;
}

function send(e: Raw, k?: Cart): void {
  // Opted out: the consent commands, merged in order, deny one of the two keys. Commands limited to a region count
  // too (the page's region is unknown here): the careful side.
  const c: Raw = {};
  for (const [command, , b] of gtag) if (command === 'consent') Object.assign(c, b);
  if (/denied/.test(c.analytics_storage + c.ad_personalization)) return;
  const sc = (document.cookie.match(/(^|; )sc=([^;]*)/) || [])[2];
  const envelope: BrowseEnvelope = { v: 1, e, k, d: me, g: gtag, ids: { sc }, url: `${location}` };
  if (DEBUG) console.log('[order-relay] browse', envelope);
  fetch(url, { method: 'POST', body: JSON.stringify(envelope), keepalive: true }).catch(() => {});
}

/** A page view, for an identified visitor only: eSputnik's v1/event has nothing to attach an anonymous one to. */
function pageView(): void {
  if (me.email || me.phone || /user_data/.test(JSON.stringify(gtag))) send({ event: 'page_view' });
}

/** An order: the cart it closes is done; the next add starts a new one. Answers that cart's id. */
export function ordered(): string | undefined {
  const { i } = load();
  save([]);
  return i;
}

/** A browse entry of a watched container (gtag events in `{event, ...params}` form); anything else is ignored. */
export function see(o: Raw): void {
  const ec = o.ecommerce || {};
  const ev = o.event;
  const items: Raw[] = (ec.add || ec.remove || ec.detail || ec).products || ec.items || o.items || [];
  const sign = ec.add || ev === 'add_to_cart' ? 1 : ec.remove || ev === 'remove_from_cart' ? -1 : 0;
  if (sign || ev === 'view_cart') {
    const lines = sign ? load().p : items;
    for (const item of sign ? items : []) {
      const q = sign * (+item.quantity || 1);
      const line = lines.find((l) => (l.item_id || l.id) === (item.item_id || item.id));
      if (line) line.quantity = (+line.quantity || 1) + q;
      else if (q > 0) lines.push({ ...item, quantity: q });
    }
    send(o, save(lines.filter((l) => !(l.quantity <= 0))));
  } else if (/^view_item/.test(ev) || ec.detail) send(o);
}

/** Starts before the containers are read: the page view once their entries so far are (user_data among them). */
export function start(script: HTMLScriptElement): void {
  me = script.dataset;
  url = new URL('o', me.endpoint || script.src);
  setTimeout(pageView);
  // SPA route changes are page views too: pushState, and back / forward.
  const pushState = history.pushState;
  history.pushState = function (this: History, ...args: Parameters<History['pushState']>) {
    pushState.apply(this, args);
    pageView();
  };
  addEventListener('popstate', pageView);
}
