// The worked examples of cost-model.md section 5, each to the digit in the convention it names, and the
// rules around them: batch scaling, data-type bytes, batch-norm folding, training vs inference params.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, type Analysis, type Layer, type Settings } from '../server/src/analysis/analyze';

const FP32: Settings = { batch: 1, dtype: 'fp32' };

function run(src: string, settings: Settings = FP32): Analysis {
  const a = analyze(src, settings);
  assert.deepEqual(a.diagnostics, [], 'the fixture itself has no diagnostics');
  return a;
}

function layerOf(a: Analysis, name: string): Layer {
  const l = a.layers.find((x) => x.name === name);
  assert.ok(l, `layer ${name} exists (have: ${a.layers.map((x) => x.name).join(', ')})`);
  return l;
}

const one = (src: string, name: string, settings: Settings = FP32) => layerOf(run(src, settings), name);

// ---- section 5, row by row

test('a 3x3 conv 64->128 on 112x112, stride 1, same padding, costs 924,844,032 MACs', () => {
  for (const p of ['p=same', 'p=1']) {
    const c = one(`input: 64 x 112 x 112\nc: conv 128 k=3 s=1 ${p} bias=false`, 'c');
    assert.deepEqual(c.outputShape, [128, 112, 112]);
    assert.equal(c.macs, 924_844_032);
    assert.equal(c.flops.macs, 924_844_032, 'the MACs convention reports FLOPs = MACs');
  }
});

test('the same conv with stride 2 has a 56x56 output and costs 231,211,008 MACs', () => {
  for (const p of ['p=same', 'p=1']) {
    const c = one(`input: 64 x 112 x 112\nc: conv 128 k=3 s=2 ${p}`, 'c');
    assert.deepEqual(c.outputShape, [128, 56, 56]);
    assert.equal(c.macs, 231_211_008);
  }
});

test('a MobileNet v2 block (64 x 112 x 112, t = 6, 3x3 depthwise, stride 1, 128 out) costs 968,196,096 MACs', () => {
  const a = run(`
input: 64 x 112 x 112
block ir(t, c_out, s=1):
  conv dim(in, 0) * t k=1 | bn | relu6
  dwconv k=3 s=s p=1 | bn | relu6
  conv c_out k=1 | bn
end
b: ir(6, 128)
`);
  const [g] = a.groups;
  assert.equal(g.name, 'b');
  assert.equal(g.macs, 968_196_096);
  assert.deepEqual(g.outputShape, [128, 112, 112]);
  // the stride-1 closed form of section 2: (K*K + C_out + C_in) * C_exp * H * W
  assert.equal(g.macs, (3 * 3 + 128 + 64) * (6 * 64) * 112 * 112);
  // and its three convolutions: expansion, depthwise, projection
  assert.deepEqual(
    a.layers.filter((l) => l.macs > 0).map((l) => [l.name, l.macs]),
    [['b.conv_1', 64 * 112 * 112 * 384], ['b.dwconv_1', 9 * 384 * 112 * 112], ['b.conv_2', 384 * 112 * 112 * 128]],
  );
});

test('a fully connected layer 300 -> 100 costs 30,000 MACs', () => {
  const fc = one('input: 300\nfc: fc 100', 'fc');
  assert.deepEqual(fc.outputShape, [100]);
  assert.equal(fc.macs, 30_000);
});

test('FC 300 -> 100 without bias is 59,900 FLOPs in the exact convention and 60,000 in the 2*MACs one', () => {
  const fc = one('input: 300\nfc: fc 100 bias=false', 'fc');
  assert.equal(fc.flops.exact, 59_900, '(2I - 1) * J');
  assert.equal(fc.flops['2macs'], 60_000, '2 * I * J');
  assert.equal(fc.flops.macs, 30_000);
  assert.equal(fc.params, 30_000);
});

test('FC 300 -> 100 with bias is 2*I*J FLOPs in the exact convention and 2*I*J + J in the 2*MACs one', () => {
  const fc = one('input: 300\nfc: fc 100', 'fc');
  assert.equal(fc.flops.exact, 60_000);
  assert.equal(fc.flops['2macs'], 60_100);
  assert.equal(fc.params, 30_100);
  assert.equal(fc.memoryBytes, (300 + 100 + 30_100) * 4, '(I + J + I*J + J) * dtype bytes');
});

