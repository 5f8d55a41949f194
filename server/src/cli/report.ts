// The CLI's two outputs: the stable JSON report (documented in README.md, "JSON report") and the
// human table. Both are plain functions of an Analysis; they do no IO.
import Table from 'cli-table3';
import type { Analysis, Figures, FlopsConvention } from '../analysis/analyze';
import { displayShape, dtypeText, grouped, human, humanBytes, percentOf as pct } from '../ide/units';
import type { OnnxLayer } from '../onnx/analyze';

export const JSON_VERSION = 1;

export const CONVENTION_LABEL: Record<FlopsConvention, string> = {
  '2macs': '2*MACs (2 per multiply-accumulate, plus bias adds and element-wise ops)',
  exact: 'exact (n multiplies and n-1 adds per dot product, plus bias adds and element-wise ops)',
  macs: 'MACs (FLOPs reported equal to MACs, paper style)',
};

export interface ReportOptions { file: string; flops: FlopsConvention }

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
    layers: a.layers.map((l) => ({
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
  };
}


const TABLE_STYLE = {
  chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
    left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
  style: { head: [] as string[], border: [] as string[], 'padding-left': 0, 'padding-right': 0 },
};

/** The per-layer table (or, with `blocks`, one row per top-level layer, block use or repeat) with totals and a footer naming the conventions. */
export function tableReport(a: Analysis, o: ReportOptions & { blocks?: boolean; byOp?: boolean; top?: number }): string {
  const { batch } = a.settings;
  const dtype = dtypeText(a);
  const total = a.totals.flops[o.flops];
  const head = o.byOp ? ['op', 'count', '', 'params', 'MACs', 'FLOPs', 'memory', 'share'] : o.blocks ? ['layer or block', 'kind', 'output', 'params', 'MACs', 'FLOPs', 'memory', 'share'] : ['layer', 'op', 'output', 'params', 'MACs', 'FLOPs', 'memory', 'share'];
  const t = new Table({ head, colAligns: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right'], ...TABLE_STYLE });
  const row = (name: string, kind: string, shape: number[], f: Figures) =>
    t.push([name, kind, shape.length ? displayShape(a, shape) : '-', human(f.params), human(f.macs), human(f.flops[o.flops]), humanBytes(f.memoryBytes), pct(f.flops[o.flops], total)]);
  /** a model's node goes by its ONNX name (the listing's identifier when it has none) */
  const label = (l: Analysis['layers'][number]) => (l as Partial<OnnxLayer>).onnxName || l.name;
  const kind = (l: Analysis['layers'][number]) => (l.foldedInto ? `${l.op} (folded)` : l.op) + ((l as Partial<OnnxLayer>).perIteration ? ' (per iteration)' : '');
  if (o.byOp) {
    for (const x of totalsByOp(a)) t.push([x.op, String(x.count), '', human(x.params), human(x.macs), human(x.flops[o.flops]), humanBytes(x.memoryBytes), pct(x.flops[o.flops], total)]);
  } else if (o.top !== undefined) {
    for (const l of topLayers(a, o.top)) row(label(l), kind(l), l.outputShape, l);
  } else if (o.blocks) {
    // top-level layers and the outermost block uses and repeats, in file order
    const printed = new Set<string>();
    for (const l of a.layers) {
      const outer = l.groups[l.groups.length - 1];
      if (!outer) row(l.name, kind(l), l.outputShape, l);
      else if (!printed.has(outer)) {
        printed.add(outer);
        const g = a.groups.find((x) => x.name === outer)!;
        row(g.name, g.kind, g.outputShape, g);
      }
    }
  } else {
    for (const l of a.layers) row(label(l), kind(l), l.outputShape, l);
  }
  const tt = a.totals;
  t.push(['total', `${a.layers.length} layers`, '', human(tt.params), human(tt.macs), human(total), humanBytes(tt.memoryBytes), '']);
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
  return lines.join('\n') + '\n';
}

/** `file:line:col: severity [code] message`, the format editors and CI logs link. */
export function diagnosticLines(a: Analysis, file: string): string[] {
  return a.diagnostics.map((d) => `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} [${d.code}] ${d.message}`);
}
