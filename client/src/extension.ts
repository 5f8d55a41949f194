// The VS Code side: starts the bundled language server (dist/server.js) for `.net` documents, shows
// the network totals of the active `.net` editor in the status bar (`netcost/summary`) and opens the
// cost report (`netcost/report`) as a read-only virtual document. Settings (`netcost.*`, contributed in
// package.json) reach the server through workspace/configuration.
import * as path from 'node:path';
import {
  commands, EventEmitter, StatusBarAlignment, Uri, ViewColumn, window, workspace,
  type ExtensionContext, type TextDocumentContentProvider,
} from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { REPORT_REQUEST, SUMMARY_REQUEST, summaryLabel, summaryTooltip, type DocumentParams, type Report, type Summary } from '../../server/src/ide/summary';

const SHOW_REPORT = 'netcost.showReport';
const REPORT_SCHEME = 'netcost-report';
/** how long the status bar waits after the last edit or settings change, in ms */
const REFRESH_DELAY = 300;

/** The report of a `.net` document, `netcost-report:/resnet50.net (cost report)?<its uri>`: the tab reads `resnet50.net (cost report)`. */
const reportUri = (source: Uri) => Uri.from({ scheme: REPORT_SCHEME, path: `/${path.posix.basename(source.path)} (cost report)`, query: source.toString() });
const params = (uri: Uri | string): DocumentParams => ({ uri: uri.toString() });

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
  const c = (client = new LanguageClient('netcost', 'NetCost', server, options));
  await c.start();

  // the report: a virtual document, read-only and never asking to be saved; it follows the source's edits
  const reportChanged = new EventEmitter<Uri>();
  const reports: TextDocumentContentProvider = {
    onDidChange: reportChanged.event,
    async provideTextDocumentContent(uri) {
      const report = await c.sendRequest<Report | null>(REPORT_REQUEST, params(uri.query));
      return report?.text ?? `NetCost: ${uri.query} is not open any more.\n`;
    },
  };
  async function showReport() {
    const doc = window.activeTextEditor?.document;
    if (doc?.languageId !== 'netcost') {
      void window.showInformationMessage('NetCost: open a .net file to see its cost report.');
      return;
    }
    reportChanged.fire(reportUri(doc.uri)); // an open report is fetched again
    const report = await workspace.openTextDocument(reportUri(doc.uri));
    await window.showTextDocument(report, { viewColumn: ViewColumn.Beside, preview: true, preserveFocus: true });
  }

  // the status bar: the totals of the active `.net` editor; a click opens its report
  const status = window.createStatusBarItem('netcost.summary', StatusBarAlignment.Right, 100);
  status.name = 'NetCost';
  status.command = SHOW_REPORT;
  let asked = 0; // the latest refresh: an older answer that arrives late is dropped
  async function refresh() {
    const doc = window.activeTextEditor?.document;
    const ticket = ++asked;
    const s = doc?.languageId === 'netcost' ? await c.sendRequest<Summary | null>(SUMMARY_REQUEST, params(doc.uri)).catch(() => null) : null;
    if (ticket !== asked) return;
    if (!doc || !s) {
      status.hide();
      return;
    }
    status.text = `$(pulse) ${summaryLabel(s)}`;
    status.tooltip = `${summaryTooltip(s)}\n\nClick for the cost report.`;
    status.show();
    reportChanged.fire(reportUri(doc.uri));
  }
  let timer: NodeJS.Timeout | undefined;
  const refreshLater = () => { clearTimeout(timer); timer = setTimeout(() => void refresh(), REFRESH_DELAY); };

  context.subscriptions.push(
    status, reportChanged, { dispose: () => clearTimeout(timer) },
    workspace.registerTextDocumentContentProvider(REPORT_SCHEME, reports),
    commands.registerCommand(SHOW_REPORT, showReport),
    window.onDidChangeActiveTextEditor(() => void refresh()),
    workspace.onDidChangeTextDocument((e) => { if (e.document === window.activeTextEditor?.document) refreshLater(); }),
    workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('netcost')) refreshLater(); }),
  );
  void refresh();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
