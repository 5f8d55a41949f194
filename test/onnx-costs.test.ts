// Per-node costs of inferred ONNX graphs (server/src/onnx/costs.ts): one test per op kind with exact
// params, MACs, FLOPs in both conventions and bytes; equality with the .net engine for the same layer;
// BN folding; dtype rules; nodes that are not counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costNodes, totalsByOp, type NodeCost } from '../server/src/onnx/costs';
import { FLOAT, INT64, BOOL, type AttrValue, type InferredNode } from '../server/src/onnx/model';
import { analyze, type Layer, type Settings } from '../server/src/analysis/analyze';
import { inferShapes } from '../server/src/onnx/infer';
import { model, type GraphSpec } from './onnx-graph';

const INT8 = 3, UINT8 = 2, INT32 = 6, FP16 = 10;

/** A tensor of a test node: an activation, or a weight (`w`) stored in the file. */
interface T { name: string; shape: (number | null)[] | null; dtype: number; weight: boolean; value?: number[] }
const a = (name: string, shape: (number | null)[] | null, dtype = FLOAT, value?: number[]): T => ({ name, shape, dtype, weight: false, value });
const w = (name: string, shape: number[], dtype = FLOAT, value?: number[]): T => ({ name, shape, dtype, weight: true, value });
const NONE = null;

function nd(opType: string, inputs: (T | null)[], outputs: T[], attrs: Record<string, AttrValue> = {}, extra: { name?: string; domain?: string; perIteration?: boolean } = {}): InferredNode {
  return {
    node: { index: 0, name: extra.name ?? opType.toLowerCase(), opType, domain: extra.domain ?? '', inputs: inputs.map((t) => t?.name ?? ''), outputs: outputs.map((t) => t.name), attrs },
    graphPath: '',
    inputs: inputs.map((t) => (t ? { dtype: t.dtype, shape: t.shape, ...(t.value ? { value: t.value } : {}) } : null)),
    outputs: outputs.map((t) => ({ dtype: t.dtype, shape: t.shape })),
    weights: inputs.map((t) => (t?.weight ? { name: t.name, dtype: t.dtype, dims: t.shape as number[], values: t.value ?? null, external: false } : null)),
    perIteration: extra.perIteration ?? false,
  };
}
/** numbers the nodes of a graph in order */
const graph = (...nodes: InferredNode[]): InferredNode[] => nodes.map((n, index) => ({ ...n, node: { ...n.node, index } }));
const one = (n: InferredNode, dtypeOverride?: number): NodeCost => costNodes([n], { dtypeOverride })[0];

/** the figures a test compares, in one object so a failure shows all of them */
const figures = (c: NodeCost) => ({ params: c.params, trainingParams: c.trainingParams, macs: c.macs, flops2: c.flops2, flopsExact: c.flopsExact, readBytes: c.readBytes, writtenBytes: c.writtenBytes, weightBytes: c.weightBytes });
const memory = (c: NodeCost) => c.readBytes + c.writtenBytes + c.weightBytes;

function netLayer(src: string, name: string, settings: Settings = { batch: 1, dtype: 'fp32' }): Layer {
  const an = analyze(src, settings);
  assert.deepEqual(an.diagnostics, []);
  const l = an.layers.find((x) => x.name === name);
  assert.ok(l, `layer ${name}`);
  return l;
}

/** the ONNX node's figures against the .net layer's (batch and dtype already applied by both) */
function sameAsNet(c: NodeCost, l: Layer) {
  assert.equal(c.counted, true);
  assert.deepEqual(
    { params: c.params, trainingParams: c.trainingParams, macs: c.macs, flops2: c.flops2, flopsExact: c.flopsExact, memory: memory(c), weightBytes: c.weightBytes },
    { params: l.params, trainingParams: l.trainingParams, macs: l.macs, flops2: l.flops['2macs'], flopsExact: l.flops.exact, memory: l.memoryBytes, weightBytes: l.weightBytes },
  );
}

// ---- convolutions

test('a 1x1 Conv 64 -> 256 with bias equals the .net engine (`conv 256 k=1`)', () => {
  const c = one(nd('Conv', [a('x', [1, 64, 56, 56]), w('W', [256, 64, 1, 1]), w('B', [256])], [a('y', [1, 256, 56, 56])], { kernel_shape: [1, 1] }));
  const l = netLayer('input: 64x56x56\nc: conv 256 k=1', 'c');
  sameAsNet(c, l);
  assert.deepEqual(figures(c), {
    params: 16_640, trainingParams: 16_640, macs: 51_380_224, flops2: 103_563_264, flopsExact: 102_760_448,
    readBytes: 802_816, writtenBytes: 3_211_264, weightBytes: 66_560,
  });
  assert.equal(c.formula(), l.cost.formula());
});

test('a grouped, strided, padded 3x3 Conv at batch 2 equals the .net engine at batch 2', () => {
  const c = one(nd('Conv', [a('x', [2, 32, 28, 28]), w('W', [64, 8, 3, 3])], [a('y', [2, 64, 14, 14])], { group: 4, strides: [2, 2], pads: [1, 1, 1, 1] }));
  const l = netLayer('input: 32x28x28\nc: conv 64 k=3 s=2 p=1 g=4 bias=false', 'c', { batch: 2, dtype: 'fp32' });
  sameAsNet(c, l);
  assert.equal(c.macs, 2 * 9 * 8 * 14 * 14 * 64);
  assert.equal(c.formula(), `N x K_h x K_w x C_in/g x H_out x W_out x C_out = 2 x 3 x 3 x 8 x 14 x 14 x 64 = 1,806,336 MACs`);
});

