// GET /health: enabled and disabled vendors when all is well; 503 with reasons when too many deliveries died in
// the last 24 h or a vendor has been failing with no delivery for too long. Rows are written straight into
// this file's own D1, with the times a test needs.
import { afterEach, describe, expect, it } from 'vitest';
import { evaluateHealth } from '../../src/worker/health';
import { VENDORS } from '../../src/worker/vendors';
import { expectNoSecret } from './admin-helpers';
import { call, env, orderId, seedEvent } from './helpers';

const MIN = 60_000;

/** One event with a delivery row per entry, in the given state and times (ms ago). */
async function insertRows(
  vendor: string,
  rows: { state: string; createdAgo: number; updatedAgo: number }[],
): Promise<void> {
  const now = Date.now();
  for (const r of rows)
    await seedEvent(orderId('H'), [{ vendor, state: r.state, due: null, attempts: 4, updatedAt: now - r.updatedAgo }], {
      receivedAt: now - r.createdAgo,
    });
}

afterEach(async () => {
  await env.DB.batch([
    env.DB.prepare(`DELETE FROM order_deliveries WHERE order_no IN (SELECT id FROM orders WHERE ref LIKE 'H-%')`),
    env.DB.prepare(`DELETE FROM order_events WHERE order_no IN (SELECT id FROM orders WHERE ref LIKE 'H-%')`),
  ]);
});

describe('GET /health', () => {
  it('is 200 with the enabled and disabled vendors, and no secret', async () => {
    const res = await call('/health');
    expect(res.status).toBe(200);
    const text = await res.text();
    expectNoSecret(text);
    const body = JSON.parse(text) as { ok: boolean; vendors: string[]; disabled: string[] };
    expect(body.ok).toBe(true);
    expect(body.vendors).toContain('mytracker');
    expect([...body.vendors, ...body.disabled].sort()).toEqual(VENDORS.map((v) => v.name).sort());
  });

  it('is degraded (503) when more than HEALTH_MAX_DEAD (10) deliveries died in the last 24 h', async () => {
    await insertRows('mytracker', [{ state: 'delivered', createdAgo: MIN, updatedAgo: 0 }]);
    await insertRows(
      'mytracker',
      Array.from({ length: 10 }, () => ({ state: 'dead', createdAgo: 2 * MIN, updatedAgo: MIN })),
    );
    expect((await call('/health')).status).toBe(200);
    // Older than 24 h: not counted.
    await insertRows('mytracker', [{ state: 'dead', createdAgo: 26 * 60 * MIN, updatedAgo: 25 * 60 * MIN }]);
    expect((await call('/health')).status).toBe(200);
    await insertRows('mytracker', [{ state: 'dead', createdAgo: 2 * MIN, updatedAgo: MIN }]);
    const res = await call('/health');
    expect(res.status).toBe(503);
    const body = await res.json<{ ok: boolean; reasons: string[] }>();
    expect(body.ok).toBe(false);
    expect(body.reasons).toEqual(['11 deliveries dead in the last 24 h (more than 10)']);
  });

  it('is degraded when a vendor has failed for longer than HEALTH_VENDOR_FAILING_MINUTES (30) with no delivery', async () => {
    // Failing for 20 minutes only: fine.
    await insertRows('esputnik', [{ state: 'retry', createdAgo: 20 * MIN, updatedAgo: MIN }]);
    expect((await call('/health')).status).toBe(200);
    // Failing since 40 minutes, retried a minute ago, nothing delivered since.
    await insertRows('esputnik', [
      { state: 'retry', createdAgo: 40 * MIN, updatedAgo: MIN },
      { state: 'rejected', createdAgo: 35 * MIN, updatedAgo: 30 * MIN },
    ]);
    const res = await call('/health');
    expect(res.status).toBe(503);
    const { reasons } = await res.json<{ reasons: string[] }>();
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^esputnik: 3 failing deliveries and none delivered for 40 min \(limit 30\)$/);
  });

  it('is not degraded when the vendor delivered after its failures started', async () => {
    await insertRows('esputnik', [{ state: 'rejected', createdAgo: 50 * MIN, updatedAgo: 49 * MIN }]);
    await insertRows('esputnik', [{ state: 'delivered', createdAgo: 5 * MIN, updatedAgo: 4 * MIN }]);
    expect((await call('/health')).status).toBe(200);
    // A failure after that delivery starts a new streak, short so far.
    await insertRows('esputnik', [{ state: 'retry', createdAgo: 3 * MIN, updatedAgo: 0 }]);
    expect((await call('/health')).status).toBe(200);
  });

  it('reads its limits from the environment', async () => {
    await insertRows('mytracker', [{ state: 'dead', createdAgo: 2 * MIN, updatedAgo: MIN }]);
    expect((await evaluateHealth(env, Date.now())).ok).toBe(true);
    const strict = await evaluateHealth(
      { ...env, HEALTH_MAX_DEAD: '0', HEALTH_VENDOR_FAILING_MINUTES: '1' },
      Date.now(),
    );
    expect(strict.ok).toBe(false);
    expect(strict.reasons).toEqual([
      '1 deliveries dead in the last 24 h (more than 0)',
      'mytracker: 1 failing deliveries and none delivered for 2 min (limit 1)',
    ]);
  });
});
