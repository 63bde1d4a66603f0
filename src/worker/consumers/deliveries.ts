// The deliveries consumer. Row state, not the message, is the truth: a message names an order's event at a
// vendor; the consumer claims that order's due rows at the vendor as a whole, delivers them, and acknowledges.
// A retry is a new delayed message.
import { enabledVendor } from '../config';
import { claimMs, type Deps, deliverClaim } from '../deliveries/deliver';
import { requeueRetries } from '../deliveries/enqueue';
import { orderIdOfKey } from '../deliveries/keys';
import { claimable, inFlight, isFinal, vendorCode } from '../deliveries/state';
import { claimOrders, type KeyRef, rowsByKeys, skipRows } from '../deliveries/store';
import type { DeliveryMessage, Env } from '../env';
import { log } from '../log';

/** How long a message waits when its order's earlier call is still on the wire. */
const SIBLING_WAIT_SECONDS = 5;

export const refOf = (m: DeliveryMessage): KeyRef | null => {
  const order_id = m.order_id ?? orderIdOfKey(m.key);
  return order_id === null ? null : { key: m.key, order_id };
};

export async function handleDeliveries(
  messages: readonly Message<DeliveryMessage>[],
  env: Env,
  deps: Deps,
): Promise<void> {
  const byVendor = new Map<string, Message<DeliveryMessage>[]>();
  for (const m of messages) byVendor.set(m.body.vendor, [...(byVendor.get(m.body.vendor) ?? []), m]);
  await Promise.all([...byVendor].map(([name, msgs]) => deliverVendor(env, deps, name, msgs)));
}

async function deliverVendor(env: Env, deps: Deps, name: string, msgs: Message<DeliveryMessage>[]): Promise<void> {
  const code = vendorCode(name);
  const refs = msgs.map((m) => refOf(m.body));
  const known = refs.filter((r): r is KeyRef => r !== null);
  if (code === undefined || known.length < refs.length) {
    log('error', 'delivery_message_unreadable', { vendor: name, messages: msgs.length - known.length });
    if (code === undefined) {
      for (const m of msgs) m.ack();
      return;
    }
  }
  const now = deps.now();
  const enabled = enabledVendor(env, name);
  if (!enabled) {
    await skipRows(env.DB, code, known, now);
    for (const m of msgs) m.ack();
    return;
  }
  const claim = await claimOrders(
    env.DB,
    code,
    known.map((r) => r.order_id),
    now,
    claimMs(env),
  );
  const results = await deliverClaim(env, enabled, claim, deps);
  await requeueRetries(env, name, results, deps.now());
  const handled = new Set(results.map((r) => r.key));
  const others = known.filter((r) => !handled.has(r.key));
  const rows = new Map((await rowsByKeys(env.DB, code, others)).map((r) => [r.key, r]));
  const later = deps.now();
  for (const m of msgs) {
    const row = rows.get(m.body.key);
    // Claimable but not claimed: an earlier call of its order is on the wire. Anything else (final, in flight,
    // waiting for a sibling's retry message, unknown) is acknowledged: its row already has its next step.
    const blocked = row && !isFinal(row.state) && !inFlight(row, later) && claimable(row, later);
    if (!handled.has(m.body.key) && blocked) m.retry({ delaySeconds: SIBLING_WAIT_SECONDS });
    else m.ack();
  }
}
