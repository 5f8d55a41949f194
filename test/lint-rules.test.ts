// The lint rules of issue 7 (server/src/lint/lint.ts; docs/rules.md "Hardware lint rules"): for each, a
// case that fires with its hand-computed figure, a case that does not, the threshold edge and the
// suppression. The targets are made up here, with round numbers, so that every figure can be checked by
// hand: TT computes 1 TFLOP/s in fp32 and moves 100 GB/s (ridge point 10 FLOP/byte), 1 µs per launch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, type Diagnostic, type Settings } from '../server/src/analysis/analyze';
import { lint, type LintOptions, type RuleCode } from '../server/src/lint/lint';
import { estimate, layerTime } from '../server/src/hardware/roofline';
import type { Target } from '../server/src/hardware/targets';
import { marked } from './fixtures';

const TT: Target = {
  id: 'tt', name: 'Test target', kind: 'npu', peak: { fp32: 1e12 }, bandwidth: 1e11, memory: 1e9,
  channelMultiple: 8, launchOverhead: 1e-6, shuffle: false, kernelDensity: { 5: 0.5, 7: 0.25 }, sources: ['made up for the tests'],
};
const FP32: Settings = { batch: 1, dtype: 'fp32' };

function run(text: string, options: LintOptions = {}, settings: Settings = FP32): Diagnostic[] {
  const a = analyze(text, settings);
  assert.deepEqual(a.diagnostics.map((d) => `${d.code}: ${d.message}`), [], 'the fixture analyses cleanly');
  return lint(a, text, { target: TT, ...options });
}
/** the messages of one rule */
const of = (code: RuleCode, ds: Diagnostic[]) => ds.filter((d) => d.code === code).map((d) => d.message);
const only = (code: RuleCode, text: string, options: LintOptions = {}) => of(code, run(text, options));

// ---- g1-unbalanced-pointwise: the message of issue 7

test('g1: the issue\'s message, with the edge of the threshold and the suppression', () => {
  const text = 'input: 64 x 56 x 56\nconv 256 k=1 bias=false\n';
  // 3,136 x (64 + 256) + 64 x 256 = 1,019,904; 2 x sqrt(3,136 x 3,136 x 64 x 256) + 16,384 = 819,200: 24.5%
  assert.deepEqual(only('g1-unbalanced-pointwise', text), ['1x1 conv 64 -> 256 on 56x56: memory access cost 24.5% above the lower bound for its MACs (1,019,904 vs 819,200 elements)']);
  assert.equal(only('g1-unbalanced-pointwise', text, { g1Threshold: 24.49 }).length, 1);
  assert.equal(only('g1-unbalanced-pointwise', text, { g1Threshold: 24.51 }).length, 0);
  assert.deepEqual(only('g1-unbalanced-pointwise', text.replace('false\n', 'false  # netcost-ignore: g1-unbalanced-pointwise\n')), []);
});

// ---- g2-group-conv

test('g2: a 1x1 conv with 8 groups moves 77.1% more than a one-group conv with the same MACs', () => {
  const { text, ranges } = marked('input: 256 x 56 x 56\n«conv 256 k=1 g=8»\n');
  // MAC_8 = 3,136 x 256 + 3,136 x 256 + 256 x 256 / 8 = 1,613,824
  // MAC_1 (same c1, same MACs: 256 / 8 = 32 outputs) = 802,816 + 100,352 + 8,192 = 911,360
  assert.deepEqual(run(text).filter((d) => d.code === 'g2-group-conv'), [{
    range: ranges[0], severity: 'info', code: 'g2-group-conv',
    message: '1x1 group conv 256 -> 256 with 8 groups on 56x56: memory access cost 77.1% above a one-group conv with the same MACs (1,613,824 vs 911,360 elements)',
  }]);
  // 702,464 / 911,360 = 77.08%
  assert.equal(only('g2-group-conv', text, { g2Threshold: 77.07 }).length, 1);
  assert.equal(only('g2-group-conv', text, { g2Threshold: 77.09 }).length, 0);
  assert.deepEqual(only('g2-group-conv', `${text.trimEnd()}  # netcost-ignore: g2-group-conv\n`), []);
});

