// The operator's view of browse events: one counter per UTC day, event type and outcome (table browse_counts),
// never a row per event. A consumer batch adds its tally in ONE set-based upsert (the tally as one JSON parameter,
// expanded by json_each: D1 allows 100 bound parameters per statement and 1,000 statements per invocation), plus
// one DELETE of the days past RETENTION_DAYS.
import type { BrowseType } from './event';

/**
 * What became of an event: sent and accepted (delivered) or refused for good (rejected); put back on the queue for
 * a later try (retry: counted per try, so not part of the event total); given up after the last try (gave_up);
 * or not sent at all: no email or phone (skipped_anonymous), Consent Mode denial (skipped_consent), eSputnik not
 * configured (skipped_disabled).
 */
export const BROWSE_OUTCOMES = [
  'delivered',
  'rejected',
  'retry',
  'gave_up',
  'skipped_anonymous',
  'skipped_consent',
  'skipped_disabled',
] as const;
export type BrowseOutcome = (typeof BROWSE_OUTCOMES)[number];

/** `YYYY-MM-DD` (UTC) of unix seconds. */
export const dayOf = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString().slice(0, 10);

/** Counts of one batch, by day, type and outcome. */
export class Tally {
  private readonly counts = new Map<string, number>();
  add(day: string, type: BrowseType, outcome: BrowseOutcome, n = 1): void {
    const key = `${day}|${type}|${outcome}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  /** `[day, type, outcome, n]` rows. */
  rows(): [string, string, string, number][] {
    return [...this.counts].map(([key, n]) => {
      const [day = '', type = '', outcome = ''] = key.split('|');
      return [day, type, outcome, n];
    });
  }
  get size(): number {
    return this.counts.size;
  }
}

// `WHERE true`: SQLite needs it to parse an upsert whose rows come from a SELECT.
const UPSERT = `INSERT INTO browse_counts (day, type, outcome, n)
  SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),
    json_extract(value, '$[2]'), json_extract(value, '$[3]')
  FROM json_each(?1) WHERE true
  ON CONFLICT (day, type, outcome) DO UPDATE SET n = n + excluded.n`;

/** Adds a batch's tally and drops the days older than `keepDays`: two statements, whatever the batch size. */
export async function recordTally(db: D1Database, tally: Tally, keepDays: number, now: number): Promise<void> {
  if (!tally.size) return;
  const oldest = dayOf(Math.floor(now / 1000) - keepDays * 86_400);
  await db.batch([
    db.prepare(UPSERT).bind(JSON.stringify(tally.rows())),
    db.prepare('DELETE FROM browse_counts WHERE day < ?1').bind(oldest),
  ]);
}

export type BrowseCountRow = { day: string; type: BrowseType; outcome: BrowseOutcome; n: number };

/** The counters of the last `days` UTC days (today included), newest day first. */
export async function browseCounts(
  db: D1Database,
  days: number,
  now: number,
): Promise<{ since: string; rows: BrowseCountRow[] }> {
  const since = dayOf(Math.floor(now / 1000) - (days - 1) * 86_400);
  const { results } = await db
    .prepare('SELECT day, type, outcome, n FROM browse_counts WHERE day >= ?1 ORDER BY day DESC, type, outcome')
    .bind(since)
    .all<BrowseCountRow>();
  return { since, rows: results };
}
