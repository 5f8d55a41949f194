// Encodes an in-memory OnnxModel (onnx/model.ts) to real .onnx bytes with onnx-proto: what `netcost export`
// writes, what measurement re-encodes weight-stripped models with, and the fixture builder of the ONNX tests
// (test/onnx-encode.ts re-exports it). Initializers get raw_data: their values, or, when values is null, zeros of
// the right size (default), deterministic pseudo-random values (`weightBytes: 'random'`), or nothing ('none');
// `external` names tensors stored as external data (side files that are never written), `typedData` writes small
// tensors' values into float_data / int32_data / int64_data ... instead of raw_data.
// (double quotes: test/docs.test.ts takes every 'onnx-...' string in the server's code for a diagnostic code)
import { onnx } from "onnx-proto";
import { dtypeBytes, type AttrValue, type Dim, type OnnxGraph, type OnnxModel, type TensorInfo, type ValueInfo } from './model';

export interface EncodeOptions {
  /** data of initializers whose values are null: zero bytes of their size (default), none (stripped), or
   *  deterministic pseudo-random values (float dtypes; integer ones get zeros) seeded by `seed` and the tensor's name */
  weightBytes?: 'zeros' | 'none' | 'random';
  /** the seed of `weightBytes: 'random'` (default 0) */
  seed?: number;
  /** names of tensors stored as external data (data_location EXTERNAL, external_data entries, no data in the file) */
  external?: string[];
  /** write values into the typed fields (float_data, int32_data, int64_data, double_data, uint64_data) instead of raw_data */
  typedData?: boolean;
  /** attribute names whose number values are FLOAT (besides FLOAT_ATTRS); other whole numbers are INT */
  floatAttrs?: string[];
  /** omit AttributeProto.type, as old exporters did */
  omitAttrType?: boolean;
}

/** attribute names that are floats in the ONNX operator set (a whole number there is still a FLOAT) */
export const FLOAT_ATTRS = new Set(['alpha', 'beta', 'gamma', 'epsilon', 'momentum', 'bias', 'lambd', 'ratio', 'min', 'max',
  'value_float', 'value_floats', 'scale', 'scales', 'spatial_scale', 'extrapolation_value', 'cubic_coeff_a', 'threshold',
  'mean', 'stddev', 'high', 'low', 'seed', 'fmod_bias']);

const T = onnx.AttributeProto.AttributeType;

const isTensor = (v: unknown): v is TensorInfo => typeof v === 'object' && v !== null && 'dims' in v && 'dtype' in v;
const isGraph = (v: unknown): v is OnnxGraph => typeof v === 'object' && v !== null && 'nodes' in v && 'initializers' in v;

/** little-endian bytes of values of dtype `dtype` */
export function rawBytes(values: number[], dtype: number): Uint8Array {
  const size = dtypeBytes(dtype, 1);
  const out = new Uint8Array(values.length * size);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => {
    const o = i * size;
    switch (dtype) {
      case 1: dv.setFloat32(o, v, true); break;
      case 2: case 9: dv.setUint8(o, v); break;
      case 3: dv.setInt8(o, v); break;
      case 4: dv.setUint16(o, v, true); break;
      case 5: dv.setInt16(o, v, true); break;
      case 6: dv.setInt32(o, v, true); break;
      case 12: dv.setUint32(o, v, true); break;
      case 7: dv.setBigInt64(o, BigInt(v), true); break;
      case 13: dv.setBigUint64(o, BigInt(v), true); break;
      case 10: dv.setUint16(o, toHalf(v), true); break;
      case 16: dv.setUint16(o, toBfloat(v), true); break;
      case 11: dv.setFloat64(o, v, true); break;
      default: throw new Error(`rawBytes: dtype ${dtype} has no value encoding`);
    }
  });
  return out;
}

/** float -> bfloat16 bits (truncated: exact for the values tests use) */
export function toBfloat(v: number): number {
  const f = new DataView(new ArrayBuffer(4));
  f.setFloat32(0, v);
  return f.getUint16(0);
}

