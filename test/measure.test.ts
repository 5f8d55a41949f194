// `netcost measure`: the pure profile functions (server/src/measure/profile.ts) on hand-written profiles
// and graphs with exact expectations, then real runs with ONNX Runtime on small models built here (ONNX
// and .net): kernels map to the graph's nodes (a conv|bn|relu chain is one fused kernel, the reorder
// kernels ONNX Runtime inserts are attributed), every layer is mapped or reported, the JSON's shape, the
// CLI's exit codes, a weight-stripped model. Nothing here asserts a speed: the machine is shared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { model } from './onnx-graph';
import { writeModel } from './onnx-encode';
import { runAsync, tempFiles } from './cli-run';
import { attribute, mapGraphs, mapKernels, median, parseProfile, percentile, type GraphLite, type GraphNode } from '../server/src/measure/profile';
import { measureFile } from '../server/src/measure/measure';
import { measureTable } from '../server/src/measure/report';
import { loadRuntime } from '../server/src/measure/runtime';
import type { Measurement } from '../server/src/measure/types';

// ---- pure: the profile

const node = (name: string, opType: string, inputs: string[], outputs: string[], domain = ''): GraphNode => ({ name, opType, domain, inputs, outputs });
const kernel = (name: string, op: string, ts: number, dur: number, stats: unknown = '') =>
  ({ cat: 'Node', name: `${name}_kernel_time`, ts, dur, ph: 'X', args: { op_name: op, provider: 'CPUExecutionProvider', thread_scheduling_stats: stats } });
const run = (ts: number, dur: number) => ({ cat: 'Session', name: 'model_run', ts, dur, ph: 'X', args: {} });

test('parseProfile: runs bracket their kernels, warm-up runs are dropped, medians per kernel, the pool size', () => {
  const pool = { main_thread: {}, sub_threads: { 1: {}, 2: {}, 3: {} } };
  const events = [
    { cat: 'Session', name: 'session_initialization', ts: 0, dur: 50 },
    kernel('a', 'Conv', 101, 40, pool), kernel('b', 'Relu', 150, 10, pool), run(100, 70), // warm-up
    kernel('a', 'Conv', 201, 20, pool), kernel('b', 'Relu', 230, 4, pool), run(200, 40),
    kernel('a', 'Conv', 301, 30, pool), kernel('b', 'Relu', 340, 6, pool), run(300, 50),
    kernel('a', 'Conv', 401, 22, pool), kernel('b', 'Relu', 430, 2, pool), run(400, 36),
    kernel('stray', 'Add', 900, 5), // in no run
    { cat: 'Node', name: 'a_fence_before', ts: 410, dur: 0 }, 'junk', null,
  ];
  const p = parseProfile(events, 1);
  assert.equal(p.runs, 3);
  assert.deepEqual(p.kernels.map((k) => [k.name, k.opType, k.provider]), [['a', 'Conv', 'CPUExecutionProvider'], ['b', 'Relu', 'CPUExecutionProvider']]);
  assert.deepEqual(p.kernels.map((k) => Math.round(k.seconds * 1e6)), [22, 4]);
  assert.equal(Math.round(p.kernelSeconds * 1e6), 24); // the runs sum to 24, 36, 24 us
  assert.equal(Math.round(p.runSeconds * 1e6), 40);
  assert.equal(p.threads, 4);
  assert.equal(parseProfile([kernel('a', 'Conv', 1, 1), run(0, 5)]).threads, 1); // '' stats: no pool
  assert.deepEqual(parseProfile('not a profile'), { runs: 0, kernels: [], kernelSeconds: 0, runSeconds: 0, threads: null });
  assert.equal(median([3, 1, 2, 10]), 2.5);
  assert.equal(percentile([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], 90), 9);
});

