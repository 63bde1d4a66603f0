#!/usr/bin/env node
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
// `npm run bench`: one table of what order-relay costs. Sizes (the snippet, the Worker bundle), the CPU of the
// request + delivery path in Node (bench/hot.ts bundled with esbuild), ingest throughput on local `wrangler dev`
// against its own /health (loaded with wrk, 127.0.0.1 only, bounded rounds), and vendor requests per 1,000 orders
// planned in the batches the pipeline makes. Nothing here reaches the internet. Options (env):
//   BENCH_SECONDS=5 per load round · BENCH_ROUNDS=3 · BENCH_CONNECTIONS=16 · BENCH_SKIP_LOAD=1 (no wrangler/wrk)
//   BENCH_ORDERS_PER_MINUTE=100 (the order rate assumed for Yandex's flush cadence)
//   BENCH_SKIP_VALGRIND=1 (no instruction count)
//   BENCH_LIMITS_ORDERS=100 (orders in the limits run) · BENCH_SKIP_LIMITS=1 (no limits run) · BENCH_D1_ORDERS=1000 (orders in the D1 storage run)
import { build } from 'esbuild';
import { wranglerDevArgs } from '../test/fakes/relay-env.mjs';
import { d1Cost } from './d1.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ORDERS_PER_MINUTE = Number(process.env.BENCH_ORDERS_PER_MINUTE ?? 100);
const tmp = mkdtempSync(join(tmpdir(), 'order-relay-bench-'));
const rows = []; // [what, measured, goal or reference, verdict]
const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
const num = (n, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const log = (...a) => console.error('›', ...a);

// ---- 1. sizes ----
function sizes() {
  const snippet = readFileSync(join(ROOT, 'dist/s.js'));
  rows.push([
    'dist/s.js (the snippet), raw / gzip -9',
    `${num(snippet.length)} B / ${num(gzipSync(snippet, { level: 9 }).length)} B`,
    '≤ 1 KB gzip (README)',
    gzipSync(snippet, { level: 9 }).length <= 1024 ? 'met' : 'over',
  ]);
  rows.push(['  reference: Plausible script', '~1 KB', 'reference figure, not measured here', '']);
  rows.push(['  reference: Segment analytics.js', '29.8 KB', 'reference figure, not measured here', '']);
  rows.push(['  reference: RudderStack JS SDK', '28.5 KB', 'reference figure, not measured here', '']);
}

async function workerBundle() {
  const out = join(tmp, 'worker.js');
  await build({
    entryPoints: [join(ROOT, 'src/worker/index.ts')],
    outfile: out,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:*', 'node:*'],
    logLevel: 'warning',
  });
  const code = readFileSync(out);
  rows.push([
    'Worker bundle (esbuild, minified), raw / gzip -9',
    `${kb(code.length)} / ${kb(gzipSync(code, { level: 9 }).length)}`,
    'Workers limit 3 MB gzip (free plan)',
    'met',
  ]);
}

// ---- 2. the CPU path, in Node ----
async function loadHot() {
  const out = join(tmp, 'hot.mjs');
  await build({
    entryPoints: [join(ROOT, 'bench/hot.ts')],
    outfile: out,
    bundle: true,
    format: 'esm',
    platform: 'node',
    logLevel: 'warning',
  });
  return { hot: await import(out), path: out };
}

/**
 * µs per call: the best and the median of 15 timed rounds of n/5 calls, after a warm-up. This shared 2-core VM has
 * bursts of interference lasting seconds (the same code measured 40–70 µs per event in back-to-back runs of three
 * 1-second rounds); many short rounds let the best one see the code undisturbed, and the median shows the noise.
 */
async function perCall(fn, n, baseline) {
  const fns = baseline ? [fn, baseline] : [fn];
  for (const f of fns) for (let i = 0; i < n / 4; i++) await f(); // warm up the JIT
  const per = fns.map(() => []);
  for (let r = 0; r < 15; r++) {
    // With a baseline, its rounds alternate with fn's, so both see the same state of the machine.
    for (const [k, f] of fns.entries()) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n / 5; i++) await f();
      per[k].push(Number(process.hrtime.bigint() - t0) / 1000 / (n / 5));
    }
  }
  const [own, base] = per.map((xs) => {
    xs.sort((a, b) => a - b);
    return { best: xs[0], median: xs[7] };
  });
  return baseline ? { ...own, baseline: base } : own;
}

