// The fakes' opt-in rate-limit mode (used by `npm run soak`): off by default; on, each vendor answers 429 with
// Retry-After past its documented limits, counted in sliding windows of admitted requests or parallel requests.
import { describe, expect, it } from 'vitest';
import { createLimiter } from '../fakes/common.mjs';
import { createFakeVendors } from '../fakes/index.mjs';

// Ecomail's limit is per API key (the `key` header); the other vendors ignore the header.
const req = (url: string) =>
  new Request(url, { method: 'POST', headers: { 'content-type': 'application/json', key: 'k' }, body: '{}' });

async function statuses(fake: { handle(r: Request): Promise<Response> }, url: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await fake.handle(req(url))).status);
  return out;
}

describe('fake vendors: rate-limit mode', () => {
  it('is off by default: 150 MyTracker requests in a burst get no 429', async () => {
    const v = createFakeVendors();
    const got = await statuses(v, 'https://tracker-s2s.my.com/v1/order/?idApp=12345', 150);
    expect(got.filter((s) => s === 429)).toHaveLength(0);
    expect(v.mytracker.throttled).toBe(0);
  });

  it('MyTracker at the assumed 100 requests/s: the 101st in the window gets 429 with Retry-After', async () => {
    const v = createFakeVendors({ rateLimits: true });
    const got = await statuses(v, 'https://tracker-s2s.my.com/v1/order/?idApp=12345', 101);
    expect(got.slice(0, 100).every((s) => s !== 429)).toBe(true);
    expect(got[100]).toBe(429);
    const last = v.mytracker.received.at(-1);
    expect(last?.throttled).toBe('assumed-second');
    expect(Number((await v.handle(req('https://tracker-s2s.my.com/v1/order/'))).headers.get('retry-after'))).toBe(1);
    expect(v.mytracker.throttled).toBe(2);
    v.reset();
    expect(v.mytracker.throttled).toBe(0);
    expect((await v.handle(req('https://tracker-s2s.my.com/v1/order/?idApp=12345'))).status).not.toBe(429);
  });

  it('eSputnik: 350/s per event endpoint and 200/s for everything else, counted apart', async () => {
    const v = createFakeVendors({ rateLimits: true });
    const events = await statuses(v, 'https://esputnik.com/api/v1/event', 351);
    const contacts = await statuses(v, 'https://esputnik.com/api/v1/contact', 201);
    const v2 = await statuses(v, 'https://esputnik.com/api/v2/event', 1);
    expect(events.filter((s) => s === 429)).toHaveLength(1);
    expect(events[350]).toBe(429);
    expect(contacts.filter((s) => s === 429)).toHaveLength(1);
    expect(contacts[200]).toBe(429);
    expect(v2[0]).not.toBe(429); // another event endpoint has its own 350
    expect(v.esputnik.received.filter((r) => r.throttled).map((r) => r.throttled)).toEqual([
      'event-endpoint-second',
      'other-methods-second',
    ]);
  });

  it('per-vendor overrides change a figure and leave the other vendors unlimited', async () => {
    const v = createFakeVendors({ rateLimits: { ecomail: { 'per-key-minute': 2 } } });
    const ecomail = await statuses(v, 'https://api2.ecomailapp.cz/tracker/transaction', 3);
    expect(ecomail[2]).toBe(429);
    const res = await v.handle(req('https://api2.ecomailapp.cz/tracker/transaction'));
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect((await statuses(v, 'https://api.vtcdn.net/v1/confirmation/', 150)).includes(429)).toBe(false);
  });

  it('Yandex: at most 3 parallel requests per token; finishing one frees a slot', () => {
    const v = createFakeVendors();
    const rule = v.yandex.limits.find((r) => r.parallel);
    expect(rule?.max).toBe(3);
    const limiter = createLimiter(v.yandex.limits);
    const rec = { headers: { authorization: 'OAuth t' } } as unknown as Parameters<typeof limiter.admit>[0];
    const open = [0, 1, 2].map(() => limiter.admit(rec, 1000));
    expect(open.every((a) => a.ok)).toBe(true);
    const fourth = limiter.admit(rec, 1000);
    expect(fourth).toMatchObject({ ok: false, rule: 'parallel-per-user', retryAfter: 1 });
    const first = open[0];
    if (first?.ok) first.done();
    expect(limiter.admit(rec, 1000).ok).toBe(true);
  });

  it('a refused request does not use up another rule: both rules must admit before either counts', () => {
    const limiter = createLimiter([
      { name: 'a', max: 5, windowMs: 1000, key: () => 'x' },
      { name: 'b', max: 1, windowMs: 1000, key: () => 'x' },
    ]);
    const rec = {} as Parameters<typeof limiter.admit>[0];
    expect(limiter.admit(rec, 0).ok).toBe(true);
    for (let i = 0; i < 10; i++) expect(limiter.admit(rec, 10).ok).toBe(false);
    // Rule a counted only the admitted one: after b's window passes, 4 more fit under a's 5.
    const later = [0, 1, 2, 3, 4].map((i) => limiter.admit(rec, 1000 + i * 1000).ok);
    expect(later).toEqual([true, true, true, true, true]);
  });
});
