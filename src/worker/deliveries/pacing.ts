// Pacing per vendor: the relay keeps each vendor under its documented rate instead of bouncing off 429s.
//
// Model: a token bucket per vendor (one D1 row, `vendor_pace`), sized so that no window of the vendor's length ever
// holds more than its limit: capacity = BURST_SHARE × max, refill = (1 − BURST_SHARE) × max per window, so any window
// admits at most capacity + refill = max. A consumer invocation reserves tokens for the deliveries it is about to
// send (one UPSERT … RETURNING, the same arithmetic as `reserve` below), sends only what it was granted and hands
// the rest back to the queue for `waitMs`. A 429 pauses the whole vendor — every row, every invocation — until
// Retry-After, or for an exponential pause without one, and empties the bucket. A vendor that keeps throttling for
// longer than the park budget is parked: one probe per pause, its rows visibly waiting (admin, /health) instead of
// being retried for ever; its first success unparks it.
//
// Why D1 and not a Durable Object: the deliveries consumer already runs a D1 batch per invocation, so the row costs
// one statement and one row written per batch (not per event); D1 applies each statement atomically, so concurrent
// invocations cannot both spend the same tokens; a Durable Object would add a binding, a request and its own
// billing per batch for the same guarantee.
import type { Vars } from '../env';
import { RATE_LIMIT as ECOMAIL_LIMIT } from '../vendors/ecomail';
import { RATE_LIMIT as ESPUTNIK_LIMIT } from '../vendors/esputnik';
import { RATE_LIMIT as MYTRACKER_LIMIT } from '../vendors/mytracker';
import { RATE_LIMIT as VTMARKETING_LIMIT } from '../vendors/vtmarketing';

/** A vendor's request limit, as its module documents it. `requestsPerEvent` is the worst case per delivery row. */
export type RateLimit = {
  max: number;
  windowMs: number;
  /** The env var that overrides `max` (e.g. ECOMAIL_MAX_PER_MINUTE). */
  env: string;
  requestsPerEvent: number;
  /** True when the vendor publishes no figure and this one is an assumption. */
  assumed?: boolean;
};

export type Pace = {
  vendor: string;
  tokens: number;
  refilled_at: number;
  paused_until: number;
  /** Consecutive 429s since the last other answer. */
  throttles: number;
  /** When the current run of 429s began (null: not throttling). */
  throttled_since: number | null;
};

export type PacingPolicy = {
  /** Pause after a 429 without Retry-After: base × 2^(throttles − 1), capped. */
  pauseBaseMs: number;
  pauseCapMs: number;
  /** Throttling for longer than this parks the vendor. */
  parkAfterMs: number;
};

/** Share of the limit that may go out at once; the rest refills over the window. */
export const BURST_SHARE = 0.1;
/** A Retry-After beyond a day is read as a day (Yandex answers its daily quota with the time to midnight). */
const MAX_RETRY_AFTER_MS = 86_400_000;

export const DEFAULT_POLICY: PacingPolicy = { pauseBaseMs: 1000, pauseCapMs: 300_000, parkAfterMs: 6 * 3_600_000 };

/** The vendor's limit with its env override applied (a positive integer; anything else keeps the default). */
export function effectiveLimit(limit: RateLimit, vars: Vars | Record<string, unknown>): RateLimit {
  const raw = (vars as Record<string, unknown>)[limit.env];
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  return Number.isInteger(n) && n > 0 ? { ...limit, max: n } : limit;
}

/** The policy from env (PACING_PARK_AFTER_MINUTES), else the defaults. */
export function pacingPolicy(vars: Vars | Record<string, unknown>): PacingPolicy {
  const raw = (vars as Record<string, unknown>).PACING_PARK_AFTER_MINUTES;
  const minutes = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  return Number.isInteger(minutes) && minutes > 0
    ? { ...DEFAULT_POLICY, parkAfterMs: minutes * 60_000 }
    : DEFAULT_POLICY;
}

