// What the operator view may show: secrets never (every configured secret value, credential-like headers and
// query parameters become `***`), emails, phones and IPs only when the operator asks (`reveal`).
import { secretValues } from '../config';
import type { Env } from '../env';
import { maskPii } from '../log';
import { VENDORS } from '../vendors';
import type { VendorRequest } from '../vendors/types';

export const MASK = '***';

const CREDENTIAL_NAME = /auth|token|key|secret|signature|password|passwd|session|cookie/i;
const PII_KEY = /^(email|e-mail|phone|phones|tel|sms|phonenumber|mobile|mobilephone)$/i;
const IP_KEY = /^(ip|ipv4|ipv6|ip_address|ipaddress)$/i;

/** Every secret value this deployment knows, longest first, with the encodings a request might carry them in. */
export function secretsOf(env: Env): string[] {
  const values = new Set<string>(secretValues(env));
  for (const vendor of VENDORS) {
    for (const name of vendor.secrets) {
      const value = env[name];
      if (typeof value === 'string' && value.trim()) values.add(value.trim());
    }
  }
  const all = new Set<string>();
  for (const s of values) {
    all.add(s);
    all.add(encodeURIComponent(s));
    all.add(JSON.stringify(s).slice(1, -1));
  }
  return [...all].filter(Boolean).sort((x, y) => y.length - x.length);
}

/** Replaces each secret value in `text` with `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

function maskUrl(raw: string, secrets: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return maskSecrets(raw, secrets);
  }
  if (url.username) url.username = MASK;
  if (url.password) url.password = MASK;
  for (const name of [...new Set(url.searchParams.keys())]) {
    if (CREDENTIAL_NAME.test(name)) url.searchParams.set(name, MASK);
  }
  // URL serialisation percent-encodes the mask; keep it readable.
  return maskSecrets(url.toString().replaceAll('%2A%2A%2A', MASK), secrets);
}

export type MaskedRequest = {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  keys: string[];
  lane?: string;
};

/** A vendor request fit to show: secrets, credential headers and credential query values masked. */
export function maskRequest(req: VendorRequest, secrets: readonly string[], reveal: boolean): MaskedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name] = CREDENTIAL_NAME.test(name) ? MASK : maskSecrets(value, secrets);
  }
  const body = maskSecrets(req.body, secrets);
  const out: MaskedRequest = {
    method: req.method,
    url: maskUrl(req.url, secrets),
    headers,
    body: reveal ? body : maskPii(body),
    keys: req.keys,
  };
  if (req.lane) out.lane = req.lane;
  return out;
}

/** `a***@example.com`-style email, last two digits of a phone, first half of an IP. */
export function maskField(key: string, value: string): string {
  if (IP_KEY.test(key)) {
    if (value.includes(':')) return `${value.split(':').slice(0, 3).join(':')}:${MASK}`;
    return `${value.split('.').slice(0, 2).join('.')}.${MASK}`;
  }
  if (value.includes('@')) return maskPii(value);
  return value.length > 2 ? `${MASK}${value.slice(-2)}` : MASK;
}

/** A deep copy with emails, phones and IPs masked (field by field, and inside free text). */
export function maskDeep<T>(value: T, reveal: boolean): T {
  if (reveal) return value;
  const walk = (x: unknown, key: string): unknown => {
    if (typeof x === 'string') return PII_KEY.test(key) || IP_KEY.test(key) ? maskField(key, x) : maskPii(x);
    if (Array.isArray(x)) return x.map((y) => walk(y, key));
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y, k)]));
    return x;
  };
  return walk(value, '') as T;
}

/** A vendor's or an operator-facing text: secrets always masked, PII unless revealed. */
export function maskText(text: string | null, secrets: readonly string[], reveal: boolean): string | null {
  if (text === null) return null;
  const clean = maskSecrets(text, secrets);
  return reveal ? clean : maskPii(clean);
}
