// ONNX shape inference: binds the symbolic dims of the graph inputs, orders the nodes topologically (a
// cycle or a missing tensor is reported, never trusted), runs each node's shape function (shapes.ts) with
// constant folding of small tensors, walks If/Loop/Scan subgraphs, and cross-checks the value_info shapes
// stored in the file. A node reading only weights (`Transpose(W)` in an export without constant folding) is
// weight-only: its outputs become weights of their readers, with the stored tensors they come from.
// `inferShapes` never throws: every problem is an InferDiagnostic.
import type {
  DimBindings, Dim, InferDiagnostic, Inference, InferredNode, OnnxGraph, OnnxModel, OnnxNode, TensorInfo, TensorType, ValueInfo,
} from './model';
import { BOOL, INT64 } from './model';
import { LIMIT_DEFAULTS, raiseHint } from '../analysis/limits';
import { ShapeError, attrInt, attrInts, attrTensor, fmtShape, shapeFn, tt, type Out, type Shape } from './shapes';

/** Subgraphs nested deeper than this are not walked: the default of the `subgraphDepth` limit, which the
 *  reader applies too (a model it read has no deeper subgraphs, so the warning is for models built otherwise). */
export const MAX_DEPTH = LIMIT_DEFAULTS.subgraphDepth;
/** value_info mismatches reported one by one; the rest are summed up in one diagnostic. */
export const MAX_MISMATCHES = 20;
const MAX_ELEMENTS = 2 ** 53;

/** The tensors visible to a graph: its own, then its enclosing graphs' (outer-scope reads). */
interface Scope {
  types: Map<string, TensorType | null>;
  weights: Map<string, TensorInfo>;
  /** outputs of Constant nodes in any form (`value_ints` too): load-time constants, though only a `value` tensor is a weight */
  consts: Set<string>;
  /** every name this graph defines: inputs, initializers, node outputs */
  defined: Set<string>;
  parent: Scope | null;
}
interface State {
  opset: number;
  /** symbolic dim values: settings, `--batch`, and 1 for the unbound ones */
  dims: Map<string, number>;
  nodes: InferredNode[];
  diagnostics: InferDiagnostic[];
  unsupported: Map<string, { opType: string; domain: string; count: number; first: number }>;
  mismatches: number;
  /** symbolic dims of the inputs no setting bound */
  unbound: string[];
  /** the `subgraphDepth` limit */
  maxDepth: number;
}
interface Declared { dtype: number; shape: Shape | null }

const newScope = (parent: Scope | null): Scope => ({ types: new Map(), weights: new Map(), consts: new Set(), defined: new Set(), parent });
function lookup<T>(scope: Scope, pick: (s: Scope) => Map<string, T>, name: string): T | undefined {
  for (let s: Scope | null = scope; s; s = s.parent) {
    const m = pick(s);
    if (m.has(name)) return m.get(name);
  }
  return undefined;
}
function isConst(scope: Scope, name: string): boolean {
  for (let s: Scope | null = scope; s; s = s.parent) if (s.weights.has(name) || s.consts.has(name)) return true;
  return false;
}
function isDefined(scope: Scope, name: string): boolean {
  for (let s: Scope | null = scope; s; s = s.parent) if (s.defined.has(name)) return true;
  return false;
}

const label = (n: OnnxNode): string => (n.name ? `${n.opType} '${n.name}'` : `${n.opType} #${n.index}`);
const ownerName = (n: OnnxNode): string => n.name || `${n.opType.toLowerCase()}_${n.index}`;
const diag = (st: State, severity: InferDiagnostic['severity'], code: string, message: string, node: number): void => {
  st.diagnostics.push({ severity, code, message, node });
};

