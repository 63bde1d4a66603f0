// Replay (README "Operating", docs/design/delivery.md): rows go back to `pending` with a fresh set of attempts and
// a queue message each; a batched vendor's next flush picks its rows up. A delivered row is resent only when
// forced, and a row whose call is in flight is never touched, so replaying twice sends nothing more.
import * as v from 'valibot';
import { enabledVendor } from '../config';
import { orderIdOfKey } from '../deliveries/keys';
import { type Replayed, type ReplayTarget, resetForReplay } from '../deliveries/replay';
import type { DeliveryState } from '../deliveries/state';
import type { Env } from '../env';
import { toIssues } from '../event';
import { HttpError } from '../http';
import { log } from '../log';
import { vendorByName } from '../vendors';
import { deliveryRow } from './queries';

/** Rows replayed per request; the answer says `more: true` when the target holds more. */
export const REPLAY_LIMIT = 1000;
const DEFAULT_STATES: ('dead' | 'rejected')[] = ['dead', 'rejected'];
/** Everything but `delivered` (which needs `force`): a skipped row may be worth a retry once a vendor is configured. */
const REPLAYABLE: DeliveryState[] = ['pending', 'claimed', 'retry', 'skipped', 'rejected', 'dead'];

const Name = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(256));
const Force = v.optional(v.boolean(), false);
export const ReplaySchema = v.union(
  [
    v.strictObject({ key: Name, vendor: Name, force: Force }),
    v.strictObject({
      vendor: Name,
      states: v.optional(
        v.pipe(v.array(v.picklist(['pending', 'retry', 'skipped', 'rejected', 'dead', 'delivered'])), v.minLength(1)),
        DEFAULT_STATES,
      ),
      force: Force,
    }),
    v.strictObject({ order_id: Name, vendor: v.optional(Name), force: Force }),
  ],
  'Send {key, vendor}, {vendor, states} or {order_id} (each with an optional force: true)',
);
export type ReplayRequest = v.InferOutput<typeof ReplaySchema>;

export function parseReplay(input: unknown): ReplayRequest {
  const parsed = v.safeParse(ReplaySchema, input);
  if (!parsed.success) {
    // A union reports each branch; the branch-level message says what is expected.
    const issues = toIssues(parsed.issues);
    throw new HttpError(400, 'invalid_replay', parsed.issues[0]?.message ?? 'Invalid replay request', issues);
  }
  return parsed.output;
}

export type ReplayResult = {
  replayed: number;
  rows: { key: string; vendor: string; previous: DeliveryState }[];
  /** Rows of the target left as they were, by state (delivered without force, in flight, or not asked for). */
  kept: Partial<Record<DeliveryState, number>>;
  enqueued: number;
  /** Batched vendors whose rows wait for their next flush (the cron, each minute). */
  awaiting_flush: string[];
  more: boolean;
};

export async function replay(env: Env, request: ReplayRequest, now: number): Promise<ReplayResult> {
  const force = request.force;
  let target: ReplayTarget;
  let states: DeliveryState[];
  if ('key' in request) {
    target = { key: request.key, vendor: request.vendor };
    states = force ? [...REPLAYABLE, 'delivered'] : REPLAYABLE;
  } else if ('states' in request) {
    if (request.states.includes('delivered') && !force) {
      throw new HttpError(400, 'force_required', 'Replaying delivered rows sends them again: add "force": true');
    }
    target = { vendor: request.vendor };
    states = request.states;
  } else {
    target = request.vendor ? { order_id: request.order_id, vendor: request.vendor } : { order_id: request.order_id };
    states = force ? [...REPLAYABLE, 'delivered'] : REPLAYABLE;
  }
  const { replayed, before } = await resetForReplay(
    env.DB,
    target,
    'key' in target ? orderIdOfKey(target.key) : null,
    states,
    now,
    REPLAY_LIMIT,
  );
  if (!replayed.length && 'key' in target) await explainNothing(env, target);
  if (!replayed.length && 'order_id' in target && !before.length) {
    throw new HttpError(404, 'not_found', `No deliveries for order ${target.order_id}`);
  }
  const kept: ReplayResult['kept'] = {};
  for (const b of before) {
    const n = b.n - replayed.filter((r) => r.previous === b.state).length;
    if (n > 0) kept[b.state] = n;
  }
  const { enqueued, awaitingFlush } = await enqueue(env, replayed);
  log('info', 'replay', { target, force, replayed: replayed.length, enqueued });
  return {
    replayed: replayed.length,
    rows: replayed.map((r) => ({ key: r.event_key, vendor: r.vendor, previous: r.previous })),
    kept,
    enqueued,
    awaiting_flush: awaitingFlush,
    more: replayed.length === REPLAY_LIMIT,
  };
}

/** Why a single delivery was not replayed: missing, delivered without force, or in flight. */
async function explainNothing(env: Env, target: { key: string; vendor: string }): Promise<never> {
  const order = orderIdOfKey(target.key);
  const row = order === null ? null : await deliveryRow(env.DB, target.key, target.vendor, order);
  if (!row) throw new HttpError(404, 'not_found', `No delivery ${target.key} → ${target.vendor}`);
  if (row.state === 'delivered')
    throw new HttpError(
      409,
      'already_delivered',
      'This delivery was acknowledged by the vendor; add "force": true to send it again',
    );
  throw new HttpError(409, 'in_flight', 'A call for this delivery is in flight; try again in a minute');
}

/** One message per replayed row of a queue vendor; a batched vendor's rows wait for its flush. */
async function enqueue(env: Env, rows: readonly Replayed[]): Promise<{ enqueued: number; awaitingFlush: string[] }> {
  const awaitingFlush = new Set<string>();
  const messages: { body: { key: string; vendor: string; order_id: string } }[] = [];
  for (const r of rows) {
    // A disabled or unknown vendor still gets its message: the consumer records it as skipped, not stuck.
    const mode = (enabledVendor(env, r.vendor)?.vendor ?? vendorByName(r.vendor))?.mode ?? 'queue';
    if (mode === 'flush') awaitingFlush.add(r.vendor);
    else messages.push({ body: { key: r.event_key, vendor: r.vendor, order_id: r.order_id } });
  }
  for (let i = 0; i < messages.length; i += 100) await env.DELIVERIES.sendBatch(messages.slice(i, i + 100));
  return { enqueued: messages.length, awaitingFlush: [...awaitingFlush] };
}
