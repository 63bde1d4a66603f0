// Cloudflare's documented per-invocation and per-call limits that order-relay must stay inside, in one place.
// Production enforces them; miniflare (wrangler dev, the workerd tests) enforces few of them, so the ingest path
// sizes its queue batches from these figures and the test layer in test/limits/ fails any test that crosses one.
// Figures, sources and what they mean for the plan: docs/cloudflare-limits.md. "KB" is 1,000 bytes on these pages.

export const SOURCES = {
  d1: 'https://developers.cloudflare.com/d1/platform/limits/',
  queues: 'https://developers.cloudflare.com/queues/platform/limits/',
  workers: 'https://developers.cloudflare.com/workers/platform/limits/#subrequests',
} as const;

export type Plan = 'paid' | 'free';

export type Limit = {
  /** What is limited, as Cloudflare's page names it. */
  name: string;
  max: number;
  source: string;
};

const limit = (name: string, max: number, source: string): Limit => ({ name, max, source });

/** Limits of one statement or one call, the same on every plan. */
export const D1 = {
  boundParameters: limit('D1 bound parameters per query', 100, SOURCES.d1),
  statementBytes: limit('D1 SQL statement length (bytes)', 100_000, SOURCES.d1),
  valueBytes: limit('D1 string, BLOB or table row size (bytes)', 2_000_000, SOURCES.d1),
} as const;

export const QUEUES = {
  // Includes up to ~100 bytes of internal metadata per message (the page's footnote).
  messageBytes: limit('Queues message size (bytes)', 128_000, SOURCES.queues),
  batchMessages: limit('Queues messages per sendBatch call', 100, SOURCES.queues),
  batchBytes: limit('Queues sendBatch total size (bytes)', 256_000, SOURCES.queues),
  delaySeconds: limit('Queues delaySeconds (when sending or retrying)', 24 * 60 * 60, SOURCES.queues),
} as const;

/** The internal metadata the Queues page says may count toward a message's size. */
export const QUEUE_MESSAGE_METADATA_BYTES = 100;

/** Limits counted over one Worker invocation (one fetch, one queue batch, one scheduled run). */
export type InvocationLimits = {
  /** D1 queries; every statement of a `batch()` counts. */
  d1Queries: Limit;
  /** All subrequests: fetch() plus calls to Cloudflare services (D1, Queues, …). */
  subrequests: Limit;
  /** fetch() to the Internet only (Free counts these apart from Cloudflare services). */
  externalSubrequests: Limit;
  /** Calls to Cloudflare services only. */
  serviceSubrequests: Limit;
};

export const INVOCATION: Record<Plan, InvocationLimits> = {
  paid: {
    d1Queries: limit('D1 queries per Worker invocation (Workers Paid)', 1_000, SOURCES.d1),
    // The default; `limits.subrequests` in wrangler.toml can raise it (to 10 million) or lower it.
    subrequests: limit('subrequests per invocation (Workers Paid, default)', 10_000, SOURCES.workers),
    externalSubrequests: limit('subrequests per invocation (Workers Paid, default)', 10_000, SOURCES.workers),
    serviceSubrequests: limit('subrequests per invocation (Workers Paid, default)', 10_000, SOURCES.workers),
  },
  free: {
    d1Queries: limit('D1 queries per Worker invocation (Workers Free)', 50, SOURCES.d1),
    subrequests: limit(
      'subrequests per invocation (Workers Free: 50 external + 1,000 to services)',
      1_050,
      SOURCES.workers,
    ),
    externalSubrequests: limit('external subrequests (fetch) per invocation (Workers Free)', 50, SOURCES.workers),
    serviceSubrequests: limit(
      'subrequests to Cloudflare services per invocation (Workers Free)',
      1_000,
      SOURCES.workers,
    ),
  },
};

const encoder = new TextEncoder();

/** Bytes of a string as UTF-8 (how D1 and Queues measure text). */
export const utf8Bytes = (text: string): number => encoder.encode(text).byteLength;

/**
 * Size of a queue message body the way Queues counts it for `contentType: 'json'` (the UTF-8 JSON text), plus
 * the metadata allowance. `text`/`bytes` bodies are measured as they are; `v8` (the default) is approximated
 * by its JSON text, which is what a plain object's structured clone is close to.
 */
export function queueMessageBytes(body: unknown, contentType?: QueueContentType): number {
  let bytes: number;
  if (contentType === 'bytes' && body instanceof ArrayBuffer) bytes = body.byteLength;
  else if (contentType === 'bytes' && ArrayBuffer.isView(body)) bytes = body.byteLength;
  else if (contentType === 'text' && typeof body === 'string') bytes = utf8Bytes(body);
  else bytes = utf8Bytes(JSON.stringify(body) ?? '');
  return bytes + QUEUE_MESSAGE_METADATA_BYTES;
}
