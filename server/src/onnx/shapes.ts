// Per-operator shape functions of ONNX shape inference (infer.ts drives them): from a node and the types
// of its inputs, the types of its outputs. Values of small constant tensors (shape vectors, axes, scales)
// are folded through the shape-computing ops so that Reshape, Expand, Resize... get real shapes.
// A shape function returns unknown (null) outputs for unknown inputs and throws ShapeError only when
// the known shapes contradict each other; it never reads beyond what the node and its inputs say.
import { BOOL, DTYPES, FLOAT, INT64, SMALL_TENSOR, type AttrValue, type OnnxNode, type TensorInfo, type TensorType } from './model';

export type Shape = (number | null)[];
export type Out = TensorType | null;

/** Known shapes that contradict each other: infer.ts reports it as `onnx-shape-error` on the node. */
export class ShapeError extends Error {}

export interface OpCtx {
  node: OnnxNode;
  /** the model's ai.onnx opset */
  opset: number;
  /** input types in node.inputs order; null for an omitted or unknown input */
  inputs: (TensorType | null)[];
}
export type ShapeFn = (c: OpCtx) => Out[];

const INT32 = 6;
const UINT8 = 2;
const STRING = 8;

const fail = (msg: string): never => {
  throw new ShapeError(msg);
};

// ---- shapes and values

export const isKnown = (s: Shape): s is number[] => s.every((d) => d !== null);
/** Element count of a shape, null when a dim is unknown. */
export function numel(s: Shape): number | null {
  let n = 1;
  for (const d of s) {
    if (d === null) return null;
    n *= d;
  }
  return n;
}
export const fmtShape = (s: Shape | null): string => (s === null ? '[?]' : `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`);

/** The largest rank inference gives a tensor (a shape value holds at most SMALL_TENSOR dims); beyond it
 *  the rank is unknown. A hostile model can make a shape's *length* a dim (`Reshape` by a tensor of shape
 *  [2^20]): that must not become an array of a million dims copied through every later node. */
export const MAX_RANK = SMALL_TENSOR;
/** `k` unknown dims, or null (unknown rank) when `k` is not a valid rank */
const unknownDims = (k: number | null | undefined): Shape | null => (typeof k === 'number' && Number.isInteger(k) && k >= 0 && k <= MAX_RANK ? new Array<null>(k).fill(null) : null);

/** A tensor type; the value is kept only when it is complete and small. */
export function tt(dtype: number, shape: Shape | null, value?: number[]): TensorType {
  if (shape !== null && shape.length > MAX_RANK) shape = null;
  const t: TensorType = { dtype, shape };
  if (value !== undefined && shape !== null && isKnown(shape) && value.length === numel(shape) && value.length <= SMALL_TENSOR) t.value = value;
  return t;
}

const isInt = (dtype: number): boolean => DTYPES[dtype] !== undefined && !DTYPES[dtype].float && dtype !== BOOL && dtype !== STRING;
/** A folded number as a tensor of `dtype` holds it (float32 rounding, integer truncation, bool), or NaN when it cannot. */
function fix(dtype: number, x: number): number {
  if (dtype === BOOL) return x ? 1 : 0;
  if (dtype === FLOAT) return Math.fround(x);
  if (isInt(dtype)) return Number.isFinite(x) ? Math.trunc(x) : NaN;
  return x;
}
/** Values mapped to `dtype`, undefined when one cannot be represented. */
function fixAll(dtype: number, xs: number[]): number[] | undefined {
  const out = xs.map((x) => fix(dtype, x));
  return out.some((x) => Number.isNaN(x)) && isInt(dtype) ? undefined : out;
}

/** Calls `cb` with every multi-index of a known shape in row-major order and its flat position. */
function forEachIndex(shape: number[], cb: (idx: number[], flat: number) => void): void {
  const n = numel(shape) ?? 0;
  const idx = shape.map(() => 0);
  for (let k = 0; k < n; k++) {
    cb(idx, k);
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
}
/** Row-major strides of a shape. */
function stridesOf(shape: number[]): number[] {
  const st = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1] * shape[i + 1];
  return st;
}

/** Numpy (multidirectional) broadcasting of shapes; throws when two known dims differ and neither is 1. */
export function broadcast(shapes: Shape[]): Shape {
  const r = shapes.reduce((m, s) => Math.max(m, s.length), 0);
  const out: Shape = [];
  for (let i = 0; i < r; i++) {
    let d = 1;
    let unknown = false;
    for (const s of shapes) {
      const k = s.length - r + i;
      if (k < 0) continue;
      const x = s[k];
      if (x === null) unknown = true;
      else if (x !== 1) {
        if (d !== 1 && d !== x) fail(`cannot broadcast ${shapes.map(fmtShape).join(' with ')}`);
        d = x;
      }
    }
    out.push(d === 1 && unknown ? null : d);
  }
  return out;
}

/** Element-wise `f` over broadcast inputs with known values; undefined when the result is too large. */
function foldBroadcast(out: number[], ins: { shape: number[]; value: number[] }[], f: (xs: number[]) => number): number[] | undefined {
  const n = numel(out) ?? 0;
  if (n > SMALL_TENSOR) return undefined;
  const r = out.length;
  const strides = ins.map((t) => {
    const st = out.map(() => 0);
    const own = stridesOf(t.shape);
    t.shape.forEach((d, i) => {
      st[r - t.shape.length + i] = d === 1 ? 0 : own[i];
    });
    return st;
  });
  const res: number[] = [];
  forEachIndex(out, (idx) => {
    res.push(f(ins.map((t, j) => {
      let off = 0;
      for (let a = 0; a < r; a++) off += idx[a] * strides[j][a];
      return t.value[off];
    })));
  });
  return res;
}

// ---- attributes and inputs

const isTensor = (v: AttrValue | undefined): v is TensorInfo =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'dims' in v && 'dtype' in v;
export const attrTensor = (n: OnnxNode, name: string): TensorInfo | undefined => {
  const v = n.attrs[name];
  return isTensor(v) ? v : undefined;
};
const attrNum = (n: OnnxNode, name: string): number | undefined => {
  const v = n.attrs[name];
  return typeof v === 'number' ? v : undefined;
};
export const attrInt = (n: OnnxNode, name: string, def: number): number => attrNum(n, name) ?? def;
export function attrInts(n: OnnxNode, name: string): number[] | undefined {
  const v = n.attrs[name];
  if (!Array.isArray(v)) return undefined;
  const out: number[] = [];
  for (const x of v) if (typeof x === 'number') out.push(x);
  return out.length === v.length ? out : undefined;
}
export const attrStr = (n: OnnxNode, name: string, def: string): string => {
  const v = n.attrs[name];
  return typeof v === 'string' ? v : def;
};

const inp = (c: OpCtx, i: number): TensorType | null => (i < c.inputs.length ? c.inputs[i] : null) ?? null;
/** Whether input i is given (not omitted), whatever is known about it. */
const has = (c: OpCtx, i: number): boolean => i < c.node.inputs.length && c.node.inputs[i] !== '';
const shp = (c: OpCtx, i: number): Shape | null => inp(c, i)?.shape ?? null;
const val = (c: OpCtx, i: number): number[] | undefined => inp(c, i)?.value;
const dt = (c: OpCtx, i: number): number => inp(c, i)?.dtype ?? 0;

