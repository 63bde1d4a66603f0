// The queue consumers and the cron: ingest → D1 (+ one delivery message per new event × vendor) →
// deliveries (claim, plan, send, record) → dead letters; the cron re-enqueues lost work, flushes batched
// vendors and purges old events.
import { type Enabled, enabledVendor, enabledVendors } from './config';
import { buildWork, fetchSend, planWork, type RetryPolicy, type Send, sendPlan, toResults } from './deliver';
import { type DeliveryMessage, type Env, flag, type IngestMessage, intVar, type VarName } from './env';
import { log } from './log';
import * as store from './store';

export type Deps = { now: () => number; send: Send };
export const defaultDeps = (): Deps => ({ now: Date.now, send: fetchSend() });

export function retryPolicy(env: Env): RetryPolicy {
  return {
    maxAttempts: intVar(env.MAX_ATTEMPTS, 12, 1),
    baseSeconds: intVar(env.RETRY_BASE_SECONDS, 30, 1),
    capSeconds: intVar(env.RETRY_CAP_SECONDS, 3600, 1),
  };
}
const timeoutMs = (env: Env) => intVar(env.VENDOR_TIMEOUT_MS, 10_000, 100);
const claimMs = (env: Env) => Math.max(60_000, timeoutMs(env) * 6);
/** Queues cap delaySeconds at 12 hours. */
const MAX_DELAY_SECONDS = 43_200;

/**
 * New rows as delivery messages in sendBatch chunks of 100, vendor by vendor (a stable sort keeps the events'
 * order): a deliveries batch then holds many events of one vendor, which MyTracker packs 8–20 to a request,
 * instead of a quarter batch each (bench/run.mjs counts the requests).
 */
export function deliveryChunks(rows: readonly { event_key: string; vendor: string }[]): DeliveryMessage[][] {
  const sorted = [...rows].sort((a, b) => (a.vendor < b.vendor ? -1 : a.vendor > b.vendor ? 1 : 0));
  const chunks: DeliveryMessage[][] = [];
  for (let i = 0; i < sorted.length; i += 100)
    chunks.push(sorted.slice(i, i + 100).map((r) => ({ key: r.event_key, vendor: r.vendor })));
  return chunks;
}

/** Stores a batch of accepted events once and enqueues one delivery per new event × queue vendor. */
export async function handleIngest(messages: readonly Message<IngestMessage>[], env: Env, deps: Deps): Promise<void> {
  const enabled = enabledVendors(env);
  const events = messages.map((m) => m.body.event);
  const created = await store.storeEvents(
    env.DB,
    events,
    enabled.map((e) => e.vendor.name),
    deps.now(),
  );
  for (const e of events)
    log('info', 'event_stored', { key: e.key, order_id: e.order_id, status: e.status, source: e.context.source });
  const queueVendors = new Set<string>(enabled.filter((e) => e.vendor.mode === 'queue').map((e) => e.vendor.name));
  const toQueue = created.filter((row) => queueVendors.has(row.vendor));
  // A redelivered batch may have stored its rows last time and failed before enqueueing them.
  if (messages.some((m) => m.attempts > 1)) {
    const keys = events.map((e) => e.key);
    for (const vendor of queueVendors) {
      const open = (await store.deliveryRows(env.DB, vendor, keys)).filter(
        (r) => r.state === 'pending' && r.claimed_until === null,
      );
      toQueue.push(...open.filter((r) => !toQueue.some((q) => q.event_key === r.event_key && q.vendor === vendor)));
    }
  }
  for (const chunk of deliveryChunks(toQueue)) await env.DELIVERIES.sendBatch(chunk.map((body) => ({ body })));
  for (const m of messages) m.ack();
  // A batched vendor is flushed by the consumer too once enough rows wait (and by the cron every minute).
  for (const e of enabled.filter((x) => x.vendor.mode === 'flush')) {
    const threshold = intVar(env[`${e.vendor.name.toUpperCase()}_BATCH` as VarName], 500, 1);
    if (
      created.some((row) => row.vendor === e.vendor.name) &&
      (await store.countDue(env.DB, e.vendor.name, deps.now())) >= threshold
    ) {
      await flushVendor(env, e, deps, 60_000);
    }
  }
}

/** Plans, sends and records the claimed rows of one vendor; returns the recorded results. */
export async function deliverClaimed(
  env: Env,
  enabled: Enabled,
  claimed: readonly store.Claimed[],
  deps: Deps,
): Promise<store.Result[]> {
  if (!claimed.length) return [];
  const { vendor, config } = enabled;
  const orderIds = claimed.map((c) => c.order_id);
  const [events, sent] = await Promise.all([
    store.orderEvents(env.DB, orderIds),
    store.sentEvents(env.DB, vendor.name, orderIds),
  ]);
  const work = buildWork(
    claimed.map((c) => c.event_key),
    events,
    sent,
  );
  const { plan, allowed } = planWork(vendor, config, work, flag(env.CONSENT_REQUIRED));
  const outcomes = await sendPlan(vendor, config, plan, allowed, deps.send, timeoutMs(env));
  const now = deps.now();
  const attempts = new Map(claimed.map((c) => [c.event_key, c.attempts]));
  const results = toResults(work, plan, outcomes, attempts, retryPolicy(env), now);
  // A claimed key whose event vanished (purged meanwhile) must not stay claimed.
  const known = new Set(work.map((w) => w.event.key));
  for (const c of claimed)
    if (!known.has(c.event_key)) results.push({ key: c.event_key, state: 'rejected', detail: 'event not found' });
  await store.recordResults(env.DB, vendor.name, results, now);
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

/** Sends retry messages for rows that will be tried again, delayed until their next attempt. */
async function requeueRetries(env: Env, vendor: string, results: readonly store.Result[], now: number): Promise<void> {
  const retries = results.filter((r) => r.state === 'retry');
  for (let i = 0; i < retries.length; i += 100) {
    await env.DELIVERIES.sendBatch(
      retries.slice(i, i + 100).map((r) => ({
        body: { key: r.key, vendor },
        delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(((r.nextAttemptAt ?? now) - now) / 1000))),
      })),
    );
  }
}

