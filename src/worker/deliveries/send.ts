// Claimed rows → vendor.plan() → fetch (lanes in parallel, per-call timeouts, bisect of refused batches)
// → vendor.classify(). Vendor modules stay pure; every vendor call of a delivery happens here.
import type { CanonicalEvent } from '../event';
import { foldOrder, sortEvents } from '../order';
import { truncate } from '../vendors/http';
import type { Classified, Plan, SentEvent, Vendor, VendorRequest, VendorResponse, Work } from '../vendors/types';

/** Sends one request; throws on network failure or timeout. Injected so tests and previews can replace it. */
export type Send = (request: VendorRequest, timeoutMs: number) => Promise<VendorResponse>;

export const fetchSend =
  (fetcher: typeof fetch = fetch): Send =>
  async (req, timeoutMs) => {
    const res = await fetcher(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.method === 'GET' ? undefined : req.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    return { status: res.status, headers, body: await res.text() };
  };

/** `blockedBy`: this key's request was never sent because the call for that key, earlier in its lane, failed. */
export type Attempted = Classified & { httpStatus?: number; durationMs?: number; blockedBy?: string };

/** Builds each claimed event's work item: the folded order, the order just before it, and what was sent. */
export function buildWork(
  claimedKeys: readonly string[],
  events: readonly CanonicalEvent[],
  sent: ReadonlyMap<string, SentEvent[]>,
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

/**
 * The vendor's plan for this work, with the consent rule applied first: with CONSENT_REQUIRED, an event whose
 * (else its order's) consent denies the vendor's key is skipped. Shared by delivery and the admin preview.
 */
export function planWork(
  vendor: Vendor<unknown>,
  config: unknown,
  work: readonly Work[],
  consentRequired: boolean,
): { plan: Plan; allowed: readonly Work[] } {
  if (!consentRequired) return { allowed: work, plan: vendor.plan(work, config) };
  const denied = (w: Work) => (w.event.consent ?? w.order.consent)?.[vendor.consentKey] === 'denied';
  const allowed = work.filter((w) => !denied(w));
  const plan = vendor.plan(allowed, config);
  return {
    allowed,
    plan: {
      ...plan,
      skipped: [...plan.skipped, ...work.filter(denied).map((w) => ({ key: w.event.key, reason: 'consent' }))],
    },
  };
}

async function attempt(vendor: Vendor<unknown>, req: VendorRequest, send: Send, timeoutMs: number): Promise<Attempted> {
  const started = Date.now();
  try {
    const res = await send(req, timeoutMs);
    return { ...vendor.classify(res), httpStatus: res.status, durationMs: Date.now() - started };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const detail = timedOut
      ? `timeout after ${timeoutMs} ms`
      : `network error: ${err instanceof Error ? err.message : String(err)}`;
    return { outcome: 'retry', detail: truncate(detail), durationMs: Date.now() - started };
  }
}

const SEVERITY = { delivered: 0, retry: 1, rejected: 2 } as const;

/**
 * Sends a plan. Lanes run in parallel; inside a lane requests go in order and a failure stops the lane (its
 * remaining keys share the failure). A rejected request covering several orders is split in halves and re-planned,
 * so one bad order does not sink the others in a batch.
 */
export async function sendPlan(
  vendor: Vendor<unknown>,
  config: unknown,
  plan: Plan,
  work: readonly Work[],
  send: Send,
  timeoutMs: number,
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
  await Promise.all(
    [...lanes.values()].map(async (lane) => {
      for (const [i, req] of lane.entries()) {
        const result = await attempt(vendor, req, send, timeoutMs);
        const covered = result.outcome === 'rejected' ? work.filter((w) => req.keys.includes(w.event.key)) : [];
        const orders = [...new Set(covered.map((w) => w.event.order_id))];
        if (orders.length > 1) {
          // Bisect by order and re-plan each half: one bad order costs about 2·log2(n) extra calls, not n
          // (a Yandex upload of 5,000 rows must not turn into 5,000 uploads against a 5,000-a-day quota).
          const first = new Set(orders.slice(0, Math.ceil(orders.length / 2)));
          const halves = [
            covered.filter((w) => first.has(w.event.order_id)),
            covered.filter((w) => !first.has(w.event.order_id)),
          ];
          const parts = await Promise.all(
            halves.map((half) => sendPlan(vendor, config, vendor.plan(half, config), half, send, timeoutMs)),
          );
          for (const [key, a] of parts.flatMap((m) => [...m]))
            note([key], { ...a, detail: truncate(`after batch rejection (${result.detail}): ${a.detail}`) });
          continue;
        }
        note(req.keys, result);
        if (result.outcome !== 'delivered') {
          // The rest of the lane depends on this call (e.g. an event after its contact upsert): it shares the failure.
          const rest = lane.slice(i + 1).flatMap((r) => r.keys);
          note(rest, {
            ...result,
            blockedBy: req.keys[0],
            detail: truncate(`not sent, an earlier call failed: ${result.detail}`),
          });
          break;
        }
      }
    }),
  );
  return outcomes;
}
