#!/usr/bin/env node
// `netcost-language-server --stdio`: the NetCost language server for any LSP client (Neovim, Emacs, ...).
try {
  require.resolve('../dist/server.js');
} catch {
  process.stderr.write('netcost-language-server: dist/server.js is missing; run `npm run build` in the netcost folder\n');
  process.exit(2);
}
if (!process.argv.slice(2).some((a) => a === '--stdio' || a.startsWith('--node-ipc') || a.startsWith('--socket') || a.startsWith('--pipe'))) {
  process.argv.push('--stdio'); // stdio is what editors expect from a bare command
}
require('../dist/server.js');
