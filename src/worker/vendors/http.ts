// Shared response reading for vendor modules: delivered, retry (408, 429, 5xx) or rejected, and Retry-After.
import type { VarName, Vars } from '../env';
import type { Classified, VendorResponse } from './types';

const DETAIL_MAX = 500;

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), if any. */
export function retryAfterSeconds(headers: Record<string, string>, now = Date.now()): number | undefined {
  const raw = headers['retry-after'];
  if (!raw) return undefined;
  const secs = /^\d+$/.test(raw.trim()) ? Number(raw) : (Date.parse(raw) - now) / 1000;
  return Number.isFinite(secs) && secs >= 0 ? Math.ceil(secs) : undefined;
}

export const truncate = (text: string, max = DETAIL_MAX): string =>
  text.length > max ? `${text.slice(0, max)}…` : text;

/** 2xx delivered; 408, 429 and 5xx retry (honouring Retry-After); any other status rejected with the vendor's text. */
export function classifyHttp(res: VendorResponse): Classified {
  const detail = truncate(`${res.status} ${res.body}`.trim());
  if (res.status >= 200 && res.status < 300) return { outcome: 'delivered', detail };
  if (res.status === 408 || res.status === 429 || res.status >= 500) {
    const retryAfter = retryAfterSeconds(res.headers);
    return retryAfter === undefined ? { outcome: 'retry', detail } : { outcome: 'retry', retryAfter, detail };
  }
  return { outcome: 'rejected', detail };
}

/** Reads a string env value; empty means unset. */
export function str(env: Vars, name: VarName): string | undefined {
  const value = env[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export const trimSlash = (url: string): string => url.replace(/\/+$/, '');
