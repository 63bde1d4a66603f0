// `GET /health`: 200 `{ok: true, vendors, disabled}`, or 503 `{ok: false, reasons}` when too many deliveries
// died in the last 24 h (HEALTH_MAX_DEAD, default 10) or a vendor has been failing with no delivery for
// HEALTH_VENDOR_FAILING_MINUTES (default 30). Two indexed queries; names and counts only, never a secret.
import { countDeadSince, failingStreaks } from './admin/queries';
import { enabledVendors } from './config';
import { type Env, intVar } from './env';
import { json } from './http';
import { log } from './log';
import { VENDORS } from './vendors';

const DAY_MS = 86_400_000;

export type Health = { ok: boolean; vendors: string[]; disabled: string[]; reasons: string[]; dead_24h?: number };

export async function evaluateHealth(env: Env, now: number): Promise<Health> {
  const vendors = enabledVendors(env).map((e) => e.vendor.name);
  const disabled = VENDORS.map((v) => v.name).filter((n) => !vendors.includes(n));
  const maxDead = intVar(env.HEALTH_MAX_DEAD, 10, 0);
  const minutes = intVar(env.HEALTH_VENDOR_FAILING_MINUTES, 30, 0);
  const reasons: string[] = [];
  let dead: number | undefined;
  try {
    const [deadCount, streaks] = await Promise.all([
      countDeadSince(env.DB, now - DAY_MS),
      failingStreaks(env.DB, now - Math.max(DAY_MS, 2 * minutes * 60_000)),
    ]);
    dead = deadCount;
    if (dead > maxDead) reasons.push(`${dead} deliveries dead in the last 24 h (more than ${maxDead})`);
    for (const s of streaks) {
      const failingMinutes = Math.floor((now - s.since) / 60_000);
      if (now - s.since > minutes * 60_000) {
        reasons.push(
          `${s.vendor}: ${s.failing} failing deliveries and none delivered for ${failingMinutes} min (limit ${minutes})`,
        );
      }
    }
  } catch (err) {
    log('error', 'health_query_failed', { error: err instanceof Error ? err.message : String(err) });
    reasons.push('database unavailable');
  }
  return { ok: reasons.length === 0, vendors, disabled, reasons, ...(dead === undefined ? {} : { dead_24h: dead }) };
}

export async function health(env: Env, now: number): Promise<Response> {
  const h = await evaluateHealth(env, now);
  if (h.ok) return json({ ok: true, vendors: h.vendors, disabled: h.disabled });
  return json({ ok: false, reasons: h.reasons, vendors: h.vendors, disabled: h.disabled }, 503);
}
