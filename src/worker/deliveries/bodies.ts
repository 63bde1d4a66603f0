// Stored event bodies. An order's later events mostly repeat its first (items, customer, context): a body is
// stored as its changes from an earlier full event of the same order when that is shorter, then compressed.
// Bodies never change once stored and an order is purged whole, so the base is always there to read.
import type { CanonicalEvent } from '../event';
import { unpackBody } from './keys';

type Json = Record<string, unknown>;
/** `~` the base event's kind; `+` values set or replaced, `-` keys removed, `*` nested objects changed. */
type Delta = { '~'?: string; '+'?: Json; '-'?: string[]; '*'?: Record<string, Delta> };

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The changes that turn `base` into `value` (both plain JSON objects). */
export function diff(base: Json, value: Json): Delta {
  const plus: Json = {};
  const minus: string[] = [];
  const nested: Record<string, Delta> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const b = base[k];
    if (isObject(v) && isObject(b)) {
      const inner = diff(b, v);
      if (inner['+'] || inner['-'] || inner['*']) nested[k] = inner;
    } else if (JSON.stringify(v) !== JSON.stringify(b)) plus[k] = v;
  }
  for (const k of Object.keys(base)) if (value[k] === undefined) minus.push(k);
  const out: Delta = {};
  if (Object.keys(plus).length) out['+'] = plus;
  if (minus.length) out['-'] = minus;
  if (Object.keys(nested).length) out['*'] = nested;
  return out;
}

export function patch(base: Json, delta: Delta): Json {
  const out: Json = { ...base, ...delta['+'] };
  for (const k of delta['-'] ?? []) delete out[k];
  for (const [k, d] of Object.entries(delta['*'] ?? {})) out[k] = patch(isObject(base[k]) ? base[k] : {}, d);
  return out;
}

/** What to store for `event`: its changes from `base` (an earlier full event of its order) when shorter. */
export function storedForm(event: CanonicalEvent, base?: { kind: string; event: Json }): string {
  const full = JSON.stringify(event);
  if (!base) return full;
  const delta = JSON.stringify({ '~': base.kind, ...diff(base.event, JSON.parse(full) as Json) });
  return delta.length < full.length ? delta : full;
}

const isDelta = (v: Json): v is Delta & Json => typeof v['~'] === 'string';

export type StoredRow = { order_no: number; kind: string; packed: number; body: string };
const id = (orderNo: number, kind: string) => `${orderNo}\u0000${kind}`;

/**
 * The canonical events of stored rows (by order_no + kind). A row stored as changes is completed from its base:
 * from the same rows, else from `fetchBases` (rows of the asked order_no + kind pairs).
 */
export async function readEvents(
  rows: readonly StoredRow[],
  fetchBases?: (wanted: { order_no: number; kind: string }[]) => Promise<StoredRow[]>,
): Promise<Map<string, CanonicalEvent>> {
  const parsed = new Map<string, Json>();
  const load = async (list: readonly StoredRow[]) => {
    for (const r of list) parsed.set(id(r.order_no, r.kind), JSON.parse(await unpackBody(r.body, r.packed)) as Json);
  };
  await load(rows);
  const baseOf = (orderNo: number, v: Json) => parsed.get(id(orderNo, String(v['~'])));
  const missing = rows.flatMap((r) => {
    const v = parsed.get(id(r.order_no, r.kind));
    return v && isDelta(v) && !baseOf(r.order_no, v) ? [{ order_no: r.order_no, kind: String(v['~']) }] : [];
  });
  if (missing.length && fetchBases) await load(await fetchBases(missing));
  const out = new Map<string, CanonicalEvent>();
  for (const r of rows) {
    const v = parsed.get(id(r.order_no, r.kind));
    if (!v) continue;
    if (!isDelta(v)) {
      out.set(id(r.order_no, r.kind), v as unknown as CanonicalEvent);
      continue;
    }
    const base = baseOf(r.order_no, v);
    if (!base || isDelta(base))
      throw new Error(`stored event ${r.kind} of order ${r.order_no}: base ${v['~']} missing`);
    out.set(id(r.order_no, r.kind), patch(base, v) as unknown as CanonicalEvent);
  }
  return out;
}

export const eventOf = (events: Map<string, CanonicalEvent>, orderNo: number, kind: string) =>
  events.get(id(orderNo, kind));
