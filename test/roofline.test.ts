// The roofline arithmetic (cost-model.md section 4) on hand-computed layers, and the network estimate
// (sum of layer times plus one launch overhead per kernel) on small networks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../server/src/analysis/analyze';
import { estimate, formatSeconds, layerTime } from '../server/src/hardware/roofline';
import { findTarget, peakFor, type Target } from '../server/src/hardware/targets';

/** 1 GFLOP/s, 100 MB/s: ridge point 10 FLOP/byte; 10 us per launch */
const TOY: Target = {
  id: 'toy', name: 'toy', kind: 'cpu', peak: { fp32: 1e9, fp16: 4e9 }, bandwidth: 1e8, memory: 1e9,
  channelMultiple: 4, launchOverhead: 10e-6, shuffle: true, sources: [],
};
const fig = (flops: number, memoryBytes: number) => ({ flops: { '2macs': flops, exact: flops, macs: flops / 2 }, memoryBytes });
const close = (actual: number, expected: number, what = '') => assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);

test('a compute-bound layer: intensity above the ridge point, time = FLOPs / peak', () => {
  const x = layerTime(fig(2e6, 1e5), TOY, 'fp32'); // 20 FLOP/byte
  assert.equal(x.intensity, 20);
  assert.equal(x.bound, 'compute');
  close(x.computeSeconds, 2e-3, 'compute');
  close(x.memorySeconds, 1e-3, 'memory');
  close(x.seconds, 2e-3, 'seconds');
  assert.equal(x.attainable, 1e9); // min(1e9, 20 x 1e8 = 2e9)
});

test('a memory-bound layer: intensity below the ridge point, time = bytes / bandwidth', () => {
  const x = layerTime(fig(1e5, 1e5), TOY, 'fp32'); // 1 FLOP/byte
  assert.equal(x.bound, 'memory');
  close(x.seconds, 1e-3, 'seconds');
  close(x.computeSeconds, 1e-4, 'compute');
  assert.equal(x.attainable, 1e8); // 1 x 1e8 < 1e9
  // fp16 raises the peak, not the bandwidth: the same layer stays memory-bound with the same time
  close(layerTime(fig(1e5, 1e5), TOY, 'fp16').seconds, 1e-3);
});

test('at the ridge point both times are equal and the attainable rate is the peak', () => {
  const x = layerTime(fig(1e6, 1e5), TOY, 'fp32'); // exactly 10 FLOP/byte
  assert.equal(x.intensity, 10);
  close(x.computeSeconds, x.memorySeconds);
  close(x.attainable, 1e9);
  assert.equal(x.bound, 'compute'); // a tie counts as compute-bound
  // one byte more tips it over
  assert.equal(layerTime(fig(1e6, 1e5 + 1), TOY, 'fp32').bound, 'memory');
});

test('layers that only move bytes, or only compute', () => {
  const view = layerTime(fig(0, 4000), TOY, 'fp32');
  assert.deepEqual([view.intensity, view.bound], [0, 'memory']);
  close(view.seconds, 40e-6);
  const pure = layerTime(fig(1000, 0), TOY, 'fp32');
  assert.deepEqual([pure.intensity, pure.bound], [Infinity, 'compute']);
  close(pure.seconds, 1e-6);
});

test('peakFor falls back from a dtype the device does not accelerate', () => {
  assert.equal(peakFor(TOY, 'bf16'), 4e9); // bf16 -> fp16
  assert.equal(peakFor(TOY, 'int8'), 1e9); // no int8 -> fp32
  const nnie = findTarget('nnie')!;
  assert.equal(peakFor(nnie, 'fp32'), 2e12); // int8 only: the toolchain quantizes
  assert.equal(peakFor(findTarget('t4')!, 'fp16'), 65e12);
});

// conv 3x3 16 -> 64 on 8x8 (padded), its batch norm folded (a bias of 64), relu:
//   conv: MACs 64*8*8*16*9 = 589,824; FLOPs 2*MACs + bias 64*64 = 1,183,744;
//         bytes (16*64 in + 64*64 out + 9,216 weights + 64 bias) * 4 = 57,600: 20.55 FLOP/byte, compute-bound,
//         1,183,744 / 1e9 = 1,183.744 us
//   bn:   folded, no kernel
//   relu: 4,096 FLOPs, (4,096 + 4,096) * 4 = 32,768 bytes: memory-bound, 327.68 us
//   launches 2 x 10 us; total 1,183.744 + 327.68 + 20 = 1,531.424 us
const NET = 'input x: 16 x 8 x 8\nconv 64 k=3 p=1\nbn\nrelu\n';

test('estimate: the sum of the layer times plus a launch overhead per kernel; the folded batch norm launches nothing', () => {
  const a = analyze(NET);
  assert.deepEqual(a.diagnostics, []);
  assert.deepEqual(a.layers.map((l) => [l.op, l.flops['2macs'], l.memoryBytes]), [['conv', 1_183_744, 57_600], ['bn', 0, 0], ['relu', 4096, 32_768]]);
  const e = estimate(a, TOY);
  assert.deepEqual(e.layers.map((x) => x.bound), ['compute', 'memory', 'memory']);
  close(e.layers[0].seconds, 1183.744e-6, 'conv');
  assert.equal(e.layers[1].seconds, 0);
  close(e.layers[2].seconds, 327.68e-6, 'relu');
  assert.equal(e.launches, 2);
  close(e.launchSeconds, 20e-6);
  close(e.seconds, 1531.424e-6, 'seconds');
  close(e.qps, 1 / 1531.424e-6, 'qps');
  assert.equal(e.memoryBoundShare, 0.5); // the folded bn is not a layer with work
  assert.equal(e.target, TOY);
});

test('estimate at batch 4: feature-map time scales, weights and launches do not; QPS counts the samples', () => {
  const e = estimate(analyze(NET, { batch: 4, dtype: 'fp32' }), TOY);
  // conv: 4 x 1,183,744 FLOPs = 4,734.976 us (compute); relu: 4 x 327.68 us
  close(e.seconds, 4734.976e-6 + 4 * 327.68e-6 + 20e-6, 'seconds');
  close(e.qps, 4 / e.seconds, 'qps');
});

test('an empty network costs nothing and launches nothing', () => {
  const e = estimate(analyze('input x: 3 x 4 x 4\n'), TOY);
  assert.deepEqual([e.launches, e.seconds, e.memoryBoundShare, e.qps], [0, 0, 0, Infinity]);
});

test('formatSeconds picks the unit and three significant digits', () => {
  assert.equal(formatSeconds(1531.424e-6), '1.53 ms');
  assert.equal(formatSeconds(327.68e-6), '328 us');
  assert.equal(formatSeconds(5e-6), '5.00 us');
  assert.equal(formatSeconds(8e-7), '800 ns');
  assert.equal(formatSeconds(2.5), '2.50 s');
  assert.equal(formatSeconds(0), '0 s');
});
