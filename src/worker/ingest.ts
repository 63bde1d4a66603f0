// The two ways in. Both validate everything first (all-or-nothing), then hand the events to the `ingest`
// queue (sendBatch calls sized to Queues' limits) and answer 202: D1 and the vendors are never on the request path.

import { ingestBrowse, isBrowseBody } from './browse/ingest';
import { admitBrowserEvent } from './browser-admission';
import { defaultCurrency, type Env, type IngestMessage } from './env';
import type { CanonicalEvent, Context, Issue } from './event';
import { parseEventInput } from './event';
import { toCanonicalEvent } from './event-key';
import { HttpError, json, mediaType, parseJson, readText, requireBearer } from './http';
import { QUEUES, queueMessageBytes } from './limits';
import { fromBrowserBody } from './normalize';
import { placeOf } from './normalize/consent';

export const MAX_SERVER_BODY = 1024 * 1024;
export const MAX_BROWSER_BODY = 16 * 1024;
export const MAX_EVENTS_PER_REQUEST = 100;

/** Room left under Queues' documented sizes for what the measurement cannot see (src/worker/limits.ts). */
export const QUEUE_MESSAGE_BUDGET = QUEUES.messageBytes.max - 2_000;
export const QUEUE_BATCH_BUDGET = QUEUES.batchBytes.max - 6_000;

type Sized<T> = { message: MessageSendRequest<T>; bytes: number };

/** Consecutive chunks of at most 100 messages and `QUEUE_BATCH_BUDGET` bytes, each one sendBatch call. */
export function sendBatchChunks<T>(sized: readonly Sized<T>[]): MessageSendRequest<T>[][] {
  const chunks: MessageSendRequest<T>[][] = [];
  let chunk: MessageSendRequest<T>[] = [];
  let bytes = 0;
  for (const s of sized) {
    if (chunk.length && (chunk.length === QUEUES.batchMessages.max || bytes + s.bytes > QUEUE_BATCH_BUDGET)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(s.message);
    bytes += s.bytes;
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}

/**
 * Hands accepted events to the ingest queue and answers: 413 before anything is sent when one event would not fit
 * in a queue message, 202 once every sendBatch call succeeded, 503 otherwise (a retry is safe: event keys are
 * idempotent, so events that did reach the queue are stored once).
 */
export async function enqueueEvents(env: Env, events: readonly CanonicalEvent[]): Promise<Response> {
  const sized = events.map((event) => {
    const message: MessageSendRequest<IngestMessage> = { body: { event }, contentType: 'json' };
    return { message, bytes: queueMessageBytes(message.body, message.contentType) };
  });
  const tooBig = sized.findIndex((s) => s.bytes > QUEUE_MESSAGE_BUDGET);
  if (tooBig >= 0)
    throw new HttpError(
      413,
      'event_too_large',
      `Event ${events.length > 1 ? `${tooBig} ` : ''}is ${sized[tooBig]?.bytes} bytes as a queue message; Cloudflare Queues allows ${QUEUES.messageBytes.max} bytes per message (${QUEUES.messageBytes.source}) and this relay keeps ${QUEUE_MESSAGE_BUDGET}. Nothing was accepted.`,
    );
  const chunks = sendBatchChunks(sized);
  let sent = 0;
  try {
    for (const chunk of chunks) {
      await env.INGEST.sendBatch(chunk);
      sent += chunk.length;
    }
  } catch {
    throw new HttpError(
      503,
      'unavailable',
      sent
        ? `Only ${sent} of ${events.length} events could be queued. Retry the whole request: events already queued are stored once.`
        : 'The event could not be queued; nothing was stored. Retry later.',
      undefined,
      { 'retry-after': '5' },
    );
  }
  return json({ accepted: events.length, keys: events.map((e) => e.key) }, 202);
}

/** `POST /v1/events`: the shop's back office. One canonical event or an array of up to 100. */
export async function ingestServer(request: Request, env: Env, now: number): Promise<Response> {
  await requireBearer(request, env.S2S_TOKEN);
  if (mediaType(request) !== 'application/json')
    throw new HttpError(415, 'unsupported_media_type', 'Send Content-Type: application/json');
  const body = parseJson(await readText(request, MAX_SERVER_BODY));
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0) throw new HttpError(400, 'invalid_event', 'The array holds no events');
  if (list.length > MAX_EVENTS_PER_REQUEST)
    throw new HttpError(413, 'too_many_events', `At most ${MAX_EVENTS_PER_REQUEST} events per request`);
  const issues: Issue[] = [];
  const valid = list.flatMap((item, i) => {
    const parsed = parseEventInput(item, Array.isArray(body) ? String(i) : '');
    if (!parsed.ok) issues.push(...parsed.issues);
    return parsed.ok ? [parsed.value] : [];
  });
  if (issues.length)
    throw new HttpError(400, 'invalid_event', 'The event does not match the schema; nothing was accepted', issues);
  const context: Context = { source: 'server', received_at: Math.floor(now / 1000) };
  const events = await Promise.all(valid.map((v) => toCanonicalEvent(v, context, defaultCurrency(env))));
  return enqueueEvents(env, events);
}

/** Exact origins from ALLOWED_ORIGINS; unset refuses every browser. */
export function allowedOrigin(request: Request, env: Env): string | null {
  const origin = request.headers.get('origin');
  if (!origin) return null;
  const allowed = String(env.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  return allowed.includes(origin) ? origin : null;
}

export function corsHeaders(origin: string): Record<string, string> {
  return { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'false', vary: 'Origin' };
}

export function preflight(request: Request, env: Env): Response {
  const origin = allowedOrigin(request, env);
  if (!origin) throw new HttpError(403, 'origin_not_allowed', 'This origin may not send orders here');
  return new Response(null, {
    status: 204,
    headers: {
      ...corsHeaders(origin),
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '86400',
    },
  });
}

/** `POST /o`: the thank-you page snippet. */
export async function ingestBrowser(request: Request, env: Env, now: number): Promise<Response> {
  const origin = allowedOrigin(request, env);
  if (!origin) throw new HttpError(403, 'origin_not_allowed', 'This origin may not send orders here');
  const type = mediaType(request);
  if (type !== 'text/plain' && type !== 'application/json')
    throw new HttpError(415, 'unsupported_media_type', 'Send text/plain or application/json');
  if (env.RATE_LIMITER) {
    const ip = request.headers.get('cf-connecting-ip') ?? 'unknown';
    const { success } = await env.RATE_LIMITER.limit({ key: ip });
    if (!success)
      throw new HttpError(429, 'rate_limited', 'Too many requests from this address', undefined, {
        'retry-after': '60',
      });
  }
  const body = parseJson(await readText(request, MAX_BROWSER_BODY));
  if (isBrowseBody(body)) return ingestBrowse(body, env, now);
  const input = fromBrowserBody(body, placeOf(request));
  const parsed = parseEventInput(input.event);
  if (!parsed.ok)
    throw new HttpError(
      400,
      'invalid_event',
      'The event does not match the schema; nothing was accepted',
      parsed.issues,
    );
  const seconds = Math.floor(now / 1000);
  const admitted = await admitBrowserEvent(env, parsed.value, input.token, seconds);
  const context: Context = {
    source: 'browser',
    received_at: seconds,
    page_url: input.pageUrl ?? request.headers.get('referer') ?? undefined,
    user_agent: request.headers.get('user-agent') ?? undefined,
    ip: request.headers.get('cf-connecting-ip') ?? undefined,
  };
  const event = await toCanonicalEvent(admitted, dropUndefined(context), defaultCurrency(env));
  return enqueueEvents(env, [event]);
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
}
