// Peak activation memory: the largest set of tensors alive at once when the layers run in order (a
// residual branch keeps its input alive until the add), plus the weights. IMPLEMENTED BY THE HARDWARE WORK.
import type { Analysis } from '../analysis/analyze';

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

export function peakMemory(a: Analysis): PeakMemory {
  return { peakBytes: 0, atLayer: '', live: [], weightBytes: a.totals.weightBytes, totalBytes: a.totals.weightBytes };
}
