// The layer graph the lint rules reason on: who reads whom, which layers are the network's output, and
// the fusion model (which layers launch an operator of their own on an inference runtime).
import type { Layer } from '../analysis/analyze';
import { ACTIVATION_OPS } from '../analysis/ops';

/** what may follow a classifier's linear layer and still leave it the network's output */
const HEAD_OPS = new Set([...ACTIVATION_OPS, 'softmax', 'dropout', 'identity']);
/** ops with a compute kernel whose epilogue can apply element-wise work (bias, activation, residual add) */
export const COMPUTE_OPS = new Set(['conv', 'dwconv', 'pwconv', 'deconv', 'linear', 'matmul', 'attention', 'patch_embed']);
/** element-wise ops (cost-model.md section 2: small FLOPs, full-tensor memory traffic) */
export const ELEMENTWISE_OPS = new Set([...ACTIVATION_OPS, 'add', 'mul', 'bn']);

/** Readers of every layer, from the `inputs` names. */
export class Graph {
  private readonly index = new Map<string, number>();
  private readonly readers: number[][];
  /** the layer is a network output: nothing reads it, or only element-wise / softmax / dropout heads */
  readonly isOutput: boolean[];
  /**
   * an element-wise layer an inference runtime fuses into the epilogue of the kernel before it: one of
   * its inputs is a conv / linear layer (or a folded batch norm, or a fused element-wise layer) that
   * nothing else reads (`conv | bn | relu`, a residual `add` of a conv's output)
   */
  readonly fused: boolean[];
  constructor(readonly layers: Layer[]) {
    layers.forEach((l, i) => this.index.set(l.name, i));
    this.readers = layers.map(() => []);
    layers.forEach((l, i) => {
      for (const n of new Set(l.inputs)) {
        const j = this.index.get(n);
        if (j !== undefined && j !== i) this.readers[j].push(i);
      }
    });
    // producers come before their readers: decide from the last layer backwards
    this.isOutput = layers.map(() => false);
    for (let i = layers.length - 1; i >= 0; i--)
      this.isOutput[i] = this.readers[i].every((j) => j > i && HEAD_OPS.has(layers[j].op) && this.isOutput[j]);
    this.fused = layers.map(() => false);
    layers.forEach((l, i) => {
      if (!ELEMENTWISE_OPS.has(l.op) || l.foldedInto !== null) return;
      const inputs = l.op === 'add' || l.op === 'mul' ? l.inputs : l.inputs.slice(0, 1);
      this.fused[i] = inputs.some((n) => {
        const j = this.index.get(n);
        if (j === undefined || j >= i || this.readers[j].length !== 1) return false;
        const p = layers[j];
        return COMPUTE_OPS.has(p.op) || (p.op === 'bn' && p.foldedInto !== null) || this.fused[j];
      });
    });
  }
  indexOf(l: Layer): number | undefined { return this.index.get(l.name); }
  producer(l: Layer): Layer | null {
    const j = l.inputs.length ? this.index.get(l.inputs[0]) : undefined;
    return j === undefined ? null : this.layers[j];
  }
  readersOf(i: number): Layer[] { return this.readers[i].map((j) => this.layers[j]); }
  readerIndices(i: number): number[] { return this.readers[i]; }
  readersOfLayer(l: Layer): Layer[] {
    const i = this.index.get(l.name);
    return i === undefined ? [] : this.readersOf(i);
  }
  /** the layer runs an operator of its own: it has work, and is neither a folded batch norm nor a fused epilogue */
  launches(i: number): boolean {
    const l = this.layers[i];
    return (l.memoryBytes > 0 || l.flops['2macs'] > 0) && l.foldedInto === null && !this.fused[i];
  }
}
