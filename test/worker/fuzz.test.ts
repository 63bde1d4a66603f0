// Bad input: fast-check throws ≥ 10,000 generated bodies at POST /o and POST /v1/events — random JSON and text,
// wrong types, huge strings, deep nesting, unicode (lone surrogates too), numeric strings, `__proto__` /
// `constructor` keys, valid events with one field broken. Every answer: never a 5xx, a JSON error with the right
// status (400/413/415) or 202 for a valid body; the INGEST binding is a recorder, so a refused body is seen to
// queue nothing and an accepted one exactly its events. VITE_FUZZ_SEED / VITE_FUZZ_SCALE replay or widen a run.
import { createExecutionContext } from 'cloudflare:test';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Env, IngestMessage } from '../../src/worker/env';
import { MAX_JSON_DEPTH } from '../../src/worker/http';
import { MAX_BROWSER_BODY, MAX_SERVER_BODY } from '../../src/worker/ingest';
import { call, env, ORIGIN, orderId, postEvents, S2S_TOKEN, waitFor } from './helpers';
import worker from './limited-entry';

const viteEnv = (import.meta as ImportMeta & { env?: Record<string, string | undefined> }).env ?? {};
const SEED = Number(viteEnv.VITE_FUZZ_SEED ?? '') || 20_261_123;
const SCALE = Number(viteEnv.VITE_FUZZ_SCALE ?? '') || 1;
const runs = (n: number) => Math.round(n * SCALE);
const fetchWorker = worker.fetch as (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;

type Door = '/o' | '/v1/events';
type Sent = { door: Door; body: string; type?: string };
type Answer = { status: number; json: Record<string, unknown> | null; queued: IngestMessage[] };
const tally = { requests: 0, byStatus: {} as Record<string, number>, byProperty: {} as Record<string, number> };

/** One request through the Worker's fetch; INGEST records (JSON round trip, as the queue would) what it was given. */
async function send({ door, body, type }: Sent, property: string): Promise<Answer> {
  const queued: IngestMessage[] = [];
  const ingest = {
    async send(b: IngestMessage) {
      queued.push(JSON.parse(JSON.stringify(b)) as IngestMessage);
    },
    async sendBatch(ms: Iterable<{ body: IngestMessage }>) {
      for (const m of ms) queued.push(JSON.parse(JSON.stringify(m.body)) as IngestMessage);
    },
  };
  const headers: Record<string, string> =
    door === '/o'
      ? { origin: ORIGIN, 'content-type': type ?? 'text/plain;charset=UTF-8' }
      : { authorization: `Bearer ${S2S_TOKEN}`, 'content-type': type ?? 'application/json' };
  const res = await fetchWorker(
    new Request(`https://relay.shop.example${door}`, { method: 'POST', headers, body }),
    { ...env, INGEST: ingest } as unknown as Env,
    createExecutionContext(),
  );
  const text = await res.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* asserted below */
  }
  tally.requests++;
  tally.byStatus[res.status] = (tally.byStatus[res.status] ?? 0) + 1;
  tally.byProperty[property] = (tally.byProperty[property] ?? 0) + 1;
  // The invariants of every answer, whatever was sent.
  expect(res.status, text.slice(0, 300)).toBeLessThan(500);
  expect([202, 400, 413, 415], text.slice(0, 300)).toContain(res.status);
  expect(res.headers.get('content-type')).toContain('application/json');
  expect(json, text.slice(0, 300)).not.toBeNull();
  if (res.status === 202) {
    const keys = json!.keys as string[];
    expect(queued.map((m) => m.event.key)).toEqual(keys);
    expect(json!.accepted).toBe(keys.length);
  } else {
    expect(typeof json!.error).toBe('string');
    expect(typeof json!.message).toBe('string');
    expect(queued).toEqual([]);
  }
  if (door === '/o') expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  return { status: res.status, json, queued };
}

