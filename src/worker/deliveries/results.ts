// Outcomes → the results to record: backoff, retry budgets, and which tries are not charged (pure, unit-tested).
import type { Plan, Work } from '../vendors/types';
import type { Attempted } from './send';
import type { ResultState } from './state';

export type Result = {
  key: string;
  state: ResultState;
  httpStatus?: number;
  detail: string;
  reason?: string;
  nextAttemptAt?: number;
  durationMs?: number;
  /** The claim counted a try this row did not really get (throttled, or blocked behind a sibling): not charged. */
  uncharged?: boolean;
};

export type RetryPolicy = { maxAttempts: number; baseSeconds: number; capSeconds: number };

/** A Retry-After longer than this (a day: Yandex's daily quota) is read as a day. */
const MAX_RETRY_AFTER_SECONDS = 86_400;

/**
 * Capped exponential backoff with jitter; a vendor's Retry-After wins when it asks for longer, even past the cap:
 * a rate-limited or over-quota vendor would only burn the row's attempts until its window resets.
 */
export function backoffSeconds(
  attempts: number,
  policy: RetryPolicy,
  retryAfter?: number,
  random = Math.random,
): number {
  const exp = Math.min(policy.capSeconds, policy.baseSeconds * 2 ** Math.max(0, attempts - 1));
  const jittered = Math.min(policy.capSeconds, Math.round(exp * (0.8 + 0.4 * random())));
  return Math.max(jittered, Math.min(retryAfter ?? 0, MAX_RETRY_AFTER_SECONDS), 1);
}

/**
 * How many tries each key gets: `maxAttempts` per call its delivery needs, i.e. one more set for every
 * preparatory call (no keys, e.g. eSputnik's contact upsert) ahead of its request in its lane, since every try
 * makes that call again. At a 30% failure rate a two-call delivery fails 51% of its tries, not 30%.
 */
function budgets(plan: Plan, maxAttempts: number): Map<string, number> {
  const out = new Map<string, number>();
  const gates = new Map<string, number>();
  for (const req of plan.requests) {
    const lane = req.lane ?? '';
    if (!req.keys.length) {
      if (req.lane) gates.set(lane, (gates.get(lane) ?? 0) + 1);
      continue;
    }
    for (const key of req.keys) out.set(key, maxAttempts * (1 + (req.lane ? (gates.get(lane) ?? 0) : 0)));
  }
  return out;
}

/**
 * Turns per-key outcomes into the rows to record; retries past their budget become dead. Not charged (`uncharged`):
 * a key blocked behind a failed sibling call (the sibling is charged, so the lane still ends; the key waits as long
 * as the sibling, so the two are claimed together again and keep their order), and a 429, which is the vendor
 * pacing us rather than a failed delivery: a burst above its rate limit waits out its Retry-After instead of
 * using up attempts (a vendor that throttles for ever leaves rows in `retry`, visible in /health, not `dead`).
 */
export function toResults(
  work: readonly Work[],
  plan: Plan,
  outcomes: ReadonlyMap<string, Attempted>,
  attemptsByKey: ReadonlyMap<string, number>,
  policy: RetryPolicy,
  now: number,
): Result[] {
  const results: Result[] = plan.skipped.map((s) => ({
    key: s.key,
    state: 'skipped',
    reason: s.reason,
    detail: `skipped: ${s.reason}`,
  }));
  const skipped = new Set(plan.skipped.map((s) => s.key));
  const budget = budgets(plan, policy.maxAttempts);
  const uncharged: { key: string; a: Attempted; base: Pick<Result, 'httpStatus' | 'durationMs'> }[] = [];
  for (const { event } of work) {
    if (skipped.has(event.key)) continue;
    const a = outcomes.get(event.key);
    const base = { key: event.key, httpStatus: a?.httpStatus, durationMs: a?.durationMs };
    if (!a) results.push({ ...base, state: 'rejected', detail: 'the vendor module planned no request for this event' });
    else if (a.outcome === 'delivered') results.push({ ...base, state: 'delivered', detail: a.detail });
    else if (a.outcome === 'rejected') results.push({ ...base, state: 'rejected', detail: a.detail });
    else if (a.blockedBy !== undefined || a.httpStatus === 429) uncharged.push({ key: event.key, a, base });
    else {
      const attempts = attemptsByKey.get(event.key) ?? 1;
      if (attempts >= (budget.get(event.key) ?? policy.maxAttempts))
        results.push({ ...base, state: 'dead', detail: `gave up after ${attempts} attempts: ${a.detail}` });
      else
        results.push({
          ...base,
          state: 'retry',
          detail: a.detail,
          nextAttemptAt: now + backoffSeconds(attempts, policy, a.retryAfter) * 1000,
        });
    }
  }
  const byKey = new Map(results.map((r) => [r.key, r]));
  for (const { key, a, base } of uncharged) {
    const attempts = Math.max(1, (attemptsByKey.get(key) ?? 1) - 1);
    const sibling = a.blockedBy === undefined ? undefined : byKey.get(a.blockedBy)?.nextAttemptAt;
    const nextAttemptAt = sibling ?? now + backoffSeconds(attempts, policy, a.retryAfter) * 1000;
    results.push({ ...base, key, state: 'retry', detail: a.detail, uncharged: true, nextAttemptAt });
  }
  return results;
}
