// Comparing two analyses of a network (issue 9 point 3): layers matched by name (`.net`: the stable path
// names, default ones included, `conv_3`, `layer1.0.conv_2`; ONNX: the node's own name) as added, removed,
// changed or unchanged, with the delta of each figure, and the totals' deltas. Pure: no IO.
import Table from 'cli-table3';
import type { Analysis, FlopsConvention, Layer } from '../analysis/analyze';
import { CONVENTION_NAME } from '../analysis/analyze';
import { displayShape, dtypeText, grouped, human, humanBytes } from '../ide/units';
import { TABLE_STYLE } from '../ide/table';

export type CompareStatus = 'added' | 'removed' | 'changed' | 'unchanged';

/** the figures compared, per layer and for the totals */
export interface CompareFigures { params: number; macs: number; flops: Record<FlopsConvention, number>; memoryBytes: number; weightBytes: number }

export interface LayerDiff {
  /** the matching key: the layer's name (ONNX: the node's name; a repeated key gets `#2`, `#3`) */
  name: string;
  status: CompareStatus;
  /** the new layer's op (a removed one: the old one's) */
  op: string;
  old: Layer | null;
  new: Layer | null;
  /** new - old (a missing side counts as zero) */
  delta: CompareFigures;
}

export interface Comparison {
  /** every layer of both sides: the new order, each removed layer after the old layer it followed */
  layers: LayerDiff[];
  counts: Record<CompareStatus, number>;
  totals: { old: CompareFigures; new: CompareFigures; delta: CompareFigures; percent: PercentFigures };
}

/** 100 * delta / old; null when old is 0 and the figure changed (0 when both are 0) */
export interface PercentFigures { params: number | null; macs: number | null; flops: Record<FlopsConvention, number | null>; memoryBytes: number | null; weightBytes: number | null }

const ZERO: CompareFigures = Object.freeze({ params: 0, macs: 0, flops: Object.freeze({ '2macs': 0, exact: 0, macs: 0 }), memoryBytes: 0, weightBytes: 0 }) as CompareFigures;

const figures = (f: CompareFigures | null): CompareFigures =>
  f ? { params: f.params, macs: f.macs, flops: { '2macs': f.flops['2macs'], exact: f.flops.exact, macs: f.flops.macs }, memoryBytes: f.memoryBytes, weightBytes: f.weightBytes } : ZERO;

function minus(n: CompareFigures, o: CompareFigures): CompareFigures {
  return {
    params: n.params - o.params, macs: n.macs - o.macs,
    flops: { '2macs': n.flops['2macs'] - o.flops['2macs'], exact: n.flops.exact - o.flops.exact, macs: n.flops.macs - o.flops.macs },
    memoryBytes: n.memoryBytes - o.memoryBytes, weightBytes: n.weightBytes - o.weightBytes,
  };
}

export const percent = (delta: number, old: number): number | null => (old !== 0 ? (100 * delta) / old : delta === 0 ? 0 : null);

const isZero = (d: CompareFigures) => !d.params && !d.macs && !d.flops['2macs'] && !d.flops.exact && !d.flops.macs && !d.memoryBytes && !d.weightBytes;
const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** A layer's matching key: its name, for an ONNX node the node's name (its listing name when it has none). */
function baseKey(l: Layer): string {
  const onnxName = (l as { onnxName?: string }).onnxName;
  return onnxName ? onnxName : l.name;
}

/** keys for the layers in order; a key met again gets `#2`, `#3` (so the n-th namesake matches the n-th) */
function keys(layers: Layer[]): string[] {
  const seen = new Map<string, number>();
  return layers.map((l) => {
    const k = baseKey(l);
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return n === 1 ? k : `${k}#${n}`;
  });
}

export function compareAnalyses(oldA: Analysis, newA: Analysis): Comparison {
  const oldKeys = keys(oldA.layers);
  const newKeys = keys(newA.layers);
  const oldBy = new Map(oldKeys.map((k, i) => [k, oldA.layers[i]]));
  const newSet = new Set(newKeys);
  const diff = (name: string, o: Layer | null, n: Layer | null): LayerDiff => {
    const delta = minus(figures(n), figures(o));
    const status: CompareStatus = !o ? 'added' : !n ? 'removed'
      : isZero(delta) && o.op === n.op && sameShape(o.outputShape, n.outputShape) ? 'unchanged' : 'changed';
    return { name, status, op: (n ?? o)!.op, old: o, new: n, delta };
  };
  // removed layers, grouped after the last old layer before them that the new side still has ('' = at the start)
  const removedAfter = new Map<string, LayerDiff[]>();
  let anchor = '';
  oldKeys.forEach((k, i) => {
    if (newSet.has(k)) { anchor = k; return; }
    const list = removedAfter.get(anchor) ?? [];
    list.push(diff(k, oldA.layers[i], null));
    removedAfter.set(anchor, list);
  });
  const layers: LayerDiff[] = [...(removedAfter.get('') ?? [])];
  newKeys.forEach((k, i) => {
    layers.push(diff(k, oldBy.get(k) ?? null, newA.layers[i]));
    if (oldBy.has(k)) layers.push(...(removedAfter.get(k) ?? []));
  });
  const counts: Record<CompareStatus, number> = { added: 0, removed: 0, changed: 0, unchanged: 0 };
  for (const l of layers) counts[l.status]++;
  const o = figures(oldA.totals);
  const n = figures(newA.totals);
  const delta = minus(n, o);
  return {
    layers, counts,
    totals: {
      old: o, new: n, delta,
      percent: {
        params: percent(delta.params, o.params), macs: percent(delta.macs, o.macs),
        flops: { '2macs': percent(delta.flops['2macs'], o.flops['2macs']), exact: percent(delta.flops.exact, o.flops.exact), macs: percent(delta.flops.macs, o.flops.macs) },
        memoryBytes: percent(delta.memoryBytes, o.memoryBytes), weightBytes: percent(delta.weightBytes, o.weightBytes),
      },
    },
  };
}