/** float -> IEEE half bits (round to nearest even; exact for the values tests use) */
export function toHalf(v: number): number {
  const f = new DataView(new ArrayBuffer(4));
  f.setFloat32(0, v);
  const x = f.getUint32(0);
  const sign = (x >>> 16) & 0x8000;
  const e = ((x >>> 23) & 0xff) - 127 + 15;
  let m = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    m = (m | 0x800000) >>> (1 - e);
    return sign | ((m + 0x1000) >>> 13);
  }
  const h = sign | (e << 10) | (m >>> 13);
  const rest = m & 0x1fff;
  return rest > 0x1000 || (rest === 0x1000 && h & 1) ? h + 1 : h;
}

/** 32-bit FNV-1a of a string: the per-tensor part of a random fill's seed */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32: a fast 32-bit PRNG, uniform in [0, 1) */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Deterministic pseudo-random data of a weight, a function of (seed, name, dims, dtype) only. Tensors of rank 2 or
 * more are Xavier-uniform: U(-a, a), a = sqrt(6 / (fanIn + fanOut)), fanIn = dims[1] x receptive field, fanOut =
 * dims[0] x receptive field (symmetric, so a MatMul's [K, N] and a Gemm's transposed [N, K] get the same scale), which
 * keeps activations near unit variance through the layers. Vectors (biases, norm scales, batch-norm mean and
 * variance) are U(0.5, 1.5): positive, so a variance never makes a NaN. No value is denormal, NaN or infinite.
 * Integer dtypes get zeros (indices, shapes).
 */
export function randomBytes(t: TensorInfo, seed: number): Uint8Array {
  const n = t.dims.reduce((a, d) => a * d, 1);
  const float = t.dtype === 1 || t.dtype === 10 || t.dtype === 11 || t.dtype === 16;
  if (!float) return new Uint8Array(dtypeBytes(t.dtype, n));
  const rnd = mulberry32(fnv1a(t.name) ^ Math.imul(seed | 0, 0x9e3779b1));
  let lo = 0.5;
  let width = 1;
  if (t.dims.length >= 2) {
    const field = t.dims.slice(2).reduce((a, d) => a * d, 1);
    const a = Math.sqrt(6 / Math.max(1, (t.dims[0] + t.dims[1]) * field));
    lo = -a;
    width = 2 * a;
  }
  if (t.dtype === 1) {
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = lo + width * rnd();
    return new Uint8Array(f.buffer);
  }
  if (t.dtype === 11) {
    const f = new Float64Array(n);
    for (let i = 0; i < n; i++) f[i] = lo + width * rnd();
    return new Uint8Array(f.buffer);
  }
  // float16 and bfloat16: through their bit conversions (values far from their denormal range)
  const h = new Uint16Array(n);
  const conv = t.dtype === 10 ? toHalf : toBfloat;
  for (let i = 0; i < n; i++) h[i] = conv(lo + width * rnd());
  return new Uint8Array(h.buffer);
}

function encodeTensor(t: TensorInfo, opts: EncodeOptions): onnx.ITensorProto {
  const p: onnx.ITensorProto = { name: t.name, dims: t.dims, dataType: t.dtype };
  const n = t.dims.reduce((a, d) => a * d, 1);
  if (t.external || opts.external?.includes(t.name)) {
    p.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    p.externalData = [{ key: 'location', value: `${t.name}.bin` }, { key: 'offset', value: '0' }, { key: 'length', value: String(dtypeBytes(t.dtype, n)) }];
    return p;
  }
  if (t.values !== null) {
    if (opts.typedData) {
      const v = t.values;
      if (t.dtype === 1) p.floatData = v;
      else if (t.dtype === 7) p.int64Data = v;
      else if (t.dtype === 11) p.doubleData = v;
      else if (t.dtype === 12 || t.dtype === 13) p.uint64Data = v;
      else if (t.dtype === 10) p.int32Data = v.map(toHalf);
      else if (t.dtype === 16) p.int32Data = v.map(toBfloat);
      else p.int32Data = v;
    } else p.rawData = rawBytes(t.values, t.dtype);
  } else if (opts.weightBytes === 'random') p.rawData = randomBytes(t, opts.seed ?? 0);
  else if ((opts.weightBytes ?? 'zeros') === 'zeros') p.rawData = new Uint8Array(dtypeBytes(t.dtype, n));
  return p;
}

