// D1 cost of the benchmark order (created → paid, five vendors, first attempts succeed), for bench/run.mjs:
// bench/d1-worker.ts runs in Miniflare against a local D1 persisted to a temporary directory, with the fake
// vendors answering; then the SQLite file is measured with the sqlite3 CLI (VACUUMed copy, dbstat per table).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { createFakeVendors } from '../test/fakes/index.mjs';

/** The migration files as single statements (comments dropped, split at `;` ending a line). */
function migrationStatements(root) {
  const dir = join(root, 'migrations');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => !l.trim().startsWith('--'))
        .join('\n')
        .split(/;\s*\n/)
        .map((s) => s.trim().replace(/;$/, ''))
        .filter(Boolean),
    );
}

function sqliteFile(dir) {
  const walk = (d) =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
    );
  const files = walk(dir).filter((f) => f.endsWith('.sqlite') && !f.includes('metadata'));
  if (!files.length) throw new Error(`no sqlite file under ${dir}`);
  return files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

/** Bytes of a VACUUMed copy, and bytes per table/index from dbstat. */
function measure(file, tmp) {
  const copy = join(tmp, `m-${Date.now()}.sqlite`);
  copyFileSync(file, copy);
  // Recent writes may still be in the write-ahead log: it goes with the copy and is checkpointed into it.
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
  execFileSync('sqlite3', [copy, 'PRAGMA wal_checkpoint(TRUNCATE); VACUUM;']);
  const size = statSync(copy).size;
  const out = execFileSync(
    'sqlite3',
    ['-separator', '\t', copy, 'SELECT name, sum(pgsize), sum(payload) FROM dbstat GROUP BY name ORDER BY 2 DESC'],
    {
      encoding: 'utf8',
    },
  );
  const tables = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [name, pg, payload] = l.split('\t');
        return [name, { pages: Number(pg), payload: Number(payload) }];
      }),
  );
  rmSync(copy);
  return { size, tables };
}

export async function d1Cost({ root, orders = 1000 }) {
  const tmp = mkdtempSync(join(tmpdir(), 'order-relay-d1-'));
  // The credentials the fake vendors accept: the tests' own settings.
  const varsFile = join(tmp, 'test-env.mjs');
  await build({
    entryPoints: [join(root, 'test/worker/test-env.ts')],
    outfile: varsFile,
    format: 'esm',
    logLevel: 'warning',
  });
  const { TEST_VARS: vars } = await import(varsFile);
  const script = join(tmp, 'd1-worker.mjs');
  await build({
    entryPoints: [join(root, 'bench/d1-worker.ts')],
    outfile: script,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:*', 'node:*'],
    logLevel: 'warning',
  });
  const fakes = createFakeVendors();
  const persist = join(tmp, 'd1');
  const mf = new Miniflare({
    modules: true,
    scriptPath: script,
    modulesRoot: tmp,
    compatibilityDate: '2026-04-20',
    compatibilityFlags: ['nodejs_compat'],
    d1Databases: { DB: 'bench' },
    d1Persist: persist,
    bindings: { ...vars, VENDOR_TIMEOUT_MS: '30000' },
    outboundService: (request) => fakes.handle(request),
  });
  try {
    const db = await mf.getD1Database('DB');
    for (const sql of migrationStatements(root)) await db.prepare(sql).run();
    const empty = measure(sqliteFile(persist), tmp);
    const res = await mf.dispatchFetch(`http://bench/?orders=${orders}`);
    if (!res.ok) throw new Error(`bench worker: ${res.status} ${await res.text()}`);
    const run = await res.json();
    const full = measure(sqliteFile(persist), tmp);
    const perTable = Object.fromEntries(
      Object.entries(full.tables).map(([name, t]) => [name, (t.pages - (empty.tables[name]?.pages ?? 0)) / orders]),
    );
    return { ...run, bytesPerOrder: (full.size - empty.size) / orders, perTable, emptyBytes: empty.size };
  } finally {
    await mf.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
}

// `node bench/d1.mjs [orders]`: this measurement alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const root = new URL('..', import.meta.url).pathname;
  console.log(JSON.stringify(await d1Cost({ root, orders: Number(process.argv[2] ?? 200) }), null, 2));
}
