// The analysis of a `.net` file: resolves names, expands blocks and repeats, infers every layer's
// shape, costs it, folds batch norms, scales by batch and dtype, and totals. Pure data in, data out:
// `analyze(text, settings)` never throws for any input; every problem is a diagnostic with a range.
import { isStackOverflow, parse } from '../syntax/parser';
import type { Expr, GenericOp, Ident, OpCall, ParsedFile, Ref, Stmt } from '../syntax/ast';
import { byStart, type Range } from '../syntax/lexer';
import { AnalysisError, Env, evaluate, evalNumber, fmtValue, grouped, Trail, type Value } from './values';
import { checkArg, findOp, formatShape, genericCost, GENERIC_SPEC, OP_NAMES, type ArgSpec, type Args, type Cost, type OpSpec } from './ops';
import { add, add2, elems, mul2 } from './exact';
import { bytesOver, LIMIT_DEFAULTS, limitMessage, resolveLimits, type Limits } from './limits';

export type Dtype = 'fp32' | 'fp16' | 'bf16' | 'int8';
export const DTYPE_BYTES: Record<Dtype, number> = { fp32: 4, fp16: 2, bf16: 2, int8: 1 };
export type FlopsConvention = '2macs' | 'exact' | 'macs';
export const FLOPS_CONVENTIONS: FlopsConvention[] = ['2macs', 'exact', 'macs'];
/** how a convention is named where figures are shown (`... FLOPs (2*MACs convention)`) */
export const CONVENTION_NAME: Record<FlopsConvention, string> = { '2macs': '2*MACs', exact: 'exact', macs: 'MACs' };

export interface Settings {
  batch: number;
  dtype: Dtype;
  /** values that replace top-level variables of the file (`--set alpha=0.5`) */
  overrides?: Record<string, number>;
  /** the limits against runaway inputs (limits.ts); missing or invalid ones take their defaults */
  limits?: Partial<Limits>;
}
export const DEFAULT_SETTINGS: Settings = { batch: 1, dtype: 'fp32' };

export type Severity = 'error' | 'warning' | 'info';
export interface Diagnostic { range: Range; severity: Severity; code: string; message: string }

export interface Figures {
  params: number;
  macs: number;
  flops: Record<FlopsConvention, number>;
  memoryBytes: number;
  weightBytes: number;
}

export interface Layer extends Figures {
  /** stable path name: `conv_3`, `layer1.0.conv_2`, `stem.bn` */
  name: string;
  op: string;
  /** range of the op in the source (inside a block: in the block's body) */
  range: Range;
  /** range of the statement that produced it at the top level (a block use, a repeat, or the layer itself) */
  useRange: Range;
  inputs: string[];
  /** per-sample shapes of the inputs, in `inputs` order */
  inputShapes: number[][];
  /** the evaluated arguments: positional ones under their names (`C_out`), options under theirs (`k`, `g`) */
  attrs: Record<string, Value>;
  outputShape: number[];
  /** all outputs (several for `split`), per sample */
  outputs: number[][];
  trainingParams: number;
  /** elements of the output feature maps, batch included */
  activations: number;
  /** the per-sample cost (batch 1) after folding */
  cost: Cost;
  /** a folded batch norm names the layer it folded into */
  foldedInto: string | null;
  /** a conv or linear layer that gained a bias from a folded batch norm */
  biasFromBn: boolean;
  /** bias elements in `params` (a conv's own bias or one gained from a folded batch norm) */
  biasParams: number;
  /** block instance this layer belongs to, innermost first (`layer1.0`, `layer1`) */
  groups: string[];
  /** (optional, issue 7) per input in `inputs` order: the index in `layers` of the layer that produced it, -1 for a
   *  network input (ONNX: also a weight); the peak-memory walk reads it. Shared with the evaluator: do not mutate */
  inputLayers?: number[];
}

export interface Group extends Figures {
  name: string;
  /** block name, or `repeat` */
  kind: string;
  range: Range;
  outputShape: number[];
  layerCount: number;
}

export interface Variable { name: string; value: Value; range: Range; overridden: boolean }

export interface Analysis {
  settings: Settings;
  inputs: { name: string; shape: number[]; range: Range }[];
  layers: Layer[];
  groups: Group[];
  variables: Variable[];
  diagnostics: Diagnostic[];
  totals: Figures & { trainingParams: number; activations: number };
  syntax: ParsedFile;
  /** how many layer costs this analysis computed (the rest came from the cache) */
  evaluations: number;
  /** set on the analysis of an ONNX model (onnx/analyze.ts): its shapes include the batch */
  onnx?: import('../onnx/analyze').OnnxInfo;
}

/** A layer's validated arguments (one object, no closures: built for every layer on every run). */
class ArgValues implements Args {
  constructor(readonly positional: Value[], private readonly options: Record<string, Value>, readonly bnFollows: boolean, readonly attrs: Record<string, Value>) {}
  get(name: string): Value | undefined { return this.options[name]; }
}

const NO_FLOPS: Record<FlopsConvention, number> = Object.freeze({ '2macs': 0, exact: 0, macs: 0 });

/** the default limits (limits.ts); an analysis takes its own from `Settings.limits` */
export const LIMITS = LIMIT_DEFAULTS;

// ---- scopes and bindings
interface Binding {
  outputs: number[][] | null; // null: broken (an error upstream)
  layer: number; // index into layers, -1 for a network input
  range: Range;
  brokenAt?: Range; // where the error that broke it sits
  chainEnd?: string; // an op inside a one-line chain: the name of the line's output
}

class Scope {
  readonly names = new Map<string, Binding>();
  readonly counters = new Map<string, number>();
  prev: Binding | null = null;
  /** set on the root scope, whose writes must be undoable */
  trail: Trail | null = null;
  constructor(readonly prefix: string, readonly env: Env, readonly parent: Scope | null, public statements: Stmt[]) {}
  lookup(name: string): Binding | undefined { return this.names.get(name) ?? this.parent?.lookup(name); }
  setName(name: string, b: Binding) { if (this.trail) this.trail.set(this.names, name, b); else this.names.set(name, b); }
  ordinal(key: string): number {
    const n = (this.counters.get(key) ?? 0) + 1;
    if (this.trail) this.trail.set(this.counters, key, n); else this.counters.set(key, n);
    return n;
  }
}

