// The VS Code side: starts the bundled language server (dist/server.js) for `.net` documents, shows
// the network totals of the active `.net` editor in the status bar (`netcost/summary`) and opens the
// cost report (`netcost/report`) as a read-only virtual document, and picks the hardware target
// (`netcost/targets`, written to the setting `netcost.target`). Settings (`netcost.*`, contributed in
// package.json) reach the server through workspace/configuration. "NetCost: Restart Language Server"
// restarts the server process (its state is only the open documents, which the client sends again).
// "NetCost: Measure Latency" runs the CLI's `netcost measure` in a child process and sends the result to
// the server for the hovers (measure.ts, with "NetCost: Install ONNX Runtime").
// Nothing here writes a user file but the explicit Convert ONNX to .net command, which asks before
// replacing one; quick fixes and renames are WorkspaceEdits that the user applies.
import * as path from 'node:path';
import {
  commands, ConfigurationTarget, EventEmitter, ProgressLocation, StatusBarAlignment, Uri, ViewColumn, window, workspace, type QuickPickItem,
  type CustomReadonlyEditorProvider, type ExtensionContext, type FileSystemWatcher, type TextDocumentContentProvider,
} from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import {
  COMPARE_REQUEST, LISTING_REQUEST, modelUriOf, ONNX_SCHEME, REPORT_REQUEST, SUMMARY_REQUEST, summaryLabel, summaryTooltip, TARGETS_REQUEST,
  type DocumentParams, type Listing, type Report, type Summary, type TargetList,
} from '../../server/src/ide/summary';
import { didOpenThenMeasurement, registerMeasure } from './measure';

const SHOW_REPORT = 'netcost.showReport';
const COMPARE_HEAD = 'netcost.compareWithHead';
const OPEN_ONNX = 'netcost.openOnnx';
const CONVERT_ONNX = 'netcost.convertOnnx';
const SELECT_TARGET = 'netcost.selectTarget';
const RESTART_SERVER = 'netcost.restartServer';
/** the custom editor that opens an `.onnx` file as its listing (package.json `customEditors`) */
const ONNX_EDITOR = 'netcost.onnxModel';
const REPORT_SCHEME = 'netcost-report';
/** how long the status bar waits after the last edit or settings change, in ms */
const REFRESH_DELAY = 300;

/** The report of a `.net` document, `netcost-report:/resnet50.net (cost report)?<its uri>`: the tab reads `resnet50.net (cost report)`;
 *  its comparison with git HEAD is `netcost-report:/resnet50.net (vs HEAD)?<its uri>`. */
const COMPARE_SUFFIX = ' (vs HEAD)';
const reportUri = (source: Uri, suffix = ' (cost report)') => Uri.from({ scheme: REPORT_SCHEME, path: `/${path.posix.basename(source.path)}${suffix}`, query: source.toString() });
const params = (uri: Uri | string): DocumentParams => ({ uri: uri.toString() });

let client: LanguageClient | undefined;

/** What activate() returns (`vscode.extensions.getExtension('netcost.netcost').exports`): the server's summary of a document and the status bar as shown. */
export interface NetCostApi {
  summary(uri: Uri | string): Promise<Summary | null>;
  statusBar(): { text: string; tooltip: string; visible: boolean };
  /** how many times the language server has started (1, then one more per restart, by the command or after a crash) */
  serverStarts(): number;
}

