// A batched vendor's upload (Yandex): one lock holder at a time, the claim sized to the upload, recorded in a
// fixed number of statements before the lock is released, so the next upload never repeats it.
import type { Enabled } from '../config';
import { type Env, intVar } from '../env';
import { claimMs, type Deps, deliverClaim } from './deliver';
import { acquireLock, markAt, releaseLock, setMark } from './locks';
import { vendorCode } from './state';
import { claimDue, countDue, type RowResult } from './store';

/** Rows per Yandex upload: YANDEX_METRICA_MAX_ROWS (YANDEX_MAX_ROWS, its old name, is still read). */
export const flushMaxRows = (env: Env): number => intVar(env.YANDEX_METRICA_MAX_ROWS ?? env.YANDEX_MAX_ROWS, 5000, 1);

/**
 * One upload of what a batched vendor has waiting, unless another flush holds the lock, the last one ran less
 * than `minIntervalMs` ago, or fewer than `minRows` rows are due.
 */
export async function flushVendor(
  env: Env,
  enabled: Enabled,
  deps: Deps,
  { minIntervalMs = 0, minRows = 0 } = {},
): Promise<RowResult[]> {
  const name = enabled.vendor.name;
  const code = vendorCode(name);
  if (code === undefined) return [];
  const now = deps.now();
  if (minIntervalMs && now - (await markAt(env.DB, `last-flush:${name}`)) < minIntervalMs) return [];
  if (minRows && (await countDue(env.DB, code, now)) < minRows) return [];
  const holder = crypto.randomUUID();
  if (!(await acquireLock(env.DB, `flush:${name}`, holder, now, claimMs(env)))) return [];
  try {
    const claim = await claimDue(env.DB, code, now, claimMs(env), flushMaxRows(env));
    const results = await deliverClaim(env, enabled, claim, deps);
    if (claim.rows.length) await setMark(env.DB, `last-flush:${name}`, deps.now());
    return results;
  } finally {
    await releaseLock(env.DB, `flush:${name}`, holder);
  }
}

/** Yandex's flush threshold: YANDEX_METRICA_BATCH (YANDEX_BATCH, its old name, is still read). */
export const flushThreshold = (env: Env): number => intVar(env.YANDEX_METRICA_BATCH ?? env.YANDEX_BATCH, 500, 1);
