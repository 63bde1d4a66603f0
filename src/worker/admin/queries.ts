// The read models' D1 statements (the operator view and /health), over the tables of migrations/0002 and the
// predicates of src/worker/deliveries/state.ts. One order is read by its primary keys; /health reads the
// failed-rows index only. The dashboard's windows scan the tables: no index is kept for it alone.
import { eventOf, readEvents, type StoredRow } from '../deliveries/bodies';
import { bodyColumns, keyOf } from '../deliveries/keys';
import { type DeliveryState, SQL } from '../deliveries/state';
import type { CanonicalEvent, Status } from '../event';

export const STATES: readonly DeliveryState[] = [
  'delivered',
  'pending',
  'claimed',
  'retry',
  'skipped',
  'rejected',
  'dead',
];

/** A delivery row as the read models show it (the `deliveries` view's columns). */
export type DeliveryRow = {
  event_key: string;
  vendor: string;
  order_id: string;
  state: DeliveryState;
  reason: string | null;
  attempts: number;
  next_attempt_at: number;
  claimed_until: number | null;
  last_status: number | null;
  last_detail: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
};
const ROW_COLUMNS = `event_key, vendor, order_id, state, reason, attempts, next_attempt_at, claimed_until, last_status,
  last_detail, created_at, updated_at, delivered_at`;

export type StateCount = { vendor: string; state: DeliveryState; n: number };

/** Rows per vendor and state whose state changed since `since` (epoch ms). */
export async function countByVendorState(db: D1Database, since: number): Promise<StateCount[]> {
  const { results } = await db
    .prepare(
      `SELECT v.name AS vendor, d.state, count(*) AS n FROM order_deliveries d JOIN vendor_codes v ON v.code = d.vendor
       WHERE d.updated_at >= ?1 GROUP BY d.vendor, d.state`,
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
      `SELECT e.order_no, e.kind, o.ref AS order_id, e.status, e.occurred_at, e.received_at, e.source, ${bodyColumns('e')},
              (SELECT group_concat(v.name || ':' || d.state) FROM order_deliveries d JOIN vendor_codes v ON v.code = d.vendor
               WHERE d.order_no = e.order_no AND d.kind = e.kind) AS states
       FROM order_events e JOIN orders o ON o.id = e.order_no
       WHERE e.received_at < ?2 ORDER BY e.received_at DESC, e.order_no DESC, e.kind LIMIT ?1`,
    )
    .bind(limit, before ?? Number.MAX_SAFE_INTEGER)
    .all<Omit<EventSummary, 'key' | 'total' | 'currency' | 'email'> & StoredRow>();
  // An event stored as its changes is completed from its order's base event, fetched when not on this page.
  const read = await readEvents(results, async (wanted) => {
    const { results: bases } = await db
      .prepare(
        `SELECT e.order_no, e.kind, ${bodyColumns('e')} FROM order_events e WHERE (e.order_no, e.kind) IN
           (SELECT json_extract(value, '$.order_no'), json_extract(value, '$.kind') FROM json_each(?1))`,
      )
      .bind(JSON.stringify(wanted))
      .all<StoredRow>();
    return bases;
  });
  return results.map(({ order_no, kind, packed: _p, body: _b, ...r }) => {
    const e: Partial<CanonicalEvent> = eventOf(read, order_no, kind) ?? {};
    return {
      ...r,
      key: keyOf(kind, r.order_id),
      total: e.total ?? null,
      currency: e.currency ?? null,
      email: e.customer?.email ?? null,
    };
  });
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
  event_key: string;
  vendor: string;
  at: number;
  http_status: number | null;
  outcome: string;
  detail: string | null;
  duration_ms: number | null;
};

/**
 * One order's events, delivery rows and vendor calls (newest calls capped at `maxAttempts`): every failed call
 * from call_log, and each delivery's successful call from its row (time, HTTP status).
 */
