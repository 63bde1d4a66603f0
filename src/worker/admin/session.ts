// Operator sessions without storage: the cookie is `exp.nonce.mac`, an HMAC under a key derived (HKDF) from
// ADMIN_TOKEN, so rotating the token ends every session. The CSRF token is a second HMAC of the session's
// nonce. API callers may use `Authorization: Bearer <ADMIN_TOKEN>` instead, which needs neither.
import { type Env, intVar } from '../env';
import { bearer, HttpError, safeEqual } from '../http';

export const SESSION_COOKIE = '__Host-relay_admin';
export const CSRF_HEADER = 'x-csrf-token';
const DEFAULT_SESSION_HOURS = 12;

export type Auth = { via: 'bearer' } | { via: 'session'; csrf: string; expires: number };

const enc = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function sessionKey(token: string): Promise<CryptoKey> {
  let key = keys.get(token);
  if (!key) {
    key = crypto.subtle
      .importKey('raw', enc.encode(token), 'HKDF', false, ['deriveKey'])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: 'HKDF', hash: 'SHA-256', salt: enc.encode('order-relay admin'), info: enc.encode('session v1') },
          base,
          { name: 'HMAC', hash: 'SHA-256', length: 256 },
          false,
          ['sign', 'verify'],
        ),
      );
    keys.clear();
    keys.set(token, key);
  }
  return key;
}

const b64url = (bytes: ArrayBuffer): string =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');

function fromB64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    return Uint8Array.from(atob(text.replaceAll('-', '+').replaceAll('_', '/')), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

async function mac(token: string, message: string): Promise<string> {
  return b64url(await crypto.subtle.sign('HMAC', await sessionKey(token), enc.encode(message)));
}

export const sessionSeconds = (env: Env): number => intVar(env.ADMIN_SESSION_HOURS, DEFAULT_SESSION_HOURS, 1) * 3600;

/** A new signed session value, valid until `now` + the session length. */
export async function createSession(token: string, now: number, seconds: number): Promise<string> {
  const exp = Math.floor(now / 1000) + seconds;
  const nonce = b64url(crypto.getRandomValues(new Uint8Array(18)).buffer);
  return `${exp}.${nonce}.${await mac(token, `session.${exp}.${nonce}`)}`;
}

/** The session's CSRF token, or null for a missing, tampered or expired value. */
export async function verifySession(
  token: string,
  value: string,
  now: number,
  seconds: number,
): Promise<{ csrf: string; expires: number } | null> {
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{20,100})$/.exec(value);
  if (!m) return null;
  const [, expText, nonce, sig] = m as unknown as [string, string, string, string];
  const exp = Number(expText);
  const nowSeconds = Math.floor(now / 1000);
  // An expiry further out than one session length was not made by this deployment's settings.
  if (exp <= nowSeconds || exp > nowSeconds + seconds + 60) return null;
  const given = fromB64url(sig);
  if (!given) return null;
  const ok = await crypto.subtle.verify('HMAC', await sessionKey(token), given, enc.encode(`session.${exp}.${nonce}`));
  return ok ? { csrf: await mac(token, `csrf.${nonce}`), expires: exp } : null;
}

export function readCookie(request: Request, name: string): string | null {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

export function sessionCookie(value: string, seconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${seconds}; HttpOnly; Secure; SameSite=Strict`;
}

export const clearedCookie = (): string => `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;

/** Who is asking: a valid bearer token or session cookie, else null. A wrong bearer token is refused outright. */
export async function authenticate(request: Request, env: Env, now: number): Promise<Auth | null> {
  const token = env.ADMIN_TOKEN;
  if (!token) return null;
  const given = bearer(request);
  if (given !== null) {
    if (await safeEqual(given, token)) return { via: 'bearer' };
    throw new HttpError(401, 'unauthorized', 'Missing or wrong bearer token', undefined, {
      'www-authenticate': 'Bearer',
    });
  }
  const cookie = readCookie(request, SESSION_COOKIE);
  if (!cookie) return null;
  const session = await verifySession(token, cookie, now, sessionSeconds(env));
  return session ? { via: 'session', ...session } : null;
}

/**
 * Cross-site request checks for a state-changing request carried by the session cookie: the Origin (or,
 * without one, the Referer) must be this Worker's, and the CSRF token must match. Bearer calls are exempt:
 * a browser never attaches that header on its own.
 */
export async function checkCsrf(request: Request, url: URL, auth: Auth, formToken?: string | null): Promise<void> {
  if (auth.via === 'bearer') return;
  requireSameOrigin(request, url);
  const given = request.headers.get(CSRF_HEADER) ?? formToken ?? '';
  if (!given || !(await safeEqual(given, auth.csrf)))
    throw new HttpError(403, 'csrf', 'Missing or wrong CSRF token: reload the page');
}

/** Refuses a request whose Origin (or Referer) is not this Worker's origin. */
export function requireSameOrigin(request: Request, url: URL): void {
  const origin = request.headers.get('origin');
  let source = origin;
  if (!source) {
    const referer = request.headers.get('referer');
    try {
      source = referer ? new URL(referer).origin : null;
    } catch {
      source = null;
    }
  }
  if (source !== url.origin) throw new HttpError(403, 'foreign_origin', 'Cross-site request refused');
}
