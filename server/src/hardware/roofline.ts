// The roofline estimate of ../shared/docs/cost-model.md section 4, per layer and per network:
// attainable = min(peak, intensity x bandwidth); time = max(FLOPs / peak, bytes / bandwidth); a layer is
// memory-bound when its intensity is below the ridge point peak / bandwidth. FLOPs are always the
// 2*MACs count, whatever convention is displayed. A target may carry per-op-class efficiencies (a
// calibrated one does): the fraction of the peak that class's kernels reach, so the compute time is
// FLOPs / (peak x efficiency); the memory time stays bytes / bandwidth (a memory-bound kernel is held by
// the memory, whatever its op). Pure functions of figures and a target.
import type { Analysis, Dtype, Figures, Layer } from '../analysis/analyze';
import { efficiencyFor, peakFor, type Target } from './targets';
import { opClass } from './opclass';

export interface LayerTime {
  /** FLOPs (2*MACs convention) per byte moved; Infinity when nothing is moved, 0 when nothing is computed */
  intensity: number;
  /** min(peak x efficiency, intensity x bandwidth), FLOP/s */
  attainable: number;
  bound: 'compute' | 'memory';
  /** FLOPs / (peak x efficiency) */
  computeSeconds: number;
  /** bytes / bandwidth */
  memorySeconds: number;
  /** max of the two */
  seconds: number;
  /** the efficiency of the layer's op class on the target (1 when the target has none) */
  efficiency: number;
}

/**
 * A layer's roofline time on `t`. `cls` is the layer's op class (opclass.ts), whose efficiency scales
 * the peak; when absent, the class of `f` if it is a layer (so every caller passing a layer gets what
 * `estimate` gives), else the target's `default` efficiency. A target without efficiencies: 1.
 */
export function layerTime(f: Pick<Figures, 'flops' | 'memoryBytes'>, t: Target, dtype: Dtype, cls?: string): LayerTime {
  const flops = f.flops['2macs'];
  const bytes = f.memoryBytes;
  const peak = peakFor(t, dtype);
  const e = t.efficiency ? efficiencyFor(t, cls ?? ('op' in f && 'inputShapes' in f ? opClass(f as Layer) : undefined)) : 1;
  const computeSeconds = flops / peak / e;
  const memorySeconds = bytes / t.bandwidth;
  const intensity = bytes > 0 ? flops / bytes : flops > 0 ? Infinity : 0;
  return {
    intensity, attainable: Math.min(peak * e, intensity * t.bandwidth), bound: computeSeconds >= memorySeconds && flops > 0 ? 'compute' : 'memory',
    computeSeconds, memorySeconds, seconds: Math.max(computeSeconds, memorySeconds), efficiency: e,
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

/** ONNX tensor dtypes as the analysis dtypes whose peaks apply */
const ONNX_DTYPE: Record<string, Dtype> = { float32: 'fp32', float16: 'fp16', bfloat16: 'bf16', int8: 'int8', uint8: 'int8' };

/** The dtype a layer computes in: the analysis dtype; for an ONNX model counted at each tensor's own dtype,
 *  the layer's first output's (an int8 QLinearConv runs at the int8 peak), else the analysis dtype. */
export function layerDtype(a: Analysis, i: number): Dtype {
  if (!a.onnx || a.onnx.dtypeOverride) return a.settings.dtype;
  const d = (a.layers[i] as Layer & { outputDtypes?: string[] }).outputDtypes?.[0];
  return (d && ONNX_DTYPE[d]) || a.settings.dtype;
}

/** A layer launches a kernel when it is not folded into another and computes or moves something (views,
 *  dropout at inference, folded batch norms and uncounted nodes do not). */
export const launches = (l: Layer): boolean => !l.foldedInto && (l.flops['2macs'] > 0 || l.memoryBytes > 0);

/**
 * The network's estimated latency on `t` at the analysis' batch and dtype: each layer's roofline time
 * (divided by its op class's efficiency when the target has some), plus one launch overhead per layer
 * that launches a kernel (`launches`). Works for `.net` and ONNX analyses alike (figures already include
 * the batch). Calibration (measure/calibrate.ts `predict`) computes the same sum from a measurement.
 */
export function estimate(a: Analysis, t: Target): NetworkEstimate {
  const layers: LayerTime[] = [];
  let sum = 0;
  let launched = 0;
  let memoryBound = 0;
  for (let i = 0; i < a.layers.length; i++) {
    const l = a.layers[i];
    const x = layerTime(l, t, layerDtype(a, i), opClass(l));
    layers.push(x);
    sum += x.seconds;
    if (launches(l)) {
      launched++;
      if (x.bound === 'memory') memoryBound++;
    }
  }
  const launchSeconds = launched * t.launchOverhead;
  const seconds = sum + launchSeconds;
  return {
    target: t, layers, launches: launched, launchSeconds, seconds,
    qps: seconds > 0 ? a.settings.batch / seconds : Infinity,
    memoryBoundShare: launched ? memoryBound / launched : 0,
  };
}

/** A duration for display: `850 ns`, `12.3 us`, `4.56 ms`, `1.23 s` (three significant digits). */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return String(s);
  const [v, unit] = s === 0 ? [0, 's'] : s < 1e-6 ? [s * 1e9, 'ns'] : s < 1e-3 ? [s * 1e6, 'us'] : s < 1 ? [s * 1e3, 'ms'] : [s, 's'];
  const digits = v === 0 ? 0 : v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2;
  return `${v.toFixed(digits)} ${unit}`;
}