/**
 * An int list that older opsets give as an attribute and newer ones as an input: the list; null when the
 * input is given but its value is not a known constant; undefined when neither is given.
 */
function intsParam(c: OpCtx, attr: string, input: number): number[] | null | undefined {
  if (has(c, input)) return val(c, input) ?? null;
  return attrInts(c.node, attr);
}
/** A float list given as attribute (old opsets) or input (new ones), same conventions as intsParam. */
function floatsParam(c: OpCtx, attr: string, input: number): number[] | null | undefined {
  if (has(c, input)) return val(c, input) ?? null;
  const v = c.node.attrs[attr];
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
}

/** An axis in [-rank, rank) as a non-negative axis; throws when out of range. */
function axisOf(a: number, rank: number, what: string): number {
  const x = a < 0 ? a + rank : a;
  if (!Number.isInteger(x) || x < 0 || x >= rank) fail(`${what} ${a} is out of range for rank ${rank}`);
  return x;
}
const unknownOuts = (c: OpCtx, dtype: number): Out[] => c.node.outputs.map(() => (dtype ? tt(dtype, null) : null));

// ---- element-wise

/** Shape and dtype of input 0, its value mapped by `fold` when known. */
function unary(fold?: (x: number) => number, outputs = 1): ShapeFn {
  return (c) => {
    const a = inp(c, 0);
    if (!a) return [null];
    const v = fold && a.value ? fixAll(a.dtype, a.value.map(fold)) : undefined;
    const out = [tt(a.dtype, a.shape, v)];
    for (let k = 1; k < outputs; k++) out.push(tt(a.dtype, a.shape));
    return out;
  };
}
const boolOut: ShapeFn = (c) => {
  const a = inp(c, 0);
  return [a ? tt(BOOL, a.shape) : null];
};

/** Broadcasting n-ary op over the given inputs; `cmp` ops give bool. */
function nary(fold?: (xs: number[], intDiv: boolean) => number, cmp = false, first = 0, dtypeFrom = 0): ShapeFn {
  return (c) => {
    const ins: TensorType[] = [];
    let unknown = false;
    for (let i = first; i < c.node.inputs.length; i++) {
      if (!has(c, i)) continue;
      const t = inp(c, i);
      if (t === null || t.shape === null) unknown = true;
      else ins.push(t);
    }
    const dtype = cmp ? BOOL : dt(c, dtypeFrom) || ins[0]?.dtype || 0;
    if (unknown) {
      // an unknown input still gives the rank when the others show it is at least that large: keep it unknown
      return [dtype ? tt(dtype, null) : null];
    }
    const shape = broadcast(ins.map((t) => t.shape as Shape));
    let value: number[] | undefined;
    if (fold && isKnown(shape) && ins.every((t) => t.value)) {
      const intDiv = isInt(ins[0]?.dtype ?? 0);
      const raw = foldBroadcast(shape, ins.map((t) => ({ shape: t.shape as number[], value: t.value as number[] })), (xs) => fold(xs, intDiv));
      value = raw && fixAll(dtype, raw);
    }
    return [tt(dtype, shape, value)];
  };
}
const pairwise = (f: (a: number, b: number) => number) => (xs: number[]): number => xs.reduce((a, b) => f(a, b));
const BINARY_FOLDS: Record<string, (xs: number[], intDiv: boolean) => number> = {
  Add: pairwise((a, b) => a + b),
  Sub: pairwise((a, b) => a - b),
  Mul: pairwise((a, b) => a * b),
  Div: ([a, b], intDiv) => (intDiv ? (b === 0 ? NaN : Math.trunc(a / b)) : a / b),
  Pow: ([a, b]) => a ** b,
  Equal: ([a, b]) => (a === b ? 1 : 0),
  Less: ([a, b]) => (a < b ? 1 : 0),
  LessOrEqual: ([a, b]) => (a <= b ? 1 : 0),
  Greater: ([a, b]) => (a > b ? 1 : 0),
  GreaterOrEqual: ([a, b]) => (a >= b ? 1 : 0),
  And: ([a, b]) => (a && b ? 1 : 0),
  Or: ([a, b]) => (a || b ? 1 : 0),
  Xor: ([a, b]) => (!a !== !b ? 1 : 0),
  Min: pairwise(Math.min),
  Max: pairwise(Math.max),
  Sum: pairwise((a, b) => a + b),
  Mean: (xs) => xs.reduce((a, b) => a + b) / xs.length,
};
const CMP = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor']);

const mod: ShapeFn = (c) => {
  const fmod = attrInt(c.node, 'fmod', 0) === 1;
  return nary(([a, b]) => (b === 0 ? NaN : fmod ? a % b : ((a % b) + b) % b))(c);
};

const cast: ShapeFn = (c) => {
  const a = inp(c, 0);
  const to = c.node.opType === 'CastLike' ? dt(c, 1) : attrInt(c.node, 'to', 0);
  if (!a) return [to ? tt(to, null) : null];
  return [tt(to || a.dtype, a.shape, a.value && fixAll(to, a.value))];
};

// ---- shape-computing ops

const shapeOp: ShapeFn = (c) => {
  const s = shp(c, 0);
  if (!s) return [tt(INT64, [null])];
  const r = s.length;
  const clampEnd = (x: number): number => Math.min(Math.max(x < 0 ? x + r : x, 0), r);
  const dims = s.slice(clampEnd(attrInt(c.node, 'start', 0)), clampEnd(attrInt(c.node, 'end', r)));
  return [tt(INT64, [dims.length], isKnown(dims) ? dims : undefined)];
};
const size: ShapeFn = (c) => {
  const s = shp(c, 0);
  const n = s ? numel(s) : null;
  return [tt(INT64, [], n === null ? undefined : [n])];
};

const constant: ShapeFn = (c) => {
  const n = c.node;
  const v = attrTensor(n, 'value');
  if (v) return [tt(v.dtype, v.dims.slice(), v.values ?? undefined)];
  const i = attrNum(n, 'value_int');
  if (i !== undefined) return [tt(INT64, [], [i])];
  const f = attrNum(n, 'value_float');
  if (f !== undefined) return [tt(FLOAT, [], [Math.fround(f)])];
  const is = attrInts(n, 'value_ints');
  if (is) return [tt(INT64, [is.length], is)];
  const fs = attrInts(n, 'value_floats');
  if (fs) return [tt(FLOAT, [fs.length], fs.map(Math.fround))];
  if (typeof n.attrs.value_string === 'string') return [tt(STRING, [])];
  const ss = n.attrs.value_strings;
  if (Array.isArray(ss)) return [tt(STRING, [ss.length])];
  return [null];
};

const constantOfShape: ShapeFn = (c) => {
  const v = attrTensor(c.node, 'value');
  const dtype = v?.dtype ?? FLOAT;
  const dims = val(c, 0);
  if (!dims) {
    const k = shp(c, 0)?.[0];
    return [tt(dtype, unknownDims(k))];
  }
  if (dims.some((d) => d < 0)) fail(`negative dim in ConstantOfShape shape ${fmtShape(dims)}`);
  const n = numel(dims) ?? 0;
  const fill = v?.values?.[0] ?? 0;
  return [tt(dtype, dims.slice(), n <= SMALL_TENSOR ? new Array<number>(n).fill(fill) : undefined)];
};

