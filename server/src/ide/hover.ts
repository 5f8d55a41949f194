// Hover text as plain markdown: a layer's breakdown (formula with the numbers substituted, params
// with and without bias, FLOPs in the chosen convention, memory split, arithmetic intensity, share),
// a block use's or repeat's totals and costliest layers, or where a referenced name is defined. With a
// hardware target: the roofline on it per layer, a block's estimated time, and on an input line the
// network's estimated latency, throughput and peak memory against the device's.
import { CONVENTION_NAME, DTYPE_BYTES, type Analysis, type FlopsConvention, type Group, type Layer } from '../analysis/analyze';
import type { Pos, Range } from '../syntax/lexer';
import { peakFor, type Target } from '../hardware/targets';
import { layerDtype } from '../hardware/roofline';
import { hardwareView, intensityText, qpsText, rateText, timeText, type HardwareView } from './hardware';
import { contains, nameAt, nameIndex } from './navigate';
import { dtypeText, grouped, human, humanBytes, onnxShape, percentOf as pct } from './units';
import type { OnnxLayer } from '../onnx/analyze';
import { hoverFormula } from '../formula/formula';
import { measuredLayerMarkdown, measuredNetworkMarkdown, type MeasuredView } from './measured';

export interface Hover { markdown: string; range: Range }


const shapeText = (shape: number[], batch: number) => [batch, ...shape].join(' x ');

export function layerMarkdown(a: Analysis, l: Layer, flops: FlopsConvention, target?: Target): string {
  const { batch, dtype } = a.settings;
  const bytes = DTYPE_BYTES[dtype];
  const c = l.cost;
  const lines: string[] = [];
  lines.push(`**${l.name}** · \`${l.op}\`${l.foldedInto ? ` · folded into \`${l.foldedInto}\`` : ''}`);
  lines.push('');
  const ins = l.inputShapes.map((s, i) => `\`${l.inputs[i]}\` ${shapeText(s, batch)}`).join(', ');
  lines.push(`output ${shapeText(l.outputShape, batch)}${ins ? ` from ${ins}` : ''}`);
  lines.push('');
  lines.push('```');
  lines.push(c.formula() + (batch > 1 && l.macs ? ` per sample; x ${batch} = ${grouped(l.macs)} MACs` : ''));
  lines.push('```');
  const bias = l.biasParams;
  lines.push(`- **params** ${grouped(l.params)}${bias ? ` (${grouped(l.params - bias)} without the bias of ${grouped(bias)}${l.biasFromBn ? ', gained from the folded batch norm' : ''})` : ''}` +
    (l.trainingParams !== l.params ? `; ${grouped(l.trainingParams)} as training counts them` : ''));
  lines.push(`- **MACs** ${grouped(l.macs)}`);
  lines.push(`- **FLOPs** ${grouped(l.flops[flops])} (${CONVENTION_NAME[flops]} convention)`);
  const inB = batch * c.read * bytes;
  const outB = batch * c.written * bytes;
  lines.push(`- **memory access** ${grouped(l.memoryBytes)} bytes (${dtype}, batch ${batch}) = input ${grouped(inB)} + output ${grouped(outB)} + weights ${grouped(l.weightBytes)}`);
  const intensity = l.memoryBytes > 0 ? (l.flops['2macs'] / l.memoryBytes).toFixed(2) : '-';
  lines.push(`- **arithmetic intensity** ${intensity} FLOP/byte (2*MACs FLOPs / bytes)`);
  lines.push(`- **share of the network** ${pct(l.macs, a.totals.macs)} of MACs, ${pct(l.flops[flops], a.totals.flops[flops])} of FLOPs, ${pct(l.memoryBytes, a.totals.memoryBytes)} of memory access`);
  if (target) lines.push(...rooflineLines(a, l, target));
  return lines.join('\n');
}

/**
 * The layer on the target (cost-model.md section 4): intensity against the ridge point, attainable
 * FLOP/s, the bound, the estimated time (the slower of compute and memory, plus the launch overhead)
 * and its share of the network's estimated latency.
 */
export function rooflineLines(a: Analysis, l: Layer, t: Target): string[] {
  const hw = hardwareView(a, t);
  const i = a.layers.indexOf(l);
  if (i < 0) return [];
  const r = hw.estimate.layers[i];
  const dtype = layerDtype(a, i);
  const peak = peakFor(t, dtype);
  const ridge = peak / t.bandwidth;
  const seconds = hw.layerSeconds[i];
  const head = `**on ${t.name}** (${dtype}: peak ${rateText(peak)}, ${humanBytes(Math.round(t.bandwidth))}/s)`;
  if (!hw.launches[i] && seconds === 0) return ['', '---', head, `- no kernel of its own${l.foldedInto ? ` (folded into \`${l.foldedInto}\`)` : ''}: 0 us`];
  const launch = hw.launches[i] && t.launchOverhead > 0 ? ` + ${timeText(t.launchOverhead)} launch` : '';
  return [
    '', '---', head,
    `- **arithmetic intensity** ${intensityText(r.intensity)} FLOP/byte; ridge point ${intensityText(ridge)} FLOP/byte: **${r.bound}-bound**`,
    `- **attainable** ${rateText(r.attainable)} = min(peak, intensity x bandwidth)`,
    `- **estimated time** ${timeText(seconds)} = max(compute ${timeText(r.computeSeconds)}, memory ${timeText(r.memorySeconds)})${launch}; ` +
      `${pct(seconds, hw.estimate.seconds)} of the network's ${timeText(hw.estimate.seconds)}`,
  ];
}

