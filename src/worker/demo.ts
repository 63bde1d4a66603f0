// A demo thank-you page (only with DEMO=true): the one-line install snippet plus what a shop's page typically
// has in dataLayer (Consent Mode, GA4 user_data, an `mt_order` and the same order as a GA4 purchase), so a new
// user can watch an order travel from a real page to the (fake) vendors. `?debug` loads /s.debug.js, which logs.
// The page is served by the Worker, so its origin must be listed in ALLOWED_ORIGINS for `/o` to accept it.
export function demoPage(url: URL): Response {
  const orderId =
    (url.searchParams.get('order') ?? `DEMO-${Date.now().toString(36).toUpperCase()}`)
      .replace(/[^\w-]/g, '')
      .slice(0, 64) || 'DEMO';
  // ?all: the every-page snippet, as the demo shop's pages load it; it hands the order to s.js.
  const all = url.searchParams.has('all');
  const script = `/s${all ? '.all' : ''}${url.searchParams.has('debug') ? '.debug' : ''}.js`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Thank you for your order</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2937}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>Thank you! Order <code>${orderId}</code> is placed.</h1>
<p>This demo page pushed an <code>mt_order</code> and the same order as a GA4 <code>purchase</code> to
<code>window.dataLayer</code>; order-relay's snippet forwarded both to <code>/o</code>, where they collapse into one
stored event. Watch the terminal running <code>npm start</code> for the fake vendors' requests, or open
<code>?debug</code> and the browser console. Reloading sends nothing: the snippet remembers acknowledged orders.</p>
<script>
window.dataLayer = window.dataLayer || [];
function gtag() { dataLayer.push(arguments); }
gtag('consent', 'default', { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'denied' });
gtag('set', 'user_data', { email: 'demo.buyer@example.com', phone_number: '+420777123456' });
dataLayer.push({ event: 'mt_order', ecommerce: { status: 'PAY', currency_code: 'EUR', order_id: ${JSON.stringify(orderId)},
  customer: { id: 'demo-customer-1' },
  items: [{ item_id: 'SKU-1', item_name: 'Green apple', price: '11.90', quantity: '2', item_category1: 'Fruit' },
          { item_id: 'SKU-2', item_name: 'Honey', price: 6.5, quantity: 1 }] } });
gtag('event', 'purchase', { transaction_id: ${JSON.stringify(orderId)}, value: 30.3, shipping: 4.9, currency: 'EUR',
  items: [{ item_id: 'SKU-1', item_name: 'Green apple', price: 11.9, quantity: 2 }, { item_id: 'SKU-2', item_name: 'Honey', price: 6.5, quantity: 1 }] });
</script>
<script async src="${script}"${all ? ` data-email="${DEMO_EMAIL}"` : ''}></script>
</body></html>`;
  return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
}

const DEMO_EMAIL = 'demo.buyer@example.com';
const PRODUCTS = [
  { item_id: 'SKU-1', item_name: 'Green apple', price: 11.9, item_category: 'Fruit' },
  { item_id: 'SKU-2', item_name: 'Honey', price: 6.5, item_category: 'Pantry' },
];

/**
 * The demo shop's other pages (only with DEMO=true): /demo/product (a GA4 view_item and add-to-cart buttons) and
 * /demo/cart (remove buttons and the checkout), with the every-page snippet /s.all.js and the visitor's email on
 * its tag, so a new user can watch page, product and cart events reach the (fake) eSputnik. eSputnik takes them
 * only for a contact it has: place the demo order once first (its delivery creates the contact).
 */
export function demoShopPage(url: URL): Response | null {
  const page = url.pathname.slice('/demo/'.length);
  if (page !== 'product' && page !== 'cart') return null;
  const debug = url.searchParams.has('debug') ? '.debug' : '';
  const buttons = PRODUCTS.map(
    (p) =>
      `<button data-item='${JSON.stringify(p)}' data-event="${page === 'product' ? 'add_to_cart' : 'remove_from_cart'}">${page === 'product' ? 'Add' : 'Remove'} ${p.item_name}</button>`,
  ).join(' ');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo shop · ${page}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2937}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}button{margin:.2rem}</style></head>
<body><h1>Demo shop: ${page === 'product' ? 'Green apple' : 'your cart'}</h1>
<p>This page loads <code>/s.all${debug}.js</code> with <code>data-email="${DEMO_EMAIL}"</code>. Each button pushes a GA4
<code>${page === 'product' ? 'add_to_cart' : 'remove_from_cart'}</code>; the snippet keeps the whole cart and the relay
sends eSputnik a <code>cartUpdated</code> with all of it. Watch the terminal running <code>npm start</code>, and the
counters on <a href="/admin#browse">/admin</a>.</p>
<p>${buttons}</p>
<p><a href="/demo/product">Product</a> · <a href="/demo/cart">Cart</a> · <a href="/demo?all">Place the order</a></p>
<script>
window.dataLayer = window.dataLayer || [];
function gtag() { dataLayer.push(arguments); }
gtag('consent', 'default', { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' });
${page === 'product' ? `dataLayer.push({ event: 'view_item', ecommerce: { currency: 'EUR', items: [${JSON.stringify(PRODUCTS[0])}] } });` : ''}
for (const b of document.querySelectorAll('button[data-item]'))
  b.addEventListener('click', () => dataLayer.push({ event: b.dataset.event, ecommerce: { currency: 'EUR', items: [{ ...JSON.parse(b.dataset.item), quantity: 1 }] } }));
</script>
<script async src="/s.all${debug}.js" data-email="${DEMO_EMAIL}"></script>
</body></html>`;
  return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
}
