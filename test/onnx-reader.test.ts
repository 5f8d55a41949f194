// The lazy ONNX reader (server/src/onnx/reader.ts): round trips through real .onnx bytes (test/onnx-encode.ts),
// every attribute type, subgraphs, small-tensor values, weights never read, external data, unknown
// dtypes, and hostile files (prefixes, garbage, huge lengths, deep nesting, bit flips) that must give
// diagnostics, never a throw or a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Long from 'long';
import { onnx } from 'onnx-proto';
import { SMALL_FLOAT_TENSOR, SMALL_TENSOR, type OnnxGraph, type OnnxModel, type TensorInfo } from '../server/src/onnx/model';
import { bytesSource, fileSource, readModel, readModelFile, type ByteSource } from '../server/src/onnx/reader';
import { graph, model, tensor } from './onnx-graph';
import { encodeModel, writeModel, varint, ld, str } from './onnx-encode';

// ---- helpers

const read = (b: Uint8Array, limits = {}): OnnxModel => readModel(bytesSource(b), limits);
const codes = (m: OnnxModel): string[] => m.diagnostics.map((d) => d.code);
const errors = (m: OnnxModel): string[] => m.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);

/** a ByteSource that counts the bytes it hands out */
function counting(src: ByteSource): ByteSource & { bytes: number; reads: number } {
  const c = {
    size: src.size, bytes: 0, reads: 0,
    read(offset: number, length: number): Uint8Array { const b = src.read(offset, length); c.bytes += b.length; c.reads++; return b; },
  };
  return c;
}

/** ir_version 8 and opset_import { version 17 }: the head of a hand-built model */
const HEAD = [0x08, 0x08, ...ld(8, [0x10, 17])];

/** the model as the reader returns it: a small tensor whose values are null (zeros written) reads as zeros */
function asRead(g: OnnxGraph): OnnxGraph {
  const t = (x: TensorInfo): TensorInfo => {
    const n = x.dims.reduce((a, d) => a * d, 1);
    const limit = [1, 10].includes(x.dtype) ? SMALL_FLOAT_TENSOR : SMALL_TENSOR;
    return x.values === null && !x.external && n <= limit && [1, 6, 7, 10].includes(x.dtype) ? { ...x, values: new Array<number>(n).fill(0) } : x;
  };
  const attr = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(attr);
    if (typeof v === 'object' && v !== null && 'nodes' in v) return asRead(v as OnnxGraph);
    if (typeof v === 'object' && v !== null && 'dims' in v) return t(v as TensorInfo);
    return v;
  };
  return {
    ...g,
    initializers: new Map([...g.initializers].map(([k, v]) => [k, t(v)])),
    nodes: g.nodes.map((n) => ({ ...n, attrs: Object.fromEntries(Object.entries(n.attrs).map(([k, v]) => [k, attr(v)])) as typeof n.attrs })),
  };
}

/** a small CNN-like model used by several tests */
const small = (): OnnxModel => model({
  inputs: [['x', ['batch', 3, 32, 32]]],
  initializers: [['w1', [16, 3, 3, 3]], ['b1', [16]], ['w2', [10, 16]], ['shape', [2], [1, -1], 7]],
  nodes: [
    ['Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }],
    ['Relu', ['c1'], ['r1']],
    ['GlobalAveragePool', ['r1'], ['p1']],
    ['Reshape', ['p1', 'shape'], ['f1']],
    ['Gemm', ['f1', 'w2'], ['y'], { transB: 1, alpha: 1 }],
  ],
  outputs: [['y', ['batch', 10]]],
  valueInfo: [['c1', ['batch', 16, 32, 32]], ['r1', null]],
});

// ---- round trips

test('round trip: structure, dims (number, dim_param, unknown), opsets, producer, file size', () => {
  const m = small();
  m.opsets = new Map([['ai.onnx', 13], ['com.microsoft', 1]]);
  m.graph.inputs.push({ name: 'mask', dtype: 9, shape: [null, 'seq'] });
  m.graph.nodes[1].domain = 'ai.onnx';
  const bytes = encodeModel(m);
  const r = read(bytes);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.fileBytes, bytes.length);
  assert.equal(r.irVersion, 8);
  assert.deepEqual(r.opsets, new Map([['', 13], ['com.microsoft', 1]]));
  assert.equal(r.producer, 'netcost-test');
  assert.equal(r.producerVersion, '0');
  m.graph.nodes[1].domain = '';
  assert.deepEqual(r.graph, asRead(m.graph));
  assert.deepEqual(r.graph.inputs[1], { name: 'mask', dtype: 9, shape: [null, 'seq'] });
  assert.deepEqual(r.graph.valueInfo[1], { name: 'r1', dtype: 1, shape: null });
  assert.deepEqual(r.graph.initializers.get('shape')?.values, [1, -1]);
});

