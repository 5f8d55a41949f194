// Random `.onnx` inputs: encoded models (the real exports of test/fixtures/onnx and synthetic graphs
// built with test/onnx-graph.ts) changed at the model level (huge dims, deep subgraph nesting, cycles,
// missing inputs, duplicate outputs, random op types and attributes) and then at the byte level
// (truncations, bit flips, byte insertions, length fields rewritten to huge values, spliced regions).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BOOL, FLOAT, INT64, type AttrValue, type OnnxGraph, type OnnxModel, type TensorInfo } from '../../server/src/onnx/model';
import { bytesSource, readModel } from '../../server/src/onnx/reader';
import { supportedOps } from '../../server/src/onnx/shapes';
import { encodeModel } from '../onnx-encode';
import { graph, model, tensor } from '../onnx-graph';
import type { Rng } from './prng';

const dir = join(__dirname, '..', 'fixtures', 'onnx');
/** the real exports, smallest first (the large ones are picked rarely: they cost 100+ ms a case) */
export const EXPORTS: { name: string; bytes: Uint8Array }[] = readdirSync(dir).filter((f) => f.endsWith('.onnx'))
  .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(dir, f))) })).sort((a, b) => a.bytes.length - b.bytes.length);

const OPS = supportedOps().filter((o) => !o.includes(':'));
const ODD_OPS = ['If', 'Loop', 'Scan', 'Custom', '', 'conv', 'Conv\u0000', '😀', 'com.microsoft:Attention', 'X'.repeat(300)];
/** dims that break arithmetic: zero, negative, beyond 2^31, 2^53, int64 */
export const HUGE_DIMS = [0, -1, -7, 1 << 30, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53 - 1, 2 ** 53 + 2, 2 ** 62, -(2 ** 62), 1e15];

// ---- synthetic seeds

