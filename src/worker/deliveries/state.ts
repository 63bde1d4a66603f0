// The delivery state machine, defined once (docs/design/delivery.md). Every consumer, the cron, replay, the
// admin read models and /health take their states, predicates and SQL fragments from here.
//
//   pending ──claim──▶ claimed ──record──▶ delivered | retry | rejected | skipped | dead
//   retry   ──claim──▶ claimed            (when due; a throttled or blocked try is not charged)
//   claimed ──expire─▶ retry              (the claim ran out without a result: the cron re-enqueues it)
//   pending | retry ──skip──▶ skipped     (vendor disabled)
//   pending | retry ──dead-letter──▶ dead (only once the attempt budget is spent)
//   any but in-flight claimed ──replay──▶ pending (delivered only when forced)

export const STATES = ['pending', 'claimed', 'retry', 'delivered', 'skipped', 'rejected', 'dead'] as const;
export type DeliveryState = (typeof STATES)[number];

/** Waiting for a claim (pending, retry) or holding one (claimed). */
export const OPEN_STATES = ['pending', 'claimed', 'retry'] as const satisfies readonly DeliveryState[];
/** No transition leaves these but a replay. */
export const FINAL_STATES = ['delivered', 'skipped', 'rejected', 'dead'] as const satisfies readonly DeliveryState[];
/** What a recorded result may set. */
export type ResultState = 'delivered' | 'retry' | 'rejected' | 'skipped' | 'dead';
/** Counted as failing by /health and the dashboard. */
export const FAILING_STATES = ['retry', 'rejected', 'dead'] as const satisfies readonly DeliveryState[];

export type Transition = 'claim' | 'record' | 'expire' | 'skip' | 'dead-letter' | 'replay' | 'replay-forced';

/** The one transition table: from → allowed targets, per transition. Tests walk every cell. */
export const TRANSITIONS: Record<Transition, { from: readonly DeliveryState[]; to: readonly DeliveryState[] }> = {
  claim: { from: ['pending', 'retry', 'claimed'], to: ['claimed'] },
  record: { from: ['claimed', 'retry'], to: ['delivered', 'retry', 'rejected', 'skipped', 'dead'] },
  expire: { from: ['claimed'], to: ['retry'] },
  skip: { from: ['pending', 'retry'], to: ['skipped'] },
  'dead-letter': { from: ['pending', 'retry'], to: ['dead'] },
  replay: { from: ['pending', 'retry', 'skipped', 'rejected', 'dead', 'claimed'], to: ['pending'] },
  'replay-forced': {
    from: ['pending', 'retry', 'skipped', 'rejected', 'dead', 'claimed', 'delivered'],
    to: ['pending'],
  },
};

/** The row fields every predicate reads (the SQL fragments below say the same over `order_deliveries`). */
export type RowState = { state: DeliveryState; due_at: number | null; claim_until: number | null };

/** Clock slack: a row due within this many ms is treated as due (queue delays round to seconds). */
export const DUE_SLACK_MS = 1000;

export const isOpen = (s: DeliveryState): boolean => (OPEN_STATES as readonly DeliveryState[]).includes(s);
export const isFinal = (s: DeliveryState): boolean => (FINAL_STATES as readonly DeliveryState[]).includes(s);
/** A claim that has not run out: a call may be on the wire. */
export const inFlight = (r: RowState, now: number): boolean =>
  r.state === 'claimed' && r.claim_until !== null && r.claim_until >= now;
/** Open, not waiting out a backoff and not in flight: may be claimed now. */
export const isDue = (r: RowState, now: number): boolean =>
  (r.state === 'pending' || r.state === 'retry') && (r.due_at ?? 0) <= now + DUE_SLACK_MS;
export const claimable = (r: RowState, now: number): boolean =>
  isDue(r, now) || (r.state === 'claimed' && !inFlight(r, now));
/** Waiting out a backoff (or deferred behind a sibling): blocks its order's later events at that vendor. */
export const waiting = (r: RowState, now: number): boolean =>
  (r.state === 'pending' || r.state === 'retry') && (r.due_at ?? 0) > now + DUE_SLACK_MS;
/** A group (one order at one vendor) may be claimed when no open row of it is in flight or waiting. */
export const groupClaimable = (rows: readonly RowState[], now: number): boolean =>
  rows.some((r) => claimable(r, now)) && !rows.some((r) => inFlight(r, now) || waiting(r, now));
export const canTransition = (t: Transition, from: DeliveryState, to: DeliveryState): boolean =>
  TRANSITIONS[t].from.includes(from) && TRANSITIONS[t].to.includes(to);

const list = (states: readonly string[]) => states.map((s) => `'${s}'`).join(', ');

/**
 * SQL fragments over a row alias `d` of order_deliveries, with the time bound as `:now` — callers replace it with
 * their own parameter number (`sql(FRAGMENT, '?3')`). Each says what the TS predicate of the same name says.
 */
export const SQL = {
  open: `d.state IN (${list(OPEN_STATES)})`,
  /** The open-rows index's condition (`due_at` is set exactly while a row is open): lets a query use it. */
  indexed: 'd.due_at IS NOT NULL',
  final: `d.state IN (${list(FINAL_STATES)})`,
  failing: `d.state IN (${list(FAILING_STATES)})`,
  inFlight: `(d.state = 'claimed' AND d.claim_until >= :now)`,
  due: `(d.state IN ('pending', 'retry') AND d.due_at <= :now + ${DUE_SLACK_MS})`,
  claimable: `((d.state IN ('pending', 'retry') AND d.due_at <= :now + ${DUE_SLACK_MS}) OR (d.state = 'claimed' AND d.claim_until < :now))`,
  waiting: `(d.state IN ('pending', 'retry') AND d.due_at > :now + ${DUE_SLACK_MS})`,
} as const;

/** A fragment with `d` renamed and `:now` bound to a parameter. */
export const sql = (fragment: string, now: string, alias = 'd'): string =>
  fragment.replaceAll(':now', now).replaceAll('d.', `${alias}.`);

/** The vendor codes of migrations/0002 (vendor_codes). */
export const VENDOR_CODES = { mytracker: 1, esputnik: 2, ecomail: 3, vtmarketing: 4, yandex: 5 } as const;
export type CodedVendor = keyof typeof VENDOR_CODES;
export const vendorCode = (name: string): number | undefined => VENDOR_CODES[name as CodedVendor];
export const vendorName = (code: number): string | undefined =>
  (Object.keys(VENDOR_CODES) as CodedVendor[]).find((n) => VENDOR_CODES[n] === code);
