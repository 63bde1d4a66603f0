// `POST /v1/shopify`, `POST /v1/woocommerce` and `POST /v1/shopify/pixel`. Webhooks: signature over the raw
// body first (401 and nothing stored otherwise), then the mapping, then the ingest queue, answered at once.

import { defaultCurrency, type Env, type IngestMessage, intVar } from '../env';
import type { CanonicalEvent, Context } from '../event';
import { HttpError, json, parseJson, readBytes } from '../http';
import { QUEUE_MESSAGE_BUDGET, sendBatchChunks } from '../ingest';
import { queueMessageBytes } from '../limits';
import { log } from '../log';
import { type Draft, toEvents } from './common';
import { parsePixel } from './pixel';
import { isShopifyTopic, SHOPIFY_ORDER_TOPICS, shopifyEvents, verifyShopify } from './shopify';
import { isWooPing, verifyWooCommerce, wooEvents } from './woocommerce';

export const MAX_WEBHOOK_BODY = 1024 * 1024;
export const MAX_PIXEL_BODY = 4 * 1024;

/**
 * How long Shopify events wait in the queue before they are stored: the custom pixel reports a checkout 3–7 s
 * after it happens, often after orders/create, and its visitor ids can only join events stored after it.
 * A refund waits a little longer, so a cancel-and-refund normally finds its cancellation already there.
 */
const holdSeconds = (env: Env) => Math.min(intVar(env.SHOPIFY_HOLD_SECONDS, 60), 600);
const REFUND_EXTRA_HOLD_SECONDS = 10;

const unsigned = (header: string) =>
  new HttpError(401, 'invalid_signature', `Missing or wrong ${header}; nothing was stored`);

/**
 * Sends the events in sendBatch calls sized to Queues' limits (the ingest module's chunking), each held for the
 * pixel. False when one event is too big for a queue message: retrying would not help, so the caller answers 200.
 */
async function enqueue(env: Env, events: CanonicalEvent[], delaySeconds = 0): Promise<boolean> {
  const sized = events.map((event) => {
    const message: MessageSendRequest<IngestMessage> = {
      body: { event },
      contentType: 'json',
      delaySeconds:
        delaySeconds && event.status === 'refunded' ? delaySeconds + REFUND_EXTRA_HOLD_SECONDS : delaySeconds,
    };
    return { message, bytes: queueMessageBytes(message.body, message.contentType) };
  });
  if (sized.some((s) => s.bytes > QUEUE_MESSAGE_BUDGET)) return false;
  try {
    for (const chunk of sendBatchChunks(sized)) await env.INGEST.sendBatch(chunk);
  } catch {
    // Chunks already sent are safe to send again: the platform's retry yields the same event keys.
    throw new HttpError(503, 'unavailable', 'The webhook could not be queued. Retry later.', undefined, {
      'retry-after': '5',
    });
  }
  return true;
}

async function accept(env: Env, drafts: Draft[], context: Context, delaySeconds = 0): Promise<Response> {
  const result = await toEvents(drafts, context, defaultCurrency(env));
  if (!result.ok) {
    // Signed and real, but beyond what the canonical schema takes (e.g. over 500 lines). Refusing it would only
    // make the platform retry the same body and then disable the webhook for every later order; so it is
    // answered 200 with the reason, and logged.
    log('warn', 'webhook_not_mappable', { source: context.source, issues: result.issues.map((i) => i.path).join(',') });
    return json({ accepted: 0, error: 'invalid_event', issues: result.issues }, 200);
  }
  if (!(await enqueue(env, result.events, delaySeconds))) {
    log('warn', 'webhook_not_mappable', { source: context.source, issues: 'an event exceeds a queue message' });
    return json(
      { accepted: 0, error: 'event_too_large', message: 'An event of this order exceeds a queue message' },
      200,
    );
  }
  return json({ accepted: result.events.length, keys: result.events.map((e) => e.key) }, 200);
}