const us = (t) => `${num(t.best, 1)} µs (median ${num(t.median, 1)})`;

async function cpu(hot) {
  for (const items of [3, 50]) {
    const body = hot.browserBody('BENCH-1', items);
    const event = await hot.ingest(body);
    const n = items === 3 ? 20_000 : 2_000;
    // Baseline: what any relay does at least, reading the posted JSON and writing JSON out again.
    const text = JSON.stringify(body);
    const total = await perCall(
      async () => hot.planAll([await hot.ingest(body)]),
      n,
      () => JSON.stringify(JSON.parse(text)),
    );
    const request = await perCall(() => hot.ingest(body), n);
    const delivery = await perCall(() => hot.planAll([event]), n);
    rows.push([
      `validate + normalise + plan ×5 vendors, ${items}-item GA4 order (one core; best of 15 rounds)`,
      `${us(total)}/event · ${num(1e6 / total.best)} events/s`,
      items === 3 ? '≤ 50 µs per 3-item event' : '',
      items === 3 ? (total.best <= 50 ? (total.median <= 50 ? 'met' : 'met (best round; median over)') : 'missed') : '',
    ]);
    rows.push([
      `  baseline in alternating rounds: JSON.parse + JSON.stringify of the ${num(text.length)} B body`,
      `${us(total.baseline)} · the event costs ${num(total.best / total.baseline.best, 1)}× (medians ${num(total.median / total.baseline.median, 1)}×)`,
      '',
      '',
    ]);
    rows.push([`  of which /o's request path: normalise + validate + key`, us(request), '', '']);
    rows.push([`  of which the consumer's: fold + plan for 5 vendors`, us(delivery), '', '']);
  }
}

/**
 * Instructions per event, counted by valgrind (cachegrind without cache simulation) under `node --single-threaded`
 * (no background JIT or GC threads): unlike time, the count does not move with other tenants of the machine
 * (±0.3% between runs here). Per event = (count after n2 events − count after n1) / (n2 − n1), so start-up and
 * warm-up cancel out. Skipped without valgrind on the PATH (Debian: apt-get install valgrind) or with
 * BENCH_SKIP_VALGRIND=1; it takes about a minute.
 */
function instructions(hotPath) {
  const what = 'validate + normalise + plan ×5 vendors, 3-item order: instructions (valgrind)';
  if (process.env.BENCH_SKIP_VALGRIND === '1') return;
  if (spawnSync('valgrind', ['--version']).error) {
    rows.push([what, 'skipped: valgrind is not installed (apt-get install valgrind)', '', '']);
    return;
  }
  const driver = join(tmp, 'count.mjs');
  writeFileSync(
    driver,
    `const hot = await import(${JSON.stringify(hotPath)});
const body = hot.browserBody('BENCH-1', 3);
for (let i = 0, n = Number(process.argv[2]); i < n; i++) hot.planAll([await hot.ingest(body)]);
`,
  );
  const count = (n) => {
    const res = spawnSync(
      'valgrind',
      [
        '--tool=cachegrind',
        '--cache-sim=no',
        '--smc-check=all-non-file',
        '--cachegrind-out-file=/dev/null',
        process.execPath,
        '--single-threaded',
        driver,
        String(n),
      ],
      { encoding: 'utf8' },
    );
    const m = /I\s+refs:\s+([\d,]+)/.exec(res.stderr ?? '');
    if (res.status !== 0 || !m) throw new Error(`valgrind failed: ${(res.stderr ?? '').slice(-500)}`);
    return Number(m[1].replaceAll(',', ''));
  };
  const [n1, n2] = [4000, 12000];
  try {
    const per = (count(n2) - count(n1)) / (n2 - n1);
    rows.push([what, `${num(per / 1000, 0)} k instructions/event`, 'deterministic companion of the µs row', '']);
  } catch (err) {
    rows.push([what, `not measured: ${String(err.message ?? err).split('\n')[0]}`, '', '']);
  }
}

