// Real-browser test harness: the fake vendors in this process, `wrangler dev` on a free 127.0.0.1 port with a
// throw-away D1/Queues state, a tiny "shop" server for thank-you pages, and Debian Chromium via playwright-core.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { listenFakeVendors } from '../fakes/index.mjs';
import { FAKE_VENDOR_SECRETS, wranglerDevArgs } from '../fakes/relay-env.mjs';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const QUIET_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_LOG: 'warn',
};

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export type Relay = {
  url: string;
  fakes: Awaited<ReturnType<typeof listenFakeVendors>>['fakes'];
  logs: string[];
  stop(): Promise<void>;
};

/** Starts fakes + wrangler dev; `vars` override the test configuration (fake secrets the fakes accept). */
export async function startRelay(vars: Record<string, string> = {}): Promise<Relay> {
  const state = mkdtempSync(join(tmpdir(), 'order-relay-'));
  const fakes = await listenFakeVendors({ basePort: 0, log: () => {} });
  const port = await freePort();
  const inspector = await freePort();
  const all: Record<string, string> = {
    DEMO: 'true',
    S2S_TOKEN: 'test-s2s-token',
    ADMIN_TOKEN: 'test-admin-token',
    SIGNING_SECRET: 'test-signing-secret',
    ...FAKE_VENDOR_SECRETS,
    RETRY_BASE_SECONDS: '1',
    ...fakes.urls,
    ...vars,
  };
  const migrate = spawnSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], {
    env: QUIET_ENV,
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr}`);
  const logs: string[] = [];
  const child: ChildProcess = spawn(
    'npx',
    ['wrangler', ...wranglerDevArgs({ port, inspector, persist: state, scheduled: true, vars: all })],
    { env: QUIET_ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout?.on('data', (d: Buffer) => logs.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await fakes.close();
    rmSync(state, { recursive: true, force: true });
  };
  for (let i = 0; i < 120; i++) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200 || res.status === 503) return { url, fakes: fakes.fakes, logs, stop };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not start:\n${logs.join('')}`);
}

/** Serves thank-you pages (path → HTML) on a free port: the "shop", a different origin from the relay. */
export async function startShop(
  pages: Record<string, string>,
  port?: number,
): Promise<{ origin: string; server: Server; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    const html = pages[(req.url ?? '/').split('?')[0]!];
    if (!html) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  });
  const listenOn = port ?? (await freePort());
  await new Promise<void>((resolve) => server.listen(listenOn, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${listenOn}`,
    server,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Polls until `check` returns a truthy value or the time runs out. */
export async function eventually<T>(check: () => T | Promise<T>, timeout = 20_000): Promise<T> {
  const until = Date.now() + timeout;
  let last = await check();
  while (!last && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 150));
    last = await check();
  }
  return last;
}
