// The language server: the only code that speaks LSP. Each handler converts the request, calls one
// pure function from ide/, and converts the answer back, inside a guard that logs and answers empty.
// Every request and notification (document sync included) runs inside that guard; requests take the
// client's cancellation token and are answered for the document's current version only.
import {
  CodeActionKind, CompletionItemKind, DiagnosticSeverity, DidChangeWatchedFilesNotification, InlayHint, InsertTextFormat, LSPErrorCodes, ResponseError, TextDocuments, TextDocumentSyncKind,
  type CancellationToken, type CodeAction, type CompletionItem, type Connection, type Diagnostic as LspDiagnostic, type InitializeParams, type InitializeResult,
  type CodeActionParams, type CompletionParams, type DefinitionParams, type DocumentSymbolParams, type FoldingRangeParams, type Hover, type HoverParams,
  type InlayHintParams, type PrepareRenameParams, type ReferenceParams, type RenameParams, type SemanticTokensParams, type TextDocumentContentChangeEvent,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Severity } from '../analysis/analyze';
import { IncrementalAnalyzer } from '../analysis/incremental';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProjectConfig } from '../hardware/config';
import { withProjectBudgets } from '../budget/budgets';
import { activeTarget, hardwareView, targetList, unknownTargetDiagnostics } from '../ide/hardware';
import { diffAgainst, type RevisionDiff } from '../ide/delta';
import { analyzeDocument, analyzeOnnxDocument, ruleUrl, type DocumentAnalysis } from '../ide/document';
import { inlayHints } from '../ide/hints';
import { hover } from '../ide/hover';
import { definition, prepareRename, references, rename } from '../ide/navigate';
import { documentSymbols, foldingRanges } from '../ide/outline';
import { semanticTokens, TOKEN_MODIFIERS, TOKEN_TYPES } from '../ide/semantic';
import { DEFAULT_EDITOR_SETTINGS, readSettings, withProjectTargets, type EditorSettings } from '../ide/settings';
import { quickFixes } from '../ide/actions';
import { complete, plainInsertText, type CompletionKind } from '../ide/complete';
import { COMPARE_REQUEST, LISTING_REQUEST, listingUri, modelUriOf, REPORT_REQUEST, summarize, SUMMARY_REQUEST, TARGETS_REQUEST, type DocumentParams, type Listing, type TargetList } from '../ide/summary';
import { tableReport } from '../cli/report';
import { indexMeasurement, isStale, MEASUREMENT_NOTIFICATION, readMeasurementParams, type MeasuredDoc } from '../ide/measured';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information,
};

/** The text of one line, without its line break. */
const lineText = (doc: TextDocument, line: number) =>
  doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');

/** Where a message points, for the log: its document and its position or range (1-based, as editors show them). */
function contextOf(params: unknown): { uri: string; at: string } {
  const p = (params ?? {}) as { textDocument?: { uri?: unknown }; uri?: unknown; position?: unknown; range?: unknown };
  const given = p.textDocument?.uri ?? p.uri;
  const uri = typeof given === 'string' ? given : given === undefined ? '(no document)' : `(a malformed uri: ${JSON.stringify(given)})`;
  const pos = (x: unknown) => {
    const q = x as { line?: unknown; character?: unknown } | null;
    return q && typeof q.line === 'number' && typeof q.character === 'number' ? `${q.line + 1}:${q.character + 1}` : null;
  };
  const r = p.range as { start?: unknown; end?: unknown } | null | undefined;
  const at = pos(p.position) ?? (r && pos(r.start) && pos(r.end) ? `${pos(r.start)}-${pos(r.end)}` : null);
  return { uri, at: at ? ` at ${at}` : '' };
}

/** Thrown at a checkpoint of a request the client cancelled: answered `RequestCancelled`, not logged. */
class Cancelled extends Error {}
/** Thrown when the document kept changing while a request was answered: answered `ContentModified`, not logged. */
class Modified extends Error {}