const isGraph = (v: unknown): v is OnnxGraph =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'nodes' in v && 'initializers' in v;
/** The subgraph attributes of a node (If's branches, Loop's and Scan's body). */
function subgraphs(n: OnnxNode): OnnxGraph[] {
  const out: OnnxGraph[] = [];
  for (const v of Object.values(n.attrs)) {
    if (isGraph(v)) out.push(v);
    else if (Array.isArray(v)) for (const g of v) if (isGraph(g)) out.push(g);
  }
  return out;
}

const freeCache = new WeakMap<OnnxGraph, Set<string>>();
/** Names a subgraph reads from enclosing scopes (its implicit inputs). */
function freeVars(g: OnnxGraph, depth: number, maxDepth: number): Set<string> {
  const cached = freeCache.get(g);
  if (cached) return cached;
  const defined = new Set<string>([...g.inputs.map((i) => i.name), ...g.initializers.keys()]);
  for (const n of g.nodes) for (const o of n.outputs) defined.add(o);
  const free = new Set<string>();
  const use = (name: string): void => {
    if (name && !defined.has(name)) free.add(name);
  };
  for (const n of g.nodes) {
    n.inputs.forEach(use);
    if (depth < maxDepth) for (const sub of subgraphs(n)) freeVars(sub, depth + 1, maxDepth).forEach(use);
  }
  g.outputs.forEach((o) => use(o.name));
  freeCache.set(g, free);
  return free;
}

// ---- topological order