/** Bucket size and refill rate (tokens per ms) of a limit; a token is one request. */
export function bucket(limit: RateLimit): { capacity: number; perMs: number } {
  return {
    capacity: Math.max(1, Math.floor(limit.max * BURST_SHARE)),
    perMs: (limit.max - Math.max(1, Math.floor(limit.max * BURST_SHARE))) / limit.windowMs,
  };
}

export const freshPace = (vendor: string, limit: RateLimit, now: number): Pace => ({
  vendor,
  tokens: bucket(limit).capacity,
  refilled_at: now,
  paused_until: 0,
  throttles: 0,
  throttled_since: null,
});

export const isParked = (pace: Pace, now: number, policy: PacingPolicy): boolean =>
  pace.throttled_since !== null && now - pace.throttled_since >= policy.parkAfterMs;

export type Reservation = {
  /** Deliveries (rows) that may be sent now. */
  granted: number;
  /** When none or not all were granted: how long until more may go (hand the rest back to the queue for this). */
  waitMs: number;
  parked: boolean;
  pace: Pace;
};

/** Grants up to `wanted` deliveries now; the SQL in `reserveStatement` does the same in D1. */
export function reserve(
  pace: Pace,
  limit: RateLimit,
  wanted: number,
  now: number,
  policy: PacingPolicy = DEFAULT_POLICY,
): Reservation {
  const { capacity, perMs } = bucket(limit);
  const tokens = Math.min(capacity, pace.tokens + Math.max(0, now - pace.refilled_at) * perMs);
  const parked = isParked(pace, now, policy);
  const refilled = { ...pace, tokens, refilled_at: now };
  if (now < pace.paused_until) return { granted: 0, waitMs: pace.paused_until - now, parked, pace: refilled };
  const affordable = Math.floor(tokens / limit.requestsPerEvent);
  const granted = Math.max(0, Math.min(wanted, parked ? 1 : wanted, affordable));
  const left = tokens - granted * limit.requestsPerEvent;
  const short = wanted - granted;
  // Time until the tokens for the rest (at most a bucketful) have refilled.
  const need = Math.min(capacity, short * limit.requestsPerEvent) - left;
  const waitMs = short > 0 ? (parked ? Math.max(1000, policy.pauseCapMs) : Math.max(0, Math.ceil(need / perMs))) : 0;
  return { granted, waitMs, parked, pace: { ...refilled, tokens: left } };
}

/** A 429 from the vendor: pause all its rows until Retry-After (seconds) or an exponential pause, empty the bucket. */
export function onThrottle(
  pace: Pace,
  now: number,
  retryAfterSeconds: number | undefined,
  policy: PacingPolicy = DEFAULT_POLICY,
): Pace {
  const throttles = pace.throttles + 1;
  const pause =
    retryAfterSeconds !== undefined && retryAfterSeconds > 0
      ? Math.min(MAX_RETRY_AFTER_MS, Math.round(retryAfterSeconds * 1000))
      : Math.min(policy.pauseCapMs, policy.pauseBaseMs * 2 ** (throttles - 1));
  return {
    ...pace,
    tokens: 0,
    refilled_at: now + pause,
    paused_until: Math.max(pace.paused_until, now + pause),
    throttles,
    throttled_since: pace.throttled_since ?? now,
  };
}

/** Any answer other than a 429 ends a run of throttles (and unparks). */
export const onAnswer = (pace: Pace): Pace =>
  pace.throttles === 0 && pace.throttled_since === null ? pace : { ...pace, throttles: 0, throttled_since: null };

/** The table, for the migration that wires pacing into the engine. */
export const PACE_TABLE = `CREATE TABLE IF NOT EXISTS vendor_pace (
  vendor TEXT PRIMARY KEY,
  tokens REAL NOT NULL,
  refilled_at INTEGER NOT NULL,
  paused_until INTEGER NOT NULL DEFAULT 0,
  throttles INTEGER NOT NULL DEFAULT 0,
  throttled_since INTEGER,
  granted INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID`;