const isPosition = (p: unknown): p is { line: number; character: number } =>
  typeof p === 'object' && p !== null && Number.isSafeInteger((p as { line: unknown }).line) && Number.isSafeInteger((p as { character: unknown }).character);

/**
 * The document store's updates (`TextDocuments` calls them for didOpen / didChange). A malformed change
 * is refused before anything is applied (the document stays as it was; the guard logs it). Every range
 * is clamped to the document first, as `TextDocument.offsetAt` clamps (past the end of a line: its end;
 * past the last line: the end of the text; negative: the start): the same text as the library gives,
 * without the line-offset table it corrupts for a range whose lines lie past the end of the document.
 */
const DOCUMENT_STORE = {
  create(uri: string, languageId: string, version: number, content: string): TextDocument {
    if (typeof uri !== 'string' || typeof content !== 'string' || typeof version !== 'number') throw new TypeError('didOpen without a uri, a version or a text');
    return TextDocument.create(uri, languageId, version, content);
  },
  update(doc: TextDocument, changes: TextDocumentContentChangeEvent[], version: number): TextDocument {
    if (!Array.isArray(changes) || typeof version !== 'number') throw new TypeError('didChange without content changes or a version');
    const checked = changes.map((c, i) => {
      const change = c as { text?: unknown; range?: { start?: unknown; end?: unknown } };
      if (typeof change?.text !== 'string') throw new TypeError(`content change ${i} has no text`);
      if (change.range === undefined) return { text: change.text };
      if (!isPosition(change.range?.start) || !isPosition(change.range.end)) throw new TypeError(`content change ${i} has a malformed range: ${JSON.stringify(change.range)}`);
      return { text: change.text, range: { start: change.range.start, end: change.range.end } };
    });
    for (const c of checked) {
      const clamp = (p: { line: number; character: number }) => doc.positionAt(doc.offsetAt(p));
      doc = TextDocument.update(doc, [c.range ? { text: c.text, range: { start: clamp(c.range.start), end: clamp(c.range.end) } } : c], version);
    }
    return doc;
  },
};

interface Analysed { doc: TextDocument; version: number; settings: EditorSettings; value: DocumentAnalysis }

interface DocState {
  /** the document's incremental analysis: reparses the edited line, resumes at the first changed statement */
  analyzer: IncrementalAnalyzer;
  /** the document against git HEAD for one version and settings (Compare with HEAD, `inlayHints.showDelta`): git runs once per version */
  diff?: { version: number; settings: EditorSettings; value: RevisionDiff | { error: string } };
  /** the analysis of one document version under one set of settings */
  result?: { version: number; settings: EditorSettings; value: DocumentAnalysis };
  timer?: NodeJS.Timeout;
  /** the latest `netcost/measurement` of the document (ONNX Runtime's times, shown in hovers) */
  measured?: MeasuredDoc;
}

export interface ServerOptions {
  /** delay between the last edit and the diagnostics it causes, in ms (requests never wait for it) */
  diagnosticsDelay?: number;
  /** URL of docs/rules.md that diagnostics link to (default: the copy on GitHub) */
  rulesUrl?: string;
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const documents = new TextDocuments(DOCUMENT_STORE);
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

  let shutDown = false;