test('g2: a KxK group conv with a stride; few groups, one group and depthwise convs are not reported', () => {
  // 3x3, 64 -> 128, 4 groups, 32x32 -> 16x16: 65,536 + 32,768 + 9 x 64 x 128 / 4 = 116,736;
  // one group: 65,536 + 8,192 + 18,432 = 92,160: 26.7%
  assert.deepEqual(only('g2-group-conv', 'input: 64 x 32 x 32\nconv 128 k=3 s=2 p=1 g=4\n'),
    ['3x3 group conv 64 -> 128 with 4 groups on 32x32 -> 16x16: memory access cost 26.7% above a one-group conv with the same MACs (116,736 vs 92,160 elements)']);
  // ShuffleNet v1's 240 -> 60 with 3 groups on 28x28: 240,000 vs 208,640, 15% (under 20)
  assert.deepEqual(only('g2-group-conv', 'input: 240 x 28 x 28\nconv 60 k=1 g=3\n'), []);
  assert.equal(only('g2-group-conv', 'input: 240 x 28 x 28\nconv 60 k=1 g=3\n', { g2Threshold: 15 }).length, 1);
  for (const line of ['conv 256 k=1', 'conv 256 k=3 p=1 g=256', 'dwconv k=3 p=1', 'pwconv 256'])
    assert.deepEqual(only('g2-group-conv', `input: 256 x 56 x 56\n${line}\n`), [], line);
});

// ---- g3-fragmentation

const FOUR_BRANCHES = [
  'input: 8 x 8 x 8',
  'block b:',
  '  p: conv 8 k=1 bias=false from in',
  '  q: conv 8 k=1 bias=false from in',
  '  r: conv 8 k=1 bias=false from in',
  '  s: conv 8 k=1 bias=false from in',
  '  concat from p, q, r, s',
  'end',
  'b',
].join('\n');

test('g3: a block of four tiny parallel convs spends 95.8% of its time launching them', () => {
  // each conv: 8,192 FLOPs (8.2 ns), (512 + 512 + 64) x 4 = 4,352 bytes (43.52 ns): 43.52 ns;
  // 4 launches of 1 µs: 4 / 4.17408 = 95.8%; the concat costs nothing and launches nothing
  const ds = run(FOUR_BRANCHES).filter((d) => d.code === 'g3-fragmentation');
  assert.deepEqual(ds, [{
    range: { start: { line: 8, character: 0 }, end: { line: 8, character: 1 } }, severity: 'info', code: 'g3-fragmentation',
    message: 'block use `b_1` (b): 4 operators in 4 parallel branches, launch overhead 95.8% of its estimated 4.17 µs on Test target (4 launches of 1 µs)',
  }]);
  assert.equal(only('g3-fragmentation', FOUR_BRANCHES, { g3Threshold: 95.82 }).length, 1);
  assert.equal(only('g3-fragmentation', FOUR_BRANCHES, { g3Threshold: 95.84 }).length, 0);
  assert.deepEqual(only('g3-fragmentation', `${FOUR_BRANCHES}  # netcost-ignore: g3-fragmentation`), []);
  // three operators are not "many"; a launch ten times cheaper: 4 x 0.1 / (0.17408 + 0.4) = 69.7%
  assert.deepEqual(only('g3-fragmentation', FOUR_BRANCHES.replace(/  s: .*\n/, '').replace(', s', '')), []);
  assert.deepEqual(only('g3-fragmentation', FOUR_BRANCHES, { target: { ...TT, launchOverhead: 1e-7 } }),
    ['block use `b_1` (b): 4 operators in 4 parallel branches, launch overhead 69.7% of its estimated 574 ns on Test target (4 launches of 100 ns)']);
  // without a target the rule has nothing to measure
  assert.deepEqual(of('g3-fragmentation', lint(analyze(FOUR_BRANCHES), FOUR_BRANCHES)), []);
});

test('g3: a run of small top-level operators (an ONNX listing has no blocks)', () => {
  const text = 'input: 8 x 8 x 8\n' + 'conv 8 k=1 bias=false\n'.repeat(4);
  assert.deepEqual(only('g3-fragmentation', text), ['4 consecutive small operators (`conv_1` to `conv_4`): launch overhead 95.8% of its estimated 4.17 µs on Test target (4 launches of 1 µs)']);
  assert.deepEqual(only('g3-fragmentation', 'input: 8 x 8 x 8\n' + 'conv 8 k=1 bias=false\n'.repeat(3)), []);
  // a large conv breaks the run: 3 + 1
  assert.deepEqual(only('g3-fragmentation', 'input: 8 x 8 x 8\n' + 'conv 8 k=1 bias=false\n'.repeat(3) + 'conv 8 k=3 p=1 s=1 bias=false\n'.replace('8 k=3', '512 k=3') + 'conv 8 k=1 bias=false\n'), []);
});

