// Process entry of the language server (dist/server.js): `netcost-language-server --stdio`, or
// started by the VS Code client over IPC. The transport comes from the command line.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

// diagnostics link to the docs/rules.md shipped next to dist/ (the .vsix and the npm package), so they work offline
const rules = join(__dirname, '..', 'docs', 'rules.md');
startServer(createConnection(ProposedFeatures.all), existsSync(rules) ? { rulesUrl: pathToFileURL(rules).href } : {});
