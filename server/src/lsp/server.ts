// The language server: the only code that speaks LSP. Each handler converts the request, calls one
// pure function from ide/, and converts the answer back, inside a guard that logs and answers empty.
import {
  CodeActionKind, CompletionItemKind, DiagnosticSeverity, DidChangeWatchedFilesNotification, InlayHint, InsertTextFormat, LSPErrorCodes, ResponseError, TextDocuments, TextDocumentSyncKind,
  type CodeAction, type CompletionItem, type Connection, type Diagnostic as LspDiagnostic, type InitializeParams, type InitializeResult,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Severity } from '../analysis/analyze';
import { IncrementalAnalyzer } from '../analysis/incremental';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProjectConfig } from '../hardware/config';
import { activeTarget, hardwareView, targetList, unknownTargetDiagnostics } from '../ide/hardware';
import { analyzeDocument, analyzeOnnxDocument, ruleUrl, type DocumentAnalysis } from '../ide/document';
import { inlayHints } from '../ide/hints';
import { hover } from '../ide/hover';
import { definition, prepareRename, references, rename } from '../ide/navigate';
import { documentSymbols, foldingRanges } from '../ide/outline';
import { semanticTokens, TOKEN_MODIFIERS, TOKEN_TYPES } from '../ide/semantic';
import { DEFAULT_EDITOR_SETTINGS, readSettings, withProjectTargets, type EditorSettings } from '../ide/settings';
import { quickFixes } from '../ide/actions';
import { complete, plainInsertText, type CompletionKind } from '../ide/complete';
import { LISTING_REQUEST, listingUri, modelUriOf, REPORT_REQUEST, summarize, SUMMARY_REQUEST, TARGETS_REQUEST, type DocumentParams, type Listing, type TargetList } from '../ide/summary';
import { tableReport } from '../cli/report';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information,
};

/** The text of one line, without its line break. */
const lineText = (doc: TextDocument, line: number) =>
  doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');

interface DocState {
  /** the document's incremental analysis: reparses the edited line, resumes at the first changed statement */
  analyzer: IncrementalAnalyzer;
  /** the analysis of one document version under one set of settings */
  result?: { version: number; settings: EditorSettings; value: DocumentAnalysis };
  timer?: NodeJS.Timeout;
}

export interface ServerOptions {
  /** delay between the last edit and the diagnostics it causes, in ms (requests never wait for it) */
  diagnosticsDelay?: number;
  /** URL of docs/rules.md that diagnostics link to (default: the copy on GitHub) */
  rulesUrl?: string;
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  const states = new Map<string, DocState>();
  const settingsCache = new Map<string, Promise<EditorSettings>>();
  let pushed: EditorSettings = DEFAULT_EDITOR_SETTINGS; // for clients without workspace/configuration
  let canPull = false;
  let canRefreshHints = false;
  let canSnippet = false;
  let canProgress = false;
  let canWatchFiles = false;
  /** the `netcost.json` that applies to a directory (found upward from it), by directory; cleared when one changes */
  const projects = new Map<string, ReturnType<typeof loadProjectConfig>>();
  /** ONNX analyses by model path: the listing request and the listing document share one (also while it is under way) */
  const models = new Map<string, { settings: EditorSettings; mtimeMs: number; value: Promise<DocumentAnalysis> }>();
  const delay = options.diagnosticsDelay ?? 30;