// ---- g4-elementwise

test('g4: an activation on the network input fuses into nothing: 47.1% of the memory access', () => {
  const { text, ranges } = marked('input: 16 x 8 x 8\n«relu»\nconv 16 k=1 bias=false\n');
  // relu: (1,024 + 1,024) x 4 = 8,192 bytes; conv: (1,024 + 1,024 + 256) x 4 = 9,216; 8,192 / 17,408 = 47.06%
  assert.deepEqual(run(text).filter((d) => d.code === 'g4-elementwise'), [{
    range: ranges[0], severity: 'info', code: 'g4-elementwise',
    message: "element-wise layers fused into no conv or linear layer move 47.1% of the network's memory access (8,192 of 17,408 bytes, 1 layer: 1 relu); the heaviest, this relu, moves 47.1%",
  }]);
  assert.equal(only('g4-elementwise', text, { g4Threshold: 47.05 }).length, 1);
  assert.equal(only('g4-elementwise', text, { g4Threshold: 47.06 }).length, 0);
  assert.deepEqual(only('g4-elementwise', text.replace('relu\n', 'relu  # netcost-ignore: g4-elementwise\n')), []);
});

test('g4: activations, batch norms and residual adds after a conv are fused; a maxpool\'s add is not', () => {
  assert.deepEqual(only('g4-elementwise', 'input: 16 x 8 x 8\nconv 16 k=3 p=1 | bn | relu\nx: conv 16 k=1\nadd from x, input | relu\n'), []);
  // add of a maxpool and the input, then relu: 2 unfused layers; the add moves (2 x 1,024 + 1,024) x 4 = 12,288
  // bytes, the relu 8,192, the pool (1,024 + 1,024) x 4 = 8,192: 20,480 / 28,672 = 71.4%
  assert.deepEqual(only('g4-elementwise', 'input: 16 x 8 x 8\nm: maxpool k=3 s=1 p=1\nadd from m, input\nrelu\n'),
    ["element-wise layers fused into no conv or linear layer move 71.4% of the network's memory access (20,480 of 28,672 bytes, 2 layers: 1 add, 1 relu); the heaviest, this add, moves 42.9%"]);
});

// ---- channel-multiple follows the target

test('channel-multiple: the target\'s multiple; the option overrides it; 16 without either', () => {
  const text = 'input: 3 x 32 x 32\nconv 20 k=3 p=1\nconv 24 k=3 p=1\n';
  assert.deepEqual(only('channel-multiple', text), ['20 output channels, not a multiple of 8: hardware pads to 24, 16.7% of the lanes idle']);
  assert.deepEqual(only('channel-multiple', text, { target: { ...TT, channelMultiple: 4 } }), []);
  assert.deepEqual(only('channel-multiple', text, { channelMultiple: 16 }).length, 2);
  assert.deepEqual(of('channel-multiple', lint(analyze(text), text)).length, 2, 'no target: 16');
  assert.deepEqual(only('channel-multiple', text.replace('p=1\nconv 24', 'p=1  # netcost-ignore: channel-multiple\nconv 24')), []);
});

// ---- depthwise-memory-bound

const DW = 'input: 32 x 16 x 16\ndwconv k=3 p=1 bias=false\n';

test('depthwise-memory-bound: 2.21 FLOP/byte against a ridge point of 10', () => {
  // 147,456 FLOPs, (8,192 + 8,192 + 288) x 4 = 66,688 bytes: intensity 2.211; attainable 221 GFLOP/s; 667 ns
  const a = analyze(DW);
  assert.equal(layerTime(a.layers[0], TT, 'fp32').bound, 'memory');
  assert.deepEqual(only('depthwise-memory-bound', DW), ['depthwise 3x3 conv, 32 channels on 16x16: memory-bound on Test target, 2.21 FLOP/byte against a ridge point of 10; it reaches 221 GFLOP/s of 1.00 TFLOP/s (22.1%), an estimated 667 ns']);
  // the edge is the ridge point: 2.2 (compute-bound) and 2.25 (memory-bound)
  assert.deepEqual(only('depthwise-memory-bound', DW, { target: { ...TT, bandwidth: 1e12 / 2.2 } }), []);
  assert.equal(only('depthwise-memory-bound', DW, { target: { ...TT, bandwidth: 1e12 / 2.25 } }).length, 1);
  assert.deepEqual(only('depthwise-memory-bound', 'input: 32 x 16 x 16\nconv 32 k=3 p=1\n'), [], 'a regular conv');
  assert.equal(only('depthwise-memory-bound', 'input: 32 x 16 x 16\nconv 32 k=3 p=1 g=32 bias=false\n').length, 1, 'a conv with g = C_in is depthwise');
  assert.deepEqual(only('depthwise-memory-bound', DW.replace('false\n', 'false # netcost-ignore: depthwise-memory-bound\n')), []);
});