const door = fc.constantFrom<Door>('/o', '/v1/events');
/** A page may only send created or paid to /o (src/worker/browser-admission.ts); the back office sends any status. */
const forDoor = <T extends { status?: unknown }>(d: Door, e: T): T =>
  d === '/o' && e.status !== 'created' && e.status !== 'paid' ? { ...e, status: 'paid' } : e;
const bytes = (s: string) => new TextEncoder().encode(s).length;
const limit = (d: Door) => (d === '/o' ? MAX_BROWSER_BODY : MAX_SERVER_BODY);

// ---- valid events ----
const money = fc.oneof(
  fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((x) => Math.round(x * 100) / 100),
  fc
    .tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99 }))
    .map(([a, b]) => `${a}.${String(b).padStart(2, '0')}`), // "11.90"
  fc.integer({ min: 0, max: 1000 }).map((n) => ` ${n} `),
);
const qty = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 99 }).map(String));
const text = (max: number) =>
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: max }).filter((s) => s.trim().length > 0 && s.length <= max);
const id = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), text(40), fc.integer({ min: 0, max: 2 ** 31 }));
const item = fc.record(
  {
    id,
    name: fc.option(text(60), { nil: undefined }),
    quantity: fc.option(qty, { nil: undefined }),
    price: fc.option(money, { nil: undefined }),
    discount: fc.option(money, { nil: undefined }),
    categories: fc.option(fc.array(text(20), { maxLength: 5 }), { nil: undefined }),
    tax_rate: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
  },
  { requiredKeys: ['id'] },
);
const email = fc
  .tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.stringMatching(/^[a-z]{2,10}$/))
  .map(([l, d]) => `${l}@${d}.example`);
const customer = fc.record(
  {
    id: id,
    email,
    phone: fc.integer({ min: 10_000_000, max: 999_999_999 }).map((n) => `+420${n}`),
    lvid: fc.stringMatching(/^[0-9a-f]{32}$/),
    ym_client_id: fc.stringMatching(/^\d{1,19}$/),
    first_name: text(30),
  },
  { requiredKeys: [] },
);
const KNOWN = new Set([
  'order_id',
  'status',
  'occurred_at',
  'action_id',
  'currency',
  'total',
  'tax',
  'shipping',
  'discount',
  'items',
  'coupons',
  'shop',
  'customer',
  'consent',
  'context',
  'extra',
  'token',
  'v',
  'e',
]);
/** Unknown fields a shop might add: kept under `extra`. */
const unknownFields = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !KNOWN.has(k)),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 3 },
);
const validEvent = fc
  .record(
    {
      order_id: id,
      status: fc.constantFrom('created', 'paid', 'cancelled', 'refunded', 'delivered', 'updated'),
      occurred_at: fc.option(
        fc.oneof(
          fc.integer({ min: 946_684_800, max: 4_000_000_000 }),
          fc.integer({ min: 946_684_800, max: 4_000_000_000 }).map(String),
        ),
        { nil: undefined },
      ),
      action_id: fc.option(id, { nil: undefined }),
      currency: fc.option(fc.constantFrom('EUR', 'czk', 'RUB', ' usd '), { nil: undefined }),
      total: fc.option(money, { nil: undefined }),
      shipping: fc.option(money, { nil: undefined }),
      items: fc.option(fc.array(item, { maxLength: 4 }), { nil: undefined }),
      coupons: fc.option(fc.array(text(20), { maxLength: 3 }), { nil: undefined }),
      customer: fc.option(customer, { nil: undefined }),
      consent: fc.option(
        fc.record({
          ad_storage: fc.constantFrom('granted', 'denied'),
          ad_user_data: fc.constantFrom('granted', 'denied'),
        }),
        { nil: undefined },
      ),
    },
    { requiredKeys: ['order_id', 'status'] },
  )
  .chain((e) => unknownFields.map((x) => ({ ...x, ...e })));

