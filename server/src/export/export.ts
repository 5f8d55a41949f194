// `.net` -> ONNX: an analysed network as an ONNX model (opset 17, IR 8, fp32, NCHW, the analysis' batch as a fixed
// leading dim) whose nodes the ONNX reader costs exactly as the engine costs the layers (docs/measure.md, "Export").
// A layer that is one ONNX node gives the node its name (`conv_1`, `layer1.0.conv_2`); a layer that needs several
// gets `LAYER/part` (`msa/q`, `msa/softmax`). Its output tensor is called by the layer's name (`NAME[i]` for the
// parts of a split); weights are `LAYER.weight`, `LAYER.bias`, ... Weights have no values here: `bytes()` encodes
// them as deterministic pseudo-random data (onnx/write.ts) from the seed. A layer kind with no ONNX form (a generic
// `op "X"`) is an error entry with its line, never an exception. Pure.
import type { Analysis, Layer } from '../analysis/analyze';
import type { Value } from '../analysis/values';
import { samePadding } from '../analysis/ops';
import { FLOAT, INT64, type AttrValue, type OnnxModel, type OnnxNode, type TensorInfo, type ValueInfo } from '../onnx/model';
import { encodeModel } from '../onnx/write';

export interface ExportError { layer: string; /** 1-based line of the layer's op */ line: number; message: string }

export interface ExportResult {
  model: OnnxModel;
  /** the .onnx bytes: the model with its weights filled from the seed (encoded on each call) */
  bytes(): Uint8Array;
  /** ONNX node name -> the .net layer it comes from */
  layerOf: Map<string, string>;
  errors: ExportError[];
}

export const EXPORT_OPSET = 17;
export const EXPORT_IR_VERSION = 8;
/** epsilon of exported BatchNormalization and LayerNormalization nodes (PyTorch's default) */
const EPS = 1e-5;

class Unsupported extends Error {}

/** A layer's nodes and weights under construction: node names `LAYER` (one node) or `LAYER/part`. */
class Emitter {
  readonly nodes: OnnxNode[] = [];
  readonly initializers = new Map<string, TensorInfo>();
  readonly layerOf = new Map<string, string>();

  /** A weight of float values filled at encoding (random from the seed). */
  weight(name: string, dims: number[]): string {
    return this.tensor({ name, dtype: FLOAT, dims, values: null, external: false });
  }
  /** A constant with its values: int64 shapes and axes, float scalars. */
  constant(name: string, dtype: number, dims: number[], values: number[]): string {
    return this.tensor({ name, dtype, dims, values, external: false });
  }
  private tensor(t: TensorInfo): string {
    if (this.initializers.has(t.name)) throw new Error(`export: tensor name ${t.name} is used twice`);
    this.initializers.set(t.name, t);
    return t.name;
  }
  node(layer: string, name: string, opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): void {
    this.nodes.push({ index: this.nodes.length, name, opType, domain: '', inputs, outputs, attrs });
    this.layerOf.set(name, layer);
  }
}

// ---- argument helpers (the engine has validated every value: ops.ts)

const pair = (v: Value | undefined, dflt: number): [number, number] =>
  v === undefined ? [dflt, dflt] : Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v as number, v as number];
const num = (v: Value | undefined, dflt: number): number => (typeof v === 'number' ? v : dflt);
const prod = (s: number[]): number => s.reduce((p, d) => p * d, 1);

/** Padding along one axis as [begin, end]: `same` as the engine computes it (ops.ts samePadding), the odd pixel at the end. */
function padsOf(v: Value | undefined, size: [number, number], k: [number, number], s: [number, number], d: [number, number]): number[] {
  if (v === 'same') {
    const total = [0, 1].map((i) => samePadding(size[i], k[i], s[i], d[i]));
    return [Math.floor(total[0] / 2), Math.floor(total[1] / 2), total[0] - Math.floor(total[0] / 2), total[1] - Math.floor(total[1] / 2)];
  }
  const [ph, pw] = v === 'valid' ? [0, 0] : pair(v, 0);
  return [ph, pw, ph, pw];
}

/** A conv (or dwconv, pwconv) or deconv keeps its own bias; a bias gained from a folded batch norm is the BN node's. */
const ownBias = (l: Layer): boolean => l.biasParams > 0 && !l.biasFromBn;