/** The evaluator's state before a top-level statement, what `resume` rolls back to: these counts, in
 *  this order, MARK_SIZE numbers per statement in one flat array (no object per statement). */
const MARK_SIZE = 8; // recs, groups, diagnostics, inputs, variables, trail, iterations, limitHit
/** running sums per layer: params, MACs, FLOPs (2macs, exact, macs), memory, weights, training params, activations */
const SUMS = 9;
/** scratch for one layer's sums in finish(): checked in full before any is stored */
const ROW = new Float64Array(SUMS);

interface LayerRec {
  /** its index in `recs` */
  idx: number;
  layer: Layer;
  /** the cost and bias before batch-norm folding (folding is redone from them on every run) */
  base: Cost;
  baseHasBias: boolean;
  spec: OpSpec;
  inputIdx: number[];
  /** the cost object the layer's figure fields were scaled from; they are kept while it stays the same */
  figuresOf?: Cost;
  /** the folded cost derived from `foldedFrom` (a folded batch norm's zero cost, or a conv with the gained bias) */
  foldedCost?: Cost;
  foldedFrom?: Cost;
  foldedFor?: string;
  hasBias: boolean;
  pad0: boolean;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

function suggest(word: string, candidates: Iterable<string>): string {
  let best = '';
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word, c);
    if (dist < bestD) { best = c; bestD = dist; }
  }
  return bestD <= Math.max(1, Math.floor(word.length / 3)) ? ` (did you mean \`${best}\`?)` : '';
}

/**
 * Layer costs computed by earlier analyses, keyed by what they depend on (op, arguments, input
 * shapes). Keep one per document and pass it to every analysis of that document: an edit then
 * re-evaluates only the layers whose key changed. Costs are per sample, so batch and dtype changes
 * reuse them too.
 */
export class CostCache {
  readonly costs = new Map<string, { cost: Cost; generation: number }>();
  /** advanced by every fresh analysis; entries not used by the last one are pruned when they pile up */
  generation = 0;
  /** drops the entries the current generation did not use */
  prune() { for (const [k, v] of this.costs) if (v.generation !== this.generation) this.costs.delete(k); }
}

export function analyze(text: string, settings: Settings = DEFAULT_SETTINGS, cache = new CostCache()): Analysis {
  const bytes = bytesOver(text, resolveLimits(settings.limits).fileSize);
  if (bytes >= 0) return tooLargeFile(bytes, settings, text.indexOf('\n'));
  return new Evaluator(parse(text), settings, cache).run();
}

/** A declared shape (an input's, a generic op's outputs): positive whole numbers whose product stays within
 *  2^53. A dim or an element count beyond it is `too-large`, reported rather than rounded. */
function checkShape(shape: number[], what: string, range: Range): number[] {
  if (shape.some((d) => Number.isInteger(d) && d > Number.MAX_SAFE_INTEGER))
    throw new AnalysisError('too-large', `${what} shape has a dim beyond 2^53 (${grouped(Number.MAX_SAFE_INTEGER)}), where whole numbers are no longer exact`, range);
  if (shape.some((d) => !Number.isSafeInteger(d) || d <= 0))
    throw new AnalysisError('bad-shape', `${what} shape is made of positive whole numbers, got ${fmtValue(shape)}`, range);
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n))
      throw new AnalysisError('too-large', `${what} shape of ${formatShape(shape)} has more than 2^53 (${grouped(Number.MAX_SAFE_INTEGER)}) elements, beyond exact integer range`, range);
  }
  return shape;
}

/** The analysis of a file over the `fileSize` limit (`bytes` long): not parsed, one `limit` error on line 1.
 *  `lineEnd`: where the first line ends (-1: unknown, the range is empty). The CLI calls it without reading the file. */
export function tooLargeFile(bytes: number, settings: Settings, lineEnd = -1): Analysis {
  const limit = resolveLimits(settings.limits).fileSize;
  const range: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: Math.max(0, lineEnd) } };
  const message = limitMessage(`a file of ${grouped(bytes)} bytes, more than ${grouped(limit)}`, 'fileSize') + '; the file is not analysed';
  const zero: Figures = { params: 0, macs: 0, flops: { ...NO_FLOPS }, memoryBytes: 0, weightBytes: 0 };
  return {
    settings, inputs: [], layers: [], groups: [], variables: [],
    diagnostics: [{ range, severity: 'error', code: 'limit', message }],
    totals: { ...zero, trainingParams: 0, activations: 0 }, syntax: parse(''), evaluations: 0,
  };
}

export class Evaluator {
  private readonly recs: LayerRec[] = [];
  private readonly groups: { name: string; kind: string; range: Range; start: number; end: number; output: number[] | null }[] = [];
  private readonly diagnostics: Diagnostic[] = [];
  private readonly blocks = new Map<string, Extract<Stmt, { kind: 'block' }>>();
  private readonly inputs: Analysis['inputs'] = [];
  private readonly variables: Variable[] = [];
  private readonly active: string[] = []; // blocks being expanded, for recursion and depth checks
  private readonly groupStack: string[] = [];
  private useRange: Range | null = null;
  private readonly noted = new Set<string>();
  private limitHit = false;
  private iterations = 0; // repeat iterations, bounded: nested repeats that build nothing still cost time
  private repeats = 0; // repeats being expanded: with `active`, the nesting the `depth` limit bounds
  private readonly limits: Limits;

  private evaluations = 0;
  private readonly trail = new Trail();
  private marks = new Float64Array(0);
  private readonly markPrev: (Binding | null)[] = [];
  /** how many statements have marks */
  private marked = 0;
  /** the first top-level statement whose analysis read statements below it (a forward reference) */
  private lookahead = Infinity;
  private topIndex = 0;
  private root!: Scope;
  constructor(private file: ParsedFile, readonly settings: Settings, private readonly cache: CostCache) {
    this.limits = resolveLimits(settings.limits);
  }

  run(): Analysis {
    const env: Env = new Env(null, (n, r, axis): number => this.dimOf(root, n, r, axis));
    const root: Scope = new Scope('', env, null, this.file.statements);
    env.trail = root.trail = this.trail;
    this.root = root;
    for (const s of this.file.statements) {
      if (s.kind === 'block') {
        if (this.blocks.has(s.name.text) || findOp(s.name.text))
          this.error(s.name.range, 'duplicate-name', findOp(s.name.text) ? `\`${s.name.text}\` is a layer kind; a block cannot take its name` : `block \`${s.name.text}\` is defined twice`);
        else this.blocks.set(s.name.text, s);
      }
      if (s.kind === 'def') env.setFn(s.name.text, { params: s.params, body: s.body, env });
    }
    this.cache.generation++;
    this.from(0);
    if (this.cache.costs.size > 2 * this.recs.length + 1000) this.cache.prune();
    return this.finish();
  }

