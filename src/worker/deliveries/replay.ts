// Replay (README "Operating"): rows go back to `pending` with a fresh set of attempts (transition `replay`);
// never a row whose claim is running, and a delivered row only when forced (the caller passes the states).
import { keyOf } from './keys';
import { type DeliveryState, SQL, sql, vendorCode } from './state';

export type Replayed = { event_key: string; order_id: string; vendor: string; previous: DeliveryState };
export type ReplayTarget = { key: string; vendor: string } | { vendor: string } | { order_id: string; vendor?: string };

/**
 * At most `limit` rows of the target in `states`, not in flight, set back to pending. One D1 batch (a
 * transaction): the target's states before, the rows chosen, the update of exactly those.
 */
export async function resetForReplay(
  db: D1Database,
  target: ReplayTarget,
  orderOfKey: string | null,
  states: readonly DeliveryState[],
  now: number,
  limit: number,
): Promise<{ replayed: Replayed[]; before: { state: DeliveryState; n: number }[] }> {
  const order = 'order_id' in target ? target.order_id : 'key' in target ? orderOfKey : null;
  const code = target.vendor === undefined ? null : (vendorCode(target.vendor) ?? -1);
  const where =
    'key' in target
      ? `d.order_no = (SELECT id FROM orders WHERE ref = ?1) AND d.vendor = ?2 AND d.kind = ?3`
      : 'order_id' in target
        ? `d.order_no = (SELECT id FROM orders WHERE ref = ?1) AND (?2 IS NULL OR d.vendor = ?2) AND ?3 IS NULL`
        : `?1 IS NULL AND d.vendor = ?2 AND ?3 IS NULL`;
  const kind = 'key' in target && order !== null ? keyKind(target.key, order) : null;
  const chosen = `SELECT d.order_no, d.vendor, d.kind FROM order_deliveries d WHERE ${where}
    AND d.state IN (SELECT value FROM json_each(?4)) AND NOT ${sql(SQL.inFlight, '?5')}
    ORDER BY d.order_no, d.vendor, d.kind LIMIT ?6`;
  const args = [order, code, kind, JSON.stringify(states), now, limit] as const;
  const [before, replayed] = await db.batch([
    // A forced resend overwrites the row's success: its call moves to the log first.
    db
      .prepare(`SELECT d.state, count(*) AS n FROM order_deliveries d WHERE ${where} GROUP BY d.state`)
      .bind(order, code, kind),
    db
      .prepare(
        `SELECT d.kind, o.ref AS order_id, v.name AS vendor, d.state AS previous
         FROM order_deliveries d JOIN orders o ON o.id = d.order_no JOIN vendor_codes v ON v.code = d.vendor
         WHERE (d.order_no, d.vendor, d.kind) IN (${chosen}) ORDER BY d.order_no, d.vendor, d.kind`,
      )
      .bind(...args),
    db
      .prepare(
        `INSERT INTO call_log (order_no, vendor, kind, at, http_status, outcome)
         SELECT d.order_no, d.vendor, d.kind, d.updated_at, d.http_status, 'delivered' FROM order_deliveries d
         WHERE d.state = 'delivered' AND (d.order_no, d.vendor, d.kind) IN (${chosen})`,
      )
      .bind(...args),
    db
      .prepare(
        `UPDATE order_deliveries SET state = 'pending', reason = NULL, attempts = 0, claim = NULL, claim_until = NULL,
           due_at = ?5, updated_at = ?5, detail = 'replay requested by the operator'
         WHERE (order_no, vendor, kind) IN (${chosen})`,
      )
      .bind(...args),
  ]);
  return {
    before: (before?.results ?? []) as { state: DeliveryState; n: number }[],
    replayed: ((replayed?.results ?? []) as (Omit<Replayed, 'event_key'> & { kind: string })[]).map(
      ({ kind, ...r }) => ({
        ...r,
        event_key: keyOf(kind, r.order_id),
      }),
    ),
  };
}

function keyKind(key: string, orderId: string): string {
  const prefix = `${encodeURIComponent(orderId)}:`;
  return key.startsWith(prefix) ? key.slice(prefix.length) : `=${key}`;
}