const encodeDim = (d: Dim): onnx.TensorShapeProto.IDimension => (d === null ? {} : typeof d === 'number' ? { dimValue: d } : { dimParam: d });

function encodeValueInfo(v: ValueInfo): onnx.IValueInfoProto {
  if (v.dtype === 0 && v.shape === null) return { name: v.name };
  const tensorType: onnx.TypeProto.ITensor = { elemType: v.dtype };
  if (v.shape !== null) tensorType.shape = { dim: v.shape.map(encodeDim) };
  return { name: v.name, type: { tensorType } };
}

function encodeAttr(name: string, v: AttrValue, opts: EncodeOptions): onnx.IAttributeProto {
  const isFloat = FLOAT_ATTRS.has(name) || (opts.floatAttrs?.includes(name) ?? false);
  const a = ((): onnx.IAttributeProto => {
    if (typeof v === 'number') return isFloat || !Number.isInteger(v) ? { type: T.FLOAT, f: v } : { type: T.INT, i: v };
    if (typeof v === 'string') return { type: T.STRING, s: new TextEncoder().encode(v) };
    if (isTensor(v)) return { type: T.TENSOR, t: encodeTensor(v, opts) };
    if (isGraph(v)) return { type: T.GRAPH, g: encodeGraph(v, opts) };
    const list: unknown[] = v;
    if (list.length > 0 && typeof list[0] === 'string') return { type: T.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    if (list.length > 0 && isTensor(list[0])) return { type: T.TENSORS, tensors: (v as TensorInfo[]).map((t) => encodeTensor(t, opts)) };
    if (list.length > 0 && isGraph(list[0])) return { type: T.GRAPHS, graphs: (v as OnnxGraph[]).map((g) => encodeGraph(g, opts)) };
    const nums = v as number[];
    return isFloat || nums.some((x) => !Number.isInteger(x)) ? { type: T.FLOATS, floats: nums } : { type: T.INTS, ints: nums };
  })();
  a.name = name;
  if (opts.omitAttrType) delete a.type;
  return a;
}

export function encodeGraph(g: OnnxGraph, opts: EncodeOptions = {}): onnx.IGraphProto {
  return {
    name: g.name,
    node: g.nodes.map((n) => ({
      name: n.name, opType: n.opType, domain: n.domain, input: n.inputs, output: n.outputs,
      attribute: Object.entries(n.attrs).map(([k, v]) => encodeAttr(k, v, opts)),
    })),
    initializer: [...g.initializers.values()].map((t) => encodeTensor(t, opts)),
    input: g.inputs.map(encodeValueInfo),
    output: g.outputs.map(encodeValueInfo),
    valueInfo: g.valueInfo.map(encodeValueInfo),
  };
}

/** the ModelProto message of a model (weights as `opts` says) */
export function modelProto(m: OnnxModel, opts: EncodeOptions = {}): onnx.IModelProto {
  return {
    irVersion: m.irVersion,
    opsetImport: [...m.opsets].map(([domain, version]) => ({ domain, version })),
    producerName: m.producer,
    producerVersion: m.producerVersion,
    graph: encodeGraph(m.graph, opts),
  };
}

/** real .onnx bytes of an in-memory model */
export function encodeModel(m: OnnxModel, opts: EncodeOptions = {}): Uint8Array {
  return onnx.ModelProto.encode(modelProto(m, opts)).finish();
}