// ---- separable-low-channels

const SEP = 'input: 8 x 32 x 32\ndwconv k=3 p=1 bias=false\nconv 16 k=1 bias=false\n';

test('separable-low-channels: 8 -> 16 on 32x32, the pair 3.65 µs against 3.36 µs for one regular 3x3 conv', () => {
  // depthwise: 147,456 FLOPs (147 ns), 65,824 bytes (658 ns); 1x1: 262,144 FLOPs (262 ns), 98,816 bytes (988 ns);
  // pair: 658.24 + 988.16 + 2 x 1,000 = 3,646.4 ns. Regular 3x3 8 -> 16: 1,179,648 MACs = 2,359,296 FLOPs (2,359 ns),
  // (8,192 + 16,384 + 1,152) x 4 = 102,912 bytes (1,029 ns): 2,359.296 + 1,000 = 3,359.3 ns
  const ds = run(SEP).filter((d) => d.code === 'separable-low-channels');
  assert.deepEqual(ds.map((d) => [d.range.start.line, d.message]), [[1,
    'depthwise separable 3x3 conv 8 -> 16 on 32x32: an estimated 3.65 µs on Test target (depthwise 658 ns + 1x1 988 ns + 2 launches of 1 µs); one regular 3x3 conv 8 -> 16 would take 3.36 µs (1,179,648 MACs, 1 launch)']]);
  // the edge: the pair loses when a launch costs more than 712.896 ns
  assert.equal(only('separable-low-channels', SEP, { target: { ...TT, launchOverhead: 0.72e-6 } }).length, 1);
  assert.deepEqual(only('separable-low-channels', SEP, { target: { ...TT, launchOverhead: 0.71e-6 } }), []);
  // through a folded batch norm and a fused activation
  assert.equal(only('separable-low-channels', 'input: 8 x 32 x 32\ndwconv k=3 p=1 | bn | relu\nconv 16 k=1 | bn | relu\n').length, 1);
  // many channels: the regular conv's 9x MACs lose
  assert.deepEqual(only('separable-low-channels', 'input: 128 x 32 x 32\ndwconv k=3 p=1 bias=false\nconv 128 k=1 bias=false\n'), []);
  assert.deepEqual(only('separable-low-channels', SEP.replace('false\nconv', 'false # netcost-ignore: separable-low-channels\nconv')), []);
});

// ---- large-kernel

test('large-kernel: a 5x5 conv on a target that computes 5x5 at half the density of 3x3', () => {
  const text = 'input: 3 x 32 x 32\nconv 16 k=5 p=2\n';
  // 25 x 3 x 16 x 1,024 = 1,228,800 MACs
  assert.deepEqual(only('large-kernel', text), ['5x5 conv 3 -> 16: Test target computes 5x5 kernels at 50% of the density of 3x3 ones (1,228,800 MACs); 2 stacked 3x3 convs cover the same 5x5 receptive field']);
  assert.deepEqual(only('large-kernel', 'input: 3 x 32 x 32\nconv 16 k=7 p=3\n'), ['7x7 conv 3 -> 16: Test target computes 7x7 kernels at 25% of the density of 3x3 ones (2,408,448 MACs); 3 stacked 3x3 convs cover the same 7x7 receptive field']);
  // the edge: a density equal to 3x3's is not reported, just below it is
  assert.deepEqual(only('large-kernel', text, { target: { ...TT, kernelDensity: { 5: 1 } } }), []);
  assert.equal(only('large-kernel', text, { target: { ...TT, kernelDensity: { 5: 0.99 } } }).length, 1);
  assert.deepEqual(only('large-kernel', text, { target: { ...TT, kernelDensity: undefined } }), [], 'no density table');
  assert.deepEqual(only('large-kernel', 'input: 16 x 32 x 32\ndwconv k=5 p=2\n'), [], 'depthwise');
  assert.deepEqual(only('large-kernel', 'input: 3 x 32 x 32\nconv 16 k=3 p=1\n'), []);
  assert.deepEqual(only('large-kernel', `${text.trimEnd()} # netcost-ignore: large-kernel\n`), []);
});

