// The ONNX model as NetCost sees it: the graph's structure, tensor dims and dtypes, and the values of
// small tensors only. The reader (reader.ts) builds it without ever materializing weights; shape
// inference (infer.ts), costing (costs.ts) and rendering (render.ts) read it. Plain data, no methods.

/** ONNX TensorProto.DataType numbers. Numbers the table does not know (a newer ONNX) are kept as numbers. */
export const DTYPES: Record<number, { name: string; bits: number; float: boolean }> = {
  1: { name: 'float32', bits: 32, float: true },
  2: { name: 'uint8', bits: 8, float: false },
  3: { name: 'int8', bits: 8, float: false },
  4: { name: 'uint16', bits: 16, float: false },
  5: { name: 'int16', bits: 16, float: false },
  6: { name: 'int32', bits: 32, float: false },
  7: { name: 'int64', bits: 64, float: false },
  8: { name: 'string', bits: 0, float: false },
  9: { name: 'bool', bits: 8, float: false },
  10: { name: 'float16', bits: 16, float: true },
  11: { name: 'float64', bits: 64, float: true },
  12: { name: 'uint32', bits: 32, float: false },
  13: { name: 'uint64', bits: 64, float: false },
  14: { name: 'complex64', bits: 64, float: true },
  15: { name: 'complex128', bits: 128, float: true },
  16: { name: 'bfloat16', bits: 16, float: true },
  17: { name: 'float8e4m3fn', bits: 8, float: true },
  18: { name: 'float8e4m3fnuz', bits: 8, float: true },
  19: { name: 'float8e5m2', bits: 8, float: true },
  20: { name: 'float8e5m2fnuz', bits: 8, float: true },
  21: { name: 'uint4', bits: 4, float: false },
  22: { name: 'int4', bits: 4, float: false },
  23: { name: 'float4e2m1', bits: 4, float: true },
  24: { name: 'float8e8m0', bits: 8, float: true },
  25: { name: 'uint2', bits: 2, float: false },
  26: { name: 'int2', bits: 2, float: false },
};
export const FLOAT = 1;
export const INT64 = 7;
export const BOOL = 9;

/** `float32`, or `dtype 42` for a number this table does not know. */
export const dtypeName = (t: number): string => DTYPES[t]?.name ?? `dtype ${t}`;

/** Bytes of `n` elements of dtype `t` (sub-byte types packed, rounded up); `n` elements of an unknown dtype count 4 bytes each. */
export function dtypeBytes(t: number, n: number): number {
  const bits = DTYPES[t]?.bits ?? 32;
  return Math.ceil((n * bits) / 8);
}

/** A tensor stored in the file (an initializer, a Constant's value, a tensor attribute). */
export interface TensorInfo {
  name: string;
  /** TensorProto.DataType number, kept even when DTYPES does not know it */
  dtype: number;
  dims: number[];
  /** the values of a small numeric tensor (at most SMALL_TENSOR elements, SMALL_FLOAT_TENSOR for floats), else null: weights are never read */
  values: number[] | null;
  /** the data lives in a side file (external data); the side file is never opened */
  external: boolean;
  /** set on a weight computed at load time by weight-only nodes (`Transpose(W)`): the tensors stored in the
   *  file it is computed from (initializers and Constant values, each with a non-empty name). Its `dims`
   *  are the inferred shape, or [] when that is not fully known. */
  derivedFrom?: TensorInfo[];
}
/** tensors with at most this many elements have their values read (shape constants, axes, scales) */
export const SMALL_TENSOR = 1024;
/** ... and float tensors, and integer ones narrower than 32 bits, at most this many (scales, Clip bounds, exponents): a bias is a
 *  weight, its values are never needed, and decoded values stay within about twice their bytes in the file */
export const SMALL_FLOAT_TENSOR = 64;

/** One dimension of a declared shape: a number, a symbolic name (`batch`), or null (unknown). */
export type Dim = number | string | null;

/** A graph input, output or value_info entry. `shape` null: no shape stored (unknown rank). */
export interface ValueInfo { name: string; dtype: number; shape: Dim[] | null }

export type AttrValue = number | string | number[] | string[] | TensorInfo | TensorInfo[] | OnnxGraph | OnnxGraph[];

export interface OnnxNode {
  /** position in its graph's node list */
  index: number;
  /** the node's name in the file; '' when it has none */
  name: string;
  opType: string;
  /** '' for the default ai.onnx domain */
  domain: string;
  /** '' marks an omitted optional input */
  inputs: string[];
  outputs: string[];
  /** attribute values by name (int64 values as JS numbers: INT64_MAX becomes 9.223372036854776e18) */
  attrs: Record<string, AttrValue>;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: Map<string, TensorInfo>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
}

export interface ReaderDiagnostic {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  /** byte offset in the file where the problem is, when known */
  offset?: number;
}

export interface OnnxModel {
  irVersion: number;
  /** opset version per domain; '' is ai.onnx */
  opsets: Map<string, number>;
  producer: string;
  producerVersion: string;
  graph: OnnxGraph;
  /** problems found while reading; an `error` means the graph may be incomplete */
  diagnostics: ReaderDiagnostic[];
  /** size of the file in bytes */
  fileBytes: number;
}

// ---- what shape inference (infer.ts) produces

/** A tensor's inferred type. Dims are numbers once symbolic dims are bound; null where unknown. */
export interface TensorType {
  dtype: number;
  /** null: unknown rank */
  shape: (number | null)[] | null;
  /** the values of a small constant tensor (an initializer, a Constant, or folded from them), row-major */
  value?: number[];
}

/** One node with the types of its inputs and outputs, in execution order. */
export interface InferredNode {
  node: OnnxNode;
  /** '' for the main graph; `loop_1/body` for a node of a subgraph (the owning node's name and the attribute) */
  graphPath: string;
  /** types in `node.inputs` order; null for an omitted optional input or one whose type is unknown */
  inputs: (TensorType | null)[];
  outputs: (TensorType | null)[];
  /** for each input, the initializer (or Constant-produced tensor stored in the file) it reads, else null: the weights a node consumes */
  weights: (TensorInfo | null)[];
  /** inside a Loop or Scan body: its figures are per iteration */
  perIteration: boolean;
  /** every input is a weight (an initializer, a Constant's output, or another weight-only node's output):
   *  runtimes fold the node once at load time, and its outputs are weights of their readers */
  weightOnly?: boolean;
}

export interface InferDiagnostic {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  /** index into Inference.nodes of the node it is about, or -1 for the model (an unbound dim, a graph input) */
  node: number;
}

export interface Inference {
  nodes: InferredNode[];
  /** graph inputs (not initializers) with their bound types */
  inputs: { name: string; type: TensorType }[];
  diagnostics: InferDiagnostic[];
  /** symbolic dims no setting bound (their value was taken as 1) */
  unbound: string[];
}

/** How symbolic dimensions get values: `--dim seq=128`, and `--batch N` for the leading dim of each input. */
export interface DimBindings { dims: Record<string, number>; batch?: number }