/** Normalizes a per-sample dim (negative counts from the end) to an ONNX axis (the batch is axis 0). */
const axisOf = (dim: number, rank: number): number => (dim < 0 ? dim + rank : dim) + 1;

/**
 * Exports every layer of `a` (one without errors: the CLI checks). Inputs are the analysis' inputs with the batch
 * prepended; graph outputs are the outputs of the layers nothing reads.
 */
export function exportAnalysis(a: Analysis, opts: { seed?: number } = {}): ExportResult {
  const n = a.settings.batch;
  const e = new Emitter();
  const errors: ExportError[] = [];
  /** the tensor of each layer's outputs; null for a layer that could not be exported */
  const tensors = new Map<string, string[] | null>();
  for (const x of a.inputs) tensors.set(x.name, [x.name]);
  const read = new Set<Layer>();

  for (const l of a.layers) {
    // which output of its producer each input is: the engine hands a reader the very shape array of the part it reads
    const ins: string[] = [];
    let broken = false;
    l.inputs.forEach((name, i) => {
      const outs = tensors.get(name);
      if (!outs) { broken = true; return; }
      const producer = l.inputLayers?.[i] !== undefined && l.inputLayers[i] >= 0 ? a.layers[l.inputLayers[i]] : undefined;
      if (producer) read.add(producer);
      let k = producer ? producer.outputs.indexOf(l.inputShapes[i]) : 0;
      if (k < 0 && producer) k = producer.outputs.findIndex((s) => s.join('x') === l.inputShapes[i].join('x'));
      ins.push(outs[Math.max(k, 0)]);
    });
    if (broken) { tensors.set(l.name, null); continue; }
    try {
      tensors.set(l.name, emitLayer(e, l, ins, n));
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      errors.push({ layer: l.name, line: l.range.start.line + 1, message: err.message });
      tensors.set(l.name, null);
    }
  }

  const inputs: ValueInfo[] = a.inputs.map((x) => ({ name: x.name, dtype: FLOAT, shape: [n, ...x.shape] }));
  const outputs: ValueInfo[] = [];
  for (const l of a.layers) {
    const t = tensors.get(l.name);
    if (!t || read.has(l)) continue;
    l.outputs.forEach((s, k) => outputs.push({ name: t[k], dtype: FLOAT, shape: [n, ...s] }));
  }
  const model: OnnxModel = {
    irVersion: EXPORT_IR_VERSION, opsets: new Map([['', EXPORT_OPSET]]), producer: 'netcost', producerVersion: '',
    graph: { name: 'netcost', nodes: e.nodes, initializers: e.initializers, inputs, outputs, valueInfo: [] },
    diagnostics: [], fileBytes: 0,
  };
  const seed = opts.seed ?? 0;
  return { model, bytes: () => encodeModel(model, { weightBytes: 'random', seed }), layerOf: e.layerOf, errors };
}