test('a sigmoid after an FC with J outputs costs 4*J FLOPs, in every convention but MACs', () => {
  for (const j of [1, 100, 1000, 4096]) {
    const s = one(`input: 300\nfc ${j}\ns: sigmoid`, 's');
    assert.equal(s.flops['2macs'], 4 * j, `J = ${j}`);
    assert.equal(s.flops.exact, 4 * j, `J = ${j}`);
    assert.equal(s.macs, 0);
    assert.equal(s.flops.macs, 0);
  }
});

test('2x2 max pooling with stride 2 on 128 x 112 x 112 costs 1,605,632 FLOPs', () => {
  const p = one('input: 128 x 112 x 112\np: maxpool k=2 s=2', 'p');
  assert.deepEqual(p.outputShape, [128, 56, 56]);
  assert.equal(p.flops['2macs'], 1_605_632);
  assert.equal(p.flops.exact, 1_605_632);
  assert.equal(p.macs, 0);
  assert.equal(p.params, 0);
  // non-overlapping windows that tile the input: the shortcut count of input elements agrees
  assert.equal(p.flops['2macs'], 128 * 112 * 112);
});

test('3x3 max pooling with stride 2 and padding 1 on 64 x 112 x 112 gives 56 x 56 and costs 1,806,336 FLOPs', () => {
  const p = one('input: 64 x 112 x 112\np: maxpool k=3 s=2 p=1', 'p');
  assert.deepEqual(p.outputShape, [64, 56, 56]);
  assert.equal(p.flops['2macs'], 1_806_336);
  assert.notEqual(p.flops['2macs'], 64 * 112 * 112, 'overlapping windows: the input-element shortcut disagrees');
});

test('a standard 3x3 conv 3 -> 256 without bias has 6,912 params', () => {
  assert.equal(one('input: 3 x 32 x 32\nc: conv 256 k=3 bias=false', 'c').params, 6_912);
});

test('depthwise 3x3 on 3 channels + pointwise 3 -> 256 without bias has 795 params', () => {
  const a = run('input: 3 x 32 x 32\ndw: dwconv k=3 bias=false\npw: pwconv 256 bias=false');
  assert.equal(layerOf(a, 'dw').params, 27);
  assert.equal(layerOf(a, 'pw').params, 768);
  assert.equal(a.totals.params, 795);
  // the MobileNet ratio against the standard conv: 1/C_out + 1/K^2
  assert.equal(a.totals.params / 6_912, 1 / 256 + 1 / 9);
});

test('a 5x5 conv with 256 filters, no padding, stride 1, on 3 x 12 x 12 outputs 256 x 8 x 8', () => {
  assert.deepEqual(one('input: 3 x 12 x 12\nc: conv 256 k=5', 'c').outputShape, [256, 8, 8]);
});

test('a 3x3 conv 3 -> 64 with bias and a 224x224 output costs 176,619,520 FLOPs (2*MACs) and 173,408,256 (exact)', () => {
  const c = one('input: 3 x 224 x 224\nc: conv 64 k=3 p=1', 'c');
  assert.deepEqual(c.outputShape, [64, 224, 224]);
  assert.equal(c.flops['2macs'], (3 * 3 * 3 * 2 + 1) * 224 * 224 * 64);
  assert.equal(c.flops['2macs'], 176_619_520);
  assert.equal(c.flops.exact, (3 * 3 * 3 * 2 - 1 + 1) * 224 * 224 * 64);
  assert.equal(c.flops.exact, 173_408_256);
});

test('the same conv without bias is (2*27 - 1) FLOPs per output element in the exact convention', () => {
  const c = one('input: 3 x 224 x 224\nc: conv 64 k=3 p=1 bias=false', 'c');
  assert.equal(c.flops.exact, 53 * 224 * 224 * 64);
  assert.equal(c.flops['2macs'], 54 * 224 * 224 * 64);
});

test('the 3x3 conv 64 -> 128 on 112x112 reads and writes 9,928,704 bytes in fp32 without bias', () => {
  const c = one('input: 64 x 112 x 112\nc: conv 128 k=3 p=1 bias=false', 'c');
  assert.equal(c.memoryBytes, (802_816 + 1_605_632 + 73_728) * 4);
  assert.equal(c.memoryBytes, 9_928_704);
  assert.equal(c.weightBytes, 73_728 * 4);
});

