// The state machine, predicates, keys, backoff and retry budgets: pure logic, run by plain Node (`--project node`).
import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../event';
import type { Plan, Work } from '../vendors/types';
import { keyOf, kindOf, orderIdOfKey } from './keys';
import { backoffSeconds, toResults } from './results';
import { buildWork } from './send';
import {
  canTransition,
  claimable,
  type DeliveryState,
  DUE_SLACK_MS,
  FINAL_STATES,
  groupClaimable,
  inFlight,
  isFinal,
  isOpen,
  OPEN_STATES,
  type RowState,
  SQL,
  STATES,
  sql,
  TRANSITIONS,
  vendorCode,
  vendorName,
  waiting,
} from './state';

const NOW = 1_800_000_000_000;
const row = (state: DeliveryState, due: number | null, claimUntil: number | null = null): RowState => ({
  state,
  due_at: due,
  claim_until: claimUntil,
});

describe('transition table', () => {
  it('partitions the states into open and final', () => {
    expect([...OPEN_STATES, ...FINAL_STATES].sort()).toEqual([...STATES].sort());
    for (const s of STATES) expect(isOpen(s)).toBe(!isFinal(s));
  });

  // Every cell of the table: the expected allowed (from → to) pairs per transition, everything else refused.
  const allowed: Record<string, string[]> = {
    claim: ['pending>claimed', 'retry>claimed', 'claimed>claimed'],
    record: ['claimed', 'retry'].flatMap((f) =>
      ['delivered', 'retry', 'rejected', 'skipped', 'dead'].map((t) => `${f}>${t}`),
    ),
    expire: ['claimed>retry'],
    skip: ['pending>skipped', 'retry>skipped'],
    'dead-letter': ['pending>dead', 'retry>dead'],
    replay: ['pending', 'retry', 'skipped', 'rejected', 'dead', 'claimed'].map((f) => `${f}>pending`),
    'replay-forced': ['pending', 'retry', 'skipped', 'rejected', 'dead', 'claimed', 'delivered'].map(
      (f) => `${f}>pending`,
    ),
  };
  for (const t of Object.keys(TRANSITIONS) as (keyof typeof TRANSITIONS)[])
    it(`${t}: exactly its cells`, () => {
      const cells = STATES.flatMap((from) =>
        STATES.filter((to) => canTransition(t, from, to)).map((to) => `${from}>${to}`),
      );
      expect(cells.sort()).toEqual([...allowed[t]!].sort());
    });

  it('never leaves delivered but by a forced replay', () => {
    for (const t of Object.keys(TRANSITIONS) as (keyof typeof TRANSITIONS)[])
      for (const to of STATES)
        expect(canTransition(t, 'delivered', to)).toBe(t === 'replay-forced' && to === 'pending');
  });
});

