// Every D1 statement of the operator view and /health (the pipeline's own statements live in store.ts).
// Each is shaped for an index of migrations/0001_init.sql: deliveries_updated for windows, deliveries_order
// and events_order for one order, attempts_delivery for its calls, deliveries_due for state look-ups.
import type { CanonicalEvent, Status } from '../event';
import type { DeliveryRow, DeliveryState } from '../store';

export const STATES: readonly DeliveryState[] = ['delivered', 'pending', 'retry', 'skipped', 'rejected', 'dead'];

export type StateCount = { vendor: string; state: DeliveryState; n: number };

/** Rows per vendor and state whose state changed since `since` (epoch ms). */
export async function countByVendorState(db: D1Database, since: number): Promise<StateCount[]> {
  const { results } = await db
    .prepare(
      // `+` keeps the planner on deliveries_updated (a range of the window) rather than scanning deliveries_due.
      `SELECT vendor, state, count(*) AS n FROM deliveries WHERE updated_at >= ?1 GROUP BY +vendor, +state`,
    )
    .bind(since)
    .all<StateCount>();
  return results;
}

export type EventSummary = {
  key: string;
  order_id: string;
  status: Status;
  occurred_at: number;
  received_at: number;
  source: string;
  total: number | null;
  currency: string | null;
  email: string | null;
  /** `vendor:state` pairs, comma-separated. */
  states: string | null;
};

/** The newest events (by receipt), each with its delivery states; `before` pages back by received_at. */
export async function latestEvents(db: D1Database, limit: number, before?: number): Promise<EventSummary[]> {
  const { results } = await db
    .prepare(
      `SELECT e.key, e.order_id, e.status, e.occurred_at, e.received_at, e.source,
            json_extract(e.body, '$.total') AS total, json_extract(e.body, '$.currency') AS currency,
            json_extract(e.body, '$.customer.email') AS email,
            (SELECT group_concat(d.vendor || ':' || d.state) FROM deliveries d WHERE d.event_key = e.key) AS states
     FROM events e WHERE e.received_at < ?2 ORDER BY e.received_at DESC, e.key LIMIT ?1`,
    )
    .bind(limit, before ?? Number.MAX_SAFE_INTEGER)
    .all<EventSummary>();
  return results;
}

export type StoredEvent = {
  key: string;
  status: Status;
  occurred_at: number;
  received_at: number;
  source: string;
  event: CanonicalEvent;
};
export type AttemptRow = {
  id: number;
  event_key: string;
  vendor: string;
  at: number;
  http_status: number | null;
  outcome: string;
  detail: string | null;
  duration_ms: number | null;
};

/** One order's events, delivery rows and vendor calls (newest calls capped at `maxAttempts`). */
export async function orderLedger(
  db: D1Database,
  orderId: string,
  maxAttempts = 500,
): Promise<{ events: StoredEvent[]; deliveries: DeliveryRow[]; attempts: AttemptRow[] }> {
  const [events, deliveries, attempts] = await db.batch([
    db
      .prepare(
        `SELECT key, status, occurred_at, received_at, source, body FROM events WHERE order_id = ?1 ORDER BY occurred_at, received_at`,
      )
      .bind(orderId),
    db.prepare(`SELECT * FROM deliveries WHERE order_id = ?1 ORDER BY vendor, created_at, event_key`).bind(orderId),
    db
      .prepare(
        `SELECT * FROM (SELECT a.* FROM attempts a WHERE a.event_key IN (SELECT key FROM events WHERE order_id = ?1)
                      ORDER BY a.at DESC, a.id DESC LIMIT ?2) ORDER BY at, id`,
      )
      .bind(orderId, maxAttempts),
  ]);
  type Raw = Omit<StoredEvent, 'event'> & { body: string };
  return {
    events: ((events?.results ?? []) as Raw[]).map(({ body, ...rest }) => ({
      ...rest,
      event: JSON.parse(body) as CanonicalEvent,
    })),
    deliveries: (deliveries?.results ?? []) as DeliveryRow[],
    attempts: (attempts?.results ?? []) as AttemptRow[],
  };
}

