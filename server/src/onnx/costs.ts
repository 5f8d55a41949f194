// Per-node costs of an inferred ONNX graph: params, MACs, FLOPs (2*MACs and exact), and memory access
// bytes by each tensor's own dtype; batch-norm folding (docs/costs.md rules 1 and 2); weight-only nodes
// folded at load (their readers count the weights); totals per op type.
// The figures equal the `.net` engine's (server/src/analysis/ops.ts) for the same layer; the ONNX shapes
// carry the batch dim, so it is already in MACs, FLOPs and feature-map bytes. Pure: never throws.
import { DTYPES, FLOAT, dtypeBytes, type AttrValue, type InferredNode, type TensorInfo } from './model';
import { weightSources } from './infer';
import { add, elems, mul } from '../analysis/exact';
import { AnalysisError, grouped } from '../analysis/values';

/** Why a node is not counted: `unknown-op`, `shape-unknown`, `too-large`, `bad-node`. */
export type CostCode = 'unknown-op' | 'shape-unknown' | 'too-large' | 'bad-node';

export interface NodeCost {
  /** learnable params in the inference graph (after BN folding) */
  params: number;
  /** as training counts them (an unfolded or folded BN: gamma + beta = 2C) */
  trainingParams: number;
  macs: number;
  /** 2*MACs convention, bias adds and element-wise ops included */
  flops2: number;
  /** exact convention (n multiplies, n - 1 adds per dot product of length n) */
  flopsExact: number;
  /** activation (non-weight) inputs' bytes, by each tensor's own dtype */
  readBytes: number;
  /** outputs' bytes */
  writtenBytes: number;
  /** weight inputs' bytes (params and buffers like BN running stats), by their own dtype */
  weightBytes: number;
  /** the MACs (or FLOPs) formula with the numbers substituted */
  formula: () => string;
  /** false: not costed (unknown op, unknown shapes, a figure past 2^53): all figures 0 */
  counted: boolean;
  /** a BatchNormalization folded into the node at this index of the nodes array */
  foldedInto?: number;
  biasFromBn?: boolean;
  note?: string;
  /** set when counted is false: why */
  code?: CostCode;
}

export interface OpTotals { opType: string; count: number; params: number; macs: number; flops2: number; memoryBytes: number; tooLarge?: true }

// ---- errors that end the costing of one node

class Unknown extends Error {}
class BadNode extends Error {}

// ---- attributes

type Attrs = Record<string, AttrValue>;
const attrNum = (a: Attrs, name: string, dflt: number): number => (typeof a[name] === 'number' ? (a[name] as number) : dflt);
const attrStr = (a: Attrs, name: string, dflt: string): string => (typeof a[name] === 'string' ? (a[name] as string) : dflt);
function attrInts(a: Attrs, name: string): number[] | null {
  const v = a[name];
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : null;
}

// ---- one node's tensors

const FLOATS = new Set([1, 10, 11, 16]); // float32, float16, float64, bfloat16: the ones --dtype overrides

/** What earlier nodes took as params: the weight tensors they counted (a tensor counts once, at its first
 *  reader), and how many elements of each stored tensor are left to count. A weight computed at load
 *  (`Transpose(W)`) draws on the stored tensors it comes from, so that W read directly and through a
 *  Transpose, or through two Identity aliases, counts once; an expanded weight counts its source's size. */
interface Ledger { claimed: Set<string>; left: Map<string, number> }
const newLedger = (): Ledger => ({ claimed: new Set(), left: new Map() });

