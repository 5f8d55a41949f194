// Calibration: a target fitted to measurements of this machine (`netcost calibrate`, docs/measure.md).
// Pure: measurements in, a target and tables out. The model is the roofline of roofline.ts, unchanged:
//
//   network time = sum over layers of max(FLOPs / P, bytes / B) / e[class]  +  launches x L
//
// so a fitted target means the same thing wherever a target is used (`--target`, the editor, the lint
// rules), and `predict` below is exactly `estimate()` of the same network (a test checks it).
//
// The fit (floats; every step deterministic):
// 1. Each measurement's per-layer times (ONNX Runtime's kernel times, attributed to layers) are scaled
//    so that they sum to the network's median latency of the unprofiled runs: that removes the
//    profiler's own overhead and spreads the executor's gaps over the layers. When the kernel times add
//    up to less than that median, the machine was busy during the timed runs: they are kept as they are.
// 2. For a ridge point r = P / B, the layer times are regressed on the roofline times: per op class a
//    slope 1 / e[class] and one launch overhead L shared by all launching layers, by least squares with
//    weights 1 / roofline time (the errors of a layer grow with its size). With these weights each
//    class's total time over the training set is reproduced exactly, and L is decided by the small
//    layers, where it matters. Closed form: L first (one linear equation), then each class's ratio.
// 3. r is searched (a log grid around the base target's ridge, then golden-section refinement) for the
//    smallest error of the training networks' totals (sum of squared log ratios), the layers' weighted
//    residuals breaking ties.
// 4. The scale is fixed by P: a high percentile (90th) of the achieved FLOP/s of the compute-bound
//    layers whose work outweighs their launch; B = P / r; the efficiencies are relative to that P and B.
// 5. Clamps: L in [0, 1 ms], efficiencies in [0.01, 10]; a class without training layers uses `default`,
//    the same ratio over all layers, unless the class has a family (activations; pools) some member of
//    which was measured: then the family's pooled ratio. Figures are rounded to 4 significant digits before use, so the
//    target saved in netcost.json predicts what the fit predicted.
import type { Dtype } from '../analysis/analyze';
import { layerTime } from '../hardware/roofline';
import { formatSeconds } from '../hardware/roofline';
import type { Calibration, Target } from '../hardware/targets';
import type { Measurement } from './types';

const DTYPES: Dtype[] = ['fp32', 'fp16', 'bf16', 'int8'];
const dtypeOf = (m: Measurement): Dtype => (DTYPES.includes(m.dtype as Dtype) ? (m.dtype as Dtype) : 'fp32');

/**
 * The estimated latency of a measured network on `t`: per layer the roofline time divided by its op
 * class's efficiency, plus one launch overhead per launching layer, summed in the same order as
 * `estimate()` (roofline.ts), so the two are equal for the network's analysis. The layers compute in
 * the measurement's dtype (an ONNX model with mixed dtypes is predicted at that one).
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
const PEAK_PERCENTILE = 0.9;
/** op classes that run alike (opclass.ts names, .net kinds and their aliases): one stands in for another the measurements lack */
const FAMILIES: string[][] = [
  ['relu', 'relu6', 'sigmoid', 'hardsigmoid', 'hsigmoid', 'hardswish', 'hswish', 'swish', 'silu', 'gelu', 'tanh'],
  ['maxpool', 'avgpool'],
];

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

/** roofline time at peak `p` (FLOP/s) and ridge point `r` (FLOP/byte): max(F / p, bytes x r / p) */
const roof = (s: Sample, p: number, r: number) => Math.max(s.flops, s.bytes * r) / p;

interface Fit {
  launch: number; slope: Map<string, number>; defaultSlope: number; loss: number; layerLoss: number;
  /** per class: measured time, launches and roofline time summed over its layers */
  sums: Map<string, { T: number; N: number; R: number }>;
}

/**
 * Step 2 for a given peak and ridge: L and the slope (1 / efficiency) of each class by least squares,
 * weights 1 / roofline time. Slope of class c given L: (T_c - L N_c) / R_c (T: measured, N: launches,
 * R: roofline, summed over the class); L solves d loss / d L = 0 with the slopes substituted.
 */