  /**
   * Re-analyses `file`, whose first `k` top-level statements are the very ones (same objects) this
   * evaluator has analysed, and whose blocks and functions are unchanged: rolls back to statement `k`
   * and evaluates from there. Returns null when that is not safe (then run a fresh evaluator).
   */
  resume(file: ParsedFile, k: number): Analysis | null {
    k = Math.min(k, this.lookahead);
    if (!this.root || k > this.marked) return null;
    if (k === this.marked) this.mark(k); // appended statements: the state after the last one
    const m = k * MARK_SIZE;
    const at = this.marks;
    this.truncateRecs(at[m]);
    this.groups.length = at[m + 1];
    this.diagnostics.length = at[m + 2];
    this.inputs.length = at[m + 3];
    this.variables.length = at[m + 4];
    this.trail.undo(at[m + 5]);
    this.iterations = at[m + 6];
    this.limitHit = at[m + 7] === 1;
    this.root.prev = this.markPrev[k];
    this.marked = k;
    this.file = file;
    this.root.statements = file.statements;
    this.evaluations = 0;
    this.lookahead = Infinity;
    this.from(k);
    return this.finish();
  }

  /** The enclosing block uses and repeats, innermost first; one shared array while they do not change. */
  private groupsNow(): string[] {
    return (this.groupsArr ??= [...this.groupStack].reverse());
  }
  private groupsArr: string[] | null = null; // reset whenever groupStack changes

  /** Records the state before top-level statement `i`. */
  private mark(i: number) {
    const m = i * MARK_SIZE;
    if (m + MARK_SIZE > this.marks.length) {
      const grown = new Float64Array(Math.max(2 * this.marks.length, m + MARK_SIZE, 1024));
      grown.set(this.marks);
      this.marks = grown;
    }
    const at = this.marks;
    at[m] = this.recs.length;
    at[m + 1] = this.groups.length;
    at[m + 2] = this.diagnostics.length;
    at[m + 3] = this.inputs.length;
    at[m + 4] = this.variables.length;
    at[m + 5] = this.trail.length;
    at[m + 6] = this.iterations;
    at[m + 7] = this.limitHit ? 1 : 0;
    this.markPrev[i] = this.root.prev;
    this.marked = i;
  }

  /** Evaluates the top-level statements from index `k`, marking the state before each. */
  private from(k: number) {
    const stmts = this.file.statements;
    for (let i = k; i < stmts.length; i++) {
      this.mark(i);
      this.topIndex = i;
      this.statement(stmts[i], this.root);
    }
    this.marked = stmts.length;
  }

  // ---- diagnostics
  private error(range: Range, code: string, message: string, severity: Severity = 'error') {
    const key = `${range.start.line}:${range.start.character}:${code}:${message}`;
    if (this.noted.has(key)) return; // a block used many times reports its error once
    this.trail.add(this.noted, key);
    this.diagnostics.push({ range, severity, code, message });
  }
  private fail(e: unknown, fallback: Range): Range {
    if (isStackOverflow(e)) e = new AnalysisError('limit', 'nested too deeply to evaluate', fallback);
    if (!(e instanceof AnalysisError)) throw e;
    const range = e.range ?? fallback;
    this.error(range, e.code, e.message);
    return range;
  }

  // ---- statements
  private statements(scope: Scope) {
    for (const s of scope.statements) this.statement(s, scope);
  }

  private statement(s: Stmt, scope: Scope) {
    if (this.limitHit) return;
    const top = scope.parent === null && this.active.length === 0;
    if (top) this.useRange = s.range;
    try {
      switch (s.kind) {
        case 'var': {
          const override = top ? this.settings.overrides?.[s.name.text] : undefined;
          const value = override ?? evaluate(s.value, scope.env);
          if (typeof value === 'string') throw new AnalysisError('unknown-name', `unknown name \`${value}\``, s.value.range);
          scope.env.setVar(s.name.text, value);
          if (top) this.variables.push({ name: s.name.text, value, range: s.range, overridden: override !== undefined });
          return;
        }
        case 'def':
          if (!top) scope.env.setFn(s.name.text, { params: s.params, body: s.body, env: scope.env });
          return;
        case 'block':
          if (!top) this.error(s.name.range, 'nested-block', 'blocks are defined at the top level of the file');
          return;
        case 'input':
          // ignored where it stands: the body goes on reading `in` (or the layer above the repeat)
          if (!top) return this.error(s.range, 'nested-input', 'inputs are declared at the top level of the file; a block body reads `in`');
          return this.input(s, scope);
        case 'layer': return this.layerStmt(s, scope);
        case 'repeat': return this.repeat(s, scope);
        case 'when':
          if (evalNumber(s.cond, scope.env) !== 0) this.statement(s.body, scope);
          return;
      }
    } catch (e) {
      const at = this.fail(e, s.range);
      if (s.kind === 'layer' || s.kind === 'repeat' || s.kind === 'input') {
        const broken: Binding = { outputs: null, layer: -1, range: s.range, brokenAt: at };
        scope.prev = broken;
        if (s.name) this.bind(scope, s.name, broken);
      }
    }
  }

  private bind(scope: Scope, name: Ident | string, b: Binding) {
    const text = typeof name === 'string' ? name : name.text;
    if (scope.names.has(text) && typeof name !== 'string') {
      this.error(name.range, 'duplicate-name', `\`${text}\` is already defined in this scope`);
    }
    scope.setName(text, b);
  }

  private input(s: Extract<Stmt, { kind: 'input' }>, scope: Scope) {
    const v = evaluate(s.shape, scope.env);
    if (typeof v === 'string') throw new AnalysisError('unknown-name', `unknown name \`${v}\``, s.shape.range);
    const shape = checkShape(Array.isArray(v) ? v : [v], 'an input', s.shape.range);
    const name = s.name?.text ?? 'input';
    this.inputs.push({ name, shape, range: s.range });
    const b: Binding = { outputs: [shape], layer: -1, range: s.range };
    this.bind(scope, s.name ?? name, b);
    scope.prev = b;
  }

