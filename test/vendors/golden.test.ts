/// <reference types="vite/client" />
// Golden fixtures: test/vendors/<vendor>/<case>.json, written by hand from the vendor's docs (never from this
// code's output), replayed through parseEventInput → toCanonicalEvent → buildWork → vendor.plan. Every vendor in
// the registry must have a fixture directory with at least one case.
//
// { "description", "config": {env vars, fake secrets}, "events": [canonical inputs, each with occurred_at],
//   "work"?: [indexes to deliver now; default the last], "sent"?: [indexes the vendor already acknowledged],
//   "expected": { "requests": [{ "method", "url", "headers", "body", "keys"?: [indexes], "lane"?: string }],
//                 "skipped": [{ "index" | "key", "reason" }] } }
// `body`: a string is compared exactly, JSON is compared with the parsed body. An event may carry a "context"
// object ({ip, user_agent, page_url}): it is what the Worker sets for a browser event, so it is taken out of the
// input and used as the event's context.
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { browseRequest } from '../../src/worker/browse/esputnik';
import { BrowseEventSchema } from '../../src/worker/browse/event';
import { buildWork } from '../../src/worker/deliveries/send';
import { type CanonicalEvent, type Context, parseEventInput } from '../../src/worker/event';
import { toCanonicalEvent } from '../../src/worker/event-key';
import { VENDORS } from '../../src/worker/vendors';
import { esputnik } from '../../src/worker/vendors/esputnik';
import type { SentEvent, Vendor } from '../../src/worker/vendors/types';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type ExpectedRequest = {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Json;
  keys?: number[];
  lane?: string;
};
type Fixture = {
  description: string;
  config: Record<string, string>;
  events: Record<string, unknown>[];
  work?: number[];
  sent?: number[];
  expected: {
    requests: ExpectedRequest[];
    skipped: ({ index: number; reason: string } | { key: string; reason: string })[];
  };
};

const FILES = import.meta.glob<Fixture>('./*/*.json', { eager: true, import: 'default' });

/** Fixtures by vendor directory, sorted by file name. */
const byVendor = new Map<string, [string, Fixture][]>();
for (const [path, fixture] of Object.entries(FILES).sort(([a], [b]) => a.localeCompare(b))) {
  const [, dir = '', file = ''] = path.split('/');
  byVendor.set(dir, [...(byVendor.get(dir) ?? []), [file, fixture]]);
}

async function toEvents(inputs: readonly Record<string, unknown>[]): Promise<CanonicalEvent[]> {
  return Promise.all(
    inputs.map(async (raw, i) => {
      const { context, ...input } = raw as Record<string, unknown> & { context?: Partial<Context> };
      if (typeof input.occurred_at !== 'number')
        throw new Error(`events[${i}] needs a numeric occurred_at (fixtures are timeless otherwise)`);
      const parsed = parseEventInput(input);
      if (!parsed.ok) throw new Error(`events[${i}] is not a valid canonical event: ${JSON.stringify(parsed.issues)}`);
      const ctx: Context = context
        ? { ...context, source: 'browser', received_at: input.occurred_at }
        : { source: 'server', received_at: input.occurred_at };
      return toCanonicalEvent(parsed.value, ctx, 'EUR');
    }),
  );
}

async function run(vendor: Vendor<unknown>, f: Fixture) {
  const events = await toEvents(f.events);
  const keyAt = (i: number): string => {
    const e = events[i];
    if (!e) throw new Error(`no event at index ${i}`);
    return e.key;
  };
  const sent = new Map<string, SentEvent[]>();
  for (const i of f.sent ?? []) {
    const e = events[i]!;
    sent.set(e.order_id, [
      ...(sent.get(e.order_id) ?? []),
      { key: keyAt(i), status: e.status, occurred_at: e.occurred_at },
    ]);
  }
  const workKeys = (f.work ?? [events.length - 1]).map(keyAt);
  const work = buildWork(workKeys, events, sent);
  const config = vendor.parseConfig(f.config);
  expect(config, 'parseConfig(config) returned null: the vendor would be disabled').not.toBeNull();
  const plan = vendor.plan(work, config);
  return { events, workKeys, plan, keyAt };
}

