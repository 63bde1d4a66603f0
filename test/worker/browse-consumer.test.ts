// The browse consumer (src/worker/browse/consumer.ts) with scripted eSputnik answers and a virtual clock: outcomes
// and their counters in D1, bounded retries, a 429 that stops the batch, the consent and anonymous skips, and the
// pacing that keeps the calls under eSputnik's rate limit.
import { describe, expect, it } from 'vitest';
import {
  type BrowseDeps,
  handleBrowse,
  IN_FLIGHT,
  MAX_BROWSE_ATTEMPTS,
  PER_SECOND,
} from '../../src/worker/browse/consumer';
import { dayOf } from '../../src/worker/browse/counts';
import type { BrowseEvent, BrowseMessage } from '../../src/worker/browse/event';
import type { Env } from '../../src/worker/env';
import { env } from './helpers';

type Settled = { acked: boolean; retried?: { delaySeconds?: number } };

function message(browse: BrowseEvent, attempts = 1): Message<BrowseMessage> & { settled: Settled } {
  const settled: Settled = { acked: false };
  return {
    id: crypto.randomUUID(),
    timestamp: new Date(),
    body: { browse },
    attempts,
    settled,
    ack: () => {
      settled.acked = true;
    },
    retry: (opts?: QueueRetryOptions) => {
      settled.retried = { delaySeconds: opts?.delaySeconds };
    },
  };
}

let seq = 0;
function event(overrides: Partial<BrowseEvent> = {}): BrowseEvent {
  return {
    type: 'page',
    url: `https://shop.example/p/${++seq}`,
    items: [],
    customer: { email: `visitor-${seq}@example.com` },
    occurred_at: Math.floor(Date.now() / 1000),
    ...overrides,
  };
}

/** A virtual clock: sleep advances it. Each scripted answer is a status (and optional Retry-After). */
function harness(answers: (number | [number, string])[] = []) {
  let now = Date.now();
  const calls: { at: number; url: string; body: string }[] = [];
  let open = 0;
  let maxOpen = 0;
  const deps: BrowseDeps = {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    fetch: async (input, init) => {
      calls.push({ at: now, url: String(input), body: String(init?.body) });
      open++;
      maxOpen = Math.max(maxOpen, open);
      await Promise.resolve();
      open--;
      const a = answers.shift() ?? 200;
      const [status, retryAfter] = Array.isArray(a) ? a : [a, undefined];
      return new Response('{}', { status, headers: retryAfter ? { 'retry-after': retryAfter } : {} });
    },
  };
  return { deps, calls, maxOpen: () => maxOpen };
}

