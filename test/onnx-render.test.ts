// The `.net` listing of an ONNX model: it parses, real kinds give the engine the ONNX shapes and the
// conv/gemm formulas, everything else is a generic `op "X"(...)` line, and every node has a line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../server/src/analysis/analyze';
import { FLOAT, type Dim, type Inference, type InferredNode, type OnnxModel, type TensorType } from '../server/src/onnx/model';
import { identifierOf, renderListing, type Listing } from '../server/src/onnx/render';
import { graph, model, type GraphSpec } from './onnx-graph';

const T = (shape: (number | null)[] | null, value?: number[]): TensorType => (value ? { dtype: FLOAT, shape, value } : { dtype: FLOAT, shape });

/** a declared shape with its symbolic dims left unknown */
const bound = (shape: Dim[] | null): TensorType => T(shape ? shape.map((d) => (typeof d === 'number' ? d : null)) : null);

/** A hand-made inference: every tensor's shape from `shapes` (initializers: their dims), main graph only. */
function inferred(m: OnnxModel, shapes: Record<string, (number | null)[]>): Inference {
  const inits = m.graph.initializers;
  const type = (name: string): TensorType | null => {
    if (name === '') return null;
    const w = inits.get(name);
    if (w) return w.values ? T(w.dims, w.values) : T(w.dims);
    const input = m.graph.inputs.find((x) => x.name === name);
    return shapes[name] ? T(shapes[name]) : input ? bound(input.shape) : null;
  };
  const nodes: InferredNode[] = m.graph.nodes.map((node) => ({
    node, graphPath: '', inputs: node.inputs.map(type), outputs: node.outputs.map(type),
    weights: node.inputs.map((n) => inits.get(n) ?? null), perIteration: false,
  }));
  return { nodes, inputs: m.graph.inputs.map((x) => ({ name: x.name, type: bound(x.shape) })), diagnostics: [], unbound: [] };
}