  /** Runs a handler; an exception is logged with its context and answered with `fallback`. */
  async function guard<T>(what: string, uri: string, fallback: T, f: () => T | Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      connection.console.error(`netcost: ${what} failed for ${uri}: ${(e as Error).stack ?? e}`);
      return fallback;
    }
  }

  /** The workspace targets of a document: the `netcost.json` found upward from its directory (a model listing: the model's). */
  function projectOf(uri: string): ReturnType<typeof loadProjectConfig> | null {
    const file = modelUriOf(uri) ?? uri;
    if (!file.startsWith('file:')) return null;
    const dir = dirname(fileURLToPath(file));
    let p = projects.get(dir);
    if (!p) projects.set(dir, (p = loadProjectConfig(dir)));
    return p;
  }

  function settingsFor(uri: string): Promise<EditorSettings> {
    let p = settingsCache.get(uri);
    if (!p) {
      const pulled = canPull ? connection.workspace.getConfiguration({ scopeUri: uri, section: 'netcost' }).then(readSettings, () => DEFAULT_EDITOR_SETTINGS) : Promise.resolve(pushed);
      p = pulled.then((s) => withProjectTargets(s, projectOf(uri)));
      settingsCache.set(uri, p);
    }
    return p;
  }

  /** Settings or a `netcost.json` changed: everything is read again, diagnostics and hints follow. */
  function settingsChanged() {
    settingsCache.clear();
    projects.clear();
    for (const doc of documents.all()) schedule(doc.uri);
    if (canRefreshHints) void connection.languages.inlayHint.refresh().catch(() => undefined);
  }

  function stateOf(uri: string): DocState {
    let state = states.get(uri);
    if (!state) states.set(uri, (state = { analyzer: new IncrementalAnalyzer() }));
    return state;
  }

  /** The analysis of an ONNX model under these settings, redone when the file changes on disk (with work-done progress in the editor). */
  async function modelAnalysis(fileUri: string, settings: EditorSettings): Promise<DocumentAnalysis> {
    const path = fileURLToPath(fileUri);
    let mtimeMs = -1;
    try { mtimeMs = statSync(path).mtimeMs; } catch { /* the analysis reports the I/O error */ }
    const known = models.get(path);
    if (known && known.settings === settings && known.mtimeMs === mtimeMs) return known.value;
    const name = decodeURIComponent(fileUri.slice(fileUri.lastIndexOf('/') + 1));
    // cached before the first await: requests that arrive while the client creates the progress wait for this analysis
    const value = (async () => {
      const progress = canProgress ? await connection.window.createWorkDoneProgress().catch(() => null) : null;
      progress?.begin('NetCost', undefined, `analysing ${name}`);
      try {
        return analyzeOnnxDocument(path, name, settings);
      } finally {
        progress?.done();
      }
    })();
    models.set(path, { settings, mtimeMs, value });
    value.catch(() => { if (models.get(path)?.value === value) models.delete(path); }); // a failure is not kept
    return value;
  }

  /** The analysis of the document as it is now (never an older version), computed at most once. */
  async function analysisOf(uri: string): Promise<{ doc: TextDocument; settings: EditorSettings; value: DocumentAnalysis } | null> {
    const settings = await settingsFor(uri);
    const model = modelUriOf(uri);
    if (model) {
      const value = await modelAnalysis(model, settings);
      const doc = documents.get(uri);
      return doc ? { doc, settings, value } : null;
    }
    const doc = documents.get(uri); // read after the await: edits may have arrived meanwhile
    if (!doc) return null;
    const state = stateOf(uri);
    if (!state.result || state.result.version !== doc.version || state.result.settings !== settings) {
      state.result = { version: doc.version, settings, value: analyzeDocument(doc.getText(), settings, state.analyzer) };
    }
    return { doc, settings, value: state.result.value };
  }

  async function publishDiagnostics(uri: string) {
    await guard('diagnostics', uri, undefined, async () => {
      const r = await analysisOf(uri);
      if (!r || documents.get(uri)?.version !== r.doc.version) return; // a newer version will publish
      const found = [...r.value.diagnostics, ...unknownTargetDiagnostics(r.settings, lineText(r.doc, 0), r.settings.targetErrors)];
      const diagnostics: LspDiagnostic[] = found.map((d) => ({
        range: d.range, severity: SEVERITY[d.severity], code: d.code, codeDescription: { href: ruleUrl(d.code, options.rulesUrl) },
        source: 'netcost', message: d.message,
      }));
      await connection.sendDiagnostics({ uri, version: r.doc.version, diagnostics });
    });
  }

  function schedule(uri: string) {
    const state = stateOf(uri);
    clearTimeout(state.timer);
    state.timer = setTimeout(() => void publishDiagnostics(uri), delay);
  }

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    canPull = params.capabilities.workspace?.configuration === true;
    canRefreshHints = params.capabilities.workspace?.inlayHint?.refreshSupport === true;
    canSnippet = params.capabilities.textDocument?.completion?.completionItem?.snippetSupport === true;
    canProgress = params.capabilities.window?.workDoneProgress === true;
    canWatchFiles = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        inlayHintProvider: { resolveProvider: false },
        hoverProvider: true,
        completionProvider: { triggerCharacters: [' ', '=', '|', '(', ','] },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        documentSymbolProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        foldingRangeProvider: true,
        semanticTokensProvider: { legend: { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] }, full: true },
      },
      serverInfo: { name: 'netcost-language-server' },
    };
  });

  connection.onInitialized(() => {
    // a workspace's netcost.json (or a package.json "netcost" key) adds targets: the client tells when one is created, changed or deleted
    if (canWatchFiles) {
      const watchers = [{ globPattern: '**/netcost.json' }, { globPattern: '**/package.json' }];
      void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers }).catch(() => undefined);
    }
  });

  connection.onDidChangeConfiguration((params) => {
    const sent = (params.settings as { netcost?: unknown } | null)?.netcost;
    if (sent !== undefined) pushed = readSettings(sent);
    settingsChanged();
  });

  connection.onDidChangeWatchedFiles((params) => {
    if (params.changes.some((c) => /(^|\/)(netcost|package)\.json$/.test(c.uri))) settingsChanged();
  });

  documents.onDidChangeContent(({ document }) => schedule(document.uri));
  documents.onDidClose(({ document }) => {
    clearTimeout(states.get(document.uri)?.timer);
    states.delete(document.uri);
    settingsCache.delete(document.uri);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
  });

  connection.languages.inlayHint.on((params) => guard('inlay hints', params.textDocument.uri, [], async () => {
    const r = await analysisOf(params.textDocument.uri);
    if (!r || !r.settings.inlayHints.enabled) return [];
    const { start, end } = params.range;
    const hints = inlayHints(r.value.analysis, start.line, end.line, { content: r.settings.inlayHints.content, flops: r.settings.flopsConvention, target: activeTarget(r.settings).target });
    return hints.map((h): InlayHint => {
      return { position: { line: h.line, character: h.character ?? lineText(r.doc, h.line).length }, label: h.label, paddingLeft: true, tooltip: h.tooltip };
    });
  }));

  connection.onHover((params) => guard('hover', params.textDocument.uri, null, async () => {
    const r = await analysisOf(params.textDocument.uri);
    if (!r) return null;
    const h = hover(r.value.analysis, params.position, r.settings.flopsConvention, activeTarget(r.settings).target);
    return h && { contents: { kind: 'markdown', value: h.markdown }, range: h.range };
  }));

  // ---- navigation: outline, definition, references, rename, folding, semantic tokens
  connection.onDocumentSymbol((params) => guard('document symbols', params.textDocument.uri, [], async () => {
    const r = await analysisOf(params.textDocument.uri);
    return r ? documentSymbols(r.value.analysis) : [];
  }));

  connection.onDefinition(({ textDocument: { uri }, position }) => guard('definition', uri, [], async () => {
    const r = await analysisOf(uri);
    return r ? definition(r.value.analysis, position).map((range) => ({ uri, range })) : [];
  }));

  connection.onReferences(({ textDocument: { uri }, position, context }) => guard('references', uri, [], async () => {
    const r = await analysisOf(uri);
    return r ? references(r.value.analysis, position, context.includeDeclaration).map((range) => ({ uri, range })) : [];
  }));

  /** A refusal (an op keyword, a default name, a clashing new name) reaches the user as the error's message. */
  const refused = (error: string) => new ResponseError(LSPErrorCodes.RequestFailed, error);

  connection.onPrepareRename(({ textDocument: { uri }, position }) => guard('prepare rename', uri, null, async () => {
    const r = await analysisOf(uri);
    const p = r && prepareRename(r.value.analysis, position);
    return !p ? null : 'error' in p ? refused(p.error) : p;
  }));

  connection.onRenameRequest(({ textDocument: { uri }, position, newName }) => guard('rename', uri, null, async () => {
    const r = await analysisOf(uri);
    const edits = r && rename(r.value.analysis, position, newName);
    return !edits ? null : 'error' in edits ? refused(edits.error) : { changes: { [uri]: edits } };
  }));

  connection.onFoldingRanges((params) => guard('folding ranges', params.textDocument.uri, [], async () => {
    const r = await analysisOf(params.textDocument.uri);
    return r ? foldingRanges(r.value.analysis.syntax, r.doc.getText()) : [];
  }));

  connection.languages.semanticTokens.on((params) => guard('semantic tokens', params.textDocument.uri, { data: [] }, async () => {
    const r = await analysisOf(params.textDocument.uri);
    return { data: r ? semanticTokens(r.value.analysis.syntax) : [] };
  }));

  // ---- completion, quick fixes, and the requests of the VS Code status bar and report command
  // (netcost/summary, netcost/report and netcost/targets; their shapes are documented in ide/summary.ts)
  const COMPLETION_KIND: Record<CompletionKind, CompletionItemKind> = {
    op: CompletionItemKind.Class, block: CompletionItemKind.Module, keyword: CompletionItemKind.Keyword, option: CompletionItemKind.Property,
    value: CompletionItemKind.EnumMember, name: CompletionItemKind.Reference, variable: CompletionItemKind.Variable, function: CompletionItemKind.Function,
  };

  connection.onCompletion((params) => guard('completion', params.textDocument.uri, [], async () => {
    const r = await analysisOf(params.textDocument.uri);
    if (!r) return [];
    const c = complete(r.value.analysis, lineText(r.doc, params.position.line), params.position);
    return c.items.map((item, i): CompletionItem => ({
      label: item.label, kind: COMPLETION_KIND[item.kind], detail: item.detail,
      documentation: item.documentation === undefined ? undefined : { kind: 'markdown', value: item.documentation },
      sortText: String(i).padStart(4, '0'), // the order complete() chose
      textEdit: { range: c.range, newText: item.snippet && !canSnippet ? plainInsertText(item) : item.insertText },
      insertTextFormat: item.snippet && canSnippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
    }));
  }));

  connection.onCodeAction((params) => guard('code actions', params.textDocument.uri, [], async () => {
    const r = await analysisOf(params.textDocument.uri);
    if (!r || (params.context.only && !params.context.only.includes(CodeActionKind.QuickFix))) return [];
    // the multiple the lint used: the setting's override, else the active target's
    const multiple = r.settings.lint.channelMultiple || (activeTarget(r.settings).target?.channelMultiple ?? 0);
    const fixes = quickFixes(r.value.analysis, r.doc.getText(), params.context.diagnostics, multiple);
    return fixes.map((f): CodeAction => ({
      title: f.title, kind: f.kind, diagnostics: [f.diagnostic], isPreferred: f.isPreferred, edit: { changes: { [params.textDocument.uri]: f.edits } },
    }));
  }));

  connection.onRequest(SUMMARY_REQUEST, (p: DocumentParams) => guard('summary', p?.uri, null, async () => {
    const r = await analysisOf(p.uri);
    const target = r && activeTarget(r.settings).target;
    return r && summarize(r.value, r.settings.flopsConvention, target ? hardwareView(r.value.analysis, target) : undefined);
  }));

  // the target picker: what the document's settings and netcost.json offer (the document need not be open)
  connection.onRequest(TARGETS_REQUEST, (p: DocumentParams) => guard('targets', p?.uri, null, async (): Promise<TargetList | null> =>
    typeof p?.uri === 'string' ? targetList(await settingsFor(p.uri)) : null));

  connection.onRequest(REPORT_REQUEST, (p: DocumentParams) => guard('report', p?.uri, null, async () => {
    const r = await analysisOf(p.uri);
    const file = decodeURIComponent((modelUriOf(p.uri) ?? p.uri).replace(/.*\//, '')); // `resnet50.net`, as the CLI names it
    return r && { text: tableReport(r.value.analysis, { file, flops: r.settings.flopsConvention }) };
  }));

  connection.onRequest(LISTING_REQUEST, (p: DocumentParams) => guard('ONNX listing', p?.uri, null, async (): Promise<Listing | null> => {
    if (typeof p?.uri !== 'string' || !p.uri.startsWith('file:')) return null;
    const uri = listingUri(p.uri);
    const value = await modelAnalysis(p.uri, await settingsFor(uri));
    return { text: value.analysis.onnx!.listing.text, uri };
  }));

  documents.listen(connection);
  connection.listen();
}
