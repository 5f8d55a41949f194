// Peak activation memory: the largest set of tensors alive at once when the layers run in order (a
// residual branch keeps its input alive until the add), plus the weights. docs/hardware.md states the rules:
// - a tensor (a network input, or the output of a layer that runs a kernel) is alive from the step that
//   produces it until its last reader has run; a tensor nobody reads lives during its own step only
//   (ONNX: a graph output stays alive to the end);
// - at layer i the live set is every tensor produced before i still needed by i or a later layer, plus
//   i's own output;
// - a layer that computes and moves nothing (reshape, flatten, identity, dropout, take, split parts, a
//   folded batch norm, an uncounted ONNX node) writes no tensor of its own: its output aliases its inputs;
// - bytes = elements x batch x dtype bytes (`.net`), or the node's written bytes at each tensor's dtype (ONNX).
// Pure: a function of the analysis.
import { DTYPE_BYTES, type Analysis, type Layer } from '../analysis/analyze';
import { DTYPES, FLOAT, dtypeBytes } from '../onnx/model';
import { launches } from './roofline';

export interface PeakMemory {
  /** bytes of the activations alive at the peak (batch and dtype applied) */
  peakBytes: number;
  /** the layer running at the peak (its name) */
  atLayer: string;
  /** the tensors alive then: producing layer (or input) names */
  live: string[];
  /** weight bytes (params + buffers) at the analysis dtype */
  weightBytes: number;
  /** peakBytes + weightBytes: what must fit in the device's memory */
  totalBytes: number;
}

type OnnxLike = Layer & { writtenBytes?: number; nodeIndex?: number; graphPath?: string };

const elements = (s: number[]) => (s.some((d) => d < 0) ? 0 : s.reduce((p, d) => p * d, 1));

/** Bytes of each network input (batch and dtype applied). */
function inputBytes(a: Analysis): number[] {
  if (!a.onnx) return a.inputs.map((x) => elements(x.shape) * a.settings.batch * DTYPE_BYTES[a.settings.dtype]);
  const info = a.onnx;
  return a.inputs.map((x) => {
    const vi = info.model.graph.inputs.find((v) => v.name === x.name);
    const n = elements(x.shape); // ONNX shapes include the batch
    // float tensors are recounted at --dtype; else each counts its own size (an unknown dtype 4 bytes, as costs.ts does)
    const dtype = vi?.dtype ?? FLOAT;
    return info.dtypeOverride && DTYPES[dtype]?.float ? n * DTYPE_BYTES[info.dtypeOverride] : dtypeBytes(dtype, n);
  });
}

export function peakMemory(a: Analysis): PeakMemory {
  const weightBytes = a.totals.weightBytes;
  const layers = a.layers as OnnxLike[];
  const n = layers.length;
  const nIn = a.inputs.length;
  // tensor ids: 0..nIn-1 the network inputs, nIn + i the output of layer i when it writes one
  const size = nIn + n;
  const bytes = new Float64Array(size);
  const written = new Uint8Array(size).fill(1, 0, nIn);
  const lastUse = new Int32Array(size).fill(-1);
  bytes.set(inputBytes(a));
  const inputIndex = new Map(a.inputs.map((x, k) => [x.name, k]));
  let byName: Map<string, number> | null = null; // only for layers built without `inputLayers`
  const roots: number[][] = new Array(n);
  const elementBytes = DTYPE_BYTES[a.settings.dtype];
  for (let i = 0; i < n; i++) {
    const l = layers[i];
    const read: number[] = [];
    for (let k = 0; k < l.inputs.length; k++) {
      let p = l.inputLayers?.[k];
      if (p === undefined) p = (byName ??= new Map(layers.map((x, j) => [x.name, j]))).get(l.inputs[k]) ?? -1;
      const ts = p >= 0 ? (p < i ? roots[p] : []) : [inputIndex.get(l.inputs[k]) ?? -1];
      for (const t of ts) if (t >= 0 && !read.includes(t)) read.push(t);
    }
    for (const t of read) lastUse[t] = i;
    if (launches(l)) {
      const t = nIn + i;
      roots[i] = [t];
      written[t] = 1;
      bytes[t] = a.onnx ? l.writtenBytes ?? 0 : l.activations * elementBytes;
      lastUse[t] = i;
    } else roots[i] = read; // a view: its output is its inputs' tensors
  }
  // ONNX graph outputs are held to the end (a .net file's output is its last layer)
  if (a.onnx && n) {
    const outs = new Set(a.onnx.model.graph.outputs.map((o) => o.name));
    const nodes = a.onnx.model.graph.nodes;
    for (let i = 0; i < n; i++) {
      const l = layers[i];
      if (l.graphPath || l.nodeIndex === undefined) continue;
      if (nodes[l.nodeIndex]?.outputs.some((o) => outs.has(o))) for (const t of roots[i]) lastUse[t] = n - 1;
    }
  }
  const producedAt = (t: number) => (t < nIn ? -1 : t - nIn);
  // the sweep: `alive` holds the bytes of the tensors produced before step i and needed at i or later
  const freeAt: number[][] = Array.from({ length: n }, () => []);
  let alive = 0;
  for (let t = 0; t < size; t++) {
    if (!written[t] || lastUse[t] < 0) continue;
    freeAt[lastUse[t]].push(t);
    if (t < nIn) alive += bytes[t];
  }
  let peak = 0;
  let at = -1;
  for (let i = 0; i < n; i++) {
    const own = written[nIn + i] ? bytes[nIn + i] : 0;
    if (alive + own > peak || at < 0) { peak = alive + own; at = i; }
    alive += own;
    for (const t of freeAt[i]) alive -= bytes[t];
  }
  if (at < 0) return { peakBytes: 0, atLayer: '', live: [], weightBytes, totalBytes: weightBytes };
  const live: string[] = [];
  for (let t = 0; t < size; t++) {
    if (!written[t] || lastUse[t] < 0) continue;
    const from = producedAt(t);
    if (from < at ? lastUse[t] >= at : from === at) live.push(t < nIn ? a.inputs[t].name : layers[from].name);
  }
  return { peakBytes: peak, atLayer: layers[at].name, live, weightBytes, totalBytes: peak + weightBytes };
}
