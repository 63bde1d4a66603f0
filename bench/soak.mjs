#!/usr/bin/env node
// `npm run soak`: the peak-load proof. Posts orders (created + paid, one /v1/events request per order) at a fixed rate to
// local `wrangler dev` (127.0.0.1, throw-away state), with the five fake vendors in rate-limit mode (429 +
// Retry-After past each vendor's limits), calls the scheduled handler every minute (wrangler does not run crons
// locally), waits until every delivery row is final, then prints what it counted and the cost per million orders at
// Cloudflare's list prices. Bounded: SOAK_RATE × SOAK_SECONDS orders (at most 50,000) and SOAK_DRAIN_MINUTES.
// Options (env): SOAK_RATE=200 orders/s · SOAK_SECONDS=60 · SOAK_POST_MINUTES=20 (posting stops then, even short of
// the count: a slow machine) · SOAK_DRAIN_MINUTES=40 · SOAK_STALL_MINUTES=5 (stop waiting once no row changed state
// for that long) · SOAK_CONCURRENCY=128 (requests
// in flight at most) · SOAK_OUT=file.json (the figures as JSON) · SOAK_VARS='{"NAME":"value"}' (extra Worker vars) ·
// SOAK_LIMITS='{"ecomail":{"per-key-minute":100}}' (lower a fake's limit, to see throttling in a short run).
// Counting: D1 statements and rows come from D1's own result meta (meta.rows_read / meta.rows_written), summed by
// the Worker's METER=true log lines (src/worker/meter.ts); vendor requests from the fakes; CPU from /proc of the
// wrangler process group (workerd + the local D1/Queues simulators: an upper bound on billed CPU).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { listenFakeVendors, VENDORS } from '../test/fakes/index.mjs';
import { FAKE_VENDOR_SECRETS, wranglerDevArgs } from '../test/fakes/relay-env.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const RATE = Number(process.env.SOAK_RATE ?? 200);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const DRAIN_MINUTES = Number(process.env.SOAK_DRAIN_MINUTES ?? 40);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 128);
const POST_MINUTES = Number(process.env.SOAK_POST_MINUTES ?? 20);
const STALL_MINUTES = Number(process.env.SOAK_STALL_MINUTES ?? 5);
const ORDERS = Math.round(RATE * SECONDS);
if (!(ORDERS > 0 && ORDERS <= 50_000))
  throw new Error(`SOAK_RATE × SOAK_SECONDS must give 1..50,000 orders, not ${ORDERS}`);
const EXTRA_VARS = JSON.parse(process.env.SOAK_VARS ?? '{}');
const LIMIT_OVERRIDES = process.env.SOAK_LIMITS ? JSON.parse(process.env.SOAK_LIMITS) : null;
const RETENTION_DAYS = Number(EXTRA_VARS.RETENTION_DAYS ?? 30);

/** Cloudflare list prices (USD), each past the Workers Paid plan's included amount; sources in BENCHMARKS.md. */
export const PRICES = {
  workerRequestsPerMillion: 0.3, // developers.cloudflare.com/workers/platform/pricing/
  cpuPerMillionMs: 0.02, // same page
  queueOpsPerMillion: 0.4, // developers.cloudflare.com/queues/platform/pricing/ (per 64 KB written, read or deleted)
  d1RowsReadPerMillion: 0.001, // developers.cloudflare.com/d1/platform/pricing/
  d1RowsWrittenPerMillion: 1.0, // same page
  d1StoragePerGbMonth: 0.75, // same page
  zarazEventsPerMillion: 5.0, // developers.cloudflare.com/zaraz/pricing-info/ (past the first million a month)
};
const FREE_D1_ROWS_WRITTEN_PER_DAY = 100_000;
const FREE_QUEUE_OPS_PER_DAY = 10_000;
const FREE_WORKER_REQUESTS_PER_DAY = 100_000;

