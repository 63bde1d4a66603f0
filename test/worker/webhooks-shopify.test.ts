// Shopify webhooks end to end: POST /v1/shopify → signature → ingest queue → D1 → the strict fake vendors.
// Bodies: test/worker/fixtures/shopify.ts (shapes from Shopify's documented webhook payloads).
import { beforeEach, describe, expect, it } from 'vitest';
import type { Env } from '../../src/worker/env';
import { signBase64Hmac } from '../../src/worker/webhooks/hmac';
import { shopifyWebhook } from '../../src/worker/webhooks/routes';
import { shopifyOrder, shopifyOrderId, shopifyRefund } from './fixtures/shopify';
import { call, fakes, type Received, receivedFor, settledRows } from './helpers';
import { eventsOf, postShopify, SHOPIFY_SECRET } from './webhooks-helpers';

type Body = { order: { order_id: string; status: string; items: { item_id: string; quantity: number }[] } };
/** MyTracker requests as "STATUS item×qty,…", one line per order in the request. */
function lines(r: Received): string[] {
  const parsed = JSON.parse(r.body) as Body | Body[];
  return (Array.isArray(parsed) ? parsed : [parsed]).map(
    (b) => `${b.order.status} ${b.order.items.map((i) => `${i.item_id}x${i.quantity}`).join(',')}`,
  );
}
const mytracker = async (id: string) => (await receivedFor('mytracker', id)).filter((r) => r.accepted).flatMap(lines);

async function accepted(res: Response): Promise<{ accepted: number; keys: string[] }> {
  expect(res.status).toBe(200);
  return res.json();
}

beforeEach(async () => {
  await fakes.reset();
});

describe('POST /v1/shopify: signature', () => {
  it('refuses a wrong or missing X-Shopify-Hmac-Sha256 with 401 JSON and stores nothing', async () => {
    const n = shopifyOrderId();
    const id = String(n);
    const paid = shopifyOrder(n, { financial_status: 'paid' });
    const wrongKey = await postShopify('orders/paid', paid, { secret: 'not-the-secret' });
    const missing = await postShopify('orders/paid', paid, { secret: null });
    const garbage = await postShopify('orders/paid', paid, { signature: 'AAAA' });
    // Signed, then one byte changed in transit.
    const raw = JSON.stringify(paid);
    const tampered = await postShopify('orders/paid', null, {
      raw: raw.replace('"428.00"', '"429.00"'),
      signature: await signBase64Hmac(SHOPIFY_SECRET, raw),
    });
    for (const res of [wrongKey, missing, garbage, tampered]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toMatchObject({ error: 'invalid_signature' });
    }
    // The same order, correctly signed and unpaid, goes through: its created event is the only one stored.
    expect((await accepted(await postShopify('orders/create', shopifyOrder(n)))).keys).toEqual([`${id}:created`]);
    await settledRows(id, 'mytracker', 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await eventsOf(id)).map((e) => e.key)).toEqual([`${id}:created`]);
  });

  it('answers another topic 200 without storing, and other methods 405', async () => {
    const res = await postShopify('products/update', { id: 1 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 0 });
    expect((await call('/v1/shopify', { method: 'GET' })).status).toBe(405);
  });
});