  private resolve(ref: Ref, scope: Scope): Binding {
    const b = scope.lookup(ref.name);
    if (!b) {
      const later = this.definedLater(ref, scope);
      if (later) throw later;
      const names = [...this.visibleNames(scope)];
      throw new AnalysisError('unknown-name', `unknown layer \`${ref.name}\`${suggest(ref.name, names)}`, ref.range);
    }
    if (b.chainEnd && !ref.name.includes('.')) { // `stem.conv` is deliberate; `conv_3` is the usual slip
      const end = b.chainEnd.split('.').pop();
      this.error(ref.range, 'chain-interior', `\`${ref.name}\` is an op inside a one-line chain (line ${b.range.start.line + 1}), not the line's output \`${end}\`; name the line and read that name`, 'warning');
    }
    if (b.outputs && ref.index !== null && ref.index >= b.outputs.length)
      throw new AnalysisError('bad-value', `\`${ref.name}\` has ${b.outputs.length} output(s); [${ref.index}] is out of range`, ref.range);
    return b;
  }

  private *visibleNames(scope: Scope | null): Generator<string> {
    for (; scope; scope = scope.parent) yield* scope.names.keys();
  }

  /** A reference to a name defined further down: a cycle if that layer depends back on this one. */
  private definedLater(ref: Ref, scope: Scope): AnalysisError | null {
    this.lookahead = Math.min(this.lookahead, this.topIndex); // this statement's result depends on later ones
    const stmts = scope.statements;
    const nameOf = (s: Stmt) => (s.kind === 'layer' || s.kind === 'repeat' || s.kind === 'input' ? s.name?.text ?? null : null);
    const target = stmts.findIndex((s) => nameOf(s) === ref.name);
    const here = stmts.findIndex((s) => s.range.start.line === ref.range.start.line && s.range.start.character <= ref.range.start.character && (s.range.end.line > ref.range.end.line || s.range.end.character >= ref.range.end.character));
    if (target < 0 || here < 0) return null;
    // dependencies of statement i: its `from` names, or the statement above it
    const deps = (i: number): number[] => {
      const s = stmts[i];
      if (s.kind === 'layer' && s.from) return s.from.map((r) => stmts.findIndex((t) => nameOf(t) === r.name)).filter((j) => j >= 0);
      return i > 0 ? [i - 1] : [];
    };
    const path: number[] = [];
    const seen = new Set<number>();
    const reaches = (i: number): boolean => {
      if (i === here) return true;
      if (seen.has(i)) return false;
      seen.add(i);
      path.push(i);
      if (deps(i).some(reaches)) return true;
      path.pop();
      return false;
    };
    const label = (i: number) => nameOf(stmts[i]) ?? `line ${stmts[i].range.start.line + 1}`;
    if (reaches(target)) {
      const cycle = [here, ...path, here].map(label).join(' -> ');
      return new AnalysisError('cycle', `\`${ref.name}\` is defined below and depends on this layer: a cycle (${cycle} reads ...)`, ref.range);
    }
    return new AnalysisError('forward-reference', `\`${ref.name}\` is defined further down (line ${stmts[target].range.start.line + 1}); a layer reads only layers above it`, ref.range);
  }

  private layerStmt(s: Extract<Stmt, { kind: 'layer' }>, scope: Scope) {
    let ins: Binding[];
    if (s.from) ins = s.from.map((r) => this.pick(this.resolve(r, scope), r.index));
    else if (scope.prev) ins = [this.pick(scope.prev, null)];
    else throw new AnalysisError('no-input', 'no input above this layer: declare one first (`input image: 3 x 224 x 224`) or name it with `from`', s.ops[0].op.range);
    const broken = ins.find((b) => !b.outputs);
    if (broken) {
      const key = `skip:${broken.brokenAt?.start.line}:${broken.brokenAt?.start.character}`;
      if (broken.brokenAt && !this.noted.has(key)) {
        this.trail.add(this.noted, key);
        this.error(s.range, 'skipped', `not analysed: its input has an error on line ${broken.brokenAt.start.line + 1}`, 'info');
      }
      const b: Binding = { outputs: null, layer: -1, range: s.range, brokenAt: broken.brokenAt };
      if (s.name) this.bind(scope, s.name, b);
      scope.prev = b;
      return;
    }
    if (s.generic) {
      const b = this.genericLayer(s.ops[0], s.generic, ins, scope, s.name?.text ?? null);
      if (s.name) this.bind(scope, s.name, b);
      scope.prev = b;
      return;
    }
    let current = ins;
    let last: Binding | null = null;
    const interior: Binding[] = [];
    s.ops.forEach((call, i) => {
      const isLast = i === s.ops.length - 1;
      const explicit = s.name && isLast ? s.name : null;
      const subName = s.name && !isLast ? `${s.name.text}.${findOp(call.op.text)?.name ?? call.op.text}` : null;
      const bnFollows = findOp(s.ops[i + 1]?.op.text ?? '')?.name === 'bn';
      const b = this.blocks.has(call.op.text)
        ? this.blockUse(call, current[0], scope, explicit?.text ?? subName, current.length)
        : this.layer(call, current, scope, explicit?.text ?? subName, bnFollows);
      if (explicit) this.bind(scope, explicit, b);
      else if (subName) this.bind(scope, subName, b);
      current = [this.pick(b, null)];
      last = b;
      if (!isLast) interior.push(b);
    });
    const out = last as Binding | null;
    if (out && out.layer >= 0) for (const b of interior) b.chainEnd = this.recs[out.layer].layer.name;
    if (s.expect && out?.outputs) {
      const v = evaluate(s.expect, scope.env);
      if (typeof v === 'string') throw new AnalysisError('unknown-name', `unknown name \`${v}\``, s.expect.range);
      const want = Array.isArray(v) ? v : [v];
      const got = out.outputs[0];
      if (want.some((d) => Number.isInteger(d) && d > Number.MAX_SAFE_INTEGER))
        this.error(s.expect.range, 'too-large', `the asserted shape has a dim beyond 2^53 (${grouped(Number.MAX_SAFE_INTEGER)}), where whole numbers are no longer exact`);
      else if (want.length !== got.length || want.some((d, i) => d !== got[i]))
        this.error(s.expect.range, 'shape-assertion', `expected ${formatShape(want)}, but the output is ${formatShape(got)}`);
    }
    scope.prev = out;
  }