/** `POST /v1/shopify`: a webhook subscription of the topics in SHOPIFY_TOPICS, JSON format. */
export async function shopifyWebhook(request: Request, env: Env, now: number): Promise<Response> {
  const raw = await readBytes(request, MAX_WEBHOOK_BODY);
  if (!(await verifyShopify(env.SHOPIFY_WEBHOOK_SECRET, raw, request.headers.get('x-shopify-hmac-sha256'))))
    throw unsigned('X-Shopify-Hmac-Sha256');
  const topic = request.headers.get('x-shopify-topic') ?? '';
  // Another topic the shop subscribed by mistake: acknowledged, so Shopify does not retry it or drop the URL.
  if (!isShopifyTopic(topic)) return json({ accepted: 0, ignored: `topic ${topic || '(none)'}` }, 200);
  const payload = parseJson(new TextDecoder().decode(raw));
  const triggered = Date.parse(request.headers.get('x-shopify-triggered-at') ?? '');
  const drafts = shopifyEvents(payload, {
    topic,
    webhookId: request.headers.get('x-shopify-webhook-id') ?? undefined,
    eventId: request.headers.get('x-shopify-event-id') ?? undefined,
    shop: request.headers.get('x-shopify-shop-domain') ?? undefined,
    triggeredAt: Number.isFinite(triggered) ? Math.floor(triggered / 1000) : undefined,
  });
  if (!drafts.length && (SHOPIFY_ORDER_TOPICS as readonly string[]).includes(topic))
    throw new HttpError(400, 'invalid_order', 'The body is not a Shopify order (no id)');
  if (!drafts.length) log('info', 'shopify_ignored', { topic, why: 'refund without refunded lines (money only)' });
  return accept(env, drafts, { source: 'shopify', received_at: Math.floor(now / 1000) }, holdSeconds(env));
}

/** `POST /v1/woocommerce`: webhooks of the topics order.created and order.updated, API version 3. */
export async function wooWebhook(request: Request, env: Env, now: number): Promise<Response> {
  const raw = await readBytes(request, MAX_WEBHOOK_BODY);
  const signature = request.headers.get('x-wc-webhook-signature');
  // The activation ping is unsigned and must get exactly 200, or WooCommerce refuses to save the webhook.
  if (signature === null && raw.byteLength < 64 && isWooPing(new TextDecoder().decode(raw)))
    return json({ ok: true, ping: true }, 200);
  if (!(await verifyWooCommerce(env.WOOCOMMERCE_WEBHOOK_SECRET, raw, signature)))
    throw unsigned('X-WC-Webhook-Signature');
  const topic = request.headers.get('x-wc-webhook-topic') ?? '';
  if (topic !== 'order.created' && topic !== 'order.updated')
    return json({ accepted: 0, ignored: `topic ${topic || '(none)'}` }, 200);
  const drafts = wooEvents(parseJson(new TextDecoder().decode(raw)), {
    topic,
    webhookId: request.headers.get('x-wc-webhook-id') ?? undefined,
  });
  return accept(env, drafts, { source: 'woocommerce', received_at: Math.floor(now / 1000) });
}

/** `POST /v1/shopify/pixel`: the custom pixel's report. Stored as a hint only (see ./pixel.ts). */
export async function shopifyPixel(request: Request, env: Env, now: number): Promise<Response> {
  if (env.RATE_LIMITER) {
    const { success } = await env.RATE_LIMITER.limit({ key: request.headers.get('cf-connecting-ip') ?? 'unknown' });
    if (!success)
      throw new HttpError(429, 'rate_limited', 'Too many requests from this address', undefined, {
        'retry-after': '60',
      });
  }
  const hint = parsePixel(parseJson(new TextDecoder().decode(await readBytes(request, MAX_PIXEL_BODY))), now);
  try {
    await env.INGEST.send({ pixel: hint }, { contentType: 'json' });
  } catch {
    throw new HttpError(503, 'unavailable', 'The report could not be queued. Retry later.', undefined, {
      'retry-after': '5',
    });
  }
  // Readable by the sandboxed pixel (its origin is opaque, "null"); the answer reveals nothing about the order.
  return json({ accepted: 1 }, 202, { 'access-control-allow-origin': '*' });
}

/** The three paths' methods (the pixel is a simple cross-origin POST, so it needs no preflight answer). */
export function platformRoute(request: Request, env: Env, path: string, now: number): Promise<Response> {
  if (request.method !== 'POST')
    throw new HttpError(405, 'method_not_allowed', 'Use POST', undefined, { allow: 'POST' });
  if (path === '/v1/shopify') return shopifyWebhook(request, env, now);
  if (path === '/v1/woocommerce') return wooWebhook(request, env, now);
  return shopifyPixel(request, env, now);
}
