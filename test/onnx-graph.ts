// Builds in-memory ONNX models for tests: `model({ inputs, initializers, nodes })`. The same objects
// are encoded to real .onnx bytes by test/onnx-encode.ts.
import { FLOAT, type AttrValue, type Dim, type OnnxGraph, type OnnxModel, type TensorInfo, type ValueInfo } from '../server/src/onnx/model';

export interface GraphSpec {
  name?: string;
  /** [name, dims] or [name, dims, dtype] */
  inputs: ([string, Dim[]] | [string, Dim[], number])[];
  outputs?: ([string, Dim[] | null] | [string, Dim[] | null, number])[];
  /** [name, dims], [name, dims, values], [name, dims, values, dtype] */
  initializers?: ([string, number[]] | [string, number[], number[] | null] | [string, number[], number[] | null, number])[];
  /** [opType, inputs, outputs, attrs?, name?] */
  nodes: ([string, string[], string[]] | [string, string[], string[], Record<string, AttrValue>] | [string, string[], string[], Record<string, AttrValue>, string])[];
  valueInfo?: ([string, Dim[] | null] | [string, Dim[] | null, number])[];
}

export const tensor = (name: string, dims: number[], values: number[] | null = null, dtype = FLOAT): TensorInfo =>
  ({ name, dims, values, dtype, external: false });

const info = ([name, shape, dtype]: [string, Dim[] | null] | [string, Dim[] | null, number]): ValueInfo => ({ name, shape, dtype: dtype ?? FLOAT });

export function graph(spec: GraphSpec): OnnxGraph {
  return {
    name: spec.name ?? 'g',
    inputs: spec.inputs.map(info),
    outputs: (spec.outputs ?? []).map(info),
    valueInfo: (spec.valueInfo ?? []).map(info),
    initializers: new Map((spec.initializers ?? []).map(([n, dims, values, dtype]) => [n, tensor(n, dims, values ?? null, dtype ?? FLOAT)])),
    nodes: spec.nodes.map(([opType, inputs, outputs, attrs, name], index) => ({ index, opType, inputs, outputs, attrs: attrs ?? {}, name: name ?? `${opType.toLowerCase()}_${index}`, domain: '' })),
  };
}

export function model(spec: GraphSpec & { opset?: number }): OnnxModel {
  return {
    irVersion: 8, opsets: new Map([['', spec.opset ?? 17]]), producer: 'netcost-test', producerVersion: '0',
    graph: graph(spec), diagnostics: [], fileBytes: 0,
  };
}
