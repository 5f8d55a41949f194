// Calibration: a target fitted to measurements of this machine (`netcost calibrate`, docs/measure.md).
// Pure: measurements in, a target and tables out. The model is the roofline of roofline.ts, unchanged:
//
//   network time = sum over layers of max(FLOPs / (P x e[class]), bytes / B)  +  launches x L
//
// so a fitted target means the same thing wherever a target is used (`--target`, the editor, the lint
// rules), and `predict` below is exactly `estimate()` of the same network (a test checks it).
//
// The fit (floats; every step deterministic):
// 1. Each measurement's per-layer times (ONNX Runtime's kernel times, attributed to layers) are scaled
//    so that they sum to the network's median latency of the unprofiled runs: that removes the
//    profiler's own overhead and spreads the executor's gaps over the layers. When the kernel times add
//    up to less than that median, the machine was busy during the timed runs: they are kept as they are.
// 2. Starting from the base target (the machine's `host-cpu`: its peak P0, bandwidth and launch
//    overhead, efficiency 1), alternate until the split of the layers into compute- and memory-bound
//    no longer changes (at most 50 rounds), then one more round on that split (so the efficiencies use
//    the launch overhead fitted on it):
//    a. each compute-bound layer (FLOPs / (P0 e) >= bytes / B) says how fast its class computes: per
//       class e = sum(FLOPs / P0) / sum(time - launch) over its compute-bound layers (a ratio of sums,
//       so the class's compute time over the training set is reproduced); `default` is the same ratio
//       over all compute-bound layers, for the classes that have none (a class seen only memory-bound,
//       like a batch-1 classifier's matrix-vector product, says nothing about its compute);
//    b. the memory-bound layers give B and L: time = bytes / B + L per launch, least squares on the
//       relative errors (weights 1 / time^2), so the many small layers decide the launch overhead.
// 3. The training networks' totals are then centred: every time is multiplied by the geometric mean of
//    measured / predicted over the training networks (the layers' errors do not cancel exactly in a
//    network's sum; this removes what is common to all of them). The scale is fixed by P: the 90th
//    percentile of the compute-bound layers' achieved FLOP/s; the efficiencies are relative to it (P x e
//    is what was fitted).
// 4. Clamps: L in [0, 1 ms], efficiencies in [0.01, 10], B within 1/64 .. 64 times the base's. Figures
//    are rounded to 4 significant digits before use, so the target saved in netcost.json predicts what
//    the fit predicted.
import type { Dtype } from '../analysis/analyze';
import { layerTime } from '../hardware/roofline';
import { formatSeconds } from '../hardware/roofline';
import type { Calibration, Target } from '../hardware/targets';
import { median, percentile } from './profile';
import type { Measurement } from './types';

const DTYPES: Dtype[] = ['fp32', 'fp16', 'bf16', 'int8'];
const dtypeOf = (m: Measurement): Dtype => (DTYPES.includes(m.dtype as Dtype) ? (m.dtype as Dtype) : 'fp32');

/**
 * The estimated latency of a measured network on `t`: per layer the roofline time with its op class's
 * efficiency, plus one launch overhead per launching layer, summed in the same order as `estimate()`
 * (roofline.ts), so the two are equal for the network's analysis. The layers compute in the
 * measurement's dtype (an ONNX model with mixed dtypes is predicted at that one).
 */
export function predict(m: Measurement, t: Target): number {
  const dtype = dtypeOf(m);
  let sum = 0;
  let launched = 0;
  for (const l of m.layers) {
    sum += layerTime({ flops: { '2macs': l.flops, exact: l.flops, macs: l.flops / 2 }, memoryBytes: l.memoryBytes }, t, dtype, l.opClass).seconds;
    if (l.launches) launched++;
  }
  return sum + launched * t.launchOverhead;
}

/** One layer as the fit sees it: its class, roofline inputs, launch, and measured (scaled) time */
interface Sample { net: number; cls: string; flops: number; bytes: number; launch: number; t: number }