/** Raw dataLayer entries in the snippet's envelope (src/worker/normalize): MyTracker, GA4 object and gtag(), UA. */
const envelope = fc
  .tuple(fc.stringMatching(/^[A-Z0-9-]{1,20}$/), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 3 }))
  .map(([oid, n, kind]) => {
    const e = [
      {
        event: 'mt_order',
        ecommerce: {
          order_id: oid,
          status: 'PAY',
          currency_code: 'EUR',
          items: [{ item_id: 'A', item_name: 'Apple', price: '11.90', quantity: String(n) }],
        },
      },
      {
        event: 'purchase',
        ecommerce: {
          transaction_id: oid,
          value: n * 10,
          currency: 'USD',
          items: [{ item_id: 'SKU', item_name: 'Tee', price: 10, quantity: n }],
        },
      },
      ['event', 'purchase', { transaction_id: oid, value: String(n), currency: 'czk' }],
      {
        ecommerce: {
          purchase: {
            actionField: { id: oid, revenue: `${n}.50` },
            products: [{ id: 'P', name: 'Tee', price: '1.50', quantity: n }],
          },
        },
      },
    ][kind];
    return { v: 1, e, ids: { lvid: 'a'.repeat(32) }, url: 'https://shop.example/thanks' };
  });

// ---- one field broken: [name, field path, bad value]; each is outside the schema, so the answer must be 400 ----
const BROKEN: [string, string, unknown][] = [
  ['status unknown', 'status', 'shipped'],
  ['status number', 'status', 5],
  ['status null', 'status', null],
  ['order_id empty', 'order_id', ''],
  ['order_id blank', 'order_id', '   '],
  ['order_id long', 'order_id', 'x'.repeat(129)],
  ['order_id object', 'order_id', { id: 1 }],
  ['order_id array', 'order_id', ['A']],
  ['order_id bool', 'order_id', true],
  ['order_id null', 'order_id', null],
  ['total negative', 'total', -1],
  ['total text', 'total', 'abc'],
  ['total exponent', 'total', '1e5'],
  ['total comma', 'total', '12,50'],
  ['total huge', 'total', 1e13],
  ['total bool', 'total', true],
  ['total object', 'total', {}],
  ['total NaN text', 'total', 'NaN'],
  ['currency long', 'currency', 'EURO'],
  ['currency digits', 'currency', 'E1R'],
  ['currency number', 'currency', 978],
  ['items string', 'items', 'SKU-1'],
  ['items object', 'items', {}],
  ['item without id', 'items', [{ quantity: 1 }]],
  ['item quantity text', 'items', [{ id: 'a', quantity: 'many' }]],
  ['item quantity negative', 'items', [{ id: 'a', quantity: -1 }]],
  ['item price negative', 'items', [{ id: 'a', price: -3 }]],
  ['item six categories', 'items', [{ id: 'a', categories: ['1', '2', '3', '4', '5', '6'] }]],
  ['item tax_rate 101', 'items', [{ id: 'a', tax_rate: 101 }]],
  ['501 items', 'items', Array.from({ length: 501 }, (_x, i) => ({ id: `i${i}` }))],
  ['customer string', 'customer', 'bob'],
  ['email invalid', 'customer', { email: 'not-an-email' }],
  ['lvid short', 'customer', { lvid: 'abc' }],
  ['ym_client_id letters', 'customer', { ym_client_id: 'abc' }],
  ['phone words', 'customer', { phone: 'call me' }],
  ['occurred_at text', 'occurred_at', 'yesterday'],
  ['occurred_at fraction', 'occurred_at', 1.5],
  ['occurred_at 1970', 'occurred_at', 100],
  ['occurred_at far', 'occurred_at', 1e10],
  ['consent value', 'consent', { ad_storage: 'maybe' }],
  ['consent string', 'consent', 'yes'],
  ['context set by caller', 'context', { source: 'server' }],
  ['21 coupons', 'coupons', Array.from({ length: 21 }, (_x, i) => `C${i}`)],
  ['coupons string', 'coupons', 'SAVE10'],
  ['action_id object', 'action_id', {}],
  ['action_id long', 'action_id', 'x'.repeat(129)],
  ['extra string', 'extra', 'str'],
];