  /**
   * Runs the handler of `method` (a request or a notification): an exception is logged with the method,
   * the document and the position of `params` and answered with `fallback`; a cancelled request is
   * answered `RequestCancelled`, one whose document kept changing `ContentModified`.
   */
  async function guard<T>(what: string, method: string, params: unknown, fallback: T, f: () => T | Promise<T>): Promise<T | ResponseError<void>> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof Cancelled) return new ResponseError(LSPErrorCodes.RequestCancelled, `${method} cancelled`);
      if (e instanceof Modified) return new ResponseError(LSPErrorCodes.ContentModified, `${method}: the document kept changing`);
      const { uri, at } = contextOf(params);
      const error = e instanceof Error ? e : new Error(String(e));
      const frames = error.stack?.split('\n').slice(1).join('\n');
      connection.console.error(`netcost: ${what} failed for ${uri}${at}: ${String(error)} [${method}]${frames ? `\n${frames}` : ''}`);
      return fallback;
    }
  }
  /** The guarded handler of a request: it gets the request's params and cancellation token. */
  const request = <P, R>(method: string, what: string, fallback: R, f: (params: P, token: CancellationToken) => R | Promise<R>) =>
    (params: P, token: CancellationToken) => guard(what, method, params, fallback, () => f(params, token));
  /** The guarded handler of a notification. */
  const notification = <P>(method: string, what: string, f: (params: P) => void | Promise<void>) =>
    (params: P) => void guard(what, method, params, undefined, () => f(params));

  /**
   * A point of a request where it may stop: the event loop turns once (a `$/cancelRequest` or newer
   * edits arrive), then a cancelled request ends here with `RequestCancelled`.
   */
  async function checkpoint(token: CancellationToken | undefined) {
    if (!token) return;
    await new Promise((resolve) => setImmediate(resolve));
    if (token.isCancellationRequested) throw new Cancelled();
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
      p = pulled.then((s) => withProjectBudgets(withProjectTargets(s, projectOf(uri)), projectOf(uri)));
      settingsCache.set(uri, p);
      p.catch(() => { if (settingsCache.get(uri) === p) settingsCache.delete(uri); }); // a failure is not kept
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

  /**
   * The analysis of the document as it is now (never an older version), computed at most once per
   * version and settings; `version` is the version analysed (the document object itself is updated in
   * place by later edits). With a token, a cancelled request stops before the analysis.
   */
  async function analysisOf(uri: string, token?: CancellationToken): Promise<Analysed | null> {
    const settings = await settingsFor(uri);
    await checkpoint(token);
    const model = modelUriOf(uri);
    if (model) {
      const value = await modelAnalysis(model, settings);
      const doc = documents.get(uri);
      return doc ? { doc, version: doc.version, settings, value } : null;
    }
    const doc = documents.get(uri); // read after the await: edits may have arrived meanwhile
    if (!doc) return null;
    const state = stateOf(uri);
    if (!state.result || state.result.version !== doc.version || state.result.settings !== settings) {
      state.result = { version: doc.version, settings, value: analyzeDocument(doc.getText(), settings, state.analyzer) };
    }
    return { doc, version: state.result.version, settings, value: state.result.value };
  }

  /**
   * The analysis a request answers from: a cancelled request stops before analysing and before
   * formatting; an analysis whose version is no longer current when the answer is about to be
   * formatted is dropped and the current version analysed (after 3 tries: `ContentModified`).
   */
  async function current(uri: string, token: CancellationToken): Promise<Analysed | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await analysisOf(uri, token);
      if (!r) return null;
      await checkpoint(token);
      const now = documents.get(uri);
      if (!now) return null;
      if (now.version === r.version) return r; // nothing awaits between here and the answer
    }
    throw new Modified();
  }

  async function publishDiagnostics(uri: string) {
    await guard('diagnostics', 'textDocument/publishDiagnostics', { uri }, undefined, async () => {
      if (shutDown) return;
      const r = await analysisOf(uri);
      if (!r || documents.get(uri)?.version !== r.version) return; // a newer version will publish
      const found = [...r.value.diagnostics, ...unknownTargetDiagnostics(r.settings, lineText(r.doc, 0), r.settings.targetErrors)];
      const diagnostics: LspDiagnostic[] = found.map((d) => ({
        range: d.range, severity: SEVERITY[d.severity], code: d.code, codeDescription: { href: ruleUrl(d.code, options.rulesUrl) },
        source: 'netcost', message: d.message,
      }));
      await connection.sendDiagnostics({ uri, version: r.version, diagnostics });
    });
  }

  function schedule(uri: string) {
    const state = stateOf(uri);
    clearTimeout(state.timer);
    state.timer = setTimeout(() => void publishDiagnostics(uri), delay);
  }

  function capabilitiesOf(): InitializeResult {
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
  }

  // a client whose capabilities cannot be read gets the server's, and is asked for nothing optional
  connection.onInitialize((params: InitializeParams) => guard('initialize', 'initialize', params, capabilitiesOf(), (): InitializeResult => {
    const caps = params.capabilities;
    canPull = caps.workspace?.configuration === true;
    canRefreshHints = caps.workspace?.inlayHint?.refreshSupport === true;
    canSnippet = caps.textDocument?.completion?.completionItem?.snippetSupport === true;
    canProgress = caps.window?.workDoneProgress === true;
    canWatchFiles = caps.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    return capabilitiesOf();
  }) as Promise<InitializeResult>); // the guard answers nothing but the result here: no token, hence no cancellation

  connection.onInitialized(notification('initialized', 'initialized', () => {
    // a workspace's netcost.json (or a package.json "netcost" key) adds targets: the client tells when one is created, changed or deleted
    if (canWatchFiles) {
      const watchers = [{ globPattern: '**/netcost.json' }, { globPattern: '**/package.json' }];
      void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers }).catch(() => undefined);
    }
  }));

  // `shutdown`: no diagnostics are published any more; `exit` then ends the process (with 0 after a shutdown: vscode-languageserver)
  connection.onShutdown(() => guard('shutdown', 'shutdown', null, undefined, () => {
    shutDown = true;
    for (const state of states.values()) clearTimeout(state.timer);
  }));

  connection.onDidChangeConfiguration(notification('workspace/didChangeConfiguration', 'settings change', (params: { settings: unknown }) => {
    const sent = (params.settings as { netcost?: unknown } | null)?.netcost;
    if (sent !== undefined) pushed = readSettings(sent);
    settingsChanged();
  }));

  connection.onDidChangeWatchedFiles(notification('workspace/didChangeWatchedFiles', 'watched files', (params: { changes: { uri: string }[] }) => {
    if (params.changes.some((c) => /(^|\/)(netcost|package)\.json$/.test(c.uri))) settingsChanged();
  }));

  documents.onDidChangeContent(({ document }) => schedule(document.uri));
  documents.onDidClose(({ document }) => {
    clearTimeout(states.get(document.uri)?.timer);
    states.delete(document.uri);
    settingsCache.delete(document.uri);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] }).catch(() => undefined);
  });

  connection.languages.inlayHint.on(request('textDocument/inlayHint', 'inlay hints', [] as InlayHint[], async (params: InlayHintParams, token) => {
    const r = await current(params.textDocument.uri, token);
    if (!r || !r.settings.inlayHints.enabled) return [];
    const { start, end } = params.range;
    const diff = r.settings.inlayHints.showDelta && !modelUriOf(params.textDocument.uri) ? diffOf(params.textDocument.uri, r.doc, r.settings) : null;
    const hints = inlayHints(r.value.analysis, start.line, end.line, {
      content: r.settings.inlayHints.content, flops: r.settings.flopsConvention, target: activeTarget(r.settings).target,
      deltas: diff && !('error' in diff) ? diff.macsByLine : undefined,
    });
    return hints.map((h): InlayHint => {
      return { position: { line: h.line, character: h.character ?? lineText(r.doc, h.line).length }, label: h.label, paddingLeft: true, tooltip: h.tooltip };
    });
  }));

  connection.onHover(request('textDocument/hover', 'hover', null, async (params: HoverParams, token): Promise<Hover | null> => {
    const r = await current(params.textDocument.uri, token);
    if (!r) return null;
    const m = states.get(params.textDocument.uri)?.measured;
    const measured = m && { doc: m, stale: isStale(m, r.version, () => r.doc.getText()) };
    const h = hover(r.value.analysis, params.position, r.settings.flopsConvention, activeTarget(r.settings).target, measured);
    return h && { contents: { kind: 'markdown', value: h.markdown }, range: h.range };
  }));

  // ---- navigation: outline, definition, references, rename, folding, semantic tokens
  connection.onDocumentSymbol(request('textDocument/documentSymbol', 'document symbols', [], async (params: DocumentSymbolParams, token) => {
    const r = await current(params.textDocument.uri, token);
    return r ? documentSymbols(r.value.analysis) : [];
  }));

  connection.onDefinition(request('textDocument/definition', 'definition', [], async ({ textDocument: { uri }, position }: DefinitionParams, token) => {
    const r = await current(uri, token);
    return r ? definition(r.value.analysis, position).map((range) => ({ uri, range })) : [];
  }));

  connection.onReferences(request('textDocument/references', 'references', [], async ({ textDocument: { uri }, position, context }: ReferenceParams, token) => {
    const r = await current(uri, token);
    return r ? references(r.value.analysis, position, context.includeDeclaration).map((range) => ({ uri, range })) : [];
  }));

  /** A refusal (an op keyword, a default name, a clashing new name) reaches the user as the error's message. */
  const refused = (error: string) => new ResponseError<void>(LSPErrorCodes.RequestFailed, error);

  connection.onPrepareRename(request('textDocument/prepareRename', 'prepare rename', null, async ({ textDocument: { uri }, position }: PrepareRenameParams, token) => {
    const r = await current(uri, token);
    const p = r && prepareRename(r.value.analysis, position);
    return !p ? null : 'error' in p ? refused(p.error) : p;
  }));

  connection.onRenameRequest(request('textDocument/rename', 'rename', null, async ({ textDocument: { uri }, position, newName }: RenameParams, token) => {
    const r = await current(uri, token);
    const edits = r && rename(r.value.analysis, position, newName);
    return !edits ? null : 'error' in edits ? refused(edits.error) : { changes: { [uri]: edits } };
  }));

  connection.onFoldingRanges(request('textDocument/foldingRange', 'folding ranges', [], async (params: FoldingRangeParams, token) => {
    const r = await current(params.textDocument.uri, token);
    return r ? foldingRanges(r.value.analysis.syntax, r.doc.getText()) : [];
  }));

  connection.languages.semanticTokens.on(request('textDocument/semanticTokens/full', 'semantic tokens', { data: [] as number[] }, async (params: SemanticTokensParams, token) => {
    const r = await current(params.textDocument.uri, token);
    return { data: r ? semanticTokens(r.value.analysis.syntax) : [] };
  }));

  // ---- completion, quick fixes, and the requests of the VS Code status bar and report command
  // (netcost/summary, netcost/report and netcost/targets; their shapes are documented in ide/summary.ts)
  const COMPLETION_KIND: Record<CompletionKind, CompletionItemKind> = {
    op: CompletionItemKind.Class, block: CompletionItemKind.Module, keyword: CompletionItemKind.Keyword, option: CompletionItemKind.Property,
    value: CompletionItemKind.EnumMember, name: CompletionItemKind.Reference, variable: CompletionItemKind.Variable, function: CompletionItemKind.Function,
  };

  connection.onCompletion(request('textDocument/completion', 'completion', [], async (params: CompletionParams, token) => {
    const r = await current(params.textDocument.uri, token);
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

  connection.onCodeAction(request('textDocument/codeAction', 'code actions', [], async (params: CodeActionParams, token) => {
    const r = await current(params.textDocument.uri, token);
    if (!r || (params.context.only && !params.context.only.includes(CodeActionKind.QuickFix))) return [];
    // the multiple the lint used: the setting's override, else the active target's
    const multiple = r.settings.lint.channelMultiple || (activeTarget(r.settings).target?.channelMultiple ?? 0);
    const fixes = quickFixes(r.value.analysis, r.doc.getText(), params.context.diagnostics, multiple);
    return fixes.map((f): CodeAction => ({
      title: f.title, kind: f.kind, diagnostics: [f.diagnostic], isPreferred: f.isPreferred, edit: { changes: { [params.textDocument.uri]: f.edits } },
    }));
  }));

  connection.onRequest(SUMMARY_REQUEST, request(SUMMARY_REQUEST, 'summary', null, async (p: DocumentParams, token) => {
    const r = await current(p.uri, token);
    const target = r && activeTarget(r.settings).target;
    return r && summarize(r.value, r.settings.flopsConvention, target ? hardwareView(r.value.analysis, target) : undefined);
  }));

  // the target picker: what the document's settings and netcost.json offer (the document need not be open)
  connection.onRequest(TARGETS_REQUEST, request(TARGETS_REQUEST, 'targets', null, async (p: DocumentParams): Promise<TargetList | null> =>
    typeof p?.uri === 'string' ? targetList(await settingsFor(p.uri)) : null));

  /** The document against the file at git HEAD, once per version and settings (only on request: git runs in the workspace). */
  function diffOf(uri: string, doc: TextDocument, settings: EditorSettings): RevisionDiff | { error: string } {
    const state = stateOf(uri);
    if (state.diff?.version !== doc.version || state.diff.settings !== settings) {
      const name = decodeURIComponent(uri.replace(/.*\//, ''));
      const value = uri.startsWith('file:')
        ? diffAgainst(fileURLToPath(uri), name, doc.getText(), { batch: settings.batchSize, dtype: settings.dtype, limits: settings.limits }, settings.flopsConvention)
        : { error: `${name} is not a file on disk` };
      state.diff = { version: doc.version, settings, value };
    }
    return state.diff.value;
  }

  connection.onRequest(COMPARE_REQUEST, request(COMPARE_REQUEST, 'compare', null, async (p: DocumentParams, token) => {
    const r = await current(p.uri, token);
    if (!r) return null;
    const d = diffOf(p.uri, r.doc, r.settings);
    return { text: 'error' in d ? `NetCost: cannot compare with HEAD: ${d.error}\n` : d.report };
  }));

  connection.onRequest(REPORT_REQUEST, request(REPORT_REQUEST, 'report', null, async (p: DocumentParams, token) => {
    const r = await current(p.uri, token);
    const file = decodeURIComponent((modelUriOf(p.uri) ?? p.uri).replace(/.*\//, '')); // `resnet50.net`, as the CLI names it
    return r && { text: tableReport(r.value.analysis, { file, flops: r.settings.flopsConvention }) };
  }));

  // the VS Code command Measure Latency sends what `netcost measure --json` measured; a document the server does not have is ignored
  connection.onNotification(MEASUREMENT_NOTIFICATION, notification(MEASUREMENT_NOTIFICATION, 'measurement', (params: unknown) => {
    const p = readMeasurementParams(params);
    const doc = documents.get(p.uri);
    if (!doc) return;
    const version = p.version ?? doc.version;
    stateOf(p.uri).measured = p.measurement ? indexMeasurement(p.measurement, version, version === doc.version ? doc.getText() : undefined) : undefined;
  }));

  connection.onRequest(LISTING_REQUEST, request(LISTING_REQUEST, 'ONNX listing', null, async (p: DocumentParams, token): Promise<Listing | null> => {
    if (typeof p?.uri !== 'string' || !p.uri.startsWith('file:')) return null;
    const uri = listingUri(p.uri);
    const settings = await settingsFor(uri);
    await checkpoint(token); // before reading the model
    const value = await modelAnalysis(p.uri, settings);
    return { text: value.analysis.onnx!.listing.text, uri };
  }));

  // the document sync notifications run in the guard too: `documents` registers them on this view of the connection
  const SYNC: Record<string, string> = {
    onDidOpenTextDocument: 'textDocument/didOpen', onDidChangeTextDocument: 'textDocument/didChange', onDidCloseTextDocument: 'textDocument/didClose',
    onWillSaveTextDocument: 'textDocument/willSave', onDidSaveTextDocument: 'textDocument/didSave',
  };
  const synced = new Proxy(connection, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      const method = typeof key === 'string' ? SYNC[key] : undefined;
      if (!method || typeof value !== 'function') return value;
      return (handler: (params: unknown) => void) => value.call(target, notification(method, 'document sync', handler));
    },
  });
  documents.listen(synced);
  connection.listen();
}
