// The engine's D1 statements: store, claim, read, record, dead-letter. Every set of rows travels as one bound
// JSON array (json_each), so a batch of N rows costs a fixed number of statements and never nears D1's
// 100-bound-parameter limit. Transitions follow ./state.ts; every write of a result presents its claim id.
import type { CanonicalEvent, Status } from '../event';
import type { SentEvent } from '../vendors/types';
import { eventOf, readEvents, type StoredRow, storedForm } from './bodies';
import { bodyColumns, keyPrefix, kindOf, packBody, unpackBody } from './keys';
import type { Result } from './results';
import { type DeliveryState, SQL, sql } from './state';

/** Keeps each JSON parameter well under D1's 2 MB value limit. */
const CHUNK_BYTES = 400_000;

export function chunkByJson<T>(list: readonly T[], limit = CHUNK_BYTES): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let size = 0;
  for (const x of list) {
    const n = JSON.stringify(x).length;
    if (chunk.length && size + n > limit) {
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

/** A delivery row addressed for a message: the event key, the vendor code, the shop's order id. */
export type NewRow = { key: string; order_id: string; vendor: number };

/**
 * Stores events once (INSERT OR IGNORE on order + kind) and creates their delivery rows for `vendors` (codes):
 * four statements per chunk of events. Returns the delivery rows this call created: only those need a message.
 */
export async function storeEvents(
  db: D1Database,
  events: readonly CanonicalEvent[],
  vendors: readonly number[],
  now: number,
): Promise<NewRow[]> {
  const bases = await fullBases(db, events);
  const packed = await Promise.all(
    events.map(async (e) => ({
      o: e.order_id,
      p: keyPrefix(e.order_id) === e.order_id ? null : keyPrefix(e.order_id),
      k: kindOf(e.key, e.order_id),
      s: e.status,
      t: e.occurred_at,
      r: e.context.received_at * 1000,
      src: e.context.source,
      b: await packBody(storedForm(e, bases.get(e.order_id))),
    })),
  );
  const out: NewRow[] = [];
  for (const chunk of chunkByJson(packed)) {
    const rows = JSON.stringify(chunk);
    const statements = [
      db
        .prepare(
          `INSERT OR IGNORE INTO orders (ref, kp)
           SELECT DISTINCT json_extract(value, '$.o'), json_extract(value, '$.p') FROM json_each(?1)`,
        )
        .bind(rows),
      db
        .prepare(
          `INSERT OR IGNORE INTO order_events (order_no, kind, status, occurred_at, received_at, source, body)
           SELECT o.id, json_extract(j.value, '$.k'), json_extract(j.value, '$.s'), json_extract(j.value, '$.t'),
                  json_extract(j.value, '$.r'), json_extract(j.value, '$.src'), unhex(json_extract(j.value, '$.b'))
           FROM json_each(?1) j JOIN orders o ON o.ref = json_extract(j.value, '$.o')`,
        )
        .bind(rows),
      db
        .prepare(
          `INSERT OR IGNORE INTO order_deliveries (order_no, vendor, kind, state, due_at, updated_at)
           SELECT o.id, v.value, json_extract(j.value, '$.k'), 'pending', ?3, ?3
           FROM json_each(?1) j JOIN orders o ON o.ref = json_extract(j.value, '$.o'), json_each(?2) v
           RETURNING order_no, vendor, kind`,
        )
        .bind(rows, JSON.stringify(vendors), now),
      db
        .prepare(`SELECT id, ref FROM orders WHERE ref IN (SELECT json_extract(value, '$.o') FROM json_each(?1))`)
        .bind(rows),
    ];
    if (!vendors.length) statements.splice(2, 1);
    const results = await db.batch(statements);
    const refs = new Map(
      ((results[results.length - 1]?.results ?? []) as { id: number; ref: string }[]).map((r) => [r.id, r.ref]),
    );
    const created = vendors.length
      ? ((results[2]?.results ?? []) as { order_no: number; vendor: number; kind: string }[])
      : [];
    for (const r of created) {
      const ref = refs.get(r.order_no);
      if (ref !== undefined) out.push({ key: keyOfRow(r.kind, ref), order_id: ref, vendor: r.vendor });
    }
  }
  return out;
}

/** Per order, its earliest stored event that is stored whole: the base its later events are stored against. */
async function fullBases(
  db: D1Database,
  events: readonly CanonicalEvent[],
): Promise<Map<string, { kind: string; event: Record<string, unknown> }>> {
  const { results } = await db
    .prepare(
      `SELECT o.ref, e.kind, ${bodyColumns('e')} FROM order_events e JOIN orders o ON o.id = e.order_no
       WHERE o.ref IN (SELECT value FROM json_each(?1)) ORDER BY e.order_no, e.occurred_at, e.kind`,
    )
    .bind(JSON.stringify([...new Set(events.map((e) => e.order_id))]))
    .all<{ ref: string; kind: string; packed: number; body: string }>();
  const bases = new Map<string, { kind: string; event: Record<string, unknown> }>();
  for (const r of results) {
    if (bases.has(r.ref)) continue;
    const event = JSON.parse(await unpackBody(r.body, r.packed)) as Record<string, unknown>;
    if (!('~' in event)) bases.set(r.ref, { kind: r.kind, event });
  }
  return bases;
}

const keyOfRow = (kind: string, ref: string): string =>
  kind.startsWith('=') ? kind.slice(1) : `${keyPrefix(ref)}:${kind}`;

/** A claimed row: what the claim returned plus its fencing token. */
export type Claimed = { order_no: number; kind: string; attempts: number };
export type Claim = { id: number; until: number; rows: Claimed[] };

/** A fresh fencing token (53 random bits: a D1 INTEGER, exact in JS). */
export const newClaimId = (): number => {
  const [hi = 0, lo = 0] = crypto.getRandomValues(new Uint32Array(2));
  return (hi & 0x1f_ffff) * 2 ** 32 + lo || 1;
};

const NO_BUSY_SIBLING = `NOT EXISTS (SELECT 1 FROM order_deliveries s WHERE s.order_no = d.order_no AND s.vendor = d.vendor
  AND ${sql(SQL.open, '?3', 's')} AND (${sql(SQL.inFlight, '?3', 's')} OR ${sql(SQL.waiting, '?3', 's')}))`;

/**
 * Claims, for one vendor, every claimable row of the orders behind `orderIds`, one order at a time as a whole:
 * an order with a row in flight or waiting out a backoff is not claimed (a later event never overtakes an
 * earlier one), and its due rows are deferred to when the waiting row is due (its message claims them all).
 * Two statements in one batch.
 */
export async function claimOrders(
  db: D1Database,
  vendor: number,
  orderIds: readonly string[],
  now: number,
  claimMs: number,
): Promise<Claim> {
  const id = newClaimId();
  const until = now + claimMs;
  const refs = JSON.stringify([...new Set(orderIds)]);
  const [, claimed] = await db.batch<Claimed>([
    db
      .prepare(
        `UPDATE order_deliveries AS d SET due_at = w.until, updated_at = ?3
         FROM (SELECT s.order_no, max(s.due_at) AS until FROM order_deliveries s
               WHERE s.vendor = ?1 AND s.order_no IN (SELECT id FROM orders WHERE ref IN (SELECT value FROM json_each(?2)))
                 AND ${sql(SQL.waiting, '?3', 's')} GROUP BY s.order_no) AS w
         WHERE d.order_no = w.order_no AND d.vendor = ?1 AND ${sql(SQL.due, '?3')}`,
      )
      .bind(vendor, refs, now),
    db
      .prepare(
        `UPDATE order_deliveries AS d SET state = 'claimed', claim = ?4, claim_until = ?5, attempts = attempts + 1, updated_at = ?3
         WHERE d.vendor = ?1 AND d.order_no IN (SELECT id FROM orders WHERE ref IN (SELECT value FROM json_each(?2)))
           AND ${sql(SQL.claimable, '?3')} AND ${NO_BUSY_SIBLING}
         RETURNING order_no, kind, attempts`,
      )
      .bind(vendor, refs, now, id, until),
  ]);
  return { id, until, rows: claimed?.results ?? [] };
}

/** Claims up to about `limit` due rows of a batched vendor (the flush), whole orders at a time. One statement. */
export async function claimDue(
  db: D1Database,
  vendor: number,
  now: number,
  claimMs: number,
  limit: number,
): Promise<Claim> {
  const id = newClaimId();
  const until = now + claimMs;
  const { results } = await db
    .prepare(
      `UPDATE order_deliveries AS d SET state = 'claimed', claim = ?4, claim_until = ?5, attempts = attempts + 1, updated_at = ?3
       WHERE d.vendor = ?1 AND d.order_no IN (SELECT s.order_no FROM order_deliveries s WHERE s.vendor = ?1
               AND ${sql(SQL.indexed, '?3', 's')} AND ${sql(SQL.claimable, '?3', 's')} ORDER BY s.due_at LIMIT ?2)
         AND ${sql(SQL.claimable, '?3')} AND ${NO_BUSY_SIBLING}
       RETURNING order_no, kind, attempts`,
    )
    .bind(vendor, limit, now, id, until)
    .all<Claimed>();
  return { id, until, rows: results };
}

/** Extends a running claim (before a long plan or a bisect); false when the claim was lost meanwhile. */
export async function renewClaim(db: D1Database, vendor: number, claim: number, until: number): Promise<boolean> {
  const r = await db
    .prepare(`UPDATE order_deliveries SET claim_until = ?3 WHERE vendor = ?1 AND claim = ?2 AND state = 'claimed'`)
    .bind(vendor, claim, until)
    .run();
  return (r.meta.changes ?? 0) > 0;
}

export type OrderEvents = { events: CanonicalEvent[]; sent: Map<string, SentEvent[]>; byOrderNo: Map<number, string> };

/** Every stored event of these orders, and which of them this vendor acknowledged. One statement. */
export async function loadOrders(db: D1Database, vendor: number, orderNos: readonly number[]): Promise<OrderEvents> {
  const { results } = await db
    .prepare(
      `SELECT e.order_no, e.kind, ${bodyColumns('e')},
              (SELECT d.state FROM order_deliveries d WHERE d.order_no = e.order_no AND d.vendor = ?1 AND d.kind = e.kind) AS vstate
       FROM order_events e WHERE e.order_no IN (SELECT value FROM json_each(?2))`,
    )
    .bind(vendor, JSON.stringify([...new Set(orderNos)]))
    .all<StoredRow & { vstate: DeliveryState | null }>();
  const read = await readEvents(results);
  const events: CanonicalEvent[] = [];
  const sent = new Map<string, SentEvent[]>();
  const byOrderNo = new Map<number, string>();
  results.forEach((r) => {
    const e = eventOf(read, r.order_no, r.kind);
    if (!e) return;
    events.push(e);
    byOrderNo.set(r.order_no, e.order_id);
    if (r.vstate !== 'delivered') return;
    const list = sent.get(e.order_id) ?? [];
    list.push({ key: e.key, status: e.status as Status, occurred_at: e.occurred_at });
    sent.set(e.order_id, list);
  });
  return { events, sent, byOrderNo };
}

/** Every stored event of these orders (by the shop's order id). One statement. */
export async function orderEvents(db: D1Database, orderIds: readonly string[]): Promise<CanonicalEvent[]> {
  const { results } = await db
    .prepare(
      `SELECT e.order_no, e.kind, ${bodyColumns('e')} FROM order_events e
       WHERE e.order_no IN (SELECT id FROM orders WHERE ref IN (SELECT value FROM json_each(?1)))`,
    )
    .bind(JSON.stringify([...new Set(orderIds)]))
    .all<StoredRow>();
  return [...(await readEvents(results)).values()];
}

/** What one vendor already acknowledged, per order. */
export async function sentEvents(
  db: D1Database,
  vendor: number,
  orderIds: readonly string[],
): Promise<Map<string, SentEvent[]>> {
  const { results } = await db
    .prepare(`SELECT id FROM orders WHERE ref IN (SELECT value FROM json_each(?1))`)
    .bind(JSON.stringify([...new Set(orderIds)]))
    .all<{ id: number }>();
  return (
    await loadOrders(
      db,
      vendor,
      results.map((r) => r.id),
    )
  ).sent;
}

/**
 * The vendor's answer is kept for failures only; a success keeps it only when it tells of a failure on the way
 * (a refused batch that was bisected: `after batch rejection (…)`).
 */
const keptDetail = (r: Result): string | null =>
  r.state !== 'delivered' && r.state !== 'skipped'
    ? r.detail
    : r.detail.startsWith('after batch rejection')
      ? r.detail
      : null;

/** A result addressed to its row. */
export type RowResult = Result & { order_no: number; kind: string; order_id: string };

/**
 * Records results of one claim: only rows still holding `claim` (claimed, or expired and not re-claimed) change,
 * so a worker whose claim was taken over cannot overwrite the new claimant. Failed calls also go to
 * call_log (a success is the delivery row itself). One or two statements per chunk; returns the rows written.
 */
export async function recordResults(
  db: D1Database,
  vendor: number,
  claim: number,
  results: readonly RowResult[],
  now: number,
): Promise<number> {
  if (!results.length) return 0;
  const fields = `json_extract(value, '$.o') AS o, json_extract(value, '$.k') AS k, json_extract(value, '$.s') AS s,
    json_extract(value, '$.r') AS r, json_extract(value, '$.h') AS h, json_extract(value, '$.d') AS dt,
    json_extract(value, '$.n') AS n, json_extract(value, '$.u') AS u, json_extract(value, '$.ms') AS ms`;
  const holds = `d.order_no = j.o AND d.vendor = ?1 AND d.kind = j.k AND d.claim = ?2 AND d.state IN ('claimed', 'retry')`;
  let written = 0;
  for (const chunk of chunkByJson(
    results.map((r) => ({
      o: r.order_no,
      k: r.kind,
      s: r.state,
      r: r.reason ?? null,
      h: r.httpStatus ?? null,
      d: keptDetail(r),
      n: r.nextAttemptAt ?? null,
      u: r.uncharged ? 1 : 0,
      ms: r.durationMs ?? null,
    })),
  )) {
    const rows = JSON.stringify(chunk);
    const statements: D1PreparedStatement[] = [];
    if (chunk.some((r) => r.s !== 'delivered' && r.s !== 'skipped'))
      statements.push(
        db
          .prepare(
            `INSERT INTO call_log (order_no, vendor, kind, at, http_status, outcome, detail, duration_ms)
             SELECT d.order_no, d.vendor, d.kind, ?3, j.h, j.s, j.dt, j.ms
             FROM (SELECT ${fields} FROM json_each(?4)) j JOIN order_deliveries d ON ${holds}
             WHERE j.s NOT IN ('delivered', 'skipped')`,
          )
          .bind(vendor, claim, now, rows),
      );
    statements.push(
      db
        .prepare(
          `UPDATE order_deliveries AS d SET state = j.s, reason = j.r, attempts = max(0, d.attempts - j.u),
             due_at = CASE WHEN j.s = 'retry' THEN coalesce(j.n, ?3) END, claim = NULL, claim_until = NULL,
             http_status = coalesce(j.h, d.http_status),
             detail = j.dt, updated_at = ?3
           FROM (SELECT ${fields} FROM json_each(?4)) AS j
           WHERE ${holds}`,
        )
        .bind(vendor, claim, now, rows),
    );
    const out = await db.batch(statements);
    written += out[out.length - 1]?.meta.changes ?? 0;
  }
  return written;
}

/** Rows addressed by event key and order id (messages). */
export type KeyRef = { key: string; order_id: string };
const keyRows = (rows: readonly KeyRef[]) =>
  JSON.stringify(rows.map((r) => ({ o: r.order_id, k: kindOf(r.key, r.order_id) })));
const BY_KEYS = `(d.order_no, d.kind) IN (SELECT o.id, json_extract(j.value, '$.k') FROM json_each(?2) j
  JOIN orders o ON o.ref = json_extract(j.value, '$.o'))`;

/** The vendor is not configured: its claimable rows are skipped (transition `skip`). One statement. */
export async function skipRows(db: D1Database, vendor: number, rows: readonly KeyRef[], now: number): Promise<number> {
  if (!rows.length) return 0;
  const r = await db
    .prepare(
      `UPDATE order_deliveries AS d SET state = 'skipped', reason = 'vendor_disabled', due_at = NULL, claim = NULL,
         claim_until = NULL, detail = NULL, updated_at = ?3
       WHERE d.vendor = ?1 AND ${BY_KEYS} AND ${sql(SQL.claimable, '?3')}`,
    )
    .bind(vendor, keyRows(rows), now)
    .run();
  return r.meta.changes ?? 0;
}

/** Dead letters: rows whose attempts reached `budget` and are not in flight become dead. One statement. */
export async function markDead(
  db: D1Database,
  vendor: number,
  rows: readonly KeyRef[],
  budget: number,
  now: number,
  detail: string,
): Promise<number> {
  if (!rows.length) return 0;
  const r = await db
    .prepare(
      `UPDATE order_deliveries AS d SET state = 'dead', due_at = NULL, claim = NULL, claim_until = NULL, updated_at = ?3,
         detail = coalesce(detail, ?5)
       WHERE d.vendor = ?1 AND ${BY_KEYS} AND ${sql(SQL.claimable, '?3')} AND d.attempts >= ?4`,
    )
    .bind(vendor, keyRows(rows), now, budget, detail)
    .run();
  return r.meta.changes ?? 0;
}

export type RowView = {
  order_id: string;
  key: string;
  state: DeliveryState;
  due_at: number | null;
  claim_until: number | null;
};

/** The rows of one vendor behind these keys (how the consumer decides a message it did not claim). */
export async function rowsByKeys(db: D1Database, vendor: number, rows: readonly KeyRef[]): Promise<RowView[]> {
  if (!rows.length) return [];
  const { results } = await db
    .prepare(
      `SELECT o.ref AS order_id, d.kind, d.state, d.due_at, d.claim_until FROM order_deliveries d JOIN orders o ON o.id = d.order_no
       WHERE d.vendor = ?1 AND ${BY_KEYS}`,
    )
    .bind(vendor, keyRows(rows))
    .all<Omit<RowView, 'key'> & { kind: string }>();
  return results.map(({ kind, ...r }) => ({ ...r, key: keyOfRow(kind, r.order_id) }));
}

/** Open rows of the events behind these keys that still wait for their first claim (redelivered ingest). */
export async function pendingRows(db: D1Database, rows: readonly KeyRef[]): Promise<NewRow[]> {
  if (!rows.length) return [];
  const { results } = await db
    .prepare(
      `SELECT o.ref AS order_id, d.kind, d.vendor FROM order_deliveries d JOIN orders o ON o.id = d.order_no
       WHERE ${BY_KEYS.replace('?2', '?1')} AND d.state = 'pending'`,
    )
    .bind(keyRows(rows))
    .all<{ order_id: string; kind: string; vendor: number }>();
  return results.map((r) => ({ key: keyOfRow(r.kind, r.order_id), order_id: r.order_id, vendor: r.vendor }));
}

export async function countDue(db: D1Database, vendor: number, now: number): Promise<number> {
  const row = await db
    .prepare(
      `SELECT count(*) AS n FROM order_deliveries d WHERE d.vendor = ?1 AND ${SQL.indexed} AND ${sql(SQL.due, '?2')}`,
    )
    .bind(vendor, now)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