test('the same model through a file, readModelFile and fileSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netcost-reader-'));
  try {
    const file = join(dir, 'm.onnx');
    const bytes = writeModel(file, small());
    const r = readModelFile(file);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.fileBytes, bytes.length);
    assert.deepEqual(r.graph, read(bytes).graph);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('attributes of every type, with and without AttributeProto.type', () => {
  const sub = graph({ name: 'sub', inputs: [], nodes: [['Identity', ['x'], ['y']]], outputs: [['y', [1]]] });
  const attrs = {
    f: 0.5, i: -3, s: 'linear', t: tensor('t', [3], [1, 2, 3], 7), g: sub,
    fs: [0.25, 1.5], is: [1, -2, 3000000000], ss: ['a', 'bé'], ts: [tensor('u', [1], [2.5]), tensor('v', [2], [1, 2], 6)], gs: [sub, sub],
  };
  for (const omitAttrType of [false, true]) {
    const m = model({ inputs: [['x', [1]]], nodes: [['Custom', ['x'], ['y'], attrs]] });
    const r = read(encodeModel(m, { floatAttrs: ['f', 'fs'], omitAttrType }));
    assert.deepEqual(r.diagnostics, [], `omitAttrType ${omitAttrType}`);
    assert.deepEqual(r.graph.nodes[0].attrs, attrs, `omitAttrType ${omitAttrType}`);
  }
});

test('int64 attributes at the limits are numbers; a float attribute is a float32', () => {
  const bytes = onnx.ModelProto.encode({
    irVersion: 7, opsetImport: [{ domain: '', version: 11 }],
    graph: { name: 'g', node: [{ opType: 'Slice', input: ['x'], output: ['y'], attribute: [
      { name: 'ends', type: onnx.AttributeProto.AttributeType.INTS, ints: [Long.MAX_VALUE, Long.MIN_VALUE, -1] },
      { name: 'end', type: onnx.AttributeProto.AttributeType.INT, i: Long.MAX_VALUE },
      { name: 'eps', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1e-5 },
    ] }] },
  }).finish();
  const r = read(bytes);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.graph.nodes[0].attrs, { ends: [9223372036854775807, -9223372036854775808, -1], end: 9223372036854775807, eps: Math.fround(1e-5) });
  assert.equal(r.graph.nodes[0].attrs.end, 9.223372036854776e18);
});

