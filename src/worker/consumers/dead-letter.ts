// The deliveries dead-letter queue: messages the deliveries consumer failed on (it threw) max_retries times.
// A row whose attempt budget is spent becomes dead; any other row stays open for the cron, which sends it a
// new message once it has been due for STUCK_GRACE_SECONDS (a row never sent is never marked dead).
import { type Deps, retryPolicy } from '../deliveries/deliver';
import { vendorCode } from '../deliveries/state';
import { type KeyRef, markDead } from '../deliveries/store';
import type { DeliveryMessage, Env } from '../env';
import { log } from '../log';
import { refOf } from './deliveries';

export async function handleDeadLetters(
  messages: readonly Message<DeliveryMessage>[],
  env: Env,
  deps: Deps,
): Promise<void> {
  const byVendor = new Map<number, KeyRef[]>();
  for (const m of messages) {
    const code = vendorCode(m.body.vendor);
    const ref = refOf(m.body);
    if (code !== undefined && ref) byVendor.set(code, [...(byVendor.get(code) ?? []), ref]);
  }
  let dead = 0;
  for (const [code, refs] of byVendor)
    dead += await markDead(
      env.DB,
      code,
      refs,
      retryPolicy(env).maxAttempts,
      deps.now(),
      'dead-lettered: delivery kept failing',
    );
  log('warn', 'dead_letter', {
    messages: messages.length,
    rows_marked_dead: dead,
    left_for_the_cron: messages.length - dead,
  });
  for (const m of messages) m.ack();
}
