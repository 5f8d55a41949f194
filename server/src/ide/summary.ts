// The network totals of one document and their short display text, and the two custom requests of
// the language server that the VS Code client sends (it imports this file: keep it free of LSP types).
//
//   netcost/summary  params { uri: string }  ->  Summary (below), or null for a document the server does not have
//   netcost/report   params { uri: string }  ->  { text: string } (the CLI's per-layer table for the document's
//                                                 current text and settings), or null likewise
//   netcost/onnxListing  params { uri: string } (a `file:` URI of an .onnx model)  ->  { text: string, uri: string }:
//                    the model rendered as a `.net` listing, and the URI to open it under (scheme `netcost-onnx`,
//                    the model's path + `.net`); hints, hovers and diagnostics of that document come from the model
//   netcost/targets  params { uri: string }  ->  TargetList (ide/hardware.ts): the active target's id and every target
//                    the document's settings and netcost.json offer ({ id, name, kind, detail }), for a target picker
import { CONVENTION_NAME, type Dtype, type FlopsConvention } from '../analysis/analyze';
import type { DocumentAnalysis } from './document';
import type { HardwareView } from './hardware';
import { qpsText, shortName, timeText } from './hardware-units';
import { grouped, human, humanBytes } from './units';

export const SUMMARY_REQUEST = 'netcost/summary';
export const REPORT_REQUEST = 'netcost/report';
/** params { uri } of a file in a git work tree -> { text }: the compare table of the file at HEAD against the editor's text (or why it cannot be made) */
export const COMPARE_REQUEST = 'netcost/compare';
export const LISTING_REQUEST = 'netcost/onnxListing';
export const TARGETS_REQUEST = 'netcost/targets';
export type { TargetItem, TargetList } from './hardware';
/** the scheme of an ONNX model's read-only listing: `netcost-onnx:/home/me/model.onnx.net` */
export const ONNX_SCHEME = 'netcost-onnx';
export interface Listing { text: string; uri: string }

/** `file:///a/m.onnx` -> `netcost-onnx:/a/m.onnx.net`, and back (null for any other URI). */
export const listingUri = (fileUri: string): string => `${ONNX_SCHEME}:${fileUri.replace(/^file:\/\//, '')}.net`;
export const modelUriOf = (uri: string): string | null =>
  uri.startsWith(`${ONNX_SCHEME}:`) && uri.endsWith('.net') ? `file://${uri.slice(ONNX_SCHEME.length + 1, -4)}` : null;
export interface DocumentParams { uri: string }
export interface Report { text: string }

export interface Summary {
  params: number;
  macs: number;
  /** in the `flopsConvention` convention */
  flops: number;
  flopsConvention: FlopsConvention;
  /** how that convention is named where figures are shown: `2*MACs`, `exact`, `MACs` */
  flopsConventionName: string;
  memoryBytes: number;
  layers: number;
  /** error diagnostics (the engine's, and lint rules set to `error`); the totals leave out what they break */
  errors: number;
  batch: number;
  dtype: Dtype;
  /** the active hardware target and the estimates on it; null when there is none */
  target: TargetSummary | null;
  /** the project's budgets (netcost.json `budgets`) against the totals; absent when none is set */
  budgets?: BudgetSummary[];
}

/** One budget in the status bar: `figure` as in netcost.json (`macs`, `latency@t4`); `value` and `budget` in its unit. */
export interface BudgetSummary { figure: string; unit: 'count' | 'bytes' | 'seconds'; value: number; budget: number; exceeded: boolean }
const BUDGET_LABEL: Record<string, string> = { macs: 'MACs', flops: 'FLOPs' };
const budgetValue = (b: BudgetSummary, v: number) => (b.unit === 'bytes' ? humanBytes(v) : b.unit === 'seconds' ? timeText(v) : human(v));
/** `MACs 4.09G / 600M` */
export const budgetText = (b: BudgetSummary) => `${BUDGET_LABEL[b.figure] ?? b.figure} ${budgetValue(b, b.value)} / ${budgetValue(b, b.budget)}`;

export interface TargetSummary {
  id: string;
  name: string;
  /** the roofline estimate of one batch, launch overheads included, in seconds */
  latencySeconds: number;
  /** samples per second at the batch */
  qps: number;
  /** activations alive at the peak, bytes */
  peakActivationBytes: number;
  weightBytes: number;
  /** the device's memory, bytes */
  memoryBytes: number;
}

/** `hw`: the analysis on the active target (ide/hardware.ts hardwareView), when there is one. */
export function summarize(d: DocumentAnalysis, flops: FlopsConvention, hw?: HardwareView): Summary {
  const { totals, settings, layers } = d.analysis;
  return {
    params: totals.params, macs: totals.macs, flops: totals.flops[flops], flopsConvention: flops, flopsConventionName: CONVENTION_NAME[flops],
    memoryBytes: totals.memoryBytes, layers: layers.length, errors: d.diagnostics.filter((x) => x.severity === 'error').length,
    batch: settings.batch, dtype: settings.dtype,
    target: hw ? {
      id: hw.target.id, name: hw.target.name, latencySeconds: hw.estimate.seconds, qps: hw.estimate.qps,
      peakActivationBytes: hw.memory.peakBytes, weightBytes: hw.memory.weightBytes, memoryBytes: hw.target.memory,
    } : null,
    ...(d.budgets?.length ? { budgets: d.budgets.map((b) => ({ figure: b.figure, unit: b.unit, value: b.value, budget: b.budget, exceeded: b.exceeded })) } : {}),
  };
}

const errors = (n: number) => `${n} error${n === 1 ? '' : 's'}`;

/** `4.09G MACs · 25.5M params · T4 1.23 ms`, and `· 2 errors` when there are some. */
export function summaryLabel(s: Summary): string {
  const target = s.target ? ` · ${shortName(s.target)} ${timeText(s.target.latencySeconds)}` : '';
  const over = (s.budgets ?? []).filter((b) => b.exceeded).map((b) => ` · ${budgetText(b)} ✗`).join('');
  return `${human(s.macs)} MACs · ${human(s.params)} params${target}${over}${s.errors ? ` · ${errors(s.errors)}` : ''}`;
}

/** Every total in full, one per line. */
export function summaryTooltip(s: Summary): string {
  return [
    `NetCost: ${grouped(s.layers)} layers, batch ${s.batch}, ${s.dtype}`,
    `params: ${grouped(s.params)}`,
    `MACs: ${grouped(s.macs)}`,
    `FLOPs: ${grouped(s.flops)} (${s.flopsConventionName} convention)`,
    `memory access: ${grouped(s.memoryBytes)} bytes (${humanBytes(s.memoryBytes)})`,
    ...(s.target ? [
      `on ${s.target.name} (${s.target.id}): estimated latency ${timeText(s.target.latencySeconds)}, ${qpsText(s.target.qps)} samples/s at batch ${s.batch}`,
      `peak memory: ${humanBytes(s.target.peakActivationBytes + s.target.weightBytes)} = activations ${humanBytes(s.target.peakActivationBytes)} + weights ${humanBytes(s.target.weightBytes)}, ` +
        `of the device's ${humanBytes(s.target.memoryBytes)}`,
    ] : []),
    ...(s.budgets ?? []).map((b) => `budget ${budgetText(b)}: ${b.exceeded ? 'exceeded ✗' : 'within ✓'} (netcost.json)`),
    s.errors ? `${errors(s.errors)}: the totals leave out the layers they break` : 'no errors',
  ].join('\n');
}