test('subgraphs: If branches and a Loop body with an If inside, their own initializers and nodes', () => {
  const thenG = graph({ name: 'then', inputs: [], initializers: [['k', [1], [2]]], nodes: [['Mul', ['x', 'k'], ['t_out']]], outputs: [['t_out', [4]]] });
  const elseG = graph({ name: 'else', inputs: [], nodes: [['Neg', ['x'], ['e_out']]], outputs: [['e_out', [4]]] });
  const body = graph({
    name: 'body', inputs: [['iter', [], 7], ['cond_in', [], 9], ['acc', [4]]],
    nodes: [['If', ['cond_in'], ['v'], { then_branch: thenG, else_branch: elseG }], ['Add', ['acc', 'v'], ['acc_out']], ['Identity', ['cond_in'], ['cond_out']]],
    outputs: [['cond_out', [], 9], ['acc_out', [4]]],
  });
  const m = model({
    inputs: [['x', [4]], ['trip', [], 7], ['cond', [], 9]],
    nodes: [['Loop', ['trip', 'cond', 'x'], ['y'], { body }]],
    outputs: [['y', [4]]],
  });
  const r = read(encodeModel(m));
  assert.deepEqual(r.diagnostics, []);
  const b = r.graph.nodes[0].attrs.body as OnnxGraph;
  assert.equal(b.name, 'body');
  assert.deepEqual(b.nodes.map((n) => n.opType), ['If', 'Add', 'Identity']);
  const t = b.nodes[0].attrs.then_branch as OnnxGraph;
  assert.deepEqual(t.initializers.get('k'), tensor('k', [1], [2]));
  assert.deepEqual(r.graph, asRead(m.graph));
});

// ---- tensor values

test('small tensors: values of every decoded dtype, from raw_data and from the typed fields', () => {
  const cases: [number, number[]][] = [
    [1, [1.5, -2, 0, 3.25]], [7, [1, -1, 9007199254740991, -9007199254740991]], [10, [1, -2, 0.5, 65504]],
    [6, [-7, 2147483647]], [3, [-128, 127]], [2, [0, 255]], [5, [-32768, 5]], [4, [65535, 1]], [9, [1, 0]],
    [11, [0.1, -1e300]], [12, [4294967295, 0]], [13, [9007199254740991, 1]], [16, [1, -2.5]],
  ];
  for (const typedData of [false, true]) {
    const m = model({ inputs: [], nodes: [], initializers: cases.map(([dt, v], k) => [`t${k}`, [v.length], v, dt]) });
    const r = read(encodeModel(m, { typedData }));
    assert.deepEqual(r.diagnostics, [], `typedData ${typedData}`);
    cases.forEach(([dt, v], k) => assert.deepEqual(r.graph.initializers.get(`t${k}`), { name: `t${k}`, dtype: dt, dims: [v.length], values: v, external: false }, `dtype ${dt} typedData ${typedData}`));
  }
});

test('a scalar, an empty tensor, and a Constant value are read; SMALL_TENSOR (SMALL_FLOAT_TENSOR for floats) is the boundary', () => {
  const big = new Array<number>(SMALL_TENSOR + 1).fill(0);
  const m = model({
    inputs: [], initializers: [['s', [], [42], 7], ['e', [0, 3], []], ['at', [SMALL_TENSOR], big.slice(1), 7], ['over', [SMALL_TENSOR + 1], big, 7],
      ['fat', [SMALL_FLOAT_TENSOR], big.slice(0, SMALL_FLOAT_TENSOR)], ['fover', [SMALL_FLOAT_TENSOR + 1], big.slice(0, SMALL_FLOAT_TENSOR + 1)]],
    nodes: [['Constant', [], ['c'], { value: tensor('value', [2], [3, 4], 7) }], ['ConstantOfShape', ['c'], ['z'], { value: tensor('value', [1], [0.5]) }]],
  });
  const r = read(encodeModel(m));
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.graph.initializers.get('s')?.values, [42]);
  assert.deepEqual(r.graph.initializers.get('e')?.values, []);
  assert.equal(r.graph.initializers.get('at')?.values?.length, SMALL_TENSOR);
  assert.equal(r.graph.initializers.get('over')?.values, null);
  assert.equal(r.graph.initializers.get('fat')?.values?.length, SMALL_FLOAT_TENSOR);
  assert.equal(r.graph.initializers.get('fover')?.values, null); // a float vector of 65 is a bias: a weight, never read
  assert.deepEqual(r.graph.nodes[0].attrs.value, tensor('value', [2], [3, 4], 7));
  assert.deepEqual(r.graph.nodes[1].attrs.value, tensor('value', [1], [0.5]));
});