const render = (m: OnnxModel, inf: Inference): Listing => renderListing(m, inf, { file: 'net.onnx', header: ['# NetCost: net.onnx'] });
const lineOf = (l: Listing, i: number) => l.text.split('\n')[l.nodeLines[i]];
/** the statement part of a node's line (its trailing comment cut) */
const code = (l: Listing, i: number) => lineOf(l, i).replace(/\s+#.*$/, '');

// ---- a small ResNet-style CNN

const CNN: GraphSpec = {
  inputs: [['input.1', [1, 3, 32, 32]]],
  initializers: [
    ['conv1.weight', [16, 3, 3, 3]], ['bn1.weight', [16]], ['bn1.bias', [16]], ['bn1.running_mean', [16]], ['bn1.running_var', [16]],
    ['l1.conv1.weight', [16, 16, 3, 3]], ['l1.conv1.bias', [16]], ['l1.conv2.weight', [16, 16, 3, 3]], ['fc.weight', [10, 16]], ['fc.bias', [10]],
  ],
  nodes: [
    ['Conv', ['input.1', 'conv1.weight'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }, '/conv1/Conv'],
    ['BatchNormalization', ['c1', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var'], ['b1'], {}, '/bn1/BatchNormalization'],
    ['Relu', ['b1'], ['r1'], {}, '/relu/Relu'],
    ['MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }, '/maxpool/MaxPool'],
    ['Conv', ['p1', 'l1.conv1.weight', 'l1.conv1.bias'], ['c2'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, '/layer1/layer1.0/conv1/Conv'],
    ['Relu', ['c2'], ['r2'], {}, '/layer1/layer1.0/relu/Relu'],
    ['Conv', ['r2', 'l1.conv2.weight'], ['c3'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], dilations: [1, 1], group: 1 }, '/layer1/layer1.0/conv2/Conv'],
    ['Add', ['c3', 'p1'], ['a1'], {}, '/layer1/layer1.0/Add'],
    ['Relu', ['a1'], ['r3'], {}, '/layer1/layer1.0/relu_1/Relu'],
    ['GlobalAveragePool', ['r3'], ['g1'], {}, '/avgpool/GlobalAveragePool'],
    ['Flatten', ['g1'], ['f1'], { axis: 1 }, '/Flatten'],
    ['Gemm', ['f1', 'fc.weight', 'fc.bias'], ['logits'], { alpha: 1, beta: 1, transB: 1 }, '/fc/Gemm'],
  ],
};
const CNN_SHAPES: Record<string, number[]> = {
  c1: [1, 16, 32, 32], b1: [1, 16, 32, 32], r1: [1, 16, 32, 32], p1: [1, 16, 16, 16], c2: [1, 16, 16, 16], r2: [1, 16, 16, 16],
  c3: [1, 16, 16, 16], a1: [1, 16, 16, 16], r3: [1, 16, 16, 16], g1: [1, 16, 1, 1], f1: [1, 16], logits: [1, 10],
};

test('a small CNN renders as real .net kinds, one line per node, under its ONNX names', () => {
  const m = model(CNN);
  const l = render(m, inferred(m, CNN_SHAPES));
  assert.deepEqual(l.text.split('\n').slice(0, 4), [
    '# NetCost: net.onnx',
    '# model: net.onnx, ir 8, opset 17, producer netcost-test 0',
    '',
    'input input_1: 3 x 32 x 32   # input.1 (float32, 1 x 3 x 32 x 32)',
  ]);
  assert.deepEqual(l.inputLines, new Map([['input.1', 3]]));
  assert.deepEqual(l.nodeLines, [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  assert.deepEqual(m.graph.nodes.map((_, i) => code(l, i)), [
    'conv1_Conv: conv 16 k=3 p=1 bias=false from input_1',
    'bn1_BatchNormalization: bn from conv1_Conv',
    'relu_Relu: relu from bn1_BatchNormalization',
    'maxpool_MaxPool: maxpool k=2 from relu_Relu',
    'layer1_0_conv1_Conv: conv 16 k=3 p=1 from maxpool_MaxPool',
    'layer1_0_relu_Relu: relu from layer1_0_conv1_Conv',
    'layer1_0_conv2_Conv: conv 16 k=3 p=1 bias=false from layer1_0_relu_Relu',
    'layer1_0_Add: add from layer1_0_conv2_Conv, maxpool_MaxPool',
    'layer1_0_relu_1_Relu: relu from layer1_0_Add',
    'avgpool_GlobalAveragePool: gap from layer1_0_relu_1_Relu',
    'Flatten: flatten from avgpool_GlobalAveragePool',
    'fc_Gemm: linear 10 from Flatten',
  ]);
  assert.match(lineOf(l, 0), /   # \/conv1\/Conv \(Conv, W 16x3x3x3\)$/);
  assert.match(lineOf(l, 1), /# \/bn1\/BatchNormalization \(BatchNormalization, scale 16, B 16, mean 16, var 16\)$/);
  assert.match(lineOf(l, 11), /# \/fc\/Gemm \(Gemm, B 10x16, C 10\)$/);
});

test('the .net engine analyses the CNN listing without a diagnostic, with the ONNX shapes and the conv/gemm formulas', () => {
  const m = model(CNN);
  const l = render(m, inferred(m, CNN_SHAPES));
  const a = analyze(l.text);
  assert.deepEqual(a.diagnostics, []);
  assert.deepEqual(a.layers.map((x) => x.name), l.names);
  const onnx = m.graph.nodes.map((n) => CNN_SHAPES[n.outputs[0]].slice(1));
  assert.deepEqual(a.layers.map((x) => x.outputShape), onnx);
  const conv = (k: number, cin: number, cout: number, hw: number) => k * k * cin * cout * hw * hw;
  assert.deepEqual(a.layers.map((x) => x.macs), [conv(3, 3, 16, 32), 0, 0, 0, conv(3, 16, 16, 16), 0, conv(3, 16, 16, 16), 0, 0, 0, 0, 16 * 10]);
  assert.deepEqual(a.layers.map((x) => x.params), [3 * 3 * 3 * 16 + 16, 0, 0, 0, 16 * 16 * 9 + 16, 0, 16 * 16 * 9, 0, 0, 0, 0, 16 * 10 + 10]);
  assert.equal(a.layers[1].foldedInto, 'conv1_Conv');
});

// ---- names

test('identifiers: scopes joined, the repeated parent scope dropped, digits, keywords and kinds prefixed', () => {
  assert.equal(identifierOf('/layer1/layer1.0/conv1/Conv'), 'layer1_0_conv1_Conv');
  assert.equal(identifierOf('/features/features.3/block/block.0/block.0.0/Conv'), 'features_3_block_0_0_Conv');
  assert.equal(identifierOf('Conv_0'), 'Conv_0');
  assert.equal(identifierOf('123'), 'n_123');
  assert.equal(identifierOf('add'), 'n_add');
  assert.equal(identifierOf('from'), 'n_from');
  assert.equal(identifierOf('x'), 'x');
  assert.equal(identifierOf('a..b//c::d'), 'a_b_c_d');
  assert.equal(identifierOf('/model/encoder/layer.0/attention/self/query/MatMul'), 'encoder_layer_0_attention_self_query_MatMul');
  assert.equal(identifierOf('///'), '');
  assert.equal(identifierOf('ünï'), 'n');
});

test('node names are unique: duplicates get _2, _3; a node without a name is named after its first output', () => {
  const m = model({
    inputs: [['input', [1, 4]]],
    nodes: [
      ['Relu', ['input'], ['t1'], {}, 'a.b'],
      ['Relu', ['t1'], ['t2'], {}, 'a/b'],
      ['Relu', ['t2'], ['t3'], {}, 'a_b'],
      ['Relu', ['t3'], ['7'], {}, ''],
      ['Relu', ['7'], ['relu'], {}, ''],
      ['Relu', ['relu'], [''], {}, ''],
      ['Relu', ['relu'], ['t7'], {}, 'input'],
    ],
  });
  const l = render(m, inferred(m, { t1: [1, 4], t2: [1, 4], t3: [1, 4], 7: [1, 4], relu: [1, 4], t7: [1, 4] }));
  assert.deepEqual(l.names, ['a_b', 'a_b_2', 'a_b_3', 'n_7', 'n_relu', 'n_5', 'n_input']);
  assert.match(l.text, /^input: 4   # input \(float32, 1 x 4\)$/m, 'an input called `input` stays unnamed');
  assert.equal(code(l, 0), 'a_b: relu from input');
  assert.match(lineOf(l, 3), /# unnamed, output 7 \(Relu\)$/);
  assert.deepEqual(analyze(l.text).diagnostics.filter((d) => d.severity !== 'info'), []);
});

// ---- generic ops

test('ops without a matching kind become generic lines with their per-sample shapes; the engine counts them as zero', () => {
  const m = model({
    inputs: [['x', [2, 8, 6, 6]]],
    initializers: [['w', [8, 8, 3, 3]], ['half', [1], [0.5]]],
    nodes: [
      ['Conv', ['x', 'w'], ['c'], { kernel_shape: [3, 3], pads: [1, 1, 0, 0] }, 'asym'],
      ['Erf', ['c'], ['e'], {}, 'erf'],
      ['Add', ['e', 'half'], ['h'], {}, 'bias_add'],
      ['Softmax', ['h'], ['s'], { axis: 0 }, 'sm0'],
      ['Softmax', ['h'], ['s2'], { axis: 1 }, 'sm1'],
      ['Shape', ['s2'], ['shp'], {}, 'shape'],
      ['Constant', [], ['k'], {}, 'const'],
      ['Reshape', ['s2', 'k'], ['r'], {}, 'flat'],
      ['Transpose', ['r'], ['tr'], { perm: [1, 0, 2] }, 'swap_batch'],
      ['Unknown', ['tr'], ['u'], {}, 'no_shape'],
    ],
  });
  const l = render(m, inferred(m, {
    c: [2, 8, 5, 6], e: [2, 8, 5, 6], h: [2, 8, 5, 6], s: [2, 8, 5, 6], s2: [2, 8, 5, 6], shp: [4], k: [3], r: [2, 8, 30], tr: [8, 2, 30],
  }));
  assert.deepEqual(m.graph.nodes.map((_, i) => code(l, i)), [
    'asym: op "Conv"(x) -> 8 x 5 x 6',
    'erf: op "Erf"(asym) -> 8 x 5 x 6',
    'bias_add: op "Add"(erf) -> 8 x 5 x 6',
    'sm0: op "Softmax"(bias_add) -> 8 x 5 x 6',
    'sm1: softmax dim=0 from bias_add',
    'shape: op "Shape"(sm1) -> 4',
    'const: op "Constant"() -> 3',
    'flat: reshape 8 x 30 from sm1',
    'swap_batch: op "Transpose"(flat) -> 2 x 30',
    'no_shape: op "Unknown"(swap_batch)',
  ]);
  assert.match(lineOf(l, 0), /# asym \(Conv, W 8x8x3x3\)$/);
  assert.match(lineOf(l, 2), /# bias_add \(Add, B 1\)$/);
  const a = analyze(l.text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'info'), []);
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['generic-op', 'generic-op', 'generic-op', 'generic-op', 'generic-op', 'generic-op', 'generic-op', 'generic-op']);
  assert.deepEqual(a.layers.map((x) => x.outputShape), [[8, 5, 6], [8, 5, 6], [8, 5, 6], [8, 5, 6], [8, 5, 6], [4], [3], [8, 30], [2, 30], [2, 30]]);
  assert.equal(a.totals.macs, 0);
});

// ---- multi-output nodes

test('a Split renders as `split` read as NAME[i]; a multi-output generic op declares every output read', () => {
  const m = model({
    inputs: [['x', [1, 16, 4, 4]]],
    nodes: [
      ['Split', ['x'], ['p0', 'p1'], { axis: 1 }, 'split'],
      ['Split', ['x'], ['q0', 'q1'], { axis: 1, split: [4, 12] }, 'uneven'],
      ['Add', ['p0', 'p1'], ['s'], {}, 'sum'],
      ['TopK', ['s'], ['v', 'i'], {}, 'top'],
      ['Relu', ['i'], ['r'], {}, 'relu_i'],
      ['Concat', ['q1', 'q0'], ['cat'], { axis: 1 }, 'cat'],
    ],
  });
  const l = render(m, inferred(m, {
    p0: [1, 8, 4, 4], p1: [1, 8, 4, 4], q0: [1, 4, 4, 4], q1: [1, 12, 4, 4], s: [1, 8, 4, 4], v: [1, 8, 4, 2], i: [1, 8, 4, 2], r: [1, 8, 4, 2], cat: [1, 16, 4, 4],
  }));
  assert.deepEqual(m.graph.nodes.map((_, i) => code(l, i)), [
    'n_split: split 2 from x',
    'uneven: split 4 12 from x',
    'n_sum: add from n_split, n_split[1]',
    'top: op "TopK"(n_sum) -> 8 x 4 x 2, 8 x 4 x 2',
    'relu_i: relu from top[1]',
    'n_cat: concat from uneven[1], uneven',
  ]);
  const a = analyze(l.text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'info'), []);
  assert.deepEqual(a.layers.map((x) => x.outputs), [[[8, 4, 4], [8, 4, 4]], [[4, 4, 4], [12, 4, 4]], [[8, 4, 4]], [[8, 4, 2], [8, 4, 2]], [[8, 4, 2]], [[16, 4, 4]]]);
});

// ---- subgraphs, lines and ranges

test('subgraph nodes are comment lines right after their owner; every node has a line and its op range', () => {
  const body = graph({ inputs: [['iter', []], ['cond', []], ['state', [1, 4]]], nodes: [['Relu', ['state'], ['next'], {}, 'body_relu']] });
  const m = model({
    inputs: [['x', [1, 4]], ['n', []]],
    nodes: [
      ['Loop', ['n', '', 'x'], ['y'], { body }, 'loop'],
      ['Sigmoid', ['y'], ['z'], {}, 'sig'],
    ],
  });
  const inf = inferred(m, { y: [1, 4], z: [1, 4] });
  const sub = body.nodes[0];
  inf.nodes.push({ node: sub, graphPath: 'loop/body', inputs: [T([1, 4])], outputs: [T([1, 4])], weights: [null], perIteration: true });
  const l = render(m, inf);
  const lines = l.text.split('\n');
  assert.deepEqual(l.nodeLines, [5, 7, 6]);
  assert.equal(code(l, 2), '#   body_relu: op "Relu"(state) -> 4');
  assert.match(lines[6], /# body_relu \(Relu\), per iteration$/);
  assert.equal(code(l, 0), 'loop: op "Loop"(n, x) -> 4');
  assert.equal(code(l, 1), 'sig: sigmoid from loop');
  const words = inf.nodes.map((_, i) => lines[l.nodeLines[i]].slice(l.opRanges[i].start.character, l.opRanges[i].end.character));
  assert.deepEqual(words, ['op "Loop"', 'sigmoid', 'op "Relu"']);
  assert.ok(l.opRanges.every((r, i) => r.start.line === l.nodeLines[i] && r.end.line === l.nodeLines[i]));
  const a = analyze(l.text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'info'), []);
  assert.deepEqual(a.layers.map((x) => x.name), ['loop', 'sig']);
});

test('op ranges cover the kind word of every CNN line', () => {
  const m = model(CNN);
  const l = render(m, inferred(m, CNN_SHAPES));
  const lines = l.text.split('\n');
  const words = m.graph.nodes.map((_, i) => lines[l.nodeLines[i]].slice(l.opRanges[i].start.character, l.opRanges[i].end.character));
  assert.deepEqual(words, ['conv', 'bn', 'relu', 'maxpool', 'conv', 'relu', 'conv', 'add', 'relu', 'gap', 'flatten', 'linear']);
});

test('every mapped kind: the engine gets the ONNX shapes and the MACs of the cost model', () => {
  const m = model({
    inputs: [['x', [1, 8, 8, 8]], ['t', [1, 6, 16]]],
    initializers: [
      ['wt', [8, 4, 2, 2]], ['lo', [], [0]], ['hi', [], [6]], ['fw', [4, 3]], ['g', [16]], ['b', [16]], ['wq', [16, 16]], ['scales', [4], [1, 1, 2, 2]],
    ],
    nodes: [
      ['ConvTranspose', ['x', 'wt'], ['d'], { kernel_shape: [2, 2], strides: [2, 2] }, 'up'],
      ['Clip', ['d', 'lo', 'hi'], ['c6'], {}, 'clip'],
      ['AveragePool', ['c6'], ['ap'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }, 'pool'],
      ['HardSwish', ['ap'], ['hs'], {}, 'hs'],
      ['GlobalMaxPool', ['hs'], ['gm'], {}, 'gmax'],
      ['Flatten', ['gm'], ['fl'], {}, 'fl'],
      ['Gemm', ['fl', 'fw'], ['fc'], {}, 'fc'],
      ['Resize', ['c6', '', 'scales'], ['rs'], { mode: 'linear' }, 'resize'],
      ['LayerNormalization', ['t', 'g', 'b'], ['ln'], { axis: -1 }, 'norm'],
      ['MatMul', ['ln', 'wq'], ['q'], {}, 'q'],
      ['Transpose', ['q'], ['qt'], { perm: [0, 2, 1] }, 'qt'],
      ['MatMul', ['q', 'qt'], ['s'], {}, 'scores'],
      ['Softmax', ['s'], ['p'], { axis: -1 }, 'sm'],
      ['Mul', ['p', 'p'], ['pp'], {}, 'sq'],
      ['Tanh', ['pp'], ['th'], {}, 'th'],
      ['Dropout', ['th'], ['dr'], {}, 'drop'],
    ],
  });
  const shapes: Record<string, number[]> = {
    d: [1, 4, 16, 16], c6: [1, 4, 16, 16], ap: [1, 4, 9, 9], hs: [1, 4, 9, 9], gm: [1, 4, 1, 1], fl: [1, 4], fc: [1, 3], rs: [1, 4, 32, 32],
    ln: [1, 6, 16], q: [1, 6, 16], qt: [1, 16, 6], s: [1, 6, 6], p: [1, 6, 6], pp: [1, 6, 6], th: [1, 6, 6], dr: [1, 6, 6],
  };
  const l = render(m, inferred(m, shapes));
  assert.deepEqual(m.graph.nodes.map((_, i) => code(l, i)), [
    'up: deconv 4 k=2 s=2 bias=false from x',
    'clip: relu6 from up',
    'pool: avgpool k=3 s=2 p=1 ceil=true from clip',
    'hs: hardswish from pool',
    'gmax: gmp from hs',
    'fl: flatten from gmax',
    'n_fc: linear 3 bias=false from fl',
    'n_resize: upsample s=2 mode=bilinear from clip',
    'norm: ln from t',
    'q: linear 16 bias=false from norm',
    'qt: transpose 1 0 from q',
    'scores: matmul from q, qt',
    'sm: softmax from scores',
    'sq: mul from sm, sm',
    'th: tanh from sq',
    'drop: identity from th',
  ]);
  const a = analyze(l.text);
  assert.deepEqual(a.diagnostics, []);
  assert.deepEqual(a.layers.map((x) => x.outputShape), m.graph.nodes.map((n) => shapes[n.outputs[0]].slice(1)));
  assert.deepEqual(a.layers.map((x) => x.macs), [2 * 2 * 8 * 8 * 8 * 4, 0, 0, 0, 0, 0, 4 * 3, 0, 0, 6 * 16 * 16, 0, 6 * 16 * 6, 0, 0, 0, 0]);
  assert.deepEqual(a.layers.map((x) => x.params), [2 * 2 * 8 * 4, 0, 0, 0, 0, 0, 12, 0, 32, 256, 0, 0, 0, 0, 0, 0]);
});

test('a MatMul on a 4-d activation, a Clip(0, 4) and a Dropout whose mask is read stay generic', () => {
  const m = model({
    inputs: [['x', [1, 2, 3, 4]]],
    initializers: [['w', [4, 5]], ['lo', [], [0]], ['hi', [], [4]]],
    nodes: [
      ['MatMul', ['x', 'w'], ['y'], {}, 'mm4'],
      ['Clip', ['y', 'lo', 'hi'], ['c'], {}, 'clip4'],
      ['Dropout', ['c'], ['d', 'mask'], {}, 'drop'],
      ['Relu', ['mask'], ['r'], {}, 'r'],
    ],
  });
  const l = render(m, inferred(m, { y: [1, 2, 3, 5], c: [1, 2, 3, 5], d: [1, 2, 3, 5], mask: [1, 2, 3, 5], r: [1, 2, 3, 5] }));
  assert.deepEqual(m.graph.nodes.map((_, i) => code(l, i)), [
    'mm4: op "MatMul"(x) -> 2 x 3 x 5',
    'clip4: op "Clip"(mm4) -> 2 x 3 x 5',
    'drop: op "Dropout"(clip4) -> 2 x 3 x 5, 2 x 3 x 5',
    'r: relu from drop[1]',
  ]);
  assert.match(lineOf(l, 1), /# clip4 \(Clip, min scalar, max scalar\)$/);
  assert.deepEqual(analyze(l.text).diagnostics.map((d) => d.code), ['generic-op', 'generic-op', 'generic-op']);
});

test('an unknown input shape is written as 1 and its readers stay generic', () => {
  const m = model({ inputs: [['seq', [null, null, 8]]], nodes: [['Relu', ['seq'], ['r'], {}, 'r']] });
  const l = render(m, inferred(m, { r: [null, null, 8] as number[] }));
  assert.equal(l.text.split('\n')[3], 'input seq: 1 x 8   # seq (float32, ? x ? x 8, per-sample shape not known: written as 1)');
  assert.equal(code(l, 0), 'r: op "Relu"(seq)');
  assert.deepEqual(analyze(l.text).diagnostics.map((d) => d.code), ['generic-op']);
});