export async function activate(context: ExtensionContext): Promise<NetCostApi> {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const server: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const options: LanguageClientOptions = {
    documentSelector: [{ language: 'netcost' }],
    // settings are pulled by the server (workspace/configuration); this makes VS Code tell it when they change
    synchronize: { configurationSection: 'netcost' },
    // a document's measured times follow it to the server, also to a restarted one
    middleware: { didOpen: (document, next) => didOpenThenMeasurement(() => client, document, next) },
  };
  const c = (client = new LanguageClient('netcost', 'NetCost', server, options));
  let starts = 0;
  context.subscriptions.push(c.onDidChangeState((e) => { if (e.newState === State.Running) starts++; }));
  await c.start();

  // the report: a virtual document, read-only and never asking to be saved; it follows the source's edits
  const reportChanged = new EventEmitter<Uri>();
  const reports: TextDocumentContentProvider = {
    onDidChange: reportChanged.event,
    async provideTextDocumentContent(uri) {
      const method = uri.path.endsWith(COMPARE_SUFFIX) ? COMPARE_REQUEST : REPORT_REQUEST;
      const report = await c.sendRequest<Report | null>(method, params(uri.query));
      return report?.text ?? `NetCost: ${uri.query} is not open any more.\n`;
    },
  };
  async function showReport(suffix?: string) {
    const doc = window.activeTextEditor?.document;
    if (doc?.languageId !== 'netcost') {
      void window.showInformationMessage(`NetCost: open a .net file to see its ${suffix ? 'comparison with HEAD' : 'cost report'}.`);
      return;
    }
    reportChanged.fire(reportUri(doc.uri, suffix)); // an open report is fetched again
    const report = await workspace.openTextDocument(reportUri(doc.uri, suffix));
    await window.showTextDocument(report, { viewColumn: ViewColumn.Beside, preview: true, preserveFocus: true });
  }
  /** The file at git HEAD against the editor's text: runs git in the workspace, so not in an untrusted one. */
  async function compareWithHead() {
    if (!workspace.isTrusted) {
      void window.showInformationMessage('NetCost: Compare with HEAD runs git, which an untrusted workspace does not allow.');
      return;
    }
    await showReport(COMPARE_SUFFIX);
  }

  // ONNX models: their listing is a read-only virtual `.net` document (`netcost-onnx:/path/model.onnx.net`)
  const listingChanged = new EventEmitter<Uri>();
  const listings: TextDocumentContentProvider = {
    onDidChange: listingChanged.event,
    async provideTextDocumentContent(uri) {
      const model = modelUriOf(uri.toString());
      const listing = model ? await c.sendRequest<Listing | null>(LISTING_REQUEST, params(model)) : null;
      return listing?.text ?? `# NetCost: ${uri.path} could not be read.\n`;
    },
  };
  /** The model of a command's argument (an explorer selection), else of the active listing or .onnx editor. */
  const modelOf = (arg: unknown): Uri | undefined => {
    if (arg instanceof Uri && arg.scheme === 'file' && arg.path.endsWith('.onnx')) return arg;
    const active = window.activeTextEditor?.document.uri.toString();
    const m = active && modelUriOf(active);
    return m ? Uri.parse(m) : undefined;
  };
  async function openOnnx(arg: unknown, column?: ViewColumn) {
    const model = modelOf(arg);
    if (!model) { void window.showInformationMessage('NetCost: pick an .onnx file to open.'); return; }
    const listing = await window.withProgress({ location: ProgressLocation.Notification, title: `NetCost: analysing ${path.posix.basename(model.path)}` },
      () => c.sendRequest<Listing | null>(LISTING_REQUEST, params(model)));
    if (!listing) { void window.showErrorMessage(`NetCost: could not analyse ${model.fsPath}.`); return; }
    const uri = Uri.parse(listing.uri);
    listingChanged.fire(uri);
    await window.showTextDocument(await workspace.openTextDocument(uri), { viewColumn: column, preview: false });
  }
  /** Writes the listing as an editable `.net` file next to the model; an existing file is only replaced when the user says so. */
  async function convertOnnx(arg: unknown) {
    const model = modelOf(arg);
    if (!model) { void window.showInformationMessage('NetCost: open an .onnx model (or pick one in the explorer) to convert it.'); return; }
    const listing = await c.sendRequest<Listing | null>(LISTING_REQUEST, params(model));
    if (!listing) { void window.showErrorMessage(`NetCost: could not analyse ${model.fsPath}.`); return; }
    const target = Uri.file(model.fsPath.replace(/\.onnx$/i, '') + '.net');
    const exists = await workspace.fs.stat(target).then(() => true, () => false);
    if (exists) {
      const answer = await window.showWarningMessage(`${path.basename(target.fsPath)} exists. Replace it with the conversion of ${path.basename(model.fsPath)}?`, { modal: true }, 'Replace');
      if (answer !== 'Replace') return;
    }
    const text = listing.text.replace(/^# NetCost: .*\n/, `# converted from ${path.basename(model.fsPath)} by NetCost: edit freely; its figures now come from the .net engine\n`);
    await workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    await window.showTextDocument(await workspace.openTextDocument(target));
  }
  /** An open listing is fetched again when its model is rewritten on disk (a new export): its lines must stay those of the analysis. */
  function listingsFollow(watcher: FileSystemWatcher): FileSystemWatcher {
    const changed = (model: Uri) => {
      for (const d of workspace.textDocuments) {
        const m = d.uri.scheme === ONNX_SCHEME ? modelUriOf(d.uri.toString()) : null;
        if (m && Uri.parse(m).fsPath === model.fsPath) listingChanged.fire(d.uri);
      }
    };
    watcher.onDidChange(changed);
    watcher.onDidCreate(changed);
    return watcher;
  }
  const onnxEditor: CustomReadonlyEditorProvider = {
    openCustomDocument: (uri) => ({ uri, dispose: () => undefined }),
    async resolveCustomEditor(doc, panel) {
      panel.webview.html = `<p>NetCost: opening the listing of ${path.posix.basename(doc.uri.path)}...</p>`;
      await openOnnx(doc.uri, panel.viewColumn);
      panel.dispose();
    },
  };

  // the hardware target: a pick among what the server offers for the active document (or the workspace), written to `netcost.target`
  async function selectTarget() {
    const doc = window.activeTextEditor?.document;
    const folder = workspace.workspaceFolders?.[0]?.uri;
    // the request takes a document's URI: its settings scope and the directory netcost.json is looked up from
    const scope = doc?.languageId === 'netcost' ? doc.uri : folder ? Uri.joinPath(folder, 'untitled.net') : Uri.parse('untitled:untitled.net');
    const list = await c.sendRequest<TargetList | null>(TARGETS_REQUEST, params(scope));
    if (!list || list.targets.length === 0) { void window.showErrorMessage('NetCost: no hardware targets are available.'); return; }
    type Item = QuickPickItem & { id: string };
    const items: Item[] = list.targets.map((t) => ({
      id: t.id, label: t.name, description: `${t.id} · ${t.kind}${t.id === list.active ? ' · active' : ''}`, detail: t.detail,
    }));
    const active = items.find((i) => i.id === list.active);
    const picked = await window.showQuickPick(active ? [active, ...items.filter((i) => i !== active)] : items, {
      title: 'NetCost: Select Hardware Target', placeHolder: 'the device whose roofline estimates hints, hovers, lint and the status bar use', matchOnDescription: true, matchOnDetail: true,
    });
    if (!picked) return;
    const where = workspace.workspaceFolders?.length ? ConfigurationTarget.Workspace : ConfigurationTarget.Global;
    await workspace.getConfiguration('netcost', doc?.uri).update('target', picked.id, where);
  }

  /** Restarts the server: `shutdown` and `exit`, a new process, the open documents sent again (VS Code asks for hints anew); the status bar follows. */
  async function restartServer() {
    await window.withProgress({ location: ProgressLocation.Window, title: 'NetCost: restarting the language server' }, () => c.restart());
    refreshLater();
  }

  // the status bar: the totals of the active `.net` editor; a click opens its report
  const status = window.createStatusBarItem('netcost.summary', StatusBarAlignment.Right, 100);
  status.name = 'NetCost';
  status.command = SHOW_REPORT;
  let asked = 0; // the latest refresh: an older answer that arrives late is dropped
  let shown = false;
  async function refresh() {
    const doc = window.activeTextEditor?.document;
    const ticket = ++asked;
    const s = doc?.languageId === 'netcost' ? await c.sendRequest<Summary | null>(SUMMARY_REQUEST, params(doc.uri)).catch(() => null) : null;
    if (ticket !== asked) return;
    if (!doc || !s) {
      status.hide();
      shown = false;
      return;
    }
    status.text = `$(pulse) ${summaryLabel(s)}`;
    status.tooltip = `${summaryTooltip(s)}\n\nClick for the cost report. NetCost: Select Hardware Target (command palette) changes the target.`;
    status.show();
    shown = true;
    reportChanged.fire(reportUri(doc.uri));
    reportChanged.fire(reportUri(doc.uri, COMPARE_SUFFIX));
  }
  let timer: NodeJS.Timeout | undefined;
  const refreshLater = () => { clearTimeout(timer); timer = setTimeout(() => void refresh(), REFRESH_DELAY); };

  context.subscriptions.push(
    status, reportChanged, { dispose: () => clearTimeout(timer) },
    workspace.registerTextDocumentContentProvider(REPORT_SCHEME, reports),
    commands.registerCommand(SHOW_REPORT, () => showReport()),
    commands.registerCommand(COMPARE_HEAD, compareWithHead),
    listingChanged, workspace.registerTextDocumentContentProvider(ONNX_SCHEME, listings),
    commands.registerCommand(OPEN_ONNX, (arg) => openOnnx(arg)),
    commands.registerCommand(CONVERT_ONNX, convertOnnx),
    commands.registerCommand(SELECT_TARGET, selectTarget),
    commands.registerCommand(RESTART_SERVER, restartServer),
    window.registerCustomEditorProvider(ONNX_EDITOR, onnxEditor),
    ...registerMeasure(context, c),
    listingsFollow(workspace.createFileSystemWatcher('**/*.onnx', false, false, true)),
    window.onDidChangeActiveTextEditor(() => void refresh()),
    workspace.onDidChangeTextDocument((e) => { if (e.document === window.activeTextEditor?.document) refreshLater(); }),
    workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('netcost')) return;
      refreshLater();
      for (const d of workspace.textDocuments) if (d.uri.scheme === ONNX_SCHEME) listingChanged.fire(d.uri); // settings change the figures in the header
    }),
  );
  void refresh();
  return {
    summary: (uri) => c.sendRequest<Summary | null>(SUMMARY_REQUEST, params(uri)),
    statusBar: () => ({ text: status.text, tooltip: typeof status.tooltip === 'string' ? status.tooltip : status.tooltip?.value ?? '', visible: shown }),
    serverStarts: () => starts,
  };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