// ---- 3. vendor requests per 1,000 orders, batched as the pipeline batches ----
/** max_batch_size of each queue consumer in wrangler.toml. */
function batchSizes() {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const sizesByQueue = {};
  for (const block of toml.split('[[queues.consumers]]').slice(1)) {
    const queue = /queue\s*=\s*"([^"]+)"/.exec(block)?.[1];
    const size = Number(/max_batch_size\s*=\s*(\d+)/.exec(block)?.[1] ?? 10);
    if (queue) sizesByQueue[queue] = size;
  }
  return { ingest: sizesByQueue['order-relay-ingest'] ?? 10, deliveries: sizesByQueue['order-relay-deliveries'] ?? 10 };
}

async function requestsPer1000(hot) {
  const { ingest: ingestBatch, deliveries: deliveriesBatch } = batchSizes();
  const events = [];
  for (let i = 0; i < 1000; i++) events.push(await hot.ingest(hot.browserBody(`ORD-${100000 + i}`, 3)));
  const byKey = new Map(events.map((e) => [e.key, e]));
  const queueVendors = hot.VENDORS.filter((v) => v.mode === 'queue').map((v) => v.name);
  const counts = Object.fromEntries(queueVendors.map((v) => [v, 0]));
  let contactCalls = 0;
  // ingest batches → delivery rows (event × vendor, as storeEvents returns them) → the pipeline's own sendBatch
  // chunks → one deliveries batch per chunk (max_batch_size messages), planned vendor by vendor.
  for (let i = 0; i < events.length; i += ingestBatch) {
    const created = events
      .slice(i, i + ingestBatch)
      .flatMap((e) => queueVendors.map((vendor) => ({ event_key: e.key, vendor })));
    const messages = hot.deliveryChunks(created).flat();
    for (let j = 0; j < messages.length; j += deliveriesBatch) {
      const batch = messages.slice(j, j + deliveriesBatch);
      for (const vendor of queueVendors) {
        const mine = batch.filter((m) => m.vendor === vendor).map((m) => byKey.get(m.key));
        if (!mine.length) continue;
        const plan = hot.planFor(vendor, mine);
        counts[vendor] += plan.requests.filter((r) => r.keys.length).length;
        if (vendor === 'esputnik') contactCalls += plan.requests.filter((r) => !r.keys.length).length;
      }
    }
  }
  // MyTracker's limits: ≤ 20 orders and ≤ 10 KB per orderBatch body "[a,b,…]".
  const bodyBytes = Buffer.byteLength(hot.planFor('mytracker', [events[0]]).requests[0].body);
  const perRequest = Math.min(hot.MAX_BATCH_ORDERS, Math.floor((hot.MAX_BODY_BYTES - 1) / (bodyBytes + 1)));
  const fewestMt = Math.ceil(1000 / perRequest);
  const ratio = counts.mytracker / fewestMt;
  rows.push([
    `MyTracker requests / 1,000 orders (batches: ingest ${ingestBatch}, deliveries ${deliveriesBatch})`,
    `${num(counts.mytracker)} (fewest ${fewestMt}: ${perRequest} orders of ${num(bodyBytes)} B per 10 KB request) = ${num(ratio, 2)}×`,
    'within 10% of the fewest',
    ratio <= 1.1 ? 'met' : 'missed',
  ]);
  rows.push([
    'eSputnik requests / 1,000 orders',
    `${num(counts.esputnik)} v1/event + ${num(contactCalls)} contact upserts`,
    'fewest 1,000 v1/event (one event per call); contacts could go in bulk',
    '',
  ]);
  rows.push([
    'Ecomail requests / 1,000 orders',
    num(counts.ecomail),
    'fewest 1,000 (one transaction per call)',
    counts.ecomail === 1000 ? 'at the fewest' : '',
  ]);
  rows.push([
    'VTmarketing requests / 1,000 orders',
    num(counts.vtmarketing),
    'fewest 1,000 (one confirmation per call)',
    counts.vtmarketing === 1000 ? 'at the fewest' : '',
  ]);
  // Yandex: the cron flushes every minute; the consumer flushes early once YANDEX_BATCH (500) rows wait and a
  // minute has passed since the last upload. One CSV of up to 5,000 rows per flush.
  const perMinute = (r) => (r >= 500 ? 2 : 1);
  const uploads = (r) => Math.ceil((1000 / r) * perMinute(r));
  rows.push([
    `Yandex uploads / 1,000 orders at ${num(ORDERS_PER_MINUTE)} orders/min (assumed rate)`,
    `${uploads(ORDERS_PER_MINUTE)} (one flush a minute; at 10 / 34 / 1,000 orders/min: ${uploads(10)} / ${uploads(34)} / ${uploads(1000)})`,
    '≤ 30 per 1,000 orders (quota: 5,000 uploads a day)',
    uploads(ORDERS_PER_MINUTE) <= 30 ? 'met' : 'missed',
  ]);
}