// G: conv|bn|relu, conv, residual add; O: what ONNX Runtime 1.30 makes of it at level 'all' (NCHWc)
const G1: GraphLite = {
  inputs: ['x'], initializers: ['w1', 'b1', 's', 'bb', 'mu', 'var', 'w2'],
  nodes: [
    node('conv_1', 'Conv', ['x', 'w1', 'b1'], ['c1']), node('bn_1', 'BatchNormalization', ['c1', 's', 'bb', 'mu', 'var'], ['n1']),
    node('relu_1', 'Relu', ['n1'], ['r1']), node('conv_2', 'Conv', ['r1', 'w2'], ['c2']), node('add_1', 'Add', ['c2', 'x'], ['y']),
  ],
};
const O1: GraphLite = {
  inputs: ['x'], initializers: ['reorder', 'ConvBnFusion_BN_B_bb', 'reorder_token_2'],
  nodes: [
    node('ReorderInput', 'ReorderInput', ['x'], ['reorder_token_0'], 'com.microsoft.nchwc'),
    node('r1_nchwc', 'Conv', ['reorder_token_0', 'reorder', 'ConvBnFusion_BN_B_bb'], ['reorder_token_1'], 'com.microsoft.nchwc'),
    node('c2_nchwc', 'Conv', ['reorder_token_1', 'reorder_token_2'], ['reorder_token_3'], 'com.microsoft.nchwc'),
    node('ReorderOutput', 'ReorderOutput', ['reorder_token_3'], ['c2'], 'com.microsoft.nchwc'),
    node('add_1', 'Add', ['c2', 'x'], ['y']),
  ],
};

test('mapKernels: a fused conv|bn|relu, an own conv and add, inserted reorders attributed to their neighbours', () => {
  const m = mapKernels(G1, O1, O1.nodes.map((n) => ({ name: n.name, opType: n.opType })));
  assert.deepEqual(m.kernels.map((k) => [k.kernel, k.kind, k.covers, k.attributedTo]), [
    ['ReorderInput', 'inserted', [], 'r1_nchwc'], // its input is the graph's: the consumer of its output
    ['r1_nchwc', 'fused', [0, 1, 2], null],
    ['c2_nchwc', 'own', [3], null],
    ['ReorderOutput', 'inserted', [], 'c2_nchwc'], // the producer of its input
    ['add_1', 'own', [4], null],
  ]);
  assert.deepEqual(m.removed, []);
  assert.equal(m.kernels[1].domain, 'com.microsoft.nchwc');
});

test('mapGraphs: an NCHWc conv that took the residual Add as its Sum input (named by the conv\'s output) covers the Add', () => {
  const g: GraphLite = {
    inputs: ['x'], initializers: ['wa', 'wb', 'wc'],
    nodes: [node('a', 'Conv', ['x', 'wa'], ['ca']), node('b', 'Conv', ['ca', 'wb'], ['cb']), node('add', 'Add', ['cb', 'ca'], ['s']), node('c', 'Conv', ['s', 'wc'], ['y'])],
  };
  const o: GraphLite = {
    inputs: ['x'], initializers: [],
    nodes: [
      node('ca_nchwc', 'Conv', ['x', 'r0'], ['t1'], 'com.microsoft.nchwc'), node('cb_nchwc', 'Conv', ['t1', 'r1', 'r2', 't1'], ['t2'], 'com.microsoft.nchwc'),
      node('y_nchwc', 'Conv', ['t2', 'r3'], ['t3'], 'com.microsoft.nchwc'), node('ReorderOutput', 'ReorderOutput', ['t3'], ['y'], 'com.microsoft.nchwc'),
    ],
  };
  assert.deepEqual(mapGraphs(g, o).covers, [[0], [1, 2], [3], []]);
});

test('mapKernels: unnamed nodes match by op type, identities and constant subgraphs are removed', () => {
  // as ONNX Runtime profiles them: an unnamed node is `<op>_<its index>`; the Identity and Shape(static) are gone
  const g: GraphLite = {
    inputs: ['x'], initializers: ['shape'],
    nodes: [
      node('', 'Relu', ['x'], ['a']), node('', 'Sigmoid', ['a'], ['b']), node('id', 'Identity', ['b'], ['b2']), node('rs1', 'Reshape', ['b2', 'shape'], ['c']),
      node('tanh', 'Tanh', ['c'], ['d']), node('shp', 'Shape', ['x'], ['s']), node('rs2', 'Reshape', ['d', 's'], ['y']),
    ],
  };
  const o: GraphLite = {
    inputs: ['x'], initializers: ['shape', 's'],
    nodes: [node('', 'Relu', ['x'], ['a']), node('', 'Sigmoid', ['a'], ['b']), node('rs1', 'Reshape', ['b', 'shape'], ['c']), node('tanh', 'Tanh', ['c'], ['d']), node('rs2', 'Reshape', ['d', 's'], ['y'])],
  };
  const m = mapKernels(g, o, [['Relu_0', 'Relu'], ['Sigmoid_1', 'Sigmoid'], ['rs1', 'Reshape'], ['tanh', 'Tanh'], ['rs2', 'Reshape'], ['Mystery_9', 'Mystery']].map(([name, opType]) => ({ name, opType })));
  assert.deepEqual(m.kernels.map((k) => [k.kernel, k.node, k.kind, k.covers]), [
    ['Relu_0', 0, 'own', [0]], ['Sigmoid_1', 1, 'own', [1]], ['rs1', 2, 'own', [3]], ['tanh', 3, 'own', [4]], ['rs2', 4, 'own', [6]],
    ['Mystery_9', -1, 'inserted', []], // a kernel the optimized graph does not have: reported, never dropped
  ]);
  assert.deepEqual(m.removed, [2, 5]);
});