test('1-d and 3-d Convs: the same formula over their spatial dims', () => {
  const c1 = one(nd('Conv', [a('x', [1, 16, 100]), w('W', [32, 16, 5])], [a('y', [1, 32, 96])]));
  assert.deepEqual([c1.params, c1.macs, c1.flopsExact], [2560, 5 * 16 * 96 * 32, (2 * 5 * 16 - 1) * 32 * 96]);
  const c3 = one(nd('Conv', [a('x', [1, 4, 8, 8, 8]), w('W', [8, 4, 3, 3, 3]), w('B', [8])], [a('y', [1, 8, 6, 6, 6])]));
  assert.deepEqual([c3.params, c3.macs, c3.flops2], [864 + 8, 27 * 4 * 216 * 8, 2 * 27 * 4 * 216 * 8 + 8 * 216]);
});

test('ConvTranspose scatters every input pixel, as the .net deconv', () => {
  const c = one(nd('ConvTranspose', [a('x', [1, 16, 8, 8]), w('W', [16, 8, 2, 2]), w('B', [8])], [a('y', [1, 8, 16, 16])], { strides: [2, 2] }));
  sameAsNet(c, netLayer('input: 16x8x8\nd: deconv 8 k=2 s=2', 'd'));
  assert.deepEqual([c.params, c.macs, c.flops2, c.flopsExact], [520, 32_768, 67_584, 65_536]);
});

// ---- matrix products

test('Gemm with transB and a bias equals `fc 100` at batch 4; alpha != 1 scales every output', () => {
  const n = (attrs: Record<string, AttrValue>) => nd('Gemm', [a('x', [4, 300]), w('W', [100, 300]), w('C', [100])], [a('y', [4, 100])], attrs);
  const c = one(n({ transB: 1 }));
  sameAsNet(c, netLayer('input: 300\nfc: fc 100', 'fc', { batch: 4, dtype: 'fp32' }));
  assert.deepEqual([c.params, c.macs, c.flops2, c.flopsExact], [30_100, 120_000, 240_400, 240_000]);
  assert.equal(c.formula(), 'M x K x N = 4 x 300 x 100 = 120,000 MACs');
  const scaled = one(n({ transB: 1, alpha: 0.5 }));
  assert.equal(scaled.flops2, 240_400 + 400);
  assert.equal(one(nd('Gemm', [a('x', [4, 300]), w('W', [100, 300])], [a('y', [4, 100])], { transB: 0 })).counted, false, 'K mismatch without transB');
});

test('MatMul with a weight counts its params like `linear`; two activations have none; batch dims broadcast', () => {
  const c = one(nd('MatMul', [a('x', [2, 10, 64]), w('W', [64, 32])], [a('y', [2, 10, 32])]));
  sameAsNet(c, netLayer('input: 10x64\nl: linear 32 bias=false', 'l', { batch: 2, dtype: 'fp32' }));
  assert.deepEqual([c.params, c.macs, c.flopsExact, c.weightBytes], [2048, 40_960, 81_280, 8192]);
  const s = one(nd('MatMul', [a('q', [2, 4, 10, 16]), a('k', [2, 4, 16, 10])], [a('s', [2, 4, 10, 10])]));
  assert.deepEqual(figures(s), { params: 0, trainingParams: 0, macs: 12_800, flops2: 25_600, flopsExact: 24_800, readBytes: 10_240, writtenBytes: 3_200, weightBytes: 0 });
  const b = one(nd('MatMul', [a('p', [3, 1, 5, 6]), a('q', [4, 6, 7])], [a('r', [3, 4, 5, 7])]));
  assert.equal(b.macs, 12 * 5 * 6 * 7);
  assert.equal(b.formula(), 'batch x M x K x N = 12 x 5 x 6 x 7 = 2,520 MACs');
  const v = one(nd('MatMul', [a('x', [3, 8]), w('v', [8])], [a('y', [3])]));
  assert.deepEqual([v.params, v.macs], [8, 24]);
});

test('MatMulInteger and QLinearMatMul cost as MatMul; only the int weight is params', () => {
  const mi = one(nd('MatMulInteger', [a('x', [1, 10, 64], UINT8), w('W', [64, 32], INT8), w('xz', [], UINT8), w('wz', [32], INT8)], [a('y', [1, 10, 32], INT32)]));
  assert.deepEqual(figures(mi), { params: 2048, trainingParams: 2048, macs: 20_480, flops2: 40_960, flopsExact: 40_640, readBytes: 640, writtenBytes: 1280, weightBytes: 2048 + 1 + 32 });
  const q = one(nd('QLinearMatMul', [a('x', [1, 10, 64], INT8), w('xs', []), w('xz', [], INT8), w('W', [64, 32], INT8), w('ws', []), w('wz', [], INT8), w('ys', []), w('yz', [], INT8)], [a('y', [1, 10, 32], INT8)]));
  assert.deepEqual([q.params, q.macs, q.readBytes, q.writtenBytes, q.weightBytes], [2048, 20_480, 640, 320, 2048 + 4 + 1 + 4 + 1 + 4 + 1]);
});

