// Signed orders (README.md "Signed orders", "Threat model"): the shop's backend renders
//   token = exp "." status "." total "." currency "." base64url(HMAC-SHA256(SIGNING_SECRET,
//           order_id "\n" status "\n" total "\n" currency "\n" exp))
// exp in unix seconds, status `created` | `paid` | `refunded`, total a decimal as the shop writes it ("120.00"),
// currency ISO 4217. The token carries its claims so the Worker can hold the page to them: what the page says is
// replaced by what the shop signed.

import { hmacKey } from './hmac';

export const SIGNED_STATUSES = ['created', 'paid', 'refunded'] as const;
export type SignedStatus = (typeof SIGNED_STATUSES)[number];

/** What the shop signed for the order: the page's event must say the same or is overruled. */
export type OrderClaims = { status: SignedStatus; total: string; currency: string };

const b64url = (bytes: ArrayBuffer): string =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

async function hmac(secret: string, message: string): Promise<ArrayBuffer> {
  return crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), new TextEncoder().encode(message));
}

const message = (orderId: string, c: OrderClaims, exp: number): string =>
  [orderId, c.status, c.total, c.currency, exp].join('\n');

export async function signOrder(secret: string, orderId: string, claims: OrderClaims, exp: number): Promise<string> {
  const sig = b64url(await hmac(secret, message(orderId, claims, exp)));
  return [exp, claims.status, claims.total, claims.currency, sig].join('.');
}

export type TokenCheck =
  | { ok: true; claims: OrderClaims }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'invalid' };

const TOKEN = /^(\d{1,12})\.(created|paid|refunded)\.(\d{1,15}(?:\.\d{1,6})?)\.([A-Z]{3})\.([A-Za-z0-9_-]{43})$/;

/**
 * Verifies a token for this order id at `now` (unix seconds) and returns what it signs; the comparison is
 * constant-time. A token of the older form `exp.sig` (order id only) is malformed: it cannot bind status or total.
 */
export async function verifyOrderToken(
  secret: string,
  orderId: string,
  token: unknown,
  now: number,
): Promise<TokenCheck> {
  if (typeof token !== 'string' || token === '') return { ok: false, reason: 'missing' };
  const m = TOKEN.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const exp = Number(m[1]);
  if (exp < now) return { ok: false, reason: 'expired' };
  const [, , status, total = '', currency = ''] = m;
  const claims: OrderClaims = { status: status as SignedStatus, total, currency };
  const expected = await signOrder(secret, orderId, claims, exp);
  let diff = expected.length ^ token.length;
  for (let i = 0; i < Math.min(expected.length, token.length); i++)
    diff |= expected.charCodeAt(i) ^ token.charCodeAt(i);
  return diff === 0 ? { ok: true, claims } : { ok: false, reason: 'invalid' };
}
