// The snippet's budget (README.md "The snippet"): dist/s.js ≤ 1,000 bytes gzip -9. zlib at level 9 is deterministic,
// so the number is the same on every machine. Run `node build.mjs` first; a stale build is refused.
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CLIENT_ASSETS } from '../../src/worker/generated/client';

const BUDGET = 1000;
const code = readFileSync('dist/s.js', 'utf8');

describe('dist/s.js', () => {
  it(`is at most ${BUDGET} bytes gzip -9`, () => {
    const size = gzipSync(code, { level: 9 }).length;
    expect(size).toBeLessThanOrEqual(BUDGET);
    expect(gzipSync(code, { level: 9 }).length).toBe(size);
  });

  it('is built from the current source, and is what the Worker serves', () => {
    expect(statSync('dist/s.js').mtimeMs).toBeGreaterThanOrEqual(statSync('src/client/index.ts').mtimeMs);
    expect(CLIENT_ASSETS['/s.js']?.code).toBe(code);
    expect(CLIENT_ASSETS['/s.debug.js']?.code).toBe(readFileSync('dist/s.debug.js', 'utf8'));
  });

  it('has no debug output and no dependency code', () => {
    expect(code).not.toContain('console');
    expect(code).not.toContain('valibot');
    expect(code.startsWith('"use strict";(()=>{')).toBe(true);
  });
});

// The every-page build (browse capture; orders through s.js, which it loads where there is one): ≤ 1,400 bytes.
const ALL_BUDGET = 1400;
const all = readFileSync('dist/s.all.js', 'utf8');

describe('dist/s.all.js', () => {
  it(`is at most ${ALL_BUDGET} bytes gzip -9`, () => {
    expect(gzipSync(all, { level: 9 }).length).toBeLessThanOrEqual(ALL_BUDGET);
  });

  it('is built from the current source, and is what the Worker serves', () => {
    for (const src of ['src/client/page.ts', 'src/client/browse.ts'])
      expect(statSync('dist/s.all.js').mtimeMs).toBeGreaterThanOrEqual(statSync(src).mtimeMs);
    expect(CLIENT_ASSETS['/s.all.js']?.code).toBe(all);
    expect(CLIENT_ASSETS['/s.all.debug.js']?.code).toBe(readFileSync('dist/s.all.debug.js', 'utf8'));
  });

  it('has no debug output and no dependency code', () => {
    expect(all).not.toContain('console');
    expect(all).not.toContain('valibot');
  });
});