test('an int8 QLinearConv moves int8 bytes; its int32 bias is params; fp16 override leaves ints alone', () => {
  const n = nd('QLinearConv', [
    a('x', [1, 8, 10, 10], INT8), w('xs', []), w('xz', [], INT8), w('W', [16, 8, 3, 3], INT8), w('wsc', [16]), w('wz', [16], INT8),
    w('ys', []), w('yz', [], UINT8), w('B', [16], INT32),
  ], [a('y', [1, 16, 8, 8], UINT8)]);
  const c = one(n);
  assert.deepEqual(figures(c), {
    params: 1152 + 16, trainingParams: 1168, macs: 73_728, flops2: 2 * 73_728 + 1024, flopsExact: (2 * 72 - 1) * 1024 + 1024,
    readBytes: 800, writtenBytes: 1024, weightBytes: 4 + 1 + 1152 + 64 + 16 + 4 + 1 + 64,
  });
  const h = one(n, FP16);
  assert.deepEqual([h.readBytes, h.writtenBytes, h.weightBytes], [800, 1024, 2 + 1 + 1152 + 32 + 16 + 2 + 1 + 64], 'only the float scales shrink');
});

test('Einsum: a two-operand contraction costs the product of all distinct letter sizes', () => {
  const c = one(nd('Einsum', [a('q', [1, 2, 4, 8]), a('k', [1, 2, 4, 8])], [a('s', [1, 2, 4, 4])], { equation: 'bhqd,bhkd->bhqk' }));
  const m = one(nd('MatMul', [a('q', [1, 2, 4, 8]), a('kt', [1, 2, 8, 4])], [a('s', [1, 2, 4, 4])]));
  assert.deepEqual([c.macs, c.flops2, c.flopsExact], [256, 512, 480]);
  assert.deepEqual([c.macs, c.flopsExact], [m.macs, m.flopsExact], 'the same work as the MatMul');
  assert.equal(c.formula(), 'product of the letter sizes b x h x q x d x k = 1 x 2 x 4 x 8 x 4 = 256 MACs');
  const e = one(nd('Einsum', [a('x', [2, 10, 64]), w('W', [64, 32])], [a('y', [2, 10, 32])], { equation: '...d,dk' }));
  assert.deepEqual([e.params, e.macs], [2048, 40_960], 'ellipsis and implicit output');
  const t = one(nd('Einsum', [a('x', [3, 5])], [a('y', [3])], { equation: 'ij->i' }));
  assert.deepEqual([t.macs, t.flops2], [0, 15], 'a one-operand sum: 1 FLOP per input element');
  assert.equal(one(nd('Einsum', [a('x', [3, 5])], [a('y', [3])], { equation: 'ijk->i' })).code, 'bad-node');
});

// ---- normalizations

test('an unfolded BatchNormalization: 2C params, 4C weights, 2 FLOPs per element', () => {
  const c = one(nd('BatchNormalization', [a('x', [2, 16, 4, 4]), w('g', [16]), w('b', [16]), w('m', [16]), w('v', [16])], [a('y', [2, 16, 4, 4])]));
  assert.deepEqual(figures(c), { params: 32, trainingParams: 32, macs: 0, flops2: 1024, flopsExact: 1024, readBytes: 2048, writtenBytes: 2048, weightBytes: 256 });
});

test('LayerNormalization equals `ln`; Instance and Group norms cost 8 per element', () => {
  const c = one(nd('LayerNormalization', [a('x', [1, 197, 768]), w('s', [768]), w('b', [768])], [a('y', [1, 197, 768])], { axis: -1 }));
  sameAsNet(c, netLayer('input: 197x768\nn: ln', 'n'));
  assert.deepEqual([c.params, c.flops2], [1536, 8 * 197 * 768]);
  const i = one(nd('InstanceNormalization', [a('x', [1, 8, 4, 4]), w('s', [8]), w('b', [8])], [a('y', [1, 8, 4, 4])]));
  const g = one(nd('GroupNormalization', [a('x', [1, 8, 4, 4]), w('s', [8]), w('b', [8])], [a('y', [1, 8, 4, 4])], { num_groups: 2 }));
  for (const x of [i, g]) assert.deepEqual([x.params, x.flops2, x.weightBytes], [16, 1024, 64]);
});

// ---- batch-norm folding

const bnOf = (x: string, y: string, c: number, shape: number[]) => nd('BatchNormalization', [a(x, shape), w(`${y}.g`, [c]), w(`${y}.b`, [c]), w(`${y}.m`, [c]), w(`${y}.v`, [c])], [a(y, shape)], {}, { name: y });

