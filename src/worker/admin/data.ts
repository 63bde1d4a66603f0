// The operator's read models, shared by the page and the JSON API: counts per vendor and state, the latest
// events, and one order's ledger. Every text a vendor wrote is shown truncated with secrets masked, and emails,
// phones and IPs are masked unless `reveal`.
import { enabledVendors } from '../config';
import type { DeliveryState } from '../deliveries/state';
import type { Env } from '../env';
import { type FoldedOrder, foldOrder } from '../order';
import { VENDORS, vendorByName } from '../vendors';
import { truncate } from '../vendors/http';
import { maskDeep, maskField, maskText, secretsOf } from './mask';
import type { DeliveryRow, EventSummary } from './queries';
import { type AttemptRow, countByVendorState, latestEvents, orderLedger, STATES, type StoredEvent } from './queries';

export const WINDOWS = { '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type Window = keyof typeof WINDOWS;
const DETAIL_MAX = 300;

export type Counts = {
  window: Window;
  since: number;
  /** vendor → state → rows whose state changed in the window. */
  vendors: Record<string, Record<DeliveryState, number>>;
  totals: Record<DeliveryState, number>;
};

const zero = (): Record<DeliveryState, number> =>
  Object.fromEntries(STATES.map((s) => [s, 0])) as Record<DeliveryState, number>;

/** Enabled vendors first, in registry order, then any other vendor that has rows. */
export async function counts(env: Env, window: Window, now: number): Promise<Counts> {
  const since = now - WINDOWS[window];
  const rows = await countByVendorState(env.DB, since);
  const vendors: Counts['vendors'] = {};
  for (const e of enabledVendors(env)) vendors[e.vendor.name] = zero();
  const totals = zero();
  for (const r of rows) {
    const row = vendors[r.vendor] ?? zero();
    vendors[r.vendor] = row;
    row[r.state] += r.n;
    totals[r.state] += r.n;
  }
  return { window, since, vendors, totals };
}

/** A newest-events line: the summary with its `vendor:state` pairs read into a map. */
export type EventLine = Omit<EventSummary, 'states'> & { deliveries: Record<string, DeliveryState> };

export async function events(
  env: Env,
  limit: number,
  before: number | undefined,
  reveal: boolean,
): Promise<EventLine[]> {
  const rows = await latestEvents(env.DB, limit, before);
  return rows.map(({ states, email, ...r }) => ({
    ...r,
    email: email && !reveal ? maskField('email', email) : email,
    deliveries: Object.fromEntries(
      (states ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => {
          const i = pair.lastIndexOf(':');
          return [pair.slice(0, i), pair.slice(i + 1) as DeliveryState];
        }),
    ),
  }));
}

export type LedgerDelivery = Omit<DeliveryRow, 'last_detail'> & { last_detail: string | null; replayable: boolean };
export type Ledger = {
  order_id: string;
  order: FoldedOrder | null;
  events: StoredEvent[];
  deliveries: LedgerDelivery[];
  attempts: AttemptRow[];
  vendors: { name: string; label: string; enabled: boolean }[];
};

export async function ledger(env: Env, orderId: string, reveal: boolean, now: number): Promise<Ledger | null> {
  const { events: stored, deliveries, attempts } = await orderLedger(env.DB, orderId);
  if (!stored.length && !deliveries.length) return null;
  const secrets = secretsOf(env);
  const text = (t: string | null) => maskText(t === null ? null : truncate(t, DETAIL_MAX), secrets, reveal);
  const enabled = new Set<string>(enabledVendors(env).map((e) => e.vendor.name));
  const names = [...new Set<string>([...VENDORS.map((v) => v.name), ...deliveries.map((d) => d.vendor)])];
  return {
    order_id: orderId,
    order: stored.length ? maskDeep(foldOrder(stored.map((e) => e.event)), reveal) : null,
    events: stored.map((e) => ({ ...e, event: maskDeep(e.event, reveal) })),
    deliveries: deliveries.map((d) => ({
      ...d,
      last_detail: text(d.last_detail),
      replayable: d.state !== 'delivered' && !(d.claimed_until !== null && d.claimed_until >= now),
    })),
    attempts: attempts.map((a) => ({ ...a, detail: text(a.detail) })),
    vendors: names
      .map((name) => ({ name, label: vendorByName(name)?.label ?? name, enabled: enabled.has(name) }))
      .filter((v) => v.enabled || deliveries.some((d) => d.vendor === v.name)),
  };
}