const tmp = mkdtempSync(join(tmpdir(), 'order-relay-soak-'));
const log = (...a) => console.error('›', ...a);
const num = (n, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : String(n);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const QUIET = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  // `log`: the Worker's console.log lines (the meter's) reach stdout; `warn` drops them.
  WRANGLER_LOG: 'log',
};
const S2S = 'soak-s2s-token';
const ADMIN = 'soak-admin-token';

const freePort = () =>
  new Promise((ok, fail) => {
    const s = createServer()
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => ok(port));
      })
      .on('error', fail);
  });

/** wrangler.toml with absolute paths (it is copied to the temp dir). */
function soakConfig() {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8')
    .replace(/^main = "([^"]+)"/m, (_m, p) => `main = "${join(ROOT, p)}"`)
    .replace(/^migrations_dir = "([^"]+)"/m, (_m, p) => `migrations_dir = "${join(ROOT, p)}"`);
  const file = join(tmp, 'wrangler.toml');
  writeFileSync(file, toml);
  return file;
}

// ---- the relay and its meter lines ----
const meter = { lines: 0, byKind: new Map() };
function onMeterLine(line) {
  const at = line.indexOf('{"level"');
  if (at < 0 || !line.includes('"msg":"meter"')) return;
  let m;
  try {
    m = JSON.parse(line.slice(at));
  } catch {
    return;
  }
  meter.lines++;
  const kind = m.kind.startsWith('fetch /admin') || m.kind === 'fetch /health' ? 'soak polling' : m.kind;
  const sum = meter.byKind.get(kind) ?? { invocations: 0 };
  sum.invocations++;
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number') sum[k] = (sum[k] ?? 0) + v;
  meter.byKind.set(kind, sum);
}

async function startRelay(urls) {
  const config = soakConfig();
  const [port, inspector] = [await freePort(), await freePort()];
  const persist = join(tmp, 'state');
  const wrangler = join(ROOT, 'node_modules/.bin/wrangler');
  const migrate = spawnSync(
    wrangler,
    ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist, '-c', config],
    { env: QUIET, encoding: 'utf8' },
  );
  if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr || migrate.stdout}`);
  const vars = {
    METER: 'true',
    S2S_TOKEN: S2S,
    ADMIN_TOKEN: ADMIN,
    ...FAKE_VENDOR_SECRETS,
    ...urls,
    ...EXTRA_VARS,
  };
  const child = spawn(wrangler, wranglerDevArgs({ port, inspector, persist, config, scheduled: true, vars }), {
    env: QUIET,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let tail = '';
  let partial = '';
  const raw = process.env.SOAK_DEBUG_LOG ? [] : null;
  const onData = (d) => {
    raw?.push(d.toString());
    const text = partial + d.toString();
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) onMeterLine(l);
    tail = (tail + d.toString()).slice(-4000);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const base = `http://127.0.0.1:${port}`;
  const stop = () => {
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
  };
  for (let i = 0; i < 240; i++) {
    try {
      const res = await fetch(`${base}/health`);
      if (res.status === 200 || res.status === 503) return { base, pgid: child.pid, persist, stop, raw };
    } catch {
      /* not up yet */
    }
    await sleep(250);
  }
  stop();
  throw new Error(`wrangler dev did not start:\n${tail}`);
}

/** CPU seconds (user + system) of every process in the group: wrangler's node, workerd, esbuild. */
function groupCpuMs(pgid) {
  const tick = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
  let total = 0;
  let workerd = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat
      .slice(close + 2)
      .trim()
      .split(/\s+/);
    // fields after the name: state(0) ppid(1) pgrp(2) … utime(11) stime(12)
    if (Number(f[2]) !== pgid) continue;
    const ms = ((Number(f[11]) + Number(f[12])) * 1000) / tick;
    total += ms;
    if (name.includes('workerd')) workerd += ms;
  }
  return { total, workerd };
}