test('attribute: a fused kernel\'s time split by estimates, inserted kernels\' time added, sums preserved', () => {
  const m = mapKernels(G1, O1, O1.nodes.map((n) => ({ name: n.name, opType: n.opType })));
  const seconds = new Map([['ReorderInput', 1], ['r1_nchwc', 9], ['c2_nchwc', 6], ['ReorderOutput', 2], ['add_1', 3]]);
  // layers = the G nodes; bn folded (estimate 0); conv_1 3, relu 1
  const a = attribute(m, seconds, [0, 1, 2, 3, 4], [3, 0, 1, 4, 2]);
  assert.deepEqual(a.layers.map((l) => [l.measuredSeconds, l.kernel]), [[7.5, 'r1_nchwc'], [0, 'r1_nchwc'], [2.5, 'r1_nchwc'], [8, 'c2_nchwc'], [3, 'add_1']]);
  assert.deepEqual(a.kernels.map((k) => [k.layers, k.estimatedSeconds]), [[[], 0], [[0, 1, 2], 4], [[3], 4], [[], 0], [[4], 2]]);
  assert.equal(a.layers.reduce((s, l) => s + l.measuredSeconds, 0), 21);
  assert.equal(a.unattributedSeconds, 0);
  // one layer as two nodes (Flatten + Gemm) in two kernels: the view weighs 0, the estimate goes to the Gemm's kernel
  const g: GraphLite = { inputs: ['x'], initializers: ['w'], nodes: [node('fc/flatten', 'Flatten', ['x'], ['f']), node('fc/gemm', 'Gemm', ['f', 'w'], ['y'])] };
  const m2 = mapKernels(g, g, [{ name: 'fc/flatten', opType: 'Flatten' }, { name: 'fc/gemm', opType: 'Gemm' }]);
  const a2 = attribute(m2, new Map([['fc/flatten', 1], ['fc/gemm', 5]]), [0, 0], [10], [0, 1]);
  assert.deepEqual(a2.kernels.map((k) => k.estimatedSeconds), [0, 10]);
  assert.deepEqual(a2.layers, [{ measuredSeconds: 6, kernel: 'fc/flatten' }]);
});

// ---- with ONNX Runtime

let ortError = '';
try {
  loadRuntime();
} catch (e) {
  ortError = (e as Error).message;
}
const skip = ortError ? `onnxruntime-node is not installed: ${ortError.split('\n')[0]}` : false;
const files = tempFiles('netcost-measure-test-');
const OPTS = { runs: 2, warmup: 1, profileRuns: 2 };

/** conv|bn|relu, conv, residual add (the graph of G1) */
function residual(path: string, weightBytes?: 'none') {
  writeModel(path, model({
    inputs: [['x', [1, 16, 16, 16]]], outputs: [['y', [1, 16, 16, 16]]],
    initializers: [['w1', [16, 16, 3, 3]], ['b1', [16]], ['s', [16]], ['bb', [16]], ['mu', [16]], ['var', [16], Array(16).fill(1)], ['w2', [16, 16, 3, 3]]],
    nodes: [
      ['Conv', ['x', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1] }, 'conv_1'], ['BatchNormalization', ['c1', 's', 'bb', 'mu', 'var'], ['n1'], {}, 'bn_1'],
      ['Relu', ['n1'], ['r1'], {}, 'relu_1'], ['Conv', ['r1', 'w2'], ['c2'], { pads: [1, 1, 1, 1] }, 'conv_2'], ['Add', ['c2', 'x'], ['y'], {}, 'add_1'],
    ],
  }), weightBytes ? { weightBytes } : {});
  return path;
}

