// The CLI's two outputs: the stable JSON report (documented in README.md, "JSON report") and the
// human table. Both are plain functions of an Analysis; they do no IO.
import Table from 'cli-table3';
import { TABLE_STYLE } from '../ide/table';
import type { Analysis, Figures, FlopsConvention } from '../analysis/analyze';
import { displayShape, dtypeText, grouped, human, humanBytes, percentOf as pct } from '../ide/units';
import type { OnnxLayer } from '../onnx/analyze';
import { formatSeconds, launches, layerDtype, type LayerTime, type NetworkEstimate } from '../hardware/roofline';
import type { PeakMemory } from '../hardware/memory';
import { peakFor, type Target } from '../hardware/targets';
import { budgetJson, type BudgetResult } from '../budget/budgets';

export const JSON_VERSION = 1;

export const CONVENTION_LABEL: Record<FlopsConvention, string> = {
  '2macs': '2*MACs (2 per multiply-accumulate, plus bias adds and element-wise ops)',
  exact: 'exact (n multiplies and n-1 adds per dot product, plus bias adds and element-wise ops)',
  macs: 'MACs (FLOPs reported equal to MACs, paper style)',
};

/** `--target`: the roofline estimate and the peak memory on a hardware target */
export interface HardwareReport { estimate: NetworkEstimate; memory: PeakMemory }
export interface ReportOptions { file: string; flops: FlopsConvention; hardware?: HardwareReport; budgets?: BudgetResult[] }

/** The JSON `target` object (only with `--target`). */
export function targetJson(a: Analysis, h: HardwareReport) {
  const { estimate: e, memory: m } = h;
  return {
    id: e.target.id, name: e.target.name, kind: e.target.kind,
    /** the dtype whose peak applies (ONNX at each tensor's own dtype: the first layer's) */
    peakFlops: peakFor(e.target, a.layers.length ? layerDtype(a, 0) : a.settings.dtype),
    bandwidth: e.target.bandwidth, deviceMemory: e.target.memory, launchOverhead: e.target.launchOverhead,
    seconds: e.seconds, qps: e.qps, launches: e.launches, launchSeconds: e.launchSeconds, memoryBoundShare: e.memoryBoundShare,
    peakActivationBytes: m.peakBytes, peakAt: m.atLayer, peakLive: m.live, weightBytes: m.weightBytes, totalBytes: m.totalBytes,
  };
}

/** A layer's JSON `latency` object (only with `--target`); intensity null when the layer moves nothing. */
const latencyJson = (h: HardwareReport, i: number) => {
  const x = h.estimate.layers[i];
  return { seconds: x.seconds, bound: x.bound, intensity: Number.isFinite(x.intensity) ? x.intensity : null };
};


/** The fields an ONNX layer adds to its JSON row: `line` is the node's index in its graph. */
function onnxFields(l: OnnxLayer) {
  return { line: l.nodeIndex, onnxName: l.onnxName, opType: l.opType, graph: l.graphPath, perIteration: l.perIteration, counted: l.counted, outputDtypes: l.outputDtypes };
}

/** Totals per op (the ONNX op type, or the `.net` kind), costliest first: `--by-op`. */
export function totalsByOp(a: Analysis): { op: string; count: number; params: number; macs: number; flops: Figures['flops']; memoryBytes: number }[] {
  const by = new Map<string, { op: string; count: number; params: number; macs: number; flops: Figures['flops']; memoryBytes: number }>();
  for (const l of a.layers) {
    let t = by.get(l.op);
    if (!t) by.set(l.op, (t = { op: l.op, count: 0, params: 0, macs: 0, flops: { '2macs': 0, exact: 0, macs: 0 }, memoryBytes: 0 }));
    t.count++; t.params += l.params; t.macs += l.macs; t.memoryBytes += l.memoryBytes;
    t.flops['2macs'] += l.flops['2macs']; t.flops.exact += l.flops.exact; t.flops.macs += l.flops.macs;
  }
  return [...by.values()].sort((x, y) => y.macs - x.macs || y.memoryBytes - x.memoryBytes || (x.op < y.op ? -1 : 1));
}

