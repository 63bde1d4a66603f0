// `/admin`: the operator page (session cookie, CSRF-checked form POSTs) and the JSON API under `/admin/api/`
// (Bearer ADMIN_TOKEN, or the session cookie plus the `x-csrf-token` header for POSTs). Without a session the
// page shows the login form and the API answers 401; neither ever shows data.
import { browseCounts } from '../browse/counts';
import { enabledVendors } from '../config';
import type { Env } from '../env';
import { evaluateHealth } from '../health';
import { HttpError, json, mediaType, parseJson, readText, safeEqual } from '../http';
import { log } from '../log';
import { VENDORS } from '../vendors';
import { type CheckResult, checkVendor } from './check';
import { counts, events, ledger, WINDOWS, type Window } from './data';
import { dashboardPage, errorPage, loginPage, type Notice, type PageModel, replayNotice } from './page';
import { type Preview, preview } from './preview';
import { parseReplay, replay } from './replay';
import {
  type Auth,
  authenticate,
  checkCsrf,
  clearedCookie,
  createSession,
  requireSameOrigin,
  sessionCookie,
  sessionSeconds,
} from './session';

const MAX_BODY = 256 * 1024;
const MAX_EVENTS = 200;
const PAGE_POSTS = new Set(['/admin/logout', '/admin/replay', '/admin/check', '/admin/preview']);

type Ctx = { request: Request; env: Env; url: URL; now: number };

const nonce = (): string => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // `same-origin` (not `no-referrer`): with no-referrer a form POST would carry `Origin: null`.
  'referrer-policy': 'same-origin',
};

function page(body: (nonce: string) => string, status = 200, headers: Record<string, string> = {}): Response {
  const n = nonce();
  return new Response(body(n), {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; style-src 'nonce-${n}'; script-src 'nonce-${n}'; img-src data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      ...SECURITY_HEADERS,
      ...headers,
    },
  });
}

const apiJson = (body: unknown, status = 200): Response => json(body, status, SECURITY_HEADERS);
const redirect = (location: string, headers: Record<string, string> = {}): Response =>
  new Response(null, { status: 303, headers: { location, ...SECURITY_HEADERS, ...headers } });
const allow = (methods: string) =>
  new HttpError(405, 'method_not_allowed', `Use ${methods}`, undefined, { allow: methods });
const isReveal = (value: string | null | undefined): boolean => value === '1' || value === 'true';

export async function handleAdmin(request: Request, env: Env, url: URL): Promise<Response> {
  const ctx: Ctx = { request, env, url, now: Date.now() };
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (path === '/admin/api' || path.startsWith('/admin/api/')) return api(ctx, path.slice('/admin/api'.length));
  if (path === '/admin/login') return login(ctx);
  // A JSON body to /admin/preview is an API call, answered in JSON.
  if (path === '/admin/preview' && mediaType(request) === 'application/json') return api(ctx, '/preview');
  try {
    return await pageRoute(ctx, path);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    return page((n) => errorPage(n, err.status, err.message), err.status, err.headers);
  }
}

// ---- the page ----

async function pageRoute(ctx: Ctx, path: string): Promise<Response> {
  const { request, env, url } = ctx;
  if (!env.ADMIN_TOKEN) return page((n) => loginPage(n, { disabled: true }), 503);
  const auth = await authenticate(request, env, ctx.now).catch(() => null);
  if (!auth) {
    if (path === '/admin' && (request.method === 'GET' || request.method === 'HEAD')) return page((n) => loginPage(n));
    return page((n) => loginPage(n, { error: 'Your session has ended: sign in again.' }), 401);
  }
  if (path === '/admin') {
    if (request.method !== 'GET' && request.method !== 'HEAD') throw allow('GET');
    const reveal = isReveal(url.searchParams.get('reveal'));
    const order = url.searchParams.get('order')?.trim();
    return renderDashboard(ctx, auth, { reveal, order: order || undefined, notice: noticeFromQuery(url) });
  }
  if (!PAGE_POSTS.has(path)) throw new HttpError(404, 'not_found', `No page ${path}`);
  if (request.method !== 'POST') throw allow('POST');
  const form = await readForm(request);
  await checkCsrf(request, url, auth, form.get('csrf'));
  const reveal = isReveal(form.get('reveal'));
  switch (path) {
    case '/admin/logout':
      log('info', 'admin_logout', {});
      return redirect('/admin', { 'set-cookie': clearedCookie() });
    case '/admin/replay':
      return replayFromForm(ctx, auth, form, reveal);
    case '/admin/check': {
      const vendor = form.get('vendor') ?? '';
      let check: CheckResult | undefined;
      let notice: Notice | undefined;
      try {
        check = await checkVendor(env, vendor);
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        notice = { kind: 'error', text: err.message };
      }
      return renderDashboard(ctx, auth, { reveal, check, notice });
    }
    case '/admin/preview': {
      const input = form.get('payload') ?? '';
      try {
        const result = await preview(env, parseJson(input), ctx.now, reveal);
        return renderDashboard(ctx, auth, { reveal, preview: { input, result } });
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        return renderDashboard(
          ctx,
          auth,
          { reveal, preview: { input, error: { kind: 'error', text: err.message, issues: err.issues } } },
          400,
        );
      }
    }
    default:
      throw new HttpError(404, 'not_found', `No page ${path}`);
  }
}

