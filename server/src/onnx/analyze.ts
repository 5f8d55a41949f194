// The analysis of an ONNX model: read (reader.ts, weights never materialized) -> bind symbolic dims and
// infer every tensor's type (infer.ts) -> cost every node (costs.ts) -> render the model as a `.net`
// listing (render.ts) -> one `Analysis`, the same type the `.net` engine produces, whose layers sit on
// the listing's lines. Hints, hovers, the CLI table and the JSON report then work on it unchanged.
// Pure apart from `analyzeOnnxFile`, which only reads the file; never throws.
import { CONVENTION_NAME, type Analysis, type Diagnostic, type Dtype, type Layer, type Severity } from '../analysis/analyze';
import type { Cost } from '../analysis/ops';
import type { Range } from '../syntax/lexer';
import { parse } from '../syntax/parser';
import type { ParsedFile } from '../syntax/ast';
import { grouped, human, humanBytes, percentOf } from '../ide/units';
import { costNodes, totalsByOp, type NodeCost } from './costs';
import { inferShapes } from './infer';
import { dtypeName, type DimBindings, type Inference, type OnnxModel, type TensorType } from './model';
import { readerLimits, readModelFile } from './reader';
import { resolveLimits, type Limits } from '../analysis/limits';
import { renderListing, type Listing } from './render';

export interface OnnxSettings {
  /** binds the leading dim of each input (when the file leaves it symbolic) */
  batch?: number;
  /** symbolic dims by name: `--dim seq=128` */
  dims?: Record<string, number>;
  /** counts float tensors at this dtype's size instead of their own */
  dtype?: Dtype;
  /** the limits against hostile files (analysis/limits.ts: onnxFileSize, nodes, tensors, valueInfos, rank,
   *  subgraphDepth, stringBytes, listElements); missing or invalid ones take their defaults */
  limits?: Partial<Limits>;
}

/** A node of the model as a layer of the listing. Shapes include the batch (ONNX shapes); unknown dims are -1. */
export interface OnnxLayer extends Layer {
  /** index in the inference's node order (the main graph's own index is `nodeIndex`) */
  index: number;
  /** the node's index in its graph (`line` in the JSON report) */
  nodeIndex: number;
  onnxName: string;
  opType: string;
  /** '' for the main graph, `loop_1/body` inside a subgraph */
  graphPath: string;
  perIteration: boolean;
  /** false: not costed (an unsupported op, or shapes unknown) */
  counted: boolean;
  note?: string;
  readBytes: number;
  writtenBytes: number;
  outputDtypes: string[];
}

export interface OpTotal { opType: string; count: number; params: number; macs: number; flops2: number; memoryBytes: number }

export interface OnnxInfo {
  model: OnnxModel;
  listing: Listing;
  byOp: OpTotal[];
  /** symbolic dims no setting bound (taken as 1) */
  unbound: string[];
  /** the dtype override, or null: each tensor counts its own dtype */
  dtypeOverride: Dtype | null;
  /** per listing line, where its code ends (before the comment with the node's ONNX name): hints go
   *  there, in view, rather than after the long comment */
  codeEnds: number[];
}

export interface OnnxAnalysis extends Analysis {
  layers: OnnxLayer[];
  onnx: OnnxInfo;
}

/** Told of each stage of a long analysis: `read`, `infer`, `cost`, `render`, then `done`. */
export type Progress = (stage: string, done: number, total: number) => void;
export const STAGES = ['read', 'infer', 'cost', 'render'];

export const isOnnx = (a: Analysis): a is OnnxAnalysis => (a as Partial<OnnxAnalysis>).onnx !== undefined;

const ONNX_DTYPE: Record<Dtype, number> = { fp32: 1, fp16: 10, bf16: 16, int8: 3 };

const shapeOf = (t: TensorType | null): number[] => (t?.shape ? t.shape.map((d) => (d === null ? -1 : d)) : []);
const elementsOf = (s: number[]) => (s.some((d) => d < 0) ? 0 : s.reduce((p, d) => p * d, 1));