  /** The binding of one output (`parts[1]`); the chain reads output 0. */
  private pick(b: Binding, index: number | null): Binding {
    if (!b.outputs || b.outputs.length === 1) return b;
    return { ...b, outputs: [b.outputs[index ?? 0]] };
  }

  private layer(call: OpCall, ins: Binding[], scope: Scope, name: string | null, bnFollows: boolean): Binding {
    const spec = findOp(call.op.text);
    if (!spec) {
      const known = [...OP_NAMES, ...this.blocks.keys()];
      throw new AnalysisError('unknown-op', `unknown layer kind \`${call.op.text}\`${suggest(call.op.text, known)}`, call.op.range);
    }
    if (spec.inputs === 1 && ins.length !== 1)
      throw new AnalysisError('bad-inputs', `${spec.name} takes one input, got ${ins.length}`, call.range);
    if (spec.inputs === 2 && ins.length < 2)
      throw new AnalysisError('bad-inputs', `${spec.name} takes two or more inputs: name them with \`from a, b\``, call.range);
    const args = this.args(call, spec, scope.env, bnFollows);
    this.checkLayerLimit(call.range);
    let cost: Cost;
    const inputShapes = ins.map((b) => b.outputs![0]);
    // early cutoff: a layer whose kind, arguments and input shapes are unchanged reuses its cost
    let key = `${spec.name}|${args.bnFollows}|`;
    for (const k in args.attrs) key += `${k}=${args.attrs[k]};`;
    for (const s of inputShapes) key += `|${s.join('x')}`;
    try {
      cost = this.cachedCost(key, () => spec.apply(args, inputShapes));
    } catch (e) {
      if (e instanceof AnalysisError && !e.range) throw new AnalysisError(e.code, e.message, call.range);
      throw e;
    }
    for (const o of cost.outputs) {
      if (o.some((d) => !Number.isSafeInteger(d) || d <= 0))
        throw new AnalysisError('empty-output', `${spec.name}: output shape ${formatShape(o)} has a non-positive size`, call.range);
    }
    const ordinal = scope.ordinal(spec.name); // named layers count too: `conv_3` is the third conv
    const local = name ?? `${spec.name}_${ordinal}`;
    const p = args.get('p');
    const hasBias = args.get('bias') === undefined ? !bnFollows : args.get('bias') === 'true';
    const pad0 = p === undefined || p === 'valid' || p === 0 || (Array.isArray(p) && p.every((v) => v === 0));
    return this.addLayer(spec, cost, hasBias, pad0, args.attrs, ins, inputShapes, call, scope, local, name);
  }

  private checkLayerLimit(range: Range) {
    if (this.recs.length < this.limits.layers) return;
    this.limitHit = true;
    throw new AnalysisError('limit', limitMessage(`more than ${grouped(this.limits.layers)} layers`, 'layers') + '; the rest of the file is not analysed', range);
  }

  /** The cost under `key` from the document's cache, else computed (and counted in `evaluations`). */
  private cachedCost(key: string, compute: () => Cost): Cost {
    const cached = this.cache.costs.get(key);
    if (cached) {
      cached.generation = this.cache.generation;
      return cached.cost;
    }
    const cost = compute();
    this.evaluations++;
    this.cache.costs.set(key, { cost, generation: this.cache.generation });
    return cost;
  }

  /** Records a layer (its figures are set by finish()) and binds its default name when it has no name of its own. */
  private addLayer(spec: OpSpec, cost: Cost, hasBias: boolean, pad0: boolean, attrs: Record<string, Value>, ins: Binding[], inputShapes: number[][],
    call: OpCall, scope: Scope, local: string, name: string | null): Binding {
    const inputIdx = ins.map((b) => b.layer);
    const rec: LayerRec = {
      idx: this.recs.length, spec, base: cost, baseHasBias: hasBias, hasBias, pad0,
      inputIdx,
      layer: {
        name: scope.prefix + local, op: spec.name, range: call.range, useRange: this.useRange ?? call.range,
        inputs: ins.map((b) => (b.layer >= 0 ? this.recs[b.layer].layer.name : this.inputName(b))),
        inputShapes, attrs,
        outputShape: cost.outputs[0], outputs: cost.outputs, trainingParams: cost.trainingParams, cost,
        foldedInto: null, biasFromBn: false, biasParams: 0, groups: this.groupsNow(), inputLayers: inputIdx,
        // the figures, set by finish(); declared here so every layer object has one shape
        params: 0, macs: 0, flops: NO_FLOPS, memoryBytes: 0, weightBytes: 0, activations: 0,
      },
    };
    this.addRec(rec);
    const b: Binding = { outputs: cost.outputs, layer: this.recs.length - 1, range: call.range };
    if (!name) this.bind(scope, local, b);
    return b;
  }

  /** `op "Erf"(a, b) -> shape`: zero cost; its outputs are the declared shapes, else its first input's
   *  shape (a scalar without inputs). One `generic-op` note per op type and file. */
  private genericLayer(call: OpCall, g: GenericOp, ins: Binding[], scope: Scope, name: string | null): Binding {
    const outputs = g.shapes.length ? g.shapes.map((e) => this.declaredShape(e, scope)) : [ins.length ? ins[0].outputs![0] : []];
    this.checkLayerLimit(call.range);
    const key = `generic-op ${g.type}`;
    if (!this.noted.has(key)) {
      this.trail.add(this.noted, key);
      this.error(g.typeRange, 'generic-op', `\`${g.type}\` has no kind in the .net language: its cost is counted as zero`, 'info');
    }
    // a stable cost object per op type and shapes: unchanged lines keep their figures across edits
    let cacheKey = `op|${g.type.length}:${g.type}`;
    for (const o of outputs) cacheKey += `|${o.join('x')}`;
    const cost = this.cachedCost(cacheKey, () => genericCost(g.type, outputs));
    const local = name ?? `${GENERIC_SPEC.name}_${scope.ordinal(GENERIC_SPEC.name)}`;
    if (name) scope.ordinal(GENERIC_SPEC.name); // named layers count too
    return this.addLayer(GENERIC_SPEC, cost, false, true, { type: g.type }, ins, ins.map((b) => b.outputs![0]), call, scope, local, name);
  }