test('a 50 MB initializer is never read: values null, few bytes read, fast', () => {
  const n = 12_500_000; // 50 MB of float32
  const m = model({ inputs: [['x', [1, n]]], initializers: [['w', [n, 1]], ['b', [1], [0.5]]], nodes: [['MatMul', ['x', 'w'], ['y']], ['Add', ['y', 'b'], ['z']]] });
  const bytes = encodeModel(m);
  assert.ok(bytes.length > 50_000_000);
  const src = counting(bytesSource(bytes));
  const t0 = performance.now();
  const r = readModel(src);
  const ms = performance.now() - t0;
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.graph.initializers.get('w'), tensor('w', [n, 1]));
  assert.deepEqual(r.graph.initializers.get('b')?.values, [0.5]);
  assert.ok(src.bytes < 300_000, `${src.bytes} bytes handed out`);
  assert.ok(ms < 500, `${ms} ms`);
  // the same through a file: the file source reads a few windows, not the weights
  const dir = mkdtempSync(join(tmpdir(), 'netcost-reader-'));
  try {
    const file = join(dir, 'big.onnx');
    writeFileSync(file, bytes);
    const fsrc = fileSource(file);
    try {
      const rf = readModel(fsrc);
      assert.deepEqual(rf.graph, r.graph);
      assert.equal(rf.fileBytes, bytes.length);
      assert.ok(fsrc.bytesRead < 300_000, `${fsrc.bytesRead} bytes read of ${bytes.length}`);
    } finally { fsrc.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('external data: analysed without the side file, values never read', () => {
  const m = model({ inputs: [['x', [1, 64]]], initializers: [['w', [64, 64]], ['b', [64], new Array<number>(64).fill(1)]], nodes: [['Gemm', ['x', 'w', 'b'], ['y']]] });
  const r = read(encodeModel(m, { external: ['w', 'b'] }));
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.graph.initializers.get('w'), { ...tensor('w', [64, 64]), external: true });
  assert.deepEqual(r.graph.initializers.get('b'), { ...tensor('b', [64]), external: true });
});

test('an unknown data_type number (40) is kept, in an initializer and a value info', () => {
  const m = model({ inputs: [['x', [2, 3], 40]], initializers: [['q', [4, 4], null, 40]], nodes: [['Identity', ['x'], ['y']]] });
  const r = read(encodeModel(m));
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.graph.initializers.get('q'), tensor('q', [4, 4], null, 40));
  assert.deepEqual(r.graph.inputs[0], { name: 'x', dtype: 40, shape: [2, 3] });
});

test('a float8 tensor (dtype 17, unknown to the bundled proto) keeps its dtype; its values are not decoded', () => {
  const m = model({ inputs: [], initializers: [['f8', [8], null, 17]], nodes: [] });
  const r = read(encodeModel(m));
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.graph.initializers.get('f8'), tensor('f8', [8], null, 17));
});

test('stripped weights (no data at all) read as dims only, without a diagnostic', () => {
  const r = read(encodeModel(small(), { weightBytes: 'none' }));
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.graph.initializers.get('w1')?.values, null);
  assert.deepEqual(r.graph.initializers.get('shape')?.values, [1, -1]);
});

test('raw data whose size does not match the dims: onnx-data-size, values null', () => {
  const bytes = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', initializer: [{ name: 'w', dims: [4], dataType: 1, rawData: new Uint8Array(12) }, { name: 'k', dims: [3], dataType: 7, int64Data: [1, 2] }] } }).finish();
  const r = read(bytes);
  assert.deepEqual(codes(r), ['onnx-data-size', 'onnx-data-size']);
  assert.equal(r.graph.initializers.get('w')?.values, null);
  assert.equal(r.graph.initializers.get('k')?.values, null);
});

