// A demo thank-you page (only with DEMO=true): the one-line install snippet plus what a shop's page typically
// has in dataLayer (Consent Mode, GA4 user_data, an `mt_order` and the same order as a GA4 purchase), so a new
// user can watch an order travel from a real page to the (fake) vendors. `?debug` loads /s.debug.js, which logs.
// The page is served by the Worker, so its origin must be listed in ALLOWED_ORIGINS for `/o` to accept it.
export function demoPage(url: URL): Response {
  const orderId =
    (url.searchParams.get('order') ?? `DEMO-${Date.now().toString(36).toUpperCase()}`)
      .replace(/[^\w-]/g, '')
      .slice(0, 64) || 'DEMO';
  const script = url.searchParams.has('debug') ? '/s.debug.js' : '/s.js';
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
<script async src="${script}"></script>
</body></html>`;
  return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
}
