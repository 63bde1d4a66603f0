// Mapping preview and credential checks: the exact requests each enabled vendor would get, secrets masked,
// nothing sent or stored; raw dataLayer entries (mt_order, GA4 purchase) read through the normaliser; folding
// with an order's stored events; a vendor's credential check sent from the Worker.
import { describe, expect, it } from 'vitest';
import { checkVendor } from '../../src/worker/admin/check';
import { maskRequest, secretsOf } from '../../src/worker/admin/mask';
import type { Preview } from '../../src/worker/admin/preview';
import { enabledVendors } from '../../src/worker/config';
import * as normalize from '../../src/worker/normalize';
import { expectNoSecret, login, postApi, postForm, SECRETS, seedOrder } from './admin-helpers';
import { call, env, fakes, makeEvent, orderId, receivedFor, storedEvents } from './helpers';

const LVID = 'b'.repeat(32);
/** Raw dataLayer entries need the colleague's normaliser (src/worker/normalize/*); without it they are refused. */
const normaliserLanded = typeof (normalize as Record<string, unknown>).fromDataLayerEntry === 'function';

async function previewOf(body: unknown, query = ''): Promise<{ status: number; text: string; preview: Preview }> {
  const res = await postApi(`/preview${query}`, body);
  const text = await res.text();
  return { status: res.status, text, preview: JSON.parse(text) as Preview };
}

