/// <reference types="vite/client" />
// eSputnik: the golden fixtures beside this file (written by hand from the docs, docs/vendors/esputnik.md) are
// replayed by test/vendors/golden.test.ts; these tests add edge cases, classify, config and the credentials check.
import { describe, expect, it } from 'vitest';
import { buildWork } from '../../../src/worker/deliveries/send';
import { type ESputnikConfig, esputnik } from '../../../src/worker/vendors/esputnik';
import type { Plan, Work } from '../../../src/worker/vendors/types';
import { type Fixture, load } from '../fixture-work';

const fixtures = import.meta.glob<Fixture>('./*.json', { eager: true, import: 'default' });

function planFor(fx: Fixture, work: Work[]): Plan {
  const config = esputnik.parseConfig(fx.config);
  if (!config) throw new Error('fixture config disables the vendor');
  return esputnik.plan(work, config);
}

describe('eSputnik fixtures', () => {
  it('has the fixtures the brief asks for', () => {
    const names = Object.keys(fixtures).map((p) => p.replace(/^\.\/|\.json$/g, ''));
    expect(names).toEqual(
      expect.arrayContaining([
        'minimal',
        'full',
        'created',
        'paid',
        'refunded-partial',
        'refunded-full',
        'cancelled',
        'delivered',
        'updated',
        'seed-order-created',
      ]),
    );
  });
});

describe('eSputnik plan', () => {
  it('keeps two orders in two lanes, each with its own contact first', async () => {
    const a = await load(fixtures['./created.json']!);
    const b = await load(fixtures['./minimal.json']!);
    const plan = planFor(fixtures['./created.json']!, [...a.work, ...b.work]);
    expect(plan.requests.map((r) => `${r.lane} ${r.url.split('/').pop()}`)).toEqual([
      'esputnik:E-100 contact',
      'esputnik:E-100 event',
      'esputnik:E-min-1 contact',
      'esputnik:E-min-1 event',
    ]);
  });

  it('sends a created that arrives after eSputnik already has the order as orderUpdated, never a second orderCreated', async () => {
    const fx = fixtures['./paid.json']!;
    const { events } = await load(fx);
    // paid was acknowledged; the late created is the one to deliver now.
    const sent = new Map([
      ['E-100', [{ key: events[1]!.key, status: 'paid' as const, occurred_at: events[1]!.occurred_at }]],
    ]);
    const plan = planFor(fx, buildWork([events[0]!.key], events, sent));
    const body = JSON.parse(plan.requests[1]!.body) as {
      eventTypeKey: string;
      params: { name: string; value: string }[];
    };
    expect(body.eventTypeKey).toBe('orderUpdated');
    expect(body.params.find((p) => p.name === 'status')?.value).toBe('IN_PROGRESS');
  });

  it('treats a cancellation of some items as partial: orderUpdated with what is left', async () => {
    const fx = fixtures['./refunded-partial.json']!;
    const events = [...fx.events.slice(0, 2), { ...fx.events[2], status: 'cancelled' }];
    const { work } = await load({ ...fx, events });
    const body = JSON.parse(planFor(fx, work).requests[1]!.body) as {
      eventTypeKey: string;
      params: { name: string; value: string }[];
    };
    expect(body.eventTypeKey).toBe('orderUpdated');
    expect(body.params.find((p) => p.name === 'totalCost')?.value).toBe('21.9');
  });
});

describe('eSputnik config, classify, check', () => {
  // Basic order-relay:test-esputnik-key
  const config: ESputnikConfig = {
    baseUrl: 'https://esputnik.com',
    authorization: 'Basic b3JkZXItcmVsYXk6dGVzdC1lc3B1dG5pay1rZXk=',
  };

  it('needs the API key, defaults the base URL and names its secret', () => {
    expect(esputnik.parseConfig({})).toBeNull();
    expect(esputnik.parseConfig({ ESPUTNIK_API_KEY: '  ' })).toBeNull();
    expect(esputnik.parseConfig({ ESPUTNIK_API_KEY: 'test-esputnik-key' })).toStrictEqual(config);
    expect(
      esputnik.parseConfig({ ESPUTNIK_API_KEY: 'test-esputnik-key', ESPUTNIK_BASE_URL: 'https://yespo.io/' }),
    ).toStrictEqual({ ...config, baseUrl: 'https://yespo.io' });
    expect(esputnik.secrets).toEqual(['ESPUTNIK_API_KEY']);
    expect(esputnik.consentKey).toBe('ad_user_data');
  });

  it.each([
    [200, '', {}, { outcome: 'delivered' }],
    [200, 'not json at all', {}, { outcome: 'delivered' }],
    [400, '{"error":"Duplicated request"}', {}, { outcome: 'delivered' }],
    [408, '', {}, { outcome: 'retry' }],
    [429, 'Too Many Requests', { 'retry-after': '7' }, { outcome: 'retry', retryAfter: 7 }],
    [503, '{"error":"Internal Server Error"}', {}, { outcome: 'retry' }],
    [
      400,
      '{"error":"channels is required"}',
      {},
      { outcome: 'rejected', detail: '400 {"error":"channels is required"}' },
    ],
    [401, '{"error":"Unauthorized"}', {}, { outcome: 'rejected' }],
  ])('classifies %i %s', (status, body, headers, expected) => {
    expect(esputnik.classify({ status, body, headers })).toMatchObject(expected);
  });

  it('checks the credentials with GET /api/v1/account/info', () => {
    expect(esputnik.checkRequest?.(config)).toStrictEqual({
      method: 'GET',
      url: 'https://esputnik.com/api/v1/account/info',
      headers: { Authorization: 'Basic b3JkZXItcmVsYXk6dGVzdC1lc3B1dG5pay1rZXk=', Accept: 'application/json' },
      body: '',
      keys: [],
    });
  });
});
