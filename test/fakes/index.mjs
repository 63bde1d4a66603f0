// All five fake vendors together: a router for miniflare's `outboundService` (by the vendors' real host names)
// and `listenFakeVendors()`, which serves each fake on its own 127.0.0.1 port for `npm start`.
// The fakes follow the vendors' docs (docs/vendors/), never src/.
import { listen, loggablePath, toNodeListener } from './common.mjs';
import { createFake as ecomail } from './ecomail.mjs';
import { createFake as esputnik } from './esputnik.mjs';
import { createFake as mytracker } from './mytracker.mjs';
import { createFake as vtmarketing } from './vtmarketing.mjs';
import { createFake as yandex } from './yandex.mjs';

/** Order = port offset from basePort. */
export const VENDORS = ['mytracker', 'esputnik', 'ecomail', 'vtmarketing', 'yandex'];
export const HOSTS = {
  'tracker-s2s.my.com': 'mytracker',
  'esputnik.com': 'esputnik',
  'yespo.io': 'esputnik',
  'api2.ecomailapp.cz': 'ecomail',
  'api.vtcdn.net': 'vtmarketing',
  'api-metrika.yandex.net': 'yandex',
};
export const URL_VARS = {
  mytracker: 'MYTRACKER_BASE_URL',
  esputnik: 'ESPUTNIK_BASE_URL',
  ecomail: 'ECOMAIL_BASE_URL',
  vtmarketing: 'VTMARKETING_BASE_URL',
  yandex: 'YANDEX_METRICA_BASE_URL',
};
const FACTORIES = { mytracker, esputnik, ecomail, vtmarketing, yandex };

/**
 * Create the five fakes. `options` = { mytracker: {token, appId}, esputnik: {apiKey}, …, basePort = 9101 }.
 * handle(request) routes by host name (the vendors' real hosts, or 127.0.0.1/localhost:basePort+i);
 * anything else is answered 599 "blocked outbound" and listed in `blocked`.
 */
export function createFakeVendors(options = {}) {
  const { basePort = 9101 } = options;
  const fakes = Object.fromEntries(VENDORS.map((v) => [v, FACTORIES[v](options[v])]));
  const { rateLimits } = options;
  if (rateLimits)
    for (const v of VENDORS) if (rateLimits === true || rateLimits[v]) fakes[v].rateLimits(true, rateLimits[v] ?? {});
  const blocked = [];
  const pick = (url) => {
    const host = url.hostname.toLowerCase();
    if (HOSTS[host]) return fakes[HOSTS[host]];
    if (host === '127.0.0.1' || host === 'localhost') return fakes[VENDORS[Number(url.port) - basePort]];
    return undefined;
  };
  const vendors = {
    ...fakes,
    all: VENDORS.map((v) => fakes[v]),
    blocked,
    /** Route a WHATWG Request to its fake; unknown hosts get 599. */
    async handle(request) {
      const url = new URL(request.url);
      const fake = pick(url);
      if (fake) return fake.handle(request);
      blocked.push({ method: request.method, url: request.url, at: Date.now() });
      return new Response(JSON.stringify({ error: `blocked outbound: ${url.host}` }), {
        status: 599,
        headers: { 'content-type': 'application/json' },
      });
    },
    reset() {
      for (const v of VENDORS) fakes[v].reset();
      blocked.length = 0;
    },
    /**
     * The same router as a node:http listener, for miniflare's `outboundService: { node: vendors.node }`:
     * there a simulated refusal really drops the connection (the Worker's fetch() throws), whereas a
     * function-style outboundService turns any thrown error into a 500 response.
     */
    node: toNodeListener((request) => vendors.handle(request)),
  };
  return vendors;
}

/** One log line per request; secrets (auth headers, token-like query values) are never printed. */
function logLine(name, r) {
  const status = r.status === 0 ? 'REFUSED' : r.status;
  const what = r.summary ?? (r.error ? r.error.slice(0, 120) : '');
  const injected = r.injected ? ` [injected ${r.injected}]` : '';
  return `[fake ${name}] ${r.method} ${loggablePath(`http://x${r.path}?${new URLSearchParams(r.query)}`)} → ${status}${injected}${what ? ` ${what}` : ''}`;
}

/**
 * Serve each fake on its own port (mytracker basePort, esputnik +1, ecomail +2, vtmarketing +3, yandex +4;
 * basePort 0 = any free ports). Returns { fakes, urls: { MYTRACKER_BASE_URL, … }, close() }.
 */
export async function listenFakeVendors({ host = '127.0.0.1', basePort = 9101, log = console.log, options = {} } = {}) {
  const fakes = createFakeVendors({ ...options, basePort });
  const servers = [];
  const unsubscribe = [];
  try {
    for (const [i, v] of VENDORS.entries()) {
      const fake = fakes[v];
      if (log) unsubscribe.push(fake.observe((r) => log(logLine(v, r))));
      servers.push(await listen((req) => fake.handle(req), { host, port: basePort ? basePort + i : 0 }));
    }
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }
  const urls = Object.fromEntries(VENDORS.map((v, i) => [URL_VARS[v], servers[i].url]));
  return {
    fakes,
    urls,
    async close() {
      for (const u of unsubscribe) u();
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
