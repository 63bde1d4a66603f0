#!/usr/bin/env node
// Start the five fake vendor servers on 127.0.0.1 and print their base URLs as KEY=value lines
// (ready for `wrangler dev --var KEY:value` or .dev.vars). Usage: node test/fakes/cli.mjs [--host H] [--port 9101]
import { parseArgs } from 'node:util';
import { listenFakeVendors } from './index.mjs';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: process.env.FAKES_BASE_PORT ?? '9101' },
  },
});
const running = await listenFakeVendors({ host: values.host, basePort: Number(values.port) });
for (const [k, v] of Object.entries(running.urls)) console.log(`${k}=${v}`);
console.log('fake vendors listening; Ctrl-C to stop');

const stop = async () => {
  await running.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