class View {
  /** weights this node counts as params; committed to the ledger when the node is costed */
  readonly claims = new Set<string>();
  /** elements this node takes from each stored tensor; committed with `claims` */
  readonly draws = new Map<string, number>();
  /** elements of each stored tensor drawn on */
  private readonly sizes = new Map<string, number>();
  constructor(readonly n: InferredNode, private readonly over: number | undefined, private readonly ledger: Ledger) {}
  get attrs(): Attrs { return this.n.node.attrs; }
  name(i: number): string { return this.n.node.inputs[i] ?? ''; }
  has(i: number): boolean { return this.name(i) !== ''; }
  isWeight(i: number): boolean { return this.has(i) && this.n.weights[i] != null; }
  hasOut(i: number): boolean { return (this.n.node.outputs[i] ?? '') !== ''; }
  /** the full shape of input i (batch included); throws Unknown when it is not known */
  in(i: number): number[] {
    if (!this.has(i)) throw new BadNode(`input ${i} is missing`);
    const s = this.n.inputs[i]?.shape;
    if (s && s.every((d) => d !== null)) return checkDims(s as number[], this.name(i));
    const w = this.n.weights[i];
    if (w && !w.derivedFrom) return checkDims(w.dims, this.name(i));
    throw new Unknown(`input \`${this.name(i)}\``);
  }
  out(i: number): number[] {
    const s = this.n.outputs[i]?.shape;
    if (s && s.every((d) => d !== null)) return checkDims(s as number[], this.n.node.outputs[i] ?? '');
    throw new Unknown(`output \`${this.n.node.outputs[i] ?? i}\``);
  }
  inDtype(i: number): number { return this.n.inputs[i]?.dtype ?? this.n.weights[i]?.dtype ?? FLOAT; }
  outDtype(i: number): number { return this.n.outputs[i]?.dtype ?? FLOAT; }
  /** bytes of `count` elements of `dtype`, float types at the override's size; checked against 2^53 */
  bytes(dtype: number, count: number): number {
    const t = this.over !== undefined && FLOATS.has(dtype) ? this.over : dtype;
    mul(count, DTYPES[t]?.bits ?? 32);
    return dtypeBytes(t, count);
  }
  inBytes(i: number): number { return this.bytes(this.inDtype(i), elems(this.in(i))); }
  outBytes(i: number): number { return this.bytes(this.outDtype(i), elems(this.out(i))); }
  /** params from input i: its elements when it is a weight no earlier node counted (a shared weight counts
   *  once), at most what is left of the stored tensors it comes from; else 0 */
  weightElems(i: number): number {
    if (!this.isWeight(i)) return 0;
    const w = this.n.weights[i]!;
    const key = w.name || this.name(i);
    if (this.ledger.claimed.has(key) || this.claims.has(key)) return 0;
    const e = this.draw(weightSources(w, this.name(i)), elems(this.in(i)), this.inDtype(i));
    this.claims.add(key);
    return e;
  }
  /** takes up to `want` elements of a tensor of `dtype` from the `sources` of its kind (float or not: an int64
   *  shape constant is never a float weight's params, an int8 weight moved by a Transpose is an int8 one's),
   *  the largest first; staged in `draws` */
  draw(sources: TensorInfo[], want: number, dtype: number): number {
    const float = !!DTYPES[dtype]?.float;
    const kind = sources.filter((t) => !!DTYPES[t.dtype]?.float === float);
    for (const t of kind) if (!this.sizes.has(t.name)) this.sizes.set(t.name, elems(checkDims(t.dims, t.name)));
    const left = (t: TensorInfo): number => (this.ledger.left.get(t.name) ?? this.sizes.get(t.name) ?? 0) - (this.draws.get(t.name) ?? 0);
    const order = kind.sort((x, y) => left(y) - left(x));
    let got = 0;
    for (const t of order) {
      if (got >= want) break;
      const take = Math.min(left(t), want - got);
      if (take <= 0) continue;
      this.draws.set(t.name, (this.draws.get(t.name) ?? 0) + take);
      got += take;
    }
    return got;
  }
  /** the node is costed: its claims and draws become the ledger's */
  commit(): void {
    for (const k of this.claims) this.ledger.claimed.add(k);
    for (const [k, d] of this.draws) this.ledger.left.set(k, (this.ledger.left.get(k) ?? this.sizes.get(k) ?? 0) - d);
  }
}

