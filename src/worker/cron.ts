// Every minute: flush batched vendors, re-enqueue lost work, purge orders past the retention.
import { enabledVendors } from './config';
import type { Deps } from './deliveries/deliver';
import { enqueueRows } from './deliveries/enqueue';
import { flushVendor } from './deliveries/flush';
import { purgeExpired, takeLost } from './deliveries/retention';
import { fetchSend } from './deliveries/send';
import { vendorCode } from './deliveries/state';
import { type Env, intVar } from './env';
import { log } from './log';

export const defaultDeps = (): Deps => ({ now: Date.now, send: fetchSend() });

export async function runScheduled(
  env: Env,
  deps: Deps,
): Promise<{ flushed: number; requeued: number; purged: number }> {
  const enabled = enabledVendors(env);
  let flushed = 0;
  for (const e of enabled.filter((x) => x.vendor.mode === 'flush')) flushed += (await flushVendor(env, e, deps)).length;
  const now = deps.now();
  const queueCodes = enabled.filter((e) => e.vendor.mode === 'queue').flatMap((e) => vendorCode(e.vendor.name) ?? []);
  const lost = queueCodes.length
    ? await takeLost(env.DB, queueCodes, now, intVar(env.STUCK_GRACE_SECONDS, 300, 0) * 1000)
    : [];
  await enqueueRows(env, lost);
  const days = intVar(env.RETENTION_DAYS, 30, 1);
  const purged = await purgeExpired(env.DB, now - days * 86_400_000);
  if (flushed || lost.length || purged) log('info', 'cron', { flushed, requeued: lost.length, purged });
  return { flushed, requeued: lost.length, purged };
}