function fitAt(ss: Sample[], nets: number, p: number, r: number): Fit {
  const R = ss.map((s) => roof(s, p, r));
  const cls = new Map<string, { T: number; N: number; R: number }>();
  ss.forEach((s, i) => {
    const c = cls.get(s.cls) ?? { T: 0, N: 0, R: 0 };
    c.T += s.t; c.N += s.launch; c.R += R[i];
    cls.set(s.cls, c);
  });
  // L = (sum l t / R - sum l T_c / R_c) / (sum l / R - sum l N_c / R_c), over launching layers
  let num = 0;
  let den = 0;
  let scale = 0;
  ss.forEach((s, i) => {
    if (!s.launch || !(R[i] > 0)) return;
    const c = cls.get(s.cls)!;
    num += s.t / R[i] - c.T / c.R;
    den += 1 / R[i] - c.N / c.R;
    scale += 1 / R[i];
  });
  // den >= 0 (Cauchy-Schwarz); ~0 when L cannot be told apart from the slopes (every class's layers
  // alike): no launch overhead then
  let launch = den > 1e-9 * scale ? num / den : 0;
  launch = Math.min(MAX_LAUNCH, Math.max(0, launch));
  const clampSlope = (x: number) => Math.min(1 / MIN_EFFICIENCY, Math.max(1 / MAX_EFFICIENCY, x));
  const slope = new Map<string, number>();
  let allT = 0;
  let allN = 0;
  let allR = 0;
  for (const [k, c] of cls) {
    allT += c.T; allN += c.N; allR += c.R;
    if (c.R > 0) slope.set(k, clampSlope((c.T - launch * c.N) / c.R));
  }
  const defaultSlope = allR > 0 ? clampSlope((allT - launch * allN) / allR) : 1;
  // the training networks' totals as predicted, and the layers' weighted residuals
  const predicted = new Array<number>(nets).fill(0);
  const measured = new Array<number>(nets).fill(0);
  let layerLoss = 0;
  let layerNorm = 0;
  ss.forEach((s, i) => {
    const x = R[i] * (slope.get(s.cls) ?? defaultSlope) + s.launch * launch;
    predicted[s.net] += x;
    measured[s.net] += s.t;
    if (R[i] > 0) { layerLoss += (s.t - x) ** 2 / R[i]; layerNorm += s.t ** 2 / R[i]; }
  });
  let loss = 0;
  for (let n = 0; n < nets; n++) if (measured[n] > 0 && predicted[n] > 0) loss += Math.log(predicted[n] / measured[n]) ** 2;
  return { launch, slope, defaultSlope, loss, layerLoss: layerNorm > 0 ? layerLoss / layerNorm : 0, sums: cls };
}

const score = (f: Fit) => f.loss + 1e-6 * f.layerLoss;

/** Step 3: the ridge point with the best score, near the base's when the data cannot tell */
function searchRidge(ss: Sample[], nets: number, p: number, r0: number): number {
  const at = (logR: number) => score(fitAt(ss, nets, p, Math.exp(logR)));
  const step = Math.log(2) / 4;
  let best = Math.log(r0);
  let bestScore = at(best);
  // outward from the base's ridge, 2^-8 .. 2^8 times it: a strictly better point wins, so ties keep the nearer one
  for (let k = 1; k <= 32; k++) {
    for (const x of [Math.log(r0) - k * step, Math.log(r0) + k * step]) {
      const v = at(x);
      if (v < bestScore * (1 - 1e-9)) [best, bestScore] = [x, v];
    }
  }
  // golden-section refinement within one grid step either side
  let [a, b] = [best - step, best + step];
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = at(c);
  let fd = at(d);
  for (let i = 0; i < 60; i++) {
    if (fc < fd) { b = d; d = c; fd = fc; c = b - g * (b - a); fc = at(c); }
    else { a = c; c = d; fc = fd; d = a + g * (b - a); fd = at(d); }
  }
  const refined = (a + b) / 2;
  return Math.exp(at(refined) <= bestScore ? refined : best);
}

