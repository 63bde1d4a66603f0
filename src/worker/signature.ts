// Signed orders (README.md "Signed orders"): the shop's backend renders
// token = exp + "." + base64url(HMAC-SHA256(SIGNING_SECRET, order_id + "\n" + exp)), exp in unix seconds.

const b64url = (bytes: ArrayBuffer): string =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

async function hmac(secret: string, message: string): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return crypto.subtle.sign('HMAC', key, new TextEncoder().encode(message));
}

export async function signOrder(secret: string, orderId: string, exp: number): Promise<string> {
  return `${exp}.${b64url(await hmac(secret, `${orderId}\n${exp}`))}`;
}

export type TokenCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'invalid' };

/** Verifies a token for this order id at `now` (unix seconds); the comparison is constant-time. */
export async function verifyOrderToken(
  secret: string,
  orderId: string,
  token: unknown,
  now: number,
): Promise<TokenCheck> {
  if (typeof token !== 'string' || token === '') return { ok: false, reason: 'missing' };
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const exp = Number(m[1]);
  if (exp < now) return { ok: false, reason: 'expired' };
  const expected = await signOrder(secret, orderId, exp);
  let diff = expected.length ^ token.length;
  for (let i = 0; i < Math.min(expected.length, token.length); i++)
    diff |= expected.charCodeAt(i) ^ token.charCodeAt(i);
  return diff === 0 ? { ok: true } : { ok: false, reason: 'invalid' };
}
