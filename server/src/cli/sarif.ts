// `netcost FILE --format sarif`: every diagnostic the editor shows (engine and lint, with the default
// rule settings and the active target) as a SARIF 2.1.0 log, for code-scanning UIs.
//
// Mapping (README.md "SARIF output"):
// - one run; tool.driver.rules holds one reportingDescriptor per code that occurs, in order of first
//   occurrence; helpUri is the code's anchor in docs/rules.md on GitHub.
// - level: error -> "error", warning -> "warning", info -> "note".
// - a .net file: physicalLocation with a region, 1-based lines and columns in UTF-16 code units
//   (run.columnKind "utf16CodeUnits"); endColumn is exclusive, as SARIF defines it.
// - an ONNX model: the listing's lines mean nothing to a code-scanning UI, so a node's diagnostic has
//   no region: its physicalLocation is the model file and a logicalLocation names the node
//   (fullyQualifiedName = the ONNX node name, prefixed by the subgraph path for nodes of a subgraph;
//   kind "function": an operator applied to tensors). Problems of the model as a whole have the file only.
// - the artifact URI is the path relative to the current directory with forward slashes and
//   uriBaseId "%SRCROOT%" (run.originalUriBaseIds gives the directory); a file outside the current
//   directory gets an absolute file:// URI instead.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { version } from '../../../package.json';
import type { Analysis, Diagnostic, Dtype, FlopsConvention, Severity } from '../analysis/analyze';
import type { Budget } from '../budget/budgets';
import type { Limits } from '../analysis/limits';
import type { IncrementalAnalyzer } from '../analysis/incremental';
import type { OnnxAnalysis, Progress } from '../onnx/analyze';
import { DEFAULT_TARGET, type Target } from '../hardware/targets';
import { RULES, type RuleCode } from '../lint/lint';
import { analyzeDocument, analyzeOnnxDocument, ruleUrl } from '../ide/document';
import { DEFAULT_EDITOR_SETTINGS, type EditorSettings } from '../ide/settings';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const INFORMATION_URI = 'https://github.com/netcost/netcost';

/** The documented default severity and a one-line description of each engine code (docs/rules.md); lint codes take lint.ts's RULES. */
const ENGINE_CODES: Record<string, [Severity, string]> = {
  'syntax-error': ['error', 'A token that does not fit where it stands'],
  'bad-character': ['error', 'A character that is not part of the language'],
  'missing-value': ['error', 'A value is missing at the end of a line or before a comma'],
  'missing-op': ['error', 'A layer name with nothing after the colon'],
  'reserved-word': ['error', 'A keyword used as a name'],
  'missing-end': ['error', 'A block or multi-line repeat without end'],
  'unmatched-end': ['error', 'An end with nothing to close'],
  'unterminated-string': ['error', 'A string without its closing quote on its line'],
  'unknown-name': ['error', 'A layer, variable or function that does not exist'],
  'unknown-op': ['error', 'A layer kind that does not exist and is no block'],
  'duplicate-name': ['error', 'A name defined twice in one scope, or a block named like a layer kind'],
  'forward-reference': ['error', '`from` names a layer defined further down'],
  cycle: ['error', '`from` names a later layer that depends on this one'],
  'recursive-block': ['error', 'A block that uses itself, directly or through others'],
  'nested-block': ['error', 'A block defined inside another block'],
  'nested-input': ['error', 'An input declared inside a block or repeat body'],
  'no-input': ['error', 'A layer with no input above it and no `from`'],
  'unknown-variable': ['error', 'An override names no top-level variable'],
  'block-error': ['error', 'A block use whose body has an error'],
  'chain-interior': ['warning', '`from` reads an op inside a one-line chain by its default name'],
  skipped: ['info', 'A layer not analysed because its input has an error'],
  'generic-op': ['info', 'A generic layer `op "Type"(...)`, counted as zero cost'],
  'unknown-target': ['warning', 'The hardware target names no known target'],
  'budget-exceeded': ['warning', 'A figure of the network exceeds its budget'],
  'unknown-option': ['error', 'An option the op or block does not take'],
  'duplicate-option': ['error', 'An option given twice'],
  'too-many-args': ['error', 'More positional arguments than the op takes'],
  'missing-arg': ['error', 'A required argument is missing'],
  'bad-value': ['error', 'A value of the wrong kind'],
  'bad-arguments': ['error', 'A function called with the wrong number of arguments'],
  'bad-shape': ['error', 'An input shape with a zero, negative or fractional size'],
  'shape-mismatch': ['error', 'Inputs whose shapes cannot combine'],
  'bad-groups': ['error', 'Groups or heads that do not divide the channels'],
  'bad-rank': ['error', 'An input of the wrong rank for the op'],
  'bad-inputs': ['error', 'The wrong number of inputs'],
  'empty-output': ['error', 'A non-positive output size'],
  'shape-assertion': ['error', 'A `-> shape` assertion that differs from the real output'],
  'too-large': ['error', 'A figure beyond 2^53, where integers stop being exact'],
  limit: ['error', 'A .net file past one of the limits against runaway inputs'],
  'onnx-io': ['error', 'The file cannot be opened or read'],
  'onnx-not-a-model': ['error', 'The file is not an ONNX model'],
  'onnx-truncated': ['error', 'A length field runs past the end of its message or of the file'],
  'onnx-malformed': ['error', 'Bytes that are not valid protobuf'],
  'onnx-limit': ['error', 'A model past one of the limits against hostile inputs'],
  'onnx-bad-dim': ['error', 'A negative dimension or one beyond 2^53'],
  'onnx-data-size': ['warning', "A small tensor's data does not match its dims"],
  'onnx-no-opset': ['warning', 'The model declares no opset'],
  'onnx-unbound-dim': ['warning', 'Symbolic dimensions that nothing bound, each taken as 1'],
  'onnx-fixed-batch': ['warning', 'The batch differs from the one the model was exported with'],
  'onnx-unknown-input-shape': ['error', 'A graph input without a stored shape'],
  'onnx-cycle': ['error', 'The graph has a cycle'],
  'onnx-missing-input': ['error', 'A node reads a tensor that nothing produces'],
  'onnx-shape-error': ['error', 'Shapes that contradict each other'],
  'onnx-unsupported-op': ['warning', 'An operator NetCost has no shape or cost rule for'],
  'onnx-value-info-mismatch': ['warning', 'A shape stored in the file differs from the inferred one'],
  'onnx-loop-body': ['info', 'A Loop or Scan whose body is costed per iteration'],
  'onnx-subgraph-depth': ['warning', 'Subgraphs nested deeper than the subgraphDepth limit are not walked'],
  'onnx-not-counted': ['info', 'Nodes counted as zero because their input shapes are unknown'],
  'onnx-bad-node': ['warning', 'Nodes counted as zero because they are malformed'],
};

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