/**
 * `reserve` as one statement, atomic across concurrent invocations: it refills, grants and spends in the vendor's row
 * and returns the row with `granted`. The caller derives waitMs and parked from the returned row with
 * `reservationFromRow`. One row written per call.
 */
export function reserveStatement(
  db: D1Database,
  vendor: string,
  limit: RateLimit,
  wanted: number,
  now: number,
  policy: PacingPolicy = DEFAULT_POLICY,
): D1PreparedStatement {
  const { capacity, perMs } = bucket(limit);
  // ?1 vendor ?2 now ?3 wanted ?4 capacity ?5 perMs ?6 requestsPerEvent ?7 parkAfterMs
  const tokens = 'min(?4, tokens + max(0, ?2 - refilled_at) * ?5)';
  const cap = 'CASE WHEN throttled_since IS NOT NULL AND ?2 - throttled_since >= ?7 THEN min(?3, 1) ELSE ?3 END';
  const granted = `CASE WHEN ?2 < paused_until THEN 0 ELSE max(0, min(${cap}, CAST(${tokens} / ?6 AS INTEGER))) END`;
  return db
    .prepare(
      `INSERT INTO vendor_pace (vendor, tokens, refilled_at, granted)
       VALUES (?1, ?4 - min(?3, CAST(?4 / ?6 AS INTEGER)) * ?6, ?2, min(?3, CAST(?4 / ?6 AS INTEGER)))
       ON CONFLICT (vendor) DO UPDATE SET
         granted = ${granted},
         tokens = ${tokens} - (${granted}) * ?6,
         refilled_at = ?2
       RETURNING vendor, tokens, refilled_at, paused_until, throttles, throttled_since, granted`,
    )
    .bind(vendor, now, wanted, capacity, perMs, limit.requestsPerEvent, policy.parkAfterMs);
}

/** What `reserve` would have answered, from the row `reserveStatement` returned. */
export function reservationFromRow(
  row: Pace & { granted: number },
  limit: RateLimit,
  wanted: number,
  now: number,
  policy: PacingPolicy = DEFAULT_POLICY,
): Reservation {
  const { granted, ...pace } = row;
  const parked = isParked(pace, now, policy);
  if (now < pace.paused_until) return { granted: 0, waitMs: pace.paused_until - now, parked, pace };
  const { capacity, perMs } = bucket(limit);
  const short = wanted - granted;
  const need = Math.min(capacity, short * limit.requestsPerEvent) - pace.tokens;
  const waitMs = short > 0 ? (parked ? Math.max(1000, policy.pauseCapMs) : Math.max(0, Math.ceil(need / perMs))) : 0;
  return { granted, waitMs, parked, pace };
}

/** A 429 as one statement (the row exists: a reservation made it). */
export function throttleStatement(
  db: D1Database,
  vendor: string,
  now: number,
  retryAfterSeconds: number | undefined,
  policy: PacingPolicy = DEFAULT_POLICY,
): D1PreparedStatement {
  const retryAfterMs =
    retryAfterSeconds !== undefined && retryAfterSeconds > 0
      ? Math.min(MAX_RETRY_AFTER_MS, Math.round(retryAfterSeconds * 1000))
      : 0;
  // ?3 Retry-After in ms (0: none, then the exponential pause from ?4 base and ?5 cap)
  const pause = 'CASE WHEN ?3 > 0 THEN ?3 ELSE min(?5, ?4 * (1 << min(30, throttles))) END';
  return db
    .prepare(
      `UPDATE vendor_pace SET tokens = 0, refilled_at = ?2 + ${pause},
         paused_until = max(paused_until, ?2 + ${pause}), throttles = throttles + 1,
         throttled_since = coalesce(throttled_since, ?2)
       WHERE vendor = ?1`,
    )
    .bind(vendor, now, retryAfterMs, policy.pauseBaseMs, policy.pauseCapMs);
}