describe('POST /admin/api/preview', () => {
  it('shows the requests of every enabled vendor for a canonical event, secrets masked, nothing sent or stored', async () => {
    const event = makeEvent();
    const id = String(event.order_id);
    const { status, text, preview } = await previewOf(event);
    expect(status).toBe(200);
    expectNoSecret(text);
    expect(preview.format).toBe('canonical');
    expect(preview.event.key).toBe(`${id}:paid`);
    expect(preview.stored_events).toBe(0);
    const enabled = enabledVendors(env).map((e) => e.vendor.name);
    expect(preview.vendors.map((v) => v.vendor)).toEqual(enabled);
    for (const v of preview.vendors) {
      expect(v.error, v.vendor).toBeUndefined();
      expect(v.requests.length + v.skipped.length, v.vendor).toBeGreaterThan(0);
      for (const r of v.requests) {
        for (const [name, value] of Object.entries(r.headers)) {
          if (/auth|key|token/i.test(name)) expect(value, `${v.vendor} ${name}`).toBe('***');
        }
      }
    }
    const mt = preview.vendors.find((v) => v.vendor === 'mytracker')!;
    expect(mt.requests).toHaveLength(1);
    expect(mt.requests[0]).toMatchObject({
      method: 'POST',
      url: 'https://tracker-s2s.my.com/v1/order/?idApp=12345',
      headers: { Authorization: '***', 'Content-Type': 'application/json' },
    });
    const body = JSON.parse(mt.requests[0]!.body) as {
      order: { order_id: string; status: string; items: unknown[] };
      lvid: string;
    };
    expect(body.order).toMatchObject({ order_id: id, status: 'PAY' });
    expect(body.order.items).toHaveLength(2);
    // PII in request bodies is masked unless revealed.
    expect(text).not.toContain('buyer@example.com');
    const revealed = await previewOf(event, '?reveal=1');
    expectNoSecret(revealed.text);

    await new Promise((r) => setTimeout(r, 1500));
    expect(await storedEvents(id)).toEqual([]);
    for (const vendor of enabled) expect(await receivedFor(vendor, id), vendor).toEqual([]);
  });

  it("folds with the order's stored events and flags a duplicate", async () => {
    const { order } = await seedOrder({ status: 'created' });
    const paid = await previewOf(
      makeEvent({ order_id: order, status: 'paid', occurred_at: Math.floor(Date.now() / 1000) + 60 }),
    );
    expect(paid.status).toBe(200);
    expect(paid.preview.stored_events).toBe(1);
    expect(paid.preview.duplicate).toBe(false);
    expect(paid.preview.order).toMatchObject({ state: 'paid', event_count: 2 });
    const again = await previewOf(makeEvent({ order_id: order, status: 'created' }));
    expect(again.preview.duplicate).toBe(true);
  });

  it('lists skipped reasons (a delivered event has no MyTracker status)', async () => {
    const { preview } = await previewOf(makeEvent({ status: 'delivered' }));
    const mt = preview.vendors.find((v) => v.vendor === 'mytracker')!;
    expect(mt.requests).toEqual([]);
    expect(mt.skipped).toEqual([
      { key: expect.stringContaining(':delivered'), reason: expect.stringContaining('no MyTracker status') },
    ]);
  });

  it('refuses an invalid event with 400 and its issues', async () => {
    const res = await postApi('/preview', { order_id: 'X', status: 'shipped' });
    expect(res.status).toBe(400);
    const body = await res.json<{ error: string; issues: { path: string }[] }>();
    expect(body.issues.map((i) => i.path)).toContain('status');
  });

  it.runIf(normaliserLanded)('reads a raw mt_order entry', async () => {
    const id = orderId('MT');
    const entry = {
      event: 'mt_order',
      ecommerce: {
        status: 'PAY',
        currency_code: 'EUR',
        order_id: id,
        customer: { id: 'cust-9', email: 'mt.buyer@example.com' },
        items: [{ item_id: 'SKU-1', item_name: 'Green apple', price: '11.90', quantity: '2', item_category1: 'Fruit' }],
      },
    };
    const { status, text, preview } = await previewOf(entry);
    expect(status, text).toBe(200);
    expectNoSecret(text);
    expect(preview.format).toBe('mytracker');
    expect(preview.event).toMatchObject({ order_id: id, status: 'paid', currency: 'EUR' });
    expect(preview.event.context.source).toBe('browser');
    const mt = preview.vendors.find((v) => v.vendor === 'mytracker')!;
    const body = JSON.parse(mt.requests[0]!.body) as {
      customUserId: string;
      order: { items: { price: number; quantity: number; item_category1: string }[] };
    };
    expect(body.customUserId).toBe('cust-9');
    expect(body.order.items[0]).toMatchObject({ price: 11.9, quantity: 2, item_category1: 'Fruit' });
  });

  it.runIf(normaliserLanded)('reads a GA4 purchase, bare or in the snippet envelope with visitor ids', async () => {
    const id = orderId('GA');
    const purchase = {
      event: 'purchase',
      ecommerce: {
        transaction_id: id,
        value: 23.8,
        tax: 0,
        shipping: 5,
        currency: 'EUR',
        items: [{ item_id: 'SKU-1', item_name: 'Green apple', price: 11.9, quantity: 2 }],
      },
    };
    const bare = await previewOf(purchase);
    expect(bare.status, bare.text).toBe(200);
    expect(bare.preview.format).toBe('ga4');
    expect(bare.preview.event).toMatchObject({ order_id: id, status: 'paid', total: 28.8 });
    // No visitor id and no customer id: MyTracker has no one to attribute the order to.
    expect(bare.preview.vendors.find((v) => v.vendor === 'mytracker')!.skipped[0]!.reason).toBe('no_identifier');

    const wrapped = await previewOf({ v: 1, e: purchase, ids: { lvid: LVID }, url: 'https://shop.example/thanks' });
    expect(wrapped.status, wrapped.text).toBe(200);
    expect(wrapped.preview.event.context.page_url).toBe('https://shop.example/thanks');
    const mt = wrapped.preview.vendors.find((v) => v.vendor === 'mytracker')!;
    expect(JSON.parse(mt.requests[0]!.body)).toMatchObject({ lvid: LVID, order: { order_id: id, status: 'PAY' } });
    // gtag('event', 'purchase', {...}) arrives as its arguments.
    const gtag = await previewOf(['event', 'purchase', { ...purchase.ecommerce, transaction_id: `${id}-g` }]);
    expect(gtag.status, gtag.text).toBe(200);
    expect(gtag.preview.event.order_id).toBe(`${id}-g`);
  });

  it('works from the page form, HTML out, secrets masked', async () => {
    const s = await login();
    const res = await postForm('/admin/preview', s, { payload: JSON.stringify(makeEvent()) });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('https://tracker-s2s.my.com/v1/order/?idApp=12345');
    expect(html).toContain('***');
    expectNoSecret(html);
    const bad = await postForm('/admin/preview', s, { payload: '{"order_id":' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('not valid JSON');
  });

  it('a JSON body to /admin/preview answers JSON', async () => {
    const res = await call('/admin/preview', {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' },
      body: JSON.stringify(makeEvent()),
    });
    expect(res.status).toBe(200);
    expect((await res.json<Preview>()).vendors.length).toBeGreaterThan(0);
  });
});

describe('secret masking', () => {
  it('masks every secret value, credential headers and query values, and URL credentials', () => {
    const secrets = secretsOf(env);
    for (const s of SECRETS) expect(secrets).toContain(s);
    const masked = maskRequest(
      {
        method: 'POST',
        url: 'https://user:pass@api.example/v1/x?apikey=abc&token=def&other=test-esputnik-key&plain=1',
        headers: {
          Authorization: 'Basic dGVzdA==',
          'X-Api-Key': 'whatever',
          'Content-Type': 'application/json',
          'X-Echo': 'test-ecomail-key',
        },
        body: JSON.stringify({
          key: 'test-vtmarketing-key',
          nested: 'Bearer test-yandex-token',
          email: 'a.person@example.com',
        }),
        keys: [],
      },
      secrets,
      false,
    );
    const all = JSON.stringify(masked);
    expectNoSecret(all);
    expect(all).not.toContain('pass@');
    expect(all).not.toContain('abc');
    expect(all).not.toContain('def');
    expect(masked.url).toBe('https://***:***@api.example/v1/x?apikey=***&token=***&other=***&plain=1');
    expect(masked.headers).toEqual({
      Authorization: '***',
      'X-Api-Key': '***',
      'Content-Type': 'application/json',
      'X-Echo': '***',
    });
    expect(masked.body).not.toContain('a.person@example.com');
  });
});

describe('POST /admin/api/check/:vendor', () => {
  it("sends the vendor's credential check from the Worker and reports success, no secret", async () => {
    const before = (await fakes.received('mytracker')).filter((r) => r.path.includes('test-app-access')).length;
    const res = await postApi('/check/mytracker', {});
    expect(res.status).toBe(200);
    const text = await res.text();
    expectNoSecret(text);
    expect(JSON.parse(text)).toMatchObject({ vendor: 'mytracker', ok: true, outcome: 'delivered', http_status: 200 });
    const after = (await fakes.received('mytracker')).filter((r) => r.path.includes('test-app-access')).length;
    expect(after).toBe(before + 1);
  });

  it('reports a refused credential without showing it', async () => {
    const result = await checkVendor({ ...env, MYTRACKER_TOKEN: 'a-wrong-mytracker-token' }, 'mytracker');
    expect(result).toMatchObject({ ok: false, outcome: 'rejected', http_status: 403 });
    expect(JSON.stringify(result)).not.toContain('a-wrong-mytracker-token');
  });

  it('answers 404 for an unknown vendor or one without a check', async () => {
    expect((await postApi('/check/nope', {})).status).toBe(404);
    const without = enabledVendors(env).find((e) => !e.vendor.checkRequest);
    if (without) expect((await postApi(`/check/${without.vendor.name}`, {})).status).toBe(404);
  });
});
