// CONSENT_REQUIRED: planWork skips an event whose consent (else its order's) denies the vendor's key, before the
// vendor plans it; with the flag off, consent is not read.
import { describe, expect, it } from 'vitest';
import { buildWork, planWork } from '../../src/worker/deliveries/send';
import { parseEventInput } from '../../src/worker/event';
import { toCanonicalEvent } from '../../src/worker/event-key';
import { mytracker } from '../../src/worker/vendors/mytracker';

async function event(orderId: string, consent?: Record<string, string>) {
  const parsed = parseEventInput({
    order_id: orderId,
    status: 'paid',
    occurred_at: 1767225600,
    total: 10,
    items: [{ id: 'SKU-1', price: 10 }],
    customer: { id: 'c-1', email: 'c@example.com' },
    consent,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return toCanonicalEvent(parsed.value, { source: 'server', received_at: 1767225600 }, 'EUR');
}

const config = mytracker.parseConfig({ MYTRACKER_APP_ID: '12345', MYTRACKER_TOKEN: 'test-mytracker-token' })!;

describe('planWork and consent', () => {
  it('skips denied events with reason consent when CONSENT_REQUIRED, and plans the rest', async () => {
    const events = [
      await event('A-1', { ad_user_data: 'denied' }),
      await event('A-2', { ad_user_data: 'granted' }),
      await event('A-3'),
    ];
    const work = buildWork(
      events.map((e) => e.key),
      events,
      new Map(),
    );
    const { plan, allowed } = planWork(mytracker, config, work, true);
    expect(allowed.map((w) => w.event.order_id)).toStrictEqual(['A-2', 'A-3']);
    expect(plan.skipped).toStrictEqual([{ key: events[0]!.key, reason: 'consent' }]);
    expect(plan.requests.flatMap((r) => r.keys)).toStrictEqual([events[1]!.key, events[2]!.key]);
    // A consent-denied key is never inside a request body.
    expect(plan.requests.some((r) => r.body.includes('"A-1"'))).toBe(false);
  });

  it('does not read consent when CONSENT_REQUIRED is off', async () => {
    const events = [await event('B-1', { ad_user_data: 'denied' })];
    const work = buildWork(
      events.map((e) => e.key),
      events,
      new Map(),
    );
    const { plan, allowed } = planWork(mytracker, config, work, false);
    expect(allowed).toHaveLength(1);
    expect(plan.skipped).toStrictEqual([]);
    expect(plan.requests.flatMap((r) => r.keys)).toStrictEqual([events[0]!.key]);
  });
});