const range: ShapeFn = (c) => {
  const dtype = dt(c, 0) || dt(c, 1);
  const [s, l, d] = [val(c, 0)?.[0], val(c, 1)?.[0], val(c, 2)?.[0]];
  if (s === undefined || l === undefined || d === undefined) return [tt(dtype, [null])];
  if (d === 0) fail('Range with delta 0');
  const n = Math.max(Math.ceil((l - s) / d), 0);
  const value = n <= SMALL_TENSOR ? Array.from({ length: n }, (_, k) => s + k * d) : undefined;
  return [tt(dtype, [n], value && fixAll(dtype, value))];
};

const gather: ShapeFn = (c) => {
  const d = inp(c, 0);
  const ix = inp(c, 1);
  if (!d) return [null];
  if (!d.shape || !ix?.shape) return [tt(d.dtype, null)];
  const r = d.shape.length;
  const axis = axisOf(attrInt(c.node, 'axis', 0), r, 'Gather axis');
  const out = [...d.shape.slice(0, axis), ...ix.shape, ...d.shape.slice(axis + 1)];
  let value: number[] | undefined;
  const len = d.shape[axis];
  if (d.value && ix.value && isKnown(d.shape) && len !== null) {
    const idx = ix.value.map((k) => (k < 0 ? k + len : k));
    if (idx.some((k) => k < 0 || k >= len)) fail(`Gather index ${fmtShape(ix.value)} out of range for dim ${len}`);
    const outer = numel(d.shape.slice(0, axis)) ?? 0;
    const inner = numel(d.shape.slice(axis + 1)) ?? 0;
    value = [];
    for (let o = 0; o < outer; o++) for (const k of idx) for (let i = 0; i < inner; i++) value.push(d.value[(o * len + k) * inner + i]);
  }
  return [tt(d.dtype, out, value)];
};

const gatherElements: ShapeFn = (c) => {
  const ix = shp(c, 1);
  return [tt(dt(c, 0), ix)];
};
const gatherND: ShapeFn = (c) => {
  const d = shp(c, 0);
  const ix = shp(c, 1);
  if (!d || !ix || ix.length === 0) return [tt(dt(c, 0), null)];
  const b = attrInt(c.node, 'batch_dims', 0);
  const last = ix[ix.length - 1];
  if (last === null) return [tt(dt(c, 0), null)];
  return [tt(dt(c, 0), [...ix.slice(0, -1), ...d.slice(b + last)])];
};

const concat: ShapeFn = (c) => {
  const ins = c.node.inputs.map((_, i) => inp(c, i));
  const dtype = ins.find((t) => t)?.dtype ?? 0;
  const known = ins.find((t) => t?.shape)?.shape;
  if (!known) return [dtype ? tt(dtype, null) : null];
  const r = known.length;
  const axis = axisOf(attrInt(c.node, 'axis', 0), r, 'Concat axis');
  const out: Shape = known.map(() => null);
  let total: number | null = 0;
  for (const t of ins) {
    if (!t?.shape) {
      total = null;
      continue;
    }
    if (t.shape.length !== r) fail(`Concat inputs of ranks ${r} and ${t.shape.length}`);
    t.shape.forEach((d, i) => {
      if (i === axis) return;
      if (d !== null && out[i] !== null && out[i] !== d) fail(`Concat inputs differ on axis ${i}: ${out[i]} and ${d}`);
      if (d !== null) out[i] = d;
    });
    const a = t.shape[axis];
    total = total === null || a === null ? null : total + a;
  }
  out[axis] = total;
  let value: number[] | undefined;
  if (isKnown(out) && ins.every((t) => t?.value)) {
    const outer = numel(out.slice(0, axis)) ?? 0;
    value = [];
    for (let o = 0; o < outer; o++) {
      for (const t of ins) {
        const chunk = (numel((t?.shape as number[]).slice(axis)) ?? 0);
        value.push(...(t?.value as number[]).slice(o * chunk, (o + 1) * chunk));
      }
    }
  }
  return [tt(dtype, out, value)];
};

const split: ShapeFn = (c) => {
  const x = inp(c, 0);
  const n = c.node.outputs.length;
  if (!x) return c.node.outputs.map(() => null);
  if (!x.shape) return unknownOuts(c, x.dtype);
  const shape = x.shape;
  const axis = axisOf(attrInt(c.node, 'axis', 0), shape.length, 'Split axis');
  const dim = shape[axis];
  let sizes: (number | null)[];
  const given = intsParam(c, 'split', 1);
  if (given === null) sizes = new Array<null>(n).fill(null);
  else if (given !== undefined && given.length > 0) {
    if (given.length !== n) fail(`Split has ${given.length} sizes for ${n} outputs`);
    const sum = given.reduce((a, b) => a + b, 0);
    if (dim !== null && sum !== dim) fail(`Split sizes add up to ${sum}, the dim is ${dim}`);
    sizes = given;
  } else {
    const parts = attrNum(c.node, 'num_outputs') ?? n;
    if (!Number.isInteger(parts) || parts < 1 || parts > Math.max(n, MAX_RANK)) fail(`Split num_outputs ${parts} for ${n} outputs`);
    if (dim === null) sizes = new Array<null>(n).fill(null);
    else if (attrNum(c.node, 'num_outputs') !== undefined) {
      const chunk = Math.ceil(dim / parts);
      sizes = Array.from({ length: parts }, (_, k) => Math.max(0, Math.min(chunk, dim - k * chunk)));
    } else {
      if (dim % parts !== 0) fail(`Split of dim ${dim} into ${parts} equal parts`);
      sizes = new Array<number>(parts).fill(dim / parts);
    }
  }
  return c.node.outputs.map((_, k) => tt(x.dtype, shape.map((d, i) => (i === axis ? sizes[k] ?? null : d))));
};

/** Start, step and length of a Slice along a dim of size d (ONNX clamping rules). */
function sliceAxis(d: number, s: number, e: number, step: number): { start: number; len: number } {
  if (s < 0) s += d;
  if (e < 0) e += d;
  const clamp = (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi);
  if (step > 0) {
    s = clamp(s, 0, d);
    e = clamp(e, 0, d);
    return { start: s, len: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = clamp(s, 0, d - 1);
  e = clamp(e, -1, d - 1);
  return { start: s, len: Math.max(0, Math.ceil((s - e) / -step)) };
}
const slice: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null];
  if (!x.shape) return [tt(x.dtype, null)];
  const shape = x.shape;
  const r = shape.length;
  const starts = intsParam(c, 'starts', 1);
  const ends = intsParam(c, 'ends', 2);
  const axesP = intsParam(c, 'axes', 3);
  const steps = has(c, 4) ? val(c, 4) ?? null : undefined;
  if (starts === undefined || ends === undefined) fail('Slice without starts or ends');
  if (starts === null || ends === null || axesP === null || steps === null) {
    const axes = axesP ? new Set(axesP.map((a) => axisOf(a, r, 'Slice axis'))) : null;
    return [tt(x.dtype, shape.map((d, i) => (axes === null || axes.has(i) ? null : d)))];
  }
  const st = starts as number[];
  const en = ends as number[];
  const axes = (axesP ?? st.map((_, i) => i)).map((a) => axisOf(a, r, 'Slice axis'));
  const stp = steps ?? st.map(() => 1);
  if (en.length !== st.length || axes.length !== st.length || stp.length !== st.length) fail('Slice starts, ends, axes and steps differ in length');
  const out = shape.slice();
  const first = shape.map(() => 0);
  const step = shape.map(() => 1);
  axes.forEach((a, k) => {
    if (stp[k] === 0) fail('Slice step 0');
    const d = shape[a];
    if (d === null) {
      out[a] = null;
      return;
    }
    const s = sliceAxis(d, st[k], en[k], stp[k]);
    out[a] = s.len;
    first[a] = s.start;
    step[a] = stp[k];
  });
  let value: number[] | undefined;
  if (x.value && isKnown(out) && isKnown(shape)) {
    const strides = stridesOf(shape);
    const v = x.value;
    value = [];
    forEachIndex(out, (idx) => {
      let off = 0;
      for (let a = 0; a < r; a++) off += (first[a] + idx[a] * step[a]) * strides[a];
      (value as number[]).push(v[off]);
    });
  }
  return [tt(x.dtype, out, value)];
};

