// Encodes an in-memory OnnxModel (test/onnx-graph.ts) to real .onnx bytes with onnx-proto: the fixture
// builder of the ONNX tests. Initializers get raw_data (their values, or zeros of the right size when
// values is null) so files are as realistic as an export; `weightBytes: 'none'` strips them, `external`
// names tensors stored as external data (side files that are never written), `typedData` writes small
// tensors' values into float_data / int32_data / int64_data ... instead of raw_data.
import { writeFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { dtypeBytes, type AttrValue, type Dim, type OnnxGraph, type OnnxModel, type TensorInfo, type ValueInfo } from '../server/src/onnx/model';

export interface EncodeOptions {
  /** data of initializers whose values are null: zero bytes of their size (default), or none (stripped) */
  weightBytes?: 'zeros' | 'none';
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
  } else if ((opts.weightBytes ?? 'zeros') === 'zeros') p.rawData = new Uint8Array(dtypeBytes(t.dtype, n));
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

export function writeModel(path: string, m: OnnxModel, opts: EncodeOptions = {}): Uint8Array {
  const bytes = encodeModel(m, opts);
  writeFileSync(path, bytes);
  return bytes;
}

// ---- hand-built protobuf bytes, for malformed files the encoder cannot make

/** a protobuf varint */
export function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
/** a length-delimited field */
export const ld = (num: number, payload: number[] | Uint8Array): number[] => [...varint((num << 3) | 2), ...varint(payload.length), ...payload];
export const str = (s: string): number[] => [...new TextEncoder().encode(s)];