// ---- 4. D1 queries and subrequests per invocation, counted by the limits layer in workerd ----
// The benchmark lifecycle (test/limits/bench.test.ts) runs in the workerd test pool against the fake vendors:
// wrangler dev cannot reach vendors, and the layer counts every invocation there (docs/cloudflare-limits.md).
function limitsRun() {
  if (process.env.BENCH_SKIP_LIMITS) {
    rows.push(['D1 queries / subrequests per invocation', 'skipped (BENCH_SKIP_LIMITS)', '', '']);
    return;
  }
  const orders = Number(process.env.BENCH_LIMITS_ORDERS ?? 100);
  const res = spawnSync(
    join(ROOT, 'node_modules/.bin/vitest'),
    ['run', '--project', 'worker', 'test/limits/bench.test.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, LIMITS_BENCH: String(orders), NO_COLOR: '1' },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  const line = /LIMITS-BENCH (\{.*\})/.exec(`${res.stdout}\n${res.stderr}`)?.[1];
  if (!line) {
    rows.push([
      'D1 queries / subrequests per invocation',
      `not measured: the workerd run printed no report (exit ${res.status})`,
      '',
      '',
    ]);
    return;
  }
  const r = JSON.parse(line);
  const where = `${r.orders} orders created → paid, 5 vendors, workerd + limits layer${r.settled ? '' : ', NOT settled'}`;
  rows.push([
    `D1 statements per event (${where})`,
    `${num(r.d1QueriesPerEvent, 2)} (${num(r.d1Queries)} over ${num(r.events)} events, ${num(r.invocations)} invocations)`,
    '≤ 1 amortised (issue 12)',
    r.d1QueriesPerEvent <= 1 ? 'met' : 'missed',
  ]);
  rows.push([
    'most D1 queries in one invocation',
    `${num(r.maxD1Queries.value)} (${r.maxD1Queries.in})`,
    '≤ 1,000 on Workers Paid (50 on Free)',
    r.maxD1Queries.value <= 1000 ? 'met' : 'missed',
  ]);
  rows.push([
    'most subrequests in one invocation (fetch + D1/Queues calls)',
    `${num(r.maxSubrequests.value)} (${r.maxSubrequests.in}); most fetch() alone: ${num(r.maxFetches.value)} (${r.maxFetches.in})`,
    '≤ 10,000 on Workers Paid (Free: 50 fetch + 1,000 to services)',
    r.maxSubrequests.value <= 10000 ? 'met' : 'missed',
  ]);
  if (r.violations.length)
    rows.push(['limit violations in the limits run', r.violations.join(' · ').slice(0, 400), 'none', 'missed']);
}

// ---- 5. ingest throughput on wrangler dev ----
// ---- 3b. D1 per order: bytes, rows written, statements ----
const D1_ORDERS = Number(process.env.BENCH_D1_ORDERS ?? 1000);
const FREE_ROWS_WRITTEN_PER_DAY = 100_000;
const D1_MAX_BYTES = 10e9; // D1: 10 GB per database (decimal, the lower reading)
const RETENTION_DAYS = 30;

async function d1PerOrder() {
  const what = `D1 per order: created → paid, 5 vendors, first attempts succeed (${num(D1_ORDERS)} orders, local D1)`;
  try {
    const c = await d1Cost({ root: ROOT, orders: D1_ORDERS });
    // Every row delivered (or skipped by its vendor's rules, as VTmarketing does a `created`), none failed.
    const done = c.states.filter((s) => s.state === 'delivered' || s.state === 'skipped').reduce((n, s) => n + s.n, 0);
    if (done !== c.events * 5)
      throw new Error(`expected ${c.events * 5} settled rows, got ${JSON.stringify(c.states)}`);
    const perOrder = c.rowsWritten / c.orders;
    const top = Object.entries(c.perTable)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([name, b]) => `${name} ${num(b)}`)
      .join(', ');
    rows.push([
      `${what}: bytes (VACUUMed SQLite file, growth ÷ orders)`,
      `${num(c.bytesPerOrder)} B/order (pages: ${top})`,
      '≤ 2 KB (issue 12); first schema ≈ 9 KB',
      c.bytesPerOrder <= 2048 ? 'met' : 'missed',
    ]);
    rows.push([
      `  orders/day that fit 10 GB at RETENTION_DAYS=${RETENTION_DAYS}`,
      num(D1_MAX_BYTES / c.bytesPerOrder / RETENTION_DAYS),
      '≥ 160,000',
      D1_MAX_BYTES / c.bytesPerOrder / RETENTION_DAYS >= 160_000 ? 'met' : 'missed',
    ]);
    rows.push([
      '  D1 rows written per order (sum of meta.rows_written: rows, index entries, deletes)',
      `${num(perOrder, 1)} → Workers Free's 100,000/day fits ${num(FREE_ROWS_WRITTEN_PER_DAY / perOrder)} orders/day`,
      '≤ 20 (stretch ≤ 10); first schema ≈ 210',
      perOrder <= 10 ? 'met (stretch)' : perOrder <= 20 ? 'met' : 'missed',
    ]);
    rows.push([
      '  D1 statements per event (amortised, batches of 100 as the queues deliver them)',
      `${num(c.statements / c.events, 2)} (most in one invocation: ${c.maxStatementsPerInvocation})`,
      '≤ 1 (issue 12); first engine ~14',
      c.statements / c.events <= 1 ? 'met' : 'missed',
    ]);
  } catch (err) {
    rows.push([what, `not measured: ${String(err.message ?? err).split('\n')[0]}`, '', '']);
  }
}

// ---- 4. ingest throughput on wrangler dev ----
const freePort = () =>
  new Promise((ok, fail) => {
    const s = createServer()
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => ok(port));
      })
      .on('error', fail);
  });

