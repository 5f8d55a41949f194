// One fuzz case, run and checked: the whole pipeline on the generated input, then every editor feature
// on the result at random positions. A case fails by throwing (any exception that escapes the engine),
// by a range outside the text (a diagnostic, a hint line, a hover, a definition, a rename edit, a
// semantic token, a fold) or, for `.net`, by an incremental result that differs from a fresh analysis.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { analyze, type Analysis, type Diagnostic } from '../../server/src/analysis/analyze';
import { IncrementalAnalyzer } from '../../server/src/analysis/incremental';
import { quickFixes } from '../../server/src/ide/actions';
import { complete } from '../../server/src/ide/complete';
import { analyzeDocument, analyzeOnnxDocument, type DocumentAnalysis } from '../../server/src/ide/document';
import { activeTarget, hardwareView } from '../../server/src/ide/hardware';
import { HINT_FIELDS, inlayHints } from '../../server/src/ide/hints';
import { hover, networkMarkdown } from '../../server/src/ide/hover';
import { definition, prepareRename, references, rename } from '../../server/src/ide/navigate';
import { documentSymbols, foldingRanges, type DocumentSymbol } from '../../server/src/ide/outline';
import { semanticTokens } from '../../server/src/ide/semantic';
import { DEFAULT_EDITOR_SETTINGS, type EditorSettings } from '../../server/src/ide/settings';
import { summarize } from '../../server/src/ide/summary';
import { lint } from '../../server/src/lint/lint';
import { analyzeOnnx } from '../../server/src/onnx/analyze';
import { bytesSource, readModel } from '../../server/src/onnx/reader';
import { TARGETS } from '../../server/src/hardware/targets';
import type { Pos, Range } from '../../server/src/syntax/lexer';
import { rng, type Rng } from './prng';

export class CaseFailure extends Error {
  constructor(readonly kind: 'invalid-range' | 'mismatch' | 'timeout', message: string) { super(message); }
}

/** The time bound of one step (an analysis, a lint pass, one editor request), ms: a slower step fails the case. */
export let STEP_BOUND_MS = 2000;
export const setStepBound = (ms: number) => { STEP_BOUND_MS = ms; };
/** The slowest step of the current case. */
export let slowestStep = { ms: 0, name: '' };
export const resetSlowest = () => { slowestStep = { ms: 0, name: '' }; };

/** Runs one step of a case, timed: what one editor request or one analysis costs the server. */
const TRACE = process.env.NETCOST_FUZZ_TRACE === '1';
function step<T>(name: string, f: () => T): T {
  if (TRACE) console.error(`step ${name} ...`);
  const t0 = performance.now();
  const v = f();
  const ms = performance.now() - t0;
  if (TRACE) console.error(`step ${name}: ${ms.toFixed(1)} ms`);
  if (ms > slowestStep.ms) slowestStep = { ms, name };
  if (ms > STEP_BOUND_MS) throw new CaseFailure('timeout', `${name} took ${ms.toFixed(0)} ms, more than ${STEP_BOUND_MS} ms`);
  return v;
}

export interface NetCaseInput { texts: string[]; probe: number }
export interface OnnxRunInput { bytes: Uint8Array; batch?: number; dims?: Record<string, number>; dtype?: 'fp16' | 'int8'; probe: number }

/** What a case saw: diagnostic codes, for the run's coverage figures. */
export interface CaseReport { codes: string[] }

// ---- range checks against the text the editor shows