function checkDims(s: number[], name: string): number[] {
  if (s.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new BadNode(`\`${name}\` has an impossible shape [${s.join(', ')}]`);
  return s;
}

// ---- what an op rule computes

interface Mem { readBytes: number; writtenBytes: number; weightBytes: number }
const NO_MEM: Mem = { readBytes: 0, writtenBytes: 0, weightBytes: 0 };

/** What a folded batch norm needs to know of a conv/gemm/matmul. */
interface FoldInfo {
  cout: number;
  hasBias: boolean;
  /** output elements: one bias add each */
  outElems: number;
  /** bytes of a gained bias of cout elements, at the weight's dtype */
  biasBytes: number;
  /** a BN before it may fold forward into it (no padding, its only activation input is input 0) */
  forwardOk: boolean;
}

interface Work {
  params: number;
  trainingParams?: number;
  macs: number;
  flops2: number;
  flopsExact: number;
  formula: () => string;
  /** default: non-config inputs (weights to weightBytes, others to readBytes) and all outputs */
  memory?: Mem;
  note?: string;
  fold?: FoldInfo;
}

interface Rule {
  /** inputs that are settings (shapes, axes, scales, pads): neither read nor weights nor params */
  config?: number[];
  cost(v: View, config: Set<number>): Work;
}

/** `N x K_h x ... = 1 x 3 x ... = 9 MACs`; the batch factor is left out when it is 1, as in the .net hovers. */
function product(names: string[], values: number[], total: number, unit: string, batchFirst = true): () => string {
  return () => {
    const skip = batchFirst && values[0] === 1 ? 1 : 0;
    return `${names.slice(skip).join(' x ')} = ${values.slice(skip).join(' x ')} = ${grouped(total)} ${unit}`;
  };
}

const spatial = (r: number, suffix: string): string[] =>
  r === 1 ? [`L${suffix}`] : r === 2 ? [`H${suffix}`, `W${suffix}`] : r === 3 ? [`D${suffix}`, `H${suffix}`, `W${suffix}`] : Array.from({ length: r }, (_x, i) => `S${i}${suffix}`);
const kernelNames = (r: number): string[] =>
  r === 1 ? ['K'] : r === 2 ? ['K_h', 'K_w'] : r === 3 ? ['K_d', 'K_h', 'K_w'] : Array.from({ length: r }, (_x, i) => `K_${i}`);

/** Float weights with more than one element: params of an element-wise op (a bias, a layer scale, a
 *  position embedding); a single-element one is a constant (an epsilon, a scale). */
function floatWeightParams(v: View, config: Set<number>): number {
  let p = 0;
  for (let i = 0; i < v.n.node.inputs.length; i++) {
    if (config.has(i) || !v.isWeight(i) || !DTYPES[v.inDtype(i)]?.float) continue;
    if (elems(v.in(i)) > 1) p = add(p, v.weightElems(i));
  }
  return p;
}

function noPadding(a: Attrs): boolean {
  const auto = attrStr(a, 'auto_pad', 'NOTSET');
  return (auto === 'NOTSET' || auto === 'VALID') && (attrInts(a, 'pads') ?? []).every((p) => p === 0);
}

// ---- convolutions

/** Conv, QLinearConv, ConvInteger: x [N, C_in, ...], w [C_out, C_in/g, k...], y [N, C_out, o...]. */
function conv(v: View, x: number, w: number, b: number | null): Work {
  const ws = v.in(w);
  const y = v.out(0);
  v.in(x);
  if (ws.length < 3 || y.length !== ws.length) throw new BadNode(`weight [${ws.join(', ')}] and output [${y.join(', ')}] ranks do not fit a convolution`);
  const [cout, cinG, ...k] = ws;
  const [n, c, ...o] = y;
  if (c !== cout) throw new BadNode(`weight [${ws.join(', ')}] gives ${cout} output channels, the output has ${c}`);
  const r = k.length;
  const outElems = elems(y);
  const hasBias = b !== null && v.has(b);
  const macs = mul(n, elems(k), cinG, elems(o), cout);
  const biasFlops = hasBias ? outElems : 0;
  const params = add(v.weightElems(w), hasBias ? v.weightElems(b) : 0);
  return {
    params, macs, flops2: add(mul(2, macs), biasFlops),
    flopsExact: add(mul(add(mul(2, elems(k), cinG), -1), outElems), biasFlops),
    formula: product(['N', ...kernelNames(r), 'C_in/g', ...spatial(r, '_out'), 'C_out'], [n, ...k, cinG, ...o, cout], macs, 'MACs'),
    fold: { cout, hasBias, outElems, biasBytes: v.bytes(v.inDtype(w), cout), forwardOk: noPadding(v.attrs) && v.isWeight(w) && (!hasBias || v.isWeight(b)) },
  };
}

/** ConvTranspose: x [N, C_in, i...], w [C_in, C_out/g, k...]; every input pixel is scattered through the kernel. */
function convTranspose(v: View): Work {
  const xs = v.in(0);
  const ws = v.in(1);
  const y = v.out(0);
  if (ws.length < 3 || xs.length !== ws.length || y.length !== ws.length) throw new BadNode('input, weight and output ranks do not fit a transposed convolution');
  const g = attrNum(v.attrs, 'group', 1);
  const [n, cin, ...ip] = xs;
  const [, coutG, ...k] = ws;
  if (!Number.isInteger(cin / g) || g < 1) throw new BadNode(`group = ${g} does not divide C_in = ${cin}`);
  const cinG = cin / g;
  const cout = y[1];
  const r = k.length;
  const outElems = elems(y);
  const hasBias = v.has(2);
  const macs = mul(n, elems(k), cinG, elems(ip), cout);
  if (mul(coutG, g) !== cout) throw new BadNode(`weight [${ws.join(', ')}] does not give ${cout} output channels with group = ${g}`);
  const biasFlops = hasBias ? outElems : 0;
  return {
    params: add(v.weightElems(1), hasBias ? v.weightElems(2) : 0), macs,
    flops2: add(mul(2, macs), biasFlops), flopsExact: add(mul(2, macs), -outElems, biasFlops),
    formula: product(['N', ...kernelNames(r), 'C_in/g', ...spatial(r, '_in'), 'C_out'], [n, ...k, cinG, ...ip, cout], macs, 'MACs'),
    fold: { cout, hasBias, outElems, biasBytes: v.bytes(v.inDtype(1), cout), forwardOk: noPadding(v.attrs) && v.isWeight(1) && (!hasBias || v.isWeight(2)) },
  };
}

// ---- matrix products

function gemm(v: View): Work {
  const a = v.in(0);
  const b = v.in(1);
  if (a.length !== 2 || b.length !== 2) throw new BadNode(`Gemm needs 2-d operands, got [${a.join(', ')}] and [${b.join(', ')}]`);
  const transA = attrNum(v.attrs, 'transA', 0) !== 0;
  const transB = attrNum(v.attrs, 'transB', 0) !== 0;
  const [m, k] = transA ? [a[1], a[0]] : a;
  const [k2, n] = transB ? [b[1], b[0]] : b;
  if (k !== k2) throw new BadNode(`Gemm inner dims differ (${k} vs ${k2})`);
  const alpha = attrNum(v.attrs, 'alpha', 1);
  const beta = attrNum(v.attrs, 'beta', 1);
  const hasBias = v.has(2) && beta !== 0;
  const outElems = mul(m, n);
  const macs = mul(m, k, n);
  // bias add 1 per output; alpha != 1 scales every output; beta not in {0, 1} scales the bias
  const extra = add(hasBias ? outElems : 0, alpha !== 1 ? outElems : 0, hasBias && beta !== 1 ? outElems : 0);
  return {
    params: add(v.weightElems(0), v.weightElems(1), v.has(2) ? v.weightElems(2) : 0), macs,
    flops2: add(mul(2, macs), extra), flopsExact: add(mul(add(mul(2, k), -1), outElems), extra),
    formula: product(['M', 'K', 'N'], [m, k, n], macs, 'MACs', false),
    fold: { cout: n, hasBias, outElems, biasBytes: v.bytes(v.inDtype(v.isWeight(1) ? 1 : 0), n), forwardOk: !transA && v.isWeight(1) && (!v.has(2) || v.isWeight(2)) },
  };
}

/** MatMul-like [.., M, K] x [.., K, N] with broadcast batch dims; `a`, `b` are the operand indices. */
function matmul(v: View, ai: number, bi: number): Work {
  const a0 = v.in(ai);
  const b0 = v.in(bi);
  if (!a0.length || !b0.length) throw new BadNode('MatMul operands must have rank >= 1');
  const a = a0.length === 1 ? [1, a0[0]] : a0;
  const b = b0.length === 1 ? [b0[0], 1] : b0;
  const [m, k] = a.slice(-2);
  const [k2, n] = b.slice(-2);
  if (k !== k2) throw new BadNode(`MatMul inner dims differ (${k} vs ${k2})`);
  const ab = a.slice(0, -2);
  const bb = b.slice(0, -2);
  const rank = Math.max(ab.length, bb.length);
  const batchDims: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = ab[ab.length - rank + i] ?? 1;
    const y = bb[bb.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new BadNode(`MatMul batch dims do not broadcast (${x} vs ${y})`);
    batchDims.push(x === 1 ? y : x);
  }
  const batch = elems(batchDims);
  const macs = mul(batch, m, k, n);
  const outElems = mul(batch, m, n);
  const weightB = v.isWeight(bi);
  const rank2 = a0.length === 2 && b0.length === 2;
  return {
    params: add(v.weightElems(ai), v.weightElems(bi)), macs,
    flops2: mul(2, macs), flopsExact: mul(batch, m, n, add(mul(2, k), -1)),
    formula: product(['batch', 'M', 'K', 'N'], [batch, m, k, n], macs, 'MACs', false),
    fold: v.n.node.opType === 'MatMul' && weightB && rank2
      ? { cout: n, hasBias: false, outElems, biasBytes: v.bytes(v.inDtype(bi), n), forwardOk: true }
      : undefined,
  };
}

/** Einsum: contracted pairwise left to right; each step costs the product of every distinct letter of its two operands. */
function einsum(v: View): Work {
  const eq = attrStr(v.attrs, 'equation', '').replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->');
  const terms = lhs.split(',');
  if (!eq || terms.length !== v.n.node.inputs.length) throw new BadNode(`Einsum equation \`${eq}\` does not match its ${v.n.node.inputs.length} inputs`);
  const size = new Map<string, number>();
  let ellRank = 0;
  const labelsOf = (term: string, rank: number | null): string[] => {
    const parts = term.split('...');
    if (parts.length > 2) throw new BadNode(`Einsum term \`${term}\` has two ellipses`);
    const letters = parts.join('');
    if (!/^[a-zA-Z]*$/.test(letters)) throw new BadNode(`Einsum term \`${term}\` is not letters`);
    const e = parts.length === 2 ? (rank === null ? ellRank : rank - letters.length) : 0;
    if (e < 0) throw new BadNode(`Einsum term \`${term}\` has more letters than its operand has dims`);
    if (parts.length === 1 && rank !== null && rank !== letters.length) throw new BadNode(`Einsum term \`${term}\` does not match a rank-${rank} operand`);
    const ell = Array.from({ length: e }, (_x, j) => `...${e - j}`); // right-aligned: ...1 is the last
    return parts.length === 2 ? [...parts[0], ...ell, ...parts[1]] : [...letters];
  };
  const ops = terms.map((t, i) => {
    const s = v.in(i);
    const labels = labelsOf(t, s.length);
    labels.forEach((l, j) => {
      if (l.startsWith('...')) ellRank = Math.max(ellRank, Number(l.slice(3)));
      const d = s[j];
      const old = size.get(l);
      if (old !== undefined && old !== d && old !== 1 && d !== 1) throw new BadNode(`Einsum letter ${l} is ${old} and ${d}`);
      size.set(l, Math.max(old ?? 1, d));
    });
    return labels;
  });
  const ellLabels = Array.from({ length: ellRank }, (_x, j) => `...${ellRank - j}`);
  const counts = new Map<string, number>();
  for (const o of ops) for (const l of o) counts.set(l, (counts.get(l) ?? 0) + 1);
  const out = rhs !== undefined
    ? labelsOf(rhs, null)
    : [...ellLabels, ...[...counts.keys()].filter((l) => !l.startsWith('...') && counts.get(l) === 1).sort()];
  const sz = (l: string) => size.get(l) ?? 1;
  const prod = (ls: Iterable<string>) => { let p = 1; for (const l of ls) p = mul(p, sz(l)); return p; };
  if (ops.length === 1) {
    const inE = prod(new Set(ops[0]));
    const reduces = ops[0].some((l) => !out.includes(l));
    const flops = reduces ? inE : 0;
    return { params: 0, macs: 0, flops2: flops, flopsExact: flops, formula: () => (reduces ? `1 FLOP per input element x ${grouped(inE)} = ${grouped(flops)} FLOPs` : 'no arithmetic; reads and writes the whole tensor') };
  }
  let cur = ops[0];
  let macs = 0;
  let exact = 0;
  let firstStep: string[] = [];
  for (let s = 1; s < ops.length; s++) {
    const union = [...new Set([...cur, ...ops[s]])];
    const later = new Set([...out, ...ops.slice(s + 1).flat()]);
    const keep = union.filter((l) => later.has(l));
    const stepMacs = prod(union);
    macs = add(macs, stepMacs);
    exact = add(exact, mul(2, stepMacs), -prod(keep));
    if (s === 1) firstStep = union;
    cur = keep;
  }
  let params = 0;
  for (let i = 0; i < ops.length; i++) params = add(params, v.weightElems(i));
  const show = (l: string) => (l.startsWith('...') ? `…${l.slice(3)}` : l);
  return {
    params, macs, flops2: mul(2, macs), flopsExact: exact,
    formula: ops.length === 2
      ? () => `product of the letter sizes ${firstStep.map(show).join(' x ')} = ${firstStep.map(sz).join(' x ')} = ${grouped(macs)} MACs`
      : () => `${ops.length - 1} pairwise contractions, left to right = ${grouped(macs)} MACs`,
  };
}

// ---- normalizations, element-wise, pooling, movement

/** FLOPs per output element; 'n-1': one per extra input (Add, Sum, Max), 'n': Mean. */
const ELEMENTWISE: Record<string, [number | 'n-1' | 'n', string]> = {
  Relu: [1, 'max'], LeakyRelu: [2, 'compare, multiply'], PRelu: [2, 'compare, multiply'], ThresholdedRelu: [1, 'compare'],
  Clip: [2, 'min, max'], Sigmoid: [4, 'negate, exp, add, divide'], HardSigmoid: [3, 'add, clip, scale'], HardSwish: [4, 'hard-sigmoid, multiply'],
  Tanh: [5, 'exp-based'], Gelu: [8, 'tanh form'], Erf: [4, 'so that Div, Erf, Add, Mul, Mul make a GELU of 8'],
  Elu: [4, 'compare, exp, subtract, multiply'], Celu: [4, 'compare, exp, subtract, multiply'], Selu: [5, 'compare, exp, subtract, 2 multiplies'],
  Softplus: [3, 'exp, add, log'], Softsign: [3, 'abs, add, divide'], Mish: [9, 'softplus, tanh, multiply'],
  Softmax: [5, 'max, subtract, exp, sum, divide'], LogSoftmax: [5, 'max, subtract, exp, sum, log-subtract'],
  Exp: [1, 'exp'], Log: [1, 'log'], Sqrt: [1, 'sqrt'], Reciprocal: [1, 'divide'], Neg: [1, 'negate'], Abs: [1, 'abs'],
  Floor: [1, 'floor'], Ceil: [1, 'ceil'], Round: [1, 'round'], Sign: [1, 'sign'], Sin: [1, 'sin'], Cos: [1, 'cos'],
  Pow: [1, 'power'], Mod: [1, 'modulo'],
  Add: ['n-1', 'add'], Sub: ['n-1', 'subtract'], Mul: ['n-1', 'multiply'], Div: ['n-1', 'divide'],
  Sum: ['n-1', 'add'], Max: ['n-1', 'max'], Min: ['n-1', 'min'], Mean: ['n', 'add, divide'],
  Where: [1, 'select'], Equal: [1, 'compare'], Less: [1, 'compare'], LessOrEqual: [1, 'compare'], Greater: [1, 'compare'],
  GreaterOrEqual: [1, 'compare'], And: [1, 'logical'], Or: [1, 'logical'], Xor: [1, 'logical'], Not: [1, 'logical'],
  IsNaN: [1, 'test'], IsInf: [1, 'test'],
  QuantizeLinear: [3, 'divide, round, add zero point'], DequantizeLinear: [2, 'subtract zero point, multiply'],
};
const ELEMENTWISE_CONFIG: Record<string, number[]> = { Clip: [1, 2] };

function elementwise(v: View, per: number, what: string, params: number): Work {
  const n = elems(v.out(0));
  const flops = mul(per, n);
  return { params, macs: 0, flops2: flops, flopsExact: flops, formula: () => `${per} FLOP${per === 1 ? '' : 's'} (${what}) x ${grouped(n)} elements = ${grouped(flops)} FLOPs` };
}

function elementwiseRule(op: string): Rule {
  const [per, what] = ELEMENTWISE[op];
  return {
    config: ELEMENTWISE_CONFIG[op],
    cost(v, config) {
      let data = 0;
      for (let i = 0; i < v.n.node.inputs.length; i++) if (v.has(i) && !config.has(i)) data++;
      const k = per === 'n-1' ? Math.max(data - 1, 0) : per === 'n' ? data : per;
      // PRelu's slope and a DequantizeLinear's stored tensor are params whatever their size or type
      const params = op === 'PRelu' ? v.weightElems(1) : op === 'DequantizeLinear' ? v.weightElems(0)
        : op === 'QuantizeLinear' ? 0 : floatWeightParams(v, config);
      return elementwise(v, k, what, params);
    },
  };
}

/** Normalizations: `per` FLOPs per element; params = the scale and bias inputs' elements. */
function norm(per: number, what: string, paramInputs: number[]): Rule {
  return {
    cost(v) {
      const n = elems(v.in(0));
      const flops = mul(per, n);
      let params = 0;
      for (const i of paramInputs) if (v.has(i)) params = add(params, v.weightElems(i));
      return { params, macs: 0, flops2: flops, flopsExact: flops, formula: () => `${per} FLOPs (${what}) x ${grouped(n)} elements = ${grouped(flops)} FLOPs` };
    },
  };
}

const batchNorm: Rule = {
  cost(v) {
    const x = v.in(0);
    const c = x.length > 1 ? x[1] : 1;
    const w = norm(2, 'scale, shift', [1, 2]).cost(v, new Set());
    return { ...w, trainingParams: mul(2, c) };
  },
};

function pool(v: View): Work {
  const k = attrInts(v.attrs, 'kernel_shape');
  if (!k || !k.length) throw new BadNode('pooling without kernel_shape');
  const y = v.out(0);
  v.in(0);
  const flops = mul(elems(k), elems(y));
  const [n, c, ...o] = y;
  return {
    params: 0, macs: 0, flops2: flops, flopsExact: flops,
    formula: () => `${product(['N', ...kernelNames(k.length), 'C', ...spatial(o.length, '_out')], [n, ...k, c, ...o], flops, 'FLOPs')()} (one per window element)`,
  };
}

function globalPool(v: View): Work {
  const x = v.in(0);
  const flops = elems(x);
  const [n, c, ...s] = x;
  return { params: 0, macs: 0, flops2: flops, flopsExact: flops, formula: product(['N', 'C', ...spatial(s.length, '')], [n, c, ...s], flops, 'FLOPs') };
}

/** Per output element: nearest 0; linear 2^(r+1) - 1 (bilinear 7: 4 multiplies, 3 adds); cubic 2*4^r - 1 (bicubic 31); r = rank - 2 spatial axes. */
function resize(v: View): Work {
  const y = v.out(0);
  v.in(0);
  const r = Math.max(y.length - 2, 1);
  const mode = attrStr(v.attrs, 'mode', 'nearest');
  const per = mode === 'linear' || mode === 'bilinear' ? 2 ** (r + 1) - 1 : mode === 'cubic' ? 2 * 4 ** r - 1 : 0;
  const n = elems(y);
  const flops = mul(per, n);
  return { params: 0, macs: 0, flops2: flops, flopsExact: flops, formula: () => `${per} FLOPs (${mode}) x ${grouped(n)} elements = ${grouped(flops)} FLOPs` };
}

function reduce(v: View): Work {
  const n = elems(v.in(0));
  v.out(0);
  return { params: 0, macs: 0, flops2: n, flopsExact: n, formula: () => `1 FLOP per input element x ${grouped(n)} = ${grouped(n)} FLOPs` };
}

const ZERO_WORK = (formula: string, note?: string, params = 0): Work =>
  ({ params, macs: 0, flops2: 0, flopsExact: 0, formula: () => formula, memory: NO_MEM, note });

/** Views and buffer-joining ops: no arithmetic, no traffic; a weight they pass on still counts as params. */
function view(config: number[] = []): Rule {
  return { config, cost: (v, cfg) => ZERO_WORK('no arithmetic (a view)', 'view: no data moved', floatWeightParams(v, cfg)) };
}

/** Copies (Transpose, Pad, Slice, Expand, Tile, Cast): no arithmetic; reads its input, writes its output. */
function copy(config: number[] = []): Rule {
  return {
    config,
    cost: (v, cfg) => {
      v.out(0);
      return { params: floatWeightParams(v, cfg), macs: 0, flops2: 0, flopsExact: 0, formula: () => 'no arithmetic; reads and writes the whole tensor' };
    },
  };
}

/** Gather: from a weight (an embedding table): params = the table, bytes = the gathered rows; from an
 *  activation: reads the gathered elements. Indices are read either way. */
const gather: Rule = {
  cost(v) {
    const out = elems(v.out(0));
    const rows = v.bytes(v.inDtype(0), out);
    const idx = v.has(1) && !v.isWeight(1) ? v.inBytes(1) : 0;
    const idxW = v.isWeight(1) ? v.inBytes(1) : 0;
    const written = v.outBytes(0);
    const table = v.isWeight(0);
    const mem: Mem = table
      ? { readBytes: idx, writtenBytes: written, weightBytes: add(rows, idxW) }
      : { readBytes: add(rows, idx), writtenBytes: written, weightBytes: idxW };
    return {
      params: table ? v.weightElems(0) : 0, macs: 0, flops2: 0, flopsExact: 0, memory: mem,
      formula: () => `no arithmetic; ${table ? 'gathers rows of a weight table' : 'gathers elements'}: ${grouped(out)} elements`,
    };
  },
};

const RULES: Record<string, Rule> = {
  Conv: { cost: (v) => conv(v, 0, 1, 2) },
  ConvInteger: { cost: (v) => ({ ...conv(v, 0, 1, null), fold: undefined }) },
  QLinearConv: { cost: (v) => ({ ...conv(v, 0, 3, 8), fold: undefined }) },
  ConvTranspose: { cost: convTranspose },
  Gemm: { cost: gemm },
  MatMul: { cost: (v) => matmul(v, 0, 1) },
  MatMulInteger: { cost: (v) => matmul(v, 0, 1) },
  QLinearMatMul: { cost: (v) => matmul(v, 0, 3) },
  Einsum: { cost: einsum },
  BatchNormalization: batchNorm,
  LayerNormalization: norm(8, 'layer norm', [1, 2]),
  InstanceNormalization: norm(8, 'instance norm', [1, 2]),
  GroupNormalization: norm(8, 'group norm', [1, 2]),
  MaxPool: { cost: pool }, AveragePool: { cost: pool }, LpPool: { cost: pool },
  GlobalAveragePool: { cost: globalPool }, GlobalMaxPool: { cost: globalPool }, GlobalLpPool: { cost: globalPool },
  Resize: { config: [1, 2, 3], cost: resize },
  Upsample: { config: [1], cost: resize },
  CumSum: { config: [1], cost: reduce },
  Gather: gather, GatherElements: gather, GatherND: gather,
  Concat: view(), Split: view([1]), Reshape: view([1]), Flatten: view(), Squeeze: view([1]), Unsqueeze: view([1]),
  Identity: view(), Dropout: view([1, 2]), Shape: view(), Size: view(), Constant: view(),
  ConstantOfShape: view([0]), Range: view([0, 1, 2]),
  Transpose: copy(), Pad: copy([1, 2, 3]), Expand: copy([1]), Tile: copy([1]), Slice: copy([1, 2, 3, 4]),
  Cast: copy(), CastLike: copy([1]), DepthToSpace: copy(), SpaceToDepth: copy(), Trilu: copy([1]),
  If: { cost: () => ZERO_WORK('control flow: the branches\' nodes are costed', 'control flow') },
  Loop: { cost: () => ZERO_WORK('control flow: the body\'s nodes are costed per iteration', 'control flow') },
  Scan: { cost: () => ZERO_WORK('control flow: the body\'s nodes are costed per iteration', 'control flow') },
};
for (const op of Object.keys(ELEMENTWISE)) RULES[op] = elementwiseRule(op);
for (const op of ['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare', 'ArgMax', 'ArgMin'])
  RULES[op] = { config: [1], cost: reduce };

/** The op types this module costs. */
export const COSTED_OPS: readonly string[] = Object.keys(RULES).sort();

// ---- one node

function defaultMemory(v: View, config: Set<number>): Mem {
  let readBytes = 0, weightBytes = 0, writtenBytes = 0;
  for (let i = 0; i < v.n.node.inputs.length; i++) {
    if (!v.has(i) || config.has(i)) continue;
    if (v.isWeight(i)) weightBytes = add(weightBytes, v.inBytes(i));
    else readBytes = add(readBytes, v.inBytes(i));
  }
  for (let i = 0; i < v.n.node.outputs.length; i++) if (v.hasOut(i)) writtenBytes = add(writtenBytes, v.outBytes(i));
  return { readBytes, writtenBytes, weightBytes };
}

const zeroCost = (counted: boolean, note: string, code?: CostCode): NodeCost => ({
  params: 0, trainingParams: 0, macs: 0, flops2: 0, flopsExact: 0, readBytes: 0, writtenBytes: 0, weightBytes: 0,
  formula: () => note, counted, note, ...(code ? { code } : {}),
});

/** Every input present is a folded constant (Shape -> Gather -> Concat chains): not real work. */
function isShapeComputation(n: InferredNode): boolean {
  let any = false;
  for (let i = 0; i < n.node.inputs.length; i++) {
    if (n.node.inputs[i] === '') continue;
    if (n.inputs[i]?.value === undefined) return false;
    any = true;
  }
  return any;
}

const isDefaultDomain = (d: string) => d === '' || d === 'ai.onnx';

/** A weight-only node (`Transpose(W)` with constant folding off): folded once at load, so no work and no
 *  traffic; its readers count the weights. An output no node reads (a graph output, or a subgraph's) is a
 *  weight the graph hands out: its params (float, more than one element, as for views) count here. */
function weightOnlyCost(n: InferredNode, over: number | undefined, ledger: Ledger, unread: Set<string>): NodeCost {
  const note = 'constant folded at load (weights only)';
  const v = new View(n, over, ledger);
  const sources = new Map<string, TensorInfo>();
  n.node.inputs.forEach((name, i) => {
    const w = n.weights[i];
    if (name && w) for (const t of weightSources(w, name)) sources.set(t.name, t);
  });
  let params = 0, weightBytes = 0;
  n.node.outputs.forEach((name, k) => {
    const t = n.outputs[k];
    if (!name || !unread.has(name) || ledger.claimed.has(name) || !t || !DTYPES[t.dtype]?.float) return;
    const e = elems(v.out(k));
    if (e <= 1) return;
    params = add(params, v.draw([...sources.values()], e, t.dtype));
    weightBytes = add(weightBytes, v.outBytes(k));
    v.claims.add(name);
  });
  v.commit();
  const out = params > 0 ? `${note}; a weight the graph outputs` : note;
  return { ...zeroCost(true, out), params, trainingParams: params, weightBytes };
}

function costOne(n: InferredNode, over: number | undefined, ledger: Ledger, unread: Set<string>): { cost: NodeCost; fold?: FoldInfo } {
  const op = n.node.opType;
  try {
    if (!isDefaultDomain(n.node.domain)) return { cost: zeroCost(false, `unknown op ${n.node.domain}.${op}: not counted`, 'unknown-op') };
    const rule = RULES[op];
    if (rule && isShapeComputation(n)) return { cost: zeroCost(true, 'shape computation') };
    if (n.weightOnly) return { cost: weightOnlyCost(n, over, ledger, unread) };
    if (!rule) return { cost: zeroCost(false, `unknown op ${op}: not counted`, 'unknown-op') };
    const config = new Set(rule.config ?? []);
    const v = new View(n, over, ledger);
    const w = rule.cost(v, config);
    const mem = w.memory ?? defaultMemory(v, config);
    const cost: NodeCost = {
      params: w.params, trainingParams: w.trainingParams ?? w.params, macs: w.macs, flops2: w.flops2, flopsExact: w.flopsExact,
      ...mem, formula: w.formula, counted: true, ...(w.note ? { note: w.note } : {}),
    };
    add(cost.readBytes, cost.writtenBytes, cost.weightBytes); // memory access must stay exact too
    v.commit();
    return { cost, fold: w.fold };
  } catch (e) {
    if (e instanceof Unknown) return { cost: zeroCost(false, `shape unknown: not counted (${e.message})`, 'shape-unknown') };
    if (e instanceof AnalysisError && e.code === 'too-large') return { cost: zeroCost(false, `too large: not counted (${e.message})`, 'too-large') };
    const msg = e instanceof Error ? e.message : String(e);
    return { cost: zeroCost(false, `${op}: ${msg}: not counted`, 'bad-node') };
  }
}

// ---- the graph

const nodeName = (nodes: InferredNode[], i: number) => nodes[i].node.name || `${nodes[i].node.opType} #${i}`;

/** Folds batch norms (docs/costs.md rules 1 and 2) into `costs`, in place. */
function foldBatchNorms(nodes: InferredNode[], costs: NodeCost[], folds: (FoldInfo | undefined)[]) {
  const producer = new Map<string, number>();
  const readers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const o of n.node.outputs) if (o !== '') producer.set(o, i);
    for (const x of n.node.inputs) if (x !== '') { const r = readers.get(x); if (r) r.push(i); else readers.set(x, [i]); }
  });
  const hasBias = folds.map((f) => f?.hasBias ?? false);
  nodes.forEach((n, i) => {
    if (n.node.opType !== 'BatchNormalization' || !isDefaultDomain(n.node.domain) || !costs[i].counted || costs[i].note === 'shape computation' || n.weightOnly) return;
    const x = n.node.inputs[0] ?? '';
    const c = n.inputs[0]?.shape?.[1];
    const p = producer.get(x);
    const fits = (t: number | undefined): t is number =>
      t !== undefined && folds[t] !== undefined && costs[t].counted && nodes[t].graphPath === n.graphPath;
    let target: number | undefined;
    if (fits(p) && readers.get(x)?.length === 1 && folds[p]!.cout === c) target = p;
    else {
      const rs = readers.get(n.node.outputs[0] ?? '') ?? [];
      const r = rs[0];
      if (rs.length === 1 && fits(r) && folds[r]!.forwardOk && nodes[r].node.inputs[0] === n.node.outputs[0]) target = r;
    }
    if (target === undefined) return;
    const name = nodeName(nodes, target);
    costs[i] = { ...zeroCost(true, `folded into ${name}`), trainingParams: costs[i].trainingParams, foldedInto: target, formula: () => `folded into ${name}: no cost at inference` };
    if (hasBias[target]) return;
    const t = costs[target];
    const f = folds[target]!;
    try {
      costs[target] = {
        ...t, params: add(t.params, f.cout), weightBytes: add(t.weightBytes, f.biasBytes),
        flops2: add(t.flops2, f.outElems), flopsExact: add(t.flopsExact, f.outElems), biasFromBn: true,
      };
      add(costs[target].readBytes, costs[target].writtenBytes, costs[target].weightBytes);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      costs[target] = zeroCost(false, `too large: not counted (${msg})`, 'too-large');
    }
    hasBias[target] = true;
  });
}