describe('predicates', () => {
  it('claimable: due pending/retry and claims that ran out; not a running claim, a backoff or a final row', () => {
    expect(claimable(row('pending', NOW), NOW)).toBe(true);
    expect(claimable(row('retry', NOW + DUE_SLACK_MS), NOW)).toBe(true);
    expect(claimable(row('retry', NOW + DUE_SLACK_MS + 1), NOW)).toBe(false);
    expect(claimable(row('claimed', null, NOW - 1), NOW)).toBe(true);
    expect(claimable(row('claimed', null, NOW + 1), NOW)).toBe(false);
    for (const s of FINAL_STATES) expect(claimable(row(s, NOW), NOW)).toBe(false);
  });

  it('in flight only while the claim runs; waiting only for a future due time', () => {
    expect(inFlight(row('claimed', null, NOW), NOW)).toBe(true);
    expect(inFlight(row('claimed', null, NOW - 1), NOW)).toBe(false);
    expect(inFlight(row('retry', null, NOW + 5000), NOW)).toBe(false);
    expect(waiting(row('retry', NOW + 60_000), NOW)).toBe(true);
    expect(waiting(row('dead', NOW + 60_000), NOW)).toBe(false);
  });

  it('an order is claimed as a whole only when none of its rows is in flight or waiting out a backoff', () => {
    // ADD failed and waits 60 s; PAY arrived meanwhile and is due: PAY must not overtake ADD.
    expect(groupClaimable([row('retry', NOW + 60_000), row('pending', NOW)], NOW)).toBe(false);
    // Once ADD is due, both go together (the plan keeps their order).
    expect(groupClaimable([row('retry', NOW), row('pending', NOW)], NOW)).toBe(true);
    // A final earlier row does not block.
    expect(groupClaimable([row('dead', null), row('pending', NOW)], NOW)).toBe(true);
    expect(groupClaimable([row('claimed', null, NOW + 10_000), row('pending', NOW)], NOW)).toBe(false);
    expect(groupClaimable([row('delivered', null)], NOW)).toBe(false);
  });

  it('the SQL fragments name the same states as the predicates and bind the time where asked', () => {
    expect(SQL.open).toBe(`d.state IN ('pending', 'claimed', 'retry')`);
    expect(SQL.final).toBe(`d.state IN ('delivered', 'skipped', 'rejected', 'dead')`);
    expect(sql(SQL.inFlight, '?3', 's')).toBe(`(s.state = 'claimed' AND s.claim_until >= ?3)`);
    expect(sql(SQL.due, '?2')).toContain(`d.due_at <= ?2 + ${DUE_SLACK_MS}`);
  });

  it('vendor codes go both ways', () => {
    for (const name of ['mytracker', 'esputnik', 'ecomail', 'vtmarketing', 'yandex'])
      expect(vendorName(vendorCode(name)!)).toBe(name);
    expect(vendorCode('nope')).toBeUndefined();
  });
});

describe('event keys', () => {
  it('a key is its order prefix plus a kind, and back; other forms are kept whole', () => {
    expect(kindOf('A-1:paid', 'A-1')).toBe('paid');
    expect(kindOf('A%2F1:refunded:h0a1b2c', 'A/1')).toBe('refunded:h0a1b2c');
    expect(keyOf('refunded:h0a1b2c', 'A/1')).toBe('A%2F1:refunded:h0a1b2c');
    expect(kindOf('shopify:123:paid', 'A-1')).toBe('=shopify:123:paid');
    expect(keyOf('=shopify:123:paid', 'A-1')).toBe('shopify:123:paid');
    expect(orderIdOfKey('A%2F1:paid')).toBe('A/1');
    expect(orderIdOfKey('nocolon')).toBeNull();
    expect(orderIdOfKey('%E0%A4%A:paid')).toBeNull();
  });
});

const POLICY = { maxAttempts: 5, baseSeconds: 30, capSeconds: 3600 };

describe('backoff', () => {
  it('doubles from the base, is capped, jittered ±20 %, and a longer Retry-After wins up to a day', () => {
    expect(backoffSeconds(1, POLICY, undefined, () => 0.5)).toBe(30);
    expect(backoffSeconds(3, POLICY, undefined, () => 0.5)).toBe(120);
    expect(backoffSeconds(20, POLICY, undefined, () => 0.5)).toBe(3600);
    expect(backoffSeconds(1, POLICY, undefined, () => 0)).toBe(24);
    expect(backoffSeconds(1, POLICY, undefined, () => 1)).toBe(36);
    expect(backoffSeconds(1, POLICY, 7200, () => 0.5)).toBe(7200);
    expect(backoffSeconds(1, POLICY, 10 ** 9, () => 0.5)).toBe(86_400);
  });
});

function event(order: string, status: CanonicalEvent['status'], at: number): CanonicalEvent {
  return {
    order_id: order,
    status,
    currency: 'EUR',
    total: 10,
    items: [{ id: 'S', quantity: 1, price: 10 }],
    customer: { email: 'a@example.com' },
    key: `${order}:${status}`,
    occurred_at: at,
    context: { source: 'server', received_at: at },
  } as CanonicalEvent;
}

describe('order fold in the work items', () => {
  it('folds every stored event of the order; `before` is the order just ahead of each claimed event', () => {
    const events = [event('O', 'paid', 20), event('O', 'created', 10), event('P', 'paid', 5)];
    const work = buildWork(['O:paid'], events, new Map());
    expect(work).toHaveLength(1);
    expect(work[0]!.order.state).toBe('paid');
    expect(work[0]!.before?.state).toBe('created');
    expect(buildWork(['O:created'], events, new Map())[0]!.before).toBeNull();
  });
});

