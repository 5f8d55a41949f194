// Inlay hints as plain data: one per top-level statement that builds layers (a layer line, a block
// use, a repeat), placed at the end of its first line, and a network total on the first input line.
// The `latency` field is the roofline estimate on the active target (ide/hardware.ts).
import { CONVENTION_NAME, type Analysis, type Figures, type FlopsConvention } from '../analysis/analyze';
import type { Target } from '../hardware/targets';
import { hardwareView, qpsText, secondsOf, timeText, type HardwareView } from './hardware';
import { deltaLabel } from './delta';
import { dtypeText, grouped, human, humanBytes, onnxShape } from './units';

export type HintField = 'shape' | 'macs' | 'flops' | 'params' | 'memory' | 'latency';
export const HINT_FIELDS: HintField[] = ['shape', 'macs', 'flops', 'params', 'memory', 'latency'];

/** `target`: the active hardware target, for the `latency` field (without one the field is left out). */
export interface HintOptions {
  content: HintField[];
  flops: FlopsConvention;
  target?: Target;
  /** MACs change per line against a git revision (`netcost.inlayHints.showDelta`): appended to the line's hint */
  deltas?: Map<number, number>;
}
export const DEFAULT_HINTS: HintOptions = { content: ['shape', 'macs', 'params'], flops: '2macs' };

/** `character`: where on the line the hint goes; absent: at the end of the line. */
export interface Hint { line: number; label: string; tooltip: string; character?: number }

/** What one top-level statement built: its line, its output shape and its summed figures. */
export interface StatementCost extends Figures { line: number; outputShape: number[]; layerCount: number; name: string; firstLayer: number }

/**
 * The layers of the top-level statements whose first line is in [startLine, endLine], summed per
 * statement. Layers come in statement order, so a binary search finds the first: a request for 100
 * visible lines costs those lines, not the whole file.
 */
export function statementCosts(a: Analysis, startLine = 0, endLine = Infinity): StatementCost[] {
  const layers = a.layers;
  let lo = 0;
  let hi = layers.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (layers[mid].useRange.start.line < startLine) lo = mid + 1; else hi = mid; }
  const out: StatementCost[] = [];
  for (let i = lo; i < layers.length && layers[i].useRange.start.line <= endLine; i++) {
    const l = layers[i];
    const line = l.useRange.start.line;
    let s = out[out.length - 1];
    if (!s || s.line !== line) {
      s = { line, firstLayer: i, outputShape: l.outputShape, layerCount: 0, name: l.groups[l.groups.length - 1] ?? l.name, params: 0, macs: 0, flops: { '2macs': 0, exact: 0, macs: 0 }, memoryBytes: 0, weightBytes: 0 };
      out.push(s);
    }
    s.outputShape = l.outputShape;
    s.name = l.groups[l.groups.length - 1] ?? l.name; // the statement's output names it: `stem`, not `stem.conv`
    s.layerCount++;
    s.params += l.params; s.macs += l.macs; s.memoryBytes += l.memoryBytes; s.weightBytes += l.weightBytes;
    s.flops['2macs'] += l.flops['2macs']; s.flops.exact += l.flops.exact; s.flops.macs += l.flops.macs;
  }
  return out;
}

const FLOPS_NAME: Record<FlopsConvention, string> = { '2macs': 'FLOPs', exact: 'FLOPs (exact)', macs: 'FLOPs (=MACs)' };

/** `128x112x112 · 925M MACs · 73.7K params · 12.3 us` in the order of `content`; `seconds`: the estimated time, when there is a target. */
export function hintLabel(f: Figures, shape: number[] | null, batch: number, o: HintOptions, onnx = false, seconds?: number): string {
  const parts: string[] = [];
  for (const field of o.content) {
    if (field === 'shape' && shape) parts.push(onnx ? onnxShape(shape) : (batch > 1 ? [batch, ...shape] : shape).join('x'));
    if (field === 'macs') parts.push(`${human(f.macs)} MACs`);
    if (field === 'flops') parts.push(`${human(f.flops[o.flops])} ${FLOPS_NAME[o.flops]}`);
    if (field === 'params') parts.push(`${human(f.params)} params`);
    if (field === 'memory') parts.push(`${humanBytes(f.memoryBytes)} moved`);
    if (field === 'latency' && seconds !== undefined) parts.push(timeText(seconds));
  }
  return parts.join(' · ');
}

function tooltip(f: Figures, a: Analysis, o: HintOptions, what: string): string {
  const dtype = dtypeText(a);
  return `${what}: ${grouped(f.macs)} MACs, ${grouped(f.flops[o.flops])} FLOPs (${CONVENTION_NAME[o.flops]} convention), ` +
    `${grouped(f.params)} params, ${grouped(f.memoryBytes)} bytes of memory access (${dtype}, batch ${a.settings.batch})`;
}

/** Hints for the statements whose first line is in [startLine, endLine]; only those are formatted. */
export function inlayHints(a: Analysis, startLine: number, endLine: number, o: HintOptions = DEFAULT_HINTS): Hint[] {
  if (o.content.length === 0) return [];
  const hints: Hint[] = [];
  const first = a.inputs[0];
  // the roofline estimate only when the latency is shown: the other fields need no target
  const hw: HardwareView | undefined = o.target && o.content.includes('latency') ? hardwareView(a, o.target) : undefined;
  if (first && first.range.start.line >= startLine && first.range.start.line <= endLine && a.layers.length) {
    const seconds = hw?.estimate.seconds;
    const label = hintLabel(a.totals, null, a.settings.batch, o, false, seconds);
    const latency = hw ? `; estimated latency ${timeText(hw.estimate.seconds)} on ${hw.target.name}, ${qpsText(hw.estimate.qps)} samples/s at batch ${a.settings.batch}` : '';
    if (label) hints.push({ line: first.range.start.line, label: `total: ${label}`, tooltip: tooltip(a.totals, a, o, `network total, ${a.layers.length} layers`) + latency, character: a.onnx?.codeEnds[first.range.start.line] });
  }
  for (const s of statementCosts(a, startLine, endLine)) {
    const seconds = hw && secondsOf(hw, s.firstLayer, s.firstLayer + s.layerCount);
    const delta = o.deltas?.get(s.line);
    const label = hintLabel(s, s.outputShape, a.settings.batch, o, a.onnx !== undefined, seconds) + (delta ? ` · ${deltaLabel(delta)}` : '');
    const latency = hw ? `; estimated ${timeText(seconds!)} on ${hw.target.name}` : '';
    if (label) hints.push({ line: s.line, label, tooltip: tooltip(s, a, o, s.layerCount > 1 ? `${s.name}, ${s.layerCount} layers` : s.name) + latency, character: a.onnx?.codeEnds[s.line] });
  }
  return hints;
}