/** JSON text with `__proto__` / `constructor` / `prototype` keys where an object literal could not put them. */
function withProtoKeys(
  event: Record<string, unknown>,
  where: 'top' | 'customer' | 'item' | 'extra',
  key: string,
): string {
  const poison = `{"polluted":true,"toString":"x","${key}":{"polluted":true}}`;
  const json = JSON.stringify({
    ...event,
    customer: { email: 'p@example.com' },
    items: [{ id: 'A', quantity: 1 }],
    extra: { note: 1 },
  });
  const at = { top: '{', customer: '"customer":{', item: '"items":[{', extra: '"extra":{' }[where];
  return json.replace(at, `${at}"${key}":${poison},`);
}

const nest = (depth: number, open: string, close: string, inner = '1') =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

afterAll(() => {
  console.log(
    `[fuzz] seed ${SEED}: ${tally.requests} bodies; by status ${JSON.stringify(tally.byStatus)}; by property ${JSON.stringify(tally.byProperty)}`,
  );
});

describe('fuzzing POST /o and POST /v1/events', () => {
  const params = (n: number) => ({ numRuns: runs(n), seed: SEED, endOnFailure: true });

  it('random JSON values and random text: a 4xx JSON error or 202, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(door, fc.jsonValue({ maxDepth: 8 }), async (d, value) => {
        await send({ door: d, body: JSON.stringify(value) ?? 'null' }, 'random json');
      }),
      params(2500),
    );
    await fc.assert(
      fc.asyncProperty(door, fc.string({ unit: 'binary', maxLength: 300 }), async (d, s) => {
        await send({ door: d, body: s }, 'random text');
      }),
      params(1000),
    );
  });

  it('valid events (canonical, arrays of them, or snippet envelopes) → 202 with every event queued', async () => {
    await fc.assert(
      fc.asyncProperty(door, validEvent, async (d, generated) => {
        const event = forDoor(d, generated);
        const a = await send({ door: d, body: JSON.stringify(event) }, 'valid event');
        expect(a.status, JSON.stringify(a.json)).toBe(202);
        expect(a.queued[0]!.event.order_id).toBe(String(event.order_id).trim());
      }),
      params(1500),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(validEvent, { minLength: 1, maxLength: 8 }), async (events) => {
        const a = await send({ door: '/v1/events', body: JSON.stringify(events) }, 'valid array');
        expect(a.status, JSON.stringify(a.json)).toBe(202);
        expect(a.queued).toHaveLength(events.length);
      }),
      params(300),
    );
    await fc.assert(
      fc.asyncProperty(envelope, async (body) => {
        const a = await send({ door: '/o', body: JSON.stringify(body) }, 'valid envelope');
        expect(a.status, JSON.stringify(a.json)).toBe(202);
      }),
      params(300),
    );
  });

  it('a valid event with one field broken → 400 naming the field, alone or inside an array', async () => {
    await fc.assert(
      fc.asyncProperty(door, validEvent, fc.constantFrom(...BROKEN), async (d, generated, [, field, bad]) => {
        const event = forDoor(d, generated);
        const a = await send({ door: d, body: JSON.stringify({ ...event, [field]: bad }) }, 'one field broken');
        expect(a.status, JSON.stringify(a.json)).toBe(400);
        const paths = (a.json!.issues as { path: string }[]).map((i) => i.path);
        expect(
          paths.some((p) => p === field || p.startsWith(`${field}.`) || p === '(root)'),
          `${field}: ${paths}`,
        ).toBe(true);
      }),
      params(1500),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(validEvent, { minLength: 1, maxLength: 5 }),
        fc.nat(),
        fc.constantFrom(...BROKEN),
        async (events, at, [, field, bad]) => {
          const i = at % events.length;
          const list = events.map((e, j) => (j === i ? { ...e, [field]: bad } : e));
          const a = await send({ door: '/v1/events', body: JSON.stringify(list) }, 'one event of an array broken');
          expect(a.status).toBe(400);
          expect(
            (a.json!.issues as { path: string }[]).every((x) => x.path.startsWith(`${i}.`) || x.path === String(i)),
          ).toBe(true);
        },
      ),
      params(500),
    );
  });

  it('numeric strings are numbers when they look like one, 400 otherwise', async () => {
    const numeric = fc.oneof(
      fc.constantFrom('11.90', ' 12 ', '0012', '0', '1.123456', '999999999999', '-0'),
      fc.constantFrom('1e3', '12,5', '1.2.3', 'Infinity', '-5', '0x10', '١٢', '12abc', '1.1234567', '1_000'),
    );
    await fc.assert(
      fc.asyncProperty(door, validEvent, numeric, async (d, generated, value) => {
        const event = forDoor(d, generated);
        const a = await send({ door: d, body: JSON.stringify({ ...event, total: value }) }, 'numeric string');
        const n = Number(value.trim());
        const ok = /^-?\d{1,15}(\.\d{1,6})?$/.test(value.trim()) && n >= 0 && n <= 1e12;
        expect(a.status, `${value}: ${JSON.stringify(a.json)}`).toBe(ok ? 202 : 400);
        if (ok) expect(a.queued[0]!.event.total).toBe(n + 0); // "-0" is 0 once queued as JSON
      }),
      params(600),
    );
  });

  it('__proto__, constructor and prototype keys stay data: no pollution, 202 or 400', async () => {
    await fc.assert(
      fc.asyncProperty(
        door,
        validEvent,
        fc.constantFrom('top', 'customer', 'item', 'extra' as const),
        fc.constantFrom('__proto__', 'constructor', 'prototype'),
        async (d, generated, where, key) => {
          const event = forDoor(d, generated);
          const a = await send({ door: d, body: withProtoKeys(event, where, key) }, 'proto keys');
          expect([202, 400]).toContain(a.status);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          expect(Object.keys(Object.prototype)).toEqual([]);
          expect(typeof {}.toString).toBe('function');
        },
      ),
      params(800),
    );
  });

  it('unicode everywhere: emoji, RTL, combining marks, NUL and lone surrogates never cause a 5xx', async () => {
    const weird = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
      fc.constantFrom('\ud800', 'a\udfffb', '\u0000', '‮evil', '🙂'.repeat(20), 'e\u0301'.repeat(10), '\ufeff'),
    );
    await fc.assert(
      fc.asyncProperty(
        door,
        validEvent,
        weird,
        fc.constantFrom('order_id', 'action_id', 'currency', 'shop', 'note'),
        async (d, generated, s, field) => {
          const event = forDoor(d, generated);
          await send({ door: d, body: JSON.stringify({ ...event, [field]: s }) }, 'unicode');
        },
      ),
      params(1000),
    );
  });

  it('huge strings and bodies around the size limit: 413 past it (counted in bytes), never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        door,
        fc.integer({ min: -64, max: 64 }),
        fc.constantFrom('x', 'é', '🙂'),
        async (d, delta, ch) => {
          // /v1/events: ten events share the room, so each stays inside one queue message (ingest refuses an
          // event that does not fit with 413 of its own, tested in ingest.test.ts).
          const parts = d === '/o' ? 1 : 10;
          const events = Array.from({ length: parts }, () => ({ order_id: orderId('BIG'), status: 'paid', note: '' }));
          const base = JSON.stringify(parts === 1 ? events[0] : events);
          const room = Math.max(0, Math.floor((limit(d) + delta - bytes(base)) / bytes(ch)));
          const notes = Array.from({ length: parts }, (_, i) =>
            ch.repeat(Math.floor(room / parts) + (i === 0 ? room % parts : 0)),
          );
          let n = 0;
          const body = base.replace(/"note":""/g, () => `"note":"${notes[n++]}"`);
          const a = await send({ door: d, body }, 'size limit');
          expect(a.status).toBe(bytes(body) > limit(d) ? 413 : 202);
        },
      ),
      params(200),
    );
    await fc.assert(
      fc.asyncProperty(door, fc.integer({ min: 1, max: 4 }), async (d, times) => {
        const a = await send(
          { door: d, body: `{"order_id":"${'9'.repeat(limit(d) * times)}","status":"paid"}` },
          'huge string',
        );
        expect(a.status).toBe(413);
      }),
      params(40),
    );
  });

  it(`deep nesting: 400 past ${MAX_JSON_DEPTH} levels (as the body or inside an otherwise valid event), never a 5xx`, async () => {
    const depths = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 200_000 }));
    await fc.assert(
      fc.asyncProperty(door, depths, fc.constantFrom('array', 'object', 'in event'), async (d, depth, how) => {
        const room = Math.floor((limit(d) - 100) / 6);
        const n = Math.min(depth, room);
        const body =
          how === 'array'
            ? nest(n, '[', ']')
            : how === 'object'
              ? nest(n, '{"a":', '}')
              : `{"order_id":"${orderId('DEEP')}","status":"paid","note":${nest(n, '[', ']')}}`;
        const a = await send({ door: d, body }, 'deep nesting');
        // A bare array or object is never an event; an event's unknown field may nest up to the limit.
        expect(a.status).toBe(how === 'in event' && n + 1 <= MAX_JSON_DEPTH ? 202 : 400);
      }),
      params(300),
    );
  });

  it('content types: /o takes text/plain or JSON, /v1/events JSON only; anything else is 415', async () => {
    const types = fc.constantFrom(
      'text/plain',
      'TEXT/PLAIN; charset=utf-8',
      'application/json',
      'application/json;charset=UTF-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/html',
      'application/xml',
      'text/json',
      'application/jsonp',
      '*/*',
      'text/plain, application/json',
    );
    await fc.assert(
      fc.asyncProperty(door, types, validEvent, async (d, type, generated) => {
        const a = await send({ door: d, body: JSON.stringify(forDoor(d, generated)), type }, 'content type');
        const media = type.split(';')[0]!.trim().toLowerCase();
        const ok = d === '/o' ? media === 'text/plain' || media === 'application/json' : media === 'application/json';
        expect(a.status).toBe(ok ? 202 : 415);
      }),
      params(500),
    );
  });

  it('adds up to at least 10,000 generated bodies', () => {
    expect(tally.requests).toBeGreaterThanOrEqual(10_000 * Math.min(1, SCALE));
  });
});