describe('results and retry budgets', () => {
  const work = (keys: string[]): Work[] =>
    buildWork(
      keys,
      keys.map((k, i) => event(k.split(':')[0]!, 'paid', i)),
      new Map(),
    );
  const req = (keys: string[], lane?: string) => ({
    method: 'POST' as const,
    url: 'x',
    headers: {},
    body: '',
    keys,
    lane,
  });

  it('a failure is retried with backoff until the budget, then dead', () => {
    const w = work(['A:paid']);
    const plan: Plan = { requests: [req(['A:paid'])], skipped: [] };
    const failed = new Map([['A:paid', { outcome: 'retry' as const, detail: '500', httpStatus: 500 }]]);
    const [r1] = toResults(w, plan, failed, new Map([['A:paid', 1]]), POLICY, NOW);
    expect(r1).toMatchObject({ state: 'retry', httpStatus: 500 });
    expect(r1!.nextAttemptAt).toBeGreaterThan(NOW);
    const [r5] = toResults(w, plan, failed, new Map([['A:paid', 5]]), POLICY, NOW);
    expect(r5).toMatchObject({ state: 'dead' });
    expect(r5!.detail).toMatch(/gave up after 5 attempts/);
  });

  it('a preparatory call ahead in the lane adds a budget per call', () => {
    const w = work(['A:paid']);
    const plan: Plan = { requests: [req([], 'A'), req(['A:paid'], 'A')], skipped: [] };
    const failed = new Map([['A:paid', { outcome: 'retry' as const, detail: '500', httpStatus: 500 }]]);
    expect(toResults(w, plan, failed, new Map([['A:paid', 5]]), POLICY, NOW)[0]!.state).toBe('retry');
    expect(toResults(w, plan, failed, new Map([['A:paid', 10]]), POLICY, NOW)[0]!.state).toBe('dead');
  });

  it('a 429 and a call blocked behind a failed sibling are not charged; the blocked one waits with its sibling', () => {
    const w = work(['A:paid', 'B:paid']);
    const plan: Plan = { requests: [req(['A:paid'], 'L'), req(['B:paid'], 'L')], skipped: [] };
    const outcomes = new Map([
      ['A:paid', { outcome: 'retry' as const, detail: '500', httpStatus: 500 }],
      ['B:paid', { outcome: 'retry' as const, detail: 'not sent', blockedBy: 'A:paid' }],
    ]);
    const results = toResults(
      w,
      plan,
      outcomes,
      new Map([
        ['A:paid', 1],
        ['B:paid', 1],
      ]),
      POLICY,
      NOW,
    );
    const a = results.find((r) => r.key === 'A:paid')!;
    const b = results.find((r) => r.key === 'B:paid')!;
    expect(a.uncharged).toBeUndefined();
    expect(b).toMatchObject({ state: 'retry', uncharged: true, nextAttemptAt: a.nextAttemptAt });
    const throttled = toResults(
      work(['A:paid']),
      { requests: [req(['A:paid'])], skipped: [] },
      new Map([['A:paid', { outcome: 'retry' as const, detail: '429', httpStatus: 429, retryAfter: 60 }]]),
      new Map([['A:paid', 99]]),
      POLICY,
      NOW,
    )[0]!;
    expect(throttled).toMatchObject({ state: 'retry', uncharged: true });
    expect(throttled.nextAttemptAt).toBeGreaterThanOrEqual(NOW + 60_000);
  });

  it('skipped and unplanned events', () => {
    const w = work(['A:paid', 'B:paid']);
    const results = toResults(
      w,
      { requests: [], skipped: [{ key: 'A:paid', reason: 'consent' }] },
      new Map(),
      new Map(),
      POLICY,
      NOW,
    );
    expect(results.find((r) => r.key === 'A:paid')).toMatchObject({ state: 'skipped', reason: 'consent' });
    expect(results.find((r) => r.key === 'B:paid')).toMatchObject({ state: 'rejected' });
  });
});