  /** A declared output shape (`-> 3 x 4`): positive whole numbers. */
  private declaredShape(e: Expr, scope: Scope): number[] {
    const v = evaluate(e, scope.env);
    if (typeof v === 'string') throw new AnalysisError('unknown-name', `unknown name \`${v}\``, e.range);
    return checkShape(Array.isArray(v) ? v : [v], 'an output', e.range);
  }

  private inputName(b: Binding): string {
    return this.inputs.find((i) => i.range === b.range)?.name ?? 'input';
  }

  private args(call: OpCall, spec: OpSpec, env: Env, bnFollows: boolean): Args {
    const positional: Value[] = [];
    const options: Record<string, Value> = {};
    for (const a of call.args) {
      const v = evaluate(a.value, env);
      if (a.key) {
        const key = a.key.text;
        const o = spec.options.find((x) => x.name === key);
        if (!o) {
          const names = spec.options.map((x) => x.name);
          throw new AnalysisError('unknown-option', `${spec.name} has no option \`${key}\`${names.length ? `; its options: ${names.join(', ')}` : ''}`, a.key.range);
        }
        if (options[o.name] !== undefined) throw new AnalysisError('duplicate-option', `\`${o.name}\` is given twice`, a.key.range);
        options[o.name] = this.checkedArg(o, v, spec.name, a.value);
      } else {
        const o = spec.positional[Math.min(positional.length, spec.positional.length - 1)];
        if (!o || (positional.length >= spec.positional.length && !spec.variadic))
          throw new AnalysisError('too-many-args', `${spec.name} takes ${spec.positional.length ? `${spec.positional.length} positional argument(s) (${spec.positional.map((x) => x.name).join(', ')})` : 'no positional argument'}; options are written \`key=value\``, a.range);
        positional.push(this.checkedArg(o, v, spec.name, a.value));
      }
    }
    if (positional.length < spec.required) {
      const missing = spec.positional.slice(positional.length).map((x) => `${x.name} (${x.doc})`).join(', ');
      throw new AnalysisError('missing-arg', `${spec.name} needs ${missing}`, call.range);
    }
    const attrs: Record<string, Value> = { ...options };
    for (let i = 0; i < positional.length; i++) {
      const key = spec.positional[Math.min(i, spec.positional.length - 1)].name;
      attrs[key] = spec.variadic && i >= spec.positional.length - 1 ? [...((attrs[key] as number[] | undefined) ?? []), positional[i] as number] : positional[i];
    }
    return new ArgValues(positional, options, bnFollows, attrs);
  }

  /** Validates one argument; an error without a range gets the argument's. */
  private checkedArg(spec: ArgSpec, v: Value, op: string, at: Expr): Value {
    try { return checkArg(spec, v, op); } catch (e) {
      if (e instanceof AnalysisError && !e.range) throw new AnalysisError(e.code, e.message, at.range);
      throw e;
    }
  }

  // ---- blocks and repeats
  private blockUse(call: OpCall, input: Binding, scope: Scope, name: string | null, inputCount: number, fullName?: string): Binding {
    const def = this.blocks.get(call.op.text)!;
    if (inputCount !== 1) throw new AnalysisError('bad-inputs', `block \`${def.name.text}\` takes one input (\`in\`), got ${inputCount}`, call.range);
    if (this.active.includes(def.name.text))
      throw new AnalysisError('recursive-block', `block \`${def.name.text}\` uses itself (${[...this.active, def.name.text].join(' -> ')})`, call.op.range);
    this.checkDepth(call.op.range);
    const ordinal = scope.ordinal(def.name.text);
    const local = name ?? `${def.name.text}_${ordinal}`;
    const path = fullName ?? scope.prefix + local;
    // parameters: positional, then keywords, then defaults (which may read earlier parameters)
    const env: Env = new Env(this.rootEnv(scope), (n, r, axis): number => this.dimOf(inner, n, r, axis));
    const given = new Map<string, Value>();
    let pos = 0;
    for (const a of call.args) {
      const v = evaluate(a.value, scope.env);
      const p = a.key ? def.params.find((q) => q.name.text === a.key!.text) : def.params[pos++];
      if (!p) {
        throw a.key
          ? new AnalysisError('unknown-option', `block \`${def.name.text}\` has no parameter \`${a.key.text}\`; its parameters: ${def.params.map((q) => q.name.text).join(', ') || 'none'}`, a.key.range)
          : new AnalysisError('too-many-args', `block \`${def.name.text}\` takes ${def.params.length} argument(s)`, a.range);
      }
      if (given.has(p.name.text)) throw new AnalysisError('duplicate-option', `parameter \`${p.name.text}\` is given twice`, a.range);
      given.set(p.name.text, v);
    }
    const inner: Scope = new Scope(path + '.', env, null, def.body);
    inner.names.set('in', input);
    inner.prev = input;
    for (const p of def.params) {
      const v = given.get(p.name.text) ?? (p.default ? evaluate(p.default, env) : undefined);
      if (v === undefined) throw new AnalysisError('missing-arg', `block \`${def.name.text}\` needs \`${p.name.text}\``, call.range);
      env.setVar(p.name.text, v);
    }
    const start = this.recs.length;
    this.active.push(def.name.text);
    this.groupStack.push(path);
    this.groupsArr = null;
    try {
      this.statements(inner);
    } finally {
      this.active.pop();
      this.groupStack.pop();
      this.groupsArr = null;
    }
    const out = inner.prev ?? input;
    this.groups.push({ name: path, kind: def.name.text, range: call.range, start, end: this.recs.length, output: out.outputs?.[0] ?? null });
    if (!out.outputs) {
      this.error(call.range, 'block-error', `block \`${def.name.text}\` has an error (line ${(out.brokenAt ?? def.range).start.line + 1})`);
      return { ...out, brokenAt: call.range };
    }
    return out.layer === -1 && out === input ? input : { outputs: out.outputs, layer: out.layer, range: call.range };
  }

  /** The `depth` limit, before entering a block use or a repeat body. */
  private checkDepth(range: Range) {
    const d = this.active.length + this.repeats;
    if (d >= this.limits.depth)
      throw new AnalysisError('limit', limitMessage(`blocks and repeats nested ${grouped(d + 1)} deep, more than ${grouped(this.limits.depth)}`, 'depth'), range);
  }

