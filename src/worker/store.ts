// Every D1 statement of the relay. Sets of ids travel as one JSON parameter (json_each) so no statement
// comes near D1's 100-bound-parameter limit, and each message batch costs a fixed number of statements.
import type { CanonicalEvent, Status } from './event';
import type { SentEvent } from './vendors/types';

export type DeliveryState = 'pending' | 'retry' | 'delivered' | 'skipped' | 'rejected' | 'dead';
export const FINAL_STATES: readonly DeliveryState[] = ['delivered', 'skipped', 'rejected', 'dead'];

export type Claimed = { event_key: string; order_id: string; attempts: number };
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

/** Keeps each JSON parameter well under D1's statement size limits. */
const CHUNK_BYTES = 400_000;

function chunkByJson<T>(list: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let size = 0;
  for (const x of list) {
    const n = JSON.stringify(x).length;
    if (chunk.length && size + n > CHUNK_BYTES) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(x);
    size += n;
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}

/**
 * Stores events once (INSERT OR IGNORE on the key) and creates their delivery rows, in one db.batch.
 * Returns the delivery rows this call created: only those need a queue message.
 */
export async function storeEvents(
  db: D1Database,
  events: readonly CanonicalEvent[],
  vendors: readonly string[],
  now: number,
): Promise<{ event_key: string; vendor: string }[]> {
  const statements: D1PreparedStatement[] = [];
  for (const chunk of chunkByJson(events)) {
    const rows = JSON.stringify(
      chunk.map((e) => ({
        key: e.key,
        order_id: e.order_id,
        status: e.status,
        occurred_at: e.occurred_at,
        received_at: e.context.received_at * 1000,
        source: e.context.source,
        body: JSON.stringify(e),
      })),
    );
    statements.push(
      db
        .prepare(
          `INSERT OR IGNORE INTO events (key, order_id, status, occurred_at, received_at, source, body)
       SELECT json_extract(value, '$.key'), json_extract(value, '$.order_id'), json_extract(value, '$.status'),
              json_extract(value, '$.occurred_at'), json_extract(value, '$.received_at'),
              json_extract(value, '$.source'), json_extract(value, '$.body')
       FROM json_each(?1)`,
        )
        .bind(rows),
    );
    if (vendors.length) {
      statements.push(
        db
          .prepare(
            `INSERT OR IGNORE INTO deliveries (event_key, vendor, order_id, state, next_attempt_at, created_at, updated_at)
         SELECT json_extract(e.value, '$.key'), v.value, json_extract(e.value, '$.order_id'), 'pending', ?3, ?3, ?3
         FROM json_each(?1) e, json_each(?2) v
         RETURNING event_key, vendor`,
          )
          .bind(rows, JSON.stringify(vendors), now),
      );
    }
  }
  const results = await db.batch<{ event_key: string; vendor: string }>(statements);
  return results.flatMap((r) => r.results ?? []);
}

/**
 * Claims the due rows of the orders behind `keys` for one vendor. Siblings of one order are claimed together
 * and never while another row of that order is in flight, so a vendor sees an order's events in sequence.
 */
export async function claimOrders(
  db: D1Database,
  vendor: string,
  keys: readonly string[],
  now: number,
  claimMs: number,
): Promise<Claimed[]> {
  const statements = [...new Set(keys)].map((key) =>
    db
      .prepare(
        `UPDATE deliveries SET claimed_until = ?3, attempts = attempts + 1, updated_at = ?2
     WHERE vendor = ?1
       AND order_id = (SELECT order_id FROM deliveries WHERE event_key = ?4 AND vendor = ?1)
       AND state IN ('pending', 'retry') AND next_attempt_at <= ?2 + 1000
       AND (claimed_until IS NULL OR claimed_until < ?2)
       AND NOT EXISTS (SELECT 1 FROM deliveries s WHERE s.vendor = ?1 AND s.order_id = deliveries.order_id
                       AND s.state IN ('pending', 'retry') AND s.claimed_until >= ?2)
     RETURNING event_key, order_id, attempts`,
      )
      .bind(vendor, now, now + claimMs, key),
  );
  if (!statements.length) return [];
  const results = await db.batch<Claimed>(statements);
  return results.flatMap((r) => r.results ?? []);
}

/** Claims up to `limit` due rows of a batched vendor (the periodic flush). */
export async function claimDue(
  db: D1Database,
  vendor: string,
  now: number,
  claimMs: number,
  limit: number,
): Promise<Claimed[]> {
  const { results } = await db
    .prepare(
      `UPDATE deliveries SET claimed_until = ?3, attempts = attempts + 1, updated_at = ?2
     WHERE rowid IN (SELECT rowid FROM deliveries WHERE vendor = ?1 AND state IN ('pending', 'retry')
                     AND next_attempt_at <= ?2 AND (claimed_until IS NULL OR claimed_until < ?2)
                     ORDER BY next_attempt_at LIMIT ?4)
     RETURNING event_key, order_id, attempts`,
    )
    .bind(vendor, now, now + claimMs, limit)
    .all<Claimed>();
  return results;
}

export async function countDue(db: D1Database, vendor: string, now: number): Promise<number> {
  const row = await db
    .prepare(
      `SELECT count(*) AS n FROM deliveries WHERE vendor = ?1 AND state IN ('pending', 'retry') AND next_attempt_at <= ?2`,
    )
    .bind(vendor, now)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export async function deliveryRows(db: D1Database, vendor: string, keys: readonly string[]): Promise<DeliveryRow[]> {
  const { results } = await db
    .prepare(`SELECT * FROM deliveries WHERE vendor = ?1 AND event_key IN (SELECT value FROM json_each(?2))`)
    .bind(vendor, JSON.stringify(keys))
    .all<DeliveryRow>();
  return results;
}

/** Every stored event of these orders. */
export async function orderEvents(db: D1Database, orderIds: readonly string[]): Promise<CanonicalEvent[]> {
  const { results } = await db
    .prepare(`SELECT body FROM events WHERE order_id IN (SELECT value FROM json_each(?1))`)
    .bind(JSON.stringify([...new Set(orderIds)]))
    .all<{ body: string }>();
  return results.map((r) => JSON.parse(r.body) as CanonicalEvent);
}

/** What one vendor already acknowledged, per order. */
export async function sentEvents(
  db: D1Database,
  vendor: string,
  orderIds: readonly string[],
): Promise<Map<string, SentEvent[]>> {
  const { results } = await db
    .prepare(
      `SELECT e.order_id, e.key, e.status, e.occurred_at FROM deliveries d JOIN events e ON e.key = d.event_key
     WHERE d.vendor = ?1 AND d.state = 'delivered' AND d.order_id IN (SELECT value FROM json_each(?2))`,
    )
    .bind(vendor, JSON.stringify([...new Set(orderIds)]))
    .all<{ order_id: string; key: string; status: Status; occurred_at: number }>();
  const byOrder = new Map<string, SentEvent[]>();
  for (const r of results)
    byOrder.set(r.order_id, [
      ...(byOrder.get(r.order_id) ?? []),
      { key: r.key, status: r.status, occurred_at: r.occurred_at },
    ]);
  return byOrder;
}

export type Result = {
  key: string;
  state: Exclude<DeliveryState, 'pending'>;
  httpStatus?: number;
  detail: string;
  reason?: string;
  nextAttemptAt?: number;
  durationMs?: number;
  /** The claim counted a try this row did not get (its call was never sent): take it back. */
  refund?: boolean;
};

/** Records outcomes and the attempt log in one batch; rows that meanwhile became final are left alone. */
export async function recordResults(
  db: D1Database,
  vendor: string,
  results: readonly Result[],
  now: number,
): Promise<void> {
  if (!results.length) return;
  const statements = results.flatMap((r) => {
    const update = db
      .prepare(
        `UPDATE deliveries SET state = ?3, reason = ?4, last_status = COALESCE(?5, last_status), last_detail = ?6,
         next_attempt_at = COALESCE(?7, next_attempt_at), claimed_until = NULL, updated_at = ?8,
         delivered_at = CASE WHEN ?3 = 'delivered' THEN ?8 ELSE delivered_at END, attempts = max(0, attempts - ?9)
       WHERE event_key = ?1 AND vendor = ?2 AND state IN ('pending', 'retry')`,
      )
      .bind(
        r.key,
        vendor,
        r.state,
        r.reason ?? null,
        r.httpStatus ?? null,
        r.detail,
        r.nextAttemptAt ?? null,
        now,
        r.refund ? 1 : 0,
      );
    if (r.state === 'skipped') return [update];
    const attempt = db
      .prepare(
        `INSERT INTO attempts (event_key, vendor, at, http_status, outcome, detail, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
      )
      .bind(r.key, vendor, now, r.httpStatus ?? null, r.state, r.detail, r.durationMs ?? null);
    return [update, attempt];
  });
  await db.batch(statements);
}

/** Marks rows dead (dead-letter queue); delivered rows stay delivered. */
export async function markDead(
  db: D1Database,
  rows: readonly { key: string; vendor: string }[],
  now: number,
  detail: string,
): Promise<number> {
  if (!rows.length) return 0;
  const results = await db.batch(
    rows.map((r) =>
      db
        .prepare(
          `UPDATE deliveries SET state = 'dead', claimed_until = NULL, updated_at = ?3, last_detail = COALESCE(last_detail, ?4)
     WHERE event_key = ?1 AND vendor = ?2 AND state IN ('pending', 'retry')`,
        )
        .bind(r.key, r.vendor, now, detail),
    ),
  );
  return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}

/**
 * Rows of queue vendors that lost their message: a claim that expired without an outcome, or a due row nobody
 * picked up within `graceMs`. A row waiting out its backoff (next_attempt_at in the future) is never touched.
 */
export async function takeStuck(
  db: D1Database,
  vendors: readonly string[],
  now: number,
  graceMs: number,
  limit = 500,
): Promise<{ event_key: string; vendor: string }[]> {
  const { results } = await db
    .prepare(
      `UPDATE deliveries SET claimed_until = NULL, next_attempt_at = ?2, updated_at = ?2
     WHERE rowid IN (SELECT rowid FROM deliveries WHERE state IN ('pending', 'retry')
                     AND vendor IN (SELECT value FROM json_each(?1))
                     AND ((claimed_until IS NOT NULL AND claimed_until < ?2)
                          OR (claimed_until IS NULL AND next_attempt_at < ?2 - ?3))
                     LIMIT ?4)
     RETURNING event_key, vendor`,
    )
    .bind(JSON.stringify(vendors), now, graceMs, limit)
    .all<{ event_key: string; vendor: string }>();
  return results;
}

/** Deletes events older than the retention whose deliveries are all final, with their rows and attempts. */
export async function purgeExpired(db: D1Database, cutoff: number): Promise<number> {
  const old = `SELECT key FROM events WHERE received_at < ?1 AND NOT EXISTS
    (SELECT 1 FROM deliveries d WHERE d.event_key = events.key AND d.state IN ('pending', 'retry'))`;
  const [, , gone] = await db.batch([
    db.prepare(`DELETE FROM attempts WHERE event_key IN (${old})`).bind(cutoff),
    db.prepare(`DELETE FROM deliveries WHERE event_key IN (${old})`).bind(cutoff),
    db.prepare(`DELETE FROM events WHERE key IN (${old})`).bind(cutoff),
  ]);
  return gone?.meta.changes ?? 0;
}

/** A lease row: true when this holder got it (no other holder's lease is still running). */
export async function acquireLease(
  db: D1Database,
  name: string,
  holder: string,
  now: number,
  ms: number,
): Promise<boolean> {
  const row = await db
    .prepare(
      `INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE leases.until < ?4
     RETURNING holder`,
    )
    .bind(name, holder, now + ms, now)
    .first<{ holder: string }>();
  return row?.holder === holder;
}

/** Writes a lease row unconditionally (used as a "last done at" marker). */
export async function setLease(db: D1Database, name: string, holder: string, until: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until`,
    )
    .bind(name, holder, until)
    .run();
}

export async function releaseLease(db: D1Database, name: string, holder: string): Promise<void> {
  await db.prepare(`UPDATE leases SET until = 0 WHERE name = ?1 AND holder = ?2`).bind(name, holder).run();
}

export async function leaseUntil(db: D1Database, name: string): Promise<number> {
  const row = await db.prepare(`SELECT until FROM leases WHERE name = ?1`).bind(name).first<{ until: number }>();
  return row?.until ?? 0;
}
