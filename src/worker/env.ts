// Bindings and configuration. Every value is read through here so handlers get them passed in.
import type { BrowseMessage } from './browse/event';
import type { CanonicalEvent } from './event';

export type IngestMessage = { event: CanonicalEvent };
export type DeliveryMessage = { key: string; vendor: string };

export interface Env {
  DB: D1Database;
  INGEST: Queue<IngestMessage>;
  DELIVERIES: Queue<DeliveryMessage>;
  /** Browse events' light path (src/worker/browse); optional so an older wrangler.toml still deploys. */
  BROWSE?: Queue<BrowseMessage>;
  /** Workers rate-limiting binding for `/o` (per client IP). */
  RATE_LIMITER?: RateLimit;
  ALLOWED_ORIGINS?: string;
  S2S_TOKEN?: string;
  ADMIN_TOKEN?: string;
  SIGNING_SECRET?: string;
  REQUIRE_SIGNATURE?: string;
  CONSENT_REQUIRED?: string;
  DEFAULT_CURRENCY?: string;
  RETENTION_DAYS?: string;
  DEMO?: string;
  MAX_ATTEMPTS?: string;
  VENDOR_TIMEOUT_MS?: string;
  [name: string]: unknown;
}

export const flag = (value: unknown): boolean => typeof value === 'string' && /^(1|true|yes|on)$/i.test(value.trim());

export function intVar(value: unknown, fallback: number, min = 0): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isInteger(n) && n >= min ? n : fallback;
}

/** DEFAULT_CURRENCY when it is an ISO 4217 code, else EUR. */
export const defaultCurrency = (env: Env): string =>
  typeof env.DEFAULT_CURRENCY === 'string' && /^[A-Za-z]{3}$/.test(env.DEFAULT_CURRENCY.trim())
    ? env.DEFAULT_CURRENCY.trim().toUpperCase()
    : 'EUR';
