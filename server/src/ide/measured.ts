// Measured times in hovers: the `netcost/measurement` notification's params (checked, since they come
// from outside), a measurement indexed for hovers, and the markdown a layer's and an input line's
// hover add next to the estimate. Pure: the server keeps one measurement per document and says
// whether the document changed since (`stale`).
//
//   netcost/measurement  params { uri: string; measurement: Measurement | null; version?: number }
//       (client -> server notification) the latest `netcost measure --json` of the document `uri` (a
//       `.net` file, or an ONNX model's `netcost-onnx:` listing), measured at document version `version`
//       (default: the version the server has when it arrives); null clears it; closing the document drops it.
import type { MeasuredLayer, MeasuredNode, Measurement } from '../measure/types';
import { qpsText, timeText } from './hardware-units';

export const MEASUREMENT_NOTIFICATION = 'netcost/measurement';
export interface MeasurementParams { uri: string; measurement: Measurement | null; version?: number }

/** A measurement as the server keeps it: its layers and kernels by name, and the document version measured. */
export interface MeasuredDoc {
  measurement: Measurement;
  /** the document version measured, and its text when the server had that version as the measurement arrived */
  version: number | undefined;
  text: string | undefined;
  layers: Map<string, MeasuredLayer>;
  /** the kernels that compute each layer, in execution order (fused ones compute several layers; a layer may take several, as Flatten + Gemm) */
  kernels: Map<string, MeasuredNode[]>;
  /** the kernels ONNX Runtime inserted (layout conversions), by the kernel their time is attributed to */
  inserted: Map<string, MeasuredNode[]>;
}
/** What a hover shows: the measurement, and whether the document has changed since it was measured. */
export interface MeasuredView { doc: MeasuredDoc; stale: boolean }

// ---- the params, checked field by field (only the fields the hovers read; a malformed one is a TypeError)
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
function need(ok: boolean, what: string): asserts ok {
  if (!ok) throw new TypeError(`${MEASUREMENT_NOTIFICATION}: ${what}`);
}
function checkLayer(l: unknown, i: number): void {
  need(isObject(l) && typeof l.name === 'string' && (l.node === null || typeof l.node === 'string') && isNumber(l.measuredSeconds) && isNumber(l.estimatedSeconds),
    `layers[${i}] needs a name, a node (string or null), measuredSeconds and estimatedSeconds`);
}
function checkNode(n: unknown, i: number): void {
  need(isObject(n) && typeof n.name === 'string' && typeof n.opType === 'string' && Array.isArray(n.layers) && n.layers.every((x) => typeof x === 'string') &&
    ['own', 'fused', 'inserted'].includes(n.kind as string) && (n.attributedTo === null || typeof n.attributedTo === 'string') && isNumber(n.measuredSeconds),
  `nodes[${i}] needs a name, an opType, layers, a kind, attributedTo and measuredSeconds`);
}

/** The notification's params, or a TypeError that says what is wrong with them. */
export function readMeasurementParams(p: unknown): MeasurementParams {
  need(isObject(p) && typeof p.uri === 'string', 'params need a uri');
  const { uri, measurement: m, version } = p as Record<string, unknown> & { uri: string };
  need(version === undefined || version === null || Number.isSafeInteger(version), 'version must be an integer');
  const v = typeof version === 'number' ? version : undefined;
  if (m === null) return { uri, measurement: null, version: v };
  need(isObject(m) && m.version === 1, 'measurement must be null or a Measurement of version 1');
  const { runtime, target, latency, estimate, layers, nodes, notes } = m as Record<string, unknown>;
  need(isObject(runtime) && typeof runtime.version === 'string' && isNumber(runtime.threads), 'measurement.runtime needs a version and threads');
  need(isObject(target) && typeof target.id === 'string', 'measurement.target needs an id');
  need(isObject(latency) && isNumber(latency.medianSeconds) && isNumber(latency.p90Seconds), 'measurement.latency needs medianSeconds and p90Seconds');
  need(isObject(estimate) && isNumber(estimate.seconds), 'measurement.estimate needs seconds');
  need(isNumber(m.throughput) && isNumber(m.batch) && isNumber(m.runs), 'measurement needs throughput, batch and runs');
  need(Array.isArray(layers) && Array.isArray(nodes), 'measurement needs layers and nodes');
  need(notes === undefined || (Array.isArray(notes) && notes.every((x) => typeof x === 'string')), 'measurement.notes must be strings');
  (layers as unknown[]).forEach(checkLayer);
  (nodes as unknown[]).forEach(checkNode);
  return { uri, measurement: m as unknown as Measurement, version: v };
}