/** Appends the nodes of one layer reading the tensors `ins`; returns its output tensors (one per output). */
function emitLayer(e: Emitter, l: Layer, ins: string[], n: number): string[] {
  const L = l.name;
  const x = ins[0];
  const xs = l.inputShapes[0] ?? [];
  const out = l.outputShape;
  const at = l.attrs;
  /** one node that is the whole layer */
  const single = (opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string[] => {
    e.node(L, L, opType, inputs, [L], attrs);
    return [L];
  };
  /** a part of a layer of several nodes: its output is `LAYER/part`, or the layer's own tensor when `last` */
  const part = (name: string, opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, last = false): string => {
    const t = last ? L : `${L}/${name}`;
    e.node(L, `${L}/${name}`, opType, inputs, [t], attrs);
    return t;
  };
  const shapeConst = (name: string, dims: number[]) => e.constant(`${L}/${name}.shape`, INT64, [dims.length], dims);
  /** `x` viewed as `dims` (a Reshape: a view, no cost) */
  const reshape = (name: string, t: string, dims: number[], last = false) => part(name, 'Reshape', [t, shapeConst(name, dims)], {}, last);

  switch (l.op) {
    case 'conv': case 'dwconv': case 'pwconv': {
      const [cin, h, w] = xs;
      const cout = out[0];
      const g = l.op === 'dwconv' ? cin : num(at.g, 1);
      const k = pair(at.k, l.op === 'dwconv' ? 3 : 1);
      const s = pair(at.s, 1);
      const d = pair(at.d, 1);
      const inputs = [x, e.weight(`${L}.weight`, [cout, cin / g, k[0], k[1]])];
      if (ownBias(l)) inputs.push(e.weight(`${L}.bias`, [cout]));
      return single('Conv', inputs, { kernel_shape: k, strides: s, dilations: d, pads: padsOf(at.p, [h, w], k, s, d), group: g });
    }
    case 'deconv': {
      const cin = xs[0];
      const cout = out[0];
      const g = num(at.g, 1);
      const [ph, pw] = pair(at.p, 0);
      const k = pair(at.k, 1);
      const inputs = [x, e.weight(`${L}.weight`, [cin, cout / g, k[0], k[1]])];
      if (ownBias(l)) inputs.push(e.weight(`${L}.bias`, [cout]));
      return single('ConvTranspose', inputs, {
        kernel_shape: k, strides: pair(at.s, 1), dilations: pair(at.d, 1), pads: [ph, pw, ph, pw], output_padding: pair(at.op, 0), group: g,
      });
    }
    case 'linear': {
      const j = out[out.length - 1];
      const flat = xs.length === 3 || xs.length === 0;
      const i = flat ? prod(xs) : xs[xs.length - 1];
      const gemmIns = (a: string) => [a, e.weight(`${L}.weight`, [j, i]), ...(ownBias(l) ? [e.weight(`${L}.bias`, [j])] : [])];
      if (xs.length === 1) return single('Gemm', gemmIns(x), { transB: 1 });
      if (flat) return [part('gemm', 'Gemm', gemmIns(part('flatten', 'Flatten', [x], { axis: 1 })), { transB: 1 }, true)];
      // per token: Gemm on [N*L, D] between two views, so the figures are the engine's (a MatMul + Add would move the output twice)
      const rows = n * prod(xs.slice(0, -1));
      const y = part('gemm', 'Gemm', gemmIns(reshape('rows', x, [rows, i])), { transB: 1 });
      return [reshape('tokens', y, [n, ...out], true)];
    }
    case 'matmul': {
      const [xa, ya] = aligned(reshape, ins, l.inputShapes, n);
      if (at.tb === 'true') return single('Einsum', [xa, ya], { equation: '...mk,...nk->...mn' });
      return single('MatMul', [xa, ya]);
    }
    case 'attention': return attention(e, l, x, n, part, reshape);
    case 'maxpool': case 'avgpool': {
      const [, h, w] = xs;
      const k = pair(at.k, 1);
      const s = pair(at.s ?? at.k, 1);
      const d = pair(at.d, 1);
      const attrs: Record<string, AttrValue> = { kernel_shape: k, strides: s, pads: padsOf(at.p, [h, w], k, s, d), ceil_mode: at.ceil === 'true' ? 1 : 0 };
      if (l.op === 'maxpool') return single('MaxPool', [x], { ...attrs, dilations: d });
      return single('AveragePool', [x], { ...attrs, count_include_pad: 1 });
    }
    case 'gap': return single('GlobalAveragePool', [x]);
    case 'gmp': return single('GlobalMaxPool', [x]);
    case 'bn': {
      const c = xs[0] ?? 1;
      const w = (what: string) => e.weight(`${L}.${what}`, [c]);
      return single('BatchNormalization', [x, w('scale'), w('bias'), w('mean'), w('var')], { epsilon: EPS });
    }
    case 'ln': {
      const d = xs[xs.length - 1] ?? 1;
      return single('LayerNormalization', [x, e.weight(`${L}.scale`, [d]), e.weight(`${L}.bias`, [d])], { axis: -1, epsilon: EPS });
    }
    case 'relu': return single('Relu', [x]);
    case 'relu6': return single('Clip', [x, e.constant(`${L}.min`, FLOAT, [], [0]), e.constant(`${L}.max`, FLOAT, [], [6])]);
    case 'sigmoid': return single('Sigmoid', [x]);
    case 'hardsigmoid': return single('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 });
    case 'hardswish': return single('HardSwish', [x]);
    case 'tanh': return single('Tanh', [x]);
    case 'swish': {
      // opset 17 has no Swish: x * sigmoid(x), 4 + 1 FLOPs per element as the engine counts it
      const sg = part('sigmoid', 'Sigmoid', [x]);
      return [part('mul', 'Mul', [x, sg], {}, true)];
    }
    case 'gelu': {
      // opset 17 has no Gelu (opset 20 does): x * 0.5 * (1 + erf(x / sqrt 2)), 1 + 4 + 1 + 1 + 1 = 8 FLOPs per
      // element, the engine's count (the ONNX reader counts Erf as 4 for this decomposition)
      const c = (name: string, v: number) => e.constant(`${L}.${name}`, FLOAT, [], [v]);
      const t1 = part('div', 'Div', [x, c('sqrt2', Math.SQRT2)]);
      const t2 = part('erf', 'Erf', [t1]);
      const t3 = part('add', 'Add', [t2, c('one', 1)]);
      const t4 = part('mul', 'Mul', [x, t3]);
      return [part('half', 'Mul', [t4, c('half', 0.5)], {}, true)];
    }
    case 'softmax': return single('Softmax', [x], { axis: axisOf(num(at.dim, -1), xs.length) });
    case 'add': case 'mul': {
      const xsAligned = aligned(reshape, ins, l.inputShapes, n);
      if (xsAligned.length === 2) return single(l.op === 'add' ? 'Add' : 'Mul', xsAligned);
      if (l.op === 'add') return single('Sum', xsAligned);
      // Mul takes two inputs: a chain (exact when the inputs have the output's shape)
      let t = xsAligned[0];
      for (let i = 1; i < xsAligned.length; i++) t = part(`mul_${i}`, 'Mul', [t, xsAligned[i]], {}, i === xsAligned.length - 1);
      return [t];
    }
    case 'concat': return single('Concat', ins, { axis: axisOf(num(at.dim, 0), xs.length) });
    case 'split': {
      const axis = axisOf(num(at.dim, 0), xs.length);
      const sizes = l.outputs.map((s) => s[axis - 1]);
      const outs = sizes.map((_s, k) => `${L}[${k}]`);
      e.node(L, L, 'Split', [x, e.constant(`${L}.split`, INT64, [sizes.length], sizes)], outs, { axis });
      return outs;
    }
    case 'shuffle': {
      // [N, C, ...] -> [N, g, C/g, rest] -> swap the two group axes (the one copy) -> [N, C, ...]
      const g = num(at.g, 1);
      const c = xs[0];
      const rest = prod(xs.slice(1));
      const grouped = reshape('groups', x, [n, g, c / g, rest]);
      const t = part('transpose', 'Transpose', [grouped], { perm: [0, 2, 1, 3] });
      return [reshape('channels', t, [n, ...out], true)];
    }
    case 'flatten': return single('Flatten', [x], { axis: 1 });
    case 'reshape': return single('Reshape', [x, e.constant(`${L}.shape`, INT64, [out.length + 1], [n, ...out])]);
    case 'transpose': return single('Transpose', [x], { perm: [0, ...(at.perm as number[]).map((p) => p + 1)] });
    case 'upsample': {
      const [sh, sw] = pair(at.s, 2);
      const bilinear = at.mode === 'bilinear';
      const scales = e.constant(`${L}.scales`, FLOAT, [4], [1, 1, sh, sw]);
      return single('Resize', [x, '', scales], bilinear
        ? { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }
        : { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
    }
    case 'dropout': case 'identity': return single('Identity', [x]);
    case 'patch_embed': {
      // a P x P conv with stride P, then [N, D, H/P, W/P] -> [N, D, L] (a view) -> [N, L, D] (a Transpose: a copy)
      const p = at.P as number;
      const d = at.D as number;
      const inputs = [x, e.weight(`${L}.weight`, [d, xs[0], p, p])];
      if (at.bias !== 'false') inputs.push(e.weight(`${L}.bias`, [d]));
      const y = part('conv', 'Conv', inputs, { kernel_shape: [p, p], strides: [p, p], pads: [0, 0, 0, 0] });
      const f = reshape('flatten', y, [n, d, out[0]]);
      return [part('transpose', 'Transpose', [f], { perm: [0, 2, 1] }, true)];
    }
    case 'cls_token': {
      // the learnable token [1, 1, D], expanded to the batch and put in front of the sequence
      const d = xs[1];
      const tok = e.weight(`${L}.token`, [1, 1, d]);
      const big = part('expand', 'Expand', [tok, shapeConst('expand', [n, 1, d])]);
      return [part('concat', 'Concat', [big, x], { axis: 1 }, true)];
    }
    case 'pos_embed': return single('Add', [x, e.weight(`${L}.embedding`, [1, ...xs])]);
    case 'take': {
      // a Split around the index (a view) and a Reshape dropping the axis (a view): no data moved, as the engine counts it
      const axis = axisOf(num(at.dim, 0), xs.length);
      const i = at.i as number;
      const size = xs[axis - 1];
      if (size === 1) return [reshape('squeeze', x, [n, ...out], true)];
      const sizes = [i, 1, size - i - 1].filter((v) => v > 0);
      const outs = sizes.map((_s, k) => `${L}/split[${k}]`);
      e.node(L, `${L}/split`, 'Split', [x, e.constant(`${L}/split.sizes`, INT64, [sizes.length], sizes)], outs, { axis });
      return [reshape('squeeze', outs[i > 0 ? 1 : 0], [n, ...out], true)];
    }
    case 'op':
      throw new Unsupported(`\`op "${String(at.type)}"\` has no exportable semantics (a generic op declares only shapes): it cannot be exported to ONNX`);
    default:
      throw new Unsupported(`\`${l.op}\` cannot be exported to ONNX yet`);
  }
}

/** Inputs of a broadcasting op with their ranks aligned after the batch: a lower-rank one gets 1s inserted after the
 *  batch dim (a Reshape: a view), since ONNX broadcasting right-aligns whole shapes, batch included. */
function aligned(reshape: (name: string, t: string, dims: number[]) => string, ins: string[], shapes: number[][], n: number): string[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return ins.map((t, i) => {
    const s = shapes[i];
    return s.length === rank ? t : reshape(`align_${i}`, t, [n, ...Array(rank - s.length).fill(1), ...s]);
  });
}

/**
 * Multi-head self-attention on [N, L, D] as the engine counts it (ops.ts): Q, K, V projections (Gemm on [N*L, D]),
 * heads split by views and Transposes, scores Q K^T ([N, h, L, L]), scaled by 1/sqrt(D/h) (a Mul per score), Softmax,
 * times V, heads merged, output projection. Params, MACs and both FLOPs conventions equal the engine's; memory does
 * not: the score tensor and the Transposes move data the engine's fused kernel does not (docs/measure.md).
 */
function attention(e: Emitter, l: Layer, x: string, n: number,
  part: (name: string, opType: string, inputs: string[], attrs?: Record<string, AttrValue>, last?: boolean) => string,
  reshape: (name: string, t: string, dims: number[], last?: boolean) => string): string[] {
  const L = l.name;
  const [len, d] = l.inputShapes[0];
  const h = num(l.attrs.heads, 1);
  const dh = d / h;
  const bias = l.attrs.bias !== 'false';
  const gemm = (name: string, input: string): string =>
    part(name, 'Gemm', [input, e.weight(`${L}/${name}.weight`, [d, d]), ...(bias ? [e.weight(`${L}/${name}.bias`, [d])] : [])], { transB: 1 });
  const rows = reshape('rows', x, [n * len, d]);
  /** a projection's heads: [N*L, D] -> [N, L, h, dh] -> `perm` */
  const heads = (name: string, perm: number[]) =>
    part(`${name}_heads`, 'Transpose', [reshape(`${name}_split`, gemm(name, rows), [n, len, h, dh])], { perm });
  const q = heads('q', [0, 2, 1, 3]); // [N, h, L, dh]
  const k = heads('k', [0, 2, 3, 1]); // [N, h, dh, L]
  const v = heads('v', [0, 2, 1, 3]); // [N, h, L, dh]
  const scores = part('scores', 'MatMul', [q, k]);
  const scaled = part('scale', 'Mul', [scores, e.constant(`${L}/scale.value`, FLOAT, [], [1 / Math.sqrt(dh)])]);
  const p = part('softmax', 'Softmax', [scaled], { axis: -1 });
  const ctx = part('context', 'MatMul', [p, v]); // [N, h, L, dh]
  const merged = reshape('merge', part('merge_heads', 'Transpose', [ctx], { perm: [0, 2, 1, 3] }), [n * len, d]);
  return [reshape('tokens', gemm('out', merged), [n, len, d], true)];
}