/** The cost of every node, in `nodes` order. `dtypeOverride` (a TensorProto.DataType number) counts
 *  float32/float16/bfloat16/float64 tensors at its size; integer tensors keep theirs. Never throws. */
export function costNodes(nodes: InferredNode[], options: { dtypeOverride?: number } = {}): NodeCost[] {
  const over = options.dtypeOverride;
  const costs: NodeCost[] = [];
  const folds: (FoldInfo | undefined)[] = [];
  const ledger = newLedger();
  const unread = new Set<string>();
  for (const n of nodes) if (n.weightOnly) for (const o of n.node.outputs) if (o) unread.add(o);
  if (unread.size > 0) for (const n of nodes) for (const x of n.node.inputs) unread.delete(x);
  for (const n of nodes) {
    const { cost, fold } = costOne(n, over, ledger, unread);
    costs.push(cost);
    folds.push(fold);
  }
  try {
    foldBatchNorms(nodes, costs, folds);
  } catch {
    // folding is best effort: the unfolded figures stay
  }
  for (let i = 0; i < nodes.length; i++) {
    if (nodes[i].perIteration) costs[i] = { ...costs[i], note: costs[i].note ? `per iteration; ${costs[i].note}` : 'per iteration' };
  }
  return costs;
}

/** Totals per op type, sorted by MACs then memory access bytes, descending (then by op type). A total
 *  past 2^53 is NaN, with `tooLarge` set: never a rounded figure. */
