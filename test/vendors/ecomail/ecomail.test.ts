/// <reference types="vite/client" />
// Ecomail: the golden fixtures beside this file (written by hand from the docs' create/update pages and
// docs/vendors/ecomail.md) are replayed by test/vendors/golden.test.ts; these tests add edge cases, classify and config.
import { describe, expect, it } from 'vitest';
import { type EcomailConfig, ecomail } from '../../../src/worker/vendors/ecomail';
import type { Plan, Work } from '../../../src/worker/vendors/types';
import { type Fixture, load } from '../fixture-work';

const fixtures = import.meta.glob<Fixture>('./*.json', { eager: true, import: 'default' });

function configOf(fx: Fixture): EcomailConfig {
  const config = ecomail.parseConfig(fx.config);
  if (!config) throw new Error('fixture config disables the vendor');
  return config;
}
const planFor = (fx: Fixture, work: Work[]): Plan => ecomail.plan(work, configOf(fx));

describe('Ecomail fixtures', () => {
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
        'seed-post',
      ]),
    );
  });
});

describe('Ecomail plan', () => {
  it('sends one request per order when several orders are due together', async () => {
    const b = await load(fixtures['./paid.json']!);
    const c = await load(fixtures['./minimal.json']!);
    const plan = planFor(fixtures['./paid.json']!, [...b.work, ...c.work]);
    expect(
      plan.requests.map((r) => `${r.method} ${r.url.replace('https://api2.ecomailapp.cz', '')} ${r.keys.join(',')}`),
    ).toEqual(['PUT /tracker/transaction/C-100 C-100:paid', 'POST /tracker/transaction C-min-1:created']);
  });

  it("prefers ECOMAIL_SHOP over the event's shop, and uses the event's shop without it", async () => {
    const fx = fixtures['./full.json']!;
    const { work } = await load(fx);
    const shopOf = (cfg: Record<string, string>) =>
      (
        JSON.parse(ecomail.plan(work, ecomail.parseConfig(cfg)!).requests[0]!.body) as {
          transaction: { shop?: string };
        }
      ).transaction.shop;
    expect(shopOf({ ECOMAIL_API_KEY: 'test-ecomail-key' })).toBe('myshop.cz');
    expect(shopOf({ ECOMAIL_API_KEY: 'test-ecomail-key', ECOMAIL_SHOP: 'other.cz' })).toBe('other.cz');
  });
});

describe('Ecomail config and classify', () => {
  it('needs the API key, defaults the base URL, takes the optional shop and names its secret', () => {
    expect(ecomail.parseConfig({})).toBeNull();
    expect(ecomail.parseConfig({ ECOMAIL_API_KEY: 'test-ecomail-key' })).toStrictEqual({
      apiKey: 'test-ecomail-key',
      baseUrl: 'https://api2.ecomailapp.cz',
    });
    expect(
      ecomail.parseConfig({
        ECOMAIL_API_KEY: 'test-ecomail-key',
        ECOMAIL_SHOP: 'shop.example',
        ECOMAIL_BASE_URL: 'http://127.0.0.1:9103/',
      }),
    ).toStrictEqual({ apiKey: 'test-ecomail-key', baseUrl: 'http://127.0.0.1:9103', shop: 'shop.example' });
    expect(ecomail.secrets).toEqual(['ECOMAIL_API_KEY']);
    expect(ecomail.consentKey).toBe('ad_user_data');
  });

  it.each([
    [200, '{"order_id":"C-1","id":1}', {}, { outcome: 'delivered' }],
    [200, '{}', {}, { outcome: 'delivered' }],
    [429, '{"message":"Too Many Attempts."}', { 'retry-after': '42' }, { outcome: 'retry', retryAfter: 42 }],
    [500, '{"message":"Server Error"}', {}, { outcome: 'retry' }],
    [
      422,
      '{"errors":{"transaction.email":["The transaction.email field is required."]}}',
      {},
      {
        outcome: 'rejected',
        detail: '422 {"errors":{"transaction.email":["The transaction.email field is required."]}}',
      },
    ],
    [
      404,
      '{"errors":{"order_id":["not found"]}}',
      {},
      { outcome: 'rejected', detail: '404 {"errors":{"order_id":["not found"]}}' },
    ],
    [401, '{"message":"Unauthorized"}', {}, { outcome: 'rejected' }],
  ])('classifies %i %s', (status, body, headers, expected) => {
    expect(ecomail.classify({ status, body, headers })).toMatchObject(expected);
  });
});