// ---- the load ----
function orderEvent(id, status, at) {
  return {
    order_id: id,
    status,
    occurred_at: at + (status === 'paid' ? 1 : 0),
    currency: 'EUR',
    total: 33.8,
    shipping: 5,
    items: [
      { id: 'SKU-1', name: 'Green apple', quantity: 2, price: 11.9, categories: ['Food', 'Fruit'] },
      { id: 'SKU-2', name: 'Honey', quantity: 1, price: 5 },
    ],
    customer: {
      id: `cust-${id}`,
      email: `buyer-${id.toLowerCase()}@example.com`,
      phone: '+420777123456',
      lvid: 'a'.repeat(32),
    },
  };
}

/**
 * One /v1/events request per order carrying its created and paid events (an OMS pushing its new paid orders). A 503
 * (the relay could not queue: nothing stored) or a dropped connection is posted again, as a client must, up to 5
 * times after Retry-After; a repeat of an accepted event is deduplicated by its key, so retrying is safe.
 */
async function load(base, run) {
  const first = new Map();
  const final = new Map();
  let retries = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let bytes = 0;
  const attempt = async (text) => {
    try {
      const res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${S2S}`, 'content-type': 'application/json' },
        body: text,
      });
      await res.arrayBuffer();
      return { status: res.status, wait: Number(res.headers.get('retry-after') ?? 2) };
    } catch {
      return { status: 'network error', wait: 2 };
    }
  };
  const one = async (i) => {
    const id = `SOAK-${run}-${i}`;
    const at = Math.floor(Date.now() / 1000);
    const text = JSON.stringify([orderEvent(id, 'created', at), orderEvent(id, 'paid', at)]);
    bytes += text.length;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let r = await attempt(text);
    first.set(r.status, (first.get(r.status) ?? 0) + 1);
    for (let n = 1; n < 5 && (r.status === 503 || r.status === 'network error'); n++) {
      retries++;
      await sleep(Math.min(10, r.wait) * 1000);
      r = await attempt(text);
    }
    inFlight--;
    final.set(r.status, (final.get(r.status) ?? 0) + 1);
    return r.status === 202 ? id : null;
  };
  const started = Date.now();
  const pending = [];
  let sent = 0;
  for (let i = 0; i < ORDERS && Date.now() - started < POST_MINUTES * 60_000; i++) {
    sent++;
    const due = started + (i * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    while (inFlight >= CONCURRENCY) await sleep(2);
    pending.push(one(i));
  }
  const ids = (await Promise.all(pending)).filter(Boolean);
  const seconds = (Date.now() - started) / 1000;
  return { ids, sent, first, final, retries, seconds, maxInFlight, bytes };
}

// ---- waiting for every delivery to be final ----
async function stateTotals(base) {
  const res = await fetch(`${base}/admin/api/counts?window=24h`, { headers: { authorization: `Bearer ${ADMIN}` } });
  if (!res.ok) throw new Error(`/admin/api/counts: ${res.status} ${await res.text()}`);
  return (await res.json()).totals;
}

// ---- what the vendors saw ----
/** The most requests in any window of `ms` (sliding, by arrival). */
function peak(times, ms) {
  let best = 0;
  let j = 0;
  for (let i = 0; i < times.length; i++) {
    while (times[i] - times[j] >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
function maxParallel(records) {
  const edges = records.flatMap((r) => [
    [r.at, 1],
    [r.end ?? r.at, -1],
  ]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let n = 0;
  let best = 0;
  for (const [, d] of edges) {
    n += d;
    best = Math.max(best, n);
  }
  return best;
}

/** Order ids and a per-delivery identity of what each fake stored (a repeat of an identity is a duplicate). */
const ENTRIES = {
  mytracker: (f) => f.accepted.map((e) => ({ order: e.order_id, id: `${e.order_id}|${e.status}` })),
  esputnik: (f) =>
    f.accepted.map((e) => ({
      order: e.externalOrderId,
      id: `${e.eventTypeKey}|${e.externalOrderId}|${e.params?.status ?? ''}`,
    })),
  ecomail: (f) =>
    f.accepted.map((e) => ({ order: e.order_id, id: `${e.method}|${e.order_id}|${e.transaction?.status ?? ''}` })),
  vtmarketing: (f) => f.accepted.map((e) => ({ order: e.orderId, id: `${e.orderId}` })),
  yandex: (f) =>
    f.accepted.flatMap((u) => u.rows.map((r) => ({ order: r.id, id: `${r.id}|${r.order_status || 'PAID'}` }))),
};

function vendorReport(fakes, ids) {
  const out = {};
  const wanted = new Set(ids);
  for (const v of VENDORS) {
    const f = fakes[v];
    const recs = [...f.received].sort((a, b) => a.at - b.at);
    const times = recs.map((r) => r.at);
    const limits = f.limits.map((rule) => {
      const mine = rule.parallel ? recs : recs.filter((r) => rule.key?.(r) != null);
      const buckets = new Map();
      for (const r of mine) {
        const k = rule.key ? rule.key(r) : '';
        buckets.set(k, [...(buckets.get(k) ?? []), r]);
      }
      const seen = Math.max(
        0,
        ...[...buckets.values()].map((list) =>
          rule.parallel
            ? maxParallel(list)
            : peak(
                list.map((r) => r.at),
                rule.windowMs,
              ),
        ),
      );
      return { rule: rule.name, max: rule.max, per: rule.parallel ? 'in parallel' : `${rule.windowMs / 1000} s`, seen };
    });
    const entries = ENTRIES[v](f);
    const seenIds = new Set();
    let duplicates = 0;
    const ordersSeen = new Set();
    for (const e of entries) {
      if (seenIds.has(e.id)) duplicates++;
      seenIds.add(e.id);
      ordersSeen.add(e.order);
    }
    const missing = [...wanted].filter((id) => !ordersSeen.has(id));
    out[v] = {
      requests: recs.length,
      ok2xx: recs.filter((r) => r.status >= 200 && r.status < 300).length,
      throttled429: recs.filter((r) => r.status === 429).length,
      otherErrors: recs.filter((r) => r.status !== 429 && (r.status < 200 || r.status >= 300)).length,
      peakPerSecond: peak(times, 1000),
      peakPerMinute: peak(times, 60_000),
      limits,
      overLimit: limits.some((l) => l.seen > l.max),
      requestBytes: recs.reduce((s, r) => s + r.body.length, 0),
      duplicates: duplicates + (f.duplicates?.length ?? 0),
      ordersMissing: missing.length,
      exampleMissing: missing.slice(0, 3),
    };
  }
  return out;
}

/** The local D1 file (the largest SQLite file miniflare keeps for D1) and its tables' sizes. */
function d1Storage(persist) {
  const dir = join(persist, 'v3', 'd1');
  const files = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.sqlite')) files.push(p);
    }
  };
  walk(dir);
  files.sort((a, b) => statSync(b).size - statSync(a).size);
  const file = files[0];
  if (!file) return null;
  const q = (sql) => spawnSync('sqlite3', ['-readonly', file, sql], { encoding: 'utf8' });
  const pages = q('SELECT page_count * page_size FROM pragma_page_count, pragma_page_size;');
  const bytes = Number(pages.stdout.trim()) || statSync(file).size;
  const tables = q('SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 12;');
  return {
    bytes,
    tables:
      tables.status === 0
        ? tables.stdout
            .trim()
            .split('\n')
            .map((l) => l.split('|'))
        : [],
  };
}

// ---- main ----
const run = Date.now().toString(36);
let relay;
let fakes;
try {
  const rateLimits = Object.fromEntries(VENDORS.map((v) => [v, LIMIT_OVERRIDES?.[v] ?? {}]));
  fakes = await listenFakeVendors({ basePort: 0, log: null, options: { rateLimits } });
  log(`fake vendors in rate-limit mode; starting wrangler dev (${tmp})`);
  relay = await startRelay(fakes.urls);
  // The group's idle CPU (timers, file watching) over 10 s, subtracted from the run's at the same rate.
  const idle0 = groupCpuMs(relay.pgid);
  await sleep(10_000);
  const cpu0 = groupCpuMs(relay.pgid);
  const idlePerMs = (cpu0.total - idle0.total) / 10_000;
  const workerdIdlePerMs = (cpu0.workerd - idle0.workerd) / 10_000;
  const loadStarted = Date.now();
  const cron = setInterval(() => {
    fetch(`${relay.base}/__scheduled?cron=${encodeURIComponent('* * * * *')}`).catch(() => {});
  }, 60_000);
  log(`posting ${num(ORDERS)} orders (created + paid) at ${RATE}/s for ${SECONDS} s`);
  const posted = await load(relay.base, run);
  const postedAt = Date.now();
  log(`posted in ${num(posted.seconds, 1)} s; ${num(posted.ids.length)} orders fully accepted; waiting for deliveries`);
  const expectedRows = posted.ids.length * 2 * VENDORS.length;
  let totals;
  let finalAfter = null;
  const drainUntil = postedAt + DRAIN_MINUTES * 60_000;
  let lastLog = 0;
  let lastChange = Date.now();
  let lastKey = '';
  let stalled = false;
  while (Date.now() < drainUntil) {
    await sleep(5000);
    try {
      totals = await stateTotals(relay.base);
    } catch (err) {
      log(String(err.message ?? err));
      continue;
    }
    const rows = Object.values(totals).reduce((s, n) => s + n, 0);
    // Open states: pending and retry, and engine v2's claimed.
    const open = (totals.pending ?? 0) + (totals.retry ?? 0) + (totals.claimed ?? 0);
    if (Date.now() - lastLog > 30_000) {
      lastLog = Date.now();
      log(
        `+${num((Date.now() - postedAt) / 1000)} s: ${num(rows)}/${num(expectedRows)} rows, open ${num(open)}: ${JSON.stringify(totals)}`,
      );
    }
    const key = JSON.stringify(totals);
    if (key !== lastKey) [lastKey, lastChange] = [key, Date.now()];
    if (Date.now() - lastChange > STALL_MINUTES * 60_000) {
      stalled = true;
      log(`no row changed state for ${STALL_MINUTES} min: stopped waiting`);
      break;
    }
    if (rows >= expectedRows && open === 0) {
      finalAfter = (Date.now() - postedAt) / 1000;
      break;
    }
  }
  clearInterval(cron);
  await sleep(2000); // the last meter lines
  const cpu1 = groupCpuMs(relay.pgid);
  const vendors = vendorReport(fakes.fakes, posted.ids);
  const storage = d1Storage(relay.persist);

  // ---- figures per order ----
  const n = posted.ids.length || 1;
  const relayKinds = [...meter.byKind].filter(([k]) => k !== 'soak polling');
  const sum = (key) => relayKinds.reduce((s, [, v]) => s + (v[key] ?? 0), 0);
  const invocations = sum('invocations');
  const d1 = {
    statements: sum('d1_statements'),
    rowsRead: sum('d1_rows_read'),
    rowsWritten: sum('d1_rows_written'),
    unmetered: sum('d1_unmetered'),
  };
  const queueReads = sum('queue_received');
  const queueOps = sum('queue_sent_64kb') + queueReads + (queueReads - sum('queue_retried'));
  const elapsed = Date.now() - loadStarted;
  const cpuMs = cpu1.total - cpu0.total - idlePerMs * elapsed;
  const workerdMs = cpu1.workerd - cpu0.workerd - workerdIdlePerMs * elapsed;
  const per = (x) => x / n;
  const cost = {
    workerRequests: (per(invocations) * 1e6 * PRICES.workerRequestsPerMillion) / 1e6,
    cpu: (per(cpuMs) * 1e6 * PRICES.cpuPerMillionMs) / 1e6,
    queueOps: (per(queueOps) * 1e6 * PRICES.queueOpsPerMillion) / 1e6,
    d1RowsRead: (per(d1.rowsRead) * 1e6 * PRICES.d1RowsReadPerMillion) / 1e6,
    d1RowsWritten: (per(d1.rowsWritten) * 1e6 * PRICES.d1RowsWrittenPerMillion) / 1e6,
    // A million orders a month kept RETENTION_DAYS: RETENTION_DAYS / 30 of a month's orders stored at any time.
    d1Storage: storage ? ((per(storage.bytes) * 1e6) / 1e9) * (RETENTION_DAYS / 30) * PRICES.d1StoragePerGbMonth : NaN,
  };
  const costTotal = Object.values(cost).reduce((s, x) => s + (Number.isFinite(x) ? x : 0), 0);
  const freePlanOrdersPerDay = {
    d1RowsWritten: FREE_D1_ROWS_WRITTEN_PER_DAY / per(d1.rowsWritten),
    queueOps: FREE_QUEUE_OPS_PER_DAY / per(queueOps),
    workerRequests: FREE_WORKER_REQUESTS_PER_DAY / per(invocations),
  };
  const result = {
    when: new Date().toISOString(),
    command: `SOAK_RATE=${RATE} SOAK_SECONDS=${SECONDS}${LIMIT_OVERRIDES ? ` SOAK_LIMITS='${JSON.stringify(LIMIT_OVERRIDES)}'` : ''} npm run soak`,
    orders: ORDERS,
    postedSeconds: posted.seconds,
    ordersPosted: posted.sent,
    achievedOrdersPerSecond: posted.sent / posted.seconds,
    maxOrdersInFlight: posted.maxInFlight,
    firstResponses: Object.fromEntries(posted.first),
    finalResponses: Object.fromEntries(posted.final),
    postRetries: posted.retries,
    ordersFullyAccepted: posted.ids.length,
    finalAfterSeconds: finalAfter,
    stalledAfterSeconds: stalled ? (lastChange - postedAt) / 1000 : null,
    finalStates: totals,
    vendors,
    meterLines: meter.lines,
    invocations: Object.fromEntries(relayKinds.map(([k, v]) => [k, v.invocations])),
    perOrder: {
      invocations: per(invocations),
      d1Statements: per(d1.statements),
      d1RowsRead: per(d1.rowsRead),
      d1RowsWritten: per(d1.rowsWritten),
      d1Unmetered: per(d1.unmetered),
      queueMessagesSent: per(sum('queue_sent')),
      queueOps: per(queueOps),
      cpuMsUpperBound: per(cpuMs),
      cpuMsWorkerd: per(workerdMs),
      cpuIdleMsPerSecondSubtracted: idlePerMs * 1000,
      d1StoredBytes: storage ? per(storage.bytes) : null,
      postedBytes: per(posted.bytes),
      vendorRequestBytes: per(Object.values(vendors).reduce((s, v) => s + v.requestBytes, 0)),
    },
    d1Tables: storage?.tables ?? [],
    costPerMillionOrders: { ...cost, total: costTotal },
    zarazPerMillionOrders: 2 * PRICES.zarazEventsPerMillion,
    freePlanOrdersPerDay,
    retentionDays: RETENTION_DAYS,
  };
  if (relay.raw) writeFileSync(process.env.SOAK_DEBUG_LOG, relay.raw.join(''));
  if (process.env.SOAK_OUT) writeFileSync(process.env.SOAK_OUT, JSON.stringify(result, null, 2));
  print(result);
} finally {
  relay?.stop();
  await fakes?.close();
  await sleep(500);
  rmSync(tmp, { recursive: true, force: true });
}

function print(r) {
  const p = r.perOrder;
  const lines = [];
  const say = (s = '') => lines.push(s);
  say(`order-relay soak, ${r.when.slice(0, 16).replace('T', ' ')} UTC — ${r.command}`);
  say();
  say(
    `orders: ${num(r.ordersPosted)} of ${num(r.orders)} (created + paid in one /v1/events request per order) posted in ${num(r.postedSeconds, 1)} s = ${num(r.achievedOrdersPerSecond, 1)} orders/s (at most ${r.maxOrdersInFlight} in flight)`,
  );
  say(
    `first answers: ${JSON.stringify(r.firstResponses)} · after ${num(r.postRetries)} re-posts: ${JSON.stringify(r.finalResponses)} · orders accepted (202): ${num(r.ordersFullyAccepted)}`,
  );
  say(
    r.stalledAfterSeconds !== null
      ? `every delivery final: NO — no row changed state after ${num(r.stalledAfterSeconds)} s past the last post (waited ${STALL_MINUTES} min more); states ${JSON.stringify(r.finalStates)}`
      : r.finalAfterSeconds === null
        ? `every delivery final: NOT within ${DRAIN_MINUTES} min after the last post; states ${JSON.stringify(r.finalStates)}`
        : `every delivery final ${num(r.finalAfterSeconds)} s after the last post; states ${JSON.stringify(r.finalStates)}`,
  );
  say();
  say(
    '| vendor | requests | 2xx | 429 | other errors | peak / s | peak / min | limits: most seen / allowed | duplicates | orders missing |',
  );
  say('|---|---|---|---|---|---|---|---|---|---|');
  for (const [v, x] of Object.entries(r.vendors)) {
    const lim = x.limits
      .map((l) => `${l.rule} ${l.seen}/${l.max} per ${l.per}${l.seen > l.max ? ' OVER' : ''}`)
      .join('; ');
    say(
      `| ${v} | ${num(x.requests)} | ${num(x.ok2xx)} | ${num(x.throttled429)} | ${num(x.otherErrors)} | ${x.peakPerSecond} | ${x.peakPerMinute} | ${lim} | ${x.duplicates} | ${x.ordersMissing} |`,
    );
  }
  say();
  say(`per order (${num(r.ordersFullyAccepted)} orders; the soak's own /health and /admin polling excluded):`);
  say(
    `  D1: ${num(p.d1Statements, 1)} statements, ${num(p.d1RowsRead, 1)} rows read, ${num(p.d1RowsWritten, 1)} rows written (D1's meta.rows_written)${p.d1Unmetered ? `, ${num(p.d1Unmetered, 2)} statements without meta` : ''}`,
  );
  say(
    `  Workers invocations ${num(p.invocations, 2)} (${Object.entries(r.invocations)
      .map(([k, v]) => `${k}: ${num(v)}`)
      .join(', ')})`,
  );
  say(
    `  queue messages sent ${num(p.queueMessagesSent, 2)}, operations ${num(p.queueOps, 2)} (writes + reads + deletes)`,
  );
  say(
    `  CPU ${num(p.cpuMsUpperBound, 2)} ms (wrangler process group less its idle ${num(p.cpuIdleMsPerSecondSubtracted)} ms/s; workerd alone ${num(p.cpuMsWorkerd, 2)} ms; includes the local D1/Queues simulation: an upper bound)`,
  );
  say(
    `  bytes: ${num(p.d1StoredBytes ?? NaN)} B in D1 (file pages / orders), ${num(p.postedBytes)} B posted, ${num(p.vendorRequestBytes)} B sent to vendors`,
  );
  if (r.d1Tables.length)
    say(`  D1 by table/index (bytes): ${r.d1Tables.map(([t, b]) => `${t} ${num(Number(b))}`).join(', ')}`);
  say();
  const c = r.costPerMillionOrders;
  say(
    `cost per million orders at list prices (past the Workers Paid inclusions; storage at ${r.retentionDays} days' retention):`,
  );
  say(
    `  Workers requests $${num(c.workerRequests, 2)} · CPU $${num(c.cpu, 2)} · Queues $${num(c.queueOps, 2)} · D1 rows read $${num(c.d1RowsRead, 3)} · D1 rows written $${num(c.d1RowsWritten, 2)} · D1 storage $${num(c.d1Storage, 3)} = $${num(c.total, 2)}`,
  );
  say(`  anchor: Zaraz at $5 per million events = $${num(r.zarazPerMillionOrders, 2)} per million orders of 2 events`);
  const f = r.freePlanOrdersPerDay;
  say(
    `  Workers Free: orders a day before a daily limit: D1 rows written ${num(f.d1RowsWritten)} · Queues operations ${num(f.queueOps)} · Workers requests ${num(f.workerRequests)}`,
  );
  console.log(lines.join('\n'));
}