export function totalsByOp(nodes: InferredNode[], costs: NodeCost[]): OpTotals[] {
  const rows = new Map<string, OpTotals>();
  const sum = (row: OpTotals, a: number, b: number): number => {
    const s = a + b;
    if (Number.isSafeInteger(s)) return s;
    row.tooLarge = true;
    return Number.NaN;
  };
  nodes.forEach((n, i) => {
    const c = costs[i];
    if (!c) return;
    const opType = isDefaultDomain(n.node.domain) ? n.node.opType : `${n.node.domain}.${n.node.opType}`;
    let row = rows.get(opType);
    if (!row) rows.set(opType, (row = { opType, count: 0, params: 0, macs: 0, flops2: 0, memoryBytes: 0 }));
    row.count++;
    row.params = sum(row, row.params, c.params);
    row.macs = sum(row, row.macs, c.macs);
    row.flops2 = sum(row, row.flops2, c.flops2);
    row.memoryBytes = sum(row, row.memoryBytes, sum(row, sum(row, c.readBytes, c.writtenBytes), c.weightBytes));
  });
  const key = (x: number) => (Number.isNaN(x) ? Infinity : x);
  return [...rows.values()].sort((a, b) => key(b.macs) - key(a.macs) || key(b.memoryBytes) - key(a.memoryBytes) || (a.opType < b.opType ? -1 : a.opType > b.opType ? 1 : 0));
}
