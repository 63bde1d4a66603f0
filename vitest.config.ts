// Three test projects: the Worker inside workerd (real D1 + Queues, vendors answered by the strict fakes
// in test/fakes through miniflare's outboundService), the snippet in happy-dom, and plain Node tests.
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { toNodeListener } from './test/fakes/common.mjs';
import { createFakeVendors } from './test/fakes/index.mjs';
import { controlFakes } from './test/worker/fake-control.ts';
import { TEST_VARS } from './test/worker/test-env.ts';

const fakes = createFakeVendors();

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: './wrangler.toml' },
            // The real handlers, each call counted against Cloudflare's limits (test/limits/layer.ts).
            main: './test/worker/limited-entry.ts',
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations('./migrations'),
                ...TEST_VARS,
                // LIMITS_PLAN=free enforces Workers Free's per-invocation limits instead of Paid's.
                LIMITS_PLAN: process.env.LIMITS_PLAN ?? 'paid',
                LIMITS_SUMMARY: process.env.LIMITS_SUMMARY ?? '',
                LIMITS_BENCH: process.env.LIMITS_BENCH ?? '',
              },
              // A second, empty database: test/worker/migrations.test.ts upgrades it from the first schema.
              d1Databases: { UPGRADE_DB: 'order-relay-upgrade-test' },
              // RATE_LIMITER_TIGHT: the rate-limit test passes it as RATE_LIMITER to provoke 429s (test/worker/security.test.ts).
              ratelimits: {
                RATE_LIMITER: { simple: { limit: 1_000_000, period: 60 } },
                RATE_LIMITER_TIGHT: { simple: { limit: 5, period: 60 } },
              },
              // Runs in Node and sees every outbound fetch: vendor hosts go to the fakes, the control host
              // lets tests inspect and steer them, anything else gets 599 (no test ever reaches the internet).
              // The node:http form lets a fake really drop a connection, so the Worker sees a network error.
              outboundService: {
                node: toNodeListener(async (request: Request) =>
                  new URL(request.url).hostname === 'fakes.control'
                    ? controlFakes(fakes, request)
                    : fakes.handle(request),
                ),
              },
            },
          })),
        ],
        test: {
          name: 'worker',
          include: ['test/worker/**/*.test.ts', 'test/vendors/**/*.test.ts', 'test/limits/**/*.test.ts'],
          setupFiles: ['test/worker/apply-migrations.ts', 'test/limits/setup.ts'],
          // The fake vendors are one shared Node-side instance: files run one after another so one file's
          // injected failures never hit another's requests.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      { test: { name: 'client', environment: 'happy-dom', include: ['test/client/**/*.test.ts'] } },
      // src/**/*.test.ts: pure unit tests beside their module (e.g. src/worker/deliveries/state.test.ts).
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/node/**/*.test.ts', 'src/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
      // Debian Chromium against `wrangler dev` (test/browser/harness.ts); .ci/run installs chromium.
      {
        test: {
          name: 'browser',
          environment: 'node',
          include: ['test/browser/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
