// Standalone vitest config for the fake vendors' own tests (node environment):
//   npx vitest run --config test/fakes/vitest.config.mjs
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: { name: 'fakes', environment: 'node', include: ['test/node/fakes.test.ts'] },
});