test('a 1x1 conv 64 -> 256 on 56x56 moves 1,019,904 elements, 24.5 % above the 819,200 lower bound for its MACs', () => {
  const c = one('input: 64 x 56 x 56\nc: conv 256 k=1 bias=false', 'c');
  const hw = 56 * 56;
  assert.equal(c.memoryBytes % 4, 0);
  const elements = c.memoryBytes / 4;
  assert.equal(elements, 1_019_904);
  assert.equal(elements, hw * (64 + 256) + 64 * 256, 'h*w*(c1 + c2) + c1*c2');
  assert.equal(c.params, 64 * 256);
  // section 3: MAC >= 2*sqrt(h*w*B) + B/(h*w), from the engine's own MACs
  const B = c.macs;
  assert.equal(B, hw * 64 * 256);
  const bound = 2 * Math.sqrt(hw * B) + B / hw;
  assert.equal(bound, 819_200);
  assert.equal(B / hw, c.params, 'B/(h*w) is the weight count c1*c2');
  assert.equal(Math.round((elements / bound - 1) * 1000) / 10, 24.5);
});

test('a 1x1 conv with equal widths meets the memory-access lower bound exactly (ShuffleNet V2 G1)', () => {
  const c = one('input: 160 x 56 x 56\nc: conv 160 k=1 bias=false', 'c');
  const hw = 56 * 56;
  assert.equal(c.memoryBytes / 4, 2 * Math.sqrt(hw * c.macs) + c.macs / hw);
});

// ---- batch and data type

const CONV = 'input: 64 x 56 x 56\nc: conv 128 k=3 p=1 | bn | relu';

test('MACs, FLOPs, feature-map bytes and activations scale with the batch N; params and weight bytes do not', () => {
  const at1 = run(CONV, { batch: 1, dtype: 'fp32' });
  for (const n of [2, 8, 64]) {
    const atN = run(CONV, { batch: n, dtype: 'fp32' });
    for (const name of ['c.conv', 'c.bn', 'c']) {
      const [a, b] = [layerOf(at1, name), layerOf(atN, name)];
      assert.equal(b.macs, n * a.macs, `${name} MACs at N = ${n}`);
      assert.equal(b.flops['2macs'], n * a.flops['2macs']);
      assert.equal(b.flops.exact, n * a.flops.exact);
      assert.equal(b.flops.macs, n * a.flops.macs);
      assert.equal(b.params, a.params);
      assert.equal(b.trainingParams, a.trainingParams);
      assert.equal(b.weightBytes, a.weightBytes);
      assert.equal(b.activations, n * a.activations);
      assert.deepEqual(b.outputShape, a.outputShape, 'shapes are per sample');
    }
    // memory access at batch N: (N * (input + output elements) + weights) * dtype bytes
    const conv = layerOf(atN, 'c.conv');
    const weights = 3 * 3 * 64 * 128 + 128; // the bias comes from the folded BN
    assert.equal(conv.memoryBytes, (n * (64 * 56 * 56 + 128 * 56 * 56) + weights) * 4);
    assert.equal(atN.totals.params, at1.totals.params);
    assert.equal(atN.totals.macs, n * at1.totals.macs);
  }
});

test('fp16 and bf16 take 2 bytes per value and int8 1: params stay, bytes follow the dtype', () => {
  const f32 = layerOf(run(CONV, { batch: 4, dtype: 'fp32' }), 'c.conv');
  for (const [dtype, bytes] of [['fp16', 2], ['bf16', 2], ['int8', 1]] as const) {
    const l = layerOf(run(CONV, { batch: 4, dtype }), 'c.conv');
    assert.equal(l.params, f32.params, dtype);
    assert.equal(l.macs, f32.macs, dtype);
    assert.equal(l.weightBytes, l.params * bytes, dtype);
    assert.equal(l.memoryBytes, (f32.memoryBytes / 4) * bytes, dtype);
  }
  const int8 = layerOf(run('input: 64 x 112 x 112\nc: conv 128 k=3 p=1 bias=false', { batch: 1, dtype: 'int8' }), 'c');
  assert.equal(int8.memoryBytes, 802_816 + 1_605_632 + 73_728);
  const fp16 = layerOf(run('input: 64 x 112 x 112\nc: conv 128 k=3 p=1 bias=false', { batch: 1, dtype: 'fp16' }), 'c');
  assert.equal(fp16.memoryBytes, 4_964_352);
});

// ---- batch-norm folding

