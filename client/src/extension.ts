// The VS Code side: starts the bundled language server (dist/server.js) for `.net` documents. Settings
// (`netcost.*`, contributed in package.json) reach the server through workspace/configuration.
import * as path from 'node:path';
import type { ExtensionContext } from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const server: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const options: LanguageClientOptions = {
    documentSelector: [{ language: 'netcost' }],
    // settings are pulled by the server (workspace/configuration); this makes VS Code tell it when they change
    synchronize: { configurationSection: 'netcost' },
  };
  client = new LanguageClient('netcost', 'NetCost', server, options);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
