// Bindings and configuration. Every value is read through here so handlers get them passed in.
import type { BrowseMessage } from './browse/event';
import type { CanonicalEvent } from './event';
import type { PixelMessage } from './webhooks/pixel';

export type IngestMessage = { event: CanonicalEvent };
/** `order_id` is absent from messages sent before delivery engine v2; the key's prefix names the order then. */
export type DeliveryMessage = { key: string; vendor: string; order_id?: string };

/** Read only by code, with a default when unset: no entry in wrangler.toml or .dev.vars.example. */
interface OptionalVars {
  ADMIN_SESSION_HOURS?: string;
  HEALTH_MAX_DEAD?: string;
  HEALTH_VENDOR_FAILING_MINUTES?: string;
  RETRY_CAP_SECONDS?: string;
  STUCK_GRACE_SECONDS?: string;
  MYTRACKER_BATCH?: string;
  YANDEX_METRICA_BATCH?: string;
  YANDEX_METRICA_MAX_ROWS?: string;
  /** Old names of YANDEX_METRICA_BATCH / YANDEX_METRICA_MAX_ROWS, still read when the new one is unset. */
  YANDEX_BATCH?: string;
  YANDEX_MAX_ROWS?: string;
  /** `true`: one `meter` log line per invocation with D1 and queue counts (src/worker/meter.ts; npm run soak). */
  METER?: string;
}

/** Typed from .dev.vars.example, but a deployment may leave any of them unset (a vendor without them is off). */
type Unset =
  | 'S2S_TOKEN'
  | 'ADMIN_TOKEN'
  | 'SIGNING_SECRET'
  | 'SHOPIFY_WEBHOOK_SECRET'
  | 'SHOPIFY_HOLD_SECONDS'
  | 'WOOCOMMERCE_WEBHOOK_SECRET'
  | 'MYTRACKER_APP_ID'
  | 'MYTRACKER_TOKEN'
  | 'ESPUTNIK_API_KEY'
  | 'ECOMAIL_API_KEY'
  | 'ECOMAIL_SHOP'
  | 'VTMARKETING_API_KEY'
  | 'YANDEX_METRICA_COUNTER_ID'
  | 'YANDEX_METRICA_TOKEN';

/**
 * The generated `Cloudflare.Env` (worker-configuration.d.ts, `npm run types`), with what wrangler cannot know:
 * the queues' message types, which settings may be unset, and the optional settings it never sees.
 */
export type Env = Omit<Cloudflare.Env, Unset | 'INGEST' | 'DELIVERIES' | 'BROWSE'> &
  Partial<Pick<Cloudflare.Env, Unset>> &
  OptionalVars & {
    /** Canonical events; also the Shopify pixel's hints, which the consumer keeps apart (webhooks/pixel.ts). */
    INGEST: Queue<IngestMessage | PixelMessage>;
    DELIVERIES: Queue<DeliveryMessage>;
    /** Browse events' light path (src/worker/browse); optional so an older wrangler.toml still deploys. */
    BROWSE?: Queue<BrowseMessage>;
  };

/** The names of Env's string settings (vars and secrets), so a name built at run time is still checked. */
export type VarName = { [K in keyof Env]-?: NonNullable<Env[K]> extends string ? K : never }[keyof Env];

/** Some of Env's string settings: what a vendor's parseConfig reads (tests pass plain objects). */
export type Vars = { readonly [K in VarName]?: string };

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