class Text {
  readonly lines: string[];
  constructor(readonly text: string) { this.lines = text.split(/\r\n|\r|\n/); }
  pos(p: Pos, what: string): void {
    const ok = Number.isInteger(p.line) && Number.isInteger(p.character) && p.line >= 0 && p.line < this.lines.length && p.character >= 0 && p.character <= this.lines[p.line].length;
    if (!ok) throw new CaseFailure('invalid-range', `${what}: position ${p.line}:${p.character} is outside the text (${this.lines.length} lines${this.lines[p.line] !== undefined ? `, line ${p.line} has ${this.lines[p.line].length} characters` : ''})`);
  }
  range(r: Range, what: string): void {
    this.pos(r.start, what);
    this.pos(r.end, what);
    if (r.start.line > r.end.line || (r.start.line === r.end.line && r.start.character > r.end.character)) throw new CaseFailure('invalid-range', `${what}: range ends before it starts ${JSON.stringify(r)}`);
  }
  line(l: number, what: string): void {
    if (!Number.isInteger(l) || l < 0 || l >= this.lines.length) throw new CaseFailure('invalid-range', `${what}: line ${l} is outside the text (${this.lines.length} lines)`);
  }
  /** a random position: mostly inside the text, sometimes past a line's end or outside it (clients send those) */
  random(r: Rng): Pos {
    if (r.chance(0.06)) return r.pick([{ line: -1, character: 0 }, { line: this.lines.length + 3, character: 0 }, { line: 0, character: 1e9 }, { line: 2 ** 31, character: -5 }]);
    const line = r.int(0, this.lines.length - 1);
    return { line, character: r.int(0, this.lines[line].length + (r.chance(0.05) ? 10 : 0)) };
  }
}

function checkDiagnostics(t: Text, ds: Diagnostic[], what: string): void {
  for (const d of ds) {
    t.range(d.range, `${what} ${d.code} "${d.message.slice(0, 120)}"`);
    if (typeof d.code !== 'string' || !d.code || typeof d.message !== 'string') throw new CaseFailure('invalid-range', `${what}: a diagnostic without a code or message: ${JSON.stringify(d)}`);
  }
}

function checkSymbols(t: Text, ss: DocumentSymbol[]): void {
  for (const s of ss) {
    t.range(s.range, `document symbol ${s.name}`);
    t.range(s.selectionRange, `document symbol ${s.name} (selection)`);
    if (s.children) checkSymbols(t, s.children);
  }
}

/** Every editor feature on an analysis of `t`, at random positions. */
function editorFeatures(a: Analysis, doc: DocumentAnalysis, t: Text, s: EditorSettings, r: Rng): void {
  const target = activeTarget(s).target;
  const hintOptions = { content: HINT_FIELDS.filter(() => r.chance(0.6)), flops: s.flopsConvention, target };
  for (const h of step('inlay hints', () => inlayHints(a, 0, t.lines.length, hintOptions))) {
    t.line(h.line, `inlay hint "${h.label}"`);
    if (h.character !== undefined) t.pos({ line: h.line, character: h.character }, `inlay hint "${h.label}"`);
  }
  const [from, to] = [r.int(-2, t.lines.length), r.int(-2, t.lines.length + 2)];
  step('inlay hints of a range', () => inlayHints(a, from, to, hintOptions));
  const diagnostics = step('lint', () => doc.diagnostics);
  checkDiagnostics(t, diagnostics, 'diagnostic');
  for (let k = 0; k < 6; k++) {
    const p = t.random(r);
    const h = step('hover', () => hover(a, p, s.flopsConvention, target));
    if (h) t.range(h.range, 'hover');
    const lineText = t.lines[p.line] ?? '';
    const c = step('completion', () => complete(a, lineText, p));
    // (a position past the line's end is echoed in the range: only a position inside the text is checked)
    if (t.lines[p.line] !== undefined && p.character <= t.lines[p.line].length && c.items.length) t.range(c.range, 'completion');
    for (const d of step('definition', () => definition(a, p))) t.range(d, 'definition');
    const decl = r.chance(0.5);
    for (const d of step('references', () => references(a, p, decl))) t.range(d, 'reference');
    const pr = step('prepare rename', () => prepareRename(a, p));
    if ('range' in pr) t.range(pr.range, 'prepare rename');
    const to = r.pick(['x2', 'stem', 'in', 'conv', 'a b', '', '9x', 'relu_1', 'é']);
    const edits = step('rename', () => rename(a, p, to));
    if (Array.isArray(edits)) for (const e of edits) t.range(e.range, 'rename edit');
  }
  // hovers where the layers are
  for (const l of a.layers.slice(0, 2000).filter(() => r.chance(0.05))) {
    const h = step('hover', () => hover(a, l.range.start, s.flopsConvention, target));
    if (h) t.range(h.range, 'hover on a layer');
  }
  checkSymbols(t, step('document symbols', () => documentSymbols(a)));
  for (const f of step('folding ranges', () => foldingRanges(a.syntax, t.text))) {
    t.line(f.startLine, 'folding range');
    t.line(f.endLine, 'folding range');
  }
  const tokens = step('semantic tokens', () => semanticTokens(a.syntax));
  if (tokens.length % 5 !== 0) throw new CaseFailure('invalid-range', `semantic tokens: ${tokens.length} numbers, not a multiple of 5`);
  let line = 0, ch = 0;
  for (let i = 0; i < tokens.length; i += 5) {
    line += tokens[i];
    ch = tokens[i] === 0 ? ch + tokens[i + 1] : tokens[i + 1];
    t.pos({ line, character: ch }, 'semantic token');
    t.pos({ line, character: ch + tokens[i + 2] }, 'semantic token end');
  }
  const multiple = s.lint.channelMultiple || (target?.channelMultiple ?? 0);
  for (const f of step('quick fixes', () => quickFixes(a, t.text, diagnostics, multiple))) for (const e of f.edits) t.range(e.range, `quick fix "${f.title}"`);
  if (target) {
    step('summary', () => { const hw = hardwareView(a, target); summarize(doc, s.flopsConvention, hw); return networkMarkdown(a, hw); });
  }
}