/** Indexes a measurement for hovers (once, when it arrives). */
export function indexMeasurement(m: Measurement, version: number | undefined, text?: string): MeasuredDoc {
  const kernels = new Map<string, MeasuredNode[]>();
  const inserted = new Map<string, MeasuredNode[]>();
  const add = (map: Map<string, MeasuredNode[]>, key: string, n: MeasuredNode) => {
    const list = map.get(key);
    if (list) list.push(n);
    else map.set(key, [n]);
  };
  for (const n of m.nodes) {
    for (const l of new Set(n.layers)) add(kernels, l, n);
    if (n.kind === 'inserted' && n.attributedTo !== null) add(inserted, n.attributedTo, n);
  }
  return { measurement: m, version, text, layers: new Map(m.layers.map((l) => [l.name, l])), kernels, inserted };
}

/** Whether the document changed since the measurement: another version, unless its text is the measured one again (an undo). */
export const isStale = (d: MeasuredDoc, version: number, text: () => string): boolean => d.version !== version && (d.text === undefined || text() !== d.text);

// ---- the markdown
const STALE = '_measured before the last edit: run **NetCost: Measure Latency** again_';
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
const threads = (n: number) => (n > 0 ? `${n} thread${n === 1 ? '' : 's'}` : 'default threads');
/** `ONNX Runtime 1.30.0, CPU, 2 threads` */
const runtimeText = (m: Measurement) => `ONNX Runtime ${m.runtime.version}, CPU, ${threads(m.runtime.threads)}`;
/** `×1.26`: measured over estimated, or nothing when either is zero */
const ratio = (measured: number, estimated: number) => (measured > 0 && estimated > 0 ? `, ×${(measured / estimated).toFixed(2)}` : '');
const estimateText = (m: Measurement, measured: number, estimated: number) => `estimate ${timeText(estimated)} on ${m.target.id}${ratio(measured, estimated)}`;

/**
 * What a layer's hover adds (after a `---`): its measured time against the estimate; for a kernel ONNX
 * Runtime fused, the kernel, its op, the layers fused with this one and the kernel's own time; the
 * kernels of a layer ONNX Runtime computes in several; the kernels it inserted (layout conversions)
 * whose time the layer shares; for a layer ONNX Runtime removed, that it did. Empty when the
 * measurement has no layer of this name.
 */
export function measuredLayerMarkdown(v: MeasuredView, name: string): string {
  const m = v.doc.measurement;
  const l = v.doc.layers.get(name);
  if (!l) return '';
  const lines: string[] = [];
  if (l.node === null) {
    lines.push(`**measured** no kernel: ONNX Runtime removed this layer when it loaded the model (folded into a neighbour, or an identity); ` +
      `${estimateText(m, 0, l.estimatedSeconds)} (${runtimeText(m)})`);
  } else {
    lines.push(`**measured** ${timeText(l.measuredSeconds)} (${runtimeText(m)}; ${estimateText(m, l.measuredSeconds, l.estimatedSeconds)})`);
    const kernels = v.doc.kernels.get(name) ?? [];
    for (const k of kernels.filter((x) => x.kind === 'fused')) {
      const others = k.layers.filter((x) => x !== name);
      lines.push(`- fused by ONNX Runtime: kernel ${code(k.name)} (${code(k.opType)})${others.length ? ` also computes ${others.map(code).join(', ')}` : ''}; ` +
        `the kernel takes ${timeText(k.measuredSeconds)}, split among its layers by their estimated times`);
    }
    if (kernels.length > 1) lines.push(`- computed by ${kernels.length} kernels: ${kernels.map((k) => `${code(k.name)} (${code(k.opType)}) ${timeText(k.measuredSeconds)}`).join(', ')}`);
    const added = kernels.flatMap((k) => v.doc.inserted.get(k.name) ?? []);
    if (added.length) {
      const seconds = added.reduce((s, n) => s + n.measuredSeconds, 0);
      const ops = [...new Set(added.map((n) => n.opType))].map(code).join(', ');
      lines.push(`- includes its share of ${timeText(seconds)} in ${added.length} kernel${added.length === 1 ? '' : 's'} ONNX Runtime inserted (${ops})`);
    }
  }
  if (v.stale) lines.push(STALE);
  return `\n\n---\n${lines.join('\n')}`;
}

/** What an input line's hover adds: the network's measured median and p90 latency, throughput, and the estimate. */
export function measuredNetworkMarkdown(v: MeasuredView): string {
  const m = v.doc.measurement;
  const lines = [
    `**measured** with ${runtimeText(m)} · batch ${m.batch} · ${m.runs} runs`,
    '',
    `- **latency** median ${timeText(m.latency.medianSeconds)}, p90 ${timeText(m.latency.p90Seconds)}; ${estimateText(m, m.latency.medianSeconds, m.estimate.seconds)}`,
    `- **throughput** ${qpsText(m.throughput)} samples/s at batch ${m.batch}`,
    ...(m.notes ?? []).map((n) => `- ${n}`),
  ];
  if (v.stale) lines.push(STALE);
  return `\n\n---\n${lines.join('\n')}`;
}
