// The Worker's CPU path without I/O, for bench/run.mjs (bundled with esbuild and run in Node): a browser body is
// normalised, validated and keyed, folded into its order, and planned for every vendor, as ingest and the
// deliveries consumer do. Also the benchmark order itself, with every documented field.
import { buildWork, planWork } from '../src/worker/deliveries/send';
import type { CanonicalEvent, Context } from '../src/worker/event';
import { parseEventInput } from '../src/worker/event';
import { toCanonicalEvent } from '../src/worker/event-key';
import { fromBrowserBody } from '../src/worker/normalize';
import { VENDORS } from '../src/worker/vendors';
import type { Plan, Vendor } from '../src/worker/vendors/types';

export { MAX_BATCH_ORDERS, MAX_BODY_BYTES } from '../src/worker/vendors/mytracker';
export { VENDORS };

/** Every vendor enabled with placeholder credentials (the fakes' own), as in the tests. */
export const BENCH_ENV: Record<string, string> = {
  MYTRACKER_APP_ID: '12345',
  MYTRACKER_TOKEN: 'bench-mytracker-token',
  ESPUTNIK_API_KEY: 'bench-esputnik-key',
  ECOMAIL_API_KEY: 'bench-ecomail-key',
  ECOMAIL_SHOP: 'shop.example',
  VTMARKETING_API_KEY: 'bench-vtmarketing-key',
  YANDEX_METRICA_COUNTER_ID: '12345678',
  YANDEX_METRICA_TOKEN: 'bench-yandex-token',
};
const enabled = VENDORS.map((vendor) => ({
  vendor: vendor as Vendor<unknown>,
  config: vendor.parseConfig(BENCH_ENV) as unknown,
}));
const CONTEXT: Context = {
  source: 'browser',
  received_at: 1_767_225_600,
  page_url: 'https://shop.example/checkout/thank-you?order=1',
  user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
  ip: '203.0.113.7',
};

/** A GA4 `purchase` of `items` lines as the snippet posts it: the raw entry in its envelope, with every field filled. */
export function browserBody(orderId: string, items: number): Record<string, unknown> {
  const lines = Array.from({ length: items }, (_x, i) => ({
    item_id: `SKU-${1000 + i}`,
    item_name: `Organic green tea, 100 g (${i + 1})`,
    price: 11.9,
    quantity: 1 + (i % 3),
    discount: 1,
    item_brand: 'Tea House',
    item_variant: 'loose leaf',
    item_category: 'Food',
    item_category2: 'Drinks',
    item_category3: 'Tea',
    item_category4: 'Green tea',
    item_category5: 'Organic',
    coupon: 'TEA10',
  }));
  const value = lines.reduce((s, l) => s + l.price * l.quantity, 0);
  return {
    v: 1,
    e: {
      event: 'purchase',
      ecommerce: {
        transaction_id: orderId,
        value: Math.round(value * 100) / 100,
        tax: 4.9,
        shipping: 5.99,
        currency: 'EUR',
        coupon: 'SUMMER',
        items: lines,
      },
      customer: { id: 'cust-4711', first_name: 'Jana', last_name: 'Nováková', city: 'Brno', country: 'CZ' },
    },
    ids: { lvid: '0123456789abcdef0123456789abcdef', ym: '1700000000123456789', vt: 'u123_s456_789' },
    c: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' },
    u: { email: 'jana.novakova@example.com', phone_number: '+420777123456' },
    url: 'https://shop.example/checkout/thank-you?order=1',
  };
}

/** Normalise + validate + key: what `POST /o` does before queueing. Throws when the body is refused. */
export async function ingest(body: unknown): Promise<CanonicalEvent> {
  const input = fromBrowserBody(body);
  const parsed = parseEventInput(input.event);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return toCanonicalEvent(parsed.value, CONTEXT, 'EUR');
}

/** Fold + plan for every enabled vendor: what the deliveries consumer does between its D1 reads and its calls. */
export function planAll(events: readonly CanonicalEvent[], vendors = enabled): Map<string, Plan> {
  const work = buildWork(
    events.map((e) => e.key),
    events,
    new Map(),
  );
  return new Map(vendors.map(({ vendor, config }) => [vendor.name, planWork(vendor, config, work, false).plan]));
}

/** Plans for one vendor only (the batching simulation). */
export function planFor(name: string, events: readonly CanonicalEvent[]): Plan {
  const plan = planAll(
    events,
    enabled.filter((e) => e.vendor.name === name),
  ).get(name);
  if (!plan) throw new Error(`${name} is not enabled in the bench config`);
  return plan;
}

export { deliveryChunks } from '../src/worker/deliveries/enqueue';