export async function deliveryRow(db: D1Database, key: string, vendor: string): Promise<DeliveryRow | null> {
  return db
    .prepare(`SELECT * FROM deliveries WHERE event_key = ?1 AND vendor = ?2`)
    .bind(key, vendor)
    .first<DeliveryRow>();
}

export type Replayed = { event_key: string; vendor: string; previous: DeliveryState };
export type ReplayTarget = { key: string; vendor: string } | { vendor: string } | { order_id: string; vendor?: string };

/**
 * Sets rows back to `pending` for a fresh set of attempts (the attempts log is kept). Only rows in `states`
 * are touched, and never one whose claim is running (a call in flight); at most `limit` rows per call.
 * One D1 batch (a transaction): the target's states before, the rows chosen, the update of exactly those.
 */
export async function resetForReplay(
  db: D1Database,
  target: ReplayTarget,
  states: readonly DeliveryState[],
  now: number,
  limit: number,
): Promise<{ replayed: Replayed[]; before: { state: DeliveryState; n: number }[] }> {
  const where =
    'key' in target
      ? 'event_key = ?1 AND vendor = ?2'
      : 'order_id' in target
        ? 'order_id = ?1 AND (?2 IS NULL OR vendor = ?2)'
        : '?1 IS NULL AND vendor = ?2';
  const a = 'key' in target ? target.key : 'order_id' in target ? target.order_id : null;
  const b = target.vendor ?? null;
  const chosen = `SELECT rowid FROM deliveries WHERE ${where} AND state IN (SELECT value FROM json_each(?3))
    AND (claimed_until IS NULL OR claimed_until < ?4) ORDER BY rowid LIMIT ?5`;
  const args = [a, b, JSON.stringify(states), now, limit] as const;
  const [before, replayed] = await db.batch([
    db.prepare(`SELECT state, count(*) AS n FROM deliveries WHERE ${where} GROUP BY state`).bind(a, b),
    db
      .prepare(`SELECT event_key, vendor, state AS previous FROM deliveries WHERE rowid IN (${chosen}) ORDER BY rowid`)
      .bind(...args),
    db
      .prepare(
        `UPDATE deliveries SET state = 'pending', reason = NULL, attempts = 0, claimed_until = NULL, next_attempt_at = ?4,
         updated_at = ?4, last_detail = 'replay requested by the operator'
       WHERE rowid IN (${chosen})`,
      )
      .bind(...args),
  ]);
  return {
    before: (before?.results ?? []) as { state: DeliveryState; n: number }[],
    replayed: (replayed?.results ?? []) as Replayed[],
  };
}

/** Dead rows whose state changed since `since`. */
export async function countDeadSince(db: D1Database, since: number): Promise<number> {
  const row = await db
    .prepare(`SELECT count(*) AS n FROM deliveries WHERE state = 'dead' AND updated_at >= ?1`)
    .bind(since)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export type FailingVendor = { vendor: string; failing: number; since: number; last_delivered: number | null };

/**
 * Per vendor, the rows failing (retry / dead / rejected, changed since `since`) that were created after the
 * vendor's latest delivery in that window, and when the oldest of them was created: a streak of failures.
 */
export async function failingStreaks(db: D1Database, since: number): Promise<FailingVendor[]> {
  const { results } = await db
    .prepare(
      `WITH failing AS (SELECT vendor, created_at FROM deliveries
                      WHERE state IN ('retry', 'dead', 'rejected') AND updated_at >= ?1),
          -- Walks deliveries_updated back from the newest row: a healthy vendor's last delivery is near the top.
          last AS MATERIALIZED (SELECT v.vendor, (SELECT d.updated_at FROM deliveries d WHERE +d.vendor = v.vendor
                                     AND +d.state = 'delivered' AND d.updated_at >= ?1
                                     ORDER BY d.updated_at DESC LIMIT 1) AS delivered_at
                   FROM (SELECT DISTINCT vendor FROM failing) v)
     SELECT f.vendor, count(*) AS failing, min(f.created_at) AS since, l.delivered_at AS last_delivered
     FROM failing f JOIN last l ON l.vendor = f.vendor
     WHERE f.created_at > coalesce(l.delivered_at, 0)
     GROUP BY f.vendor ORDER BY f.vendor`,
    )
    .bind(since)
    .all<FailingVendor>();
  return results;
}