/** every layer is computed by a kernel or reported in the notes; layer shares sum to the kernel times */
function checkComplete(m: Measurement) {
  const kernels = m.nodes.reduce((s, n) => s + n.measuredSeconds, 0);
  const layers = m.layers.reduce((s, l) => s + l.measuredSeconds, 0);
  assert.ok(Math.abs(kernels - layers) <= 1e-9 * Math.max(1, kernels), `kernels ${kernels} vs layers ${layers}`);
  for (const n of m.nodes) {
    if (n.kind === 'inserted') assert.ok(n.attributedTo && m.nodes.some((k) => k.name === n.attributedTo && k.kind !== 'inserted'), `${n.name} attributed`);
    else for (const l of n.layers) assert.ok(m.layers.some((x) => x.name === l && x.node !== null));
  }
  const removed = m.layers.filter((l) => l.node === null);
  if (removed.length) assert.ok(m.notes.some((n) => n.includes(`${removed.length} layer(s) ran in no kernel`)), m.notes.join('\n'));
}

test('an ONNX model: conv|bn|relu is one fused kernel, the reorders are inserted and attributed, times add up', { skip }, async () => {
  const m = await measureFile(residual(join(files.dir, 'residual.onnx')), OPTS);
  const fused = m.nodes.filter((n) => n.kind === 'fused');
  assert.equal(fused.length, 1);
  assert.deepEqual(fused[0].layers, ['conv_1', 'bn_1', 'relu_1']);
  assert.deepEqual(m.nodes.filter((n) => n.kind === 'own').map((n) => n.layers), [['conv_2'], ['add_1']]);
  // the layout conversions exist on x86 (NCHWc) builds; wherever they appear they follow a kernel that computes layers
  for (const n of m.nodes.filter((k) => k.kind === 'inserted')) assert.match(n.opType, /^Reorder/);
  assert.equal(m.layers.find((l) => l.name === 'bn_1')!.node, fused[0].name);
  assert.equal(m.layers.find((l) => l.name === 'bn_1')!.measuredSeconds, 0); // folded: its estimate is 0, so is its share
  assert.equal(m.model.weights, 'file');
  assert.equal(m.profiledRuns, 2);
  assert.equal(m.latency.samples.length, 2);
  checkComplete(m);
  const text = measureTable(m);
  assert.match(text, /fused: conv_1, bn_1, relu_1/);
  assert.match(text, /latency {5}median .* over 2 runs after 1 warm-up runs/);
});

test('a .net file: exported, measured, its layers mapped by the export\'s node names', { skip }, async () => {
  const net = files.file('small.net', 'input x: 8 x 16 x 16\nstem: conv 16 k=3 p=1 | bn | relu\nbody: conv 16 k=3 p=1 | bn\nout: add from body, stem\nrelu\ngap\nfc: linear 10\n');
  const m = await measureFile(net, OPTS);
  assert.equal(m.model.exported, true);
  assert.ok(m.layers.length >= 8);
  const stem = m.nodes.find((n) => n.layers.includes('stem'))!;
  assert.ok(stem.kind === 'fused' && stem.layers.length === 3, JSON.stringify(stem));
  assert.equal(m.layers.find((l) => l.name === 'fc')!.opClass, 'linear');
  checkComplete(m);
});

test('a weight-stripped model gets pseudo-random weights, with a note, and runs', { skip }, async () => {
  const m = await measureFile(residual(join(files.dir, 'stripped.onnx'), 'none'), OPTS);
  assert.equal(m.model.weights, 'filled');
  assert.ok(m.notes.some((n) => /no weight data/.test(n)));
  assert.notEqual(m.model.path, join(files.dir, 'stripped.onnx'));
});

const KEYS = ['version', 'file', 'model', 'runtime', 'batch', 'dtype', 'warmup', 'runs', 'profiledRuns', 'latency', 'throughput', 'sessionSeconds', 'kernelSeconds', 'target', 'estimate', 'nodes', 'layers', 'byOpClass', 'notes'];