/** An ONNX node: its real name and op type, shapes with the batch and dtypes, and memory by each tensor's own dtype. */
export function onnxLayerMarkdown(a: Analysis, l: OnnxLayer, flops: FlopsConvention, target?: Target): string {
  const where = l.graphPath ? ` · in \`${l.graphPath}\`${l.perIteration ? ', per iteration' : ''}` : '';
  const lines = [
    `**${l.name}** · \`${l.opType}\` · ONNX node ${l.nodeIndex}${l.onnxName ? ` \`${l.onnxName}\`` : ''}${where}${l.foldedInto ? ` · folded into \`${l.foldedInto}\`` : ''}`,
    '',
    `output ${l.outputs.map((s, i) => `${onnxShape(s)} ${l.outputDtypes[i]}`).join(', ') || '-'}${l.inputs.length ? ` from ${l.inputs.map((n, i) => `\`${n}\` ${onnxShape(l.inputShapes[i] ?? [])}`).join(', ')}` : ''}`,
    '',
  ];
  if (!l.counted) {
    lines.push(`not counted: ${l.note ?? 'no cost model for this node'}; its figures are zero`);
    return lines.join('\n');
  }
  lines.push('```', l.cost.formula(), '```');
  lines.push(`- **params** ${grouped(l.params)}${l.trainingParams !== l.params ? `; ${grouped(l.trainingParams)} as training counts them` : ''}${l.biasFromBn ? ' (with the bias gained from the folded batch norm)' : ''}`);
  lines.push(`- **MACs** ${grouped(l.macs)}`);
  lines.push(`- **FLOPs** ${grouped(l.flops[flops])} (${CONVENTION_NAME[flops]} convention)`);
  lines.push(`- **memory access** ${grouped(l.memoryBytes)} bytes (${dtypeText(a)}) = input ${grouped(l.readBytes)} + output ${grouped(l.writtenBytes)} + weights ${grouped(l.weightBytes)}`);
  lines.push(`- **arithmetic intensity** ${l.memoryBytes > 0 ? (l.flops['2macs'] / l.memoryBytes).toFixed(2) : '-'} FLOP/byte (2*MACs FLOPs / bytes)`);
  lines.push(`- **share of the network** ${pct(l.macs, a.totals.macs)} of MACs, ${pct(l.flops[flops], a.totals.flops[flops])} of FLOPs, ${pct(l.memoryBytes, a.totals.memoryBytes)} of memory access`);
  if (l.note) lines.push(`- ${l.note}`);
  if (target) lines.push(...rooflineLines(a, l, target));
  return lines.join('\n');
}

export function groupMarkdown(a: Analysis, g: Group, flops: FlopsConvention, target?: Target): string {
  const layers = a.layers.filter((l) => l.groups.includes(g.name));
  let time: string[] = [];
  if (target) {
    const hw = hardwareView(a, target);
    const seconds = a.layers.reduce((sum, l, i) => (l.groups.includes(g.name) ? sum + hw.layerSeconds[i] : sum), 0);
    time = [`- **estimated time** on ${target.name}: ${timeText(seconds)} (${pct(seconds, hw.estimate.seconds)} of the network's ${timeText(hw.estimate.seconds)})`];
  }
  const top = [...layers].sort((x, y) => y.flops[flops] - x.flops[flops] || y.memoryBytes - x.memoryBytes).slice(0, 3);
  const { batch, dtype } = a.settings;
  return [
    `**${g.name}** · ${g.kind === 'repeat' ? 'repeat' : `block \`${g.kind}\``} · ${g.layerCount} layers`,
    '',
    `output ${g.outputShape.length ? shapeText(g.outputShape, batch) : '-'}`,
    '',
    `- **params** ${grouped(g.params)}`,
    `- **MACs** ${grouped(g.macs)} (${pct(g.macs, a.totals.macs)} of the network)`,
    `- **FLOPs** ${grouped(g.flops[flops])} (${CONVENTION_NAME[flops]} convention)`,
    `- **memory access** ${grouped(g.memoryBytes)} bytes (${dtype}, batch ${batch}; ${pct(g.memoryBytes, a.totals.memoryBytes)} of the network)`,
    ...time,
    '',
    'costliest layers:',
    ...top.map((l) => `- \`${l.name}\` ${l.op}: ${human(l.flops[flops])} FLOPs, ${humanBytes(l.memoryBytes)} moved`),
  ].join('\n');
}

