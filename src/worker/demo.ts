// A demo thank-you page (only with DEMO=true): the one-line install snippet plus an `mt_order` push, so a
// new user can watch an order travel from a real page to the (fake) vendors.
export function demoPage(url: URL): Response {
  const orderId = url.searchParams.get('order') ?? `DEMO-${Date.now().toString(36).toUpperCase()}`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Thank you for your order</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2937}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>Thank you! Order <code>${orderId.replace(/[^\w-]/g, '')}</code> is placed.</h1>
<p>This demo page pushed an <code>mt_order</code> to <code>window.dataLayer</code>; order-relay's snippet forwarded it
to <code>/o</code>. Watch the terminal running <code>npm start</code> for the fake vendors' requests.</p>
<script>
window.dataLayer = window.dataLayer || [];
window.dataLayer.push({ event: 'mt_order', ecommerce: { status: 'PAY', currency_code: 'EUR', order_id: ${JSON.stringify(orderId)},
  customer: { id: 'demo-customer-1', email: 'demo.buyer@example.com', phone: '+420777123456' },
  items: [{ item_id: 'SKU-1', item_name: 'Green apple', price: '11.90', quantity: '2', item_category1: 'Fruit' },
          { item_id: 'SKU-2', item_name: 'Honey', price: 6.5, quantity: 1 }] } });
</script>
<script async src="/s.js"></script>
</body></html>`;
  return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
}