function describe(code: string): { severity: Severity; text: string } {
  const lint = RULES[code as RuleCode];
  if (lint) return { severity: lint.severity, text: lint.summary[0].toUpperCase() + lint.summary.slice(1) };
  const e = ENGINE_CODES[code];
  return e ? { severity: e[0], text: e[1] } : { severity: 'warning', text: `NetCost diagnostic ${code}` };
}

/**
 * The editor settings the CLI's flags stand for: default rule settings and thresholds, the CLI's batch,
 * dtype, FLOPs convention, limits, target and budgets (netcost.json's and `--budget`'s: `budget-exceeded` results).
 */
export function cliSettings(
  o: { batch: number; dtype: Dtype; flops: FlopsConvention; dims: Record<string, number>; limits: Partial<Limits> },
  target: Target | null,
  budgets?: { budgets: Budget[]; userTargets: Target[] },
): EditorSettings {
  return {
    ...DEFAULT_EDITOR_SETTINGS, batchSize: o.batch, dtype: o.dtype, flopsConvention: o.flops, onnx: { dims: o.dims },
    limits: { ...DEFAULT_EDITOR_SETTINGS.limits, ...o.limits },
    // the --target one first: an id of the project's targets resolves to it, as --target did
    target: target?.id ?? DEFAULT_TARGET, userTargets: [...(target ? [target] : []), ...(budgets?.userTargets ?? [])],
    budgets: budgets?.budgets ?? [],
  };
}

/**
 * The editor's diagnostics (engine + lint) of a `.net` file whose analysis the CLI already made
 * (with its `--set` overrides, which the editor settings do not carry): the editor's document function
 * is given that analysis in place of its incremental analyzer.
 */
export function netDiagnostics(a: Analysis, text: string, s: EditorSettings): Diagnostic[] {
  const given = { analyze: () => a } as unknown as IncrementalAnalyzer;
  return analyzeDocument(text, s, given).diagnostics;
}

/** The editor's analysis and diagnostics of an ONNX model (the lint rules run on its listing). */
export function onnxDocument(file: string, s: EditorSettings, progress?: Progress): { analysis: OnnxAnalysis; diagnostics: Diagnostic[] } {
  const d = analyzeOnnxDocument(file, file, s, progress);
  return { analysis: d.analysis, diagnostics: d.diagnostics };
}

function artifact(file: string, cwd: string): { uri: string; uriBaseId?: string } {
  const rel = relative(cwd, resolve(cwd, file));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return { uri: pathToFileURL(resolve(cwd, file)).href };
  return { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

/** The SARIF log of one file's diagnostics; `onnx`: the model's analysis (its nodes become logical locations). */
export function sarifLog(file: string, diagnostics: Diagnostic[], onnx?: OnnxAnalysis, cwd = process.cwd()) {
  const rules: object[] = [];
  const ruleIndex = new Map<string, number>();
  const location = artifact(file, cwd);
  const nodeByLine = onnx ? new Map(onnx.layers.map((l) => [l.useRange.start.line, l])) : undefined;
  const results = diagnostics.map((d) => {
    let index = ruleIndex.get(d.code);
    if (index === undefined) {
      const { severity, text } = describe(d.code);
      index = rules.length;
      ruleIndex.set(d.code, index);
      rules.push({ id: d.code, shortDescription: { text }, helpUri: ruleUrl(d.code), defaultConfiguration: { level: LEVEL[severity] } });
    }
    let loc: object;
    if (nodeByLine) {
      const node = nodeByLine.get(d.range.start.line);
      const name = node ? node.onnxName || node.name : '';
      loc = {
        physicalLocation: { artifactLocation: location },
        ...(node ? { logicalLocations: [{ name, fullyQualifiedName: node.graphPath ? `${node.graphPath}/${name}` : name, kind: 'function' }] } : {}),
      };
    } else {
      const r = d.range;
      loc = {
        physicalLocation: {
          artifactLocation: location,
          region: { startLine: r.start.line + 1, startColumn: r.start.character + 1, endLine: r.end.line + 1, endColumn: r.end.character + 1 },
        },
      };
    }
    return { ruleId: d.code, ruleIndex: index, level: LEVEL[d.severity], message: { text: d.message }, locations: [loc] };
  });
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'NetCost', version, informationUri: INFORMATION_URI, rules } },
      ...(location.uriBaseId ? { originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(cwd).href.replace(/\/?$/, '/') } } } : {}),
      columnKind: 'utf16CodeUnits',
      results,
    }],
  };
}

export const sarifReport = (file: string, diagnostics: Diagnostic[], onnx?: OnnxAnalysis) => JSON.stringify(sarifLog(file, diagnostics, onnx), null, 2) + '\n';
