// The ingest consumer (and its dead-letter queue's, the same job later): accepted events → D1, then one
// delivery message per new event × queue vendor. It throws while D1 fails: the batch is retried, then moves to
// the ingest dead-letter queue, whose consumer stores it once D1 is back. Nothing answered 202 is dropped.
import { enabledVendors } from '../config';
import type { Deps } from '../deliveries/deliver';
import { enqueueRows } from '../deliveries/enqueue';
import { flushThreshold, flushVendor } from '../deliveries/flush';
import { vendorCode } from '../deliveries/state';
import { pendingRows, storeEvents } from '../deliveries/store';
import type { Env, IngestMessage } from '../env';
import { log } from '../log';

export async function handleIngest(messages: readonly Message<IngestMessage>[], env: Env, deps: Deps): Promise<void> {
  const enabled = enabledVendors(env);
  const events = messages.map((m) => m.body.event);
  const codes = enabled.flatMap((e) => vendorCode(e.vendor.name) ?? []);
  const created = await storeEvents(env.DB, events, codes, deps.now());
  for (const e of events)
    log('info', 'event_stored', { key: e.key, order_id: e.order_id, status: e.status, source: e.context.source });
  const queueCodes = new Set(
    enabled.filter((e) => e.vendor.mode === 'queue').flatMap((e) => vendorCode(e.vendor.name) ?? []),
  );
  const toQueue = created.filter((row) => queueCodes.has(row.vendor));
  // A redelivered batch may have stored its rows last time and failed before enqueueing them.
  if (messages.some((m) => m.attempts > 1)) {
    const seen = new Set(toQueue.map((r) => `${r.vendor} ${r.key}`));
    for (const r of await pendingRows(
      env.DB,
      events.map((e) => ({ key: e.key, order_id: e.order_id })),
    ))
      if (queueCodes.has(r.vendor) && !seen.has(`${r.vendor} ${r.key}`)) toQueue.push(r);
  }
  await enqueueRows(env, toQueue);
  for (const m of messages) m.ack();
  // A batched vendor is flushed by the consumer too once enough rows wait (and by the cron every minute).
  for (const e of enabled.filter((x) => x.vendor.mode === 'flush')) {
    const code = vendorCode(e.vendor.name);
    if (code !== undefined && created.some((row) => row.vendor === code))
      await flushVendor(env, e, deps, { minIntervalMs: 60_000, minRows: flushThreshold(env) });
  }
}