function editorSettings(r: Rng): EditorSettings {
  return {
    ...DEFAULT_EDITOR_SETTINGS,
    batchSize: r.chance(0.7) ? 1 : r.pick([2, 64, 1 << 20, 2 ** 40]),
    dtype: r.pick(['fp32', 'fp16', 'bf16', 'int8'] as const),
    flopsConvention: r.pick(['2macs', 'exact', 'macs'] as const),
    target: r.chance(0.8) ? r.pick(TARGETS).id : 'nope',
    lint: { ...DEFAULT_EDITOR_SETTINGS.lint, channelMultiple: r.chance(0.8) ? 0 : r.pick([1, 7, 8, 1 << 30]), hotspotThreshold: r.chance(0.8) ? 25 : 0 },
    rules: r.chance(0.8) ? {} : { 'g1-unbalanced-pointwise': 'error', hotspot: 'off', 'duplicate-name': 'off' },
  };
}

/** the figures of an analysis that incremental and fresh analyses must agree on, item by item (an
 *  analysis may hold 200,000 layers: one string of all of them would cost more than the analysis) */
const summary = (a: Analysis): [string, number, (i: number) => unknown[]][] => [
  ['layer', a.layers.length, (i) => { const l = a.layers[i]; return [l.name, l.op, l.outputShape, l.params, l.macs, l.flops['2macs'], l.flops.exact, l.memoryBytes, l.foldedInto, l.biasParams, l.inputs]; }],
  ['group', a.groups.length, (i) => { const g = a.groups[i]; return [g.name, g.kind, g.macs, g.params, g.layerCount]; }],
  ['totals', 1, () => [JSON.stringify(a.totals)]],
  ['diagnostic', a.diagnostics.length, (i) => { const d = a.diagnostics[i]; return [d.code, d.severity, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.message]; }],
  ['input', a.inputs.length, (i) => [a.inputs[i].name, a.inputs[i].shape]],
  ['variable', a.variables.length, (i) => [a.variables[i].name, JSON.stringify(a.variables[i].value)]],
];

const same = (x: unknown, y: unknown): boolean =>
  x === y || (Number.isNaN(x) && Number.isNaN(y)) || (Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((v, i) => same(v, y[i])));

