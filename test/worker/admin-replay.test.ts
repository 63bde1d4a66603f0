// Replay rules: a dead row goes back to pending with fresh attempts and is delivered; a delivered row is
// resent only when forced; replaying twice sends nothing more; rows in flight are left alone; the attempts
// log is kept. What the vendor received is read from the fake MyTracker.
import { describe, expect, it } from 'vitest';
import { api, login, postApi, postForm, row, seedOrder, setState, waitForState } from './admin-helpers';
import { env, orderId, receivedFor } from './helpers';

type ReplayAnswer = {
  replayed: number;
  enqueued: number;
  kept: Record<string, number>;
  rows: { key: string; vendor: string; previous: string }[];
  more: boolean;
};

const sent = async (order: string) => (await receivedFor('mytracker', order)).filter((r) => r.status === 200).length;
const settle = () => new Promise((r) => setTimeout(r, 1500));
const attemptsLogged = async (key: string) =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM attempts WHERE event_key = ?1 AND vendor = 'mytracker'`)
    .bind(key)
    .first<{ n: number }>())!.n;

describe('POST /admin/api/replay {key, vendor}', () => {
  it('sends a dead delivery again: pending with a fresh attempt counter, then delivered; history kept', async () => {
    const {
      order,
      keys: [key],
    } = await seedOrder();
    expect(await sent(order)).toBe(1);
    await setState(key!, 'dead', { attempts: 4 });
    const logged = await attemptsLogged(key!);

    const res = await postApi('/replay', { key, vendor: 'mytracker' });
    expect(res.status).toBe(200);
    const body = await res.json<ReplayAnswer>();
    expect(body).toMatchObject({
      replayed: 1,
      enqueued: 1,
      rows: [{ key, vendor: 'mytracker', previous: 'dead' }],
      more: false,
    });

    expect(await waitForState(key!, 'delivered')).toBe(true);
    const r = await row(key!);
    expect(r.attempts).toBe(1);
    expect(r.claimed_until).toBeNull();
    expect(await sent(order)).toBe(2);
    expect(await attemptsLogged(key!)).toBe(logged + 1);
  });

  it('does not resend a delivered row without force; with force it does, once', async () => {
    const {
      order,
      keys: [key],
    } = await seedOrder();
    const res = await postApi('/replay', { key, vendor: 'mytracker' });
    expect(res.status).toBe(409);
    expect((await res.json<{ error: string }>()).error).toBe('already_delivered');
    await settle();
    expect(await sent(order)).toBe(1);

    const forced = await postApi('/replay', { key, vendor: 'mytracker', force: true });
    expect(forced.status).toBe(200);
    expect((await forced.json<ReplayAnswer>()).rows[0]!.previous).toBe('delivered');
    expect(await waitForState(key!, 'delivered')).toBe(true);
    await settle();
    expect(await sent(order)).toBe(2);
  });

  it('replaying twice sends nothing more once the row is delivered', async () => {
    const {
      order,
      keys: [key],
    } = await seedOrder();
    await setState(key!, 'dead');
    // Both replays land before the consumer runs: two messages, one claim, one call.
    const [a, b] = await Promise.all([
      postApi('/replay', { key, vendor: 'mytracker' }),
      postApi('/replay', { key, vendor: 'mytracker' }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await waitForState(key!, 'delivered')).toBe(true);
    await settle();
    expect(await sent(order)).toBe(2);
    const again = await postApi('/replay', { key, vendor: 'mytracker' });
    expect(again.status).toBe(409);
    await settle();
    expect(await sent(order)).toBe(2);
  });

  it('leaves a row whose call is in flight alone', async () => {
    const {
      order,
      keys: [key],
    } = await seedOrder();
    await setState(key!, 'claimed', { claimed_until: Date.now() + 60_000 });
    const res = await postApi('/replay', { key, vendor: 'mytracker' });
    expect(res.status).toBe(409);
    expect((await res.json<{ error: string }>()).error).toBe('in_flight');
    expect((await row(key!)).state).toBe('claimed');
    await setState(key!, 'delivered');
    expect(await sent(order)).toBe(1);
  });

  it('answers 404 for an unknown delivery and 400 for a malformed request', async () => {
    expect((await postApi('/replay', { key: `${orderId()}:paid`, vendor: 'mytracker' })).status).toBe(404);
    expect((await postApi('/replay', {})).status).toBe(400);
    expect((await postApi('/replay', { key: 'a', vendor: 'mytracker', states: ['dead'] })).status).toBe(400);
    expect((await postApi('/replay', { vendor: 'mytracker', states: ['delivered'] })).status).toBe(400);
    expect((await postApi('/replay', { vendor: 'mytracker', states: ['lost'] })).status).toBe(400);
    expect((await api('/replay')).status).toBe(405);
  });
});

describe('POST /admin/api/replay {vendor, states}', () => {
  it('replays every dead and rejected row of the vendor, and nothing the second time', async () => {
    const [a, b, c] = await Promise.all([seedOrder(), seedOrder(), seedOrder()]);
    await setState(a.keys[0]!, 'dead');
    await setState(b.keys[0]!, 'rejected');
    const res = await postApi('/replay', { vendor: 'mytracker', states: ['dead', 'rejected'] });
    expect(res.status).toBe(200);
    const body = await res.json<ReplayAnswer>();
    expect(body.rows.map((r) => r.key).sort()).toEqual([a.keys[0], b.keys[0]].sort());
    expect(body.kept.delivered).toBeGreaterThanOrEqual(1);
    expect(await waitForState(a.keys[0]!, 'delivered')).toBe(true);
    expect(await waitForState(b.keys[0]!, 'delivered')).toBe(true);

    const again = await (await postApi('/replay', { vendor: 'mytracker' })).json<ReplayAnswer>();
    expect(again.replayed).toBe(0);
    await settle();
    expect([await sent(a.order), await sent(b.order), await sent(c.order)]).toEqual([2, 2, 1]);
  });
});

describe('POST /admin/api/replay {order_id}', () => {
  it('replays the undelivered rows of an order, the delivered ones only with force', async () => {
    const { order, keys } = await seedOrder({ status: 'created' }, { status: 'paid' });
    await setState(keys[1]!, 'dead');
    const res = await postApi('/replay', { order_id: order, vendor: 'mytracker' });
    const body = await res.json<ReplayAnswer>();
    expect(body.rows.map((r) => r.key)).toEqual([keys[1]]);
    expect(body.kept).toEqual({ delivered: 1 });
    expect(await waitForState(keys[1]!, 'delivered')).toBe(true);

    const none = await (await postApi('/replay', { order_id: order, vendor: 'mytracker' })).json<ReplayAnswer>();
    expect(none.replayed).toBe(0);
    const forced = await (
      await postApi('/replay', { order_id: order, vendor: 'mytracker', force: true })
    ).json<ReplayAnswer>();
    expect(forced.replayed).toBe(2);
    expect(await waitForState(keys[0]!, 'delivered')).toBe(true);
    expect(await waitForState(keys[1]!, 'delivered')).toBe(true);
  });

  it('answers 404 for an order without deliveries', async () => {
    expect((await postApi('/replay', { order_id: orderId('NONE') })).status).toBe(404);
  });
});

describe('replay from the page', () => {
  it('the form replays a dead row and redirects to the order with the outcome', async () => {
    const s = await login();
    const {
      order,
      keys: [key],
    } = await seedOrder();
    await setState(key!, 'dead');
    const res = await postForm('/admin/replay', s, { key: key!, vendor: 'mytracker' });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toContain(`order=${encodeURIComponent(order)}`);
    expect(location).toContain('replayed=1.1.0');
    expect(await waitForState(key!, 'delivered')).toBe(true);

    const refused = await postForm('/admin/replay', s, { key: key!, vendor: 'mytracker' });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('add &quot;force&quot;: true');
    const forced = await postForm('/admin/replay', s, { key: key!, vendor: 'mytracker', force: '1' });
    expect(forced.status).toBe(303);
  });
});