  private rootEnv(scope: Scope): Env {
    let e = scope.env;
    while (e.parent) e = e.parent;
    return e;
  }

  private dimOf(scope: Scope, name: string, range: Range, axis: number): number {
    const b = scope.lookup(name);
    if (!b) throw new AnalysisError('unknown-name', `unknown layer \`${name}\``, range);
    if (!b.outputs) throw new AnalysisError('skipped', `\`${name}\` has an error`, range);
    const s = b.outputs[0];
    const i = axis < 0 ? axis + s.length : axis;
    if (!Number.isInteger(i) || i < 0 || i >= s.length) throw new AnalysisError('bad-value', `\`${name}\` is ${formatShape(s)}: it has no dim ${axis}`, range);
    return s[i];
  }

  private repeat(s: Extract<Stmt, { kind: 'repeat' }>, scope: Scope) {
    const n = evalNumber(s.count, scope.env);
    if (!Number.isInteger(n) || n < 0) throw new AnalysisError('bad-value', `a repeat count is a non-negative whole number, got ${n}`, s.count.range);
    if (n > this.limits.repeat) throw new AnalysisError('limit', limitMessage(`repeat ${grouped(n)}, more than ${grouped(this.limits.repeat)} iterations`, 'repeat') + '; layers that read it are not analysed', s.count.range);
    if (n > 0) this.checkDepth(s.count.range);
    const name = s.name?.text ?? `repeat_${scope.ordinal('repeat')}`;
    const path = scope.prefix + name;
    const start = this.recs.length;
    const entry = scope.prev;
    const only = s.body.length === 1 ? s.body[0] : null;
    const singleUse = only?.kind === 'layer' && !only.name && only.ops.length === 1 && this.blocks.has(only.ops[0].op.text) ? only : null;
    this.groupStack.push(path);
    this.groupsArr = null;
    this.repeats++;
    try {
      for (let i = 0; i < n && !this.limitHit; i++) {
        if (++this.iterations > this.limits.iterations) {
          this.limitHit = true;
          throw new AnalysisError('limit', limitMessage(`more than ${grouped(this.limits.iterations)} repeat iterations in all`, 'iterations') + '; the rest of the file is not analysed', s.count.range);
        }
        const env: Env = new Env(scope.env, (n, r, axis): number => this.dimOf(iter, n, r, axis));
        if (s.index) env.setVar(s.index.text, i);
        const iter: Scope = new Scope(`${path}.${i}.`, env, scope, s.body);
        iter.prev = scope.prev;
        if (singleUse) {
          // the block use is the iteration: `layer1.0.conv_1`
          const call = singleUse.ops[0];
          try {
            const ins = singleUse.from ? singleUse.from.map((r) => this.pick(this.resolve(r, iter), r.index)) : [scope.prev!];
            if (!ins[0]) throw new AnalysisError('no-input', 'no input above this repeat', call.op.range);
            if (!ins[0].outputs) { scope.prev = ins[0]; continue; }
            scope.prev = this.blockUse(call, ins[0], iter, null, ins.length, `${path}.${i}`);
          } catch (e) {
            const at = this.fail(e, call.range);
            scope.prev = { outputs: null, layer: -1, range: call.range, brokenAt: at };
          }
          continue;
        }
        this.statements(iter);
        scope.prev = iter.prev;
      }
    } finally {
      this.repeats--;
      this.groupStack.pop();
      this.groupsArr = null;
    }
    if (n > 0) this.groups.push({ name: path, kind: 'repeat', range: s.range, start, end: this.recs.length, output: scope.prev?.outputs?.[0] ?? null });
    if (n === 0) scope.prev = entry;
    if (s.name && scope.prev) this.bind(scope, s.name, scope.prev);
  }

  // ---- the layer list and what each layer is read by, kept up to date as layers come and go
  private readers = new Int32Array(0); // how many layers read layer i
  private readerSum = new Float64Array(0); // the sum of their indices: the reader itself when there is one
  private readonly bns: number[] = []; // indices of the batch norms
  private readonly layerList: Layer[] = [];

  private addRec(rec: LayerRec) {
    const i = this.recs.length;
    if (i >= this.readers.length) {
      const size = Math.max(1024, 2 * this.readers.length);
      const r = new Int32Array(size); r.set(this.readers); this.readers = r;
      const s = new Float64Array(size); s.set(this.readerSum); this.readerSum = s;
    }
    this.readers[i] = 0;
    this.readerSum[i] = 0;
    for (const j of rec.inputIdx) if (j >= 0) { this.readers[j]++; this.readerSum[j] += i; }
    this.recs.push(rec);
    this.layerList.push(rec.layer);
    if (rec.spec.name === 'bn') this.bns.push(i);
  }

  private truncateRecs(n: number) {
    for (let i = this.recs.length - 1; i >= n; i--) {
      for (const j of this.recs[i].inputIdx) if (j >= 0) { this.readers[j]--; this.readerSum[j] -= i; }
    }
    this.recs.length = n;
    this.layerList.length = n;
    while (this.bns.length && this.bns[this.bns.length - 1] >= n) this.bns.pop();
    this.sumsValid = Math.min(this.sumsValid, n);
  }