/** The first difference between two analyses, or null. */
function difference(x: Analysis, y: Analysis): string | null {
  const sx = summary(x), sy = summary(y);
  for (let k = 0; k < sx.length; k++) {
    const [what, nx, fx] = sx[k], [, ny, fy] = sy[k];
    for (let i = 0; i < Math.max(nx, ny); i++) {
      const a = i < nx ? fx(i) : null, b = i < ny ? fy(i) : null;
      if (!same(a, b)) return `${what} ${i} of ${nx} / ${ny}: ${JSON.stringify(a).slice(0, 300)} vs ${JSON.stringify(b).slice(0, 300)}`;
    }
  }
  return null;
}

/** The texts fed in turn to one IncrementalAnalyzer (through `analyzeDocument`, as the server does); the last one also fresh. */
export function runNet(input: NetCaseInput): CaseReport {
  const r = rng(input.probe);
  let s = editorSettings(r);
  const inc = new IncrementalAnalyzer();
  let doc: DocumentAnalysis | undefined;
  for (const text of input.texts) {
    if (r.chance(0.05)) s = editorSettings(r); // a settings change between two edits
    doc = step('analysis of an edit', () => analyzeDocument(text, s, inc));
  }
  const text = input.texts[input.texts.length - 1];
  const a = doc!.analysis;
  const fresh = step('fresh analysis', () => analyze(text, { batch: s.batchSize, dtype: s.dtype }));
  const diff = difference(a, fresh); // the test's own work: not a step of the server
  if (diff) throw new CaseFailure('mismatch', `the incremental analysis differs from a fresh one after ${input.texts.length} versions: ${diff}`);
  const t = new Text(text);
  checkDiagnostics(t, a.diagnostics, 'engine diagnostic');
  editorFeatures(a, doc!, t, s, r);
  return { codes: doc!.diagnostics.map((d) => d.code) };
}

let tmp: string | null = null;
function tempFile(bytes: Uint8Array): string {
  if (!tmp) {
    tmp = join(tmpdir(), `netcost-fuzz-${process.pid}-${threadId}`);
    mkdirSync(tmp, { recursive: true });
    process.on('exit', () => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });
  }
  const path = join(tmp, 'model.onnx');
  writeFileSync(path, bytes);
  return path;
}

/** read -> analyse -> lint of the listing -> hints, hovers and navigation on the listing. One case in 4 goes through a file and `analyzeOnnxDocument`. */
export function runOnnx(input: OnnxRunInput): CaseReport {
  const r = rng(input.probe);
  const s: EditorSettings = { ...editorSettings(r), batchSize: input.batch ?? 1, dtype: input.dtype ?? 'fp32', onnx: { dims: input.dims ?? {} } };
  let doc: DocumentAnalysis;
  if (r.chance(0.25)) doc = step('ONNX file analysis', () => analyzeOnnxDocument(tempFile(input.bytes), 'fuzz.onnx', s));
  else {
    const model = step('ONNX read', () => readModel(bytesSource(input.bytes)));
    const analysis = step('ONNX analysis', () => analyzeOnnx(model, { batch: input.batch, dims: input.dims, dtype: input.dtype }, 'fuzz.onnx'));
    const listing = analysis.onnx.listing.text;
    let diagnostics: Diagnostic[] | undefined;
    doc = { analysis, get diagnostics() { return (diagnostics ??= [...analysis.diagnostics, ...lint(analyze(listing, analysis.settings), listing, { target: activeTarget(s).target })]); } };
  }
  const a = doc.analysis;
  const t = new Text((a as ReturnType<typeof analyzeOnnx>).onnx.listing.text);
  checkDiagnostics(t, a.diagnostics, 'model diagnostic');
  for (const l of a.layers) t.range(l.range, `layer ${l.name}`);
  editorFeatures(a, doc, t, s, r);
  return { codes: doc.diagnostics.map((d) => d.code) };
}