test('a negative or huge dim in an initializer: onnx-bad-dim and the tensor is dropped', () => {
  const bytes = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', initializer: [
    { name: 'neg', dims: [-1, 3], dataType: 1 }, { name: 'huge', dims: [Long.fromString('9007199254740993')], dataType: 1 }, { name: 'ok', dims: [2], dataType: 1 },
  ] } }).finish();
  const r = read(bytes);
  assert.deepEqual(codes(r), ['onnx-bad-dim', 'onnx-bad-dim']);
  assert.deepEqual([...r.graph.initializers.keys()], ['ok']);
});

// ---- limits

test('limits: nodes, string length, rank, depth give onnx-limit naming the limit', () => {
  const m = small();
  let r = read(encodeModel(m), { nodes: 2 });
  assert.deepEqual(codes(r), ['onnx-limit']);
  assert.match(r.diagnostics[0].message, /'nodes' \(2\)/);
  assert.deepEqual(r.graph.nodes.map((n) => n.opType), ['Conv', 'Relu']);
  r = read(encodeModel(model({ inputs: [['x'.repeat(100), [1]]], nodes: [] })), { stringBytes: 50 });
  assert.deepEqual(codes(r), ['onnx-limit']);
  assert.match(r.diagnostics[0].message, /'stringBytes'/);
  r = read(encodeModel(model({ inputs: [['x', [1, 2, 3, 4, 5]]], initializers: [['w', [1, 1, 1, 1, 1]]], nodes: [] })), { rank: 4 });
  assert.deepEqual(codes(r), ['onnx-limit', 'onnx-limit']);
  assert.equal(r.graph.inputs[0].shape, null);
  assert.equal(r.graph.initializers.size, 0);
});

/** a graph nested `depth` times through If then_branch attributes, built as an object */
function nestedIf(depth: number): OnnxGraph {
  let g = graph({ name: `g${depth}`, inputs: [], nodes: [['Identity', ['x'], ['y']]] });
  for (let d = depth - 1; d >= 0; d--) g = graph({ name: `g${d}`, inputs: [], nodes: [['If', ['c'], ['y'], { then_branch: g, else_branch: g }]] });
  return g;
}
const depthOf = (g: OnnxGraph): number => {
  const sub = g.nodes.flatMap((n) => Object.values(n.attrs)).filter((v): v is OnnxGraph => typeof v === 'object' && v !== null && 'nodes' in v);
  return sub.length ? 1 + Math.max(...sub.map(depthOf)) : 0;
};

test('subgraphs nested beyond the depth limit: onnx-limit, the rest is read', () => {
  const m = model({ inputs: [], nodes: [] });
  m.graph = nestedIf(10);
  const r = read(encodeModel(m), { depth: 4 });
  assert.ok(codes(r).every((c) => c === 'onnx-limit') && r.diagnostics.length >= 1, JSON.stringify(r.diagnostics));
  assert.match(r.diagnostics[0].message, /'subgraphDepth' \(4\)/); // the reader's `depth` is the limit `subgraphDepth`
  assert.equal(depthOf(r.graph), 4);
  assert.equal(depthOf(read(encodeModel(m)).graph), 10);
});

test('hostile nesting 100,000 deep: no stack overflow, the default depth limit (32) holds', () => {
  // graph { node { attribute { name "g", g graph { ... } } } }, built from the inside out
  // (each level is a prefix of tags and lengths in front of the inner graph: collected, then joined once)
  const core = ld(1, ld(4, str('Identity')));
  const prefixes: number[][] = [];
  let inner = core.length;
  for (let d = 0; d < 100_000; d++) {
    const attrLen = ld(1, str('g')).length + 1 + varint(inner).length + inner;
    const nodeLen = ld(4, str('If')).length + 1 + varint(attrLen).length + attrLen;
    const p = [0x0a, ...varint(nodeLen), ...ld(4, str('If')), 0x2a, ...varint(attrLen), ...ld(1, str('g')), 0x32, ...varint(inner)];
    prefixes.push(p);
    inner = p.length + inner;
  }
  const g = new Uint8Array(inner);
  let at = 0;
  for (let d = prefixes.length - 1; d >= 0; d--) { g.set(prefixes[d], at); at += prefixes[d].length; }
  g.set(core, at);
  const bytes = new Uint8Array([...HEAD, 0x3a, ...varint(g.length), ...g]);
  const t0 = performance.now();
  const r = read(bytes);
  assert.ok(performance.now() - t0 < 2000);
  assert.deepEqual(codes(r), ['onnx-limit']);
  assert.equal(depthOf(r.graph), 32);
});

