// The operator's read views: one order's ledger (folded order, events, deliveries, each vendor call), the
// latest events, counts per vendor and state, and the same on the page.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/worker/admin/data';
import { api, expectNoSecret, login, seedOrder, setState } from './admin-helpers';
import { call, env, orderId } from './helpers';

let order: string;
let keys: string[];
beforeAll(async () => {
  ({ order, keys } = await seedOrder(
    { status: 'created', occurred_at: 1_760_000_000 },
    { status: 'paid', occurred_at: 1_760_000_060 },
    {
      status: 'refunded',
      occurred_at: 1_760_000_600,
      total: 5,
      items: [{ id: 'SKU-2', name: 'Honey', quantity: 1, price: 5 }],
    },
  ));
});

/** The mytracker row of the event key bound as ?1. */
const ROW = `vendor = 1 AND (order_no, kind) = (SELECT e.order_no, e.kind FROM events e WHERE e.key = ?1)`;

describe('GET /admin/api/orders/:order_id', () => {
  it('answers the folded order, its events, every delivery and every vendor call', async () => {
    const res = await api(`/orders/${encodeURIComponent(order)}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expectNoSecret(text);
    const l = JSON.parse(text) as Ledger;
    expect(l.order_id).toBe(order);
    expect(l.order).toMatchObject({ state: 'paid', paid: true, total: 28.8, refunded_total: 5, event_count: 3 });
    expect(l.order!.items.map((i) => i.id)).toEqual(['SKU-1']);
    expect(l.events.map((e) => e.status)).toEqual(['created', 'paid', 'refunded']);
    expect(l.events.map((e) => e.key).sort()).toEqual([...keys].sort());
    const mt = l.deliveries.filter((d) => d.vendor === 'mytracker');
    expect(mt).toHaveLength(3);
    expect(mt.every((d) => d.state === 'delivered' && !d.replayable)).toBe(true);
    const calls = l.attempts.filter((a) => a.vendor === 'mytracker');
    expect(calls.length).toBeGreaterThanOrEqual(1);
    for (const a of calls) {
      expect(a).toMatchObject({ http_status: 200, outcome: 'delivered' });
      expect(a.detail).toContain('200');
      expect(typeof a.at).toBe('number');
      expect(keys).toContain(a.event_key);
    }
    expect(l.vendors.find((v) => v.name === 'mytracker')).toMatchObject({ enabled: true, label: 'MyTracker' });
  });

  it('masks emails, phones and IPs unless reveal=1', async () => {
    const masked = await (await api(`/orders/${order}`)).text();
    expect(masked).not.toContain('buyer@example.com');
    expect(masked).not.toContain('+420777123456');
    expect(masked).toContain('b***@example.com');
    const l = JSON.parse(masked) as Ledger;
    expect(l.order!.customer.phone).toBe('***56');
    const revealed = JSON.parse(await (await api(`/orders/${order}?reveal=1`)).text()) as Ledger;
    expect(revealed.order!.customer).toMatchObject({ email: 'buyer@example.com', phone: '+420777123456' });
  });

  it('truncates a long vendor answer and keeps it free of secrets', async () => {
    const key = keys[0]!;
    await setState(key, 'rejected');
    await env.DB.prepare(`UPDATE order_deliveries SET detail = ?2 WHERE ${ROW}`)
      .bind(key, `400 ${'x'.repeat(2000)} token test-mytracker-token echoed`)
      .run();
    const l = await (await api(`/orders/${order}`)).json<Ledger>();
    const d = l.deliveries.find((x) => x.event_key === key && x.vendor === 'mytracker')!;
    expect(d.state).toBe('rejected');
    expect(d.replayable).toBe(true);
    expect(d.last_detail!.length).toBeLessThanOrEqual(301);
    await env.DB.prepare(`UPDATE order_deliveries SET detail = ?2 WHERE ${ROW}`)
      .bind(key, '400 {"error":"bad"} token test-mytracker-token echoed')
      .run();
    const again = await (await api(`/orders/${order}`)).text();
    expectNoSecret(again);
    expect(again).toContain('token *** echoed');
    await setState(key, 'delivered');
  });

  it('answers 404 for an unknown order', async () => {
    const res = await api(`/orders/${orderId('NOPE')}`);
    expect(res.status).toBe(404);
  });
});

describe('GET /admin/api/events and /counts', () => {
  it('lists the latest events with their delivery states, newest first, limited', async () => {
    const res = await api('/events?limit=2');
    expect(res.status).toBe(200);
    const { events } = await res.json<{
      events: { key: string; order_id: string; status: string; email: string; deliveries: Record<string, string> }[];
    }>();
    expect(events).toHaveLength(2);
    const all = (await (await api('/events?limit=200')).json<{ events: typeof events }>()).events;
    const mine = all.filter((e) => e.order_id === order);
    expect(mine.map((e) => e.status).sort()).toEqual(['created', 'paid', 'refunded']);
    expect(mine[0]!.deliveries.mytracker).toBeDefined();
    expect(mine[0]!.email).toBe('b***@example.com');
  });

  it('counts rows per vendor and state for 24 h and 7 days, and refuses other windows', async () => {
    for (const window of ['24h', '7d']) {
      const res = await api(`/counts?window=${window}`);
      expect(res.status).toBe(200);
      const c = await res.json<{
        window: string;
        vendors: Record<string, Record<string, number>>;
        totals: Record<string, number>;
      }>();
      expect(c.window).toBe(window);
      expect(c.vendors.mytracker!.delivered).toBeGreaterThanOrEqual(3);
      expect(Object.keys(c.vendors.mytracker!).sort()).toEqual([
        'claimed',
        'dead',
        'delivered',
        'pending',
        'rejected',
        'retry',
        'skipped',
      ]);
      expect(c.totals.delivered).toBeGreaterThanOrEqual(3);
    }
    expect((await api('/counts?window=1y')).status).toBe(400);
  });
});

describe('the page', () => {
  it('shows counts, the latest events and, searched, the order with each attempt', async () => {
    const s = await login();
    const html = await (
      await call(`/admin?order=${encodeURIComponent(order)}`, { headers: { cookie: s.cookie } })
    ).text();
    expect(html).toContain('Deliveries per vendor');
    expect(html).toMatch(/<svg class="bar"[^>]*aria-label="MyTracker, last 24 hours: \d+ delivered/);
    expect(html).toContain(`Order <code>${order}</code>`);
    expect(html).toContain('HTTP 200');
    expect(html).toContain('data-state="delivered"');
    expect(html).toContain('Resend');
    expectNoSecret(html);
  });

  it('says so when no order matches', async () => {
    const s = await login();
    const html = await (
      await call('/admin?order=%3Cscript%3Ealert(1)%3C%2Fscript%3E', { headers: { cookie: s.cookie } })
    ).text();
    expect(html).toContain('No events or deliveries for order');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
