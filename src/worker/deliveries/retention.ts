// The cron's D1 work: claims that ran out, rows whose message was lost, and orders past the retention.
import { keyOf } from './keys';
import { SQL, sql } from './state';

export type LostRow = { key: string; order_id: string; vendor: number };

/**
 * Claims that ran out without a result become `retry` (transition `expire`, the try stays charged), and open
 * rows of `vendors` (codes) due for longer than `graceMs` with nobody on them are taken for a new message: their
 * due time moves to now, so the next run does not take them again before the grace. A row waiting out its
 * backoff is never touched. Three statements.
 */
export async function takeLost(
  db: D1Database,
  vendors: readonly number[],
  now: number,
  graceMs: number,
  limit = 500,
): Promise<LostRow[]> {
  const codes = JSON.stringify(vendors);
  const [, taken] = await db.batch([
    db
      .prepare(
        `UPDATE order_deliveries AS d SET state = 'retry', due_at = ?2 - ?3 - 1, claim_until = NULL, updated_at = ?2
         WHERE d.vendor IN (SELECT value FROM json_each(?1)) AND ${SQL.indexed} AND d.state = 'claimed' AND d.claim_until < ?2`,
      )
      .bind(codes, now, graceMs),
    db
      .prepare(
        `UPDATE order_deliveries AS d SET due_at = ?2, updated_at = ?2
         WHERE (d.order_no, d.vendor, d.kind) IN (
           SELECT s.order_no, s.vendor, s.kind FROM order_deliveries s WHERE s.vendor IN (SELECT value FROM json_each(?1))
             AND ${sql(SQL.indexed, '?2', 's')} AND s.state IN ('pending', 'retry') AND s.due_at < ?2 - ?3 LIMIT ?4)
         RETURNING order_no, vendor, kind`,
      )
      .bind(codes, now, graceMs, limit),
  ]);
  const rows = (taken?.results ?? []) as { order_no: number; vendor: number; kind: string }[];
  if (!rows.length) return [];
  const { results } = await db
    .prepare(`SELECT id, ref FROM orders WHERE id IN (SELECT value FROM json_each(?1))`)
    .bind(JSON.stringify([...new Set(rows.map((r) => r.order_no))]))
    .all<{ id: number; ref: string }>();
  const refs = new Map(results.map((r) => [r.id, r.ref]));
  return rows.flatMap((r) => {
    const ref = refs.get(r.order_no);
    return ref === undefined ? [] : [{ key: keyOf(r.kind, ref), order_id: ref, vendor: r.vendor }];
  });
}

/**
 * Orders leave whole: among the oldest `scan` orders, those whose every event was received before `cutoff` and
 * whose every delivery is final are deleted with their events, deliveries and failed attempts. Four statements;
 * returns the events deleted.
 */
export async function purgeExpired(db: D1Database, cutoff: number, scan = 2000): Promise<number> {
  const old = `SELECT o.id FROM (SELECT id FROM orders ORDER BY id LIMIT ?2) o
    WHERE NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_no = o.id AND e.received_at >= ?1)
      AND NOT EXISTS (SELECT 1 FROM order_deliveries d WHERE d.order_no = o.id AND ${SQL.open})`;
  const [, , gone] = await db.batch([
    db.prepare(`DELETE FROM call_log WHERE order_no IN (${old})`).bind(cutoff, scan),
    db.prepare(`DELETE FROM order_deliveries WHERE order_no IN (${old})`).bind(cutoff, scan),
    db.prepare(`DELETE FROM order_events WHERE order_no IN (${old})`).bind(cutoff, scan),
    db
      .prepare(
        `DELETE FROM orders WHERE id IN (SELECT o.id FROM (SELECT id FROM orders ORDER BY id LIMIT ?1) o
           WHERE NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_no = o.id))`,
      )
      .bind(scan),
  ]);
  return gone?.meta.changes ?? 0;
}