test('a BN read only by a bias-less Conv folds backward: the conv gains C_out, as `conv | bn` in .net', () => {
  const nodes = graph(
    nd('Conv', [a('x', [1, 64, 56, 56]), w('W', [256, 64, 1, 1])], [a('c', [1, 256, 56, 56])], {}, { name: 'conv' }),
    bnOf('c', 'bn', 256, [1, 256, 56, 56]),
    nd('Relu', [a('bn', [1, 256, 56, 56])], [a('r', [1, 256, 56, 56])]),
  );
  const [conv, bn] = costNodes(nodes);
  const an = analyze('input: 64x56x56\nc: conv 256 k=1 | bn', { batch: 1, dtype: 'fp32' });
  sameAsNet(conv, an.layers[0]);
  assert.equal(conv.biasFromBn, true);
  assert.deepEqual(figures(bn), { params: 0, trainingParams: 512, macs: 0, flops2: 0, flopsExact: 0, readBytes: 0, writtenBytes: 0, weightBytes: 0 });
  assert.equal(bn.foldedInto, 0);
  assert.equal(bn.formula(), 'folded into conv: no cost at inference');
  const withBias = costNodes(graph(
    nd('Conv', [a('x', [1, 64, 56, 56]), w('W', [256, 64, 1, 1]), w('B', [256])], [a('c', [1, 256, 56, 56])]),
    bnOf('c', 'bn', 256, [1, 256, 56, 56]),
  ));
  assert.equal(withBias[0].params, 16_640, 'a conv with a bias gains nothing');
  assert.equal(withBias[0].biasFromBn, undefined);
  assert.equal(withBias[1].foldedInto, 0);
});

test('a BN whose conv output has a second reader does not fold (unless forward)', () => {
  const nodes = graph(
    nd('Conv', [a('x', [1, 8, 4, 4]), w('W', [16, 8, 3, 3])], [a('c', [1, 16, 4, 4])], { pads: [1, 1, 1, 1] }),
    bnOf('c', 'bn', 16, [1, 16, 4, 4]),
    nd('Add', [a('bn', [1, 16, 4, 4]), a('c', [1, 16, 4, 4])], [a('s', [1, 16, 4, 4])]),
  );
  const [conv, bn] = costNodes(nodes);
  assert.equal(conv.params, 1152);
  assert.equal(bn.foldedInto, undefined);
  assert.deepEqual([bn.params, bn.trainingParams, bn.flops2, bn.weightBytes], [32, 32, 512, 256]);
});

test('BN folds forward into a following unpadded conv, as in .net; not into a padded one', () => {
  const chain = (pads: number[]) => graph(
    nd('Conv', [a('x', [1, 64, 56, 56]), w('W1', [256, 64, 1, 1]), w('B1', [256])], [a('c', [1, 256, 56, 56])]),
    nd('Relu', [a('c', [1, 256, 56, 56])], [a('r', [1, 256, 56, 56])]),
    bnOf('r', 'bn', 256, [1, 256, 56, 56]),
    nd('Conv', [a('bn', [1, 256, 56, 56]), w('W2', [32, 256, 1, 1])], [a('d', [1, 32, 56, 56])], { pads }, { name: 'd' }),
  );
  const cs = costNodes(chain([0, 0, 0, 0]));
  const an = analyze('input: 64 x 56 x 56\nc: conv 256 k=1\nr: relu\nb: bn\nd: conv 32 k=1 bias=false', { batch: 1, dtype: 'fp32' });
  assert.deepEqual(an.diagnostics, []);
  an.layers.forEach((l, i) => sameAsNet(cs[i], l));
  assert.equal(cs[2].foldedInto, 3);
  assert.equal(cs[3].biasFromBn, true);
  const padded = costNodes(chain([1, 1, 1, 1]).map((n, i) => (i === 3 ? { ...n, outputs: [{ dtype: FLOAT, shape: [1, 32, 58, 58] }] } : n)));
  assert.equal(padded[2].foldedInto, undefined);
  assert.equal(padded[2].params, 512);
});

test('BN after a 2-d MatMul with a weight folds backward; after a 3-d one it does not', () => {
  const two = costNodes(graph(nd('MatMul', [a('x', [4, 64]), w('W', [64, 32])], [a('m', [4, 32])]), bnOf('m', 'bn', 32, [4, 32])));
  assert.deepEqual([two[0].params, two[0].flops2, two[1].foldedInto], [2048 + 32, 2 * 8192 + 128, 0]);
  const three = costNodes(graph(nd('MatMul', [a('x', [4, 10, 64]), w('W', [64, 32])], [a('m', [4, 10, 32])]), bnOf('m', 'bn', 10, [4, 10, 32])));
  assert.equal(three[1].foldedInto, undefined);
});

// ---- element-wise, pooling, resize, reductions

test('element-wise ops: FLOPs per output element, float bias operands are params, scalar constants are not', () => {
  const x = [1, 10, 256];
  const add = one(nd('Add', [a('x', x), w('bias', [256])], [a('y', x)]));
  assert.deepEqual(figures(add), { params: 256, trainingParams: 256, macs: 0, flops2: 2560, flopsExact: 2560, readBytes: 10_240, writtenBytes: 10_240, weightBytes: 1024 });
  const scale = one(nd('Mul', [a('x', x), w('s', [], FLOAT, [0.125])], [a('y', x)]));
  assert.deepEqual([scale.params, scale.flops2, scale.weightBytes], [0, 2560, 4]);
  const per: [string, number][] = [['Relu', 1], ['Sigmoid', 4], ['HardSigmoid', 3], ['HardSwish', 4], ['Tanh', 5], ['Gelu', 8], ['Erf', 4], ['Softmax', 5], ['Sqrt', 1], ['Clip', 2]];
  for (const [op, k] of per) {
    const c = one(nd(op, [a('x', x)], [a('y', x)]));
    assert.deepEqual([op, c.flops2, c.flopsExact, c.readBytes, c.writtenBytes], [op, k * 2560, k * 2560, 10_240, 10_240]);
  }
  const sum3 = one(nd('Sum', [a('p', x), a('q', x), a('r', x)], [a('y', x)]));
  assert.deepEqual([sum3.flops2, sum3.readBytes], [2 * 2560, 3 * 10_240]);
  const where = one(nd('Where', [a('m', x, BOOL), a('p', x), a('q', [1])], [a('y', x)]));
  assert.deepEqual([where.flops2, where.readBytes, where.writtenBytes], [2560, 2560 + 10_240 + 4, 10_240]);
  const eq = one(nd('Equal', [a('p', x), a('q', x)], [a('y', x, BOOL)]));
  assert.deepEqual([eq.flops2, eq.writtenBytes], [2560, 2560]);
  const clip = one(nd('Clip', [a('x', x), w('lo', [], FLOAT, [0]), w('hi', [], FLOAT, [6])], [a('y', x)]));
  assert.equal(clip.weightBytes, 0, "Clip's bounds are settings");
  const relu = one(nd('Relu', [a('x', [1, 8, 4, 4])], [a('y', [1, 8, 4, 4])]));
  sameAsNet(relu, netLayer('input: 8x4x4\nr: relu', 'r'));
});