describe('golden fixtures', () => {
  it('every fixture directory belongs to a registered vendor', () => {
    expect([...byVendor.keys()].filter((dir) => !VENDORS.some((v) => v.name === dir))).toEqual([]);
  });

  for (const vendor of VENDORS as readonly Vendor<unknown>[]) {
    const cases = byVendor.get(vendor.name) ?? [];
    describe(vendor.name, () => {
      it('has fixtures in test/vendors/<vendor>/', () => {
        expect(cases.length, `test/vendors/${vendor.name}/ has no *.json fixtures`).toBeGreaterThan(0);
      });

      for (const [file, f] of cases) {
        it(`${file}: ${f.description.slice(0, 90)}`, async () => {
          const { workKeys, plan, keyAt } = await run(vendor, f);
          const want = f.expected.requests;
          const got = plan.requests.map((r, i) => {
            const w = want[i];
            const out: Record<string, unknown> = {
              method: r.method,
              url: r.url,
              headers: r.headers,
              body: w === undefined || typeof w.body === 'string' ? r.body : JSON.parse(r.body),
            };
            if (w?.keys) out.keys = r.keys;
            if (w?.lane !== undefined) out.lane = r.lane;
            return out;
          });
          const wanted = want.map((w) => ({ ...w, ...(w.keys ? { keys: w.keys.map(keyAt) } : {}) }));
          expect(got).toStrictEqual(wanted);

          const bySkip = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
          const skipped = f.expected.skipped.map((s) => ({
            key: 'index' in s ? keyAt(s.index) : s.key,
            reason: s.reason,
          }));
          expect([...plan.skipped].sort(bySkip)).toStrictEqual(skipped.sort(bySkip));

          // Every key to deliver is covered by a request or skipped, never both, and nothing else is.
          const requested = new Set(plan.requests.flatMap((r) => r.keys));
          expect(plan.skipped.filter((s) => requested.has(s.key))).toStrictEqual([]);
          const covered = new Set([...requested, ...plan.skipped.map((s) => s.key)]);
          expect([...covered].sort()).toStrictEqual([...new Set(workKeys)].sort());
        });
      }
    });
  }
});

// Browse fixtures: test/vendors/<vendor>/browse/<case>.json, written by hand from the vendor's docs, replayed through
// the canonical browse schema and the vendor's browse mapping.
// { "description", "config", "event": {canonical browse input with occurred_at},
//   "expected": { "request": { "method", "url", "headers", "body" } } | { "skipped": reason } }
type BrowseFixture = {
  description: string;
  config: Record<string, string>;
  event: Record<string, unknown>;
  expected: { request?: ExpectedRequest; skipped?: string };
};
const BROWSE_FILES = import.meta.glob<BrowseFixture>('./*/browse/*.json', { eager: true, import: 'default' });
const BROWSE_MAPPINGS = {
  esputnik: (event: v.InferOutput<typeof BrowseEventSchema>, config: Record<string, string>) => {
    const parsed = esputnik.parseConfig(config);
    if (!parsed) throw new Error('parseConfig(config) returned null: the vendor would be disabled');
    return browseRequest(event, parsed);
  },
} as const;

describe('browse golden fixtures', () => {
  const cases = Object.entries(BROWSE_FILES).sort(([a], [b]) => a.localeCompare(b));

  it('cover the four examples of the eSputnik recommendation-events page', () => {
    const names = cases.map(([path]) => path);
    for (const seed of ['page-viewed', 'product-viewed', 'category-viewed', 'cart-updated'])
      expect(names).toContain(`./esputnik/browse/seed-${seed}.json`);
  });

  for (const [path, f] of cases) {
    const vendor = path.split('/')[1] as keyof typeof BROWSE_MAPPINGS;
    it(`${path.slice(2)}: ${f.description.slice(0, 90)}`, () => {
      const map = BROWSE_MAPPINGS[vendor];
      expect(map, `no browse mapping for ${vendor}`).toBeDefined();
      const event = v.parse(BrowseEventSchema, f.event);
      const got = map(event, f.config);
      if (f.expected.skipped !== undefined) {
        expect(got).toBe(f.expected.skipped);
        return;
      }
      expect(typeof got).toBe('object');
      const req = got as Exclude<typeof got, string>;
      const want = f.expected.request;
      if (!want) throw new Error('a browse fixture expects a request or a skip');
      expect({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: typeof want.body === 'string' ? req.body : JSON.parse(req.body),
      }).toStrictEqual(want);
      // The body on the wire is the string the fixture parses: exact key order included.
      if (typeof want.body !== 'string') expect(req.body).toBe(JSON.stringify(want.body));
    });
  }
});
