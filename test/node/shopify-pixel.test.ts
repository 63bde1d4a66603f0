// The custom pixel the README tells a Shopify shop to paste (docs/platforms/shopify-pixel.js), run against stand-ins
// for the Web Pixels globals (analytics, browser, init, customerPrivacy): on checkout_completed it posts the
// order id, the visitor cookies and consent in the shape POST /v1/shopify/pixel accepts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePixel } from '../../src/worker/webhooks/pixel';

const CODE = readFileSync(new URL('../../docs/platforms/shopify-pixel.js', import.meta.url), 'utf8');

type Handler = (event: unknown) => Promise<void>;

function runPixel(cookies: Record<string, string>, privacy: Record<string, boolean>) {
  const handlers = new Map<string, Handler>();
  const consentHandlers: ((e: unknown) => void)[] = [];
  const posts: { url: string; init: RequestInit }[] = [];
  const globals = {
    analytics: { subscribe: (name: string, fn: Handler) => handlers.set(name, fn) },
    browser: {
      cookie: {
        get: (name: string) => (name in cookies ? Promise.resolve(cookies[name]) : Promise.resolve('')),
      },
    },
    init: { customerPrivacy: privacy },
    fetch: (url: string, init: RequestInit) => {
      posts.push({ url, init });
      return Promise.resolve(new Response(null, { status: 202 }));
    },
    globalThis: { customerPrivacy: { subscribe: (_: string, fn: (e: unknown) => void) => consentHandlers.push(fn) } },
  };
  // The pixel is plain script text with these names as globals, as in Shopify's sandbox.
  new Function(...Object.keys(globals), CODE)(...Object.values(globals));
  return { handlers, consentHandlers, posts };
}

describe('docs/platforms/shopify-pixel.js', () => {
  it('posts the order id, the four visitor cookies and consent as text/plain on checkout_completed', async () => {
    const { handlers, posts } = runPixel(
      { tmr_lvid: 'a'.repeat(32), _ym_uid: '1700000000123456789', _vt_user: 'vt-1', sc: 'sc-1' },
      { analyticsProcessingAllowed: true, marketingAllowed: false },
    );
    expect([...handlers.keys()]).toEqual(['checkout_completed']);
    await handlers.get('checkout_completed')?.({ data: { checkout: { order: { id: '5940139491234' } } } });
    expect(posts).toHaveLength(1);
    const [post] = posts;
    expect(post?.url).toBe('https://relay.shop.example/v1/shopify/pixel');
    expect(post?.init).toMatchObject({ method: 'POST', keepalive: true, headers: { 'content-type': 'text/plain' } });
    const hint = parsePixel(JSON.parse(String(post?.init.body)), 0);
    expect(hint).toEqual({
      order_id: '5940139491234',
      received_at: 0,
      customer: { lvid: 'a'.repeat(32), ym_client_id: '1700000000123456789', vt_user: 'vt-1' },
      esputnik_sc: 'sc-1',
      consent: {
        analytics_storage: 'granted',
        ad_storage: 'denied',
        ad_user_data: 'denied',
        ad_personalization: 'denied',
      },
    });
  });

  it('takes consent given later on the page, sends missing cookies as empty (dropped by the relay), and skips a checkout without an order', async () => {
    const { handlers, consentHandlers, posts } = runPixel(
      {},
      { analyticsProcessingAllowed: false, marketingAllowed: false },
    );
    consentHandlers[0]?.({ customerPrivacy: { analyticsProcessingAllowed: true, marketingAllowed: true } });
    await handlers.get('checkout_completed')?.({ data: { checkout: {} } });
    expect(posts).toHaveLength(0);
    await handlers.get('checkout_completed')?.({ data: { checkout: { order: { id: 'gid://shopify/Order/42' } } } });
    const hint = parsePixel(JSON.parse(String(posts[0]?.init.body)), 0);
    expect(hint.customer).toEqual({});
    expect(hint.order_id).toBe('42');
    expect(hint.consent?.ad_storage).toBe('granted');
  });
});