test('MaxPool counts one FLOP per window element (the cost-model worked example); global pooling its input', () => {
  const mp = one(nd('MaxPool', [a('x', [1, 64, 112, 112])], [a('y', [1, 64, 56, 56])], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }));
  assert.deepEqual([mp.flops2, mp.flopsExact, mp.macs], [1_806_336, 1_806_336, 0]);
  sameAsNet(mp, netLayer('input: 64x112x112\np: maxpool k=3 s=2 p=1', 'p'));
  const gap = one(nd('GlobalAveragePool', [a('x', [2, 2048, 7, 7])], [a('y', [2, 2048, 1, 1])]));
  sameAsNet(gap, netLayer('input: 2048x7x7\ng: gap', 'g', { batch: 2, dtype: 'fp32' }));
  assert.equal(gap.flops2, 2 * 2048 * 49);
  assert.equal(one(nd('MaxPool', [a('x', [1, 4, 8, 8])], [a('y', [1, 4, 4, 4])])).code, 'bad-node', 'no kernel_shape');
});

test('Resize: nearest 0, linear 7 per output element (as .net bilinear), cubic 31; scales are settings', () => {
  const n = (mode: string) => nd('Resize', [a('x', [1, 16, 8, 8]), NONE, w('scales', [4], FLOAT, [1, 1, 2, 2])], [a('y', [1, 16, 16, 16])], { mode });
  sameAsNet(one(n('linear')), netLayer('input: 16x8x8\nu: upsample s=2 mode=bilinear', 'u'));
  sameAsNet(one(n('nearest')), netLayer('input: 16x8x8\nu: upsample s=2', 'u'));
  assert.deepEqual([one(n('linear')).flops2, one(n('cubic')).flops2, one(n('nearest')).weightBytes], [7 * 4096, 31 * 4096, 0]);
});

test('Reduce ops: 1 FLOP per input element; their axes input is a setting', () => {
  const c = one(nd('ReduceMean', [a('x', [1, 10, 64]), w('axes', [1], INT64, [-1])], [a('y', [1, 10, 1])]));
  assert.deepEqual(figures(c), { params: 0, trainingParams: 0, macs: 0, flops2: 640, flopsExact: 640, readBytes: 2560, writtenBytes: 40, weightBytes: 0 });
});

// ---- data movement

test('views cost nothing; Transpose, Pad, Slice, Expand, Cast read and write', () => {
  for (const op of ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Concat', 'Split']) {
    const c = one(nd(op, [a('x', [1, 64, 7, 7]), a('s', [2], INT64)], [a('y', [1, 3136])]));
    assert.deepEqual([op, ...Object.values(figures(c)), c.counted, c.note], [op, 0, 0, 0, 0, 0, 0, 0, 0, true, 'view: no data moved']);
  }
  const t = one(nd('Transpose', [a('x', [1, 4, 8, 8])], [a('y', [1, 8, 8, 4])], { perm: [0, 2, 3, 1] }));
  assert.deepEqual([t.flops2, t.readBytes, t.writtenBytes, t.weightBytes], [0, 1024, 1024, 0]);
  const pad = one(nd('Pad', [a('x', [1, 4, 8, 8]), w('pads', [8], INT64, [0, 0, 1, 1, 0, 0, 1, 1])], [a('y', [1, 4, 10, 10])]));
  assert.deepEqual([pad.readBytes, pad.writtenBytes, pad.weightBytes], [1024, 1600, 0]);
  const cast = one(nd('Cast', [a('x', [1, 4, 8, 8])], [a('y', [1, 4, 8, 8], FP16)], { to: FP16 }));
  assert.deepEqual([cast.readBytes, cast.writtenBytes], [1024, 512]);
  const cls = one(nd('Expand', [w('cls', [1, 1, 768]), a('shape', [3], INT64)], [a('y', [4, 1, 768])]));
  assert.deepEqual([cls.params, cls.weightBytes, cls.writtenBytes], [768, 3072, 4 * 3072], 'an expanded class token is params');
});

