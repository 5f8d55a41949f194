// The language server's entry: the only layer that speaks LSP. For now it publishes the engine's
// diagnostics for open `.net` documents; inlay hints, hovers and settings arrive with the next issue.
import { createConnection, DiagnosticSeverity, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze, type Severity } from '../analysis/analyze';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information,
};

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

connection.onInitialize(() => ({ capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental } }));

documents.onDidChangeContent(({ document }) => {
  try {
    const diagnostics = analyze(document.getText()).diagnostics.map((d) => ({
      range: d.range, severity: SEVERITY[d.severity], code: d.code, source: 'netcost', message: d.message,
    }));
    void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics });
  } catch (e) {
    connection.console.error(`netcost: analysis of ${document.uri} failed: ${(e as Error).stack ?? e}`);
  }
});
documents.onDidClose(({ document }) => void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] }));

documents.listen(connection);
connection.listen();