function header(file: string, a: { params: number; macs: number; flops2: number; memoryBytes: number; weightBytes: number }, byOp: OpTotal[], nodes: number, s: OnnxSettings): string[] {
  const shares = byOp.filter((o) => o.macs > 0 || o.memoryBytes > 0).slice(0, 8)
    .map((o) => `${o.opType} x${o.count} ${percentOf(o.macs, a.macs)} MACs, ${percentOf(o.memoryBytes, a.memoryBytes)} memory`);
  return [
    `# NetCost: ${file}, read-only. "NetCost: Convert ONNX to .net" writes an editable copy.`,
    `# ${human(a.params)} params · ${human(a.macs)} MACs · ${human(a.flops2)} FLOPs (${CONVENTION_NAME['2macs']}) · ${humanBytes(a.memoryBytes)} moved · weights ${humanBytes(a.weightBytes)} · ${grouped(nodes)} nodes` +
      ` · ${s.dtype ? `tensors counted as ${s.dtype}` : 'each tensor at its own dtype'}`,
    ...(shares.length ? [`# by op type: ${shares.join(' · ')}`] : []),
  ];
}

/** Where a listing line's code ends: before its `#` comment and the spaces that align it (op types in quotes hold no `#`). */
function codeEnd(line: string): number {
  const hash = line.indexOf('#');
  return hash < 0 ? line.length : line.slice(0, hash).trimEnd().length;
}

/** The layer object of one node (fields in one literal: every layer has the same hidden class). */
function layerOf(inf: Inference, i: number, c: NodeCost, listing: Listing, useRange: Range, producer: Map<string, number>): OnnxLayer {
  const n = inf.nodes[i];
  const inputs = n.node.inputs.filter((x, k) => x !== '' && !n.weights[k]);
  const outputs = n.outputs.map(shapeOf);
  const memoryBytes = c.readBytes + c.writtenBytes + c.weightBytes;
  const cost: Cost = {
    outputs, params: c.params, trainingParams: c.trainingParams, weights: 0, macs: c.macs, flops2: c.flops2, flopsExact: c.flopsExact,
    read: c.readBytes, written: c.writtenBytes, formula: c.formula,
  };
  const folded = c.foldedInto === undefined ? null : listing.names[c.foldedInto] ?? null;
  return {
    name: listing.names[i], op: n.node.opType, range: listing.opRanges[i], useRange,
    inputs, inputLayers: inputs.map((x) => producer.get(x) ?? -1),
    inputShapes: n.inputs.filter((_, k) => n.node.inputs[k] !== '' && !n.weights[k]).map(shapeOf),
    attrs: {}, outputShape: outputs[0] ?? [], outputs, trainingParams: c.trainingParams,
    activations: outputs.reduce((p, s) => p + elementsOf(s), 0), cost, foldedInto: folded, biasFromBn: c.biasFromBn === true, biasParams: 0, groups: [],
    params: c.params, macs: c.macs, flops: { '2macs': c.flops2, exact: c.flopsExact, macs: c.macs }, memoryBytes, weightBytes: c.weightBytes,
    index: i, nodeIndex: n.node.index, onnxName: n.node.name, opType: n.node.opType, graphPath: n.graphPath, perIteration: n.perIteration,
    counted: c.counted, note: c.note, readBytes: c.readBytes, writtenBytes: c.writtenBytes, outputDtypes: n.outputs.map((t) => (t ? dtypeName(t.dtype) : '?')),
  };
}

const UNCOUNTED: Record<string, string> = {
  'shape-unknown': 'their input shapes are unknown (downstream of an unsupported op or an error)',
  'bad-node': 'they are malformed (see each hover)',
  'too-large': 'a figure passes 2^53',
};