/** The `n` costliest layers, by MACs then memory access: `--top N`. */
export const topLayers = (a: Analysis, n: number) =>
  [...a.layers].sort((x, y) => y.macs - x.macs || y.memoryBytes - x.memoryBytes).slice(0, n);

export function jsonReport(a: Analysis, o: ReportOptions) {
  const { batch, dtype } = a.settings;
  const shape = (s: number[]) => (a.onnx ? s.map((d) => (d < 0 ? null : d)) : [batch, ...s]);
  const pos = (r: { start: { line: number; character: number }; end: { line: number; character: number } }) => ({
    line: r.start.line + 1, column: r.start.character + 1, endLine: r.end.line + 1, endColumn: r.end.character + 1,
  });
  return {
    version: JSON_VERSION,
    file: o.file,
    batch,
    dtype,
    flopsConvention: o.flops,
    variables: Object.fromEntries(a.variables.map((v) => [v.name, v.value])),
    ...(a.onnx ? { dtype: a.onnx.dtypeOverride ?? 'own', unboundDims: a.onnx.unbound } : {}),
    inputs: a.inputs.map((i) => ({ name: i.name, shape: shape(i.shape) })),
    totals: {
      params: a.totals.params,
      trainingParams: a.totals.trainingParams,
      macs: a.totals.macs,
      flops: a.totals.flops[o.flops],
      memoryBytes: a.totals.memoryBytes,
      weightBytes: a.totals.weightBytes,
      activations: a.totals.activations,
    },
    layers: a.layers.map((l, i) => ({
      name: l.name,
      op: l.op,
      line: l.useRange.start.line + 1,
      sourceLine: l.range.start.line + 1,
      inputs: l.inputs,
      outputShape: shape(l.outputShape),
      params: l.params,
      macs: l.macs,
      flops: l.flops[o.flops],
      memoryBytes: l.memoryBytes,
      weightBytes: l.weightBytes,
      activations: l.activations,
      foldedInto: l.foldedInto,
      ...(a.onnx ? onnxFields(l as OnnxLayer) : {}),
      ...(o.hardware ? { latency: latencyJson(o.hardware, i) } : {}),
    })),
    byOp: totalsByOp(a).map((t) => ({ op: t.op, count: t.count, params: t.params, macs: t.macs, flops: t.flops[o.flops], memoryBytes: t.memoryBytes })),
    blocks: a.groups.map((g) => ({
      name: g.name,
      kind: g.kind,
      line: g.range.start.line + 1,
      outputShape: g.outputShape.length ? [batch, ...g.outputShape] : null,
      layers: g.layerCount,
      params: g.params,
      macs: g.macs,
      flops: g.flops[o.flops],
      memoryBytes: g.memoryBytes,
    })),
    diagnostics: a.diagnostics.map((d) => ({ ...pos(d.range), severity: d.severity, code: d.code, message: d.message })),
    ...(o.hardware ? { target: targetJson(a, o.hardware) } : {}),
    ...(o.budgets?.length ? { budgets: o.budgets.map(budgetJson) } : {}),
  };
}



