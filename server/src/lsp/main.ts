// Process entry of the language server (dist/server.js): `netcost-language-server --stdio`, or
// started by the VS Code client over IPC. The transport comes from the command line.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

startServer(createConnection(ProposedFeatures.all));
