// The CLI's two outputs: the stable JSON report (documented in README.md, "JSON report") and the
// human table. Both are plain functions of an Analysis; they do no IO.
import Table from 'cli-table3';
import type { Analysis, Figures, FlopsConvention } from '../analysis/analyze';
import { grouped, human, humanBytes, percentOf as pct, shapeWithBatch } from '../ide/units';

export const JSON_VERSION = 1;

export const CONVENTION_LABEL: Record<FlopsConvention, string> = {
  '2macs': '2*MACs (2 per multiply-accumulate, plus bias adds and element-wise ops)',
  exact: 'exact (n multiplies and n-1 adds per dot product, plus bias adds and element-wise ops)',
  macs: 'MACs (FLOPs reported equal to MACs, paper style)',
};

export interface ReportOptions { file: string; flops: FlopsConvention }

export function jsonReport(a: Analysis, o: ReportOptions) {
  const { batch, dtype } = a.settings;
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
    inputs: a.inputs.map((i) => ({ name: i.name, shape: [batch, ...i.shape] })),
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
      outputShape: [batch, ...l.outputShape],
      params: l.params,
      macs: l.macs,
      flops: l.flops[o.flops],
      memoryBytes: l.memoryBytes,
      weightBytes: l.weightBytes,
      activations: l.activations,
      foldedInto: l.foldedInto,
    })),
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
export function tableReport(a: Analysis, o: ReportOptions & { blocks?: boolean }): string {
  const { batch, dtype } = a.settings;
  const total = a.totals.flops[o.flops];
  const head = o.blocks ? ['layer or block', 'kind', 'output', 'params', 'MACs', 'FLOPs', 'memory', 'share'] : ['layer', 'op', 'output', 'params', 'MACs', 'FLOPs', 'memory', 'share'];
  const t = new Table({ head, colAligns: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right'], ...TABLE_STYLE });
  const row = (name: string, kind: string, shape: number[], f: Figures) =>
    t.push([name, kind, shape.length ? shapeWithBatch(shape, batch) : '-', human(f.params), human(f.macs), human(f.flops[o.flops]), humanBytes(f.memoryBytes), pct(f.flops[o.flops], total)]);
  if (o.blocks) {
    // top-level layers and the outermost block uses and repeats, in file order
    const printed = new Set<string>();
    for (const l of a.layers) {
      const outer = l.groups[l.groups.length - 1];
      if (!outer) row(l.name, l.foldedInto ? `${l.op} (folded)` : l.op, l.outputShape, l);
      else if (!printed.has(outer)) {
        printed.add(outer);
        const g = a.groups.find((x) => x.name === outer)!;
        row(g.name, g.kind, g.outputShape, g);
      }
    }
  } else {
    for (const l of a.layers) row(l.name, l.foldedInto ? `${l.op} (folded)` : l.op, l.outputShape, l);
  }
  const tt = a.totals;
  t.push(['total', `${a.layers.length} layers`, '', human(tt.params), human(tt.macs), human(total), humanBytes(tt.memoryBytes), '']);
  const folded = a.layers.filter((l) => l.foldedInto).length;
  const lines = [
    `${o.file}: batch ${batch}, ${dtype}`,
    '',
    t.toString(),
    '',
    `params      ${grouped(tt.params)} (inference, BN folded); ${grouped(tt.trainingParams)} as training counts them (BN gamma and beta)`,
    `MACs        ${grouped(tt.macs)} multiply-accumulates`,
    `FLOPs       ${grouped(total)} in the ${CONVENTION_LABEL[o.flops]} convention`,
    `memory      ${grouped(tt.memoryBytes)} bytes moved (inputs + outputs + weights per layer, ${dtype}); weights ${grouped(tt.weightBytes)} bytes`,
  ];
  if (folded) lines.push(`folded      ${folded} batch norm(s) fold into their neighbouring conv or linear layer: zero inference cost`);
  return lines.join('\n') + '\n';
}

/** `file:line:col: severity [code] message`, the format editors and CI logs link. */
export function diagnosticLines(a: Analysis, file: string): string[] {
  return a.diagnostics.map((d) => `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} [${d.code}] ${d.message}`);
}