test('Gather on an embedding table: params = the table, bytes = the gathered rows; int64 indices keep 8 bytes under fp16', () => {
  const n = nd('Gather', [w('emb', [1000, 64]), a('ids', [1, 10], INT64)], [a('y', [1, 10, 64])]);
  assert.deepEqual(figures(one(n)), { params: 64_000, trainingParams: 64_000, macs: 0, flops2: 0, flopsExact: 0, readBytes: 80, writtenBytes: 2560, weightBytes: 2560 });
  const h = one(n, FP16);
  assert.deepEqual([h.readBytes, h.writtenBytes, h.weightBytes], [80, 1280, 1280]);
  const act = one(nd('Gather', [a('x', [1, 197, 768]), w('i', [], INT64, [0])], [a('y', [1, 768])], { axis: 1 }));
  assert.deepEqual([act.params, act.readBytes, act.writtenBytes, act.weightBytes], [0, 3072, 3072, 8]);
});

// ---- dtype, shape computations, what is not counted

test('dtypeOverride fp16 halves float tensors', () => {
  const n = nd('Conv', [a('x', [1, 64, 56, 56]), w('W', [256, 64, 1, 1]), w('B', [256])], [a('y', [1, 256, 56, 56])]);
  const c = one(n, FP16);
  sameAsNet(c, netLayer('input: 64x56x56\nc: conv 256 k=1', 'c', { batch: 1, dtype: 'fp16' }));
  assert.deepEqual([c.readBytes, c.writtenBytes, c.weightBytes], [401_408, 1_605_632, 33_280]);
});