async function readForm(request: Request): Promise<URLSearchParams> {
  const type = mediaType(request);
  if (type !== 'application/x-www-form-urlencoded')
    throw new HttpError(415, 'unsupported_media_type', 'Send the form as application/x-www-form-urlencoded');
  return new URLSearchParams(await readText(request, MAX_BODY));
}

/** After a replay the page redirects (so a reload does not replay again) with the outcome in the query. */
function noticeFromQuery(url: URL): Notice | undefined {
  const m = /^(\d{1,6})\.(\d{1,6})\.(\d{1,6})$/.exec(url.searchParams.get('replayed') ?? '');
  if (!m) return undefined;
  const [replayed, enqueued, kept] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const text = `Replayed ${replayed} deliver${replayed === 1 ? 'y' : 'ies'}${enqueued ? ` · ${enqueued} queued` : ''}${kept ? ` · ${kept} left as they were (delivered, in flight or not asked for)` : ''}.`;
  return { kind: replayed ? 'ok' : 'error', text };
}

async function replayFromForm(ctx: Ctx, auth: Auth, form: URLSearchParams, reveal: boolean): Promise<Response> {
  const force = isReveal(form.get('force'));
  const input: Record<string, unknown> = { force };
  for (const name of ['key', 'vendor', 'order_id']) {
    const value = form.get(name);
    if (value) input[name] = value;
  }
  const states = form.getAll('states');
  if (states.length) input.states = states;
  let orderId = typeof input.order_id === 'string' ? input.order_id : undefined;
  try {
    const result = await replay(ctx.env, parseReplay(input), ctx.now);
    orderId ??= orderOf(result.rows[0]?.key);
    const kept = Object.values(result.kept).reduce((s, n) => s + (n ?? 0), 0);
    const query = new URLSearchParams();
    if (orderId && !('states' in input)) query.set('order', orderId);
    if (reveal) query.set('reveal', '1');
    query.set('replayed', `${result.replayed}.${result.enqueued}.${kept}`);
    if (!result.replayed) return renderDashboard(ctx, auth, { reveal, order: orderId, notice: replayNotice(result) });
    return redirect(`/admin?${query}${orderId && !('states' in input) ? '#order' : '#overview'}`);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    return renderDashboard(
      ctx,
      auth,
      {
        reveal,
        order: orderId ?? orderOf(typeof input.key === 'string' ? input.key : undefined),
        notice: { kind: 'error', text: err.message },
      },
      err.status,
    );
  }
}

/** The order id inside an event key (`<order_id>:<status>[:…]`, the order id URI-encoded). */
function orderOf(key: string | undefined): string | undefined {
  if (!key) return undefined;
  try {
    return decodeURIComponent(key.split(':')[0] ?? '');
  } catch {
    return undefined;
  }
}

type DashboardOptions = {
  reveal: boolean;
  order?: string;
  notice?: Notice;
  check?: CheckResult;
  preview?: { input: string; result?: Preview; error?: Notice };
};

async function renderDashboard(ctx: Ctx, auth: Auth, opts: DashboardOptions, status = 200): Promise<Response> {
  const { env, now } = ctx;
  const [health, day, week, latest, found, browse] = await Promise.all([
    evaluateHealth(env, now),
    counts(env, '24h', now),
    counts(env, '7d', now),
    events(env, 25, undefined, opts.reveal),
    opts.order ? ledger(env, opts.order, opts.reveal, now) : Promise.resolve(undefined),
    browseCounts(env.DB, 7, now).then((b) => b.rows),
  ]);
  const enabled = new Set(enabledVendors(env).map((e) => e.vendor.name));
  const model: PageModel = {
    now,
    reveal: opts.reveal,
    csrf: auth.via === 'session' ? auth.csrf : '',
    expires: auth.via === 'session' ? auth.expires : undefined,
    health,
    counts: { day, week },
    events: latest,
    vendors: [
      ...VENDORS.map((v) => ({
        name: v.name,
        label: v.label,
        mode: v.mode,
        enabled: enabled.has(v.name),
        canCheck: enabled.has(v.name) && !!v.checkRequest,
        secrets: v.secrets,
      })),
      // Rows of a vendor no longer in the registry still show up.
      ...Object.keys(week.vendors)
        .filter((n) => !VENDORS.some((v) => v.name === n))
        .map((n) => ({ name: n, label: n, mode: 'queue' as const, enabled: false, canCheck: false, secrets: [] })),
    ],
    order: opts.order ? { query: opts.order, ledger: found ?? null } : undefined,
    notice: opts.notice,
    check: opts.check,
    preview: opts.preview,
    browse,
  };
  return page((n) => dashboardPage(model, n), status);
}

