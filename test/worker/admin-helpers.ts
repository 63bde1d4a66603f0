// Shared by the operator-view tests (test/worker/admin*.test.ts): signing in, calling the API, posting the
// page's forms, and putting delivery rows into the states a test needs.
import { expect } from 'vitest';
import { call, deliveries, env, makeEvent, postEvents, type Row, waitFor } from './helpers';
import { TEST_VARS } from './test-env';

export const ADMIN_TOKEN = TEST_VARS.ADMIN_TOKEN;
/** The Worker's own origin in these tests (helpers.call uses it). */
export const SELF = 'https://relay.shop.example';
/** Every secret value of the test configuration: none may ever appear in an answer. */
export const SECRETS = Object.entries(TEST_VARS)
  .filter(([k]) => /TOKEN|KEY|SECRET/.test(k))
  .map(([, v]) => v);

export type Session = { cookie: string; csrf: string };

const FORM = 'application/x-www-form-urlencoded';

export function postLogin(token: string, headers: Record<string, string> = { origin: SELF }): Promise<Response> {
  return call('/admin/login', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': FORM, ...headers },
    body: new URLSearchParams({ token }).toString(),
  });
}

/** Signs in through the login form and reads the CSRF token off the page. */
export async function login(): Promise<Session> {
  const res = await postLogin(ADMIN_TOKEN);
  expect(res.status).toBe(303);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const page = await (await call('/admin', { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  expect(csrf).toBeTruthy();
  return { cookie, csrf: csrf! };
}

export function api(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const { token = ADMIN_TOKEN, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  return call(`/admin/api${path}`, { ...rest, headers });
}

export function postApi(
  path: string,
  body: unknown,
  init: RequestInit & { token?: string | null } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('content-type', 'application/json');
  return api(path, { ...init, method: 'POST', headers, body: JSON.stringify(body) });
}

// Requests go through the Worker's fetch like a service binding, which follows redirects unless told not to.

/** A page form POST with the session cookie; `csrf: null` leaves the token out, `origin: null` the Origin. */
export function postForm(
  path: string,
  session: Session,
  fields: Record<string, string | string[]>,
  { csrf = session.csrf, origin = SELF }: { csrf?: string | null; origin?: string | null } = {},
): Promise<Response> {
  const body = new URLSearchParams();
  if (csrf !== null) body.set('csrf', csrf);
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  const headers: Record<string, string> = { 'content-type': FORM, cookie: session.cookie };
  if (origin !== null) headers.origin = origin;
  return call(path, { method: 'POST', redirect: 'manual', headers, body: body.toString() });
}

/** Posts one event per override (same order) and waits until every MyTracker row of the order is final. */
export async function seedOrder(...overrides: Record<string, unknown>[]): Promise<{ order: string; keys: string[] }> {
  const first = makeEvent(overrides[0] ?? {});
  const order = String(first.order_id);
  const events = [first, ...overrides.slice(1).map((o) => makeEvent({ order_id: order, ...o }))];
  const res = await postEvents(events);
  expect(res.status).toBe(202);
  const { keys } = await res.json<{ keys: string[] }>();
  const final = await waitFor(async () => {
    const rows = await deliveries(order, 'mytracker');
    return rows.length === keys.length && rows.every((r) => !['pending', 'claimed', 'retry'].includes(r.state));
  });
  expect(final).toBe(true);
  return { order, keys };
}

export async function row(key: string, vendor = 'mytracker'): Promise<Row> {
  const r = await env.DB.prepare(`SELECT * FROM deliveries WHERE event_key = ?1 AND vendor = ?2`)
    .bind(key, vendor)
    .first<Row>();
  expect(r).toBeTruthy();
  return r!;
}

/** Forces a row into a state, as if the pipeline had put it there. */
export async function setState(
  key: string,
  state: string,
  extra: { attempts?: number; claimed_until?: number | null } = {},
  vendor = 'mytracker',
): Promise<void> {
  // A claim that has not run out is the `claimed` state (docs/design/delivery.md).
  const claimed = extra.claimed_until != null && extra.claimed_until > Date.now();
  const order = decodeURIComponent(key.slice(0, key.indexOf(':')));
  await env.DB.prepare(
    `UPDATE order_deliveries SET state = ?3, attempts = ?4, claim_until = ?5, claim = CASE WHEN ?5 IS NULL THEN NULL ELSE 1 END,
       due_at = CASE WHEN ?3 IN ('pending', 'claimed', 'retry') THEN ?6 END, updated_at = ?6, detail = 'set by the test'
     WHERE order_no = (SELECT id FROM orders WHERE ref = ?1) AND kind = ?7
       AND vendor = (SELECT code FROM vendor_codes WHERE name = ?2)`,
  )
    .bind(
      order,
      vendor,
      claimed ? 'claimed' : state,
      extra.attempts ?? 4,
      claimed ? extra.claimed_until : null,
      Date.now(),
      key.slice(key.indexOf(':') + 1),
    )
    .run();
}

export async function waitForState(key: string, state: string, vendor = 'mytracker'): Promise<boolean> {
  return waitFor(async () => (await row(key, vendor)).state === state);
}

/** Never `undefined`: an answer must mention no configured secret. */
export function expectNoSecret(text: string): void {
  for (const s of SECRETS) expect(text).not.toContain(s);
}