test('nodes computing shapes cost nothing (Shape -> Gather -> Unsqueeze -> Concat)', () => {
  const nodes = graph(
    nd('Shape', [a('x', [1, 64, 7, 7])], [a('s', [4], INT64)]),
    nd('Gather', [a('s', [4], INT64, [1, 64, 7, 7]), w('i', [], INT64, [0])], [a('n', [], INT64)]),
    nd('Unsqueeze', [a('n', [], INT64, [1]), w('ax', [1], INT64, [0])], [a('n1', [1], INT64)]),
    nd('Concat', [a('n1', [1], INT64, [1]), w('m1', [1], INT64, [-1])], [a('shape', [2], INT64)], { axis: 0 }),
    nd('Cast', [a('shape', [2], INT64, [1, 3136])], [a('f', [2], FLOAT)], { to: FLOAT }),
    nd('Reshape', [a('x', [1, 64, 7, 7]), a('shape', [2], INT64, [1, 3136])], [a('y', [1, 3136])]),
  );
  const cs = costNodes(nodes);
  for (const c of cs) assert.deepEqual(Object.values(figures(c)), [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(cs.map((c) => c.note), ['view: no data moved', 'shape computation', 'shape computation', 'shape computation', 'shape computation', 'view: no data moved']);
  assert.ok(cs.every((c) => c.counted));
});

test('an unknown op or an unknown shape is not counted, with a reason; a loop body is per iteration', () => {
  const u = one(nd('FancyOp', [a('x', [1, 8])], [a('y', [1, 8])]));
  assert.deepEqual([u.counted, u.code, u.note, u.macs], [false, 'unknown-op', 'unknown op FancyOp: not counted', 0]);
  const ms = one(nd('FusedConv', [a('x', [1, 8])], [a('y', [1, 8])], {}, { domain: 'com.microsoft' }));
  assert.equal(ms.code, 'unknown-op');
  const s = one(nd('Relu', [a('x', [null, 8])], [a('y', [null, 8])]));
  assert.deepEqual([s.counted, s.code, s.flops2, s.readBytes], [false, 'shape-unknown', 0, 0]);
  assert.match(s.note ?? '', /^shape unknown: not counted/);
  assert.equal(one(nd('Conv', [a('x', null), w('W', [4, 4, 1, 1])], [a('y', null)])).code, 'shape-unknown');
  const it = one(nd('MatMul', [a('h', [1, 32]), w('W', [32, 32])], [a('y', [1, 32])], {}, { perIteration: true }));
  assert.deepEqual([it.macs, it.note], [1024, 'per iteration']);
});

test('a figure past 2^53 is reported, not rounded; garbage never throws', () => {
  const big = one(nd('MatMul', [a('x', [1 << 20, 1 << 20]), a('y', [1 << 20, 1 << 20])], [a('z', [1 << 20, 1 << 20])]));
  assert.deepEqual([big.counted, big.code, big.macs], [false, 'too-large', 0]);
  const bad: InferredNode[] = [
    nd('Conv', [a('x', [1, 3, 8, 8])], [a('y', [1, 4, 8, 8])]),
    nd('Conv', [a('x', [1, 3, 8, 8]), w('W', [4, 3, -1, 3])], [a('y', [1, 4, 8, 8])]),
    nd('Gemm', [a('x', [2, 3, 4]), w('W', [4, 5])], [a('y', [2, 5])]),
    nd('Einsum', [a('x', [2, 3])], [a('y', [2])], { equation: 42 }),
    { ...nd('Add', [a('x', [2])], [a('y', [2])]), inputs: [], outputs: [], weights: [] },
  ];
  const cs = costNodes(graph(...bad));
  assert.equal(cs.length, bad.length);
  assert.ok(cs.every((c) => !c.counted && c.macs === 0 && typeof c.formula() === 'string'));
});

test('totalsByOp sums per op type, sorted by MACs then memory', () => {
  const nodes = graph(
    nd('Relu', [a('x', [1, 1000])], [a('r', [1, 1000])]),
    nd('MatMul', [a('r', [1, 1000]), w('W', [1000, 10])], [a('m', [1, 10])]),
    nd('Add', [a('m', [1, 10]), w('b', [10])], [a('s', [1, 10])]),
    nd('MatMul', [a('s', [1, 10]), w('W2', [10, 10])], [a('t', [1, 10])]),
    nd('Relu', [a('t', [1, 10])], [a('u', [1, 10])]),
  );
  const rows = totalsByOp(nodes, costNodes(nodes));
  assert.deepEqual(rows, [
    { opType: 'MatMul', count: 2, params: 10_100, macs: 10_100, flops2: 20_200, memoryBytes: 4000 + 40 + 40_000 + 40 + 40 + 400 },
    { opType: 'Relu', count: 2, params: 0, macs: 0, flops2: 1010, memoryBytes: 8000 + 80 },
    { opType: 'Add', count: 1, params: 10, macs: 0, flops2: 10, memoryBytes: 40 + 40 + 40 },
  ]);
});

test('a weight shared by two nodes is params once (the first reader); both read its bytes', () => {
  const nodes = graph(
    nd('MatMul', [a('x', [1, 64]), w('W', [64, 64])], [a('y', [1, 64])]),
    nd('MatMul', [a('y', [1, 64]), w('W', [64, 64])], [a('z', [1, 64])]),
  );
  const [p, q] = costNodes(nodes);
  assert.deepEqual([p.params, q.params, p.weightBytes, q.weightBytes, q.macs], [4096, 0, 16_384, 16_384, 4096]);
  const again = costNodes(nodes);
  assert.equal(again[0].params, 4096, 'each call starts afresh');
});

// ---- weight-only nodes (exports with constant folding off: `Transpose(weight) -> MatMul`)

/** infers a model and costs it: the costs by output name of each node (its first output) */
function costsOf(spec: GraphSpec): Map<string, NodeCost & { weightOnly: boolean }> {
  const inf = inferShapes(model(spec), { dims: {} });
  assert.deepEqual(inf.diagnostics.filter((d) => d.severity === 'error'), []);
  const cs = costNodes(inf.nodes);
  return new Map(inf.nodes.map((n, i) => [n.node.outputs[0], { ...cs[i], weightOnly: n.weightOnly === true }]));
}

test('Transpose(weight) -> MatMul: the MatMul counts the params and weight bytes, the Transpose costs nothing', () => {
  const c = costsOf({
    inputs: [['X', [1, 10, 64]]], initializers: [['W', [32, 64]]],
    nodes: [['Transpose', ['W'], ['Wt'], { perm: [1, 0] }], ['MatMul', ['X', 'Wt'], ['Y']]],
  });
  const t = c.get('Wt')!, m = c.get('Y')!;
  assert.deepEqual([Object.values(figures(t)), t.counted, t.note, t.weightOnly], [[0, 0, 0, 0, 0, 0, 0, 0], true, 'constant folded at load (weights only)', true]);
  // the same figures as a MatMul reading a stored [64, 32] weight (the `linear` of the .net engine)
  const direct = one(nd('MatMul', [a('x', [1, 10, 64]), w('W', [64, 32])], [a('y', [1, 10, 32])]));
  assert.deepEqual(figures(m), figures(direct));
  assert.deepEqual([m.params, m.weightBytes, m.readBytes, m.writtenBytes], [2048, 8192, 2560, 1280]);
});

test('a Constant-fed Mul(weight, weight) chain is folded; the reader counts the weight once, not the scale', () => {
  const c = costsOf({
    inputs: [['X', [1, 8]]], initializers: [['W', [4, 8]]],
    nodes: [
      ['Constant', [], ['g'], { value: { name: 'g', dims: [], dtype: FLOAT, values: [2], external: false } }],
      ['Constant', [], ['shape'], { value: { name: 'shape', dims: [2], dtype: INT64, values: [8, 4], external: false } }],
      ['Mul', ['W', 'g'], ['Wg']],
      ['Mul', ['Wg', 'g'], ['Wgg']],
      ['Reshape', ['Wgg', 'shape'], ['Wr']],
      ['Gemm', ['X', 'Wr'], ['Y']],
    ],
  });
  for (const k of ['Wg', 'Wgg', 'Wr']) {
    const x = c.get(k)!;
    assert.deepEqual([k, x.weightOnly, x.params, x.flops2, x.readBytes + x.writtenBytes + x.weightBytes], [k, true, 0, 0, 0]);
  }
  // 32 elements of W: neither the float scale g nor the int64 shape constant adds params
  const g = c.get('Y')!;
  assert.deepEqual([g.params, g.weightBytes, g.macs, g.note], [32, 128, 32, undefined]);
});

test('an Add of an activation and a weight still counts the weight; of two weights it is folded', () => {
  const c = costsOf({
    inputs: [['X', [1, 10, 16]]], initializers: [['b', [16]], ['b2', [16]]],
    nodes: [['Add', ['X', 'b'], ['Y']], ['Add', ['b', 'b2'], ['bb']], ['Add', ['Y', 'bb'], ['Z']]],
  });
  const y = c.get('Y')!;
  assert.deepEqual(figures(y), { params: 16, trainingParams: 16, macs: 0, flops2: 160, flopsExact: 160, readBytes: 640, writtenBytes: 640, weightBytes: 64 });
  assert.equal(y.weightOnly, false);
  // b + b2 is computed at load; Z reads it as a weight: b2's 16 elements (b was counted by Y)
  assert.deepEqual([c.get('bb')!.weightOnly, c.get('bb')!.params, c.get('Z')!.params, c.get('Z')!.weightBytes], [true, 0, 16, 64]);
});

test('a weight-only node whose output is a graph output: read by a node, the reader counts it; read by none, it counts itself', () => {
  const c = costsOf({
    inputs: [['X', [1, 8]]], initializers: [['W', [4, 8]], ['E', [5, 6]]],
    outputs: [['Y', [1, 4]], ['Wt', [8, 4]], ['Et', [6, 5]]],
    nodes: [['Transpose', ['W'], ['Wt'], { perm: [1, 0] }], ['MatMul', ['X', 'Wt'], ['Y']], ['Transpose', ['E'], ['Et'], { perm: [1, 0] }]],
  });
  assert.deepEqual([c.get('Wt')!.params, c.get('Wt')!.weightBytes, c.get('Y')!.params, c.get('Y')!.weightBytes], [0, 0, 32, 128]);
  const et = c.get('Et')!;
  assert.deepEqual(figures(et), { params: 30, trainingParams: 30, macs: 0, flops2: 0, flopsExact: 0, readBytes: 0, writtenBytes: 0, weightBytes: 120 });
  assert.equal(et.note, 'constant folded at load (weights only); a weight the graph outputs');
});

test('a weight read directly and through a weight-only node counts once; an expanded weight counts its source', () => {
  // tied embeddings: Gather(E) and MatMul(h, Transpose(E)); two Identity aliases of one weight
  const tied = costsOf({
    inputs: [['ids', [1, 3], INT64]], initializers: [['E', [10, 4]], ['V', [4, 4]]],
    nodes: [
      ['Gather', ['E', 'ids'], ['h']], ['Transpose', ['E'], ['Et'], { perm: [1, 0] }], ['MatMul', ['h', 'Et'], ['logits']],
      ['Identity', ['V'], ['V1']], ['Identity', ['V'], ['V2']], ['MatMul', ['h', 'V1'], ['p']], ['MatMul', ['h', 'V2'], ['q']],
    ],
  });
  assert.deepEqual(['h', 'logits', 'p', 'q'].map((k) => tied.get(k)!.params), [40, 0, 16, 0]);
  assert.deepEqual(['logits', 'p', 'q'].map((k) => tied.get(k)!.weightBytes), [160, 64, 64], 'each reader still reads the bytes');
  // a class token expanded to batch 4 at load: 8 params, 4 x 8 elements read by the Concat's copy
  const cls = costsOf({
    inputs: [['X', [4, 3, 8]]], initializers: [['cls', [1, 1, 8]], ['shape', [3], [4, 1, 8], INT64]],
    nodes: [['Expand', ['cls', 'shape'], ['c']], ['Concat', ['c', 'X'], ['Y'], { axis: 1 }]],
  });
  assert.deepEqual([cls.get('c')!.weightOnly, cls.get('c')!.params, cls.get('Y')!.params], [true, 0, 8]);
  // the two Slices of a packed q/k/v weight: each reader counts its own part
  const packed = costsOf({
    inputs: [['X', [1, 4]]],
    initializers: [['Wqkv', [12, 4]], ['s0', [1], [0], INT64], ['s1', [1], [4], INT64], ['s2', [1], [12], INT64], ['ax', [1], [0], INT64]],
    nodes: [
      ['Slice', ['Wqkv', 's0', 's1', 'ax'], ['Wq']], ['Slice', ['Wqkv', 's1', 's2', 'ax'], ['Wkv']],
      ['Gemm', ['X', 'Wq'], ['q'], { transB: 1 }], ['Gemm', ['X', 'Wkv'], ['kv'], { transB: 1 }],
    ],
  });
  assert.deepEqual([packed.get('q')!.params, packed.get('kv')!.params], [16, 32]);
});

test('a DequantizeLinear of stored int8 weights is not folded: runtimes fuse it and read the int8 bytes', () => {
  const c = costsOf({
    inputs: [['X', [1, 3, 8, 8]]], initializers: [['Wq', [4, 3, 1, 1], null, INT8], ['s', [], [0.1]], ['z', [], [0], INT8]],
    nodes: [['DequantizeLinear', ['Wq', 's', 'z'], ['W']], ['Conv', ['X', 'W'], ['Y']]],
  });
  assert.deepEqual([c.get('W')!.weightOnly, c.get('W')!.params, c.get('Y')!.params], [false, 12, 0]);
  // an int8 weight moved at load keeps counting as params of its integer reader; the int64 perm of a shape does not
  const t = costsOf({
    inputs: [['X', [1, 8], UINT8]], initializers: [['Wq', [4, 8], null, INT8], ['shape', [2], [8, 4], INT64]],
    nodes: [['Transpose', ['Wq'], ['Wt'], { perm: [1, 0] }], ['Reshape', ['Wt', 'shape'], ['Wr']], ['MatMulInteger', ['X', 'Wr'], ['Y']]],
  });
  assert.deepEqual([t.get('Wr')!.weightOnly, t.get('Y')!.params, t.get('Y')!.weightBytes], [true, 32, 32]);
});
