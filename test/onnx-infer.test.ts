// Tests of ONNX shape inference (server/src/onnx/infer.ts, shapes.ts): one graph per supported op with its
// output shape asserted exactly, the opset variants, constant folding of shape subgraphs, symbolic dim
// binding, subgraphs, and the diagnostics for broken graphs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { graph, model, type GraphSpec } from './onnx-graph';
import { inferShapes } from '../server/src/onnx/infer';
import { supportedOps } from '../server/src/onnx/shapes';
import { BOOL, FLOAT, INT64, type DimBindings, type Inference, type TensorType } from '../server/src/onnx/model';

const I64_MAX = 9.223372036854776e18;
const UINT8 = 2;
const INT32 = 6;

type Spec = GraphSpec & { opset?: number };
const infer = (spec: Spec, bind: DimBindings = { dims: {} }): Inference => inferShapes(model(spec), bind);
function typeOf(r: Inference, name: string): TensorType | null | undefined {
  for (const n of r.nodes) {
    const k = n.node.outputs.indexOf(name);
    if (k >= 0) return n.outputs[k];
  }
  return undefined;
}
const shapeOf = (r: Inference, name: string): (number | null)[] | null | undefined => {
  const t = typeOf(r, name);
  return t === undefined ? undefined : t === null ? null : t.shape;
};
const codes = (r: Inference): string[] => r.diagnostics.map((d) => d.code);
const errors = (r: Inference): string[] => r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`);

/** Shape of output `Y` of one `op` node reading X (dims) and the given initializers. */
function one(op: string, x: (number | string | null)[], attrs: Spec['nodes'][0][3] = {}, more: Partial<Spec> & { ins?: string[]; outs?: string[] } = {}): Inference {
  return infer({
    inputs: [['X', x], ...(more.inputs ?? [])],
    initializers: more.initializers,
    nodes: [[op, more.ins ?? ['X'], more.outs ?? ['Y'], attrs ?? {}]],
    valueInfo: more.valueInfo,
    opset: more.opset,
  });
}
const ok = (r: Inference): Inference => {
  assert.deepEqual(errors(r), []);
  return r;
};

// ---- element-wise

test('unary element-wise ops keep shape and dtype', () => {
  const ops = ['Relu', 'LeakyRelu', 'Clip', 'Sigmoid', 'HardSwish', 'HardSigmoid', 'Gelu', 'Erf', 'Tanh', 'Softmax', 'LogSoftmax',
    'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Neg', 'Abs', 'Identity', 'Floor', 'Ceil', 'Elu', 'Selu', 'Softplus', 'Mish', 'Round',
    'CumSum', 'Trilu', 'InstanceNormalization', 'GroupNormalization', 'LRN'];
  for (const op of ops) {
    const r = ok(one(op, [2, 3, 4]));
    assert.deepEqual(typeOf(r, 'Y'), { dtype: FLOAT, shape: [2, 3, 4] }, op);
  }
  const not = ok(infer({ inputs: [['X', [5], BOOL]], nodes: [['Not', ['X'], ['Y']]] }));
  assert.deepEqual(typeOf(not, 'Y'), { dtype: BOOL, shape: [5] });
});

test('PRelu with a slope, Clip with min/max inputs (opset 11) and attrs (opset 6)', () => {
  const r = ok(one('PRelu', [1, 8, 5, 5], {}, { ins: ['X', 's'], initializers: [['s', [8, 1, 1]]] }));
  assert.deepEqual(shapeOf(r, 'Y'), [1, 8, 5, 5]);
  const c11 = ok(one('Clip', [2, 3], {}, { ins: ['X', 'lo', 'hi'], initializers: [['lo', [], [0]], ['hi', [], [6]]], opset: 11 }));
  assert.deepEqual(shapeOf(c11, 'Y'), [2, 3]);
  const c6 = ok(one('Clip', [2, 3], { min: 0, max: 6 }, { opset: 7 }));
  assert.deepEqual(shapeOf(c6, 'Y'), [2, 3]);
});

test('Cast changes the dtype, Dropout has a bool mask', () => {
  const r = ok(one('Cast', [2, 3], { to: INT64 }));
  assert.deepEqual(typeOf(r, 'Y'), { dtype: INT64, shape: [2, 3] });
  const d = ok(one('Dropout', [2, 3], {}, { outs: ['Y', 'M'] }));
  assert.deepEqual(typeOf(d, 'Y'), { dtype: FLOAT, shape: [2, 3] });
  assert.deepEqual(typeOf(d, 'M'), { dtype: BOOL, shape: [2, 3] });
});

test('broadcasting binary ops', () => {
  for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Min', 'Max', 'Sum', 'Mean']) {
    const r = ok(one(op, [2, 1, 4], {}, { ins: ['X', 'B'], inputs: [['B', [3, 1]]] }));
    assert.deepEqual(typeOf(r, 'Y'), { dtype: FLOAT, shape: [2, 3, 4] }, op);
  }
  for (const op of ['Equal', 'Less', 'Greater']) {
    const r = ok(one(op, [4], {}, { ins: ['X', 'B'], inputs: [['B', [3, 1]]] }));
    assert.deepEqual(typeOf(r, 'Y'), { dtype: BOOL, shape: [3, 4] }, op);
  }
  for (const op of ['And', 'Or']) {
    const r = ok(infer({ inputs: [['X', [2, 1], BOOL], ['B', [5], BOOL]], nodes: [[op, ['X', 'B'], ['Y']]] }));
    assert.deepEqual(typeOf(r, 'Y'), { dtype: BOOL, shape: [2, 5] }, op);
  }
  const sum3 = ok(infer({ inputs: [['A', [4]], ['B', [3, 1]], ['C', [2, 1, 1]]], nodes: [['Sum', ['A', 'B', 'C'], ['Y']]] }));
  assert.deepEqual(shapeOf(sum3, 'Y'), [2, 3, 4]);
  const where = ok(infer({ inputs: [['C', [3, 1], BOOL], ['A', [4]], ['B', [1]]], nodes: [['Where', ['C', 'A', 'B'], ['Y']]] }));
  assert.deepEqual(typeOf(where, 'Y'), { dtype: FLOAT, shape: [3, 4] });
});

test('impossible broadcast is a shape error with no cascade', () => {
  const r = infer({
    inputs: [['A', [2, 3]], ['B', [4, 3]]],
    nodes: [['Add', ['A', 'B'], ['C']], ['Relu', ['C'], ['D']], ['MatMul', ['D', 'D'], ['E']]],
  });
  assert.deepEqual(codes(r), ['onnx-shape-error']);
  assert.equal(r.diagnostics[0].node, 0);
  assert.match(r.diagnostics[0].message, /cannot broadcast \[2, 3\] with \[4, 3\]/);
  assert.equal(typeOf(r, 'C'), null);
  assert.equal(typeOf(r, 'E'), null);
});

// ---- linear algebra

test('Conv: padding, stride, groups, dilation, auto_pad, channel mismatch', () => {
  const conv = (x: number[], w: number[], attrs: Spec['nodes'][0][3]): Inference =>
    one('Conv', x, attrs, { ins: ['X', 'W'], initializers: [['W', w]] });
  assert.deepEqual(shapeOf(ok(conv([1, 3, 224, 224], [64, 3, 7, 7], { strides: [2, 2], pads: [3, 3, 3, 3] })), 'Y'), [1, 64, 112, 112]);
  assert.deepEqual(shapeOf(ok(conv([1, 3, 224, 224], [64, 3, 3, 3], { strides: [2, 2], auto_pad: 'SAME_UPPER' })), 'Y'), [1, 64, 112, 112]);
  assert.deepEqual(shapeOf(ok(conv([1, 32, 56, 56], [32, 1, 3, 3], { group: 32, pads: [1, 1, 1, 1] })), 'Y'), [1, 32, 56, 56]);
  assert.deepEqual(shapeOf(ok(conv([1, 8, 20, 20], [8, 8, 3, 3], { dilations: [2, 2], pads: [2, 2, 2, 2] })), 'Y'), [1, 8, 20, 20]);
  assert.deepEqual(shapeOf(ok(conv([1, 8, 20, 20], [4, 8, 3, 3], { auto_pad: 'VALID', strides: [2, 2] })), 'Y'), [1, 4, 9, 9]);
  assert.deepEqual(shapeOf(ok(conv([2, 4, 100], [6, 4, 5], {})), 'Y'), [2, 6, 96]);
  const bad = conv([1, 3, 32, 32], [16, 4, 3, 3], {});
  assert.deepEqual(codes(bad), ['onnx-shape-error']);
  assert.match(bad.diagnostics[0].message, /3 channels/);
  assert.equal(typeOf(bad, 'Y'), null);
});

test('ConvTranspose: strides and pads, output_padding, output_shape, auto_pad, groups', () => {
  const ct = (attrs: Spec['nodes'][0][3], w = [16, 8, 4, 4]): (number | null)[] | null | undefined =>
    shapeOf(ok(one('ConvTranspose', [1, 16, 14, 14], attrs, { ins: ['X', 'W'], initializers: [['W', w]] })), 'Y');
  assert.deepEqual(ct({ strides: [2, 2], pads: [1, 1, 1, 1] }), [1, 8, 28, 28]);
  assert.deepEqual(ct({ strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }, [16, 8, 3, 3]), [1, 8, 28, 28]);
  assert.deepEqual(ct({ strides: [2, 2], output_shape: [30, 30] }), [1, 8, 30, 30]);
  assert.deepEqual(ct({ strides: [2, 2], auto_pad: 'SAME_UPPER' }), [1, 8, 28, 28]);
  assert.deepEqual(ct({ strides: [2, 2], pads: [1, 1, 1, 1], group: 2 }, [16, 4, 4, 4]), [1, 8, 28, 28]);
});

test('Gemm with transA/transB and inner mismatch', () => {
  const g = (a: number[], b: number[], attrs: Spec['nodes'][0][3]): Inference =>
    one('Gemm', a, attrs, { ins: ['X', 'W', 'b'], initializers: [['W', b], ['b', [1000]]] });
  assert.deepEqual(shapeOf(ok(g([2, 512], [1000, 512], { transB: 1 })), 'Y'), [2, 1000]);
  assert.deepEqual(shapeOf(ok(g([512, 2], [512, 1000], { transA: 1 })), 'Y'), [2, 1000]);
  assert.deepEqual(codes(g([2, 512], [1000, 512], {})), ['onnx-shape-error']);
});

test('MatMul: batch broadcasting, 1-D operands, inner mismatch', () => {
  const mm = (a: number[], b: number[]): Inference => one('MatMul', a, {}, { ins: ['X', 'B'], inputs: [['B', b]] });
  assert.deepEqual(shapeOf(ok(mm([2, 3, 4, 5], [5, 6])), 'Y'), [2, 3, 4, 6]);
  assert.deepEqual(shapeOf(ok(mm([2, 1, 3, 4], [5, 4, 6])), 'Y'), [2, 5, 3, 6]);
  assert.deepEqual(shapeOf(ok(mm([4], [4, 6])), 'Y'), [6]);
  assert.deepEqual(shapeOf(ok(mm([2, 3, 4], [4])), 'Y'), [2, 3]);
  assert.deepEqual(shapeOf(ok(mm([7, 4], [2, 4, 6])), 'Y'), [2, 7, 6]);
  assert.deepEqual(shapeOf(ok(mm([4], [4])), 'Y'), []);
  const bad = mm([2, 3], [4, 5]);
  assert.deepEqual(codes(bad), ['onnx-shape-error']);
  assert.match(bad.diagnostics[0].message, /inner dims 3 and 4 differ/);
});

test('quantized ops: MatMulInteger, QLinearMatMul, QLinearConv, QuantizeLinear, DequantizeLinear', () => {
  const mi = ok(infer({ inputs: [['A', [2, 4], UINT8], ['B', [4, 3], UINT8]], nodes: [['MatMulInteger', ['A', 'B'], ['Y']]] }));
  assert.deepEqual(typeOf(mi, 'Y'), { dtype: INT32, shape: [2, 3] });
  const scalars: Spec['initializers'] = [['s', [], [0.1]], ['z', [], [0], UINT8]];
  const qm = ok(infer({
    inputs: [['A', [2, 4], UINT8]], initializers: [...(scalars ?? []), ['B', [4, 3], null, UINT8]],
    nodes: [['QLinearMatMul', ['A', 's', 'z', 'B', 's', 'z', 's', 'z'], ['Y']]],
  }));
  assert.deepEqual(typeOf(qm, 'Y'), { dtype: UINT8, shape: [2, 3] });
  const qc = ok(infer({
    inputs: [['X', [1, 3, 8, 8], UINT8]], initializers: [...(scalars ?? []), ['W', [4, 3, 3, 3], null, UINT8]],
    nodes: [['QLinearConv', ['X', 's', 'z', 'W', 's', 'z', 's', 'z'], ['Y']]],
  }));
  assert.deepEqual(typeOf(qc, 'Y'), { dtype: UINT8, shape: [1, 4, 6, 6] });
  const q = ok(infer({
    inputs: [['X', [1, 3, 8, 8]]], initializers: scalars,
    nodes: [['QuantizeLinear', ['X', 's', 'z'], ['Q']], ['DequantizeLinear', ['Q', 's', 'z'], ['D']]],
  }));
  assert.deepEqual(typeOf(q, 'Q'), { dtype: UINT8, shape: [1, 3, 8, 8] });
  assert.deepEqual(typeOf(q, 'D'), { dtype: FLOAT, shape: [1, 3, 8, 8] });
});

test('Einsum equations: attention scores, matrix product, ellipsis, implicit output', () => {
  const es = (eq: string, a: number[], b: number[]): Inference => one('Einsum', a, { equation: eq }, { ins: ['X', 'B'], inputs: [['B', b]] });
  assert.deepEqual(shapeOf(ok(es('bhid,bhjd->bhij', [2, 12, 128, 64], [2, 12, 77, 64])), 'Y'), [2, 12, 128, 77]);
  assert.deepEqual(shapeOf(ok(es('ij,jk->ik', [3, 4], [4, 5])), 'Y'), [3, 5]);
  assert.deepEqual(shapeOf(ok(es('...ij,...jk->...ik', [2, 3, 4, 5], [5, 6])), 'Y'), [2, 3, 4, 6]);
  assert.deepEqual(shapeOf(ok(es('ij,jk', [3, 4], [4, 5])), 'Y'), [3, 5]);
  assert.deepEqual(shapeOf(ok(es('b...d, d e -> b...e', [2, 7, 9, 16], [16, 32])), 'Y'), [2, 7, 9, 32]);
  assert.deepEqual(codes(es('ij,jk->ik', [3, 4], [5, 6])), ['onnx-shape-error']);
  assert.deepEqual(codes(es('ij,jk->iz', [3, 4], [4, 6])), ['onnx-shape-error']);
  const tr = ok(one('Einsum', [3, 4], { equation: 'ij->ji' }));
  assert.deepEqual(shapeOf(tr, 'Y'), [4, 3]);
});

// ---- normalization and pooling

test('BatchNormalization (with training outputs), LayerNormalization', () => {
  const bnInits: Spec['initializers'] = [['g', [16]], ['b', [16]], ['m', [16]], ['v', [16]]];
  const bn = ok(one('BatchNormalization', [2, 16, 8, 8], {}, { ins: ['X', 'g', 'b', 'm', 'v'], initializers: bnInits }));
  assert.deepEqual(shapeOf(bn, 'Y'), [2, 16, 8, 8]);
  const train = ok(one('BatchNormalization', [2, 16, 8, 8], { training_mode: 1 }, { ins: ['X', 'g', 'b', 'm', 'v'], outs: ['Y', 'rm', 'rv'], initializers: bnInits, opset: 15 }));
  assert.deepEqual(shapeOf(train, 'rm'), [16]);
  assert.deepEqual(shapeOf(train, 'rv'), [16]);
  const badBn = one('BatchNormalization', [2, 8, 4, 4], {}, { ins: ['X', 'g', 'b', 'm', 'v'], initializers: bnInits });
  assert.deepEqual(codes(badBn), ['onnx-shape-error']);
  const ln = ok(one('LayerNormalization', [2, 5, 8], {}, { ins: ['X', 'g', 'b'], outs: ['Y', 'mean', 'istd'], initializers: [['g', [8]], ['b', [8]]] }));
  assert.deepEqual(shapeOf(ln, 'Y'), [2, 5, 8]);
  assert.deepEqual(shapeOf(ln, 'mean'), [2, 5, 1]);
  assert.deepEqual(shapeOf(ln, 'istd'), [2, 5, 1]);
});

test('MaxPool (indices, ceil_mode), AveragePool (auto_pad), LpPool, global pools', () => {
  const mp = ok(one('MaxPool', [1, 64, 112, 112], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, { outs: ['Y', 'I'] }));
  assert.deepEqual(typeOf(mp, 'Y'), { dtype: FLOAT, shape: [1, 64, 56, 56] });
  assert.deepEqual(typeOf(mp, 'I'), { dtype: INT64, shape: [1, 64, 56, 56] });
  assert.deepEqual(shapeOf(ok(one('MaxPool', [1, 1, 5, 5], { kernel_shape: [2, 2], strides: [2, 2] })), 'Y'), [1, 1, 2, 2]);
  assert.deepEqual(shapeOf(ok(one('MaxPool', [1, 1, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 })), 'Y'), [1, 1, 3, 3]);
  // the last window would start in the padding: dropped (PyTorch and onnxruntime)
  assert.deepEqual(shapeOf(ok(one('MaxPool', [1, 1, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 })), 'Y'), [1, 1, 3, 3]);
  assert.deepEqual(shapeOf(ok(one('AveragePool', [1, 3, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' })), 'Y'), [1, 3, 4, 4]);
  assert.deepEqual(shapeOf(ok(one('AveragePool', [1, 3, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' })), 'Y'), [1, 3, 4, 4]);
  assert.deepEqual(shapeOf(ok(one('AveragePool', [1, 3, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'VALID' })), 'Y'), [1, 3, 3, 3]);
  assert.deepEqual(shapeOf(ok(one('LpPool', [1, 3, 8, 8], { kernel_shape: [2, 2], strides: [2, 2] })), 'Y'), [1, 3, 4, 4]);
  assert.deepEqual(shapeOf(ok(one('GlobalAveragePool', [1, 2048, 7, 7])), 'Y'), [1, 2048, 1, 1]);
  assert.deepEqual(shapeOf(ok(one('GlobalMaxPool', [1, 512, 3, 5])), 'Y'), [1, 512, 1, 1]);
  assert.deepEqual(codes(one('MaxPool', [1, 1, 2, 2], { kernel_shape: [3, 3] })), ['onnx-shape-error']);
});

// ---- data movement

test('Concat, and its mismatch', () => {
  assert.deepEqual(shapeOf(ok(one('Concat', [2, 3], { axis: 1 }, { ins: ['X', 'B'], inputs: [['B', [2, 5]]] })), 'Y'), [2, 8]);
  assert.deepEqual(shapeOf(ok(one('Concat', [2, 3], { axis: -2 }, { ins: ['X', 'X', 'X'] })), 'Y'), [6, 3]);
  assert.deepEqual(codes(one('Concat', [2, 3], { axis: 1 }, { ins: ['X', 'B'], inputs: [['B', [3, 5]]] })), ['onnx-shape-error']);
});

test('Split: opset 11 attr, opset 13 input, opset 18 num_outputs, equal split', () => {
  const s11 = ok(one('Split', [6, 4], { axis: 0, split: [2, 4] }, { outs: ['A', 'B'], opset: 11 }));
  assert.deepEqual([shapeOf(s11, 'A'), shapeOf(s11, 'B')], [[2, 4], [4, 4]]);
  const s13 = ok(one('Split', [6, 4], { axis: 1 }, { ins: ['X', 's'], outs: ['A', 'B'], initializers: [['s', [2], [1, 3], INT64]], opset: 13 }));
  assert.deepEqual([shapeOf(s13, 'A'), shapeOf(s13, 'B')], [[6, 1], [6, 3]]);
  const s18 = ok(one('Split', [7], { num_outputs: 3 }, { outs: ['A', 'B', 'C'], opset: 18 }));
  assert.deepEqual([shapeOf(s18, 'A'), shapeOf(s18, 'B'), shapeOf(s18, 'C')], [[3], [3], [1]]);
  const eq = ok(one('Split', [2, 768, 3], { axis: 1 }, { outs: ['A', 'B', 'C'], opset: 13 }));
  assert.deepEqual(shapeOf(eq, 'C'), [2, 256, 3]);
  assert.deepEqual(codes(one('Split', [7], {}, { outs: ['A', 'B'], opset: 13 })), ['onnx-shape-error']);
  assert.deepEqual(codes(one('Split', [7], { split: [3, 3] }, { outs: ['A', 'B'], opset: 11 })), ['onnx-shape-error']);
});

test('Slice: opset 9 attrs and opset 13 inputs, negative, clamped, INT64_MAX, steps', () => {
  const s9 = ok(one('Slice', [10, 20, 30], { starts: [1, -5], ends: [I64_MAX, -1], axes: [0, 2] }, { opset: 9 }));
  assert.deepEqual(shapeOf(s9, 'Y'), [9, 20, 4]);
  const s13 = (starts: number[], ends: number[], axes: number[] | null, steps: number[] | null): (number | null)[] | null | undefined => {
    const inits: Spec['initializers'] = [['s', [starts.length], starts, INT64], ['e', [ends.length], ends, INT64]];
    const ins = ['X', 's', 'e'];
    if (axes) inits.push(['a', [axes.length], axes, INT64]);
    ins.push(axes ? 'a' : '');
    if (steps) {
      inits.push(['t', [steps.length], steps, INT64]);
      ins.push('t');
    }
    return shapeOf(ok(one('Slice', [10, 20, 30], {}, { ins, initializers: inits, opset: 13 })), 'Y');
  };
  assert.deepEqual(s13([1, -5], [I64_MAX, -1], [0, 2], null), [9, 20, 4]);
  assert.deepEqual(s13([0], [I64_MAX], [1], [2]), [10, 10, 30]);
  assert.deepEqual(s13([-1], [-I64_MAX], [1], [-1]), [10, 20, 30]);
  assert.deepEqual(s13([-1], [-I64_MAX], [1], [-3]), [10, 7, 30]);
  assert.deepEqual(s13([2, 100], [5, 200], null, null), [3, 0, 30]);
  assert.deepEqual(s13([5], [2], [0], null), [0, 20, 30]);
});

test('Gather, GatherElements', () => {
  const g = ok(one('Gather', [10, 20], { axis: 1 }, { ins: ['X', 'i'], inputs: [['i', [3, 4], INT64]] }));
  assert.deepEqual(shapeOf(g, 'Y'), [10, 3, 4]);
  const s = ok(one('Gather', [10, 20], {}, { ins: ['X', 'i'], initializers: [['i', [], [3], INT64]] }));
  assert.deepEqual(shapeOf(s, 'Y'), [20]);
  const ge = ok(one('GatherElements', [3, 4], { axis: 1 }, { ins: ['X', 'i'], inputs: [['i', [3, 2], INT64]] }));
  assert.deepEqual(shapeOf(ge, 'Y'), [3, 2]);
});

test('Reshape: 0 copies, -1, allowzero, element-count mismatch', () => {
  const rs = (x: number[], target: number[], attrs: Spec['nodes'][0][3] = {}): Inference =>
    one('Reshape', x, attrs, { ins: ['X', 's'], initializers: [['s', [target.length], target, INT64]] });
  assert.deepEqual(shapeOf(ok(rs([2, 3, 4], [0, -1])), 'Y'), [2, 12]);
  assert.deepEqual(shapeOf(ok(rs([2, 3, 4], [6, -1])), 'Y'), [6, 4]);
  assert.deepEqual(shapeOf(ok(rs([0, 3], [0, 4], { allowzero: 1 })), 'Y'), [0, 4]);
  const bad = rs([2, 3, 4], [5, -1]);
  assert.deepEqual(codes(bad), ['onnx-shape-error']);
  assert.match(bad.diagnostics[0].message, /24 elements/);
  assert.deepEqual(codes(rs([2, 3, 4], [2, 3])), ['onnx-shape-error']);
  assert.deepEqual(codes(rs([2, 3, 4], [-1, -1])), ['onnx-shape-error']);
});

test('Flatten, Transpose, Squeeze and Unsqueeze (opset 11 attr vs 13 input)', () => {
  assert.deepEqual(shapeOf(ok(one('Flatten', [2, 3, 4, 5])), 'Y'), [2, 60]);
  assert.deepEqual(shapeOf(ok(one('Flatten', [2, 3, 4, 5], { axis: 2 })), 'Y'), [6, 20]);
  assert.deepEqual(shapeOf(ok(one('Flatten', [2, 3, 4, 5], { axis: 0 })), 'Y'), [1, 120]);
  assert.deepEqual(shapeOf(ok(one('Transpose', [2, 3, 4])), 'Y'), [4, 3, 2]);
  assert.deepEqual(shapeOf(ok(one('Transpose', [2, 3, 4], { perm: [0, 2, 1] })), 'Y'), [2, 4, 3]);
  assert.deepEqual(shapeOf(ok(one('Squeeze', [2, 1, 3, 1], { axes: [1] }, { opset: 11 })), 'Y'), [2, 3, 1]);
  const sq13 = ok(one('Squeeze', [2, 1, 3, 1], {}, { ins: ['X', 'a'], initializers: [['a', [1], [-1], INT64]], opset: 13 }));
  assert.deepEqual(shapeOf(sq13, 'Y'), [2, 1, 3]);
  assert.deepEqual(shapeOf(ok(one('Squeeze', [2, 1, 3, 1], {}, { opset: 13 })), 'Y'), [2, 3]);
  assert.deepEqual(codes(one('Squeeze', [2, 3], { axes: [0] }, { opset: 11 })), ['onnx-shape-error']);
  assert.deepEqual(shapeOf(ok(one('Unsqueeze', [2, 3], { axes: [0, 3] }, { opset: 11 })), 'Y'), [1, 2, 3, 1]);
  const un13 = ok(one('Unsqueeze', [2, 3], {}, { ins: ['X', 'a'], initializers: [['a', [2], [0, -1], INT64]], opset: 13 }));
  assert.deepEqual(shapeOf(un13, 'Y'), [1, 2, 3, 1]);
});

test('Expand, Tile, Pad (opset 2 attr vs 11 input), DepthToSpace, SpaceToDepth', () => {
  const ex = ok(one('Expand', [3, 1], {}, { ins: ['X', 's'], initializers: [['s', [3], [2, 1, 4], INT64]] }));
  assert.deepEqual(shapeOf(ex, 'Y'), [2, 3, 4]);
  const ti = ok(one('Tile', [2, 3], {}, { ins: ['X', 'r'], initializers: [['r', [2], [2, 2], INT64]] }));
  assert.deepEqual(shapeOf(ti, 'Y'), [4, 6]);
  const p2 = ok(one('Pad', [1, 3, 4, 4], { pads: [0, 0, 1, 2, 0, 0, 1, 2] }, { opset: 2 }));
  assert.deepEqual(shapeOf(p2, 'Y'), [1, 3, 6, 8]);
  const p11 = ok(one('Pad', [1, 3, 4, 4], { mode: 'reflect' }, { ins: ['X', 'p'], initializers: [['p', [8], [0, 0, 1, 2, 0, 0, 1, 2], INT64]], opset: 11 }));
  assert.deepEqual(shapeOf(p11, 'Y'), [1, 3, 6, 8]);
  const p18 = ok(one('Pad', [1, 3, 4, 4], {}, { ins: ['X', 'p', '', 'a'], initializers: [['p', [4], [1, 1, 0, 3], INT64], ['a', [2], [2, 3], INT64]], opset: 18 }));
  assert.deepEqual(shapeOf(p18, 'Y'), [1, 3, 5, 8]);
  assert.deepEqual(shapeOf(ok(one('DepthToSpace', [1, 16, 4, 4], { blocksize: 2 })), 'Y'), [1, 4, 8, 8]);
  assert.deepEqual(shapeOf(ok(one('SpaceToDepth', [1, 16, 4, 4], { blocksize: 2 })), 'Y'), [1, 64, 2, 2]);
});

test('Resize (opsets 10, 11, 13, sizes and scales) and Upsample (opsets 7 and 9)', () => {
  const sc: Spec['initializers'] = [['sc', [4], [1, 1, 2, 2]]];
  const r10 = ok(one('Resize', [1, 3, 7, 7], {}, { ins: ['X', 'sc'], initializers: sc, opset: 10 }));
  assert.deepEqual(shapeOf(r10, 'Y'), [1, 3, 14, 14]);
  const r11 = ok(one('Resize', [1, 3, 7, 7], {}, { ins: ['X', 'roi', 'e', 'sz'], initializers: [['roi', [0], []], ['e', [0], []], ['sz', [4], [1, 3, 10, 12], INT64]], opset: 11 }));
  assert.deepEqual(shapeOf(r11, 'Y'), [1, 3, 10, 12]);
  const r13 = ok(one('Resize', [1, 3, 7, 7], {}, { ins: ['X', '', 'sc'], initializers: [['sc', [4], [1, 1, 1.5, 1.5]]], opset: 13 }));
  assert.deepEqual(shapeOf(r13, 'Y'), [1, 3, 10, 10]);
  const u7 = ok(one('Upsample', [1, 3, 7, 7], { scales: [1, 1, 2, 2], mode: 'nearest' }, { opset: 7 }));
  assert.deepEqual(shapeOf(u7, 'Y'), [1, 3, 14, 14]);
  const u9 = ok(one('Upsample', [1, 3, 7, 7], {}, { ins: ['X', 'sc'], initializers: sc, opset: 9 }));
  assert.deepEqual(shapeOf(u9, 'Y'), [1, 3, 14, 14]);
});

test('Reduce ops: axes attr (ReduceSum < 13, others < 18) and input, keepdims, noop_with_empty_axes', () => {
  const axesIn: Spec['initializers'] = [['a', [2], [2, 3], INT64]];
  assert.deepEqual(shapeOf(ok(one('ReduceMean', [1, 8, 7, 7], { axes: [2, 3] }, { opset: 13 })), 'Y'), [1, 8, 1, 1]);
  assert.deepEqual(shapeOf(ok(one('ReduceMean', [1, 8, 7, 7], {}, { ins: ['X', 'a'], initializers: axesIn, opset: 18 })), 'Y'), [1, 8, 1, 1]);
  assert.deepEqual(shapeOf(ok(one('ReduceSum', [1, 8, 7, 7], { axes: [2, 3], keepdims: 0 }, { opset: 11 })), 'Y'), [1, 8]);
  assert.deepEqual(shapeOf(ok(one('ReduceSum', [1, 8, 7, 7], { keepdims: 0 }, { ins: ['X', 'a'], initializers: axesIn, opset: 13 })), 'Y'), [1, 8]);
  assert.deepEqual(shapeOf(ok(one('ReduceSum', [1, 8, 7, 7], { keepdims: 0 }, { opset: 13 })), 'Y'), []);
  assert.deepEqual(shapeOf(ok(one('ReduceSum', [1, 8, 7, 7], { noop_with_empty_axes: 1 }, { opset: 13 })), 'Y'), [1, 8, 7, 7]);
  for (const op of ['ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSumExp']) {
    assert.deepEqual(shapeOf(ok(one(op, [4, 5, 6], { axes: [-1] }, { opset: 13 })), 'Y'), [4, 5, 1], op);
    assert.deepEqual(shapeOf(ok(one(op, [4, 5, 6], { keepdims: 0 }, { ins: ['X', 'a'], initializers: [['a', [1], [1], INT64]], opset: 18 })), 'Y'), [4, 6], op);
  }
});

test('ArgMax/ArgMin, TopK, NonZero, Shape, Size', () => {
  const am = ok(one('ArgMax', [2, 3, 4], { axis: 1, keepdims: 0 }));
  assert.deepEqual(typeOf(am, 'Y'), { dtype: INT64, shape: [2, 4] });
  assert.deepEqual(shapeOf(ok(one('ArgMin', [2, 3, 4], { axis: -1 })), 'Y'), [2, 3, 1]);
  const tk = ok(one('TopK', [2, 10], {}, { ins: ['X', 'k'], outs: ['V', 'I'], initializers: [['k', [1], [3], INT64]] }));
  assert.deepEqual(typeOf(tk, 'V'), { dtype: FLOAT, shape: [2, 3] });
  assert.deepEqual(typeOf(tk, 'I'), { dtype: INT64, shape: [2, 3] });
  assert.deepEqual(typeOf(ok(one('NonZero', [3, 4])), 'Y'), { dtype: INT64, shape: [2, null] });
  assert.deepEqual(typeOf(ok(one('Shape', [2, 3, 4, 5])), 'Y'), { dtype: INT64, shape: [4], value: [2, 3, 4, 5] });
  assert.deepEqual(typeOf(ok(one('Shape', [2, 3, 4, 5], { start: 1, end: -1 }, { opset: 15 })), 'Y'), { dtype: INT64, shape: [2], value: [3, 4] });
  assert.deepEqual(typeOf(ok(one('Size', [2, 3, 4, 5])), 'Y'), { dtype: INT64, shape: [], value: [120] });
});

test('Constant, ConstantOfShape, Range fold their values; weights are the tensors stored in the file', () => {
  const r2 = ok(infer({
    inputs: [['X', [2, 3]]],
    initializers: [['W', [3, 4]], ['zero', [], [0], INT64], ['three', [], [3], INT64]],
    nodes: [
      ['Constant', [], ['c'], { value_ints: [4, 2] }],
      ['ConstantOfShape', ['c'], ['z'], { value: { name: 'v', dims: [1], dtype: INT64, values: [7], external: false } }],
      ['Constant', [], ['lim'], { value: { name: 'lim', dims: [], dtype: INT64, values: [10], external: false } }],
      ['Range', ['zero', 'lim', 'three'], ['rg']],
      ['MatMul', ['X', 'W'], ['m']],
      ['Reshape', ['m', 'c'], ['rs']],
      ['Constant', [], ['f'], { value_float: 0.5 }],
    ],
  }));
  assert.deepEqual(typeOf(r2, 'c'), { dtype: INT64, shape: [2], value: [4, 2] });
  assert.deepEqual(typeOf(r2, 'z'), { dtype: INT64, shape: [4, 2], value: [7, 7, 7, 7, 7, 7, 7, 7] });
  assert.deepEqual(typeOf(r2, 'rg'), { dtype: INT64, shape: [4], value: [0, 3, 6, 9] });
  assert.deepEqual(shapeOf(r2, 'rs'), [4, 2]);
  assert.deepEqual(typeOf(r2, 'f'), { dtype: FLOAT, shape: [], value: [0.5] });
  const range = r2.nodes.find((n) => n.node.opType === 'Range');
  assert.deepEqual(range?.weights.map((w) => w?.name ?? null), ['zero', 'lim', 'three']);
  const mm = r2.nodes.find((n) => n.node.opType === 'MatMul');
  assert.deepEqual(mm?.weights.map((w) => w?.name ?? null), [null, 'W']);
  const reshape = r2.nodes.find((n) => n.node.opType === 'Reshape');
  assert.deepEqual(reshape?.weights, [null, null]);
});

// ---- constant folding of shape subgraphs

test('torchvision-style flatten: Shape -> Gather -> Unsqueeze -> Concat -> Reshape gets a real shape', () => {
  const spec: Spec = {
    opset: 11,
    inputs: [['input', ['batch_size', 3, 32, 32]]],
    initializers: [['W', [512, 3, 32, 32]], ['fcW', [10, 512]], ['fcB', [10]], ['zero', [], [0], INT64], ['neg1', [1], [-1], INT64]],
    nodes: [
      ['Conv', ['input', 'W'], ['feat']],
      ['Shape', ['feat'], ['shp']],
      ['Gather', ['shp', 'zero'], ['n'], { axis: 0 }],
      ['Unsqueeze', ['n'], ['n1'], { axes: [0] }],
      ['Concat', ['n1', 'neg1'], ['target'], { axis: 0 }],
      ['Reshape', ['feat', 'target'], ['flat']],
      ['Gemm', ['flat', 'fcW', 'fcB'], ['logits'], { transB: 1 }],
    ],
    outputs: [['logits', ['batch_size', 10]]],
  };
  const r = ok(infer(spec, { dims: {}, batch: 4 }));
  assert.deepEqual(typeOf(r, 'n'), { dtype: INT64, shape: [], value: [4] });
  assert.deepEqual(typeOf(r, 'target'), { dtype: INT64, shape: [2], value: [4, -1] });
  assert.deepEqual(shapeOf(r, 'flat'), [4, 512]);
  assert.deepEqual(shapeOf(r, 'logits'), [4, 10]);
  assert.deepEqual(codes(r), []);
  assert.deepEqual(r.inputs, [{ name: 'input', type: { dtype: FLOAT, shape: [4, 3, 32, 32] } }]);
});

test('transformer head reshape [B,L,768] -> [B,L,12,64] -> Transpose -> MatMul, with folded integer Div', () => {
  const i64 = (name: string, values: number[], dims = [values.length]): [string, number[], number[], number] => [name, dims, values, INT64];
  const spec: Spec = {
    opset: 13,
    inputs: [['h', ['B', 'L', 768]]],
    initializers: [['Wq', [768, 768]], ['Wk', [768, 768]], i64('i0', [0], []), i64('i1', [1], []), i64('i2', [2], []), i64('ax0', [0]),
      i64('heads', [12]), i64('twelve', [12], [])],
    nodes: [
      ['MatMul', ['h', 'Wq'], ['q']],
      ['MatMul', ['h', 'Wk'], ['k']],
      ['Shape', ['q'], ['s']],
      ['Gather', ['s', 'i0'], ['b']],
      ['Gather', ['s', 'i1'], ['l']],
      ['Gather', ['s', 'i2'], ['d']],
      ['Div', ['d', 'twelve'], ['hd']],
      ['Unsqueeze', ['b', 'ax0'], ['b1']],
      ['Unsqueeze', ['l', 'ax0'], ['l1']],
      ['Unsqueeze', ['hd', 'ax0'], ['hd1']],
      ['Concat', ['b1', 'l1', 'heads', 'hd1'], ['shape4'], { axis: 0 }],
      ['Reshape', ['q', 'shape4'], ['q4']],
      ['Reshape', ['k', 'shape4'], ['k4']],
      ['Transpose', ['q4'], ['qt'], { perm: [0, 2, 1, 3] }],
      ['Transpose', ['k4'], ['kt'], { perm: [0, 2, 3, 1] }],
      ['MatMul', ['qt', 'kt'], ['scores']],
      ['Softmax', ['scores'], ['probs'], { axis: -1 }],
    ],
  };
  const r = ok(infer(spec, { dims: { B: 2, L: 128 } }));
  assert.deepEqual(typeOf(r, 'hd'), { dtype: INT64, shape: [], value: [64] });
  assert.deepEqual(typeOf(r, 'shape4'), { dtype: INT64, shape: [4], value: [2, 128, 12, 64] });
  assert.deepEqual(shapeOf(r, 'q4'), [2, 128, 12, 64]);
  assert.deepEqual(shapeOf(r, 'qt'), [2, 12, 128, 64]);
  assert.deepEqual(shapeOf(r, 'kt'), [2, 12, 64, 128]);
  assert.deepEqual(shapeOf(r, 'scores'), [2, 12, 128, 128]);
  assert.deepEqual(shapeOf(r, 'probs'), [2, 12, 128, 128]);
  assert.deepEqual(r.unbound, []);
});

test('folding through Cast, Slice, Squeeze, Sub/Mul, Equal, Where, Expand, ReduceProd, Min/Max, Neg, Floor/Ceil, Sqrt, Identity', () => {
  const i64 = (name: string, values: number[], dims = [values.length]): [string, number[], number[], number] => [name, dims, values, INT64];
  const r = ok(infer({
    opset: 13,
    inputs: [['x', [2, 3, 8]]],
    initializers: [i64('st', [1]), i64('en', [I64_MAX]), i64('ax', [0]), i64('m1', [-1]), i64('two', [2], []), i64('three', [3], []),
      ['half', [], [0.5]], i64('neg7', [-7], [])],
    nodes: [
      ['Shape', ['x'], ['s']],
      ['Slice', ['s', 'st', 'en', 'ax'], ['tail']], // [3, 8]
      ['ReduceProd', ['tail'], ['prod'], { keepdims: 0 }], // 24
      ['Cast', ['s'], ['sf'], { to: FLOAT }],
      ['Mul', ['sf', 'half'], ['halfs']], // [1, 1.5, 4]
      ['Floor', ['halfs'], ['fl']],
      ['Ceil', ['halfs'], ['ce']],
      ['Sqrt', ['fl'], ['sq']], // [1, 1, 2]
      ['Cast', ['ce'], ['cei'], { to: INT64 }], // [1, 2, 4]
      ['Equal', ['s', 'three'], ['is3']], // [0, 1, 0]
      ['Where', ['is3', 'm1', 's'], ['w']], // [2, -1, 8]
      ['Neg', ['w'], ['nw']],
      ['Max', ['s', 'cei'], ['mx']], // [2, 3, 8]
      ['Min', ['s', 'cei'], ['mn']], // [1, 2, 4]
      ['Sub', ['mx', 'mn'], ['df']], // [1, 1, 4]
      ['Div', ['neg7', 'two'], ['dv']], // -3 (truncation)
      ['Identity', ['mn'], ['id']],
      ['Gather', ['s', 'ax'], ['g0']], // [2] (indices of shape [1])
      ['Squeeze', ['g0', 'ax'], ['g']], // scalar 2
    ],
  }));
  assert.deepEqual(typeOf(r, 'tail')?.value, [3, 8]);
  assert.deepEqual(typeOf(r, 'prod'), { dtype: INT64, shape: [], value: [24] });
  assert.deepEqual(typeOf(r, 'halfs')?.value, [1, 1.5, 4]);
  assert.deepEqual(typeOf(r, 'fl')?.value, [1, 1, 4]);
  assert.deepEqual(typeOf(r, 'ce')?.value, [1, 2, 4]);
  assert.deepEqual(typeOf(r, 'sq')?.value, [1, 1, 2]);
  assert.deepEqual(typeOf(r, 'cei'), { dtype: INT64, shape: [3], value: [1, 2, 4] });
  assert.deepEqual(typeOf(r, 'is3'), { dtype: BOOL, shape: [3], value: [0, 1, 0] });
  assert.deepEqual(typeOf(r, 'w')?.value, [2, -1, 8]);
  assert.deepEqual(typeOf(r, 'nw')?.value, [-2, 1, -8]);
  assert.deepEqual(typeOf(r, 'mx')?.value, [2, 3, 8]);
  assert.deepEqual(typeOf(r, 'mn')?.value, [1, 2, 4]);
  assert.deepEqual(typeOf(r, 'df')?.value, [1, 1, 4]);
  assert.deepEqual(typeOf(r, 'dv')?.value, [-3]);
  assert.deepEqual(typeOf(r, 'id')?.value, [1, 2, 4]);
  assert.deepEqual(typeOf(r, 'g'), { dtype: INT64, shape: [], value: [2] });
  // ConstantOfShape -> Expand: the expanded shape comes from a folded value
  const e = ok(infer({
    opset: 13,
    inputs: [['x', [4, 1, 6]]],
    initializers: [i64('one', [1])],
    nodes: [
      ['Shape', ['x'], ['s']],
      ['ConstantOfShape', ['one'], ['ones'], { value: { name: 'v', dims: [1], dtype: INT64, values: [5], external: false } }],
      ['Concat', ['ones', 's'], ['t'], { axis: 0 }],
      ['Expand', ['x', 't'], ['y']],
    ],
  }));
  assert.deepEqual(typeOf(e, 't')?.value, [5, 4, 1, 6]);
  assert.deepEqual(shapeOf(e, 'y'), [5, 4, 1, 6]);
});

// ---- com.microsoft fusions

test('com.microsoft Attention, SkipLayerNormalization, FusedMatMul, BiasGelu', () => {
  const m = model({
    inputs: [['x', [2, 16, 768]], ['skip', [2, 16, 768]]],
    initializers: [['w', [768, 2304]], ['b', [2304]], ['g', [768]], ['be', [768]], ['w2', [3072, 768]], ['b2', [3072]]],
    nodes: [
      ['Attention', ['x', 'w', 'b'], ['att'], { num_heads: 12 }],
      ['SkipLayerNormalization', ['att', 'skip', 'g', 'be'], ['ln']],
      ['FusedMatMul', ['ln', 'w2'], ['fm'], { transB: 1 }],
      ['BiasGelu', ['fm', 'b2'], ['act']],
    ],
  });
  for (const n of m.graph.nodes) n.domain = 'com.microsoft';
  const r = ok(inferShapes(m, { dims: {} }));
  assert.deepEqual(shapeOf(r, 'att'), [2, 16, 768]);
  assert.deepEqual(shapeOf(r, 'ln'), [2, 16, 768]);
  assert.deepEqual(shapeOf(r, 'fm'), [2, 16, 3072]);
  assert.deepEqual(shapeOf(r, 'act'), [2, 16, 3072]);
  assert.deepEqual(codes(r), []);
});

// ---- binding

test('symbolic dims: bound by --dim, unbound ones taken as 1 with one warning naming all', () => {
  const spec: Spec = { inputs: [['ids', ['batch', 'seq', 'hidden']], ['mask', ['batch', 'seq']]], nodes: [['Relu', ['ids'], ['y']]] };
  const bound = ok(infer(spec, { dims: { batch: 2, seq: 128, hidden: 64 } }));
  assert.deepEqual(shapeOf(bound, 'y'), [2, 128, 64]);
  assert.deepEqual(bound.unbound, []);
  assert.deepEqual(codes(bound), []);
  const partial = infer(spec, { dims: { seq: 128 } });
  assert.deepEqual(shapeOf(partial, 'y'), [1, 128, 1]);
  assert.deepEqual(partial.unbound, ['batch', 'hidden']);
  assert.deepEqual(codes(partial), ['onnx-unbound-dim']);
  assert.equal(partial.diagnostics[0].node, -1);
  assert.match(partial.diagnostics[0].message, /'batch', 'hidden'.*--dim NAME=N.*netcost\.onnx\.dims/);
  assert.deepEqual(partial.inputs.map((i) => i.type.shape), [[1, 128, 1], [1, 128]]);
});

test('--batch binds a symbolic or unknown leading dim; a fixed batch is kept with a warning', () => {
  const sym = infer({ inputs: [['x', ['N', 3, 8, 8]], ['y', [null, 5]]], nodes: [['Relu', ['x'], ['a']], ['Relu', ['y'], ['b']]] }, { dims: {}, batch: 8 });
  assert.deepEqual(codes(sym), []);
  assert.deepEqual(shapeOf(sym, 'a'), [8, 3, 8, 8]);
  assert.deepEqual(shapeOf(sym, 'b'), [8, 5]);
  const fixed = infer({ inputs: [['x', [1, 3, 8, 8]]], nodes: [['Relu', ['x'], ['a']]] }, { dims: {}, batch: 8 });
  assert.deepEqual(codes(fixed), ['onnx-fixed-batch']);
  assert.match(fixed.diagnostics[0].message, /exported with batch 1/);
  assert.deepEqual(shapeOf(fixed, 'a'), [1, 3, 8, 8]);
  const same = infer({ inputs: [['x', [8, 3]]], nodes: [['Relu', ['x'], ['a']]] }, { dims: {}, batch: 8 });
  assert.deepEqual(codes(same), []);
});

test('an input with no shape is an error; its readers are unknown without more errors', () => {
  const m = model({ inputs: [['x', []]], nodes: [['Relu', ['x'], ['a']], ['MatMul', ['a', 'a'], ['b']]] });
  m.graph.inputs[0].shape = null;
  const r = inferShapes(m, { dims: {} });
  assert.deepEqual(codes(r), ['onnx-unknown-input-shape']);
  assert.deepEqual(typeOf(r, 'a'), { dtype: FLOAT, shape: null });
  assert.deepEqual(typeOf(r, 'b'), { dtype: FLOAT, shape: null });
});

// ---- graph structure

test('nodes out of file order are sorted topologically', () => {
  const r = ok(infer({
    inputs: [['x', [2, 3]]],
    nodes: [['Relu', ['b'], ['c']], ['Sigmoid', ['a'], ['b']], ['Tanh', ['x'], ['a']]],
  }));
  assert.deepEqual(r.nodes.map((n) => n.node.opType), ['Tanh', 'Sigmoid', 'Relu']);
  assert.deepEqual(shapeOf(r, 'c'), [2, 3]);
});

test('a cycle is reported once, its nodes and their readers are unknown, the rest is inferred', () => {
  const r = infer({
    inputs: [['x', [2, 3]]],
    nodes: [['Relu', ['x'], ['ok']], ['Add', ['ok', 'q'], ['p']], ['Relu', ['p'], ['q']], ['Relu', ['q'], ['after']]],
  });
  assert.deepEqual(codes(r), ['onnx-cycle']);
  assert.equal(r.diagnostics[0].message,
    "The graph has a cycle through Relu 'relu_2': Relu 'relu_2' -> Add 'add_1' -> Relu 'relu_2'; the 2 node(s) on or between cycles get unknown outputs.");
  assert.equal(r.nodes[r.diagnostics[0].node].node.name, 'relu_2');
  assert.deepEqual(shapeOf(r, 'ok'), [2, 3]);
  assert.equal(typeOf(r, 'p'), null);
  assert.equal(typeOf(r, 'q'), null);
  assert.equal(typeOf(r, 'after'), null);
  assert.equal(r.nodes.length, 4);
  assert.equal(r.nodes[3].node.name, 'relu_3');
});

test('a missing input is reported by name and analysis continues', () => {
  const r = infer({
    inputs: [['x', [2, 3]]],
    nodes: [['Add', ['x', 'ghost'], ['a']], ['Relu', ['x'], ['b']]],
  });
  assert.deepEqual(codes(r), ['onnx-missing-input']);
  assert.match(r.diagnostics[0].message, /'ghost'/);
  assert.equal(shapeOf(r, 'a'), null);
  assert.deepEqual(shapeOf(r, 'b'), [2, 3]);
});

test('unknown ops: one warning per op type, value_info shapes used when present', () => {
  const spec: Spec = {
    inputs: [['x', [2, 3]]],
    nodes: [['FancyOp', ['x'], ['a']], ['Relu', ['a'], ['b']], ['FancyOp', ['b'], ['c']], ['OtherOp', ['x'], ['d']]],
  };
  const bare = infer(spec);
  assert.deepEqual(codes(bare), ['onnx-unsupported-op', 'onnx-unsupported-op']);
  assert.match(bare.diagnostics[0].message, /FancyOp is not supported \(2 nodes\)/);
  assert.equal(typeOf(bare, 'b'), null);
  const withInfo = infer({ ...spec, valueInfo: [['a', [2, 7]]], outputs: [['c', ['n', 4]]] });
  assert.deepEqual(codes(withInfo), ['onnx-unsupported-op', 'onnx-unsupported-op']);
  assert.deepEqual(shapeOf(withInfo, 'a'), [2, 7]);
  assert.deepEqual(shapeOf(withInfo, 'b'), [2, 7]);
  assert.deepEqual(shapeOf(withInfo, 'c'), [null, 4]);
  const m = model({ inputs: [['x', [2]]], nodes: [['Relu', ['x'], ['y']], ['constructor', ['y'], ['z']]] });
  m.graph.nodes[0].domain = 'com.example';
  const dom = inferShapes(m, { dims: {} });
  assert.deepEqual(codes(dom), ['onnx-unsupported-op', 'onnx-unsupported-op']);
  assert.match(dom.diagnostics[0].message, /com\.example:Relu/);
});

test('value_info: a mismatch is reported and the inferred shape kept; unknown dims are filled', () => {
  const r = infer({
    inputs: [['x', [2, 3]]],
    nodes: [['Relu', ['x'], ['a']], ['NonZero', ['a'], ['nz']], ['Relu', ['a'], ['b']]],
    valueInfo: [['a', [2, 4]], ['nz', [2, 5]], ['b', ['whatever', 3]]],
  });
  assert.deepEqual(codes(r), ['onnx-value-info-mismatch']);
  assert.match(r.diagnostics[0].message, /'a' is \[2, 4\], inference gives \[2, 3\]/);
  assert.deepEqual(shapeOf(r, 'a'), [2, 3]);
  assert.deepEqual(shapeOf(r, 'nz'), [2, 5]);
  assert.deepEqual(shapeOf(r, 'b'), [2, 3]);
  // bound symbolic dims in value_info are checked
  const bound = infer({ inputs: [['x', ['n', 3]]], nodes: [['Relu', ['x'], ['a']]], valueInfo: [['a', ['n', 3]]] }, { dims: { n: 5 } });
  assert.deepEqual(codes(bound), []);
  const many = infer({
    inputs: [['x', [2]]],
    nodes: Array.from({ length: 25 }, (_, i): Spec['nodes'][0] => ['Relu', ['x'], [`y${i}`]]),
    valueInfo: Array.from({ length: 25 }, (_, i): [string, number[]] => [`y${i}`, [3]]),
  });
  assert.equal(codes(many).filter((c) => c === 'onnx-value-info-mismatch').length, 21);
  assert.match(many.diagnostics[20].message, /^5 more tensors/);
});

test('absurd dims are a shape error, never a crash', () => {
  const r = infer({ inputs: [['x', [1e6, 1e6]], ['y', [1e6, 1, 1e6]]], nodes: [['Add', ['x', 'y'], ['z']], ['Relu', ['z'], ['w']]] });
  assert.deepEqual(codes(r), ['onnx-shape-error']);
  assert.match(r.diagnostics[0].message, /more than 2\^53/);
  assert.equal(typeOf(r, 'w'), null);
  const inp = infer({ inputs: [['x', [1e9, 1e9, 1e9]]], nodes: [['Relu', ['x'], ['y']]] });
  assert.deepEqual(codes(inp), ['onnx-shape-error']);
  const junk = infer({ inputs: [['x', [2, 3]]], nodes: [['Transpose', ['x'], ['y'], { perm: 'nope' }], ['Einsum', ['x'], ['z'], { equation: 'i$,->' }], ['Reshape', ['x', 'x'], ['r']]] });
  assert.deepEqual(shapeOf(junk, 'y'), [3, 2]);
  assert.deepEqual(codes(junk), ['onnx-shape-error']);
});

// ---- subgraphs

test('If: both branches walked after the If node; output merged where the branches differ', () => {
  const thenG = graph({ name: 't', inputs: [], nodes: [['Relu', ['x'], ['t1']], ['Reshape', ['t1', 'shp'], ['t2']]], outputs: [['t1', null], ['t2', null]] });
  const elseG = graph({ name: 'e', inputs: [], nodes: [['Sigmoid', ['x'], ['e1']], ['Transpose', ['e1'], ['e2']]], outputs: [['e1', null], ['e2', null]] });
  const r = ok(infer({
    inputs: [['x', [2, 3]], ['c', [], BOOL]],
    initializers: [['shp', [2], [2, 3], INT64]],
    nodes: [['If', ['c'], ['o1', 'o2'], { then_branch: thenG, else_branch: elseG }, 'cond'], ['Relu', ['o1'], ['z']]],
  }));
  assert.deepEqual(r.nodes.map((n) => [n.node.opType, n.graphPath]), [
    ['If', ''], ['Relu', 'cond/then_branch'], ['Reshape', 'cond/then_branch'], ['Sigmoid', 'cond/else_branch'], ['Transpose', 'cond/else_branch'], ['Relu', ''],
  ]);
  assert.deepEqual(shapeOf(r, 'o1'), [2, 3]);
  assert.deepEqual(shapeOf(r, 'o2'), [null, null]);
  assert.deepEqual(shapeOf(r, 'z'), [2, 3]);
  assert.equal(r.nodes[2].weights[1]?.name, 'shp');
  assert.ok(r.nodes.every((n) => !n.perIteration));
});

test('Loop: body per iteration, carried values keep their type, scan outputs get the trip count', () => {
  const body = graph({
    name: 'body',
    inputs: [['i', [], INT64], ['cin', [], BOOL], ['v', [2, 3]]],
    nodes: [['Add', ['v', 'bias'], ['v2']], ['Identity', ['cin'], ['cout']], ['Relu', ['v2'], ['s']]],
    outputs: [['cout', [], BOOL], ['v2', [2, 3]], ['s', [2, 3]]],
  });
  const r = ok(infer({
    inputs: [['x', [2, 3]]],
    initializers: [['M', [], [5], INT64], ['bias', [3]]],
    nodes: [['Loop', ['M', '', 'x'], ['vf', 'ss'], { body }, 'loop'], ['Relu', ['ss'], ['z']]],
  }));
  assert.deepEqual(r.nodes.map((n) => [n.node.opType, n.graphPath, n.perIteration]), [
    ['Loop', '', false], ['Add', 'loop/body', true], ['Identity', 'loop/body', true], ['Relu', 'loop/body', true], ['Relu', '', false],
  ]);
  assert.deepEqual(shapeOf(r, 'v2'), [2, 3]);
  assert.deepEqual(shapeOf(r, 'vf'), [2, 3]);
  assert.deepEqual(shapeOf(r, 'ss'), [5, 2, 3]);
  assert.deepEqual(shapeOf(r, 'z'), [5, 2, 3]);
  assert.deepEqual(codes(r), ['onnx-loop-body']);
  assert.equal(r.diagnostics[0].node, 0);
  assert.match(r.diagnostics[0].message, /per iteration \(5 iterations\)/);
  // a condition input: the trip count is unknown
  const w = ok(infer({
    inputs: [['x', [2, 3]], ['go', [], BOOL]],
    initializers: [['M', [], [5], INT64], ['bias', [3]]],
    nodes: [['Loop', ['M', 'go', 'x'], ['vf', 'ss'], { body }]],
  }));
  assert.deepEqual(shapeOf(w, 'ss'), [null, 2, 3]);
});

test('Scan: slices along the scan axis, scan outputs get the sequence length', () => {
  const body = graph({
    name: 'body',
    inputs: [['h', [4]], ['xt', [4]]],
    nodes: [['Add', ['h', 'xt'], ['h2']], ['Relu', ['h2'], ['y']]],
    outputs: [['h2', [4]], ['y', [4]]],
  });
  const r = ok(infer({
    opset: 11,
    inputs: [['h0', [4]], ['xs', [7, 4]]],
    nodes: [['Scan', ['h0', 'xs'], ['hf', 'ys'], { body, num_scan_inputs: 1 }, 'scan']],
  }));
  assert.deepEqual(shapeOf(r, 'hf'), [4]);
  assert.deepEqual(shapeOf(r, 'ys'), [7, 4]);
  assert.deepEqual(r.nodes.map((n) => n.perIteration), [false, true, true]);
  assert.deepEqual(codes(r), ['onnx-loop-body']);
});

// ---- scale and coverage

test('a 10,000-node chain is inferred quickly', () => {
  const n = 10000;
  const nodes: Spec['nodes'] = [];
  for (let i = 0; i < n; i++) nodes.push([i % 2 ? 'Relu' : 'Add', i % 2 ? [`t${i}`] : [`t${i}`, 'b'], [`t${i + 1}`]]);
  const m = model({ inputs: [['t0', ['batch', 64, 28, 28]]], initializers: [['b', [64, 1, 1]]], nodes });
  const t0 = performance.now();
  const r = inferShapes(m, { dims: { batch: 2 } });
  const ms = performance.now() - t0;
  assert.deepEqual(shapeOf(r, `t${n}`), [2, 64, 28, 28]);
  assert.equal(r.nodes.length, n);
  assert.ok(ms < 1000, `took ${ms} ms`);
});

test('the supported op list covers the issue\'s operators', () => {
  const ops = new Set(supportedOps());
  for (const op of ['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'MatMulInteger', 'QLinearConv', 'QLinearMatMul', 'BatchNormalization',
    'LayerNormalization', 'InstanceNormalization', 'GroupNormalization', 'Relu', 'Clip', 'Sigmoid', 'HardSwish', 'HardSigmoid', 'Gelu',
    'Erf', 'Tanh', 'Softmax', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Concat', 'Split', 'Slice', 'Gather', 'Reshape', 'Flatten',
    'Transpose', 'Squeeze', 'Unsqueeze', 'Expand', 'Shape', 'Constant', 'ConstantOfShape', 'Range', 'Cast', 'MaxPool', 'AveragePool',
    'GlobalAveragePool', 'Resize', 'Upsample', 'Pad', 'ReduceMean', 'Where', 'Equal', 'Einsum', 'Dropout', 'Identity',
    'com.microsoft:Attention']) {
    assert.ok(ops.has(op), op);
  }
});

test('a subgraph reading a tensor produced later in the file orders its producer first', () => {
  const thenG = graph({ name: 't', inputs: [], nodes: [['Relu', ['late'], ['t1']]], outputs: [['t1', null]] });
  const elseG = graph({ name: 'e', inputs: [], nodes: [['Neg', ['late'], ['e1']]], outputs: [['e1', null]] });
  const r = ok(infer({
    inputs: [['x', [4, 5]], ['c', [], BOOL]],
    nodes: [['If', ['c'], ['o'], { then_branch: thenG, else_branch: elseG }], ['Transpose', ['x'], ['late']]],
  }));
  assert.deepEqual(r.nodes.map((n) => n.node.opType), ['Transpose', 'If', 'Relu', 'Neg']);
  assert.deepEqual(shapeOf(r, 'o'), [5, 4]);
});

test('subgraphs nested too deep are not walked', () => {
  let g = graph({ name: 'leaf', inputs: [], nodes: [['Relu', ['x'], ['y0']]], outputs: [['y0', null]] });
  const leaf = graph({ name: 'other', inputs: [], nodes: [], outputs: [['x', null]] });
  for (let d = 1; d <= 20; d++) {
    g = graph({ name: `g${d}`, inputs: [], nodes: [['If', ['c'], [`y${d}`], { then_branch: g, else_branch: leaf }]], outputs: [[`y${d}`, null]] });
  }
  const r = inferShapes(model({ inputs: [['x', [3]], ['c', [], BOOL]], nodes: [['If', ['c'], ['out'], { then_branch: g, else_branch: leaf }]] }), { dims: {} }, { subgraphDepth: 16 });
  assert.deepEqual(codes(r), ['onnx-subgraph-depth']);
  // the main graph's If, then one If per walked level (16); the deepest one's branches are not walked
  assert.equal(r.nodes.length, 17);
  assert.equal(r.nodes[16].graphPath.split('/').length, 32);
  assert.deepEqual(typeOf(r, 'out'), { dtype: FLOAT, shape: null });
});

// ---- weight-only nodes (exports with constant folding off)

test('a node reading only weights is weight-only: its outputs are weights of their readers, typed as inferred', () => {
  const r = ok(infer({
    inputs: [['X', [2, 8]]],
    initializers: [['W', [4, 8]], ['b', [4]]],
    outputs: [['Y', [2, 4]], ['Wt', [8, 4]]],
    nodes: [
      ['Transpose', ['W'], ['Wt'], { perm: [1, 0] }],
      ['Constant', [], ['half'], { value: { name: '', dims: [], dtype: FLOAT, values: [0.5], external: false } }],
      ['Mul', ['Wt', 'half'], ['Ws']],
      ['MatMul', ['X', 'Ws'], ['M']],
      ['Add', ['M', 'b'], ['Y']],
    ],
  }));
  const node = (op: string) => r.nodes.find((n) => n.node.opType === op)!;
  assert.deepEqual(r.nodes.map((n) => [n.node.opType, n.weightOnly === true]),
    [['Transpose', true], ['Constant', false], ['Mul', true], ['MatMul', false], ['Add', false]]);
  // Transpose(W)'s output is a weight of the Mul; the Mul's a weight of the MatMul, both from W and the Constant
  assert.deepEqual(node('Mul').weights.map((w) => w && { name: w.name, dims: w.dims, dtype: w.dtype, values: w.values, external: w.external }),
    [{ name: 'Wt', dims: [8, 4], dtype: FLOAT, values: null, external: false }, { name: '', dims: [], dtype: FLOAT, values: [0.5], external: false }]);
  const ws = node('MatMul').weights[1];
  assert.deepEqual([ws?.name, ws?.dims, ws?.derivedFrom?.map((t) => t.name)], ['Ws', [8, 4], ['W', 'half']]);
  assert.equal(node('MatMul').weights[0], null);
  // the activation + weight Add is not weight-only; its bias is the initializer itself
  assert.deepEqual(node('Add').weights.map((w) => w?.name ?? null), [null, 'b']);
  assert.equal(node('Add').weights[1]?.derivedFrom, undefined);
});

test('weight-only: a value_ints Constant is a load-time constant, not a weight; Shape(x) chains and quantize pairs are not weight-only', () => {
  const r = ok(infer({
    inputs: [['X', [2, 8]]],
    initializers: [['W', [2, 2, 8]], ['s', [], [0.1]], ['z', [], [0], UINT8], ['Wq', [4, 8], null, UINT8]],
    nodes: [
      ['Constant', [], ['shape'], { value_ints: [4, 8] }],
      ['Reshape', ['W', 'shape'], ['W2']],
      ['Shape', ['X'], ['xs']],
      ['DequantizeLinear', ['Wq', 's', 'z'], ['Wd']],
      ['Add', ['W2', 'Wd'], ['S']],
    ],
  }));
  assert.deepEqual(r.nodes.map((n) => [n.node.opType, n.weightOnly === true]),
    [['Constant', false], ['Reshape', true], ['Shape', false], ['DequantizeLinear', false], ['Add', false]]);
  const add = r.nodes[4];
  assert.deepEqual(add.weights.map((w) => w?.name ?? null), ['W2', null]);
  assert.deepEqual(add.weights[0]?.derivedFrom?.map((t) => t.name), ['W'], 'the value_ints Constant is no stored tensor');
});

test('weight-only nodes inside a subgraph read outer weights; an unknown shape leaves dims empty', () => {
  const body = graph({
    name: 'body', inputs: [['i', [], INT64], ['c', [], BOOL], ['h', [1, 4]]], outputs: [['c2', [], BOOL], ['h2', [1, 4]]],
    nodes: [['Identity', ['c'], ['c2']], ['Transpose', ['W'], ['Wt'], { perm: [1, 0] }], ['MatMul', ['h', 'Wt'], ['h2']]],
  });
  const r = ok(infer({
    inputs: [['X', [1, 4]]], initializers: [['W', [4, 4]], ['n', [], [3], INT64], ['t', [], [1], BOOL]],
    nodes: [['Loop', ['n', 't', 'X'], ['Y'], { body }], ['Unique', ['W'], ['U']], ['Relu', ['U'], ['V']]],
  }));
  const mm = r.nodes.find((n) => n.node.opType === 'MatMul')!;
  assert.deepEqual([mm.perIteration, mm.weights[1]?.name, mm.weights[1]?.derivedFrom?.map((t) => t.name)], [true, 'Wt', ['W']]);
  assert.equal(r.nodes.find((n) => n.node.opType === 'Loop')?.weightOnly, undefined, 'control flow is never folded');
  const relu = r.nodes.find((n) => n.node.opType === 'Relu')!;
  assert.deepEqual([relu.weights[0]?.name, relu.weights[0]?.dims], ['U', []]);
});
