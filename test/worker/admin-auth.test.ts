// Operator view access: the login form without a session, Bearer and cookie sessions, expiry and tampering,
// logout, CSRF (token + Origin) on every state-changing request, and no secret or unmasked PII on the page.
import { beforeAll, describe, expect, it } from 'vitest';
import { createSession, SESSION_COOKIE } from '../../src/worker/admin/session';
import {
  ADMIN_TOKEN,
  api,
  expectNoSecret,
  login,
  postApi,
  postForm,
  postLogin,
  SELF,
  type Session,
  seedOrder,
} from './admin-helpers';
import { call } from './helpers';

let order: string;
beforeAll(async () => {
  ({ order } = await seedOrder());
});

const withCookie = (cookie: string) => ({ headers: { cookie } });

describe('without a session', () => {
  it('GET /admin shows the login form and no data', async () => {
    const res = await call('/admin');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('name="token"');
    expect(html).not.toContain(order);
    expect(html).not.toContain('name="csrf"');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('an order search without a session still shows only the login form', async () => {
    const html = await (await call(`/admin?order=${order}`)).text();
    expect(html).toContain('name="token"');
    expect(html).not.toContain(order);
  });

  it.each([
    ['no token', null],
    ['a wrong token', 'not-the-admin-token'],
    ['the S2S token', 'test-s2s-token'],
  ])('the API answers %s with 401', async (_what, token) => {
    for (const path of [`/orders/${order}`, '/counts', '/events']) {
      const res = await api(path, { token });
      expect(res.status).toBe(401);
      expect((await res.json<{ error: string }>()).error).toBe('unauthorized');
    }
    expect((await postApi('/replay', { order_id: order }, { token })).status).toBe(401);
    expect((await postApi('/preview', { order_id: 'X', status: 'paid' }, { token })).status).toBe(401);
    expect((await api('/check/mytracker', { method: 'POST', token })).status).toBe(401);
  });

  it('a page POST without a session is refused with the login form', async () => {
    const res = await postForm('/admin/replay', { cookie: '', csrf: 'x' }, { order_id: order });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('name="token"');
  });

  it('the API accepts the Bearer token', async () => {
    const res = await api(`/orders/${order}`);
    expect(res.status).toBe(200);
  });
});

describe('login', () => {
  it('refuses a wrong token with 401 and no cookie', async () => {
    const res = await postLogin('wrong-token');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.text()).toContain('not right');
  });

  it('refuses a sign-in posted from another site', async () => {
    const res = await postLogin(ADMIN_TOKEN, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('sets an HttpOnly, Secure, SameSite=Strict, expiring session cookie and shows the data', async () => {
    const res = await postLogin(ADMIN_TOKEN);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=\\d+\\.[\\w-]+\\.[\\w-]+;`));
    for (const attr of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/', 'Max-Age=43200'])
      expect(cookie).toContain(attr);
    expect(cookie).not.toContain(ADMIN_TOKEN);
    const page = await call('/admin', withCookie(cookie.split(';')[0]!));
    const html = await page.text();
    expect(html).toContain(order);
    expect(html).toContain('name="csrf"');
    expectNoSecret(html);
  });

  it('lets the API be used with the session cookie (GET; POST with the CSRF header)', async () => {
    const s = await login();
    expect((await api(`/orders/${order}`, { token: null, headers: { cookie: s.cookie } })).status).toBe(200);
    const noCsrf = await postApi(
      '/replay',
      { order_id: order },
      { token: null, headers: { cookie: s.cookie, origin: SELF } },
    );
    expect(noCsrf.status).toBe(403);
    const ok = await postApi(
      '/replay',
      { order_id: order },
      { token: null, headers: { cookie: s.cookie, origin: SELF, 'x-csrf-token': s.csrf } },
    );
    expect(ok.status).toBe(200);
  });

  it('refuses an expired, tampered or foreign-key cookie', async () => {
    const hour = 3600;
    const expired = await createSession(ADMIN_TOKEN, Date.now() - 13 * hour * 1000, 12 * hour);
    const valid = await createSession(ADMIN_TOKEN, Date.now(), 12 * hour);
    const [exp, nonce, sig] = valid.split('.') as [string, string, string];
    const flip = (s: string) => s.slice(0, -2) + (s.at(-2) === 'A' ? 'B' : 'A') + s.at(-1);
    const cases = {
      expired,
      'longer expiry': `${Number(exp) + 60}.${nonce}.${sig}`,
      'other nonce': `${exp}.${flip(nonce)}.${sig}`,
      'bad signature': `${exp}.${nonce}.${flip(sig)}`,
      'other key': await createSession('some-other-admin-token', Date.now(), 12 * hour),
      garbage: 'hello',
      'too far out': await createSession(ADMIN_TOKEN, Date.now() + 48 * hour * 1000, 12 * hour),
    };
    for (const [what, value] of Object.entries(cases)) {
      const cookie = `${SESSION_COOKIE}=${value}`;
      const html = await (await call('/admin', withCookie(cookie))).text();
      expect(html, what).toContain('name="token"');
      expect(html, what).not.toContain(order);
      expect((await api('/counts', { token: null, headers: { cookie } })).status, what).toBe(401);
    }
    // The untouched value works, so the refusals above are the tampering's doing.
    const ok = await (await call('/admin', withCookie(`${SESSION_COOKIE}=${valid}`))).text();
    expect(ok).toContain(order);
  });

  it('logout clears the cookie and needs the CSRF token', async () => {
    const s = await login();
    expect((await postForm('/admin/logout', s, {}, { csrf: null })).status).toBe(403);
    const res = await postForm('/admin/logout', s, {});
    expect(res.status).toBe(303);
    const cleared = res.headers.get('set-cookie') ?? '';
    expect(cleared).toMatch(new RegExp(`^${SESSION_COOKIE}=;`));
    expect(cleared).toContain('Max-Age=0');
  });
});

describe('CSRF', () => {
  let s: Session;
  beforeAll(async () => {
    s = await login();
  });

  it.each([
    ['/admin/replay', { order_id: 'X' }],
    ['/admin/check', { vendor: 'mytracker' }],
    ['/admin/preview', { payload: '{"order_id":"X","status":"paid"}' }],
    ['/admin/logout', {}],
  ])(
    'POST %s without the token, with a wrong one or from a foreign origin is refused with 403',
    async (path, fields) => {
      expect((await postForm(path, s, fields, { csrf: null })).status).toBe(403);
      expect((await postForm(path, s, fields, { csrf: 'A'.repeat(43) })).status).toBe(403);
      expect((await postForm(path, s, fields, { origin: 'https://evil.example' })).status).toBe(403);
      expect((await postForm(path, s, fields, { origin: null })).status).toBe(403);
    },
  );

  it('a CSRF token of another session is refused', async () => {
    const other = await login();
    expect((await postForm('/admin/check', s, { vendor: 'mytracker' }, { csrf: other.csrf })).status).toBe(403);
  });

  it('the API refuses a cookie POST from a foreign origin even with the token', async () => {
    const res = await postApi(
      '/replay',
      { order_id: order },
      { token: null, headers: { cookie: s.cookie, origin: 'https://evil.example', 'x-csrf-token': s.csrf } },
    );
    expect(res.status).toBe(403);
  });

  it('a same-origin POST with the token goes through', async () => {
    const res = await postForm('/admin/check', s, { vendor: 'mytracker' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Credentials work');
  });
});

describe('PII and secrets on the page', () => {
  it('masks emails and phones unless revealed, and never shows a secret', async () => {
    const s = await login();
    const masked = await (await call(`/admin?order=${order}`, withCookie(s.cookie))).text();
    expect(masked).not.toContain('buyer@example.com');
    expect(masked).not.toContain('+420777123456');
    expect(masked).toContain('b***@example.com');
    expectNoSecret(masked);
    const revealed = await (await call(`/admin?order=${order}&reveal=1`, withCookie(s.cookie))).text();
    expect(revealed).toContain('buyer@example.com');
    expectNoSecret(revealed);
  });
});
