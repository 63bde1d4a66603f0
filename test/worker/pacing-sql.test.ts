// The D1 form of pacing (src/worker/deliveries/pacing.ts) answers as the pure model does, and concurrent
// reservations cannot spend the same tokens. The table is created here until the migration wiring pacing lands.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  answerStatement,
  freshPace,
  onAnswer,
  onThrottle,
  PACE_TABLE,
  type Pace,
  paceBatch,
  parkedVendors,
  type RateLimit,
  recordPace,
  reservationFromRow,
  reserve,
  reserveStatement,
  throttleStatement,
} from '../../src/worker/deliveries/pacing';
import { env } from './helpers';

const limit: RateLimit = { max: 1000, windowMs: 60_000, env: 'X', requestsPerEvent: 1 };
type Row = Pace & { granted: number };

async function sqlReserve(vendor: string, wanted: number, now: number): Promise<Row> {
  const row = await reserveStatement(env.DB, vendor, limit, wanted, now).first<Row>();
  if (!row) throw new Error('no row returned');
  return row;
}

describe('pacing in D1', () => {
  beforeAll(async () => {
    await env.DB.prepare(PACE_TABLE).run();
  });

  it('reserve, 429 and answer give the same grants, tokens and pauses as the pure model', async () => {
    const vendor = `v-${Date.now()}`;
    let model = freshPace(vendor, limit, 0);
    const steps: [string, number, number?][] = [
      ['reserve', 0, 500],
      ['reserve', 1000, 500],
      ['reserve', 1500, 3],
      ['throttle', 2000, 30],
      ['reserve', 20_000, 50],
      ['reserve', 33_000, 50],
      ['throttle', 34_000],
      ['throttle', 35_000],
      ['answer', 40_000],
      ['reserve', 120_000, 400],
    ];
    for (const [op, now, arg] of steps) {
      if (op === 'reserve') {
        const want = arg ?? 0;
        const r = reserve(model, limit, want, now);
        model = r.pace;
        const row = await sqlReserve(vendor, want, now);
        const fromRow = reservationFromRow(row, limit, want, now);
        expect({ op, now, granted: row.granted }).toEqual({ op, now, granted: r.granted });
        expect(row.tokens).toBeCloseTo(r.pace.tokens, 6);
        expect(fromRow.waitMs).toBe(r.waitMs);
        expect(row.paused_until).toBe(r.pace.paused_until);
      } else if (op === 'throttle') {
        model = onThrottle(model, now, arg);
        await throttleStatement(env.DB, vendor, now, arg).run();
      } else {
        model = onAnswer(model);
        await answerStatement(env.DB, vendor).run();
      }
      const row = await env.DB.prepare('SELECT * FROM vendor_pace WHERE vendor = ?1').bind(vendor).first<Row>();
      expect({ op, now, paused: row?.paused_until, throttles: row?.throttles, since: row?.throttled_since }).toEqual({
        op,
        now,
        paused: model.paused_until,
        throttles: model.throttles,
        since: model.throttled_since,
      });
    }
  });

  it('concurrent reservations share one bucket: 8 at once get a bucketful between them, not 8', async () => {
    const vendor = `c-${Date.now()}`;
    const rows = await Promise.all(Array.from({ length: 8 }, () => sqlReserve(vendor, 40, 5000)));
    expect(rows.reduce((s, r) => s + r.granted, 0)).toBe(100);
  });

  it('an answer writes nothing unless a run of throttles ends', async () => {
    const vendor = `a-${Date.now()}`;
    await sqlReserve(vendor, 1, 0);
    expect((await answerStatement(env.DB, vendor).run()).meta.changes).toBe(0);
    await throttleStatement(env.DB, vendor, 10, undefined).run();
    expect((await answerStatement(env.DB, vendor).run()).meta.changes).toBe(1);
  });

  it('paceBatch splits a batch into now and later; a 429 pauses every later batch; an answer resumes', async () => {
    const vars = { ECOMAIL_MAX_PER_MINUTE: '20' }; // a bucket of 2, 18 a minute after it
    await env.DB.prepare("DELETE FROM vendor_pace WHERE vendor IN ('ecomail', 'yandex')").run();
    const first = await paceBatch(env.DB, 'ecomail', ['a', 'b', 'c', 'd'], vars, 1_000);
    expect(first).toMatchObject({ go: ['a', 'b'], later: ['c', 'd'], parked: false });
    expect(first.waitSeconds).toBe(7); // two tokens at 18 a minute
    expect((await paceBatch(env.DB, 'yandex', ['x'], vars, 1_000)).go).toEqual(['x']); // not paced
    await recordPace(env.DB, 'ecomail', [{ status: 200 }, { status: 429, retryAfterSeconds: 30 }], vars, 2_000);
    const paused = await paceBatch(env.DB, 'ecomail', ['e'], vars, 20_000);
    expect(paused).toMatchObject({ go: [], later: ['e'], waitSeconds: 12 });
    expect(await parkedVendors(env.DB, { PACING_PARK_AFTER_MINUTES: '1' }, 63_000)).toMatchObject([
      { vendor: 'ecomail', throttled_since: 2_000 },
    ]);
    await recordPace(env.DB, 'ecomail', [{ status: 200 }], vars, 70_000);
    expect(await parkedVendors(env.DB, { PACING_PARK_AFTER_MINUTES: '1' }, 70_000)).toEqual([]);
    expect((await paceBatch(env.DB, 'ecomail', ['f'], vars, 40_000)).go).toEqual(['f']);
  });
});