const MIN_EFFICIENCY = 0.01;
const MAX_EFFICIENCY = 10;
const MAX_LAUNCH = 1e-3;
const PEAK_PERCENTILE = 90;
const ROUNDS = 50;

/** `x` to 4 significant digits */
export const sig4 = (x: number): number => (x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(4)));

function samples(ms: Measurement[]): Sample[] {
  const out: Sample[] = [];
  ms.forEach((m, net) => {
    // the total the layers are scaled to: the median latency, unless the profiled runs' kernel times add up
    // to less (profiling only adds time, so on a quiet machine they never do; on a busy one, the less
    // disturbed of the two)
    const sum = m.layers.reduce((s, l) => s + l.measuredSeconds, 0);
    const total = Math.min(m.latency.medianSeconds, sum);
    const scale = sum > 0 && total > 0 ? total / sum : 1;
    for (const l of m.layers) {
      if (!(l.flops > 0 || l.memoryBytes > 0)) continue; // no roofline time, no launch: nothing to fit
      out.push({ net, cls: l.opClass, flops: l.flops, bytes: l.memoryBytes, launch: l.launches ? 1 : 0, t: l.measuredSeconds * scale });
    }
  });
  return out;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

interface Fit {
  /** compute efficiency per class relative to p0, and for classes without compute-bound layers */
  eff: Map<string, number>;
  defaultEff: number;
  bandwidth: number;
  launch: number;
  /** which samples were compute-bound in the last round */
  compute: boolean[];
}

/** Step 2: the alternating fit at the base's peak p0 */
function fit(ss: Sample[], p0: number, base: Target): Fit {
  let f: Fit = { eff: new Map(), defaultEff: 1, bandwidth: base.bandwidth, launch: clamp(base.launchOverhead, 0, MAX_LAUNCH), compute: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const e = (cls: string) => f.eff.get(cls) ?? f.defaultEff;
    const compute = ss.map((s) => s.flops > 0 && s.flops / (p0 * e(s.cls)) >= s.bytes / f.bandwidth);
    // the split unchanged: one last round, so the efficiencies use the launch overhead fitted on it
    const settled = round > 0 && compute.every((c, i) => c === f.compute[i]);
    // a. per class: sum(FLOPs / p0) / sum(time - launch) over its compute-bound layers
    const work = new Map<string, { w: number; t: number }>();
    const all = { w: 0, t: 0 };
    ss.forEach((s, i) => {
      if (!compute[i]) return;
      const x = work.get(s.cls) ?? { w: 0, t: 0 };
      const w = s.flops / p0;
      const t = Math.max(s.t - s.launch * f.launch, 0.05 * s.t);
      x.w += w; x.t += t; all.w += w; all.t += t;
      work.set(s.cls, x);
    });
    const eff = new Map<string, number>();
    for (const [k, x] of work) if (x.t > 0) eff.set(k, clamp(x.w / x.t, MIN_EFFICIENCY, MAX_EFFICIENCY));
    const defaultEff = all.t > 0 ? clamp(all.w / all.t, MIN_EFFICIENCY, MAX_EFFICIENCY) : 1;
    // b. memory-bound layers: time = bytes x beta + launch x L, weights 1 / time^2 (normal equations)
    let [a11, a12, a22, b1, b2] = [0, 0, 0, 0, 0];
    ss.forEach((s, i) => {
      if (compute[i]) return;
      const w = 1 / (s.t + 1e-6) ** 2;
      a11 += w * s.bytes * s.bytes; a12 += w * s.bytes * s.launch; a22 += w * s.launch * s.launch;
      b1 += w * s.bytes * s.t; b2 += w * s.launch * s.t;
    });
    const det = a11 * a22 - a12 * a12;
    let bandwidth = f.bandwidth;
    let launch = f.launch;
    if (a11 > 0 && det > 1e-12 * a11 * a22) {
      const beta = (b1 * a22 - b2 * a12) / det;
      launch = clamp((a11 * b2 - a12 * b1) / det, 0, MAX_LAUNCH);
      // with L clamped, beta again from the first equation alone
      const beta2 = launch === (a11 * b2 - a12 * b1) / det ? beta : (b1 - a12 * launch) / a11;
      if (beta2 > 0) bandwidth = clamp(1 / beta2, base.bandwidth / 64, base.bandwidth * 64);
    } else if (a11 > 0 && b1 > 0) bandwidth = clamp(a11 / b1, base.bandwidth / 64, base.bandwidth * 64);
    f = { eff, defaultEff, bandwidth, launch, compute };
    if (settled) break;
  }
  return f;
}

export interface FitOptions {
  /** the fitted target's id (default `local-cpu`) and name (default: the base's name, calibrated) */
  id?: string;
  name?: string;
  /** the calibration date (default: now, ISO 8601) */
  date?: string;
}

/**
 * A target fitted to measurements (see the method above): fp32 peak, bandwidth, launch overhead and
 * per-op-class compute efficiency (with `default`); memory, channel multiple and shuffle from `base`
 * (the machine's `host-cpu`), whose figures start the fit. At least one measurement.
 */
export function fitTarget(ms: Measurement[], base: Target, opts: FitOptions = {}): Target {
  if (!ms.length) throw new Error('fitTarget: no measurements');
  const ss = samples(ms);
  const p0 = base.peak.fp32 ?? Math.max(...Object.values(base.peak).map(Number));
  const fitted = fit(ss, p0, base);
  // step 3: centre the training networks' totals (times x g: compute and bandwidth / g, launch x g)
  const predicted = new Array<number>(ms.length).fill(0);
  const measured = new Array<number>(ms.length).fill(0);
  ss.forEach((s) => {
    const e = fitted.eff.get(s.cls) ?? fitted.defaultEff;
    predicted[s.net] += Math.max(s.flops / (p0 * e), s.bytes / fitted.bandwidth) + s.launch * fitted.launch;
    measured[s.net] += s.t;
  });
  const logs = measured.map((m, n) => Math.log(m / predicted[n])).filter(Number.isFinite);
  const g = logs.length ? Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length) : 1;
  const f: Fit = { ...fitted, eff: new Map([...fitted.eff].map(([k, e]) => [k, e / g])), defaultEff: fitted.defaultEff / g, bandwidth: fitted.bandwidth / g, launch: clamp(fitted.launch * g, 0, MAX_LAUNCH) };
  // the effective peak, and the efficiencies relative to it (p x e = p0 x e0)
  const achieved = ss.filter((s, i) => f.compute[i] && s.t - s.launch * f.launch > 0).map((s) => s.flops / (s.t - s.launch * f.launch));
  const peak = sig4(achieved.length ? percentile(achieved, PEAK_PERCENTILE) : p0);
  const eff = (e0: number) => sig4(clamp((e0 * p0) / peak, MIN_EFFICIENCY, MAX_EFFICIENCY));
  const efficiency: Record<string, number> = {};
  for (const k of [...f.eff.keys()].sort()) efficiency[k] = eff(f.eff.get(k)!);
  efficiency.default = eff(f.defaultEff);
  const m0 = ms[0];
  const calibration: Calibration = {
    date: opts.date ?? new Date().toISOString(),
    runtime: `${m0.runtime.name} ${m0.runtime.version} ${m0.runtime.executionProvider}`,
    threads: m0.runtime.threads,
    models: ms.map((m) => m.file),
    cpu: base.name,
  };
  const computeBound = f.compute.filter(Boolean).length;
  return {
    id: opts.id ?? 'local-cpu',
    name: opts.name ?? `${base.name}, calibrated`,
    kind: base.kind,
    peak: { fp32: peak },
    bandwidth: sig4(f.bandwidth), memory: base.memory, channelMultiple: base.channelMultiple, launchOverhead: sig4(f.launch), shuffle: base.shuffle,
    efficiency, calibration,
    sources: [
      `netcost calibrate ${calibration.date}: ${ms.length} model${ms.length === 1 ? '' : 's'} (${ms.map((m) => m.file).join(', ')}) measured with ${calibration.runtime}, ${calibration.threads} thread${calibration.threads === 1 ? '' : 's'}`,
      `fp32 peak: the 90th percentile of the achieved FLOP/s of ${achieved.length} compute-bound layers; per-op-class compute efficiency from the ${computeBound} compute-bound layers, bandwidth and launch overhead by least squares over the ${ss.length - computeBound} memory-bound ones (docs/measure.md)`,
      `base: ${base.id} (${base.name})`,
    ],
  };
}