test('netcost measure --json: version 1 and its fields; --progress ndjson on stderr', { skip }, async () => {
  const file = residual(join(files.dir, 'json.onnx'));
  const r = await runAsync('measure', file, '--json', '--runs', '3', '--warmup', '0', '--threads', '1', '--progress', 'ndjson');
  assert.equal(r.code, 0, r.err);
  const m = JSON.parse(r.out);
  assert.deepEqual(Object.keys(m), KEYS);
  assert.equal(m.version, 1);
  assert.deepEqual(Object.keys(m.runtime), ['name', 'version', 'executionProvider', 'threads', 'graphOptimizationLevel']);
  assert.equal(m.runtime.threads, 1);
  assert.deepEqual(Object.keys(m.latency), ['medianSeconds', 'p90Seconds', 'minSeconds', 'maxSeconds', 'samples']);
  assert.equal(m.latency.samples.length, 3);
  assert.equal(m.profiledRuns, 3);
  assert.equal(m.target.id, 'host-cpu');
  assert.deepEqual(Object.keys(m.nodes[0]), ['name', 'opType', 'domain', 'layers', 'kind', 'attributedTo', 'measuredSeconds', 'estimatedSeconds']);
  assert.deepEqual(Object.keys(m.layers[0]), ['name', 'line', 'op', 'opClass', 'flops', 'memoryBytes', 'launches', 'node', 'measuredSeconds', 'estimatedSeconds']);
  assert.deepEqual(Object.keys(m.byOpClass[0]), ['opClass', 'layers', 'measuredSeconds', 'estimatedSeconds']);
  const lines = r.err.trim().split('\n').map((l) => JSON.parse(l).progress);
  assert.ok(lines.every((p) => typeof p.stage === 'string' && Number.isInteger(p.done) && Number.isInteger(p.total)));
  assert.deepEqual([...new Set(lines.map((p) => p.stage))], ['analyze', 'load', 'warmup', 'run', 'profile', 'map', 'done']);
  assert.deepEqual(lines.at(-1), { stage: 'done', done: 1, total: 1 });
  // the table
  const t = await runAsync('measure', file, '--runs', '1', '--warmup', '0', '--target', 'rpi5-cpu');
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /^per kernel/m);
  assert.match(t.out, /estimate {4}.* \(rpi5-cpu\)/);
});

test('netcost measure exit codes: 2 usage and I/O, 1 file errors, 3 no ONNX Runtime, 4 ONNX Runtime fails', async () => {
  const ok = residual(join(files.dir, 'codes.onnx'));
  assert.equal((await runAsync('measure', '--help')).code, 0);
  assert.match((await runAsync('measure', '--help')).out, /exit codes: 0 measured/);
  for (const argv of [[], [ok, '--runs', '0'], [ok, '--runs', 'x'], [ok, '--progress', 'bar'], [ok, '--set', 'a=1'], [ok, '--bogus'], [join(files.dir, 'none.onnx')], [ok, '--target', 'nope']]) {
    const r = await runAsync('measure', ...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
  }
  const bad = files.file('bad.net', 'input x: 3 x 8 x 8\nconv 8 k=3 p=1\nadd from nowhere\n');
  const r1 = await runAsync('measure', bad);
  assert.equal(r1.code, 1);
  assert.match(r1.err, /bad\.net:3:\d+: error/);
  const saved = process.env.NETCOST_ONNXRUNTIME;
  try {
    process.env.NETCOST_ONNXRUNTIME = `${join(files.dir, 'no-such-dir')}${process.platform === 'win32' ? ';' : ':'}none`;
    const r3 = await runAsync('measure', ok, '--runs', '1');
    assert.equal(r3.code, 3);
    assert.match(r3.err, /npm install onnxruntime-node@1\.30\.0 --onnxruntime-node-install=skip/);
    assert.match(r3.err, /NETCOST_ONNXRUNTIME/);
    assert.match(r3.err, /no-such-dir/);
  } finally {
    if (saved === undefined) delete process.env.NETCOST_ONNXRUNTIME;
    else process.env.NETCOST_ONNXRUNTIME = saved;
  }
  if (skip) return;
  // an op ONNX Runtime does not have: the analysis warns, ONNX Runtime refuses (its message is printed)
  const unknown = join(files.dir, 'unknown.onnx');
  writeModel(unknown, model({ inputs: [['x', [1, 4]]], outputs: [['y', [1, 4]]], nodes: [['NoSuchOp', ['x'], ['y'], {}, 'mystery']] }));
  const r4 = await runAsync('measure', unknown, '--runs', '1');
  assert.equal(r4.code, 4, r4.err);
  assert.match(r4.err, /ONNX Runtime could not load .*NoSuchOp/s);
});