const reshape: ShapeFn = (c) => {
  const x = inp(c, 0);
  const dtype = x?.dtype ?? 0;
  const target = has(c, 1) ? val(c, 1) : attrInts(c.node, 'shape');
  if (!target) {
    const k = shp(c, 1)?.[0];
    return [dtype || k !== undefined ? tt(dtype, unknownDims(k)) : null];
  }
  const allowZero = attrInt(c.node, 'allowzero', 0) === 1;
  const inShape = x?.shape ?? null;
  if (target.filter((d) => d === -1).length > 1) fail(`Reshape to ${fmtShape(target)} has more than one -1`);
  if (target.some((d) => d < -1)) fail(`Reshape to ${fmtShape(target)}: negative dim`);
  const out: Shape = target.map((d, i) => {
    if (d !== 0 || allowZero) return d;
    if (inShape === null) return null;
    if (i >= inShape.length) fail(`Reshape copies dim ${i} of a rank-${inShape.length} input`);
    return inShape[i];
  });
  const total = inShape ? numel(inShape) : null;
  const hole = out.indexOf(-1);
  const rest = numel(out.filter((_, i) => i !== hole));
  if (hole >= 0) {
    if (total === null || rest === null) out[hole] = null;
    else if (rest === 0) {
      if (total !== 0) fail(`Reshape of ${fmtShape(inShape)} to ${fmtShape(target)}`);
      out[hole] = 0;
    } else {
      if (total % rest !== 0) fail(`Reshape of ${fmtShape(inShape)} (${total} elements) to ${fmtShape(target)}`);
      out[hole] = total / rest;
    }
  } else if (total !== null && rest !== null && total !== rest) {
    fail(`Reshape of ${fmtShape(inShape)} (${total} elements) to ${fmtShape(out)} (${rest} elements)`);
  }
  return [tt(dtype, out, x?.value)];
};

const flatten: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null];
  if (!x.shape) return [tt(x.dtype, [null, null])];
  const r = x.shape.length;
  let axis = attrInt(c.node, 'axis', 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r) fail(`Flatten axis ${attrInt(c.node, 'axis', 1)} out of range for rank ${r}`);
  return [tt(x.dtype, [numel(x.shape.slice(0, axis)), numel(x.shape.slice(axis))], x.value)];
};

const transpose: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null];
  if (!x.shape) return [tt(x.dtype, null)];
  const shape = x.shape;
  const r = shape.length;
  const perm = attrInts(c.node, 'perm') ?? shape.map((_, i) => r - 1 - i);
  if (perm.length !== r || new Set(perm.map((p) => axisOf(p, r, 'Transpose perm'))).size !== r) fail(`Transpose perm ${fmtShape(perm)} for rank ${r}`);
  const p = perm.map((a) => (a < 0 ? a + r : a));
  const out = p.map((a) => shape[a]);
  let value: number[] | undefined;
  if (x.value && isKnown(shape) && isKnown(out)) {
    const strides = stridesOf(shape);
    const v = x.value;
    value = [];
    forEachIndex(out, (idx) => (value as number[]).push(v[idx.reduce((off, k, i) => off + k * strides[p[i]], 0)]));
  }
  return [tt(x.dtype, out, value)];
};

const squeeze: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null];
  const axesP = intsParam(c, 'axes', 1);
  if (!x.shape || axesP === null) return [tt(x.dtype, null)];
  const shape = x.shape;
  const r = shape.length;
  if (axesP === undefined || axesP.length === 0) {
    if (!isKnown(shape)) return [tt(x.dtype, null)];
    return [tt(x.dtype, shape.filter((d) => d !== 1), x.value)];
  }
  const axes = new Set(axesP.map((a) => axisOf(a, r, 'Squeeze axis')));
  for (const a of axes) if (shape[a] !== null && shape[a] !== 1) fail(`Squeeze of axis ${a} whose dim is ${shape[a]}`);
  return [tt(x.dtype, shape.filter((_, i) => !axes.has(i)), x.value)];
};

const unsqueeze: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null];
  const axesP = intsParam(c, 'axes', 1);
  if (!x.shape || axesP === null) return [tt(x.dtype, null)];
  if (axesP === undefined) fail('Unsqueeze without axes');
  const axesL = axesP as number[];
  const r = x.shape.length + axesL.length;
  const axes = new Set(axesL.map((a) => axisOf(a, r, 'Unsqueeze axis')));
  if (axes.size !== axesL.length) fail(`Unsqueeze with repeated axes ${fmtShape(axesL)}`);
  const out: Shape = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(axes.has(i) ? 1 : x.shape[k++]);
  return [tt(x.dtype, out, x.value)];
};

const expand: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null];
  const target = val(c, 1);
  if (!target || !x.shape) {
    const k = shp(c, 1)?.[0];
    return [tt(x.dtype, typeof k === 'number' && x.shape ? unknownDims(Math.max(k, x.shape.length)) : null)];
  }
  const out = broadcast([x.shape, target]);
  let value: number[] | undefined;
  if (x.value && isKnown(out) && isKnown(x.shape)) value = foldBroadcast(out, [{ shape: x.shape, value: x.value }], ([v]) => v);
  return [tt(x.dtype, out, value)];
};

const tile: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null];
  if (!x.shape) return [tt(x.dtype, null)];
  const reps = val(c, 1);
  if (!reps) return [tt(x.dtype, x.shape.map(() => null))];
  if (reps.length !== x.shape.length) fail(`Tile repeats ${fmtShape(reps)} for rank ${x.shape.length}`);
  return [tt(x.dtype, x.shape.map((d, i) => (d === null ? null : d * reps[i])))];
};

const where: ShapeFn = (c) => nary(([cond, a, b]) => (cond ? a : b), false, 0, 1)(c);

const nonZero: ShapeFn = (c) => {
  const s = shp(c, 0);
  return [tt(INT64, [s ? s.length : null, null])];
};

// ---- linear algebra

