// The light path for browse events: queue `order-relay-browse` → this consumer → eSputnik v1/event, one call per
// event, paced. Nothing per event is stored: the batch's outcomes go into the day counters (./counts.ts) in one
// upsert. Unlike orders there is no ledger, no deduplication and no replay: a failed call is retried a bounded
// number of times through the queue itself, then given up (counted).
//
// Pacing. eSputnik allows 350 requests/s on /api/v1/event (docs/vendors/esputnik.md), shared with the order
// deliveries. wrangler.toml runs at most MAX_CONCURRENCY = 4 consumer invocations at once, and each one starts at
// most PER_SECOND = 60 calls a second (call i no earlier than start + i/60 s), with at most IN_FLIGHT = 6 open
// at a time (the Workers limit of simultaneous outbound connections per invocation). So browse events use at most
// 4 × 60 = 240 requests/s, leaving ≥ 110/s for order events. A batch of 100 takes ≥ 1.65 s. A 429 stops the rest
// of the batch: the unsent events go back on the queue after its Retry-After.
import { type Env, flag, intVar } from '../env';
import { log } from '../log';
import { esputnik } from '../vendors/esputnik';
import { truncate } from '../vendors/http';
import type { VendorRequest, VendorResponse } from '../vendors/types';
import { dayOf, recordTally, Tally } from './counts';
import { browseRequest, classifyBrowse } from './esputnik';
import type { BrowseEvent, BrowseMessage } from './event';

type BrowseRequest = Omit<VendorRequest, 'keys'>;

export const PER_SECOND = 60;
export const IN_FLIGHT = 6;
/** Tries per event, the first included; wrangler.toml's max_retries is higher, so the last one is counted here. */
export const MAX_BROWSE_ATTEMPTS = 3;
/** Delay before a retry without Retry-After: 10 s, then 30 s. */
const retryDelay = (attempts: number): number => 10 * 3 ** Math.max(0, attempts - 1);
/** Queues accept delays up to 12 hours. */
const MAX_DELAY_SECONDS = 43_200;

export type BrowseDeps = {
  fetch: typeof fetch;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
};
export const browseDeps = (): BrowseDeps => ({
  fetch: (input, init) => fetch(input, init),
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});

/** Runs `run` on each item, starting item i no earlier than start + i × 1000 / perSecond ms, `inFlight` at most. */
export async function paced<T>(
  items: readonly T[],
  perSecond: number,
  inFlight: number,
  deps: Pick<BrowseDeps, 'now' | 'sleep'>,
  run: (item: T) => Promise<void>,
): Promise<void> {
  const start = deps.now();
  const gap = 1000 / perSecond;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const wait = start + i * gap - deps.now();
      if (wait > 0) await deps.sleep(wait);
      const item = items[i] as T; // i < items.length
      await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, worker));
}

const denied = (e: BrowseEvent): boolean =>
  e.consent?.analytics_storage === 'denied' || e.consent?.ad_personalization === 'denied';

export async function handleBrowse(
  messages: readonly Message<BrowseMessage>[],
  env: Env,
  deps: BrowseDeps = browseDeps(),
): Promise<void> {
  const tally = new Tally();
  const config = esputnik.parseConfig(env);
  const consentRequired = flag(env.CONSENT_REQUIRED);
  const timeoutMs = intVar(env.VENDOR_TIMEOUT_MS, 10_000, 100);
  const toSend: { msg: Message<BrowseMessage>; event: BrowseEvent; day: string; request: BrowseRequest }[] = [];
  let firstRejection: string | undefined;

  for (const msg of messages) {
    const event = msg.body?.browse;
    if (!event || typeof event !== 'object' || typeof event.occurred_at !== 'number') {
      log('error', 'browse_bad_message', { id: msg.id });
      msg.ack();
      continue;
    }
    const day = dayOf(event.occurred_at);
    const skip = !config ? 'skipped_disabled' : consentRequired && denied(event) ? 'skipped_consent' : undefined;
    const request = config && !skip ? browseRequest(event, config) : undefined;
    if (skip || request === 'anonymous' || !request) {
      tally.add(day, event.type, skip ?? 'skipped_anonymous');
      msg.ack();
      continue;
    }
    toSend.push({ msg, event, day, request });
  }

  let throttledFor: number | undefined;
  const putBack = (item: (typeof toSend)[number], delaySeconds: number, detail: string): void => {
    if (item.msg.attempts >= MAX_BROWSE_ATTEMPTS) {
      tally.add(item.day, item.event.type, 'gave_up');
      firstRejection ??= `gave up: ${detail}`;
      item.msg.ack();
    } else {
      tally.add(item.day, item.event.type, 'retry');
      item.msg.retry({ delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(1, delaySeconds)) });
    }
  };

  await paced(toSend, PER_SECOND, IN_FLIGHT, deps, async (item) => {
    if (throttledFor !== undefined) return putBack(item, throttledFor, 'throttled by eSputnik (429)');
    let res: VendorResponse;
    try {
      const { url, method, headers, body } = item.request;
      const r = await deps.fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
      res = { status: r.status, headers: Object.fromEntries(r.headers), body: await r.text() };
    } catch (err) {
      return putBack(item, retryDelay(item.msg.attempts), truncate(`network error: ${String(err)}`));
    }
    const c = classifyBrowse(res);
    if (c.outcome === 'delivered') {
      tally.add(item.day, item.event.type, 'delivered');
      item.msg.ack();
    } else if (c.outcome === 'rejected') {
      tally.add(item.day, item.event.type, 'rejected');
      firstRejection ??= c.detail;
      item.msg.ack();
    } else {
      if (res.status === 429) throttledFor = c.retryAfter ?? retryDelay(item.msg.attempts);
      putBack(item, c.retryAfter ?? retryDelay(item.msg.attempts), c.detail);
    }
  });

  try {
    await recordTally(env.DB, tally, intVar(env.RETENTION_DAYS, 30, 1), deps.now());
  } catch (err) {
    // The calls are made: retrying the batch would send them again. The counters miss this batch; the log says so.
    log('error', 'browse_counts_failed', { error: String(err), counts: tally.rows() });
  }
  log('info', 'browse_batch', {
    messages: messages.length,
    to_send: toSend.length,
    counts: tally.rows().map(([, type, outcome, n]) => `${type}:${outcome}=${n}`),
    ...(firstRejection ? { detail: firstRejection } : {}),
  });
}