  // ---- batch-norm folding (cost-model.md section 2)
  private foldBatchNorms() {
    // undo the last run's folding (only the layers it touched: this runs on every edit)
    for (const r of this.folded) {
      r.layer.cost = r.base;
      r.hasBias = r.baseHasBias;
      r.layer.foldedInto = null;
      r.layer.biasFromBn = false;
    }
    const touched = this.folded;
    this.folded = [];
    const { readers, readerSum } = this;
    for (const i of this.bns) {
      const bn = this.recs[i];
      const prodIdx = bn.inputIdx[0];
      const prod = prodIdx >= 0 ? this.recs[prodIdx] : null;
      const next = readers[i] === 1 ? this.recs[readerSum[i]] : null;
      let target: LayerRec | null = null;
      if (prod && prod.spec.foldsBn && readers[prodIdx] === 1) target = prod;
      else if (next && next.spec.foldsBn && next.pad0 && next.inputIdx.length === 1) target = next;
      if (!target) continue;
      const name = target.layer.name;
      // folded costs are derived once per base cost and kept, so unchanged layers keep their figures
      if (bn.foldedFrom !== bn.base || bn.foldedFor !== name) {
        bn.foldedCost = { ...bn.base, params: 0, weights: 0, flops2: 0, flopsExact: 0, read: 0, written: 0, formula: () => `folded into ${name}: no cost at inference` };
        bn.foldedFrom = bn.base;
        bn.foldedFor = name;
      }
      bn.layer.cost = bn.foldedCost!;
      bn.layer.foldedInto = name;
      this.folded.push(bn);
      if (!target.hasBias) {
        if (target.foldedFrom !== target.base) {
          const t = target.base;
          const out = t.outputs[0];
          const cout = target.spec.name === 'linear' ? out[out.length - 1] : out[0];
          target.foldedCost = { ...t, params: add(t.params, cout), weights: add(t.weights, cout), flops2: add(t.flops2, t.written), flopsExact: add(t.flopsExact, t.written) };
          target.foldedFrom = t;
        }
        target.layer.cost = target.foldedCost!;
        target.hasBias = true;
        target.layer.biasFromBn = true;
        this.folded.push(target);
      }
    }
    // the running sums stay valid up to the first layer whose figures this changed
    for (const r of touched) if (r.idx < this.recs.length && r.layer.cost !== r.figuresOf) this.sumsValid = Math.min(this.sumsValid, r.idx);
    for (const r of this.folded) if (r.layer.cost !== r.figuresOf) this.sumsValid = Math.min(this.sumsValid, r.idx);
  }
  private folded: LayerRec[] = [];
  private sums = new Float64Array(0);
  private sumsValid = 0; // layers whose running sums are up to date
  private readonly overflows = new Map<number, Diagnostic>(); // too-large figures, by layer

  // ---- scaling and totals
  /** Sets a layer's figure fields from its cost, scaled by the batch and the dtype. */
  private setFigures(l: Layer) {
    const c = l.cost;
    const n = this.settings.batch;
    const bytes = DTYPE_BYTES[this.settings.dtype];
    l.params = c.params;
    l.macs = mul2(c.macs, n);
    l.flops = { '2macs': mul2(c.flops2, n), exact: mul2(c.flopsExact, n), macs: l.macs };
    l.memoryBytes = mul2(add2(mul2(n, add2(c.read, c.written)), c.weights), bytes);
    l.weightBytes = mul2(c.weights, bytes);
    let perSample = 0;
    for (const o of l.outputs) perSample = add2(perSample, elems(o));
    l.activations = mul2(n, perSample);
  }

  /** Folding, scaling and totals over the current layers; repeatable (resume calls it again). */
  private finish(): Analysis {
    this.foldBatchNorms();
    const extra: Diagnostic[] = []; // what this pass finds; the evaluator's own list stays rollback-able
    for (const name of Object.keys(this.settings.overrides ?? {})) {
      if (!this.variables.some((v) => v.name === name)) {
        extra.push({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 'error', code: 'unknown-variable', message: `\`${name}\` is set from outside, but the file has no top-level variable \`${name}\`` });
      }
    }
    // running sums over the layers (SUMS numbers per layer): recomputed only from the first layer
    // whose figures changed, so an edit near the end of a long file costs the layers after it
    const n = this.recs.length;
    if ((n + 1) * SUMS > this.sums.length) {
      const grown = new Float64Array(Math.max(2 * this.sums.length, (n + 1) * SUMS, 1024 * SUMS));
      grown.set(this.sums);
      this.sums = grown;
    }
    const S = this.sums;
    for (const k of [...this.overflows.keys()]) if (k >= this.sumsValid) this.overflows.delete(k);
    for (let i = this.sumsValid; i < n; i++) {
      const r = this.recs[i];
      const l = r.layer;
      const a = i * SUMS;
      const b = a + SUMS;
      try {
        // figures depend on the cost object and the settings (fixed for this evaluator): a layer whose
        // cost object is the one of the last run keeps its figures and fields untouched
        if (r.figuresOf !== l.cost) {
          this.setFigures(l);
          l.biasParams = r.spec.foldsBn && r.hasBias ? (r.spec.name === 'linear' ? l.outputShape[l.outputShape.length - 1] : l.outputShape[0]) : 0;
          r.figuresOf = l.cost;
        }
        const row = ROW;
        row[0] = l.params; row[1] = l.macs; row[2] = l.flops['2macs']; row[3] = l.flops.exact; row[4] = l.flops.macs;
        row[5] = l.memoryBytes; row[6] = l.weightBytes; row[7] = l.trainingParams; row[8] = l.activations;
        for (let k = 0; k < SUMS; k++) row[k] = add2(S[a + k], row[k]); // all checked before any is stored
        S.set(row, b);
      } catch (e) {
        if (!(e instanceof AnalysisError)) throw e;
        this.overflows.set(i, { range: e.range ?? l.range, severity: 'error', code: e.code, message: e.message });
        l.params = 0; l.macs = 0; l.flops = NO_FLOPS; l.memoryBytes = 0; l.weightBytes = 0; l.activations = 0;
        r.figuresOf = undefined;
        for (let k = 0; k < SUMS; k++) S[b + k] = S[a + k];
      }
    }
    this.sumsValid = n;
    extra.push(...this.overflows.values());
    const layers = this.layerList.slice();
    // the figures of layers [from, to): a difference of running sums (all exact, all below 2^53)
    const span = (from: number, to: number): Figures => {
      const d = (k: number) => S[to * SUMS + k] - S[from * SUMS + k];
      return { params: d(0), macs: d(1), flops: { '2macs': d(2), exact: d(3), macs: d(4) }, memoryBytes: d(5), weightBytes: d(6) };
    };
    const totals = { ...span(0, n), trainingParams: S[n * SUMS + 7], activations: S[n * SUMS + 8] };
    const groups: Group[] = [...this.groups]
      .sort((a, b) => a.start - b.start || b.end - a.end)
      .map((g) => ({ name: g.name, kind: g.kind, range: g.range, outputShape: g.output ?? [], layerCount: g.end - g.start, ...span(g.start, g.end) }));
    const diagnostics = [...this.file.diagnostics.map((d): Diagnostic => ({ ...d, severity: 'error' })), ...this.diagnostics, ...extra]
      .sort(byStart);
    return {
      settings: this.settings, inputs: [...this.inputs], layers, groups, variables: [...this.variables],
      diagnostics, totals, syntax: this.file,
      evaluations: this.evaluations,
    };
  }
}
