#!/usr/bin/env node
// `npm start`: the whole relay on this machine, offline. Builds the snippet, applies the D1 migrations
// locally, starts the five fake vendors (test/fakes) on 127.0.0.1:9101–9105, runs `wrangler dev` on
// 127.0.0.1:8787 with every *_BASE_URL pointed at them, and triggers the cron every minute (wrangler
// does not run crons locally). The terminal shows each event arriving and each fake vendor's request.
import { spawn, spawnSync } from 'node:child_process';
import { listenFakeVendors } from '../test/fakes/index.mjs';
import { FAKE_VENDOR_SECRETS, wranglerDevArgs } from '../test/fakes/relay-env.mjs';

const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT ?? 8787);
const FAKES_PORT = Number(process.env.FAKES_PORT ?? 9101);
const ORIGIN = `http://${HOST}:${PORT}`;
const QUIET_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
};

/** Local demo configuration: fake secrets that the fake vendors accept. Never real credentials. */
const DEMO_VARS = {
  DEMO: 'true',
  ALLOWED_ORIGINS: `${ORIGIN},http://localhost:${PORT}`,
  S2S_TOKEN: 'local-s2s-token',
  ADMIN_TOKEN: 'local-admin-token',
  SIGNING_SECRET: 'local-signing-secret',
  ...FAKE_VENDOR_SECRETS,
  ECOMAIL_SHOP: 'demo-shop',
  RETRY_BASE_SECONDS: '5',
};

function run(cmd, args) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', env: QUIET_ENV });
  if (res.status !== 0) {
    console.error(`\n✗ ${cmd} ${args.join(' ')} failed (exit ${res.status})`);
    process.exit(res.status ?? 1);
  }
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
console.log('› building the snippet');
run(process.execPath, ['build.mjs']);
console.log('› applying D1 migrations (local)');
run(npx, ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local']);

console.log(`› starting fake vendors on ${HOST}:${FAKES_PORT}–${FAKES_PORT + 4}`);
const fakes = await listenFakeVendors({
  host: HOST,
  basePort: FAKES_PORT,
  log: (line) => console.log(`\x1b[35m${line}\x1b[0m`),
});

const vars = { ...DEMO_VARS, ...fakes.urls };
const args = ['wrangler', ...wranglerDevArgs({ host: HOST, port: PORT, scheduled: true, vars })];
console.log(`› starting wrangler dev on ${ORIGIN}`);
const wrangler = spawn(npx, args, { stdio: ['ignore', 'inherit', 'inherit'], env: QUIET_ENV });

async function waitReady() {
  for (let i = 0; i < 120; i++) {
    try {
      const res = await fetch(`${ORIGIN}/health`);
      if (res.ok || res.status === 503) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function triggerCron() {
  try {
    await fetch(`${ORIGIN}/__scheduled?cron=${encodeURIComponent('* * * * *')}`);
  } catch (err) {
    console.error(`cron trigger failed: ${err instanceof Error ? err.message : err}`);
  }
}

let timer;
if (await waitReady()) {
  console.log(`
\x1b[32m✓ order-relay is running\x1b[0m
  demo thank-you page   ${ORIGIN}/demo
  demo shop (browsing)  ${ORIGIN}/demo/product   ${ORIGIN}/demo/cart
  operator view         ${ORIGIN}/admin      (token: ${DEMO_VARS.ADMIN_TOKEN})
  health                ${ORIGIN}/health
  back-office API       curl -X POST ${ORIGIN}/v1/events -H 'Authorization: Bearer ${DEMO_VARS.S2S_TOKEN}' \\
                          -H 'Content-Type: application/json' \\
                          -d '{"order_id":"A-1","status":"paid","total":42,"currency":"EUR","items":[{"id":"SKU-1","name":"Mug","price":42,"quantity":1}],"customer":{"id":"c-1","email":"buyer@example.com","lvid":"0123456789abcdef0123456789abcdef"}}'
  The cron (Yandex flush, re-enqueue, purge) runs every minute. Ctrl-C stops everything.
`);
  timer = setInterval(triggerCron, 60_000);
} else {
  console.error('✗ wrangler dev did not answer on /health');
}

function stop(code = 0) {
  clearInterval(timer);
  wrangler.kill('SIGINT');
  fakes.close().finally(() => process.exit(code));
  setTimeout(() => process.exit(code), 3000).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
wrangler.on('exit', (code) => stop(code ?? 0));
