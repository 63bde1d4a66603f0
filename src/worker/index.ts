// The Worker's entry: routes and bindings only. Logic lives in the modules it wires together.
import { handleAdmin } from './admin';
import { serveClient } from './assets';
import { handleBrowse } from './browse/consumer';
import type { BrowseMessage } from './browse/event';
import { secretValues } from './config';
import { handleDeadLetters } from './consumers/dead-letter';
import { handleDeliveries } from './consumers/deliveries';
import { handleIngest } from './consumers/ingest';
import { defaultDeps, runScheduled } from './cron';
import { demoPage, demoShopPage } from './demo';
import { type DeliveryMessage, type Env, flag, type IngestMessage } from './env';
import { health } from './health';
import { errorResponse, HttpError, json } from './http';
import { allowedOrigin, corsHeaders, ingestBrowser, ingestServer, preflight } from './ingest';
import { log, setLogSecrets } from './log';
import { withMeter } from './meter';
import { queueRole } from './queues';
import { type PixelMessage, prepareIngest } from './webhooks/pixel';
import { platformRoute } from './webhooks/routes';

const allow = (methods: string) =>
  new HttpError(405, 'method_not_allowed', `Use ${methods}`, undefined, { allow: methods });

async function route(request: Request, env: Env, url: URL): Promise<Response> {
  const { pathname: path } = url;
  const method = request.method;
  if (path === '/o') {
    if (method === 'OPTIONS') return preflight(request, env);
    if (method !== 'POST') throw allow('POST, OPTIONS');
    return ingestBrowser(request, env, Date.now());
  }
  if (path === '/v1/events') {
    if (method !== 'POST') throw allow('POST');
    return ingestServer(request, env, Date.now());
  }
  if (path === '/v1/shopify' || path === '/v1/woocommerce' || path === '/v1/shopify/pixel')
    return platformRoute(request, env, path, Date.now());
  if (/^\/s(\.all)?(\.debug)?\.js$/.test(path)) {
    if (method !== 'GET' && method !== 'HEAD') throw allow('GET, HEAD');
    return serveClient(request, path) ?? json({ error: 'not_found', message: 'Not built' }, 404);
  }
  if (path === '/health') return health(env, Date.now());
  if (path === '/admin' || path.startsWith('/admin/')) return handleAdmin(request, env, url);
  if ((path === '/' || path === '/demo') && flag(env.DEMO) && method === 'GET') return demoPage(url);
  const shopPage = path.startsWith('/demo/') && flag(env.DEMO) && method === 'GET' ? demoShopPage(url) : null;
  if (shopPage) return shopPage;
  throw new HttpError(404, 'not_found', `No route for ${path}`);
}

export default withMeter({
  async fetch(request, env): Promise<Response> {
    setLogSecrets(secretValues(env));
    const url = new URL(request.url);
    // Error answers to the browser carry CORS headers so the snippet can read the status.
    const origin = url.pathname === '/o' ? allowedOrigin(request, env) : null;
    const cors = origin ? corsHeaders(origin) : {};
    try {
      const res = await route(request, env, url);
      if (!origin) return res;
      const out = new Response(res.body, res);
      for (const [k, v] of Object.entries(cors)) out.headers.set(k, v);
      return out;
    } catch (err) {
      if (err instanceof HttpError) return errorResponse(err, cors);
      log('error', 'unhandled', { path: url.pathname, error: err instanceof Error ? err.message : String(err) });
      return json({ error: 'internal', message: 'Unexpected error; nothing was accepted' }, 500, cors);
    }
  },

  async queue(batch, env): Promise<void> {
    setLogSecrets(secretValues(env));
    const deps = defaultDeps();
    // Throws on a queue not in src/worker/queues.ts: the batch is retried, never acknowledged unread.
    switch (queueRole(batch.queue)) {
      case 'ingest':
      case 'ingestDeadLetter': {
        // Pixel hints and the second half of a Shopify cancel-and-refund are handled here and never stored as events.
        const events = await prepareIngest(
          batch.messages as readonly Message<IngestMessage | PixelMessage>[],
          env.DB,
          deps.now(),
        );
        return events.length ? handleIngest(events, env, deps) : undefined;
      }
      case 'deliveries':
        return handleDeliveries(batch.messages as readonly Message<DeliveryMessage>[], env, deps);
      case 'browse':
        return handleBrowse(batch.messages as readonly Message<BrowseMessage>[], env);
      case 'deadLetter':
        return handleDeadLetters(batch.messages as readonly Message<DeliveryMessage>[], env, deps);
    }
  },

  async scheduled(_controller, env, ctx): Promise<void> {
    setLogSecrets(secretValues(env));
    ctx.waitUntil(runScheduled(env, defaultDeps()));
  },
} satisfies ExportedHandler<Env, IngestMessage | PixelMessage | DeliveryMessage | BrowseMessage>);