// ---- malformed files

test('every prefix of a model: a diagnostic, never a throw, the nodes read are a prefix of the nodes', () => {
  const bytes = encodeModel(small(), { weightBytes: 'none' });
  const full = read(bytes);
  assert.deepEqual(full.diagnostics, []);
  const t0 = performance.now();
  for (let n = 0; n < bytes.length; n++) {
    const r = read(bytes.subarray(0, n));
    // the graph comes before opset_import (field order): a cut between them loses only the opsets
    assert.ok(errors(r).length > 0 || codes(r).join() === 'onnx-no-opset', `prefix ${n}: ${JSON.stringify(r.diagnostics)}`);
    assert.ok(r.diagnostics.every((d) => ['onnx-truncated', 'onnx-not-a-model', 'onnx-malformed', 'onnx-no-opset'].includes(d.code)), `prefix ${n}: ${JSON.stringify(r.diagnostics)}`);
    assert.deepEqual(r.graph.nodes, full.graph.nodes.slice(0, r.graph.nodes.length), `prefix ${n}`);
    assert.equal(r.fileBytes, n);
  }
  assert.ok(performance.now() - t0 < 5000);
  // the cut is reported with its offset, and what was read is kept
  const cut = read(bytes.subarray(0, bytes.length - 3));
  assert.equal(cut.diagnostics[0].code, 'onnx-truncated');
  assert.equal(typeof cut.diagnostics[0].offset, 'number');
  assert.ok(cut.graph.nodes.length >= 3, `${cut.graph.nodes.length} nodes kept`);
});

test('not a model: empty, text, PNG, zip, JSON, random bytes', () => {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
  const zip = [0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0];
  const inputs = [[], str('hello, this is not a model\n'), png, zip, str('{"graph": {}}'), str('# a .net file\ninput x: 3 x 8 x 8\n')];
  for (const b of inputs) {
    const r = read(new Uint8Array(b));
    assert.deepEqual(codes(r), ['onnx-not-a-model'], String.fromCharCode(...b.slice(0, 8)));
    assert.equal(r.graph.nodes.length, 0);
  }
  // a 20 MB PNG-like file is rejected from its first bytes
  const big = new Uint8Array(20_000_000);
  big.set(png);
  const src = counting(bytesSource(big));
  assert.deepEqual(codes(readModel(src)), ['onnx-not-a-model']);
  assert.ok(src.bytes <= 64 * 1024);
});

test('a length field claiming 2 GB: onnx-truncated at its offset, the graph read as far as it goes', () => {
  const full = read(encodeModel(small(), { weightBytes: 'none' }));
  const graphBytes = onnx.GraphProto.encode({ name: 'g', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }, { opType: 'Relu', input: ['y'], output: ['z'] }] }).finish();
  const head = HEAD;
  const bytes = new Uint8Array([...head, 0x3a, ...varint(2 ** 31), ...graphBytes]);
  const r = read(bytes);
  assert.deepEqual(codes(r), ['onnx-truncated']);
  assert.equal(r.diagnostics[0].offset, head.length);
  assert.deepEqual(r.graph.nodes.map((n) => n.inputs[0]), ['x', 'y']);
  assert.ok(full.graph.nodes.length > 0);
  // a 2 GB raw_data inside an initializer of a well-formed graph: the initializer is dropped
  const t = [0x08, 4, ...ld(8, str('w')), 0x4a, ...varint(2 ** 31), 1, 2, 3];
  const r2 = read(new Uint8Array([...head, ...ld(7, [...ld(5, t), ...ld(2, str('g'))])]));
  assert.deepEqual(codes(r2), ['onnx-truncated']);
  assert.equal(r2.graph.initializers.size, 0);
});