export const COMPARE_JSON_VERSION = 1;

export interface CompareSide { file: string; analysis: Analysis }

/** The `--json` report: exact integers; `flops` in the chosen convention. */
export function compareJson(c: Comparison, oldSide: CompareSide, newSide: CompareSide, flops: FlopsConvention) {
  const pick = (f: CompareFigures) => ({ params: f.params, macs: f.macs, flops: f.flops[flops], memoryBytes: f.memoryBytes });
  const side = (s: CompareSide, t: CompareFigures) => ({ file: s.file, totals: { ...pick(t), weightBytes: t.weightBytes } });
  const layer = (a: Analysis, l: Layer | null) =>
    l ? { ...pick(l), weightBytes: l.weightBytes, outputShape: a.onnx ? l.outputShape.map((d) => (d < 0 ? null : d)) : [a.settings.batch, ...l.outputShape] } : null;
  const p = c.totals.percent;
  return {
    version: COMPARE_JSON_VERSION,
    flopsConvention: flops,
    old: side(oldSide, c.totals.old),
    new: side(newSide, c.totals.new),
    counts: c.counts,
    layers: c.layers.filter((l) => l.status !== 'unchanged').map((l) => ({
      name: l.name, status: l.status, op: l.op,
      old: layer(oldSide.analysis, l.old), new: layer(newSide.analysis, l.new),
      delta: pick(l.delta),
    })),
    totals: {
      delta: pick(c.totals.delta),
      percent: { params: p.params, macs: p.macs, flops: p.flops[flops], memoryBytes: p.memoryBytes },
    },
  };
}


/** a signed figure: `+12.3M`, `-512`, `0` */
export const signed = (n: number, f: (n: number) => string = human): string => (n > 0 ? `+${f(n)}` : n < 0 ? `-${f(-n)}` : '0');
const signedPercent = (p: number | null) => (p === null ? 'new' : `${p > 0 ? '+' : ''}${p.toFixed(p !== 0 && Math.abs(p) < 0.1 ? 3 : 1)}%`);
const MARK: Record<CompareStatus, string> = { added: '+', removed: '-', changed: '~', unchanged: ' ' };

/** The human report: one row per added, removed or changed layer; unchanged layers counted; the totals old -> new. */
export function compareTable(c: Comparison, oldSide: CompareSide, newSide: CompareSide, flops: FlopsConvention): string {
  const a = newSide.analysis;
  const out: string[] = [`compare ${oldSide.file} -> ${newSide.file} (batch ${a.settings.batch}, ${dtypeText(a)}, FLOPs ${CONVENTION_NAME[flops]})`, ''];
  const listed = c.layers.filter((l) => l.status !== 'unchanged');
  if (listed.length) {
    const t = new Table({ head: ['', 'layer', 'op', 'old MACs', 'new MACs', 'ΔMACs', 'Δparams', 'Δmemory', 'output'],
      colAligns: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'], ...TABLE_STYLE });
    for (const l of listed) {
      const shapeChange = l.old && l.new && !sameShape(l.old.outputShape, l.new.outputShape)
        ? `${displayShape(oldSide.analysis, l.old.outputShape)} -> ${displayShape(a, l.new.outputShape)}`
        : l.old && l.new && l.old.op !== l.new.op ? `op ${l.old.op} -> ${l.new.op}` : '';
      t.push([MARK[l.status], l.name, l.op, l.old ? human(l.old.macs) : '-', l.new ? human(l.new.macs) : '-',
        signed(l.delta.macs), signed(l.delta.params), signed(l.delta.memoryBytes, humanBytes), shapeChange]);
    }
    out.push(t.toString().split('\n').map((s) => s.trimEnd()).join('\n'), '');
  } else out.push('no layer differs', '');
  const { counts } = c;
  out.push(`layers      ${counts.changed} changed, ${counts.added} added, ${counts.removed} removed, ${counts.unchanged} unchanged (not listed)`);
  const o = c.totals.old;
  const n = c.totals.new;
  const d = c.totals.delta;
  const p = c.totals.percent;
  const row = (label: string, ov: number, nv: number, dv: number, pv: number | null, unit = '') =>
    `${label.padEnd(12)}${grouped(ov)}${unit} -> ${grouped(nv)}${unit}  ${dv > 0 ? '+' : dv < 0 ? '-' : ''}${grouped(Math.abs(dv))}${unit} (${signedPercent(pv)})`;
  out.push(
    row('params', o.params, n.params, d.params, p.params),
    row('MACs', o.macs, n.macs, d.macs, p.macs),
    row('FLOPs', o.flops[flops], n.flops[flops], d.flops[flops], p.flops[flops]),
    row('memory', o.memoryBytes, n.memoryBytes, d.memoryBytes, p.memoryBytes, ' B'),
    row('weights', o.weightBytes, n.weightBytes, d.weightBytes, p.weightBytes, ' B'),
  );
  return out.join('\n') + '\n';
}

/** Each changed or added layer of the new analysis with its diff (for the editor's inlay hints). */
export function layerDeltas(c: Comparison): Map<Layer, LayerDiff> {
  const m = new Map<Layer, LayerDiff>();
  for (const l of c.layers) if (l.new && (l.status === 'changed' || l.status === 'added')) m.set(l.new, l);
  return m;
}