/** A binary min-heap of node indices, so that a graph already in order keeps its order. */
class MinHeap {
  private a: number[] = [];
  get size(): number { return this.a.length; }
  push(x: number): void {
    const a = this.a;
    a.push(x);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (a[p] <= a[i]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop() as number;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

interface Order {
  /** node indices in execution order */
  order: number[];
  /** nodes on a cycle (or between cycles): their outputs are unknown */
  cyclic: Set<number>;
  /** a cycle found, as node indices, first repeated */
  cycle: number[];
}
/** Kahn's algorithm preferring file order; nodes left over are peeled from the back to keep only cycles. */
export function topoOrder(g: OnnxGraph, depth = 0, maxDepth = MAX_DEPTH): Order {
  const n = g.nodes.length;
  const producer = new Map<string, number>();
  g.nodes.forEach((node, i) => node.outputs.forEach((o) => {
    if (o && !producer.has(o)) producer.set(o, i);
  }));
  const preds: number[][] = g.nodes.map(() => []);
  const succs: number[][] = g.nodes.map(() => []);
  g.nodes.forEach((node, i) => {
    const names = new Set(node.inputs);
    if (depth < maxDepth) for (const sub of subgraphs(node)) freeVars(sub, depth + 1, maxDepth).forEach((x) => names.add(x));
    for (const name of names) {
      const p = name ? producer.get(name) : undefined;
      if (p === undefined) continue;
      preds[i].push(p);
      succs[p].push(i);
    }
  });
  const indeg = preds.map((p) => p.length);
  const heap = new MinHeap();
  indeg.forEach((d, i) => d === 0 && heap.push(i));
  const order: number[] = [];
  const done = new Uint8Array(n);
  while (heap.size > 0) {
    const i = heap.pop();
    order.push(i);
    done[i] = 1;
    for (const s of succs[i]) if (--indeg[s] === 0) heap.push(s);
  }
  if (order.length === n) return { order, cyclic: new Set(), cycle: [] };
  // peel the leftovers that lead into no cycle (downstream of one): they can still run after it
  const left = new Set<number>();
  for (let i = 0; i < n; i++) if (!done[i]) left.add(i);
  const outdeg = new Map<number, number>();
  for (const i of left) outdeg.set(i, succs[i].filter((s) => left.has(s)).length);
  const peel = [...left].filter((i) => outdeg.get(i) === 0);
  const peeled: number[] = [];
  while (peel.length > 0) {
    const i = peel.pop() as number;
    peeled.push(i);
    for (const p of preds[i]) {
      if (!left.has(p)) continue;
      const d = (outdeg.get(p) ?? 0) - 1;
      outdeg.set(p, d);
      if (d === 0) peel.push(p);
    }
  }
  const peeledSet = new Set(peeled);
  const cyclic = new Set([...left].filter((i) => !peeledSet.has(i)));
  const core = [...cyclic].sort((a, b) => a - b);
  // walk predecessors inside the core from its first node until one repeats: that one is on a cycle
  const seen = new Map<number, number>();
  const path: number[] = [];
  let at = core[0];
  while (!seen.has(at)) {
    seen.set(at, path.length);
    path.push(at);
    at = preds[at].find((p) => cyclic.has(p)) ?? at;
  }
  const cycle = path.slice(seen.get(at)).reverse();
  return { order: [...order, ...core, ...peeled.reverse()], cyclic, cycle };
}

// ---- declared shapes (inputs, value_info, outputs)

const bindDim = (st: State, d: Dim): number | null =>
  typeof d === 'string' ? st.dims.get(d) ?? null : typeof d === 'number' && d >= 0 ? d : null;
const bindDeclared = (st: State, v: ValueInfo): Declared => ({ dtype: v.dtype, shape: v.shape ? v.shape.map((d) => bindDim(st, d)) : null });

function declaredOf(g: OnnxGraph, st: State): Map<string, Declared> {
  const m = new Map<string, Declared>();
  for (const v of [...g.valueInfo, ...g.outputs]) m.set(v.name, bindDeclared(st, v));
  return m;
}

/** The inferred type checked against (and completed by) a declared one. */
function reconcile(name: string, t: Out, d: Declared | undefined, at: number, st: State): Out {
  if (!d) return t;
  if (t === null) return d.dtype || d.shape ? tt(d.dtype, d.shape) : null;
  const dtype = t.dtype || d.dtype;
  if (d.shape === null) return { ...t, dtype };
  if (t.shape === null) return tt(dtype, d.shape);
  const ds = d.shape;
  const differ = t.shape.length !== ds.length || t.shape.some((x, i) => x !== null && ds[i] !== null && x !== ds[i]);
  if (differ) {
    if (++st.mismatches <= MAX_MISMATCHES) {
      diag(st, 'warning', 'onnx-value-info-mismatch',
        `The file says '${name}' is ${fmtShape(ds)}, inference gives ${fmtShape(t.shape)}: the inferred shape is used.`, at);
    }
    return { ...t, dtype };
  }
  const shape = t.shape.map((x, i) => x ?? ds[i]);
  return tt(dtype, shape, t.value);
}

/** Reports a tensor whose dims are not valid sizes (negative, fractional, or more than 2^53 elements). */
function checkOut(t: Out): void {
  if (!t?.shape) return;
  for (const d of t.shape) if (d !== null && (!Number.isInteger(d) || d < 0)) throw new ShapeError(`invalid dim ${d} in ${fmtShape(t.shape)}`);
  let n = 1;
  for (const d of t.shape) if (d !== null) n *= d;
  if (n > MAX_ELEMENTS) throw new ShapeError(`${fmtShape(t.shape)} has more than 2^53 elements`);
}

// ---- weight-only nodes

/** Ops never folded at load even when every input is a weight: control flow, random generators, and the
 *  quantize/dequantize pairs that runtimes keep so as to fuse them (ONNX Runtime's QDQ rewrite reads int8 weights). */
const NOT_FOLDED = new Set([
  'If', 'Loop', 'Scan', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli',
  'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear',
]);

/** A default-domain node with at least one input, every one of them a load-time constant (a weight, a
 *  Constant's output, or a weight-only node's output): a weight computation runtimes fold once at load. */
function isWeightOnly(node: OnnxNode, scope: Scope): boolean {
  if (!(node.domain === '' || node.domain === 'ai.onnx') || NOT_FOLDED.has(node.opType)) return false;
  let any = false;
  for (const name of node.inputs) {
    if (!name) continue;
    if (!isConst(scope, name)) return false;
    any = true;
  }
  return any;
}

/** The stored tensors a weight input derives from: itself when stored, its sources when computed at load. */
export function weightSources(w: TensorInfo, inputName: string): TensorInfo[] {
  if (w.derivedFrom) return w.derivedFrom;
  return [w.name ? w : { ...w, name: inputName }];
}

/** The weights a weight-only node's outputs become: named after the tensor, typed as inferred. */
function foldedWeights(node: OnnxNode, weights: (TensorInfo | null)[], outs: Out[]): (TensorInfo | null)[] {
  const sources = new Map<string, TensorInfo>();
  node.inputs.forEach((name, i) => {
    const w = weights[i];
    if (name && w) for (const src of weightSources(w, name)) if (!sources.has(src.name)) sources.set(src.name, src);
  });
  const derivedFrom = [...sources.values()];
  return node.outputs.map((name, k) => {
    if (!name) return null;
    const t = outs[k];
    const shape = t?.shape;
    const dims = shape && shape.every((d) => d !== null) ? (shape as number[]).slice() : [];
    return { name, dtype: t?.dtype ?? 0, dims, values: t?.value ?? null, external: false, derivedFrom };
  });
}

// ---- nodes

const initType = (t: TensorInfo): TensorType => tt(t.dtype, t.dims.slice(), t.values ?? undefined);

/** Merges two possible types of a tensor: dims that differ become unknown. */
function merge(a: Out, b: Out): Out {
  if (!a || !b) return a ?? b ? tt((a ?? b)?.dtype ?? 0, null) : null;
  if (!a.shape || !b.shape || a.shape.length !== b.shape.length) return tt(a.dtype, null);
  const bs = b.shape;
  const shape = a.shape.map((d, i) => (d === bs[i] ? d : null));
  const same = a.value && b.value && a.value.length === b.value.length && a.value.every((x, i) => x === b.value?.[i]);
  return tt(a.dtype, shape, same ? a.value : undefined);
}

interface Walk { scope: Scope; path: string; perIteration: boolean; depth: number; st: State }

/** Runs a subgraph with the given input types; returns the types of its outputs. */
function runSubgraph(g: OnnxGraph, w: Walk, path: string, perIteration: boolean, inputs: Out[]): Out[] {
  const scope = newScope(w.scope);
  g.inputs.forEach((v, i) => {
    scope.types.set(v.name, inputs[i] ?? (v.shape || v.dtype ? tt(v.dtype, bindDeclared(w.st, v).shape) : null));
    scope.defined.add(v.name);
  });
  runGraph(g, { scope, path, perIteration, depth: w.depth + 1, st: w.st });
  return g.outputs.map((o) => lookup(scope, (s) => s.types, o.name) ?? null);
}

function graphAttr(n: OnnxNode, name: string): OnnxGraph | undefined {
  const v = n.attrs[name];
  return isGraph(v) ? v : undefined;
}

function inferIf(n: OnnxNode, w: Walk): Out[] {
  const base = `${w.path ? `${w.path}/` : ''}${ownerName(n)}`;
  const branches = ['then_branch', 'else_branch'].map((a) => {
    const g = graphAttr(n, a);
    return g ? runSubgraph(g, w, `${base}/${a}`, w.perIteration, []) : null;
  });
  const [a, b] = branches;
  return n.outputs.map((_, k) => (a && b ? merge(a[k] ?? null, b[k] ?? null) : null));
}

function inferLoop(n: OnnxNode, w: Walk, ins: Out[], at: number): Out[] {
  const body = graphAttr(n, 'body');
  if (!body) return [];
  const m = ins[0]?.value?.[0];
  const carried = ins.slice(2);
  const outs = runSubgraph(body, w, `${w.path ? `${w.path}/` : ''}${ownerName(n)}/body`, true, [tt(INT64, []), tt(BOOL, []), ...carried]);
  const condAlways = !n.inputs[1] || (ins[1]?.value?.[0] === 1 && outs[0]?.value?.[0] === 1);
  const trips = m !== undefined && m <= MAX_ELEMENTS && condAlways ? m : null;
  diag(w.st, 'info', 'onnx-loop-body', `${label(n)}: costs of the body are per iteration (${trips === null ? 'trip count unknown' : `${trips} iterations`}).`, at);
  const nc = carried.length;
  return n.outputs.map((_, k) => {
    if (k < nc) return merge(carried[k] ?? null, outs[1 + k] ?? null) ?? carried[k] ?? null;
    const e = outs[1 + k] ?? null;
    return e ? tt(e.dtype, e.shape ? [trips, ...e.shape] : null) : null;
  });
}

function inferScan(n: OnnxNode, w: Walk, ins: Out[], at: number): Out[] {
  const body = graphAttr(n, 'body');
  if (!body || w.st.opset < 9) return [];
  const m = attrInt(n, 'num_scan_inputs', 0);
  const nState = ins.length - m;
  const inAxes = attrInts(n, 'scan_input_axes') ?? [];
  const outAxes = attrInts(n, 'scan_output_axes') ?? [];
  let seq: number | null = null;
  const slices = ins.slice(nState).map((t, j) => {
    if (!t?.shape) return t ? tt(t.dtype, null) : null;
    const r = t.shape.length;
    const a = (inAxes[j] ?? 0) < 0 ? (inAxes[j] ?? 0) + r : inAxes[j] ?? 0;
    if (j === 0) seq = t.shape[a] ?? null;
    return tt(t.dtype, t.shape.filter((_, i) => i !== a));
  });
  const outs = runSubgraph(body, w, `${w.path ? `${w.path}/` : ''}${ownerName(n)}/body`, true, [...ins.slice(0, nState), ...slices]);
  diag(w.st, 'info', 'onnx-loop-body', `${label(n)}: costs of the body are per iteration (${seq === null ? 'trip count unknown' : `${seq} iterations`}).`, at);
  return n.outputs.map((_, k) => {
    if (k < nState) return merge(ins[k] ?? null, outs[k] ?? null) ?? ins[k] ?? null;
    const e = outs[k] ?? null;
    if (!e?.shape) return e ? tt(e.dtype, null) : null;
    const r = e.shape.length + 1;
    const ax = outAxes[k - nState] ?? 0;
    const a = Math.min(Math.max(ax < 0 ? ax + r : ax, 0), r - 1);
    const shape = e.shape.slice();
    shape.splice(a, 0, seq);
    return tt(e.dtype, shape);
  });
}

/** The output types of one node (before value_info), reporting what goes wrong. */
function inferNode(n: OnnxNode, ins: Out[], at: number, w: Walk): Out[] {
  const domain = n.domain === 'ai.onnx' ? '' : n.domain;
  const st = w.st;
  if (domain === '' && (n.opType === 'If' || n.opType === 'Loop' || n.opType === 'Scan')) {
    if (w.depth + 1 > st.maxDepth) {
      // a model read from a file has no subgraph here: the reader stopped at the same limit and said so
      if (subgraphs(n).length === 0) return [];
      diag(st, 'warning', 'onnx-subgraph-depth', `${label(n)}: subgraphs nested more than ${st.maxDepth} deep are not analysed (limit 'subgraphDepth'; ${raiseHint('subgraphDepth')}).`, at);
      return [];
    }
    if (n.opType === 'If') return inferIf(n, w);
    return n.opType === 'Loop' ? inferLoop(n, w, ins, at) : inferScan(n, w, ins, at);
  }
  const fn = shapeFn(domain, n.opType);
  if (!fn) {
    const key = `${domain}:${n.opType}`;
    const u = st.unsupported.get(key);
    if (u) u.count++;
    else st.unsupported.set(key, { opType: n.opType, domain, count: 1, first: at });
    return [];
  }
  try {
    const outs = fn({ node: n, opset: st.opset, inputs: ins }).slice(0, n.outputs.length);
    outs.forEach(checkOut);
    return outs;
  } catch (e) {
    const msg = e instanceof ShapeError ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
    diag(st, 'error', 'onnx-shape-error', `${label(n)}: ${msg}.`, at);
    return [];
  }
}

/** Infers every node of a graph whose inputs are already in `w.scope`, appending them to the state. */
function runGraph(g: OnnxGraph, w: Walk): void {
  const { scope, st } = w;
  for (const v of g.inputs) scope.defined.add(v.name);
  for (const [name, t] of g.initializers) {
    scope.types.set(name, initType(t));
    scope.weights.set(name, t);
    scope.defined.add(name);
  }
  for (const node of g.nodes) for (const o of node.outputs) if (o) scope.defined.add(o);
  const declared = declaredOf(g, st);
  const { order, cyclic, cycle } = topoOrder(g, w.depth, w.st.maxDepth);
  for (const i of order) {
    const node = g.nodes[i];
    const ins = node.inputs.map((name) => (name ? lookup(scope, (s) => s.types, name) ?? null : null));
    const weights = node.inputs.map((name) => (name ? lookup(scope, (s) => s.weights, name) ?? null : null));
    const entry: InferredNode = { node, graphPath: w.path, inputs: ins, outputs: node.outputs.map(() => null), weights, perIteration: w.perIteration };
    const at = st.nodes.push(entry) - 1;
    const missing = node.inputs.filter((name) => name && !isDefined(scope, name));
    if (missing.length > 0) {
      diag(st, 'error', 'onnx-missing-input', `${label(node)} reads ${missing.map((m) => `'${m}'`).join(', ')}, which no node, input or initializer produces.`, at);
    }
    if (i === cycle[0]) {
      diag(st, 'error', 'onnx-cycle', `The graph has a cycle through ${label(node)}: ${[...cycle, cycle[0]].map((k) => label(g.nodes[k])).join(' -> ')}; the ${cyclic.size} node(s) on or between cycles get unknown outputs.`, at);
    }
    const raw = cyclic.has(i) ? [] : inferNode(node, ins, at, w);
    const outs = node.outputs.map((name, k) => reconcile(name, raw[k] ?? null, name ? declared.get(name) : undefined, at, st));
    entry.outputs = outs;
    node.outputs.forEach((name, k) => {
      if (name) scope.types.set(name, outs[k]);
    });
    if (node.opType === 'Constant' && node.outputs[0]) {
      const v = attrTensor(node, 'value');
      if (v) scope.weights.set(node.outputs[0], v);
      scope.consts.add(node.outputs[0]);
    } else if (!cyclic.has(i) && isWeightOnly(node, scope)) {
      entry.weightOnly = true;
      foldedWeights(node, weights, outs).forEach((t) => {
        if (t) scope.weights.set(t.name, t);
      });
    }
  }
}

// ---- the entry point

/** Types of the main graph's inputs with their symbolic dims bound; reports unbound and fixed dims. */
function bindInputs(model: OnnxModel, bind: DimBindings, st: State): { name: string; type: TensorType }[] {
  const g = model.graph;
  const inputs = g.inputs.filter((v) => !g.initializers.has(v.name));
  for (const [k, v] of Object.entries(bind.dims ?? {})) if (Number.isInteger(v) && v >= 0) st.dims.set(k, v);
  const batch = bind.batch;
  if (batch !== undefined) {
    for (const v of inputs) {
      const d = v.shape?.[0];
      if (typeof d === 'string' && !st.dims.has(d)) st.dims.set(d, batch);
    }
  }
  const unbound: string[] = [];
  for (const v of inputs) {
    for (const d of v.shape ?? []) {
      if (typeof d === 'string' && !st.dims.has(d) && !unbound.includes(d)) unbound.push(d);
    }
  }
  unbound.forEach((d) => st.dims.set(d, 1));
  if (unbound.length > 0) {
    diag(st, 'warning', 'onnx-unbound-dim',
      `Symbolic dimension${unbound.length > 1 ? 's' : ''} ${unbound.map((d) => `'${d}'`).join(', ')} ${unbound.length > 1 ? 'are' : 'is'} not bound and taken as 1: bind with \`--dim NAME=N\` (CLI) or the \`netcost.onnx.dims\` setting${batch === undefined ? ', or `--batch N` for the leading dim' : ''}.`, -1);
  }
  st.unbound = unbound;
  return inputs.map((v) => {
    if (v.shape === null) {
      diag(st, 'error', 'onnx-unknown-input-shape', `Graph input '${v.name}' has no shape in the file: everything computed from it is unknown.`, -1);
      return { name: v.name, type: tt(v.dtype, null) };
    }
    const shape = v.shape.map((d, i) => {
      if (i === 0 && batch !== undefined && (d === null || (typeof d === 'number' && d < 0))) return batch;
      if (i === 0 && batch !== undefined && typeof d === 'number' && d !== batch) {
        diag(st, 'warning', 'onnx-fixed-batch', `Input '${v.name}': the model was exported with batch ${d}; it is analysed with batch ${d}, not ${batch}.`, -1);
      }
      return bindDim(st, d);
    });
    let n = 1;
    for (const d of shape) n *= d ?? 1;
    if (n > MAX_ELEMENTS) {
      diag(st, 'error', 'onnx-shape-error', `Graph input '${v.name}' is ${fmtShape(shape)}: more than 2^53 elements.`, -1);
      return { name: v.name, type: tt(v.dtype, null) };
    }
    return { name: v.name, type: tt(v.dtype, shape) };
  });
}

/** Shape inference over a whole model. Never throws. `limits.subgraphDepth`: subgraphs nested deeper are not walked. */
export function inferShapes(model: OnnxModel, bind: DimBindings, limits: { subgraphDepth?: number } = {}): Inference {
  const st: State = {
    opset: model.opsets.get('') ?? model.opsets.get('ai.onnx') ?? 1,
    dims: new Map(), nodes: [], diagnostics: [], unsupported: new Map(), mismatches: 0, unbound: [],
    maxDepth: limits.subgraphDepth ?? MAX_DEPTH,
  };
  let inputs: { name: string; type: TensorType }[] = [];
  try {
    inputs = bindInputs(model, bind, st);
    const scope = newScope(null);
    for (const i of inputs) scope.types.set(i.name, i.type);
    runGraph(model.graph, { scope, path: '', perIteration: false, depth: 0, st });
  } catch (e) {
    // a bug, not an input problem: keep what was inferred and say so
    diag(st, 'error', 'onnx-shape-error', `Shape inference stopped: internal error ${e instanceof Error ? e.message : String(e)}.`, -1);
  }
  for (const u of st.unsupported.values()) {
    const op = u.domain ? `${u.domain}:${u.opType}` : u.opType;
    diag(st, 'warning', 'onnx-unsupported-op',
      `Op ${op} is not supported (${u.count} node${u.count > 1 ? 's' : ''}): ${u.count > 1 ? 'their' : 'its'} outputs take the file's value_info shapes when it has them, else stay unknown, and cost 0.`, u.first);
  }
  if (st.mismatches > MAX_MISMATCHES) {
    diag(st, 'warning', 'onnx-value-info-mismatch', `${st.mismatches - MAX_MISMATCHES} more tensors differ from the file's value_info: the inferred shapes are used.`, -1);
  }
  return { nodes: st.nodes, inputs, diagnostics: st.diagnostics, unbound: st.unbound };
}