async function count(type: string, outcome: string): Promise<number> {
  const row = await env.DB.prepare('SELECT n FROM browse_counts WHERE day = ?1 AND type = ?2 AND outcome = ?3')
    .bind(dayOf(Math.floor(Date.now() / 1000)), type, outcome)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

async function counts(pairs: [string, string][]): Promise<number[]> {
  return Promise.all(pairs.map(([t, o]) => count(t, o)));
}

describe('browse consumer', () => {
  it('delivered, rejected, retried and given up: each acked or put back once, and counted per day, type and outcome', async () => {
    const pairs: [string, string][] = [
      ['page', 'delivered'],
      ['product', 'rejected'],
      ['category', 'retry'],
      ['cart', 'gave_up'],
    ];
    const before = await counts(pairs);
    const h = harness([200, 400, 503, 500]);
    const msgs = [
      message(event()),
      message(event({ type: 'product', items: [{ id: 'SKU-1', quantity: 1 }] })),
      message(event({ type: 'category', category: 'fruit' })),
      message(event({ type: 'cart', cart_id: 'cart-state-1', items: [] }), MAX_BROWSE_ATTEMPTS),
    ];
    await handleBrowse(msgs, env, h.deps);

    expect(h.calls.map((c) => JSON.parse(c.body).eventTypeKey)).toEqual([
      'pageViewed',
      'productViewed',
      'productCategoryViewed',
      'cartUpdated',
    ]);
    expect(h.calls.every((c) => c.url === 'https://esputnik.com/api/v1/event')).toBe(true);
    expect(msgs.map((m) => m.settled)).toEqual([
      { acked: true },
      { acked: true },
      { acked: false, retried: { delaySeconds: 10 } },
      { acked: true },
    ]);
    const after = await counts(pairs);
    expect(after.map((n, i) => n - (before[i] ?? 0))).toEqual([1, 1, 1, 1]);
  });

  it('a 429 stops the batch: nothing more is sent, and the rest goes back on the queue after its Retry-After', async () => {
    const h = harness([200, [429, '7']]);
    const msgs = Array.from({ length: 10 }, () => message(event()));
    await handleBrowse(msgs, env, h.deps);
    // Calls already open when the 429 came back may complete; no call starts after it.
    expect(h.calls.length).toBeLessThanOrEqual(1 + IN_FLIGHT);
    expect(msgs[0]?.settled).toEqual({ acked: true });
    expect(msgs.slice(h.calls.length).every((m) => m.settled.retried?.delaySeconds === 7)).toBe(true);
    expect(msgs[1]?.settled).toEqual({ acked: false, retried: { delaySeconds: 7 } });
  });

  it('sends nothing for an anonymous visitor, a Consent Mode denial (with CONSENT_REQUIRED) or without an API key', async () => {
    const pairs: [string, string][] = [
      ['page', 'skipped_anonymous'],
      ['page', 'skipped_consent'],
      ['product', 'skipped_consent'],
      ['page', 'skipped_disabled'],
    ];
    const before = await counts(pairs);
    const h = harness();
    const consentEnv = { ...env, CONSENT_REQUIRED: 'true' } as Env;
    const anonymous = message(event({ customer: { sc: 'CDA68358-1B2C-4D5E-8F90' } }));
    const noAnalytics = message(event({ consent: { analytics_storage: 'denied' } }));
    const noPersonalization = message(
      event({ type: 'product', items: [{ id: 'SKU-1', quantity: 1 }], consent: { ad_personalization: 'denied' } }),
    );
    const granted = message(event({ consent: { analytics_storage: 'granted', ad_personalization: 'granted' } }));
    await handleBrowse([anonymous, noAnalytics, noPersonalization, granted], consentEnv, h.deps);
    expect(h.calls).toHaveLength(1);
    expect(JSON.parse(h.calls[0]?.body ?? '{}').keyValue).toBe(granted.body.browse.customer.email);

    // Without CONSENT_REQUIRED a denial does not stop the event.
    await handleBrowse([message(event({ consent: { analytics_storage: 'denied' } }))], env, h.deps);
    expect(h.calls).toHaveLength(2);

    const disabledEnv = { ...env, ESPUTNIK_API_KEY: '' } as Env;
    await handleBrowse([message(event())], disabledEnv, h.deps);
    expect(h.calls).toHaveLength(2);

    const after = await counts(pairs);
    expect(after.map((n, i) => n - (before[i] ?? 0))).toEqual([1, 1, 1, 1]);
    expect([anonymous, noAnalytics, noPersonalization, granted].every((m) => m.settled.acked)).toBe(true);
  });

  it(`paces its calls: call i starts no earlier than i / ${PER_SECOND} s, at most ${IN_FLIGHT} open at once`, async () => {
    const h = harness();
    const start = h.deps.now();
    await handleBrowse(
      Array.from({ length: 100 }, () => message(event())),
      env,
      h.deps,
    );
    expect(h.calls).toHaveLength(100);
    h.calls.forEach((c, i) => {
      expect(c.at - start).toBeGreaterThanOrEqual(Math.floor((i * 1000) / PER_SECOND));
    });
    expect(h.maxOpen()).toBeLessThanOrEqual(IN_FLIGHT);
    // 100 calls span ≥ 99/60 s: at most PER_SECOND a second from this invocation.
    expect((h.calls.at(-1)?.at ?? 0) - start).toBeGreaterThanOrEqual((99 * 1000) / PER_SECOND - 1);
  });

  it('a batch of 100 mixed events writes its counters in one upsert, adding to what is there', async () => {
    const pairs: [string, string][] = [
      ['page', 'delivered'],
      ['cart', 'delivered'],
    ];
    const before = await counts(pairs);
    const h = harness();
    const msgs = Array.from({ length: 100 }, (_, i) =>
      message(i % 4 ? event() : event({ type: 'cart', cart_id: `state-${i}-abcdef`, items: [] })),
    );
    await handleBrowse(msgs, env, h.deps);
    const after = await counts(pairs);
    expect(after.map((n, i) => n - (before[i] ?? 0))).toEqual([75, 25]);
  });
});