/** nearest-rank percentile of the values (sorted copy) */
function percentile(xs: number[], q: number): number {
  const v = [...xs].sort((x, y) => x - y);
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
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
 * per-op-class efficiency (with `default`); memory, channel multiple and shuffle from `base` (the
 * machine's `host-cpu`), whose ridge point starts the search. At least one measurement.
 */
export function fitTarget(ms: Measurement[], base: Target, opts: FitOptions = {}): Target {
  if (!ms.length) throw new Error('fitTarget: no measurements');
  const ss = samples(ms);
  const p0 = base.peak.fp32 ?? Math.max(...Object.values(base.peak).map(Number));
  const ridge = searchRidge(ss, ms.length, p0, p0 / base.bandwidth);
  const f = fitAt(ss, ms.length, p0, ridge);
  // step 4: the effective peak. The slopes are relative to p0: time = slope x max(F, bytes x r) / p0 =
  // max(F, bytes x r) / p / e, so e = p0 / (p x slope)
  const achieved = ss
    .filter((s) => s.flops >= s.bytes * ridge && s.t - s.launch * f.launch > s.launch * f.launch && s.flops > 0)
    .map((s) => s.flops / (s.t - s.launch * f.launch));
  const peak = sig4(achieved.length ? percentile(achieved, PEAK_PERCENTILE) : p0);
  const bandwidth = sig4(peak / ridge);
  const eff = (slope: number) => sig4(Math.min(MAX_EFFICIENCY, Math.max(MIN_EFFICIENCY, p0 / (peak * slope))));
  const efficiency: Record<string, number> = {};
  for (const k of [...f.slope.keys()].sort()) efficiency[k] = eff(f.slope.get(k)!);
  // a class of a family none of whose members the measurements had gets the pooled ratio of the members
  // they had (relu6 from relu: ONNX Runtime fuses every activation into the conv before it alike)
  for (const family of FAMILIES) {
    const seen = family.filter((c) => f.sums.has(c));
    const pooled = seen.reduce((a, c) => { const x = f.sums.get(c)!; return { T: a.T + x.T, N: a.N + x.N, R: a.R + x.R }; }, { T: 0, N: 0, R: 0 });
    if (!(pooled.R > 0)) continue;
    const e = eff(Math.max(1 / MAX_EFFICIENCY, (pooled.T - f.launch * pooled.N) / pooled.R));
    for (const c of family) if (!f.sums.has(c)) efficiency[c] = e;
  }
  efficiency.default = eff(f.defaultSlope);
  const m0 = ms[0];
  const calibration: Calibration = {
    date: opts.date ?? new Date().toISOString(),
    runtime: `${m0.runtime.name} ${m0.runtime.version} ${m0.runtime.executionProvider}`,
    threads: m0.runtime.threads,
    models: ms.map((m) => m.file),
    cpu: base.name,
  };
  const launchOverhead = sig4(f.launch);
  return {
    id: opts.id ?? 'local-cpu',
    name: opts.name ?? `${base.name}, calibrated`,
    kind: base.kind,
    peak: { fp32: peak },
    bandwidth, memory: base.memory, channelMultiple: base.channelMultiple, launchOverhead, shuffle: base.shuffle,
    efficiency, calibration,
    sources: [
      `netcost calibrate ${calibration.date}: ${ms.length} model${ms.length === 1 ? '' : 's'} (${ms.map((m) => m.file).join(', ')}) measured with ${calibration.runtime}, ${calibration.threads} thread${calibration.threads === 1 ? '' : 's'}`,
      `fp32 peak: the 90th percentile of the achieved FLOP/s of ${achieved.length} compute-bound layers; bandwidth: peak / the fitted ridge point (${sig4(ridge)} FLOP/byte); launch overhead and per-op-class efficiency: least squares over ${ss.length} layers (docs/measure.md)`,
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

function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const n = v.length;
  return n === 0 ? NaN : n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

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