/** Any other answer: written only when a run of throttles ends (otherwise the WHERE matches nothing). */
export function answerStatement(db: D1Database, vendor: string): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE vendor_pace SET throttles = 0, throttled_since = NULL
       WHERE vendor = ?1 AND (throttles > 0 OR throttled_since IS NOT NULL)`,
    )
    .bind(vendor);
}

// ---- the calls the deliveries consumer makes ----

/** The paced vendors and their limits (Yandex is not: one upload a minute under a lease already keeps it inside). */
const LIMITS: Readonly<Record<string, RateLimit>> = {
  ecomail: ECOMAIL_LIMIT,
  esputnik: ESPUTNIK_LIMIT,
  mytracker: MYTRACKER_LIMIT,
  vtmarketing: VTMARKETING_LIMIT,
};

export function limitFor(vendor: string, vars: Vars | Record<string, unknown>): RateLimit | null {
  const limit = LIMITS[vendor];
  return limit ? effectiveLimit(limit, vars) : null;
}

export type Paced<T> = { go: T[]; later: T[]; waitSeconds: number; parked: boolean };

/**
 * Splits one vendor's due items (delivery messages) into those that may be sent now and those to hand back to the
 * queue for `waitSeconds`: one D1 statement, one row written. Unpaced vendors get everything.
 */
export async function paceBatch<T>(
  db: D1Database,
  vendor: string,
  items: readonly T[],
  vars: Vars | Record<string, unknown>,
  now: number,
): Promise<Paced<T>> {
  const limit = limitFor(vendor, vars);
  if (!limit || !items.length) return { go: [...items], later: [], waitSeconds: 0, parked: false };
  const policy = pacingPolicy(vars);
  const row = await reserveStatement(db, vendor, limit, items.length, now, policy).first<Pace & { granted: number }>();
  if (!row) return { go: [...items], later: [], waitSeconds: 0, parked: false };
  const r = reservationFromRow(row, limit, items.length, now, policy);
  return {
    go: items.slice(0, r.granted),
    later: items.slice(r.granted),
    waitSeconds: Math.max(1, Math.ceil(r.waitMs / 1000)),
    parked: r.parked,
  };
}

/**
 * After the calls: a 429 among them pauses the whole vendor (Retry-After in seconds when the vendor sent one);
 * any other answer ends a run of throttles. Writes nothing in the common case (no 429, none before).
 */
export async function recordPace(
  db: D1Database,
  vendor: string,
  answers: readonly { status?: number; retryAfterSeconds?: number }[],
  vars: Vars | Record<string, unknown>,
  now: number,
): Promise<void> {
  if (!LIMITS[vendor] || !answers.length) return;
  const throttled = answers.filter((a) => a.status === 429);
  if (throttled.length) {
    const retryAfter = Math.max(0, ...throttled.map((a) => a.retryAfterSeconds ?? 0));
    await throttleStatement(db, vendor, now, retryAfter || undefined, pacingPolicy(vars)).run();
  } else if (answers.some((a) => a.status !== undefined)) await answerStatement(db, vendor).run();
}

/** Vendors parked now (throttling past the park budget), for /health and the operator view. */
export async function parkedVendors(
  db: D1Database,
  vars: Vars | Record<string, unknown>,
  now: number,
): Promise<{ vendor: string; throttled_since: number; paused_until: number }[]> {
  const { parkAfterMs } = pacingPolicy(vars);
  const { results } = await db
    .prepare(
      `SELECT vendor, throttled_since, paused_until FROM vendor_pace
       WHERE throttled_since IS NOT NULL AND ?1 - throttled_since >= ?2`,
    )
    .bind(now, parkAfterMs)
    .all<{ vendor: string; throttled_since: number; paused_until: number }>();
  return results;
}