// ---- fc-dominant

test('fc-dominant: a classifier on a flattened map holds 99.4% of the params', () => {
  const text = 'input: 16 x 16 x 16\nconv 64 k=3 p=1\nflatten\nfc 100\n';
  // conv 9 x 16 x 64 + 64 = 9,280; fc 16,384 x 100 + 100 = 1,638,500; of 1,647,780: 99.44%
  assert.deepEqual(only('fc-dominant', text), ["fully connected 16,384 -> 100 holds 1,638,500 params, 99.4% of the network's 1,647,780"]);
  assert.equal(only('fc-dominant', text, { fcThreshold: 99.43 }).length, 1);
  assert.equal(only('fc-dominant', text, { fcThreshold: 99.45 }).length, 0);
  assert.deepEqual(only('fc-dominant', 'input: 16 x 16 x 16\nconv 64 k=3 p=1\ngap\nfc 100\n'), [], 'under 1,000,000 params');
  assert.deepEqual(only('fc-dominant', text.replace('fc 100\n', 'fc 100  # netcost-ignore: fc-dominant\n')), []);
  assert.equal(of('fc-dominant', lint(analyze(text), text)).length, 1, 'needs no target');
});

// ---- shuffle-unsupported

test('shuffle-unsupported: a channel shuffle on a target without one', () => {
  const text = 'input: 16 x 8 x 8\nshuffle 4\n';
  assert.deepEqual(run(text).map((d) => [d.code, d.severity, d.message]), [['shuffle-unsupported', 'warning',
    'channel shuffle (4 groups) of 16x8x8: the usual runtime of Test target has no channel shuffle, so it runs as a gather or falls back to the CPU, moving 8,192 bytes']]);
  assert.deepEqual(only('shuffle-unsupported', text, { target: { ...TT, shuffle: true } }), []);
  assert.deepEqual(only('shuffle-unsupported', 'input: 16 x 8 x 8\nshuffle 4 # netcost-ignore: shuffle-unsupported\n'), []);
});

// ---- hotspot

const HOT = 'input: 8 x 8 x 8\n' + 'conv 8 k=1 bias=false\n'.repeat(9) + 'conv 32 k=3 p=1 bias=false\n';

test('hotspot: the last conv takes 43% of the estimated latency', () => {
  // no launch overhead, so the network's time is the sum of the roofline times: 9 x 43.52 ns + 294.912 ns
  // (294,912 FLOPs at 1 TFLOP/s; 19,456 bytes take 194.56 ns) = 686.592 ns; 294.912 / 686.592 = 42.95%
  const target = { ...TT, launchOverhead: 0 };
  const a = analyze(HOT);
  assert.ok(Math.abs(estimate(a, target).seconds - 686.592e-9) < 1e-15);
  const { ranges } = marked('input: 8 x 8 x 8\n' + 'conv 8 k=1 bias=false\n'.repeat(9) + '«conv 32 k=3 p=1 bias=false»\n');
  assert.deepEqual(run(HOT, { target }).filter((d) => d.code === 'hotspot'), [{
    range: ranges[0], severity: 'info', code: 'hotspot', message: "hotspot: an estimated 295 ns of the network's 687 ns on Test target (43%), compute-bound",
  }]);
  assert.equal(only('hotspot', HOT, { target, hotspotThreshold: 42.9 }).length, 1);
  assert.equal(only('hotspot', HOT, { target, hotspotThreshold: 43 }).length, 0);
  // nine layers: too few to speak of a hotspot
  assert.deepEqual(only('hotspot', HOT.replace('conv 8 k=1 bias=false\n', ''), { target }), []);
  assert.deepEqual(only('hotspot', `${HOT.trimEnd()} # netcost-ignore: hotspot\n`, { target }), []);
});

// ---- every rule obeys `enabled: false`, and target rules need a target

test('each rule can be turned off; without a target only the target-free rules run', () => {
  const text = 'input: 3 x 32 x 32\nconv 16 k=5 p=2\nshuffle 4\n';
  assert.deepEqual(run(text).map((d) => d.code), ['large-kernel', 'shuffle-unsupported']);
  assert.deepEqual(run(text, { rules: { 'large-kernel': { enabled: false }, 'shuffle-unsupported': { severity: 'info' } } }).map((d) => [d.code, d.severity]), [['shuffle-unsupported', 'info']]);
  assert.deepEqual(lint(analyze(text), text), []);
});
