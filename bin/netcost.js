#!/usr/bin/env node
// The `netcost` command. The bundle is built by `npm install` (the `prepare` script) or `npm run build`.
try {
  require.resolve('../dist/cli.js');
} catch {
  process.stderr.write('netcost: dist/cli.js is missing; run `npm run build` in the netcost folder\n');
  process.exit(2);
}
require('../dist/cli.js');