describe('POST /v1/shopify: topics', () => {
  it('create → paid (twice: a retry) → fulfilled → partial refund: ADD, PAY, REFUND of the refunded line, once each', async () => {
    const n = shopifyOrderId();
    const id = String(n);
    const order = shopifyOrder(n);
    await accepted(await postShopify('orders/create', order));
    await settledRows(id, 'mytracker', 1);
    const paid = { ...order, financial_status: 'paid' };
    const webhookId = crypto.randomUUID();
    // Shopify retries with the original body and the same webhook id.
    for (let i = 0; i < 2; i++)
      await accepted(await postShopify('orders/paid', paid, { headers: { 'x-shopify-webhook-id': webhookId } }));
    await settledRows(id, 'mytracker', 2);
    await accepted(await postShopify('orders/fulfilled', { ...paid, fulfillment_status: 'fulfilled' }));
    await accepted(await postShopify('refunds/create', shopifyRefund(n, 509562969)));
    // orders/updated fires for the refund too, carrying it in refunds[]: same key, nothing new.
    await accepted(
      await postShopify('orders/updated', {
        ...paid,
        fulfillment_status: 'fulfilled',
        financial_status: 'partially_refunded',
        refunds: [shopifyRefund(n, 509562969)],
      }),
    );
    const rows = await settledRows(id, 'mytracker', 4);
    expect(rows.map((r) => [r.event_key, r.state])).toEqual([
      [`${id}:created`, 'delivered'],
      [`${id}:paid`, 'delivered'],
      [`${id}:delivered`, 'skipped'],
      [`${id}:refunded:509562969`, 'delivered'],
    ]);
    expect(await mytracker(id)).toEqual([
      'ADD IPOD2008GREENx2,457924702x1',
      'PAY IPOD2008GREENx2,457924702x1',
      'REFUND IPOD2008GREENx1',
    ]);
    const events = await eventsOf(id);
    expect(events.every((e) => e.source === 'shopify')).toBe(true);
    expect(events.find((e) => e.status === 'refunded')?.body).toMatchObject({ total: 194 });
  });

  it('a cancel that also refunds is one cancellation, whichever webhook comes first or both at once', async () => {
    const cancelledAt = '2026-12-01T09:00:30+01:00';
    const scenario = async (order: 'together' | 'refund-first' | 'cancel-first') => {
      const n = shopifyOrderId();
      const id = String(n);
      const paid = shopifyOrder(n, { financial_status: 'paid' });
      await accepted(await postShopify('orders/paid', paid));
      await settledRows(id, 'mytracker', 2);
      const refund = shopifyRefund(n, 900001, {
        created_at: '2026-12-01T09:00:29+01:00',
        refund_line_items: [
          { ...shopifyRefund(n, 0).refund_line_items[0], quantity: 2, subtotal: 388.0 },
          {
            id: 104689540,
            line_item_id: 518995019,
            quantity: 1,
            subtotal: 25.0,
            total_tax: 4.17,
            line_item: { id: 518995019, variant_id: 457924702, sku: '', title: 'IPod Touch 8GB', price: '25.00' },
          },
        ],
      });
      const cancelled = { ...paid, financial_status: 'refunded', cancelled_at: cancelledAt, refunds: [refund] };
      const postRefund = () => postShopify('refunds/create', refund);
      const postCancel = () => postShopify('orders/cancelled', cancelled);
      if (order === 'together') await Promise.all([postRefund(), postCancel()]);
      else {
        const [first, second] = order === 'refund-first' ? [postRefund, postCancel] : [postCancel, postRefund];
        await accepted(await first());
        await settledRows(id, 'mytracker', 3);
        await accepted(await second());
      }
      await new Promise((r) => setTimeout(r, 2000)); // room for a second negative event to show up
      const rows = await settledRows(id, 'mytracker', 3);
      const negatives = (await eventsOf(id)).filter((e) => e.status === 'refunded' || e.status === 'cancelled');
      return { id, rows, negatives, sent: await mytracker(id) };
    };
    for (const order of ['together', 'refund-first', 'cancel-first'] as const) {
      const { negatives, sent } = await scenario(order);
      expect(negatives, order).toHaveLength(1);
      expect(sent.slice(2), order).toHaveLength(1);
      expect(sent[2], order).toMatch(/^(CANCEL|REFUND) IPOD2008GREENx2,457924702x1$/);
      // A cancellation stands when it is stored first or with the refund; a refund stored alone first stands as
      // the whole-order refund.
      if (order !== 'refund-first') expect(negatives[0]?.status, order).toBe('cancelled');
    }
  });

  it('answers before anything is stored, and holds Shopify events in the queue for the pixel (SHOPIFY_HOLD_SECONDS)', async () => {
    const sent: { body: unknown; delaySeconds?: number }[][] = [];
    const env = {
      SHOPIFY_WEBHOOK_SECRET: SHOPIFY_SECRET,
      SHOPIFY_HOLD_SECONDS: '45',
      INGEST: {
        async sendBatch(batch: { body: unknown; delaySeconds?: number }[]) {
          sent.push(batch);
        },
      },
    } as unknown as Env;
    const n = shopifyOrderId();
    const body = JSON.stringify(shopifyOrder(n, { financial_status: 'paid' }));
    const request = (topic: string, raw: string) =>
      signBase64Hmac(SHOPIFY_SECRET, raw).then(
        (sig) =>
          new Request('https://relay.example/v1/shopify', {
            method: 'POST',
            headers: { 'x-shopify-topic': topic, 'x-shopify-hmac-sha256': sig },
            body: raw,
          }),
      );
    expect((await shopifyWebhook(await request('orders/paid', body), env, Date.now())).status).toBe(200);
    expect(sent[0]?.map((m) => m.delaySeconds)).toEqual([45, 45]);
    const refund = JSON.stringify(shopifyRefund(n, 1));
    await shopifyWebhook(await request('refunds/create', refund), env, Date.now());
    expect(sent[1]?.map((m) => m.delaySeconds)).toEqual([55]);
  });

  it("splits a large order's events into sendBatch calls within Queues' 256 KB", async () => {
    const batches: { body: unknown }[][] = [];
    const env = {
      SHOPIFY_WEBHOOK_SECRET: SHOPIFY_SECRET,
      INGEST: {
        async sendBatch(batch: { body: unknown }[]) {
          batches.push(batch);
        },
      },
    } as unknown as Env;
    const n = shopifyOrderId();
    const line = (i: number) => ({
      id: 1000 + i,
      sku: `SKU-${i}`,
      title: `${'A long product title '.repeat(10)}${i}`,
      quantity: 1,
      price: '10.00',
      discount_allocations: [],
    });
    const order = shopifyOrder(n, {
      financial_status: 'paid',
      fulfillment_status: 'fulfilled',
      line_items: Array.from({ length: 400 }, (_, i) => line(i)),
    });
    const raw = JSON.stringify(order);
    const res = await shopifyWebhook(
      new Request('https://relay.example/v1/shopify', {
        method: 'POST',
        headers: {
          'x-shopify-topic': 'orders/fulfilled',
          'x-shopify-hmac-sha256': await signBase64Hmac(SHOPIFY_SECRET, raw),
        },
        body: raw,
      }),
      env,
      Date.now(),
    );
    expect(await res.json()).toMatchObject({ accepted: 3 });
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toHaveLength(3);
    for (const b of batches)
      expect(new TextEncoder().encode(JSON.stringify(b.map((m) => m.body))).byteLength).toBeLessThan(256 * 1024);
  });

  it('answers 200 with the reason, sending nothing, when one event would not fit in a queue message', async () => {
    let calls = 0;
    const env = {
      SHOPIFY_WEBHOOK_SECRET: SHOPIFY_SECRET,
      INGEST: {
        async sendBatch() {
          calls++;
        },
      },
    } as unknown as Env;
    const lines = Array.from({ length: 450 }, (_, i) => ({
      id: i,
      sku: `SKU-${i}`,
      title: `${'x'.repeat(400)}${i}`,
      quantity: 1,
      price: '1.00',
    }));
    const raw = JSON.stringify(shopifyOrder(shopifyOrderId(), { line_items: lines }));
    const res = await shopifyWebhook(
      new Request('https://relay.example/v1/shopify', {
        method: 'POST',
        headers: {
          'x-shopify-topic': 'orders/create',
          'x-shopify-hmac-sha256': await signBase64Hmac(SHOPIFY_SECRET, raw),
        },
        body: raw,
      }),
      env,
      Date.now(),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 0, error: 'event_too_large' });
    expect(calls).toBe(0);
  });
});