function cnn(): OnnxModel {
  return model({
    inputs: [['x', ['batch', 3, 32, 32]]],
    outputs: [['y', ['batch', 10]]],
    initializers: [['w1', [16, 3, 3, 3]], ['b1', [16]], ['g', [16]], ['be', [16]], ['mu', [16]], ['va', [16]], ['w2', [10, 16]], ['b2', [10]],
      ['shape', [2], [1, -1], INT64], ['axes', [1], [1], INT64]],
    nodes: [
      ['Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }],
      ['BatchNormalization', ['c1', 'g', 'be', 'mu', 'va'], ['n1'], { epsilon: 1e-5 }],
      ['Relu', ['n1'], ['r1']],
      ['MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }],
      ['GlobalAveragePool', ['p1'], ['gp']],
      ['Reshape', ['gp', 'shape'], ['f']],
      ['Gemm', ['f', 'w2', 'b2'], ['gm'], { transB: 1 }],
      ['Softmax', ['gm'], ['y'], { axis: 1 }],
    ],
  });
}

function transformer(): OnnxModel {
  return model({
    inputs: [['x', ['batch', 'seq', 64]]],
    outputs: [['y', null]],
    initializers: [['wq', [64, 64]], ['bq', [64]], ['sc', [4, 16], null], ['ln_g', [64]], ['ln_b', [64]], ['heads', [4], [0, 0, 4, 16], INT64], ['perm', [1], [1], INT64]],
    nodes: [
      ['LayerNormalization', ['x', 'ln_g', 'ln_b'], ['ln'], { axis: -1, epsilon: 1e-5 }],
      ['MatMul', ['ln', 'wq'], ['q0']],
      ['Add', ['q0', 'bq'], ['q']],
      ['Reshape', ['q', 'heads'], ['qh']],
      ['Transpose', ['qh'], ['qt'], { perm: [0, 2, 1, 3] }],
      ['MatMul', ['qt', 'qt'], ['s'], {}],
      ['Softmax', ['s'], ['p'], { axis: -1 }],
      ['Erf', ['p'], ['e']],
      ['Unsqueeze', ['e', 'perm'], ['u']],
      ['Shape', ['u'], ['sh']],
      ['ConstantOfShape', ['sh'], ['y']],
    ],
  });
}

function subgraphs(): OnnxModel {
  const thenG = graph({ name: 'then', inputs: [], nodes: [['Relu', ['x'], ['t1']], ['Transpose', ['t1'], ['t2'], { perm: [1, 0] }]], outputs: [['t2', null]] });
  const elseG = graph({ name: 'else', inputs: [], nodes: [['Sigmoid', ['x'], ['e1']]], outputs: [['e1', null]] });
  const body = graph({
    name: 'body', inputs: [['i', [], INT64], ['cin', [], BOOL], ['v', [2, 3]]],
    nodes: [['Add', ['v', 'v'], ['v2']], ['Identity', ['cin'], ['cout']], ['Relu', ['v2'], ['s']]],
    outputs: [['cout', [], BOOL], ['v2', [2, 3]], ['s', [2, 3]]],
  });
  const scanBody = graph({ name: 'sb', inputs: [['h', [4]], ['xi', [4]]], nodes: [['Add', ['h', 'xi'], ['h2']], ['Tanh', ['h2'], ['yo']]], outputs: [['h2', [4]], ['yo', [4]]] });
  return model({
    inputs: [['x', [2, 3]], ['c', [], BOOL], ['M', [], INT64], ['h0', [4]], ['xs', [5, 4]]],
    outputs: [['z', null], ['ss', null], ['ys', null]],
    nodes: [
      ['If', ['c'], ['o'], { then_branch: thenG, else_branch: elseG }, 'cond'],
      ['Loop', ['M', '', 'x'], ['vf', 'ss'], { body }, 'loop'],
      ['Scan', ['h0', 'xs'], ['hf', 'ys'], { body: scanBody, num_scan_inputs: 1 }, 'scan'],
      ['Relu', ['o'], ['z']],
    ],
  });
}

function randomTensor(r: Rng, name: string): TensorInfo {
  const dims = Array.from({ length: r.int(0, 4) }, () => (r.chance(0.1) ? r.pick(HUGE_DIMS) : r.int(1, 8)));
  const n = dims.reduce((a, d) => a * d, 1);
  const dtype = r.pick([FLOAT, INT64, BOOL, 6, 10, 11, 99]);
  const small = n >= 0 && n <= 16 && dims.every((d) => d >= 0) && dtype !== 99;
  return tensor(name, dims, small ? Array.from({ length: n }, () => (dtype === BOOL ? r.int(0, 1) : dtype === FLOAT || dtype === 10 || dtype === 11 ? r() * 4 - 2 : r.int(-3, 8))) : null, dtype);
}

function randomAttr(r: Rng, depth: number): AttrValue {
  switch (r.int(0, 8)) {
    case 0: return r.chance(0.8) ? r.int(-4, 8) : r.pick(HUGE_DIMS);
    case 1: return r() * 10 - 5;
    case 2: return Array.from({ length: r.int(0, 8) }, () => (r.chance(0.9) ? r.int(-2, 5) : r.pick(HUGE_DIMS)));
    case 3: return Array.from({ length: r.int(1, 4) }, () => r() * 2);
    case 4: return r.pick(['NOTSET', 'SAME_UPPER', 'VALID', 'constant', 'nearest', 'linear', 'ij,jk->ik', 'bij,bjk->bik', '...ii->...i', 'abc', '', '->', '😀']);
    case 5: return ['a', 'b'];
    case 6: return randomTensor(r, '');
    case 7: return depth < 3 ? randomGraph(r, depth + 1).graph : 1;
    default: return [];
  }
}

const ATTR_NAMES = ['axis', 'axes', 'perm', 'kernel_shape', 'pads', 'strides', 'dilations', 'group', 'transA', 'transB', 'alpha', 'beta',
  'epsilon', 'auto_pad', 'mode', 'keepdims', 'value', 'to', 'equation', 'split', 'num_outputs', 'then_branch', 'else_branch', 'body',
  'num_scan_inputs', 'output_padding', 'output_shape', 'ceil_mode', 'count_include_pad', 'noop_with_empty_axes', 'num_heads', 'k', 'largest'];

/** A random graph over supported ops: each node reads earlier tensors (sometimes later ones or unknown names). */
export function randomGraph(r: Rng, depth = 0): { graph: OnnxGraph; opset: number } {
  const names = ['x', 'w'];
  const nodes: [string, string[], string[], Record<string, AttrValue>][] = [];
  const n = r.int(1, depth ? 4 : 25);
  for (let i = 0; i < n; i++) {
    const op = r.chance(0.93) ? r.pick(OPS) : r.pick(ODD_OPS);
    const inputs = Array.from({ length: r.int(0, 4) }, () => (r.chance(0.9) ? r.pick(names) : r.chance(0.5) ? `later_${r.int(0, n)}` : r.chance(0.5) ? '' : 'missing'));
    const outputs = Array.from({ length: r.int(0, 3) || 1 }, (_, k) => (r.chance(0.05) ? r.pick(names) : `t${i}_${k}`));
    const attrs: Record<string, AttrValue> = {};
    for (let k = r.int(0, 3); k > 0; k--) attrs[r.pick(ATTR_NAMES)] = randomAttr(r, depth);
    nodes.push([op, inputs, outputs, attrs]);
    names.push(...outputs.map((o) => o.replace(/^t(\d+)_/, `t$1_`)));
    if (r.chance(0.1)) names.push(`later_${i + 1}`);
  }
  const rank = r.int(0, 5);
  const g = graph({
    name: `r${depth}`,
    inputs: [['x', Array.from({ length: rank }, () => (r.chance(0.1) ? r.pick(['batch', 'seq', '']) : r.chance(0.05) ? r.pick(HUGE_DIMS) : r.int(1, 16)))]],
    initializers: r.chance(0.8) ? [['w', Array.from({ length: r.int(1, 4) }, () => r.int(1, 8))]] : [],
    outputs: [[names[names.length - 1], null]],
    nodes,
  });
  return { graph: g, opset: r.pick([7, 9, 11, 13, 17, 18, 21, 25]) };
}

// ---- model-level mutations

const allGraphs = (g: OnnxGraph, out: OnnxGraph[] = []): OnnxGraph[] => {
  out.push(g);
  for (const n of g.nodes) for (const v of Object.values(n.attrs)) {
    if (Array.isArray(v)) { for (const x of v) if (typeof x === 'object' && 'nodes' in x) allGraphs(x, out); }
    else if (typeof v === 'object' && 'nodes' in v) allGraphs(v, out);
  }
  return out;
};

function mutateModel(m: OnnxModel, r: Rng): void {
  const g = r.pick(allGraphs(m.graph));
  const node = () => g.nodes[r.int(0, g.nodes.length - 1)];
  switch (r.int(0, 11)) {
    case 0: { // huge dims on an input, an initializer or a value_info
      const vi = r.pick([...g.inputs, ...g.valueInfo, ...g.outputs].filter((v) => v.shape)) ?? g.inputs[0];
      if (vi?.shape?.length) vi.shape[r.int(0, vi.shape.length - 1)] = r.pick(HUGE_DIMS);
      else if (vi) vi.shape = Array.from({ length: r.int(0, 70) }, () => r.int(1, 3));
      const t = r.pick([...g.initializers.values()]);
      if (t && t.dims.length && r.chance(0.5)) { t.dims[r.int(0, t.dims.length - 1)] = r.pick(HUGE_DIMS); t.values = null; }
      return;
    }
    case 1: { // deep nesting: the main graph inside a chain of If branches
      let inner = m.graph;
      for (let d = r.pick([5, 17, 33, 40, 120]); d > 0; d--) {
        const leaf = graph({ name: `leaf${d}`, inputs: [], nodes: [], outputs: [[inner.outputs[0]?.name ?? 'x', null]] });
        inner = { ...inner, name: `g${d}` };
        const outer = graph({ name: `n${d}`, inputs: inner.inputs.map((v) => [v.name, v.shape ?? []] as [string, number[]]), nodes: [['If', ['c'], [`y${d}`], { then_branch: inner, else_branch: leaf }]], outputs: [[`y${d}`, null]] });
        outer.initializers = inner.initializers;
        inner = outer;
      }
      m.graph = inner;
      return;
    }
    case 2: { // a cycle: an early node reads a later node's output
      if (g.nodes.length < 2) return;
      const a = r.int(0, g.nodes.length - 2), b = r.int(a + 1, g.nodes.length - 1);
      if (g.nodes[a].inputs.length && g.nodes[b].outputs.length) g.nodes[a].inputs[0] = g.nodes[b].outputs[0];
      else g.nodes[a].inputs.push(g.nodes[b].outputs[0] ?? 'z');
      if (r.chance(0.3)) g.nodes[a].inputs.push(g.nodes[a].outputs[0] ?? 'self'); // a node reading itself
      return;
    }
    case 3: { const n = node(); if (n?.inputs.length) n.inputs[r.int(0, n.inputs.length - 1)] = r.pick(['missing', '', 'x', '\u0000']); return; }
    case 4: { // duplicate outputs
      if (g.nodes.length >= 2) node().outputs[0] = node().outputs[0] ?? 'dup';
      g.outputs.push(...g.outputs);
      return;
    }
    case 5: { const n = node(); if (n) n.opType = r.chance(0.8) ? r.pick(OPS) : r.pick(ODD_OPS); return; }
    case 6: { const n = node(); if (n) n.attrs[r.pick(ATTR_NAMES)] = randomAttr(r, 1); return; }
    case 7: { const n = node(); if (n) { n.inputs = n.inputs.slice(0, r.int(0, n.inputs.length)); if (r.chance(0.5)) n.outputs = []; } return; }
    case 8: for (let i = g.nodes.length - 1; i > 0; i--) { const j = r.int(0, i); [g.nodes[i], g.nodes[j]] = [g.nodes[j], g.nodes[i]]; } return;
    case 9: g.nodes.splice(r.int(0, g.nodes.length), r.int(1, 5)); return;
    case 10: { // dtypes the tables do not know, and initializers shadowing inputs
      const vi = r.pick(g.inputs);
      if (vi) vi.dtype = r.pick([0, 8, 14, 15, 23, 26, 99, 1 << 20]);
      if (vi && r.chance(0.5)) g.initializers.set(vi.name, tensor(vi.name, [2, 2]));
      return;
    }
    default: { // many copies of the graph's nodes (wide graphs)
      const k = r.int(2, 40);
      const copy = g.nodes.slice(0, 50);
      for (let i = 0; i < k; i++) g.nodes.push(...copy.map((n) => ({ ...n, index: g.nodes.length, name: `${n.name}_${i}` })));
      return;
    }
  }
}

// ---- byte-level mutations

/** A length-delimited field: the position of its length varint and of its payload. */
interface LenField { lenStart: number; lenEnd: number; dataEnd: number }

function varint(b: Uint8Array, pos: number, end: number): [number, number] | null {
  let v = 0, mul = 1;
  for (let i = 0; i < 10 && pos < end; i++) {
    const x = b[pos++];
    v += (x & 0x7f) * mul;
    mul *= 128;
    if (x < 0x80) return [v, pos];
  }
  return null;
}

/** The length fields of a protobuf message, recursively where a payload parses as a message. */
export function lengthFields(b: Uint8Array, start = 0, end = b.length, depth = 0, out: LenField[] = []): LenField[] | null {
  let pos = start;
  const mine: LenField[] = [];
  while (pos < end) {
    const tag = varint(b, pos, end);
    if (!tag || tag[0] < 8) return null;
    pos = tag[1];
    switch (tag[0] % 8) {
      case 0: { const v = varint(b, pos, end); if (!v) return null; pos = v[1]; break; }
      case 1: pos += 8; break;
      case 5: pos += 4; break;
      case 2: {
        const l = varint(b, pos, end);
        if (!l || l[1] + l[0] > end) return null;
        mine.push({ lenStart: pos, lenEnd: l[1], dataEnd: l[1] + l[0] });
        pos = l[1] + l[0];
        break;
      }
      default: return null;
    }
  }
  if (pos !== end) return null;
  out.push(...mine);
  if (depth < 40 && out.length < 20_000) for (const f of mine) if (f.dataEnd - f.lenEnd >= 2) lengthFields(b, f.lenEnd, f.dataEnd, depth + 1, out);
  return out;
}

const encodeVarint = (v: bigint): number[] => {
  const out: number[] = [];
  do { let x = Number(v & 0x7fn); v >>= 7n; if (v > 0n) x |= 0x80; out.push(x); } while (v > 0n);
  return out;
};

const HUGE_LENGTHS = [2n ** 31n, 2n ** 31n - 1n, 2n ** 32n + 5n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 64n - 1n, 0n, 1n];

function mutateBytes(b: Uint8Array, r: Rng, other: () => Uint8Array): Uint8Array {
  const at = r.int(0, b.length);
  const cat = (...parts: (Uint8Array | number[])[]) => {
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  };
  switch (r.weighted([4, 5, 3, 2, 7, 2, 2, 1])) {
    case 0: return b.subarray(0, r.chance(0.5) ? at : r.int(0, Math.min(b.length, 64))); // truncation
    case 1: { // bit flips
      const c = b.slice();
      for (let k = r.int(1, 8); k > 0 && c.length; k--) c[r.int(0, c.length - 1)] ^= 1 << r.int(0, 7);
      return c;
    }
    case 2: return cat(b.subarray(0, at), Array.from({ length: r.int(1, 8) }, () => r.int(0, 255)), b.subarray(at));
    case 3: return cat(b.subarray(0, at), b.subarray(Math.min(b.length, at + r.int(1, 16))));
    case 4: { // a length field rewritten: huge (a file that claims gigabytes), or off by one
      const fields = lengthFields(b);
      if (!fields?.length) return b;
      const f = r.chance(0.2) ? fields[0] : r.pick(fields);
      const len = varint(b, f.lenStart, f.lenEnd)![0];
      const v = r.chance(0.7) ? r.pick(HUGE_LENGTHS) : BigInt(Math.max(0, len + r.pick([-2, -1, 1, 2, 1000])));
      return cat(b.subarray(0, f.lenStart), encodeVarint(v), b.subarray(f.lenEnd));
    }
    case 5: { // a tag rewritten (wire types 3, 4, 6, 7 and field 0 are invalid)
      const fields = lengthFields(b);
      if (!fields?.length) return b;
      const f = r.pick(fields);
      const c = b.slice();
      let p = f.lenStart - 1;
      while (p > 0 && c[p - 1] >= 0x80) p--;
      c[p] = r.int(0, 255);
      return c;
    }
    case 6: { const o = other(); const k = r.int(0, o.length); return cat(b.subarray(0, at), o.subarray(k, k + r.int(1, 4096))); } // spliced
    default: { const len = r.int(1, 256); return cat(b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)); } // a region doubled
  }
}

export interface OnnxCaseInput { bytes: Uint8Array; batch?: number; dims?: Record<string, number>; dtype?: 'fp16' | 'int8' }

/** whether writing zero bytes for every tensor without values would be too large (or impossible: negative dims) */
const tooBigToZero = (m: OnnxModel) => allGraphs(m.graph).some((g) => {
  const tensors = [...g.initializers.values()];
  for (const n of g.nodes) for (const v of Object.values(n.attrs)) for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'object' && 'dims' in x) tensors.push(x);
  return tensors.some((t) => t.values === null && t.dims.reduce((a, d) => a * d, 1) > 1 << 20 || t.dims.some((d) => d < 0));
});