/** The per-layer table (or, with `blocks`, one row per top-level layer, block use or repeat) with totals and a footer naming the conventions. */
export function tableReport(a: Analysis, o: ReportOptions & { blocks?: boolean; byOp?: boolean; top?: number }): string {
  const { batch } = a.settings;
  const dtype = dtypeText(a);
  const total = a.totals.flops[o.flops];
  const hw = o.hardware;
  const head = o.byOp ? ['op', 'count', '', 'params', 'MACs', 'FLOPs', 'memory', 'share'] : o.blocks ? ['layer or block', 'kind', 'output', 'params', 'MACs', 'FLOPs', 'memory', 'share'] : ['layer', 'op', 'output', 'params', 'MACs', 'FLOPs', 'memory', 'share'];
  if (hw) head.push('latency', 'bound');
  const t = new Table({ head, colAligns: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'], ...TABLE_STYLE });
  // --target: each layer's roofline time (a row of several layers: their sum, without launch overheads)
  const timeOf = new Map<Analysis['layers'][number], LayerTime>();
  if (hw) a.layers.forEach((l, i) => timeOf.set(l, hw.estimate.layers[i]));
  const timeCells = (ls: Analysis['layers'], one = false): string[] => {
    if (!hw) return [];
    let sec = 0;
    let work = 0;
    let memory = 0;
    for (const l of ls) { const x = timeOf.get(l)!; sec += x.seconds; if (launches(l)) { work++; if (x.bound === 'memory') memory++; } }
    const bound = !work ? '-' : one ? timeOf.get(ls[0])!.bound : `${memory}/${work} memory`;
    return [work ? formatSeconds(sec) : '-', bound];
  };
  /** a row of figures; `ls` the layers it sums (one layer: its own bound, several: how many are memory-bound) */
  const row = (name: string, kind: string, shape: number[], f: Figures, ls: Analysis['layers'] = [], one = true) =>
    t.push([name, kind, shape.length ? displayShape(a, shape) : '-', human(f.params), human(f.macs), human(f.flops[o.flops]), humanBytes(f.memoryBytes), pct(f.flops[o.flops], total), ...timeCells(ls, one)]);
  /** a model's node goes by its ONNX name (the listing's identifier when it has none) */
  const label = (l: Analysis['layers'][number]) => (l as Partial<OnnxLayer>).onnxName || l.name;
  const kind = (l: Analysis['layers'][number]) => (l.foldedInto ? `${l.op} (folded)` : l.op) + ((l as Partial<OnnxLayer>).perIteration ? ' (per iteration)' : '');
  if (o.byOp) {
    for (const x of totalsByOp(a)) t.push([x.op, String(x.count), '', human(x.params), human(x.macs), human(x.flops[o.flops]), humanBytes(x.memoryBytes), pct(x.flops[o.flops], total), ...timeCells(a.layers.filter((l) => l.op === x.op))]);
  } else if (o.top !== undefined) {
    for (const l of topLayers(a, o.top)) row(label(l), kind(l), l.outputShape, l, [l]);
  } else if (o.blocks) {
    // top-level layers and the outermost block uses and repeats, in file order
    const printed = new Set<string>();
    for (const l of a.layers) {
      const outer = l.groups[l.groups.length - 1];
      if (!outer) row(l.name, kind(l), l.outputShape, l, [l]);
      else if (!printed.has(outer)) {
        printed.add(outer);
        const g = a.groups.find((x) => x.name === outer)!;
        row(g.name, g.kind, g.outputShape, g, hw ? a.layers.filter((x) => x.groups[x.groups.length - 1] === outer) : [], false);
      }
    }
  } else {
    for (const l of a.layers) row(label(l), kind(l), l.outputShape, l, [l]);
  }
  const tt = a.totals;
  t.push(['total', `${a.layers.length} layers`, '', human(tt.params), human(tt.macs), human(total), humanBytes(tt.memoryBytes), '', ...(hw ? [formatSeconds(hw.estimate.seconds), ''] : [])]);
  const folded = a.layers.filter((l) => l.foldedInto).length;
  const lines = [
    `${o.file}: batch ${batch}, ${dtype}${o.top !== undefined ? `, the ${Math.min(o.top, a.layers.length)} costliest of ${a.layers.length} layers` : ''}`,
    '',
    t.toString(),
    '',
    `params      ${grouped(tt.params)} (inference, BN folded); ${grouped(tt.trainingParams)} as training counts them (BN gamma and beta)`,
    `MACs        ${grouped(tt.macs)} multiply-accumulates`,
    `FLOPs       ${grouped(total)} in the ${CONVENTION_LABEL[o.flops]} convention`,
    `memory      ${grouped(tt.memoryBytes)} bytes moved (inputs + outputs + weights per layer, ${dtype}); weights ${grouped(tt.weightBytes)} bytes`,
  ];
  if (a.onnx) {
    const uncounted = (a.layers as OnnxLayer[]).filter((l) => !l.counted);
    if (uncounted.length) lines.push(`not counted ${uncounted.length} node(s) with zero cost: ${[...new Set(uncounted.map((l) => l.op))].join(', ')} (see the diagnostics)`);
    if (a.onnx.unbound.length) lines.push(`unbound     symbolic dims taken as 1: ${a.onnx.unbound.join(', ')} (bind them with --dim NAME=N)`);
  }
  if (folded) lines.push(`folded      ${folded} batch norm(s) fold into their neighbouring conv or linear layer: zero inference cost`);
  if (hw) lines.push(...targetFooter(a, hw));
  return lines.join('\n') + '\n';
}

/** A peak throughput for display: `8.1 TFLOP/s` (`TOP/s` for int8). */
export const humanRate = (ops: number, dtype: string) => `${human(ops)}${dtype === 'int8' ? 'OP/s' : 'FLOP/s'}`.replace(/(\d)([KMGTPE]?)(F?LOP|OP)/, '$1 $2$3');

/** The footer lines of `--target`: latency, launches, QPS, memory-bound share, peak memory against the device's. */
export function targetFooter(a: Analysis, h: HardwareReport): string[] {
  const { estimate: e, memory: m } = h;
  const t = e.target;
  const dtype = a.layers.length ? layerDtype(a, 0) : a.settings.dtype;
  const peak = peakFor(t, dtype);
  const work = e.layers.filter((_, i) => launches(a.layers[i])).length;
  const fits = m.totalBytes <= t.memory;
  return [
    `target      ${t.name} (${t.id}${t.user ? ', user-defined' : ''}): ${humanRate(peak, dtype)} at ${dtype}, ${humanBytes(t.bandwidth)}/s, ${humanBytes(t.memory)}; ridge point ${(peak / t.bandwidth).toFixed(1)} FLOP/byte`,
    `latency     ${formatSeconds(e.seconds)} per batch of ${a.settings.batch} (roofline ${formatSeconds(e.seconds - e.launchSeconds)} + ${e.launches} launches x ${formatSeconds(t.launchOverhead)} = ${formatSeconds(e.launchSeconds)}); ${e.qps >= 100 ? grouped(Math.round(e.qps)) : e.qps.toPrecision(3)} QPS`,
    `bound       ${pct(e.memoryBoundShare, 1)} of the ${work} layers with work are memory-bound`,
    `peak memory ${humanBytes(m.peakBytes)} of activations (at ${m.atLayer || '-'}) + ${humanBytes(m.weightBytes)} of weights = ${humanBytes(m.totalBytes)}: ${pct(m.totalBytes, t.memory)} of the target's ${humanBytes(t.memory)}${fits ? '' : ' (does not fit)'}`,
    'estimates: roofline time per layer plus a launch overhead per kernel (docs/hardware.md); measure before you trust them',
  ];
}

/** `file:line:col: severity [code] message`, the format editors and CI logs link. */
export function diagnosticLines(a: Analysis, file: string): string[] {
  return a.diagnostics.map((d) => `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} [${d.code}] ${d.message}`);
}

/** `--targets`: the built-in and project targets, one row each. */
export function targetsTable(builtIn: Target[], user: Target[]): string {
  const t = new Table({ head: ['id', 'name', 'kind', 'fp32', 'fp16', 'int8', 'bandwidth', 'memory', 'launch'], colAligns: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'], ...TABLE_STYLE });
  const rate = (v: number | undefined, d: string) => (v === undefined ? '-' : humanRate(v, d));
  const replaced = new Set(user.map((u) => u.id));
  for (const x of [...user, ...builtIn.filter((b) => !replaced.has(b.id))])
    t.push([x.id + (x.user ? ' *' : ''), x.name, x.kind, rate(x.peak.fp32, 'fp32'), rate(x.peak.fp16 ?? x.peak.bf16, 'fp16'), rate(x.peak.int8, 'int8'), `${humanBytes(x.bandwidth)}/s`, humanBytes(x.memory), formatSeconds(x.launchOverhead)]);
  return [t.toString(), '', `dense peaks (no sparsity); * a project target (netcost.json). Sources: docs/hardware.md`].join('\n') + '\n';
}
