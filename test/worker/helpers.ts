// Shared by the workerd tests: requests to the Worker, the fake vendors' control host, D1 look-ups, factories.
import { exports, env as rawEnv } from 'cloudflare:workers';
import type { Env } from '../../src/worker/env';
import { limitEnv, limitFetch, runInvocation } from '../limits/layer';

/** The bindings, with Cloudflare's per-call limits checked on every D1 statement and queue send (test/limits). */
export const env = limitEnv(rawEnv as unknown as Env);

/**
 * Runs a handler that a test calls directly (a consumer, the cron) as one Worker invocation, so its D1 queries
 * and subrequests count toward the per-invocation limits as they would in production.
 */
export function invocation<T>(label: string, fn: (env: Env) => Promise<T>): Promise<T> {
  limitFetch();
  return runInvocation(label, () => fn(env));
}
const worker = (exports as unknown as { default: { fetch(req: Request): Promise<Response> } }).default;

export const ORIGIN = 'https://shop.example';
export const S2S_TOKEN = 'test-s2s-token';

export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return worker.fetch(new Request(`https://relay.shop.example${path}`, init));
}

export function postEvents(
  body: unknown,
  { token = S2S_TOKEN, type = 'application/json' }: { token?: string | null; type?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': type };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return call('/v1/events', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

export function postBrowser(
  body: unknown,
  { origin = ORIGIN, type = 'text/plain;charset=UTF-8' }: { origin?: string | null; type?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': type };
  if (origin !== null) headers.origin = origin;
  return call('/o', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

let seq = 0;
/** A unique order id per call so tests sharing one D1 never collide. */
export const orderId = (prefix = 'T') => `${prefix}-${Date.now().toString(36)}-${++seq}`;

export function makeEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    order_id: orderId(),
    status: 'paid',
    currency: 'EUR',
    total: 33.8,
    shipping: 5,
    items: [
      { id: 'SKU-1', name: 'Green apple', quantity: 2, price: 11.9, categories: ['Food', 'Fruit'] },
      { id: 'SKU-2', name: 'Honey', quantity: 1, price: 5 },
    ],
    customer: { id: 'cust-1', email: 'buyer@example.com', phone: '+420777123456', lvid: 'a'.repeat(32) },
    ...overrides,
  };
}

// ---- fake vendors (Node side, via the control host) ----
export type Received = {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  status: number;
  accepted: boolean;
  error?: string;
};

export const fakes = {
  async received(vendor: string): Promise<Received[]> {
    return (await fetch(`http://fakes.control/${vendor}/received`)).json();
  },
  async accepted<T = Record<string, unknown>>(vendor: string): Promise<T[]> {
    return (await fetch(`http://fakes.control/${vendor}/accepted`)).json();
  },
  async state<T = Record<string, unknown>>(vendor: string): Promise<T> {
    return (await fetch(`http://fakes.control/${vendor}/state`)).json();
  },
  async failNext(vendor: string, n: number, opts: Record<string, unknown> = {}): Promise<void> {
    await fetch(`http://fakes.control/${vendor}/failNext`, { method: 'POST', body: JSON.stringify({ n, ...opts }) });
  },
  async failureRate(vendor: string, rate: number, opts: Record<string, unknown> = {}): Promise<void> {
    await fetch(`http://fakes.control/${vendor}/failureRate`, {
      method: 'POST',
      body: JSON.stringify({ rate, ...opts }),
    });
  },
  async down(vendor: string, down: boolean): Promise<void> {
    await fetch(`http://fakes.control/${vendor}/down`, { method: 'POST', body: JSON.stringify({ down }) });
  },
  async reset(): Promise<void> {
    await fetch('http://fakes.control/reset', { method: 'POST' });
  },
};

/** Requests a fake received that mention an order id. */
export async function receivedFor(vendor: string, id: string): Promise<Received[]> {
  return (await fakes.received(vendor)).filter(
    (r) => r.body.includes(JSON.stringify(id).slice(1, -1)) || r.path.includes(encodeURIComponent(id)),
  );
}

// ---- D1 ----
export type Row = {
  event_key: string;
  vendor: string;
  state: string;
  reason: string | null;
  attempts: number;
  last_status: number | null;
  last_detail: string | null;
  next_attempt_at: number;
  claimed_until: number | null;
};

export async function deliveries(order: string, vendor?: string): Promise<Row[]> {
  const { results } = await env.DB.prepare(
    `SELECT * FROM deliveries WHERE order_id = ?1 AND (?2 IS NULL OR vendor = ?2) ORDER BY created_at, event_key`,
  )
    .bind(order, vendor ?? null)
    .all<Row>();
  return results;
}

export async function storedEvents(order: string): Promise<{ key: string; status: string }[]> {
  const { results } = await env.DB.prepare(`SELECT key, status FROM events WHERE order_id = ?1`)
    .bind(order)
    .all<{ key: string; status: string }>();
  return results;
}

/** Polls until `check` returns a truthy value or the time runs out (then the last value is returned). */
export async function waitFor<T>(check: () => Promise<T>, { timeout = 20_000, every = 100 } = {}): Promise<T> {
  const until = Date.now() + timeout;
  let last = await check();
  while (!last && Date.now() < until) {
    await new Promise((r) => setTimeout(r, every));
    last = await check();
  }
  return last;
}

export const isFinal = (state: string): boolean => !['pending', 'claimed', 'retry'].includes(state);

/** Every vendor call of one delivery, oldest first: failed calls, then the successful one (the delivery row). */
export async function callsOf(
  key: string,
  vendor: string,
): Promise<{ http_status: number | null; outcome: string; detail: string | null }[]> {
  const order = decodeURIComponent(key.slice(0, key.indexOf(':')));
  const kind = key.slice(key.indexOf(':') + 1);
  const { results } = await env.DB.prepare(
    `SELECT http_status, outcome, detail FROM (
       SELECT a.at, 0 AS last, a.http_status, a.outcome, a.detail FROM call_log a JOIN orders o ON o.id = a.order_no
         JOIN vendor_codes v ON v.code = a.vendor WHERE o.ref = ?1 AND a.kind = ?2 AND v.name = ?3
       UNION ALL
       SELECT d.updated_at, 1, d.http_status, 'delivered', NULL FROM order_deliveries d JOIN orders o ON o.id = d.order_no
         JOIN vendor_codes v ON v.code = d.vendor WHERE o.ref = ?1 AND d.kind = ?2 AND v.name = ?3 AND d.state = 'delivered'
     ) ORDER BY at, last`,
  )
    .bind(order, kind, vendor)
    .all<{ http_status: number | null; outcome: string; detail: string | null }>();
  return results;
}

export type SeedRow = {
  vendor: string;
  state: string;
  due: number | null;
  attempts: number;
  claimUntil?: number | null;
  claim?: number | null;
  updatedAt?: number;
};

/**
 * Writes one stored `paid` event (body as JSON text, the form rows migrated from the first schema keep) and its
 * delivery rows straight into D1, with the states and times a test needs. Returns the event key.
 */
export async function seedEvent(
  order: string,
  rows: readonly SeedRow[],
  { receivedAt = Date.now(), body }: { receivedAt?: number; body?: Record<string, unknown> } = {},
): Promise<string> {
  const key = `${encodeURIComponent(order)}:paid`;
  const event = body ?? {
    ...makeEvent({ order_id: order }),
    key,
    occurred_at: Math.floor(receivedAt / 1000),
    context: { source: 'server', received_at: Math.floor(receivedAt / 1000) },
  };
  await env.DB.batch([
    env.DB.prepare(`INSERT OR IGNORE INTO orders (ref) VALUES (?1)`).bind(order),
    env.DB.prepare(
      `INSERT INTO order_events (order_no, kind, status, occurred_at, received_at, source, body)
       SELECT id, 'paid', 'paid', ?2, ?3, 'server', ?4 FROM orders WHERE ref = ?1`,
    ).bind(order, Math.floor(receivedAt / 1000), receivedAt, JSON.stringify(event)),
    ...rows.map((r) =>
      env.DB.prepare(
        `INSERT INTO order_deliveries (order_no, vendor, kind, state, attempts, due_at, claim, claim_until, updated_at)
         SELECT o.id, v.code, 'paid', ?3, ?4, ?5, ?6, ?7, ?8 FROM orders o, vendor_codes v WHERE o.ref = ?1 AND v.name = ?2`,
      ).bind(
        order,
        r.vendor,
        r.state,
        r.attempts,
        // due_at is set exactly while a row is open (docs/design/delivery.md).
        isFinal(r.state) ? null : (r.due ?? receivedAt),
        r.claim ?? null,
        r.claimUntil ?? null,
        r.updatedAt ?? receivedAt,
      ),
    ),
  ]);
  return key;
}

/** Waits until the order has `count` delivery rows for `vendor`, all final; throws with the rows otherwise. */
export async function settledRows(order: string, vendor: string, count: number, timeout = 30_000): Promise<Row[]> {
  const rows = await waitFor(
    async () => {
      const r = await deliveries(order, vendor);
      return r.length === count && r.every((x) => isFinal(x.state)) ? r : null;
    },
    { timeout },
  );
  if (!rows)
    throw new Error(`${vendor} rows of ${order} did not settle: ${JSON.stringify(await deliveries(order, vendor))}`);
  return rows;
}

/** Posts one event or an array to /v1/events and expects 202. */
export async function postAccepted(events: Record<string, unknown> | Record<string, unknown>[]): Promise<void> {
  const res = await postEvents(events);
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${await res.text()}`);
}