/** wrangler.toml with the /o rate limit raised (it would throttle the load itself) and paths made absolute. */
function benchConfig() {
  let toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const limited = /simple = \{ limit = \d+, period = 60 \}/;
  if (!limited.test(toml))
    throw new Error('bench: the RATE_LIMITER line in wrangler.toml changed; update benchConfig()');
  toml = toml
    .replace(limited, 'simple = { limit = 1000000000, period = 60 }')
    .replace(/^main = "([^"]+)"/m, (_m, p) => `main = "${join(ROOT, p)}"`)
    .replace(/^migrations_dir = "([^"]+)"/m, (_m, p) => `migrations_dir = "${join(ROOT, p)}"`);
  const file = join(tmp, 'wrangler.toml');
  writeFileSync(file, toml);
  return file;
}

const QUIET = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_LOG: 'warn',
};
const S2S = 'bench-s2s-token';
const ORIGIN = 'https://shop.example';

async function startWrangler(config) {
  const [port, inspector] = [await freePort(), await freePort()];
  const persist = join(tmp, 'state');
  const wrangler = join(ROOT, 'node_modules/.bin/wrangler');
  const migrate = spawnSync(
    wrangler,
    ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist, '-c', config],
    { env: QUIET, encoding: 'utf8' },
  );
  if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr || migrate.stdout}`);
  // No vendor secrets: every vendor is disabled, so the consumers only store events (the request path is measured).
  const vars = { S2S_TOKEN: S2S, ALLOWED_ORIGINS: ORIGIN, ADMIN_TOKEN: 'bench-admin-token' };
  const child = spawn(wrangler, wranglerDevArgs({ port, inspector, persist, config, vars }), {
    env: QUIET,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) return { base, stop: () => stopGroup(child) };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  stopGroup(child);
  throw new Error(`wrangler dev did not start: ${stderr.slice(-2000)}`);
}

function stopGroup(child) {
  try {
    process.kill(-child.pid, 'SIGINT');
  } catch {
    /* gone */
  }
  setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 3000).unref();
}

/** A wrk script posting `body` with a fresh order id per request (`@ID@` in the template). */
function wrkScript(name, path, headers, template) {
  const [pre, post] = template.split('@ID@');
  const lua = `
