#!/usr/bin/env node
// `npm run types`: regenerates worker-configuration.d.ts (the Env type) from wrangler.toml [vars] and bindings,
// and from .dev.vars.example for the secrets, which wrangler.toml does not list. Wrangler 4.86 reads secret names
// from `.dev.vars` / `.env` files (or from the experimental `secrets.required` config field, which would also
// make every vendor's secret mandatory at deploy); `--env-file .dev.vars.example` points it at the committed
// example, so the generated file does not depend on anyone's local .dev.vars.
// `npm run types:check` (run by .ci/run): regenerates into a scratch file beside it and fails when it differs.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const OUT = 'worker-configuration.d.ts';
const SCRATCH = 'worker-configuration.check.d.ts';
const check = process.argv.includes('--check');

function generate(out) {
  // --strict-vars=false: a var is a `string`, not the literal value wrangler.toml happens to hold.
  const args = [
    'wrangler',
    'types',
    out,
    '--include-runtime=false',
    '--strict-vars=false',
    '--env-file',
    '.dev.vars.example',
  ];
  const run = spawnSync('npx', args, {
    stdio: check ? 'pipe' : 'inherit',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false' },
  });
  if (run.status !== 0) {
    if (check) process.stderr.write(run.stderr);
    process.exit(run.status ?? 1);
  }
}

if (!check) {
  generate(OUT);
} else {
  try {
    generate(SCRATCH);
    // The header names the output file; everything else must match byte for byte.
    const fresh = readFileSync(SCRATCH, 'utf8').replace(` ${SCRATCH} `, ` ${OUT} `);
    let committed = '';
    try {
      committed = readFileSync(OUT, 'utf8');
    } catch {}
    if (fresh !== committed) {
      console.error(
        `${OUT} is stale: wrangler.toml or .dev.vars.example changed. Run \`npm run types\` and commit it.`,
      );
      process.exitCode = 1;
    } else console.log(`${OUT} is up to date.`);
  } finally {
    rmSync(SCRATCH, { force: true });
  }
}
