// The language server: the only code that speaks LSP. Each handler converts the request, calls one
// pure function from ide/, and converts the answer back, inside a guard that logs and answers empty.
import {
  DiagnosticSeverity, InlayHint, TextDocuments, TextDocumentSyncKind,
  type Connection, type Diagnostic as LspDiagnostic, type InitializeParams, type InitializeResult,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Severity } from '../analysis/analyze';
import { IncrementalAnalyzer } from '../analysis/incremental';
import { analyzeDocument, ruleUrl, type DocumentAnalysis } from '../ide/document';
import { inlayHints } from '../ide/hints';
import { hover } from '../ide/hover';
import { DEFAULT_EDITOR_SETTINGS, readSettings, type EditorSettings } from '../ide/settings';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information,
};

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

  function settingsFor(uri: string): Promise<EditorSettings> {
    if (!canPull) return Promise.resolve(pushed);
    let p = settingsCache.get(uri);
    if (!p) {
      p = connection.workspace.getConfiguration({ scopeUri: uri, section: 'netcost' }).then(readSettings, () => DEFAULT_EDITOR_SETTINGS);
      settingsCache.set(uri, p);
    }
    return p;
  }

  function stateOf(uri: string): DocState {
    let state = states.get(uri);
    if (!state) states.set(uri, (state = { analyzer: new IncrementalAnalyzer() }));
    return state;
  }

  /** The analysis of the document as it is now (never an older version), computed at most once. */
  async function analysisOf(uri: string): Promise<{ doc: TextDocument; settings: EditorSettings; value: DocumentAnalysis } | null> {
    const settings = await settingsFor(uri);
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
      const diagnostics: LspDiagnostic[] = r.value.diagnostics.map((d) => ({
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
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        inlayHintProvider: { resolveProvider: false },
        hoverProvider: true,
      },
      serverInfo: { name: 'netcost-language-server' },
    };
  });

  connection.onDidChangeConfiguration((params) => {
    const sent = (params.settings as { netcost?: unknown } | null)?.netcost;
    if (sent !== undefined) pushed = readSettings(sent);
    settingsCache.clear();
    for (const doc of documents.all()) schedule(doc.uri);
    if (canRefreshHints) void connection.languages.inlayHint.refresh().catch(() => undefined);
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
    const hints = inlayHints(r.value.analysis, start.line, end.line, { content: r.settings.inlayHints.content, flops: r.settings.flopsConvention });
    return hints.map((h): InlayHint => {
      const line = r.doc.getText({ start: { line: h.line, character: 0 }, end: { line: h.line + 1, character: 0 } }).replace(/\r?\n$/, '');
      return { position: { line: h.line, character: line.length }, label: h.label, paddingLeft: true, tooltip: h.tooltip };
    });
  }));

  connection.onHover((params) => guard('hover', params.textDocument.uri, null, async () => {
    const r = await analysisOf(params.textDocument.uri);
    if (!r) return null;
    const h = hover(r.value.analysis, params.position, r.settings.flopsConvention);
    return h && { contents: { kind: 'markdown', value: h.markdown }, range: h.range };
  }));

  documents.listen(connection);
  connection.listen();
}