/** Output shape of a numpy matmul; throws when the inner dims differ. */
export function matmulShape(a: Shape, b: Shape): Shape {
  if (a.length === 0 || b.length === 0) fail('MatMul of a scalar');
  const aa = a.length === 1 ? [1, a[0]] : a;
  const bb = b.length === 1 ? [b[0], 1] : b;
  const k1 = aa[aa.length - 1];
  const k2 = bb[bb.length - 2];
  if (k1 !== null && k2 !== null && k1 !== k2) fail(`MatMul of ${fmtShape(a)} and ${fmtShape(b)}: inner dims ${k1} and ${k2} differ`);
  const out = [...broadcast([aa.slice(0, -2), bb.slice(0, -2)]), aa[aa.length - 2], bb[bb.length - 1]];
  if (b.length === 1) out.pop();
  if (a.length === 1) out.splice(out.length - (b.length === 1 ? 1 : 2), 1);
  return out;
}
function matmulAt(ai: number, bi: number, dtypeOf: (c: OpCtx) => number): ShapeFn {
  return (c) => {
    const a = shp(c, ai);
    const b = shp(c, bi);
    const dtype = dtypeOf(c);
    if (!a || !b) return [dtype ? tt(dtype, null) : null];
    return [tt(dtype, matmulShape(a, b))];
  };
}

const gemm: ShapeFn = (c) => {
  const a = shp(c, 0);
  const b = shp(c, 1);
  const dtype = dt(c, 0);
  if (!a || !b) return [dtype ? tt(dtype, null) : null];
  if (a.length !== 2 || b.length !== 2) fail(`Gemm of ranks ${a.length} and ${b.length}, expected 2`);
  const [m, k1] = attrInt(c.node, 'transA', 0) ? [a[1], a[0]] : [a[0], a[1]];
  const [k2, n] = attrInt(c.node, 'transB', 0) ? [b[1], b[0]] : [b[0], b[1]];
  if (k1 !== null && k2 !== null && k1 !== k2) fail(`Gemm of ${fmtShape(a)} and ${fmtShape(b)}: inner dims ${k1} and ${k2} differ`);
  const bias = shp(c, 2);
  const out: Shape = [m, n];
  if (bias) broadcast([out, bias]);
  return [tt(dtype, out)];
};

/** Outputs of an Einsum equation; '...' is broadcast across the operands. */
export function einsumShape(equation: string, shapes: Shape[]): Shape {
  const eq = equation.replace(/\s/g, '');
  const [lhs, rhs] = eq.split('->');
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) fail(`Einsum '${equation}' has ${terms.length} operands, the node ${shapes.length} inputs`);
  const dims = new Map<string, number | null>();
  const count = new Map<string, number>();
  const ell: Shape[] = [];
  terms.forEach((term, t) => {
    const s = shapes[t];
    const parts = term.split('...');
    if (parts.length > 2 || !/^[a-zA-Z]*$/.test(parts.join(''))) fail(`Einsum term '${term}' is not letters with at most one '...'`);
    const letters = parts.join('');
    const nEll = s.length - letters.length;
    if (nEll < 0 || (parts.length === 1 && nEll !== 0)) fail(`Einsum term '${term}' for an operand of rank ${s.length}`);
    const at = parts.length === 2 ? parts[0].length : letters.length;
    ell.push(s.slice(at, at + nEll));
    [...letters].forEach((ch, i) => {
      const d = s[i < at ? i : i + nEll];
      count.set(ch, (count.get(ch) ?? 0) + 1);
      if (!dims.has(ch)) return void dims.set(ch, d);
      const e = dims.get(ch) ?? null;
      if (d !== null && e !== null && d !== e && d !== 1 && e !== 1) fail(`Einsum letter '${ch}' is ${e} and ${d}`);
      if (e === null || e === 1) dims.set(ch, d === null && e === 1 ? null : d ?? e);
    });
  });
  const ellShape = broadcast(ell);
  if (rhs === undefined) {
    const free = [...count.keys()].filter((ch) => count.get(ch) === 1).sort();
    return [...ellShape, ...free.map((ch) => dims.get(ch) ?? null)];
  }
  const parts = rhs.split('...');
  if (parts.length > 2 || !/^[a-zA-Z]*$/.test(parts.join(''))) fail(`Einsum output '${rhs}' is not letters with at most one '...'`);
  const letterDims = (s: string): Shape => [...s].map((ch) => {
    if (!dims.has(ch)) fail(`Einsum output letter '${ch}' is in no operand`);
    return dims.get(ch) ?? null;
  });
  return parts.length === 2 ? [...letterDims(parts[0]), ...ellShape, ...letterDims(parts[1])] : letterDims(rhs);
}
const einsum: ShapeFn = (c) => {
  const shapes = c.node.inputs.map((_, i) => shp(c, i));
  const dtype = dt(c, 0);
  if (shapes.some((s) => s === null)) return [dtype ? tt(dtype, null) : null];
  return [tt(dtype, einsumShape(attrStr(c.node, 'equation', ''), shapes as Shape[]))];
};

// ---- convolution and pooling

interface Window { kernel: number[]; strides: number[]; dilations: number[]; pads: number[]; autoPad: string; ceil: boolean }
function windowOf(n: OnnxNode, kernel: number[]): Window {
  const k = kernel.length;
  return {
    kernel,
    strides: attrInts(n, 'strides') ?? new Array<number>(k).fill(1),
    dilations: attrInts(n, 'dilations') ?? new Array<number>(k).fill(1),
    pads: attrInts(n, 'pads') ?? new Array<number>(2 * k).fill(0),
    autoPad: attrStr(n, 'auto_pad', 'NOTSET'),
    ceil: attrInt(n, 'ceil_mode', 0) === 1,
  };
}
/** Spatial output dims of a convolution or pooling window (cost-model formula, ceil_mode as PyTorch/ONNX). */
function windowOut(spatial: Shape, w: Window, what: string): Shape {
  const k = spatial.length;
  return spatial.map((x, i) => {
    if (x === null) return null;
    const s = w.strides[i] ?? 1;
    const ek = ((w.kernel[i] ?? 1) - 1) * (w.dilations[i] ?? 1) + 1;
    if (s <= 0) fail(`${what} stride ${s}`);
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return Math.ceil(x / s);
    const pb = w.autoPad === 'VALID' ? 0 : w.pads[i] ?? 0;
    const pe = w.autoPad === 'VALID' ? 0 : w.pads[i + k] ?? 0;
    const span = x + pb + pe - ek;
    if (span < 0) fail(`${what} window ${ek} is larger than the padded input ${x + pb + pe}`);
    let o = Math.floor(span / s) + 1;
    if (w.ceil) {
      o = Math.ceil(span / s) + 1;
      if ((o - 1) * s >= x + pb) o--;
    }
    return o;
  });
}

function convLike(xi: number, wi: number, dtypeOf: (c: OpCtx) => number): ShapeFn {
  return (c) => {
    const x = shp(c, xi);
    const w = shp(c, wi);
    const dtype = dtypeOf(c);
    if (!x) return [dtype ? tt(dtype, null) : null];
    if (x.length < 3) fail(`Conv input of rank ${x.length}`);
    const group = attrInt(c.node, 'group', 1);
    const sp = x.length - 2;
    if (w && w.length !== x.length) fail(`Conv weight ${fmtShape(w)} for input ${fmtShape(x)}`);
    if (w && x[1] !== null && w[1] !== null && x[1] !== w[1] * group) {
      fail(`Conv input has ${x[1]} channels, the weight ${fmtShape(w)} with group ${group} expects ${w[1] * group}`);
    }
    const kernel = attrInts(c.node, 'kernel_shape') ?? w?.slice(2);
    if (!kernel || !isKnown(kernel)) return [tt(dtype, [x[0], w?.[0] ?? null, ...new Array<null>(sp).fill(null)])];
    return [tt(dtype, [x[0], w?.[0] ?? null, ...windowOut(x.slice(2), windowOf(c.node, kernel), 'Conv')])];
  };
}

