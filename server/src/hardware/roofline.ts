// The roofline estimate of ../shared/docs/cost-model.md section 4, per layer and per network:
// attainable = min(peak, intensity x bandwidth); time = max(FLOPs / peak, bytes / bandwidth); a layer is
// memory-bound when its intensity is below the ridge point peak / bandwidth. FLOPs are always the
// 2*MACs count, whatever convention is displayed. Pure functions of figures and a target.
import type { Analysis, Dtype, Figures } from '../analysis/analyze';
import { peakFor, type Target } from './targets';

export interface LayerTime {
  /** FLOPs (2*MACs convention) per byte moved; Infinity when nothing is moved, 0 when nothing is computed */
  intensity: number;
  /** min(peak, intensity x bandwidth), FLOP/s */
  attainable: number;
  bound: 'compute' | 'memory';
  computeSeconds: number;
  memorySeconds: number;
  /** max of the two */
  seconds: number;
}

export function layerTime(f: Pick<Figures, 'flops' | 'memoryBytes'>, t: Target, dtype: Dtype): LayerTime {
  const flops = f.flops['2macs'];
  const bytes = f.memoryBytes;
  const peak = peakFor(t, dtype);
  const computeSeconds = flops / peak;
  const memorySeconds = bytes / t.bandwidth;
  const intensity = bytes > 0 ? flops / bytes : flops > 0 ? Infinity : 0;
  return {
    intensity, attainable: Math.min(peak, intensity * t.bandwidth), bound: computeSeconds >= memorySeconds && flops > 0 ? 'compute' : 'memory',
    computeSeconds, memorySeconds, seconds: Math.max(computeSeconds, memorySeconds),
  };
}

export interface NetworkEstimate {
  target: Target;
  /** per layer of `a.layers`, in order */
  layers: LayerTime[];
  /** operators that launch a kernel (not folded, not a pure view) */
  launches: number;
  launchSeconds: number;
  /** sum of the layers' times plus the launch overheads: the latency of one batch */
  seconds: number;
  /** samples per second at the analysis' batch: batch / seconds */
  qps: number;
  /** share of the layers with work that are memory-bound */
  memoryBoundShare: number;
}

/** The network's estimated latency on `t` at the analysis' batch and dtype. IMPLEMENTED BY THE HARDWARE WORK. */
export function estimate(a: Analysis, t: Target): NetworkEstimate {
  const layers = a.layers.map((l) => layerTime(l, t, a.settings.dtype));
  const seconds = layers.reduce((s, x) => s + x.seconds, 0);
  return { target: t, layers, launches: 0, launchSeconds: 0, seconds, qps: seconds > 0 ? a.settings.batch / seconds : Infinity, memoryBoundShare: 0 };
}