local n = 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function request()
  n = n + 1
  return wrk.format("POST", "${path}", { ${Object.entries(headers)
    .map(([k, v]) => `["${k}"] = "${v}"`)
    .join(', ')} },
    [==[${pre}]==] .. "${name}-" .. tostring(tid) .. "-" .. tostring(n) .. [==[${post}]==])
end`;
  const file = join(tmp, `${name}.lua`);
  writeFileSync(file, lua);
  return file;
}

function wrk(url, script) {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--timeout', '10s', ...(script ? ['-s', script] : []), url];
  const res = spawnSync('wrk', args, { encoding: 'utf8' });
  const out = res.stdout ?? '';
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors: (.*)/.exec(out)?.[1];
  return { rps, total, ok: total - non2xx, errors };
}

async function throughput(hot) {
  if (process.env.BENCH_SKIP_LOAD) {
    rows.push(['ingest throughput on wrangler dev', 'skipped (BENCH_SKIP_LOAD)', '', '']);
    return;
  }
  if (spawnSync('wrk', ['--version']).error) {
    rows.push(['ingest throughput on wrangler dev', 'skipped: wrk is not installed (apt-get install wrk)', '', '']);
    return;
  }
  const server = await startWrangler(benchConfig());
  try {
    const browser = JSON.stringify(hot.browserBody('@ID@', 3));
    const event = await hot.ingest(hot.browserBody('X', 3));
    const { key: _k, context: _c, ...canonical } = event;
    const scripts = {
      '/health': null,
      // /health runs two D1 queries (dead rows, failing streaks); the in-memory snippet is the trivial baseline.
      '/s.js': null,
      '/v1/events': wrkScript(
        's2s',
        '/v1/events',
        { Authorization: `Bearer ${S2S}`, 'Content-Type': 'application/json' },
        JSON.stringify({ ...canonical, order_id: '@ID@' }),
      ),
      '/o': wrkScript('web', '/o', { Origin: ORIGIN, 'Content-Type': 'text/plain;charset=UTF-8' }, browser),
    };
    // Check each request once before loading it.
    const probe = await fetch(`${server.base}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${S2S}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...canonical, order_id: 'PROBE-1' }),
    });
    const probeO = await fetch(`${server.base}/o`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'text/plain' },
      body: browser.replace('@ID@', 'PROBE-2'),
    });
    if (probe.status !== 202 || probeO.status !== 202)
      throw new Error(
        `probe: /v1/events ${probe.status} ${await probe.text()}, /o ${probeO.status} ${await probeO.text()}`,
      );
    const totals = Object.fromEntries(Object.keys(scripts).map((p) => [p, { rps: [], total: 0, ok: 0, errors: [] }]));
    for (const [path, script] of Object.entries(scripts)) wrk(`${server.base}${path}`, script); // warm-up round
    for (let r = 0; r < ROUNDS; r++) {
      for (const [path, script] of Object.entries(scripts)) {
        const m = wrk(`${server.base}${path}`, script);
        log(
          `round ${r + 1} ${path}: ${num(m.rps)} req/s, ${m.ok}/${m.total} 2xx${m.errors ? `, socket errors ${m.errors}` : ''}`,
        );
        Object.assign(totals[path], { total: totals[path].total + m.total, ok: totals[path].ok + m.ok });
        totals[path].rps.push(m.rps);
        if (m.errors) totals[path].errors.push(m.errors);
      }
    }
    const mean = (p) => totals[p].rps.reduce((s, x) => s + x, 0) / totals[p].rps.length;
    const share = (p) =>
      `${num((100 * totals[p].ok) / Math.max(1, totals[p].total), 1)}% 2xx${totals[p].errors.length ? ` · socket errors ${totals[p].errors.join('; ')}` : ''}`;
    const [health, snippet] = [mean('/health'), mean('/s.js')];
    rows.push([
      `GET /health on wrangler dev (${ROUNDS} × ${SECONDS} s rounds, ${CONNECTIONS} connections, wrk)`,
      `${num(health)} req/s · ${share('/health')}`,
      'baseline asked for (it runs 2 D1 queries)',
      '',
    ]);
    rows.push([
      'GET /s.js (in memory: the trivial route)',
      `${num(snippet)} req/s · ${share('/s.js')}`,
      'trivial baseline',
      '',
    ]);
    for (const p of ['/v1/events', '/o']) {
      const ratio = mean(p) / health;
      rows.push([
        `POST ${p} (3-item order), rounds alternating with both`,
        `${num(mean(p))} req/s = ${num(ratio, 2)} × /health, ${num(mean(p) / snippet, 2)} × /s.js · ${share(p)}`,
        '≥ 0.8 × /health',
        ratio >= 0.8 ? 'met' : 'missed',
      ]);
    }
  } finally {
    server.stop();
  }
}

try {
  if (!existsSync(join(ROOT, 'dist/s.js')))
    throw new Error('dist/s.js is missing: run `node build.mjs` first (npm run bench does)');
  log('sizes');
  sizes();
  await workerBundle();
  const { hot, path: hotPath } = await loadHot();
  log('CPU path');
  await cpu(hot);
  log('CPU path: instructions (valgrind)');
  instructions(hotPath);
  log('vendor requests per 1,000 orders');
  await requestsPer1000(hot);
  log('D1 queries and subrequests per invocation (workerd, limits layer)');
  limitsRun();
  log('D1 per order (Miniflare + sqlite3)');
  await d1PerOrder();
  log('ingest throughput (wrangler dev + wrk)');
  await throughput(hot);
  const width = [0, 1, 2, 3].map((i) =>
    Math.max(...rows.map((r) => String(r[i]).length), ['what', 'measured', 'goal / reference', 'verdict'][i].length),
  );
  const line = (r) => `| ${r.map((c, i) => String(c).padEnd(width[i])).join(' | ')} |`;
  console.log(
    `\norder-relay bench, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`,
  );
  console.log(line(['what', 'measured', 'goal / reference', 'verdict']));
  console.log(`|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