describe('what a stored oddity does downstream', () => {
  it('an event nested to the limit is stored, and the operator view (SQLite JSON functions) still lists it', async () => {
    const order = orderId('DEEP');
    const event = {
      order_id: order,
      status: 'paid',
      total: 1,
      items: [{ id: 'A', price: 1 }],
      customer: { email: 'deep@example.com' },
    };
    expect((await postEvents({ ...event, note: JSON.parse(nest(MAX_JSON_DEPTH, '[', ']')) as unknown })).status).toBe(
      400,
    );
    const res = await postEvents({ ...event, note: JSON.parse(nest(MAX_JSON_DEPTH - 1, '[', ']')) as unknown });
    expect(res.status).toBe(202);
    expect(
      await waitFor(
        async () =>
          (await env.DB.prepare(`SELECT count(*) AS n FROM events WHERE order_id = ?1`)
            .bind(order)
            .first<{ n: number }>())!.n === 1,
      ),
    ).toBe(true);
    const list = await call('/admin/api/events?limit=20', { headers: { authorization: 'Bearer test-admin-token' } });
    expect(list.status, await list.clone().text()).toBe(200);
    const ledger = await call(`/admin/api/orders/${order}`, { headers: { authorization: 'Bearer test-admin-token' } });
    expect(ledger.status, await ledger.clone().text()).toBe(200);
  });
});
