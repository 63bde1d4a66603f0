// What both platform mappings share: the draft event they build, money and dates as the platforms send them,
// and the step from drafts to validated canonical events.
import type { CanonicalEvent, Context, Issue, Status } from '../event';
import { parseEventInput } from '../event';
import { toCanonicalEvent } from '../event-key';
import { round } from '../order';

export type DraftItem = {
  id: string;
  name?: string;
  variant?: string;
  brand?: string;
  quantity: number;
  price?: number;
};

/** A canonical event before validation, as a platform payload maps to it. */
export type Draft = {
  order_id: string;
  status: Status;
  action_id?: string;
  occurred_at?: number;
  currency?: string;
  total?: number;
  tax?: number;
  shipping?: number;
  discount?: number;
  items: DraftItem[];
  coupons?: string[];
  customer: Record<string, string | undefined>;
  extra?: Record<string, unknown>;
};

export type Json = Record<string, unknown>;
export const obj = (x: unknown): Json => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Json) : {});
export const list = (x: unknown): Json[] => (Array.isArray(x) ? x.map(obj) : []);
export const str = (x: unknown): string | undefined =>
  typeof x === 'string' && x.trim() !== ''
    ? x.trim()
    : typeof x === 'number' && Number.isFinite(x)
      ? String(x)
      : undefined;

/** Money as the platforms send it: decimal strings ("49.00"), sometimes numbers. Negative refunds become positive. */
export function money(x: unknown): number | undefined {
  const n = typeof x === 'number' ? x : typeof x === 'string' && /^-?\d+(\.\d+)?$/.test(x.trim()) ? Number(x) : NaN;
  return Number.isFinite(n) ? round(Math.abs(n)) : undefined;
}

/** ISO 8601 with an offset or `Z` → unix seconds; `assumeUtc` for WooCommerce's `*_gmt` fields, which carry none. */
export function seconds(x: unknown, assumeUtc = false): number | undefined {
  if (typeof x !== 'string' || x.trim() === '') return undefined;
  const text = assumeUtc && !/(Z|[+-]\d\d:?\d\d)$/.test(x.trim()) ? `${x.trim()}Z` : x.trim();
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/** Keeps a phone only in the shape the canonical schema takes, so a stray format never sinks a paid order. */
export const phone = (x: unknown): string | undefined => {
  const s = str(x);
  return s && /^\+?[\d\s().-]{5,32}$/.test(s) ? s : undefined;
};

/** Drops undefined values (the canonical schema takes absent fields, not undefined ones, inside `extra`). */
export function defined<T extends Json>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Validates drafts into canonical events. A platform's order is signed and real, so a customer field the
 * schema refuses (an unusual email) is dropped with the issue kept in `extra.dropped`, rather than refusing
 * the whole webhook; anything else invalid refuses it.
 */
export async function toEvents(
  drafts: readonly Draft[],
  context: Context,
  defaultCurrency: string,
): Promise<{ ok: true; events: CanonicalEvent[] } | { ok: false; issues: Issue[] }> {
  const events: CanonicalEvent[] = [];
  const issues: Issue[] = [];
  for (const [i, draft] of drafts.entries()) {
    let parsed = parseEventInput(draft, String(i));
    if (!parsed.ok && parsed.issues.every((x) => x.path.startsWith(`${i}.customer.`))) {
      const bad = new Set(parsed.issues.map((x) => x.path.split('.')[2]));
      const customer = Object.fromEntries(Object.entries(draft.customer).filter(([k]) => !bad.has(k)));
      const dropped = parsed.issues.map((x) => x.path.slice(String(i).length + 1));
      parsed = parseEventInput({ ...draft, customer, extra: { ...draft.extra, dropped } }, String(i));
    }
    if (!parsed.ok) issues.push(...parsed.issues);
    else events.push(await toCanonicalEvent(parsed.value, context, defaultCurrency));
  }
  return issues.length ? { ok: false, issues } : { ok: true, events };
}