test('invalid wire types and over-long varints: onnx-malformed', () => {
  // field 7 with wire type 7
  let r = read(new Uint8Array([0x08, 0x08, 0x3f, 1, 2, 3]));
  assert.deepEqual(codes(r), ['onnx-malformed', 'onnx-not-a-model']);
  // an 11-byte varint
  r = read(new Uint8Array([0x08, ...new Array<number>(11).fill(0xff), 0x01]));
  assert.deepEqual(codes(r), ['onnx-malformed', 'onnx-not-a-model']);
  // a malformed node inside a good graph is dropped, the others are kept
  const node = (op: string): number[] => ld(1, ld(4, str(op)));
  const bad = ld(1, [...ld(4, str('Bad')), 0x0f]); // field 1 wire type 7
  r = read(new Uint8Array([...HEAD, ...ld(7, [...node('A'), ...bad, ...node('B')])]));
  assert.deepEqual(codes(r), ['onnx-malformed']);
  assert.deepEqual(r.graph.nodes.map((n) => [n.index, n.opType]), [[0, 'A'], [1, 'B']]);
});

/** mulberry32: a seeded PRNG */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('bit flips and random bytes (seeded): never a throw, always quick', () => {
  const m = small();
  m.graph.nodes.push({ index: 5, name: 'if', opType: 'If', domain: '', inputs: ['c'], outputs: ['o'], attrs: { then_branch: nestedIf(3), else_branch: nestedIf(1), names: ['a', 'b'], f: 0.5 } });
  const base = encodeModel(m, { weightBytes: 'none' });
  const rnd = prng(20240607);
  const t0 = performance.now();
  let withDiagnostics = 0;
  for (let k = 0; k < 400; k++) {
    const b = Uint8Array.from(base);
    const flips = 1 + Math.floor(rnd() * 3);
    for (let j = 0; j < flips; j++) { const i = Math.floor(rnd() * b.length); b[i] ^= 1 << Math.floor(rnd() * 8); }
    const r = read(b);
    assert.ok(Array.isArray(r.graph.nodes) && r.graph.initializers instanceof Map);
    if (r.diagnostics.length) withDiagnostics++;
  }
  for (let k = 0; k < 100; k++) {
    const b = new Uint8Array(1 + Math.floor(rnd() * 2000)).map(() => Math.floor(rnd() * 256));
    if (k % 2 === 0) b[0] = 0x08; // starts like a model
    const r = read(b);
    assert.ok(r.diagnostics.length > 0 || r.graph.nodes.length >= 0);
  }
  assert.ok(withDiagnostics > 100, `${withDiagnostics} of 400 flipped files had a diagnostic`);
  assert.ok(performance.now() - t0 < 10_000);
});

test('a source that returns short reads (7 bytes at most) gives the same model', () => {
  const bytes = encodeModel(small());
  const short: ByteSource = { size: bytes.length, read: (o, l) => bytes.subarray(o, o + Math.min(l, 7)) };
  const r = readModel(short);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.graph, read(bytes).graph);
});

test('I/O: a missing file and a directory give onnx-io; a throwing source gives onnx-io', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netcost-reader-'));
  try {
    assert.deepEqual(codes(readModelFile(join(dir, 'missing.onnx'))), ['onnx-io']);
    mkdirSync(join(dir, 'd.onnx'));
    assert.deepEqual(codes(readModelFile(join(dir, 'd.onnx'))), ['onnx-io']);
  } finally { rmSync(dir, { recursive: true, force: true }); }
  const bytes = encodeModel(small());
  const failing: ByteSource = { size: bytes.length, read: (o, l) => { if (o > 100) throw new Error('EIO'); return bytes.subarray(o, o + Math.min(l, 50)); } };
  const r = readModel(failing);
  assert.deepEqual(errors(r), ['onnx-io']);
});
