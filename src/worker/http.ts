// Answers and request reading shared by every route: JSON errors with the right status, size-capped bodies.
import type { Issue } from './event';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: Issue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

export function errorResponse(err: HttpError, headers: Record<string, string> = {}): Response {
  const body: Record<string, unknown> = { error: err.code, message: err.message };
  if (err.issues) body.issues = err.issues;
  return json(body, err.status, { ...err.headers, ...headers });
}

/** Reads the body as text, refusing (413) anything over `limit` bytes before or while it streams in. */
export async function readText(request: Request, limit: number): Promise<string> {
  return new TextDecoder().decode(await readBytes(request, limit));
}

/** The body's exact bytes (signatures are over these), with readText's size limit. */
export async function readBytes(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) throw new HttpError(413, 'payload_too_large', `Body is larger than ${limit} bytes`);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new HttpError(413, 'payload_too_large', `Body is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}

/** Deeper than any order (an envelope around a UA push is 6); the queue's JSON encoding overflows near 10,000. */
export const MAX_JSON_DEPTH = 32;

/** True when arrays/objects nest deeper than `max` (iterative: a hostile body cannot overflow the stack here). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [x, depth] = top;
    if (x === null || typeof x !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(x)) stack.push([child, depth + 1]);
  }
  return false;
}

export function parseJson(text: string): unknown {
  if (!text.trim()) throw new HttpError(400, 'invalid_json', 'Body is empty');
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(
      400,
      'invalid_json',
      `Body is not valid JSON: ${err instanceof Error ? err.message : 'parse error'}`,
    );
  }
  if (nestedDeeperThan(value, MAX_JSON_DEPTH))
    throw new HttpError(400, 'invalid_json', `Body nests arrays/objects deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}

/** The media type without parameters, lower-cased ("" when absent). */
export const mediaType = (request: Request): string =>
  (request.headers.get('content-type') ?? '').replace(/;.*/s, '').trim().toLowerCase();

/** Constant-time comparison of two secrets (HMAC both, then compare digests byte by byte). */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey(
    'raw',
    crypto.getRandomValues(new Uint8Array(32)),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const [x, y] = await Promise.all([
    crypto.subtle.sign('HMAC', key, enc.encode(a)),
    crypto.subtle.sign('HMAC', key, enc.encode(b)),
  ]);
  const u = new Uint8Array(x);
  const w = new Uint8Array(y);
  let diff = 0;
  u.forEach((byte, i) => {
    diff |= byte ^ (w[i] ?? 0);
  });
  return diff === 0;
}

export function bearer(request: Request): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '');
  return m?.[1] ? m[1].trim() : null;
}

export async function requireBearer(request: Request, expected: string | undefined): Promise<void> {
  const given = bearer(request);
  if (!expected) throw new HttpError(401, 'unauthorized', 'This endpoint is disabled: its token is not configured');
  if (!given || !(await safeEqual(given, expected)))
    throw new HttpError(401, 'unauthorized', 'Missing or wrong bearer token', undefined, {
      'www-authenticate': 'Bearer',
    });
}