const convTranspose: ShapeFn = (c) => {
  const x = shp(c, 0);
  const w = shp(c, 1);
  const dtype = dt(c, 0);
  if (!x) return [dtype ? tt(dtype, null) : null];
  if (x.length < 3) fail(`ConvTranspose input of rank ${x.length}`);
  const sp = x.length - 2;
  const group = attrInt(c.node, 'group', 1);
  if (w && w.length !== x.length) fail(`ConvTranspose weight ${fmtShape(w)} for input ${fmtShape(x)}`);
  if (w && x[1] !== null && w[0] !== null && x[1] !== w[0]) fail(`ConvTranspose input has ${x[1]} channels, the weight ${fmtShape(w)} expects ${w[0]}`);
  const cout = w && w[1] !== null ? w[1] * group : null;
  const given = attrInts(c.node, 'output_shape');
  if (given && given.length >= sp) return [tt(dtype, [x[0], cout, ...given.slice(given.length - sp)])];
  const kernel = attrInts(c.node, 'kernel_shape') ?? w?.slice(2);
  if (!kernel || !isKnown(kernel)) return [tt(dtype, [x[0], cout, ...new Array<null>(sp).fill(null)])];
  const win = windowOf(c.node, kernel);
  const outPad = attrInts(c.node, 'output_padding') ?? new Array<number>(sp).fill(0);
  const spatial = x.slice(2).map((d, i) => {
    if (d === null) return null;
    const s = win.strides[i] ?? 1;
    if (win.autoPad === 'SAME_UPPER' || win.autoPad === 'SAME_LOWER') return d * s;
    const pads = win.autoPad === 'VALID' ? 0 : (win.pads[i] ?? 0) + (win.pads[i + sp] ?? 0);
    const o = s * (d - 1) + (outPad[i] ?? 0) + (kernel[i] - 1) * (win.dilations[i] ?? 1) + 1 - pads;
    if (o < 1) fail(`ConvTranspose output dim ${o}`);
    return o;
  });
  return [tt(dtype, [x[0], cout, ...spatial])];
};

function pool(withIndices: boolean): ShapeFn {
  return (c) => {
    const x = inp(c, 0);
    if (!x) return [null];
    const out2 = (s: Shape | null): Out[] => (withIndices ? [tt(x.dtype, s), tt(INT64, s)] : [tt(x.dtype, s)]);
    if (!x.shape) return out2(null);
    if (x.shape.length < 3) fail(`${c.node.opType} input of rank ${x.shape.length}`);
    const kernel = attrInts(c.node, 'kernel_shape');
    if (!kernel) return fail(`${c.node.opType} without kernel_shape`);
    if (kernel.length !== x.shape.length - 2) fail(`${c.node.opType} kernel ${fmtShape(kernel)} for input ${fmtShape(x.shape)}`);
    return out2([x.shape[0], x.shape[1], ...windowOut(x.shape.slice(2), windowOf(c.node, kernel), c.node.opType)]);
  };
}
const globalPool: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null];
  if (!x.shape) return [tt(x.dtype, null)];
  return [tt(x.dtype, x.shape.map((d, i) => (i < 2 ? d : 1)))];
};

// ---- normalization

const batchNorm: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return c.node.outputs.map(() => null);
  const ch = x.shape?.[1] ?? shp(c, 1)?.[0] ?? null;
  const s = x.shape;
  if (s && s.length < 2) fail(`BatchNormalization input of rank ${s.length}`);
  const scale = shp(c, 1);
  if (s && scale && scale.length === 1 && s[1] !== null && scale[0] !== null && s[1] !== scale[0]) {
    fail(`BatchNormalization input has ${s[1]} channels, its scale ${scale[0]}`);
  }
  return c.node.outputs.map((_, k) => (k === 0 ? tt(x.dtype, s) : tt(dt(c, 3) || x.dtype, [ch])));
};
const layerNorm: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return c.node.outputs.map(() => null);
  if (!x.shape) return [tt(x.dtype, null), tt(FLOAT, null), tt(FLOAT, null)];
  const s = x.shape;
  const axis = axisOf(attrInt(c.node, 'axis', -1), s.length, 'LayerNormalization axis');
  const stat = s.map((d, i) => (i < axis ? d : 1));
  return [tt(x.dtype, s), tt(FLOAT, stat), tt(FLOAT, stat)];
};

// ---- resize, pad

function scaled(shape: Shape, scales: number[], what: string): Shape {
  if (scales.length !== shape.length) fail(`${what} scales ${fmtShape(scales)} for rank ${shape.length}`);
  return shape.map((d, i) => (d === null ? null : Math.floor(d * scales[i])));
}
const resize: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null];
  if (!x.shape) return [tt(x.dtype, null)];
  const shape = x.shape;
  const r = shape.length;
  const [si, zi] = c.opset < 11 ? [1, -1] : [2, 3];
  const axes = (attrInts(c.node, 'axes') ?? shape.map((_, i) => i)).map((a) => axisOf(a, r, 'Resize axis'));
  const full = (vals: number[], fill: (i: number) => number): number[] => {
    if (vals.length !== axes.length) fail(`Resize has ${vals.length} values for ${axes.length} axes`);
    const out = shape.map((_, i) => fill(i));
    axes.forEach((a, k) => {
      out[a] = vals[k];
    });
    return out;
  };
  const sizes = zi >= 0 && has(c, zi) ? val(c, zi) ?? null : undefined;
  const scales = has(c, si) ? val(c, si) ?? null : undefined;
  if (sizes && sizes.length > 0) {
    const policy = attrStr(c.node, 'keep_aspect_ratio_policy', 'stretch');
    if (policy === 'stretch') return [tt(x.dtype, full(sizes, (i) => shape[i] ?? 0).map((d, i) => (axes.includes(i) ? d : shape[i])))];
    const ratios = axes.map((a, k) => (shape[a] === null ? null : sizes[k] / (shape[a] as number)));
    if (ratios.some((q) => q === null)) return [tt(x.dtype, shape.map((d, i) => (axes.includes(i) ? null : d)))];
    const q = (policy === 'not_larger' ? Math.min : Math.max)(...(ratios as number[]));
    return [tt(x.dtype, shape.map((d, i) => (axes.includes(i) && d !== null ? Math.round(d * q) : d)))];
  }
  if (scales && scales.length > 0) return [tt(x.dtype, scaled(shape, full(scales, () => 1), 'Resize'))];
  if (sizes === null || scales === null) return [tt(x.dtype, shape.map((d, i) => (axes.includes(i) ? null : d)))];
  return fail('Resize without scales or sizes');
};
const upsample: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null];
  const scales = floatsParam(c, 'scales', 1);
  if (!x.shape) return [tt(x.dtype, null)];
  if (scales === null) return [tt(x.dtype, x.shape.map(() => null))];
  if (scales === undefined) return fail('Upsample without scales');
  return [tt(x.dtype, scaled(x.shape, scales, 'Upsample'))];
};