/** One case: an encoded seed, changed at the model level, then at the byte level. */
export function onnxCase(r: Rng): OnnxCaseInput {
  const pickExport = () => EXPORTS[r.weighted(EXPORTS.map((_, i) => (i < EXPORTS.length - 2 ? 10 : 1)))];
  let bytes: Uint8Array;
  const source = r.weighted([4, 3, 2]);
  if (source === 0 && !r.chance(0.5)) bytes = pickExport().bytes;
  else {
    const m = source === 0 ? readModel(bytesSource(pickExport().bytes)) : source === 1 ? r.pick([cnn, transformer, subgraphs])() : (() => {
      const g = randomGraph(r);
      const mm = model({ inputs: [], nodes: [], opset: g.opset });
      mm.graph = g.graph;
      return mm;
    })();
    for (let k = r.weighted([2, 4, 2, 1]); k > 0; k--) mutateModel(m, r);
    bytes = encodeModel(m, { weightBytes: source === 0 || tooBigToZero(m) ? 'none' : 'zeros', typedData: r.chance(0.2), omitAttrType: r.chance(0.05) });
  }
  for (let k = r.weighted([2, 5, 2, 1]); k > 0; k--) bytes = mutateBytes(bytes, r, () => r.pick(EXPORTS).bytes);
  const input: OnnxCaseInput = { bytes };
  if (r.chance(0.3)) input.batch = r.pick([1, 8, 1 << 20, 2 ** 40]);
  if (r.chance(0.3)) input.dims = { batch: r.pick([1, 4, 2 ** 45]), seq: r.pick([1, 128, 2 ** 31]) };
  if (r.chance(0.2)) input.dtype = r.pick(['fp16', 'int8'] as const);
  return input;
}