// ---- login ----

async function login(ctx: Ctx): Promise<Response> {
  const { request, env, url } = ctx;
  if (request.method !== 'POST') return redirect('/admin');
  if (!env.ADMIN_TOKEN) return page((n) => loginPage(n, { disabled: true }), 503);
  // Login CSRF: a foreign site must not sign a browser into its own session.
  try {
    requireSameOrigin(request, url);
  } catch {
    return page((n) => loginPage(n, { error: 'Cross-site sign-in refused.' }), 403);
  }
  if (env.RATE_LIMITER) {
    const { success } = await env.RATE_LIMITER.limit({
      key: `admin-login:${request.headers.get('cf-connecting-ip') ?? 'unknown'}`,
    });
    if (!success)
      return page((n) => loginPage(n, { error: 'Too many attempts: wait a minute.' }), 429, { 'retry-after': '60' });
  }
  const form = await readForm(request);
  const token = form.get('token') ?? '';
  if (!token || !(await safeEqual(token, env.ADMIN_TOKEN))) {
    log('warn', 'admin_login_failed', { ip: request.headers.get('cf-connecting-ip') ?? undefined });
    return page((n) => loginPage(n, { error: 'That token is not right.' }), 401);
  }
  const seconds = sessionSeconds(env);
  log('info', 'admin_login', {});
  return redirect('/admin', {
    'set-cookie': sessionCookie(await createSession(env.ADMIN_TOKEN, ctx.now, seconds), seconds),
  });
}

// ---- the JSON API ----

async function api(ctx: Ctx, route: string): Promise<Response> {
  const { request, env, url, now } = ctx;
  if (!env.ADMIN_TOKEN)
    throw new HttpError(401, 'unauthorized', 'The operator API is disabled: ADMIN_TOKEN is not configured');
  const auth = await authenticate(request, env, now);
  if (!auth)
    throw new HttpError(
      401,
      'unauthorized',
      'Send Authorization: Bearer <ADMIN_TOKEN> or sign in at /admin',
      undefined,
      { 'www-authenticate': 'Bearer' },
    );
  const reveal = isReveal(url.searchParams.get('reveal'));
  const method = request.method;
  const post = async (): Promise<unknown> => {
    if (method !== 'POST') throw allow('POST');
    await checkCsrf(request, url, auth);
    if (mediaType(request) !== 'application/json')
      throw new HttpError(415, 'unsupported_media_type', 'Send Content-Type: application/json');
    return parseJson(await readText(request, MAX_BODY));
  };
  const get = () => {
    if (method !== 'GET' && method !== 'HEAD') throw allow('GET');
  };

  const order = /^\/orders\/([^/]+)$/.exec(route);
  if (order) {
    get();
    const id = decodeURIComponent(order[1] ?? '');
    const found = await ledger(env, id, reveal, now);
    if (!found) throw new HttpError(404, 'not_found', `No events or deliveries for order ${id}`);
    return apiJson(found);
  }
  if (route === '/counts') {
    get();
    const window = url.searchParams.get('window') ?? '24h';
    if (!(window in WINDOWS)) throw new HttpError(400, 'invalid_window', 'window is 24h or 7d');
    return apiJson(await counts(env, window as Window, now));
  }
  if (route === '/events') {
    get();
    const limit = Math.min(MAX_EVENTS, Math.max(1, Number.parseInt(url.searchParams.get('limit') ?? '50', 10) || 50));
    const before = Number(url.searchParams.get('before') ?? '') || undefined;
    return apiJson({ events: await events(env, limit, before, reveal) });
  }
  if (route === '/browse') {
    get();
    const days = Math.min(90, Math.max(1, Number.parseInt(url.searchParams.get('days') ?? '7', 10) || 7));
    return apiJson({ days, ...(await browseCounts(env.DB, days, now)) });
  }
  if (route === '/health') {
    get();
    return apiJson(await evaluateHealth(env, now));
  }
  if (route === '/replay') return apiJson(await replay(env, parseReplay(await post()), now));
  if (route === '/preview') return apiJson(await preview(env, await post(), now, reveal));
  const check = /^\/check\/([^/]+)$/.exec(route);
  if (check) {
    if (method !== 'POST') throw allow('POST');
    await checkCsrf(request, url, auth);
    return apiJson(await checkVendor(env, decodeURIComponent(check[1] ?? '')));
  }
  throw new HttpError(404, 'not_found', `No operator API ${route || '/'}`);
}