const pad: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null];
  if (!x.shape) return [tt(x.dtype, null)];
  const shape = x.shape;
  const r = shape.length;
  const pads = has(c, 1) ? val(c, 1) ?? null : attrInts(c.node, 'pads') ?? attrInts(c.node, 'paddings');
  const axesP = has(c, 3) ? val(c, 3) ?? null : undefined;
  if (pads === undefined) return fail('Pad without pads');
  if (pads === null || axesP === null) return [tt(x.dtype, shape.map(() => null))];
  const axes = (axesP ?? shape.map((_, i) => i)).map((a) => axisOf(a, r, 'Pad axis'));
  const k = axes.length;
  if (pads.length !== 2 * k) fail(`Pad has ${pads.length} pads for ${k} axes`);
  const out = shape.slice();
  axes.forEach((a, i) => {
    const d = shape[a];
    out[a] = d === null ? null : d + pads[i] + pads[i + k];
    if ((out[a] ?? 0) < 0) fail(`Pad makes dim ${a} negative`);
  });
  return [tt(x.dtype, out)];
};

// ---- reductions

const REDUCE_FOLDS: Record<string, { init: number; op: (a: number, b: number) => number }> = {
  ReduceProd: { init: 1, op: (a, b) => a * b },
  ReduceSum: { init: 0, op: (a, b) => a + b },
  ReduceMax: { init: -Infinity, op: Math.max },
  ReduceMin: { init: Infinity, op: Math.min },
};
function reduceValues(shape: number[], value: number[], axes: Set<number>, op: { init: number; op: (a: number, b: number) => number }): number[] {
  const outShape = shape.map((d, i) => (axes.has(i) ? 1 : d));
  const outStrides = stridesOf(outShape);
  const acc = new Array<number>(numel(outShape) ?? 0).fill(op.init);
  forEachIndex(shape, (idx, flat) => {
    let o = 0;
    for (let a = 0; a < idx.length; a++) if (!axes.has(a)) o += idx[a] * outStrides[a];
    acc[o] = op.op(acc[o], value[flat]);
  });
  return acc;
}
const reduce: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null];
  const keep = attrInt(c.node, 'keepdims', 1) === 1;
  const axesP = intsParam(c, 'axes', 1);
  if (!x.shape) return [tt(x.dtype, null)];
  const shape = x.shape;
  const r = shape.length;
  if (axesP === null) return [tt(x.dtype, keep ? shape.map(() => null) : null)];
  if ((axesP === undefined || axesP.length === 0) && attrInt(c.node, 'noop_with_empty_axes', 0) === 1) return [tt(x.dtype, shape, x.value)];
  const axes = new Set(axesP && axesP.length > 0 ? axesP.map((a) => axisOf(a, r, `${c.node.opType} axis`)) : shape.map((_, i) => i));
  const out = keep ? shape.map((d, i) => (axes.has(i) ? 1 : d)) : shape.filter((_, i) => !axes.has(i));
  const fold = REDUCE_FOLDS[c.node.opType];
  let value: number[] | undefined;
  if (fold && x.value && isKnown(shape) && shape.every((d, i) => d > 0 || !axes.has(i))) value = fixAll(x.dtype, reduceValues(shape, x.value, axes, fold));
  return [tt(x.dtype, out, value)];
};
const argReduce: ShapeFn = (c) => {
  const s = shp(c, 0);
  if (!s) return [tt(INT64, null)];
  const axis = axisOf(attrInt(c.node, 'axis', 0), s.length, `${c.node.opType} axis`);
  const keep = attrInt(c.node, 'keepdims', 1) === 1;
  return [tt(INT64, keep ? s.map((d, i) => (i === axis ? 1 : d)) : s.filter((_, i) => i !== axis))];
};
const topK: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null, null];
  if (!x.shape) return [tt(x.dtype, null), tt(INT64, null)];
  const axis = axisOf(attrInt(c.node, 'axis', -1), x.shape.length, 'TopK axis');
  const k = has(c, 1) ? val(c, 1)?.[0] ?? null : attrNum(c.node, 'k') ?? null;
  const d = x.shape[axis];
  if (k !== null && d !== null && k > d) fail(`TopK k=${k} on a dim of ${d}`);
  const out = x.shape.map((e, i) => (i === axis ? k : e));
  return [tt(x.dtype, out), tt(INT64, out)];
};

// ---- rearrangements

const depthToSpace: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return [null];
  const b = attrInt(c.node, 'blocksize', 1);
  if (!x.shape) return [tt(x.dtype, null)];
  if (x.shape.length !== 4) fail(`${c.node.opType} input of rank ${x.shape.length}`);
  const [n, ch, h, w] = x.shape;
  if (c.node.opType === 'DepthToSpace') {
    if (ch !== null && ch % (b * b) !== 0) fail(`DepthToSpace of ${ch} channels with blocksize ${b}`);
    return [tt(x.dtype, [n, ch === null ? null : ch / (b * b), h === null ? null : h * b, w === null ? null : w * b])];
  }
  if ((h !== null && h % b !== 0) || (w !== null && w % b !== 0)) fail(`SpaceToDepth of ${h}x${w} with blocksize ${b}`);
  return [tt(x.dtype, [n, ch === null ? null : ch * b * b, h === null ? null : h / b, w === null ? null : w / b])];
};

const oneHot: ShapeFn = (c) => {
  const ix = shp(c, 0);
  const dtype = dt(c, 2);
  if (!ix) return [tt(dtype, null)];
  const depth = val(c, 1)?.[0] ?? null;
  const r = ix.length + 1;
  const axis = axisOf(attrInt(c.node, 'axis', -1), r, 'OneHot axis');
  const out = ix.slice();
  out.splice(axis, 0, depth === null ? null : Math.trunc(depth));
  return [tt(dtype, out)];
};

/** LSTM, GRU, RNN (layout 0 or 1): Y, Y_h (and Y_c). */
const recurrent: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return c.node.outputs.map(() => null);
  const hidden = attrNum(c.node, 'hidden_size') ?? null;
  const dirs = attrStr(c.node, 'direction', 'forward') === 'bidirectional' ? 2 : 1;
  if (!x.shape) return unknownOuts(c, x.dtype);
  if (x.shape.length !== 3) fail(`${c.node.opType} input of rank ${x.shape.length}`);
  const batchFirst = attrInt(c.node, 'layout', 0) === 1;
  const [seq, batch] = batchFirst ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
  const y: Shape = batchFirst ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden];
  const h: Shape = batchFirst ? [batch, dirs, hidden] : [dirs, batch, hidden];
  return c.node.outputs.map((_, k) => tt(x.dtype, k === 0 ? y : h));
};

// ---- quantization

const quantize: ShapeFn = (c) => {
  const x = inp(c, 0);
  const dtype = attrNum(c.node, 'output_dtype') || dt(c, 2) || UINT8;
  return [x ? tt(dtype, x.shape) : tt(dtype, null)];
};
const dequantize: ShapeFn = (c) => {
  const x = inp(c, 0);
  const dtype = dt(c, 1) || FLOAT;
  return [x ? tt(dtype, x.shape) : tt(dtype, null)];
};
const dynamicQuantize: ShapeFn = (c) => {
  const x = inp(c, 0);
  return [tt(UINT8, x?.shape ?? null), tt(FLOAT, []), tt(UINT8, [])];
};

// ---- com.microsoft fusions (shapes only)

