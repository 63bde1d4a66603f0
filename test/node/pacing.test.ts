// Pacing per vendor (src/worker/deliveries/pacing.ts), pure: the bucket never lets a window hold more than the
// vendor's limit, however many invocations reserve at once; a 429 pauses the whole vendor; long throttling parks it.
import { describe, expect, it } from 'vitest';
import {
  bucket,
  DEFAULT_POLICY,
  effectiveLimit,
  freshPace,
  isParked,
  onAnswer,
  onThrottle,
  type Pace,
  pacingPolicy,
  type RateLimit,
  reserve,
} from '../../src/worker/deliveries/pacing';
import { RATE_LIMIT as ECOMAIL } from '../../src/worker/vendors/ecomail';
import { RATE_LIMIT as ESPUTNIK } from '../../src/worker/vendors/esputnik';
import { RATE_LIMIT as MYTRACKER } from '../../src/worker/vendors/mytracker';
import { RATE_LIMIT as VTMARKETING } from '../../src/worker/vendors/vtmarketing';

/** Deterministic rng (mulberry32). */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The most requests in any window of `ms` (sliding). */
function peak(sends: { at: number; n: number }[], ms: number): number {
  const sorted = [...sends].sort((a, b) => a.at - b.at);
  let best = 0;
  let sum = 0;
  let j = 0;
  for (const s of sorted) {
    sum += s.n;
    while ((sorted[j]?.at ?? 0) <= s.at - ms) sum -= sorted[j++]?.n ?? 0;
    best = Math.max(best, sum);
  }
  return best;
}

describe('pacing: the limits in the vendor modules', () => {
  it('are the documented figures (MyTracker and VTmarketing assumed), each overridable by env', () => {
    expect(ECOMAIL).toMatchObject({ max: 1000, windowMs: 60_000, env: 'ECOMAIL_MAX_PER_MINUTE' });
    expect(ESPUTNIK).toMatchObject({ max: 200, windowMs: 1000, env: 'ESPUTNIK_MAX_PER_SECOND' });
    expect(MYTRACKER).toMatchObject({ max: 100, windowMs: 1000, assumed: true });
    expect(VTMARKETING).toMatchObject({ max: 100, windowMs: 1000, assumed: true });
    expect(effectiveLimit(ECOMAIL, { ECOMAIL_MAX_PER_MINUTE: '300' }).max).toBe(300);
    for (const bad of ['0', '-5', '1.5', 'lots', ''])
      expect(effectiveLimit(ECOMAIL, { ECOMAIL_MAX_PER_MINUTE: bad }).max).toBe(1000);
    expect(pacingPolicy({ PACING_PARK_AFTER_MINUTES: '30' }).parkAfterMs).toBe(1_800_000);
    expect(pacingPolicy({})).toEqual(DEFAULT_POLICY);
  });
});

describe('pacing: reserve', () => {
  const limit: RateLimit = { max: 1000, windowMs: 60_000, env: 'X', requestsPerEvent: 1 };

  it('grants a bucketful at once, then only what refills, and says how long the rest must wait', () => {
    const { capacity, perMs } = bucket(limit);
    expect(capacity).toBe(100);
    expect(perMs * 60_000).toBe(900);
    const first = reserve(freshPace('ecomail', limit, 0), limit, 500, 0);
    expect(first.granted).toBe(100);
    expect(first.waitMs).toBe(Math.ceil(100 / perMs)); // a bucketful again (the rest goes in bucketfuls)
    const soon = reserve(first.pace, limit, 500, 1000);
    expect(soon.granted).toBe(15); // 900 a minute = 15 a second
    expect(reserve(soon.pace, limit, 5, 1000).granted).toBe(0);
  });

  it('never lets any window of the vendor hold more than its limit, with 8 invocations reserving at random', () => {
    for (const l of [limit, ESPUTNIK, MYTRACKER, { ...limit, max: 7, windowMs: 1000 }]) {
      const rng = seeded(l.max);
      let pace: Pace = freshPace('v', l, 0);
      const sends: { at: number; n: number }[] = [];
      let granted = 0;
      for (let t = 0; t < 10 * l.windowMs; t += Math.ceil(rng() * (l.windowMs / 50))) {
        for (let inv = 0; inv < 8; inv++) {
          const r = reserve(pace, l, 1 + Math.floor(rng() * 100), t);
          pace = r.pace;
          if (r.granted) sends.push({ at: t, n: r.granted * l.requestsPerEvent });
          granted += r.granted;
        }
      }
      expect(peak(sends, l.windowMs)).toBeLessThanOrEqual(l.max);
      // …and still uses most of it: over 10 windows at least 80% of 10 × max.
      expect(granted).toBeGreaterThanOrEqual(0.8 * 10 * l.max);
    }
  });

  it('a 429 pauses the whole vendor until Retry-After; without one the pause doubles, capped', () => {
    let pace = freshPace('ecomail', limit, 0);
    pace = onThrottle(pace, 1000, 42);
    expect(pace.paused_until).toBe(43_000);
    const paused = reserve(pace, limit, 10, 20_000);
    expect(paused).toMatchObject({ granted: 0, waitMs: 23_000 });
    // After the pause the bucket starts empty: no burst straight into a vendor that just throttled.
    expect(reserve(pace, limit, 10, 43_000).granted).toBe(0);
    expect(reserve(pace, limit, 50, 43_000 + 1000).granted).toBe(15);
    const pauses: number[] = [];
    let p = freshPace('x', limit, 0);
    for (let i = 0; i < 12; i++) {
      const before = 1_000_000 * (i + 1);
      p = onThrottle(p, before, undefined);
      pauses.push(p.paused_until - before);
    }
    expect(pauses.slice(0, 5)).toEqual([1000, 2000, 4000, 8000, 16_000]);
    expect(Math.max(...pauses)).toBe(DEFAULT_POLICY.pauseCapMs);
    expect(p.throttles).toBe(12);
    expect(onAnswer(p)).toMatchObject({ throttles: 0, throttled_since: null });
  });

  it('a Retry-After past a day counts as a day; a shorter one never shortens a running pause', () => {
    const p = onThrottle(freshPace('yandex', limit, 0), 0, 10 * 86_400);
    expect(p.paused_until).toBe(86_400_000);
    expect(onThrottle(p, 1000, 1).paused_until).toBe(86_400_000);
  });

  it('throttling past the park budget parks the vendor: one probe per pause, until an answer unparks it', () => {
    const policy = { ...DEFAULT_POLICY, parkAfterMs: 600_000 };
    let p = onThrottle(freshPace('vt', limit, 0), 0, 1, policy);
    expect(isParked(p, 599_999, policy)).toBe(false);
    p = onThrottle(p, 599_000, 1, policy);
    expect(isParked(p, 600_000, policy)).toBe(true);
    const probe = reserve(p, limit, 50, 700_000, policy);
    expect(probe).toMatchObject({ granted: 1, parked: true });
    expect(probe.waitMs).toBe(policy.pauseCapMs);
    const unparked = onAnswer(probe.pace);
    expect(isParked(unparked, 700_001, policy)).toBe(false);
    expect(reserve(unparked, limit, 50, 760_000, policy).granted).toBeGreaterThan(1);
  });
});