/** A shape as the document shows it: ONNX shapes hold the batch already. */
const shown = (a: Analysis, s: number[]) => (a.onnx ? onnxShape(s) : shapeText(s, a.settings.batch));

function nameMarkdown(a: Analysis, name: string, block: string | null): string | null {
  const input = a.inputs.find((i) => i.name === name);
  if (input) return `**${name}** · input, defined on line ${input.range.start.line + 1}\n\nshape ${shown(a, input.shape)}`;
  // inside a block body, the name as the block's first use defines it
  const uses = block === null ? [] : a.groups.filter((g) => g.kind === block).map((g) => `${g.name}.${name}`);
  const l = block === null ? a.layers.find((x) => x.name === name) : a.layers.find((x) => uses.includes(x.name));
  if (l) return `**${name}** · \`${l.op}\`, defined on line ${l.range.start.line + 1}${block ? ` (block \`${block}\`; first use: \`${l.name}\`)` : ''}\n\nshape ${shown(a, l.outputShape)}`;
  const g = a.groups.find((x) => x.name === name);
  if (g) return `**${name}** · ${g.kind === 'repeat' ? 'repeat' : `use of block \`${g.kind}\``}, defined on line ${g.range.start.line + 1}\n\nshape ${shown(a, g.outputShape)}`;
  return null;
}

/** The network on the target: estimated latency, throughput at the batch, peak memory against the device's. */
export function networkMarkdown(a: Analysis, hw: HardwareView): string {
  const { target: t, estimate: e } = hw;
  const m = hw.memory;
  const batch = a.settings.batch;
  const launches = e.launches ? ` + ${grouped(e.launches)} launches x ${timeText(t.launchOverhead)}` : '';
  const peak = m.atLayer ? ` (at \`${m.atLayer}\`)` : '';
  return [
    `**network** on **${t.name}** · ${grouped(a.layers.length)} layers · ${dtypeText(a)}, batch ${batch}`,
    '',
    `- **estimated latency** ${timeText(e.seconds)} = layers ${timeText(e.seconds - e.launchSeconds)}${launches}`,
    `- **throughput** ${qpsText(e.qps)} samples/s at batch ${batch}`,
    `- **memory-bound** ${pct(e.memoryBoundShare, 1)} of the layers with work`,
    `- **peak memory** ${humanBytes(m.totalBytes)} = activations ${humanBytes(m.peakBytes)}${peak} + weights ${humanBytes(m.weightBytes)}; ` +
      `${pct(m.totalBytes, t.memory)} of the device's ${humanBytes(Math.round(t.memory))}${m.totalBytes > t.memory ? ' **(does not fit)**' : ''}`,
  ].join('\n');
}

/** `target`: the active hardware target; without one, hovers show no estimates and an input line has none.
 *  `measured`: the document's latest measurement (ide/measured.ts), shown after the estimates. */
export function hover(a: Analysis, pos: Pos, flops: FlopsConvention = '2macs', target?: Target, measured?: MeasuredView): Hover | null {
  // a layer name read in `from` or `dim()`: where it is defined
  const ref = nameAt(nameIndex(a.syntax), pos);
  if (ref && ref.space === 'layer' && !ref.decl) {
    const md = nameMarkdown(a, ref.name, ref.scope.block);
    if (md) return { markdown: md, range: ref.range };
  }
  // a layer whose op sits under the cursor; inside a block body, the first use stands for all
  const hit = a.layers.filter((l) => contains(l.range, pos));
  if (hit.length) {
    const l = hit[0];
    const uses = hit.length > 1 ? `\n\n---\n${hit.length} uses: ${hit.slice(0, 6).map((x) => `\`${x.name}\` ${human(x.macs)} MACs`).join(', ')}${hit.length > 6 ? ', ...' : ''}` : '';
    const m = measured ? measuredLayerMarkdown(measured, l.name) : '';
    return { markdown: (a.onnx ? onnxLayerMarkdown(a, l as OnnxLayer, flops, target) : layerMarkdown(a, l, flops, target)) + m + uses, range: l.range };
  }
  const g = a.groups.find((x) => contains(x.range, pos)); // the outermost: a repeat before its iterations
  if (g) return { markdown: groupMarkdown(a, g, flops, target), range: g.range };
  // an input line: the input, then the whole network on the target, then its MACs as a formula of the
  // file's resolution/tokens/seq variable (fitted here, on hover only, and remembered per analysis)
  const input = a.layers.length ? a.inputs.find((x) => contains(x.range, pos)) : undefined;
  if (!input) return null;
  const scaling = hoverFormula(a, flops);
  if (!target && !scaling && !measured) return null;
  const network = (target ? `\n\n---\n${networkMarkdown(a, hardwareView(a, target))}` : '') + (measured ? measuredNetworkMarkdown(measured) : '');
  return { markdown: `**${input.name}** · input ${shown(a, input.shape)}${network}${scaling ? `\n\n---\n${scaling}` : ''}`, range: input.range };
}