export async function orderLedger(
  db: D1Database,
  orderId: string,
  maxAttempts = 500,
): Promise<{ events: StoredEvent[]; deliveries: DeliveryRow[]; attempts: AttemptRow[] }> {
  const order = `(SELECT id FROM orders WHERE ref = ?1)`;
  const [events, deliveries, attempts] = await db.batch([
    db
      .prepare(
        `SELECT e.order_no, e.kind, e.status, e.occurred_at, e.received_at, e.source, ${bodyColumns('e')} FROM order_events e
         WHERE e.order_no = ${order} ORDER BY e.occurred_at, e.received_at`,
      )
      .bind(orderId),
    db
      .prepare(`SELECT ${ROW_COLUMNS} FROM deliveries WHERE order_no = ${order} ORDER BY vendor, created_at, event_key`)
      .bind(orderId),
    db
      .prepare(
        `SELECT * FROM (
           SELECT a.kind, v.name AS vendor, a.at, a.http_status, a.outcome, a.detail, a.duration_ms
             FROM call_log a JOIN vendor_codes v ON v.code = a.vendor WHERE a.order_no = ${order}
           UNION ALL
           SELECT d.kind, v.name, d.updated_at, d.http_status, 'delivered',
                  d.http_status || ' (delivered; a vendor answer is kept for failures only)', NULL
             FROM order_deliveries d JOIN vendor_codes v ON v.code = d.vendor WHERE d.order_no = ${order} AND d.state = 'delivered'
           ORDER BY 3 DESC LIMIT ?2) ORDER BY at`,
      )
      .bind(orderId, maxAttempts),
  ]);
  type RawEvent = Omit<StoredEvent, 'event' | 'key'> & StoredRow;
  const raw = (events?.results ?? []) as RawEvent[];
  const read = await readEvents(raw);
  return {
    events: raw.flatMap(({ order_no, kind, packed: _p, body: _b, ...rest }) => {
      const event = eventOf(read, order_no, kind);
      return event ? [{ ...rest, key: keyOf(kind, orderId), event }] : [];
    }),
    deliveries: (deliveries?.results ?? []) as DeliveryRow[],
    attempts: ((attempts?.results ?? []) as (Omit<AttemptRow, 'event_key'> & { kind: string })[]).map(
      ({ kind, ...a }) => ({ ...a, event_key: keyOf(kind, orderId) }),
    ),
  };
}

export async function deliveryRow(
  db: D1Database,
  key: string,
  vendor: string,
  orderId: string,
): Promise<DeliveryRow | null> {
  return db
    .prepare(
      `SELECT ${ROW_COLUMNS} FROM deliveries WHERE order_no = (SELECT id FROM orders WHERE ref = ?3) AND vendor = ?2 AND event_key = ?1`,
    )
    .bind(key, vendor, orderId)
    .first<DeliveryRow>();
}

/** Dead rows whose state changed since `since` (the failed-rows index). */
export async function countDeadSince(db: D1Database, since: number): Promise<number> {
  const row = await db
    .prepare(
      `SELECT count(*) AS n FROM order_deliveries d WHERE ${SQL.failing} AND d.state = 'dead' AND d.updated_at >= ?1`,
    )
    .bind(since)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export type FailingVendor = { vendor: string; failing: number; since: number; last_delivered: number | null };

/**
 * Per vendor, the rows failing (retry / dead / rejected, changed since `since`) of orders newer than the vendor's
 * latest delivered order, and when the oldest of their events was received: a streak of failures. The latest
 * delivery is looked for only among orders from the vendor's oldest failing one on (a bounded walk of the key).
 */
export async function failingStreaks(db: D1Database, since: number): Promise<FailingVendor[]> {
  const { results } = await db
    .prepare(
      `WITH failing AS (SELECT d.vendor, d.order_no, d.kind FROM order_deliveries d WHERE ${SQL.failing} AND d.updated_at >= ?1),
            first AS (SELECT vendor, min(order_no) AS lo FROM failing GROUP BY vendor),
            last AS MATERIALIZED (SELECT f.vendor, (SELECT max(d.order_no) FROM order_deliveries d WHERE d.order_no >= f.lo
                                  AND +d.vendor = f.vendor AND +d.state = 'delivered') AS ok FROM first f)
       SELECT v.name AS vendor, count(*) AS failing, min(e.received_at) AS since,
              (SELECT max(d.updated_at) FROM order_deliveries d WHERE d.order_no = l.ok AND d.vendor = l.vendor
                 AND d.state = 'delivered') AS last_delivered
       FROM failing f JOIN last l ON l.vendor = f.vendor JOIN vendor_codes v ON v.code = f.vendor
         JOIN order_events e ON e.order_no = f.order_no AND e.kind = f.kind
       WHERE f.order_no > coalesce(l.ok, 0)
       GROUP BY f.vendor ORDER BY v.name`,
    )
    .bind(since)
    .all<FailingVendor>();
  return results;
}