export interface LeaveOneOutRow {
  file: string;
  measuredSeconds: number;
  /** the estimate with the base target (uncalibrated) */
  beforeSeconds: number;
  /** the estimate with a target fitted on the other measurements */
  afterSeconds: number;
}

/** Each network predicted by a target fitted on the others (and by `base`, before calibration). At least 2 measurements. */
export function leaveOneOut(ms: Measurement[], base: Target, opts: FitOptions = {}): LeaveOneOutRow[] {
  if (ms.length < 2) throw new Error('leaveOneOut: at least 2 measurements');
  return ms.map((m, i) => {
    const t = fitTarget(ms.filter((_, j) => j !== i), base, opts);
    return { file: m.file, measuredSeconds: m.latency.medianSeconds, beforeSeconds: predict(m, base), afterSeconds: predict(m, t) };
  });
}

/** relative error of a prediction: predicted / measured - 1 */
export const relError = (predicted: number, measured: number) => predicted / measured - 1;
/** how far off, as a factor >= 1 */
export const factor = (predicted: number, measured: number) => Math.max(predicted / measured, measured / predicted);

export interface Accuracy { medianAbsError: number; worstFactor: number }

/** the median absolute relative error and the worst factor, before and after calibration */
export function accuracy(rows: LeaveOneOutRow[]): { before: Accuracy; after: Accuracy } {
  const of = (k: 'beforeSeconds' | 'afterSeconds'): Accuracy => ({
    medianAbsError: median(rows.map((r) => Math.abs(relError(r[k], r.measuredSeconds)))),
    worstFactor: Math.max(...rows.map((r) => factor(r[k], r.measuredSeconds))),
  });
  return { before: of('beforeSeconds'), after: of('afterSeconds') };
}

