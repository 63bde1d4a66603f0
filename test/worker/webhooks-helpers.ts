// Posting signed platform webhooks and pixel reports to the Worker in the workerd tests.
import { orderEvents } from '../../src/worker/deliveries/store';
import { signBase64Hmac } from '../../src/worker/webhooks/hmac';
import { call, env } from './helpers';

export const SHOPIFY_SECRET = 'test-shopify-secret';
export const WOO_SECRET = 'test-woocommerce-secret';

type Opts = { secret?: string | null; signature?: string; headers?: Record<string, string>; raw?: string };

export async function postShopify(topic: string, body: unknown, opts: Opts = {}): Promise<Response> {
  const raw = opts.raw ?? JSON.stringify(body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-shopify-topic': topic,
    'x-shopify-shop-domain': 'relay-test.myshopify.com',
    'x-shopify-api-version': '2025-10',
    'x-shopify-webhook-id': crypto.randomUUID(),
    'x-shopify-triggered-at': new Date().toISOString(),
    ...opts.headers,
  };
  const secret = opts.secret === undefined ? SHOPIFY_SECRET : opts.secret;
  if (opts.signature !== undefined) headers['x-shopify-hmac-sha256'] = opts.signature;
  else if (secret !== null) headers['x-shopify-hmac-sha256'] = await signBase64Hmac(secret, raw);
  return call('/v1/shopify', { method: 'POST', headers, body: raw });
}

export async function postWoo(topic: string, body: unknown, opts: Opts = {}): Promise<Response> {
  const raw = opts.raw ?? JSON.stringify(body);
  const [resource, event] = topic.split('.');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'WooCommerce/9.4.0 Hookshot (WordPress/6.7)',
    'x-wc-webhook-source': 'https://shop.example/',
    'x-wc-webhook-topic': topic,
    'x-wc-webhook-resource': resource ?? '',
    'x-wc-webhook-event': event ?? '',
    'x-wc-webhook-id': '7',
    'x-wc-webhook-delivery-id': crypto.randomUUID().replace(/-/g, ''),
    ...opts.headers,
  };
  const secret = opts.secret === undefined ? WOO_SECRET : opts.secret;
  if (opts.signature !== undefined) headers['x-wc-webhook-signature'] = opts.signature;
  else if (secret !== null) headers['x-wc-webhook-signature'] = await signBase64Hmac(secret, raw);
  return call('/v1/woocommerce', { method: 'POST', headers, body: raw });
}

export function postPixel(body: unknown): Promise<Response> {
  // What the sandboxed pixel sends: a simple text/plain POST from an opaque origin.
  return call('/v1/shopify/pixel', {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'null' },
    body: JSON.stringify(body),
  });
}

export async function pixelHint(orderId: string): Promise<{ received_at: number; body: string } | null> {
  return env.DB.prepare('SELECT received_at, body FROM pixel_hints WHERE order_id = ?1')
    .bind(orderId)
    .first<{ received_at: number; body: string }>();
}

/** Every stored event of an order with its source and body, oldest first. */
export async function eventsOf(
  orderId: string,
): Promise<{ key: string; status: string; source: string; body: Record<string, unknown> }[]> {
  // Bodies are stored compressed (and later events as changes): read them through the delivery engine.
  const events = await orderEvents(env.DB, [orderId]);
  return events
    .sort((a, b) => a.occurred_at - b.occurred_at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((e) => ({
      key: e.key,
      status: e.status,
      source: e.context.source,
      body: e as unknown as Record<string, unknown>,
    }));
}
