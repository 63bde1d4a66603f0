// Builds the Work of a golden fixture the way the pipeline does (parse → canonical → buildWork), for the
// per-vendor edge-case tests that reuse their fixtures.
import { buildWork } from '../../src/worker/deliveries/send';
import { type CanonicalEvent, parseEventInput } from '../../src/worker/event';
import { toCanonicalEvent } from '../../src/worker/event-key';
import type { SentEvent, Work } from '../../src/worker/vendors/types';

export type Fixture = {
  description: string;
  config: Record<string, string>;
  events: Record<string, unknown>[];
  work?: number[];
  sent?: number[];
  expected: {
    requests: { method: string; url: string; headers: Record<string, string>; body: unknown }[];
    skipped?: { key?: string; reason: string }[];
  };
};

export async function load(fx: Fixture): Promise<{ events: CanonicalEvent[]; work: Work[] }> {
  const events = await Promise.all(
    fx.events.map((input) => {
      const parsed = parseEventInput(input);
      if (!parsed.ok) throw new Error(`invalid fixture event: ${JSON.stringify(parsed.issues)}`);
      const at = parsed.value.occurred_at ?? 0;
      return toCanonicalEvent(parsed.value, { source: 'server', received_at: at }, 'EUR');
    }),
  );
  const sent = new Map<string, SentEvent[]>();
  for (const e of (fx.sent ?? []).map((i) => events[i]!)) {
    sent.set(e.order_id, [
      ...(sent.get(e.order_id) ?? []),
      { key: e.key, status: e.status, occurred_at: e.occurred_at },
    ]);
  }
  const keys = (fx.work ?? [events.length - 1]).map((i) => events[i]!.key);
  return { events, work: buildWork(keys, events, sent) };
}
