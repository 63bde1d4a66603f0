// Platform webhook signatures: base64 HMAC-SHA256 of the exact bytes received (docs/platforms/shopify.md,
// docs/platforms/woocommerce.md). Re-serialised JSON would not match, so callers pass the raw body.
import { hmacKey } from '../hmac';

/** Decodes standard base64, or null when the text is not base64. */
function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * True when `header` is the base64 HMAC-SHA256 of `body` under `secret`. The digest check is WebCrypto's
 * `verify`, which compares in constant time; an empty secret or a missing / malformed header is false.
 */
export async function verifyBase64Hmac(
  secret: string | undefined,
  body: Uint8Array<ArrayBuffer>,
  header: string | null,
): Promise<boolean> {
  if (!secret || !header) return false;
  const signature = fromBase64(header.trim());
  if (signature?.byteLength !== 32) return false;
  return crypto.subtle.verify('HMAC', await hmacKey(secret, 'verify'), signature, body);
}

/** The header value a platform would send for `body` (tests and the README's curl recipe). */
export async function signBase64Hmac(secret: string, body: Uint8Array<ArrayBuffer> | string): Promise<string> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), bytes));
  return btoa(String.fromCharCode(...mac));
}
