// Configuration every workerd test runs with: obviously fake secrets, and vendors on their real hosts
// (the defaults), which miniflare's outboundService hands to the fakes in test/fakes.
import type { Vars } from '../../src/worker/env';
import { FAKE_VENDOR_SECRETS } from '../fakes/relay-env.mjs';

export const TEST_VARS = {
  ALLOWED_ORIGINS: 'https://shop.example, https://www.shop.example',
  S2S_TOKEN: 'test-s2s-token',
  ADMIN_TOKEN: 'test-admin-token',
  SIGNING_SECRET: 'test-signing-secret',
  SHOPIFY_WEBHOOK_SECRET: 'test-shopify-secret',
  WOOCOMMERCE_WEBHOOK_SECRET: 'test-woocommerce-secret',
  // Shopify events wait for the pixel in production (60 s); the tests post the pixel first instead.
  SHOPIFY_HOLD_SECONDS: '0',
  REQUIRE_SIGNATURE: 'false',
  CONSENT_REQUIRED: 'false',
  DEFAULT_CURRENCY: 'EUR',
  RETRY_BASE_SECONDS: '1',
  RETRY_CAP_SECONDS: '2',
  // Enough that a 30% failure rate loses nothing (docs/design/delivery.md; test/worker/faults.test.ts).
  MAX_ATTEMPTS: '10',
  VENDOR_TIMEOUT_MS: '2000',
  ...FAKE_VENDOR_SECRETS,
  YANDEX_METRICA_TIMEZONE: 'Europe/Moscow',
} as const satisfies Vars;