/** `+12%`, `-3.4%` */
export const percentText = (e: number): string => {
  const p = e * 100;
  const a = Math.abs(p);
  return `${p >= 0 ? '+' : '-'}${a >= 9.95 ? a.toFixed(0) : a.toFixed(1)}%`;
};
const networkName = (file: string) => file.replace(/^.*[\\/]/, '').replace(/\.(net|onnx)$/, '');

/**
 * The README's accuracy table (markdown): per network the measured median latency, the estimate before
 * calibration and after (leave-one-out) with their errors; then the median absolute error and the worst
 * factor of each. Rows in the given order.
 */
export function accuracyTable(rows: LeaveOneOutRow[]): string {
  const lines = [
    '| network | measured | before (host-cpu) | error | after (leave-one-out) | error |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(`| ${networkName(r.file)} | ${formatSeconds(r.measuredSeconds)} | ${formatSeconds(r.beforeSeconds)} | ${percentText(relError(r.beforeSeconds, r.measuredSeconds))} | ${formatSeconds(r.afterSeconds)} | ${percentText(relError(r.afterSeconds, r.measuredSeconds))} |`);
  }
  const a = accuracy(rows);
  lines.push(`| median absolute error | | | ${(a.before.medianAbsError * 100).toFixed(1)}% | | ${(a.after.medianAbsError * 100).toFixed(1)}% |`);
  lines.push(`| worst factor | | | ${a.before.worstFactor.toFixed(2)}x | | ${a.after.worstFactor.toFixed(2)}x |`);
  return lines.join('\n') + '\n';
}