/**
 * The deliveries consumer. Row state, not the message, is the truth: every message is acknowledged once its
 * row is handled, and a retry is a new delayed message. A row already claimed elsewhere or final is acked.
 */
export async function handleDeliveries(
  messages: readonly Message<DeliveryMessage>[],
  env: Env,
  deps: Deps,
): Promise<void> {
  const byVendor = new Map<string, Message<DeliveryMessage>[]>();
  for (const m of messages) byVendor.set(m.body.vendor, [...(byVendor.get(m.body.vendor) ?? []), m]);
  await Promise.all(
    [...byVendor].map(async ([name, msgs]) => {
      const enabled = enabledVendor(env, name);
      const keys = msgs.map((m) => m.body.key);
      const now = deps.now();
      if (!enabled) {
        await store.recordResults(
          env.DB,
          name,
          keys.map((key) => ({
            key,
            state: 'skipped',
            reason: 'vendor_disabled',
            detail: 'skipped: vendor not configured',
          })),
          now,
        );
        for (const m of msgs) m.ack();
        return;
      }
      const claimed = await store.claimOrders(env.DB, name, keys, now, claimMs(env));
      const results = await deliverClaimed(env, enabled, claimed, deps);
      await requeueRetries(env, name, results, deps.now());
      const handled = new Set(claimed.map((c) => c.event_key));
      const others = keys.filter((k) => !handled.has(k));
      const rows = new Map(
        (others.length ? await store.deliveryRows(env.DB, name, others) : []).map((r) => [r.event_key, r]),
      );
      for (const m of msgs) {
        const row = rows.get(m.body.key);
        const waiting =
          row &&
          (row.state === 'pending' || row.state === 'retry') &&
          !(row.claimed_until !== null && row.claimed_until >= now) &&
          row.next_attempt_at <= now + 1000;
        // Due but a sibling of the same order is in flight: try again shortly, after it.
        if (!handled.has(m.body.key) && waiting) m.retry({ delaySeconds: 5 });
        else m.ack();
      }
    }),
  );
}

/** Dead-letter consumer: messages the deliveries consumer could not handle end their rows as `dead`. */
export async function handleDeadLetters(
  messages: readonly Message<DeliveryMessage>[],
  env: Env,
  deps: Deps,
): Promise<void> {
  const changed = await store.markDead(
    env.DB,
    messages.map((m) => ({ key: m.body.key, vendor: m.body.vendor })),
    deps.now(),
    'dead-lettered: delivery kept failing',
  );
  log('warn', 'dead_letter', { messages: messages.length, rows_marked_dead: changed });
  for (const m of messages) m.ack();
}

/** One upload of everything a batched vendor has waiting, unless another flush holds the lease. */
export async function flushVendor(env: Env, enabled: Enabled, deps: Deps, minIntervalMs = 0): Promise<store.Result[]> {
  const name = enabled.vendor.name;
  const now = deps.now();
  const lastFlush = await store.leaseUntil(env.DB, `last-flush:${name}`);
  if (minIntervalMs && now - lastFlush < minIntervalMs) return [];
  const holder = crypto.randomUUID();
  if (!(await store.acquireLease(env.DB, `flush:${name}`, holder, now, claimMs(env)))) return [];
  try {
    const claimed = await store.claimDue(
      env.DB,
      name,
      now,
      claimMs(env),
      intVar(env[`${name.toUpperCase()}_MAX_ROWS` as VarName], 5000, 1),
    );
    const results = await deliverClaimed(env, enabled, claimed, deps);
    if (claimed.length) await store.setLease(env.DB, `last-flush:${name}`, holder, deps.now());
    return results;
  } finally {
    await store.releaseLease(env.DB, `flush:${name}`, holder);
  }
}

/** Every minute: flush batched vendors, re-enqueue lost work, purge past the retention. */
export async function runScheduled(
  env: Env,
  deps: Deps,
): Promise<{ flushed: number; requeued: number; purged: number }> {
  const enabled = enabledVendors(env);
  let flushed = 0;
  for (const e of enabled.filter((x) => x.vendor.mode === 'flush')) flushed += (await flushVendor(env, e, deps)).length;
  const now = deps.now();
  const queueVendors = enabled.filter((e) => e.vendor.mode === 'queue').map((e) => e.vendor.name);
  const stuck = queueVendors.length
    ? await store.takeStuck(env.DB, queueVendors, now, intVar(env.STUCK_GRACE_SECONDS, 300, 0) * 1000)
    : [];
  for (let i = 0; i < stuck.length; i += 100) {
    await env.DELIVERIES.sendBatch(
      stuck.slice(i, i + 100).map((r) => ({ body: { key: r.event_key, vendor: r.vendor } })),
    );
  }
  const days = intVar(env.RETENTION_DAYS, 30, 1);
  const purged = await store.purgeExpired(env.DB, now - days * 86_400_000);
  if (flushed || stuck.length || purged) log('info', 'cron', { flushed, requeued: stuck.length, purged });
  return { flushed, requeued: stuck.length, purged };
}