test('conv | bn | relu: the BN folds into the conv at zero cost and the conv gains a bias of C_out', () => {
  const a = run('input: 16 x 8 x 8\nc: conv 32 k=3 p=1 | bn | relu');
  const conv = layerOf(a, 'c.conv');
  const bn = layerOf(a, 'c.bn');
  assert.equal(bn.foldedInto, 'c.conv');
  assert.equal(bn.params, 0);
  assert.equal(bn.macs, 0);
  assert.deepEqual(bn.flops, { '2macs': 0, exact: 0, macs: 0 });
  assert.equal(bn.memoryBytes, 0);
  assert.equal(bn.weightBytes, 0);
  assert.equal(conv.biasFromBn, true);
  assert.equal(conv.params, 3 * 3 * 16 * 32 + 32);
  const outElems = 32 * 8 * 8;
  assert.equal(conv.flops['2macs'], 2 * conv.macs + outElems, 'the gained bias adds one FLOP per output element');
  assert.equal(conv.flops.exact, (2 * 3 * 3 * 16 - 1) * outElems + outElems);
  assert.equal(layerOf(a, 'c').flops['2macs'], outElems, 'the relu costs 1 per element');
});

test('a conv that already has a bias keeps it when a BN folds into it', () => {
  const conv = layerOf(run('input: 16 x 8 x 8\nc: conv 32 k=3 p=1 bias=true | bn'), 'c.conv');
  assert.equal(conv.params, 3 * 3 * 16 * 32 + 32);
  assert.equal(conv.biasFromBn, false);
});

test('conv -> relu -> bn -> conv without padding: the BN folds forward into the next conv', () => {
  const a = run('input: 16 x 8 x 8\nconv 32 k=3 p=1\nrelu\nbn\nnext: conv 64 k=1 bias=false');
  const bn = layerOf(a, 'bn_1');
  assert.equal(bn.foldedInto, 'next');
  assert.equal(bn.params, 0);
  assert.equal(bn.flops['2macs'], 0);
  assert.equal(bn.memoryBytes, 0);
  const next = layerOf(a, 'next');
  assert.equal(next.biasFromBn, true);
  assert.equal(next.params, 32 * 64 + 64);
  assert.equal(layerOf(a, 'conv_1').biasFromBn, false, 'an activation in between: no backward fold');
});

test('conv -> relu -> bn -> conv with padding 1: the BN is unfoldable, 2 FLOPs per element and 2C params', () => {
  for (const n of [1, 3]) {
    const a = run('input: 16 x 8 x 8\nconv 32 k=3 p=1\nrelu\nbn\nnext: conv 64 k=3 p=1', { batch: n, dtype: 'fp32' });
    const bn = layerOf(a, 'bn_1');
    const elems = 32 * 8 * 8;
    assert.equal(bn.foldedInto, null);
    assert.equal(bn.params, 2 * 32);
    assert.equal(bn.trainingParams, 2 * 32);
    assert.equal(bn.macs, 0);
    assert.equal(bn.flops['2macs'], n * 2 * elems);
    assert.equal(bn.flops.exact, n * 2 * elems);
    // reads and writes the feature map; gamma, beta and the running mean and variance are weights
    assert.equal(bn.weightBytes, 4 * 32 * 4);
    assert.equal(bn.memoryBytes, (n * 2 * elems + 4 * 32) * 4);
    assert.equal(layerOf(a, 'next').biasFromBn, false);
  }
});

test('a BN whose conv output also feeds another layer does not fold backward', () => {
  const a = run('input: 16 x 8 x 8\nc: conv 32 k=3 p=1 bias=false\nb: bn\nadd from c, b');
  assert.equal(layerOf(a, 'b').foldedInto, null);
  assert.equal(layerOf(a, 'b').params, 64);
  assert.equal(layerOf(a, 'c').params, 3 * 3 * 16 * 32);
});

test('trainingParams count every BN as gamma and beta; params count the inference graph after folding', () => {
  const a = run('input: 16 x 8 x 8\nc: conv 32 k=3 p=1 | bn | relu\nd: conv 64 k=3 p=1 | bn | relu');
  const weights = 3 * 3 * 16 * 32 + 3 * 3 * 32 * 64;
  assert.equal(a.totals.params, weights + 32 + 64, 'each folded BN leaves a C_out bias');
  assert.equal(a.totals.trainingParams, weights + 2 * 32 + 2 * 64, 'gamma and beta per channel, no conv bias');
  assert.equal(layerOf(a, 'c.conv').trainingParams, 3 * 3 * 16 * 32);
  assert.equal(layerOf(a, 'c.bn').trainingParams, 64);
});

test('torchvision ResNet-50 counts 25,557,032 params with BN and 25,530,472 folded', async () => {
  const { readFileSync } = await import('node:fs');
  const a = run(readFileSync(new URL('../examples/resnet50.net', import.meta.url), 'utf8'));
  assert.equal(a.totals.trainingParams, 25_557_032);
  assert.equal(a.totals.params, 25_530_472);
});
