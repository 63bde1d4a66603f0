// The one dispatcher: claimed delivery rows → vendor.plan() → fetch (lanes in parallel, per-call timeouts)
// → vendor.classify() → results for D1. Vendor modules stay pure; all I/O of a delivery happens here.
import type { CanonicalEvent } from './event';
import { foldOrder, sortEvents } from './order';
import type { Result } from './store';
import type { Classified, Plan, SentEvent, Vendor, VendorRequest, VendorResponse, Work } from './vendors/types';
import { truncate } from './vendors/http';

/** Sends one request; throws on network failure or timeout. Injected so tests and previews can replace it. */
export type Send = (request: VendorRequest, timeoutMs: number) => Promise<VendorResponse>;

export const fetchSend = (fetcher: typeof fetch = fetch): Send => async (req, timeoutMs) => {
  const res = await fetcher(req.url, {
    method: req.method, headers: req.headers, body: req.method === 'GET' ? undefined : req.body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => { headers[name.toLowerCase()] = value; });
  return { status: res.status, headers, body: await res.text() };
};

export type Attempted = Classified & { httpStatus?: number; durationMs?: number };

/** Builds each claimed event's work item: the folded order, the order just before it, and what was sent. */
export function buildWork(
  claimedKeys: readonly string[], events: readonly CanonicalEvent[], sent: ReadonlyMap<string, SentEvent[]>,
): Work[] {
  const wanted = new Set(claimedKeys);
  const byOrder = new Map<string, CanonicalEvent[]>();
  for (const e of events) byOrder.set(e.order_id, [...(byOrder.get(e.order_id) ?? []), e]);
  const work: Work[] = [];
  for (const [orderId, list] of byOrder) {
    const sorted = sortEvents(list);
    const order = foldOrder(sorted);
    sorted.forEach((event, i) => {
      if (!wanted.has(event.key)) return;
      work.push({ event, order, before: i ? foldOrder(sorted.slice(0, i)) : null, sent: sent.get(orderId) ?? [] });
    });
  }
  return work;
}

async function attempt(vendor: Vendor<unknown>, req: VendorRequest, send: Send, timeoutMs: number): Promise<Attempted> {
  const started = Date.now();
  try {
    const res = await send(req, timeoutMs);
    return { ...vendor.classify(res), httpStatus: res.status, durationMs: Date.now() - started };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const detail = timedOut ? `timeout after ${timeoutMs} ms` : `network error: ${err instanceof Error ? err.message : String(err)}`;
    return { outcome: 'retry', detail: truncate(detail), durationMs: Date.now() - started };
  }
}

const SEVERITY = { delivered: 0, retry: 1, rejected: 2 } as const;

/**
 * Sends a plan. Lanes run in parallel; inside a lane requests go in order and a failure stops the lane (its
 * remaining keys share the failure). A rejected multi-key request is split and each key re-planned alone, so
 * one bad order does not sink the others in a batch.
 */
export async function sendPlan(
  vendor: Vendor<unknown>, config: unknown, plan: Plan, work: readonly Work[], send: Send, timeoutMs: number,
): Promise<Map<string, Attempted>> {
  const outcomes = new Map<string, Attempted>();
  const note = (keys: readonly string[], a: Attempted) => {
    for (const key of keys) {
      const prev = outcomes.get(key);
      if (!prev || SEVERITY[a.outcome] > SEVERITY[prev.outcome]) outcomes.set(key, a);
    }
  };
  const lanes = new Map<string, VendorRequest[]>();
  plan.requests.forEach((req, i) => {
    const lane = req.lane ?? `#${i}`;
    lanes.set(lane, [...(lanes.get(lane) ?? []), req]);
  });
  await Promise.all([...lanes.values()].map(async (lane) => {
    for (const [i, req] of lane.entries()) {
      const result = await attempt(vendor, req, send, timeoutMs);
      if (result.outcome === 'rejected' && req.keys.length > 1) {
        const singles = work.filter((w) => req.keys.includes(w.event.key));
        const replanned = vendor.plan(singles, config, { single: true });
        const split = await sendPlan(vendor, config, { ...replanned, requests: replanned.requests.filter((r) => r.keys.length <= 1) }, singles, send, timeoutMs);
        for (const [key, a] of split) note([key], { ...a, detail: truncate(`after batch rejection (${result.detail}): ${a.detail}`) });
        continue;
      }
      note(req.keys, result);
      if (result.outcome !== 'delivered') {
        // The rest of the lane depends on this call (e.g. an event after its contact upsert): it shares the failure.
        const rest = lane.slice(i + 1).flatMap((r) => r.keys);
        note(rest, { ...result, detail: truncate(`not sent, an earlier call failed: ${result.detail}`) });
        break;
      }
    }
  }));
  return outcomes;
}

export type RetryPolicy = { maxAttempts: number; baseSeconds: number; capSeconds: number };

/** Capped exponential backoff with jitter; a vendor's Retry-After wins when it asks for longer. */
export function backoffSeconds(attempts: number, policy: RetryPolicy, retryAfter?: number, random = Math.random): number {
  const exp = Math.min(policy.capSeconds, policy.baseSeconds * 2 ** Math.max(0, attempts - 1));
  const jittered = Math.round(exp * (0.8 + 0.4 * random()));
  return Math.min(policy.capSeconds, Math.max(jittered, retryAfter ?? 0, 1));
}

/** Turns per-key outcomes into the rows to record; retries past `maxAttempts` become dead. */
export function toResults(
  work: readonly Work[], plan: Plan, outcomes: ReadonlyMap<string, Attempted>,
  attemptsByKey: ReadonlyMap<string, number>, policy: RetryPolicy, now: number,
): Result[] {
  const results: Result[] = plan.skipped.map((s) => ({ key: s.key, state: 'skipped', reason: s.reason, detail: `skipped: ${s.reason}` }));
  const skipped = new Set(plan.skipped.map((s) => s.key));
  for (const { event } of work) {
    if (skipped.has(event.key)) continue;
    const a = outcomes.get(event.key);
    const base = { key: event.key, httpStatus: a?.httpStatus, durationMs: a?.durationMs };
    if (!a) results.push({ ...base, state: 'rejected', detail: 'the vendor module planned no request for this event' });
    else if (a.outcome === 'delivered') results.push({ ...base, state: 'delivered', detail: a.detail });
    else if (a.outcome === 'rejected') results.push({ ...base, state: 'rejected', detail: a.detail });
    else {
      const attempts = attemptsByKey.get(event.key) ?? 1;
      if (attempts >= policy.maxAttempts) results.push({ ...base, state: 'dead', detail: `gave up after ${attempts} attempts: ${a.detail}` });
      else results.push({ ...base, state: 'retry', detail: a.detail, nextAttemptAt: now + backoffSeconds(attempts, policy, a.retryAfter) * 1000 });
    }
  }
  return results;
}
