// The text of a measurement (`netcost measure` without --json, and the VS Code output channel): one
// row per ONNX Runtime kernel, one per op class, and a footer of the whole run. Pure and free of Node
// APIs: the VS Code client imports it.
import Table from 'cli-table3';
import { qpsText, timeText } from '../ide/hardware-units';
import { TABLE_STYLE } from '../ide/table';
import type { Measurement } from './types';

export interface MeasureTableOptions {
  /** only the N kernels with the most measured time (default: all, in execution order) */
  top?: number;
}


/** measured / estimated: `2.31x`; `-` when there is no estimate */
export const ratioText = (measured: number, estimated: number): string => (estimated > 0 ? `${(measured / estimated).toFixed(2)}x` : '-');

/** A list of layer names cut to `max` characters. */
function names(xs: string[], max = 40): string {
  const s = xs.join(', ');
  return s.length <= max ? s : `${s.slice(0, max - 3).replace(/,?\s*[^,]*$/, '')}, ... (${xs.length})`;
}

const share = (x: number, total: number): string => (total > 0 ? `${((100 * x) / total).toFixed(1)}%` : '-');

export function measureTable(m: Measurement, o: MeasureTableOptions = {}): string {
  const kernelTotal = m.nodes.reduce((a, n) => a + n.measuredSeconds, 0);
  const k = new Table({ head: ['kernel', 'op', 'layers', 'measured', 'share', 'estimated', 'ratio'], colAligns: ['left', 'left', 'left', 'right', 'right', 'right', 'right'], ...TABLE_STYLE });
  const rows = o.top === undefined ? m.nodes : [...m.nodes].sort((x, y) => y.measuredSeconds - x.measuredSeconds).slice(0, o.top);
  for (const n of rows) {
    const op = n.domain && n.domain !== 'ai.onnx' ? `${n.opType} (${n.domain})` : n.opType;
    const layers = n.kind === 'inserted' ? (n.attributedTo ? `(inserted; -> ${n.attributedTo})` : '(inserted)') : `${n.kind === 'fused' ? 'fused: ' : ''}${names(n.layers)}`;
    k.push([n.name, op, layers, timeText(n.measuredSeconds), share(n.measuredSeconds, kernelTotal), n.kind === 'inserted' ? '-' : timeText(n.estimatedSeconds), n.kind === 'inserted' ? '-' : ratioText(n.measuredSeconds, n.estimatedSeconds)]);
  }
  const estTotal = m.nodes.reduce((a, n) => a + n.estimatedSeconds, 0);
  k.push(['total', `${m.nodes.length} kernels`, `${m.layers.length} layers`, timeText(kernelTotal), '', timeText(estTotal), ratioText(kernelTotal, estTotal)]);

  const c = new Table({ head: ['op class', 'layers', 'measured', 'share', 'estimated', 'ratio'], colAligns: ['left', 'right', 'right', 'right', 'right', 'right'], ...TABLE_STYLE });
  const layerTotal = m.layers.reduce((a, l) => a + l.measuredSeconds, 0);
  for (const x of m.byOpClass) c.push([x.opClass, String(x.layers), timeText(x.measuredSeconds), share(x.measuredSeconds, layerTotal), timeText(x.estimatedSeconds), ratioText(x.measuredSeconds, x.estimatedSeconds)]);

  const l = m.latency;
  const r = m.runtime;
  const lines = [
    `${m.file}: measured with ${r.name} ${r.version} (${r.executionProvider}, ${r.threads} thread${r.threads === 1 ? '' : 's'}, graph optimization ${r.graphOptimizationLevel}), batch ${m.batch}` +
      `${m.model.exported ? ', exported from the .net file' : ''}${m.model.weights === 'filled' ? ', pseudo-random weights' : ''}`,
    '',
    o.top === undefined ? 'per kernel (execution order; a fused kernel computes several layers, an inserted one none):' : `the ${rows.length} kernels with the most time:`,
    k.toString(),
    '',
    'per op class (the layers\' shares of the kernel times):',
    c.toString(),
    '',
    `latency     median ${timeText(l.medianSeconds)}, p90 ${timeText(l.p90Seconds)} (min ${timeText(l.minSeconds)}, max ${timeText(l.maxSeconds)}) over ${m.runs} runs after ${m.warmup} warm-up runs, profiling off`,
    `throughput  ${qpsText(m.throughput)} samples/s at batch ${m.batch}`,
    `kernels     ${timeText(m.kernelSeconds)} per run (median of ${m.profiledRuns} profiled runs), ${share(m.kernelSeconds, l.medianSeconds)} of the latency` +
      (m.kernelSeconds <= l.medianSeconds ? ': the rest is the runtime\'s own work between kernels and the call from Node' : ': the profiled runs were slower (profiling overhead, or a busy machine)'),
    `session     ${timeText(m.sessionSeconds)} to load and optimize the model`,
    `estimate    ${timeText(m.estimate.seconds)} on ${m.target.name} (${m.target.id}), ${m.estimate.launches} launches: measured/estimated ${ratioText(l.medianSeconds, m.estimate.seconds)}`,
    ...m.notes.map((n, i) => `${i === 0 ? 'notes       ' : '            '}${n}`),
  ];
  return lines.join('\n') + '\n';
}
