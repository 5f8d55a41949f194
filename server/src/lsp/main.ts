// Process entry of the language server (dist/server.js): `netcost-language-server --stdio`, or
// started by the VS Code client over IPC. The transport comes from the command line.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

const connection = createConnection(ProposedFeatures.all);
// Every handler runs inside the server's guard; what escapes it anyway (a bug in a callback of a
// library) is logged, and the server keeps its documents and keeps serving instead of dying.
process.on('uncaughtException', (e) => connection.console.error(`netcost: uncaught exception (the server keeps running): ${e.stack ?? e}`));
process.on('unhandledRejection', (e) => connection.console.error(`netcost: unhandled rejection (the server keeps running): ${(e as Error)?.stack ?? e}`));

// diagnostics link to the docs/rules.md shipped next to dist/ (the .vsix and the npm package), so they work offline
const rules = join(__dirname, '..', 'docs', 'rules.md');
startServer(connection, existsSync(rules) ? { rulesUrl: pathToFileURL(rules).href } : {});