/** One note per reason for nodes costed at zero (unsupported op types are reported by inference, one per type). */
function uncounted(inf: Inference, costs: NodeCost[], listing: Listing, fallback: Range): Diagnostic[] {
  const by = new Map<string, number[]>();
  costs.forEach((c, i) => { if (!c.counted && c.code && c.code !== 'unknown-op') (by.get(c.code) ?? by.set(c.code, []).get(c.code)!).push(i); });
  return [...by].map(([code, nodes]) => ({
    range: listing.opRanges[nodes[0]] ?? fallback,
    severity: code === 'shape-unknown' ? 'info' : 'warning',
    code: code === 'shape-unknown' ? 'onnx-not-counted' : code === 'bad-node' ? 'onnx-bad-node' : 'too-large',
    message: `${nodes.length} node(s) counted as zero because ${UNCOUNTED[code] ?? code}: ${nodes.slice(0, 5).map((i) => `\`${inf.nodes[i].node.name || listing.names[i]}\``).join(', ')}${nodes.length > 5 ? ', ...' : ''}`,
  }));
}

export function analyzeOnnx(model: OnnxModel, s: OnnxSettings = {}, file = 'model.onnx', progress?: Progress): OnnxAnalysis {
  // without --batch, a symbolic leading dim is the batch: bound to 1 like a .net file's default, not reported as unbound
  const symbolicBatch = model.graph.inputs.some((x) => !model.graph.initializers.has(x.name) && typeof x.shape?.[0] !== 'number');
  const bind: DimBindings = { dims: s.dims ?? {}, batch: s.batch ?? (symbolicBatch ? 1 : undefined) };
  progress?.('infer', 1, 4);
  const inf = inferShapes(model, bind, { subgraphDepth: resolveLimits(s.limits).subgraphDepth });
  progress?.('cost', 2, 4);
  const costs = costNodes(inf.nodes, s.dtype ? { dtypeOverride: ONNX_DTYPE[s.dtype] } : undefined);
  const byOp = totalsByOp(inf.nodes, costs);
  const sum = { params: 0, trainingParams: 0, macs: 0, flops2: 0, flopsExact: 0, memoryBytes: 0, weightBytes: 0 };
  for (const c of costs) {
    sum.params += c.params; sum.trainingParams += c.trainingParams; sum.macs += c.macs; sum.flops2 += c.flops2; sum.flopsExact += c.flopsExact;
    sum.memoryBytes += c.readBytes + c.writtenBytes + c.weightBytes; sum.weightBytes += c.weightBytes;
  }
  progress?.('render', 3, 4);
  const listing = renderListing(model, inf, { file, header: header(file, sum, byOp, inf.nodes.length, s) });
  const lines = listing.text.split('\n');
  const useRange = (line: number): Range => ({ start: { line, character: 0 }, end: { line, character: lines[line]?.length ?? 0 } });
  // which node produced each tensor (the first one: a subgraph may reuse a name): the peak-memory walk's edges
  const producer = new Map<string, number>();
  inf.nodes.forEach((n, i) => { for (const o of n.node.outputs) if (o !== '' && !producer.has(o)) producer.set(o, i); });
  const layers = inf.nodes.map((_, i) => layerOf(inf, i, costs[i], listing, useRange(listing.nodeLines[i]), producer));
  const modelRange = useRange(0);
  const diagnostics: Diagnostic[] = [
    ...model.diagnostics.map((d) => ({ range: modelRange, severity: d.severity as Severity, code: d.code, message: d.offset === undefined ? d.message : `${d.message} (byte ${d.offset})` })),
    ...inf.diagnostics.map((d) => ({ range: d.node >= 0 && listing.opRanges[d.node] ? listing.opRanges[d.node] : modelRange, severity: d.severity as Severity, code: d.code, message: d.message })),
  ];
  diagnostics.push(...uncounted(inf, costs, listing, modelRange));
  for (const [k, v] of Object.entries(sum)) {
    if (!Number.isSafeInteger(v)) diagnostics.push({ range: modelRange, severity: 'error', code: 'too-large', message: `the model's total ${k} passes 2^53: it cannot be given exactly` });
  }
  const batch = s.batch ?? (typeof inf.inputs[0]?.type.shape?.[0] === 'number' ? (inf.inputs[0].type.shape[0] as number) : 1);
  const activations = layers.reduce((p, l) => p + l.activations, 0);
  let syntax: ParsedFile | undefined;
  return {
    settings: { batch, dtype: s.dtype ?? 'fp32' },
    inputs: inf.inputs.map((x) => ({ name: x.name, shape: shapeOf(x.type), range: useRange(listing.inputLines.get(x.name) ?? 0) })),
    layers,
    groups: [],
    variables: [],
    diagnostics,
    totals: {
      params: sum.params, macs: sum.macs, flops: { '2macs': sum.flops2, exact: sum.flopsExact, macs: sum.macs },
      memoryBytes: sum.memoryBytes, weightBytes: sum.weightBytes, trainingParams: sum.trainingParams, activations,
    },
    // parsed on first use: the editor's navigation needs it, the CLI does not
    get syntax() { return (syntax ??= parse(listing.text)); },
    evaluations: layers.length,
    onnx: { model, listing, byOp, unbound: inf.unbound, dtypeOverride: s.dtype ?? null, codeEnds: lines.map(codeEnd) },
  };
}

/** Reads and analyses one file (I/O problems become diagnostics of the analysis). */
export function analyzeOnnxFile(path: string, s: OnnxSettings = {}, file = path, progress?: Progress): OnnxAnalysis {
  progress?.('read', 0, 4);
  return analyzeOnnx(readModelFile(path, readerLimits(resolveLimits(s.limits))), s, file, progress);
}
