// One claim's delivery: read the claimed orders, plan, size the claim to the plan, send, record with the claim
// id. Consumers and the flush call this; it enters each module once (store → vendor plan → send → record).
import type { Enabled } from '../config';
import { type Env, flag, intVar } from '../env';
import { log } from '../log';
import type { Plan, Work } from '../vendors/types';
import { kindOf } from './keys';
import { type RetryPolicy, toResults } from './results';
import { buildWork, planWork, type Send, sendPlan } from './send';
import { vendorCode } from './state';
import * as store from './store';

export type Deps = { now: () => number; send: Send };

export function retryPolicy(env: Env): RetryPolicy {
  return {
    maxAttempts: intVar(env.MAX_ATTEMPTS, 12, 1),
    baseSeconds: intVar(env.RETRY_BASE_SECONDS, 30, 1),
    capSeconds: intVar(env.RETRY_CAP_SECONDS, 3600, 1),
  };
}
export const timeoutMs = (env: Env): number => intVar(env.VENDOR_TIMEOUT_MS, 10_000, 100);
/** The first claim: room for a few sequential calls; a longer plan renews it (claimNeededMs). */
export const claimMs = (env: Env): number => Math.max(60_000, timeoutMs(env) * 6);

/**
 * The longest a plan can take: its longest lane of sequential calls plus, if a request is refused, a bisect
 * of its orders (halves run in parallel, each level one more call per lane), each call up to the timeout.
 */
export function claimNeededMs(plan: Plan, work: readonly Work[], timeout: number): number {
  const lanes = new Map<string, number>();
  plan.requests.forEach((r, i) => {
    const lane = r.lane ?? `#${i}`;
    lanes.set(lane, (lanes.get(lane) ?? 0) + 1);
  });
  const longest = Math.max(0, ...lanes.values());
  const orders = new Set(work.map((w) => w.event.order_id)).size;
  const levels = orders > 1 ? Math.ceil(Math.log2(orders)) : 0;
  return (longest + levels * longest + 1) * timeout + 10_000;
}

/** Plans, sends and records one claim of one vendor; returns the results recorded (fenced by the claim id). */
export async function deliverClaim(
  env: Env,
  enabled: Enabled,
  claim: store.Claim,
  deps: Deps,
): Promise<store.RowResult[]> {
  if (!claim.rows.length) return [];
  const { vendor, config } = enabled;
  const code = vendorCode(vendor.name);
  if (code === undefined) throw new Error(`vendor ${vendor.name} has no code in deliveries/state.ts`);
  const loaded = await store.loadOrders(
    env.DB,
    code,
    claim.rows.map((c) => c.order_no),
  );
  const addressOf = new Map<string, { order_no: number; kind: string; order_id: string }>();
  const orderNoOf = new Map([...loaded.byOrderNo].map(([no, id]) => [id, no]));
  for (const e of loaded.events) {
    const order_no = orderNoOf.get(e.order_id);
    if (order_no !== undefined)
      addressOf.set(e.key, { order_no, kind: kindOf(e.key, e.order_id), order_id: e.order_id });
  }
  const byAddress = new Map(claim.rows.map((c) => [`${c.order_no}:${c.kind}`, c]));
  const claimedKeys = new Map<string, store.Claimed>();
  for (const [key, a] of addressOf) {
    const row = byAddress.get(`${a.order_no}:${a.kind}`);
    if (row) claimedKeys.set(key, row);
  }
  const work = buildWork([...claimedKeys.keys()], loaded.events, loaded.sent);
  const { plan, allowed } = planWork(vendor, config, work, flag(env.CONSENT_REQUIRED));
  const timeout = timeoutMs(env);
  const needed = claimNeededMs(plan, allowed, timeout);
  const now0 = deps.now();
  if (now0 + needed > claim.until && !(await store.renewClaim(env.DB, code, claim.id, now0 + needed))) {
    log('warn', 'claim_lost', { vendor: vendor.name, rows: claim.rows.length });
    return [];
  }
  const outcomes = await sendPlan(vendor, config, plan, allowed, deps.send, timeout);
  const now = deps.now();
  const attempts = new Map([...claimedKeys].map(([key, c]) => [key, c.attempts]));
  const results: store.RowResult[] = toResults(work, plan, outcomes, attempts, retryPolicy(env), now).flatMap((r) => {
    const a = addressOf.get(r.key);
    return a ? [{ ...r, ...a }] : [];
  });
  // A claimed row whose event vanished (purged meanwhile) must not stay claimed.
  const known = new Set([...claimedKeys.values()]);
  for (const c of claim.rows)
    if (!known.has(c))
      results.push({
        key: c.kind,
        order_id: '',
        order_no: c.order_no,
        kind: c.kind,
        state: 'rejected',
        detail: 'event not found',
      });
  await store.recordResults(env.DB, code, claim.id, results, now);
  for (const r of results)
    log(r.state === 'delivered' || r.state === 'skipped' ? 'info' : 'warn', 'delivery', {
      vendor: vendor.name,
      key: r.key,
      state: r.state,
      status: r.httpStatus,
      detail: r.detail,
    });
  return results;
}