const msAttention: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return c.node.outputs.map(() => null);
  if (!x.shape) return unknownOuts(c, x.dtype);
  if (x.shape.length !== 3) fail(`Attention input of rank ${x.shape.length}`);
  const w = shp(c, 1);
  const sizes = attrInts(c.node, 'qkv_hidden_sizes');
  const vHidden = sizes?.[2] ?? (w && w[1] !== null ? w[1] / 3 : null);
  if (vHidden !== null && !Number.isInteger(vHidden)) fail(`Attention weight ${fmtShape(w)} is not 3 equal projections`);
  return [tt(x.dtype, [x.shape[0], x.shape[1], vHidden])];
};
const msMultiHead: ShapeFn = (c) => {
  const q = inp(c, 0);
  if (!q) return c.node.outputs.map(() => null);
  const v = shp(c, 2);
  if (!q.shape || q.shape.length !== 3) return [tt(q.dtype, q.shape === null ? null : q.shape.length === 3 ? q.shape : null)];
  return [tt(q.dtype, [q.shape[0], q.shape[1], v && v.length === 3 ? v[2] : q.shape[2]])];
};
const msSkipLayerNorm: ShapeFn = (c) => {
  const x = inp(c, 0);
  if (!x) return c.node.outputs.map(() => null);
  const skip = shp(c, 1);
  const s = x.shape && skip ? broadcast([x.shape, skip]) : x.shape;
  const stat = s ? s.map((d, i) => (i === s.length - 1 ? 1 : d)) : null;
  return c.node.outputs.map((_, k) => (k === 1 || k === 2 ? tt(FLOAT, stat) : tt(x.dtype, s)));
};
const msFusedMatMul: ShapeFn = (c) => {
  const swap = (s: Shape | null, on: boolean): Shape | null => (s && on && s.length >= 2 ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);
  const a = swap(shp(c, 0), attrInt(c.node, 'transA', 0) === 1);
  const b = swap(shp(c, 1), attrInt(c.node, 'transB', 0) === 1);
  const dtype = dt(c, 0);
  if (!a || !b) return [dtype ? tt(dtype, null) : null];
  return [tt(dtype, matmulShape(a, b))];
};

// ---- the tables

const same = unary();
const UNARY = [
  'Elu', 'Selu', 'Celu', 'LeakyRelu', 'ThresholdedRelu', 'PRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Mish',
  'Softplus', 'Softsign', 'Gelu', 'Erf', 'Tanh', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh',
  'Atanh', 'Softmax', 'LogSoftmax', 'Hardmax', 'Exp', 'Log', 'Reciprocal', 'Round', 'Shrink', 'BitwiseNot', 'CumSum', 'Trilu',
  'LRN', 'LpNormalization', 'MeanVarianceNormalization', 'InstanceNormalization', 'GroupNormalization', 'ScatterND',
  'ScatterElements', 'Scatter', 'Swish',
];
const UNARY_FOLDS: Record<string, (x: number) => number> = {
  Identity: (x) => x, Neg: (x) => -x, Floor: Math.floor, Ceil: Math.ceil, Sqrt: Math.sqrt, Abs: Math.abs,
  Relu: (x) => Math.max(0, x), Sign: Math.sign, Not: (x) => (x ? 0 : 1),
};

const DEFAULT_OPS: [string, ShapeFn][] = [
  ...UNARY.map((op): [string, ShapeFn] => [op, same]),
  ...Object.entries(UNARY_FOLDS).map(([op, f]): [string, ShapeFn] => [op, unary(f)]),
  ...Object.entries(BINARY_FOLDS).map(([op, f]): [string, ShapeFn] => [op, nary(f, CMP.has(op))]),
  ...['BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor'].map((op): [string, ShapeFn] => [op, nary()]),
  ['Mod', mod], ['Where', where], ['IsNaN', boolOut], ['IsInf', boolOut],
  ['Cast', cast], ['CastLike', cast],
  ['Shape', shapeOp], ['Size', size], ['Constant', constant], ['ConstantOfShape', constantOfShape], ['Range', range],
  ['Gather', gather], ['GatherElements', gatherElements], ['GatherND', gatherND], ['Concat', concat], ['Split', split],
  ['Slice', slice], ['Reshape', reshape], ['Flatten', flatten], ['Transpose', transpose], ['Squeeze', squeeze],
  ['Unsqueeze', unsqueeze], ['Expand', expand], ['Tile', tile], ['NonZero', nonZero],
  ['MatMul', matmulAt(0, 1, (c) => dt(c, 0))], ['MatMulInteger', matmulAt(0, 1, () => INT32)],
  ['QLinearMatMul', matmulAt(0, 3, (c) => dt(c, 7) || dt(c, 0))], ['Gemm', gemm], ['Einsum', einsum],
  ['Conv', convLike(0, 1, (c) => dt(c, 0))], ['ConvInteger', convLike(0, 1, () => INT32)],
  ['QLinearConv', convLike(0, 3, (c) => dt(c, 7) || dt(c, 0))], ['ConvTranspose', convTranspose],
  ['MaxPool', pool(true)], ['AveragePool', pool(false)], ['LpPool', pool(false)],
  ['GlobalAveragePool', globalPool], ['GlobalMaxPool', globalPool], ['GlobalLpPool', globalPool],
  ['BatchNormalization', batchNorm], ['LayerNormalization', layerNorm],
  ['Resize', resize], ['Upsample', upsample], ['Pad', pad],
  ...['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp']
    .map((op): [string, ShapeFn] => [op, reduce]),
  ['ArgMax', argReduce], ['ArgMin', argReduce], ['TopK', topK],
  ['DepthToSpace', depthToSpace], ['SpaceToDepth', depthToSpace], ['OneHot', oneHot],
  ['LSTM', recurrent], ['GRU', recurrent], ['RNN', recurrent],
  ['QuantizeLinear', quantize], ['DequantizeLinear', dequantize], ['DynamicQuantizeLinear', dynamicQuantize],
];
// Dropout's optional mask output is bool
DEFAULT_OPS.push(['Dropout', (c) => {
  const a = inp(c, 0);
  return a ? [tt(a.dtype, a.shape, a.value), tt(BOOL, a.shape)] : [null, null];
}]);

const MS_OPS: [string, ShapeFn][] = [
  ['Attention', msAttention], ['MultiHeadAttention', msMultiHead],
  ['SkipLayerNormalization', msSkipLayerNorm], ['SkipSimplifiedLayerNormalization', msSkipLayerNorm],
  ['FusedMatMul', msFusedMatMul], ['BiasGelu', same], ['FastGelu', same], ['Gelu', same], ['QuickGelu', same],
  ['BiasAdd', nary()], ['LayerNormalization', layerNorm], ['SimplifiedLayerNormalization', layerNorm],
];

const TABLES = new Map<string, Map<string, ShapeFn>>([
  ['', new Map(DEFAULT_OPS)],
  ['ai.onnx', new Map(DEFAULT_OPS)],
  ['com.microsoft', new Map(MS_OPS)],
]);

/** The shape function of an op, undefined when the op (or its domain) is not supported. */
export const shapeFn = (domain: string, opType: string): ShapeFn | undefined => TABLES.get(domain)?.get(opType);

/** Every supported op, `domain:Op` for non-default domains (If, Loop and Scan are handled by infer.ts). */
export const supportedOps = (): string[] => [
  ...[...new Map(DEFAULT_OPS).keys()],
  ...MS_OPS.map(([op]) => `com.microsoft:${op}`),
].sort();
