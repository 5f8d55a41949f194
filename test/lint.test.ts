// The hardware lint rules (server/src/analysis/lint.ts, docs/rules.md "Hardware lint rules"): exact
// messages with their measured figures, ranges, severities, options, suppression comments, one report
// per block-body line, and the diagnostics every bundled example gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, type Analysis, type Diagnostic, type Settings } from '../server/src/analysis/analyze';
import { lint, RULES, RULE_CODES, suppressions, type LintOptions, type RuleCode } from '../server/src/lint/lint';
import type { Target } from '../server/src/hardware/targets';
import { marked, span } from './fixtures';

const root = join(__dirname, '..');
const FP32: Settings = { batch: 1, dtype: 'fp32' };

/** Analyses a fixture that must have no analysis diagnostic, and lints it. */
function run(text: string, options?: LintOptions, settings: Settings = FP32): Diagnostic[] {
  const a = analyze(text, settings);
  assert.deepEqual(a.diagnostics.map((d) => `${d.code}: ${d.message}`), [], 'the fixture analyses cleanly');
  return lint(a, text, options);
}
const codes = (ds: Diagnostic[]) => ds.map((d) => d.code);
const messages = (ds: Diagnostic[]) => ds.map((d) => d.message);

const G1_64_256 = '1x1 conv 64 -> 256 on 56x56: memory access cost 24.5% above the lower bound for its MACs (1,019,904 vs 819,200 elements)';

// ---- the rule table

test('RULES lists the rules with their default severities, the first three in their original order', () => {
  assert.deepEqual(RULE_CODES, [
    'g1-unbalanced-pointwise', 'channel-multiple', 'unfoldable-batchnorm', 'g2-group-conv', 'g3-fragmentation', 'g4-elementwise',
    'depthwise-memory-bound', 'separable-low-channels', 'large-kernel', 'fc-dominant', 'shuffle-unsupported', 'hotspot',
  ]);
  assert.deepEqual(Object.fromEntries(RULE_CODES.map((c) => [c, RULES[c].severity])), {
    'g1-unbalanced-pointwise': 'info', 'channel-multiple': 'info', 'unfoldable-batchnorm': 'warning', 'g2-group-conv': 'info', 'g3-fragmentation': 'info',
    'g4-elementwise': 'info', 'depthwise-memory-bound': 'info', 'separable-low-channels': 'info', 'large-kernel': 'info', 'fc-dominant': 'info',
    'shuffle-unsupported': 'warning', hotspot: 'info',
  });
  for (const c of RULE_CODES) assert.ok(RULES[c].summary.length > 20, c);
});

// ---- g1-unbalanced-pointwise

test('g1: a 1x1 conv 64 -> 256 on 56x56 is 24.5% above the bound (1,019,904 vs 819,200 elements), the cost model worked example', () => {
  const { text, ranges } = marked('input: 64 x 56 x 56\n«conv 256 k=1 bias=false»\n');
  assert.deepEqual(run(text), [{ range: ranges[0], severity: 'info', code: 'g1-unbalanced-pointwise', message: G1_64_256 }]);
});

test('g1: the figure ignores the bias, the batch and the dtype; pwconv, k=1x1 and the default k count as 1x1', () => {
  for (const line of ['conv 256 k=1', 'conv 256', 'conv 256 k=1x1', 'pwconv 256', 'pwconv 256 g=1', 'conv 256 k=1 g=1 | bn | relu']) {
    const text = `input: 64 x 56 x 56\n${line}\n`;
    assert.deepEqual(messages(run(text)), [G1_64_256], line);
    assert.deepEqual(messages(run(text, {}, { batch: 8, dtype: 'fp16' })), [G1_64_256], `${line} at batch 8, fp16`);
  }
  const fromWide = run('input: 256 x 56 x 56\nconv 64 k=1\n');
  assert.deepEqual(messages(fromWide), ['1x1 conv 256 -> 64 on 56x56: memory access cost 24.5% above the lower bound for its MACs (1,019,904 vs 819,200 elements)']);
});

test('g1: not reported for equal widths, other kernels, groups, depthwise convs, or below the threshold', () => {
  const quiet = [
    'conv 64 k=1', // balanced
    'conv 256 k=3 p=1', 'conv 256 k=1x3 p=0x1', // not 1x1
    'conv 256 k=1 g=2', 'pwconv 256 g=4', // grouped: guideline G2, not G1
    'dwconv k=1 m=4', // depthwise
    'conv 128 k=1', // 64 -> 128: 6% above the bound
    'deconv 256 k=1', 'linear 256',
  ];
  for (const line of quiet) assert.deepEqual(codes(run(`input: 64 x 56 x 56\n${line}\n`)).filter((c) => c === 'g1-unbalanced-pointwise'), [], line);
});

test('g1: the threshold is a percentage, reported from it on (>=)', () => {
  const text = 'input: 64 x 56 x 56\nconv 256 k=1\n';
  assert.equal(run(text, { g1Threshold: 24.5 }).length, 1);
  assert.equal(run(text, { g1Threshold: 24.6 }).length, 0);
  const half = 'input: 64 x 56 x 56\nconv 128 k=1\n';
  // 3,136 x (64 + 128) + 64 x 128 = 610,304; 2 x 3,136 x sqrt(8,192) + 8,192 = 575,869.4
  assert.deepEqual(messages(run(half, { g1Threshold: 5 })), ['1x1 conv 64 -> 128 on 56x56: memory access cost 6% above the lower bound for its MACs (610,304 vs 575,869 elements)']);
});

test('g1: with a stride the real input and output counts are measured against the bound for the same map sizes', () => {
  // 256 x 56 x 56 -> 64 x 28 x 28: 802,816 + 50,176 + 16,384 = 869,376 elements;
  // bound 2*sqrt(3136 * 784*256*64) + 256*64 = 401,408 + 16,384 = 417,792
  const { text, ranges } = marked('input: 256 x 56 x 56\n«conv 64 k=1 s=2»\n');
  assert.deepEqual(run(text), [{
    range: ranges[0], severity: 'info', code: 'g1-unbalanced-pointwise',
    message: '1x1 conv 256 -> 64 on 56x56 -> 28x28: memory access cost 108.1% above the lower bound for its MACs (869,376 vs 417,792 elements); its input and output feature maps differ in size (802,816 vs 50,176 elements)',
  }]);
  // 64 x 56 x 56 -> 256 x 28 x 28 reads and writes 200,704 elements each: at the bound, not reported
  assert.deepEqual(run('input: 64 x 56 x 56\nconv 256 k=1 s=2\n'), []);
  // ResNet-50's stride-2 projection 256 -> 512, 56x56 -> 28x28 is 5.4% above: not reported
  assert.deepEqual(run('input: 256 x 56 x 56\nconv 512 k=1 s=2\n'), []);
});

// ---- channel-multiple

test('channel-multiple: conv output channels with the padded width and the idle share', () => {
  const { text, ranges } = marked('input: 3 x 224 x 224\n«conv 24 k=3 s=2 p=1» | bn | relu\nconv 32 k=3 p=1 | bn | relu\ngap\nfc 1000\n');
  assert.deepEqual(run(text), [{ range: ranges[0], severity: 'info', code: 'channel-multiple', message: '24 output channels, not a multiple of 16: hardware pads to 32, 25% of the lanes idle' }]);
});

test('channel-multiple: dwconv, pwconv and deconv outputs, and linear widths inside the network', () => {
  const text = [
    'input: 24 x 16 x 16',
    'dwconv k=3 p=1', // 24 channels
    'dwconv k=3 p=1 m=2', // 48: fine
    'pwconv 58',
    'deconv 116 k=2 s=2',
    'conv 64 k=3 p=1',
    'gap',
    'fc 100 | relu',
    'fc 10',
  ].join('\n');
  const ds = run(text);
  assert.deepEqual(ds.map((d) => [d.range.start.line, d.code, d.message]), [
    [1, 'channel-multiple', '24 output channels, not a multiple of 16: hardware pads to 32, 25% of the lanes idle'],
    [3, 'channel-multiple', '58 output channels, not a multiple of 16: hardware pads to 64, 9.4% of the lanes idle'],
    [4, 'channel-multiple', '116 output channels, not a multiple of 16: hardware pads to 128, 9.4% of the lanes idle'],
    [7, 'channel-multiple', '100 output features, not a multiple of 16: hardware pads to 112, 10.7% of the lanes idle'],
  ]);
});

test('channel-multiple: the network output linear layer is a task fact, skipped through element-wise, softmax and dropout heads', () => {
  const head = (tail: string) => `input: 64 x 7 x 7\ngap\n${tail}\n`;
  for (const tail of ['fc 1000', 'fc 1000 | softmax', 'fc 1000 | dropout', 'fc 1000 | sigmoid | dropout | softmax', 'fc 10\nidentity\nsoftmax'])
    assert.deepEqual(run(head(tail)), [], tail);
  // read by something else than a head: reported
  const added = run('input: 64 x 7 x 7\ngap\nflatten\nx: fc 1000\nadd from x, x\n');
  assert.deepEqual(messages(added), ['1000 output features, not a multiple of 16: hardware pads to 1008, 0.8% of the lanes idle']);
  // a conv output is checked even at the end of the network (the rule skips linear heads only)
  assert.deepEqual(messages(run('input: 64 x 7 x 7\nconv 21 k=3 p=1\n')), ['21 output channels, not a multiple of 16: hardware pads to 32, 34.4% of the lanes idle']);
  // per-token linear layers: the last dim
  const tokens = run('input: 196 x 768\nlinear 100 | gelu\nlinear 768\n');
  assert.deepEqual(messages(tokens), ['100 output features, not a multiple of 16: hardware pads to 112, 10.7% of the lanes idle']);
});

test('channel-multiple: the multiple is an option', () => {
  const text = 'input: 3 x 32 x 32\nconv 24 k=3 p=1\nconv 20 k=3 p=1\n';
  assert.deepEqual(messages(run(text, { channelMultiple: 8 })), ['20 output channels, not a multiple of 8: hardware pads to 24, 16.7% of the lanes idle']);
  assert.deepEqual(messages(run(text, { channelMultiple: 4 })), []);
  assert.equal(run(text, { channelMultiple: 0 }).length, 2, 'an invalid multiple falls back to 16');
});

// ---- unfoldable-batchnorm

test('unfoldable-batchnorm: an activation between the conv and the bn, with its FLOPs, bytes and share', () => {
  // bn: 2 x 16,384 FLOPs; (16,384 + 16,384 + 4 x 16) x 4 bytes = 131,328 of 482,368 bytes in all
  const { text, ranges } = marked('input: 3 x 32 x 32\nc: conv 16 k=3 p=1 | relu | «bn»\nconv 16 k=3 p=1\n');
  const a = analyze(text);
  assert.equal(a.totals.memoryBytes, 482_368);
  assert.deepEqual(lint(a, text), [{
    range: ranges[0], severity: 'warning', code: 'unfoldable-batchnorm',
    message: "batch norm not folded: 32,768 FLOPs and 131,328 bytes of memory access (27.2% of the network's): an activation (relu) stands between it and the conv `c.conv`; move it before the activation so it folds; the conv after it (`conv_2`) pads its input (p=1), so it cannot fold forward either",
  }]);
});

test('unfoldable-batchnorm: the figures follow the batch and dtype of the analysis', () => {
  const text = 'input: 3 x 32 x 32\nc: conv 16 k=3 p=1 | relu | bn\ngap\n';
  const bn = analyze(text, { batch: 8, dtype: 'fp16' }).layers.find((l) => l.op === 'bn')!;
  assert.equal(bn.flops['2macs'], 262_144);
  assert.equal(bn.memoryBytes, 524_416); // (8 x 32,768 + 64) x 2
  assert.match(run(text, {}, { batch: 8, dtype: 'fp16' })[0].message, /^batch norm not folded: 262,144 FLOPs and 524,416 bytes of memory access \(/);
});

test('unfoldable-batchnorm: every reason has its own explanation', () => {
  const text = [
    'input: 16 x 8 x 8',
    'bn', // 1: reads the input
    'x: conv 16 k=3 p=1',
    'bn', // 3: x is also read by the add
    'add from x, bn_2',
    'bn', // 5: reads an add
    'y: bn | relu', // 6: reads a bn
    'z: conv 16 k=3 p=1 from y',
    'm: maxpool k=2',
    'bn', // 9: two readers
    'conv 16 k=1 from bn_5',
    'conv 16 k=1 from bn_5',
  ].join('\n');
  const ds = run(text, { rules: { 'g4-elementwise': { enabled: false } } });
  assert.deepEqual(ds.map((d) => [d.range.start.line, d.code]), [1, 3, 5, 6, 9].map((l) => [l, 'unfoldable-batchnorm']));
  const why = ds.map((d) => d.message.slice(d.message.indexOf("network's): ") + "network's): ".length));
  assert.deepEqual(why, [
    'it reads the network input `input`, not a conv or linear layer; normalize the input in preprocessing, or move the batch norm after the first conv; the conv after it (`x`) pads its input (p=1), so it cannot fold forward either',
    '`x` is also read by `add_1`, so the batch norm cannot fold into it; let that layer read the batch norm instead',
    'it reads an add (`add_1`), not a conv or linear layer',
    'it reads a bn (`bn_3`), not a conv or linear layer',
    'it reads a maxpool (`m`), not a conv or linear layer; 2 layers read it, so it cannot fold forward either',
  ]);
});

test('unfoldable-batchnorm: folded batch norms are not reported, backward or forward', () => {
  assert.deepEqual(run('input: 3 x 32 x 32\nconv 16 k=3 p=1 | bn | relu\n'), []);
  assert.deepEqual(run('input: 16 x 32 x 32\nconv 16 k=3 p=1 | relu | bn\nconv 16 k=1\n'), [], 'folds forward into an unpadded conv');
  assert.deepEqual(run('input: 256 x 7 x 7\ngap\nflatten\nfc 512 | bn\n'), [], 'folds into a linear layer');
});

// ---- suppression

test('suppression: `# netcost-ignore` silences every rule on its line, `: codes` only those', () => {
  const line = 'conv 24 k=1'; // g1 (64 -> 24 at 34%) and channel-multiple
  const lintLine = (comment: string, options?: LintOptions) => codes(run(`input: 64 x 56 x 56\n${line} ${comment}\n`, options));
  assert.deepEqual(lintLine(''), ['g1-unbalanced-pointwise', 'channel-multiple']);
  assert.deepEqual(lintLine('# netcost-ignore'), []);
  assert.deepEqual(lintLine('#netcost-ignore'), []);
  assert.deepEqual(lintLine('# netcost-ignore: channel-multiple'), ['g1-unbalanced-pointwise']);
  assert.deepEqual(lintLine('# netcost-ignore: g1-unbalanced-pointwise'), ['channel-multiple']);
  assert.deepEqual(lintLine('# netcost-ignore:channel-multiple,g1-unbalanced-pointwise'), []);
  assert.deepEqual(lintLine('# netcost-ignore: channel-multiple, g1-unbalanced-pointwise because the paper says so'), []);
  assert.deepEqual(lintLine('# Table 1: 24 channels  netcost-ignore: channel-multiple'), ['g1-unbalanced-pointwise'], 'after other comment text');
  assert.deepEqual(lintLine('# netcost-ignore: unfoldable-batchnorm'), ['g1-unbalanced-pointwise', 'channel-multiple'], 'another rule');
  assert.deepEqual(lintLine('# netcost-ignored'), ['g1-unbalanced-pointwise', 'channel-multiple'], 'not the directive');
  assert.deepEqual(lintLine('# xnetcost-ignore'), ['g1-unbalanced-pointwise', 'channel-multiple'], 'not the directive');
  // only the reported line counts
  assert.equal(run('input: 64 x 56 x 56\n# netcost-ignore\nconv 24 k=1\n').length, 2);
  assert.equal(run('input: 64 x 56 x 56 # netcost-ignore\nconv 24 k=1\n').length, 2);
});

test('suppression: the directive parser reads every line ending', () => {
  const s = suppressions('a\r\nb # netcost-ignore\rc # netcost-ignore: channel-multiple, x-y\nd');
  assert.deepEqual([...s.keys()], [1, 2]);
  assert.equal(s.get(1), 'all');
  assert.deepEqual(s.get(2), new Set(['channel-multiple', 'x-y']));
});

test('suppression: on a block body line, or on the top-level use or repeat that builds the layer', () => {
  const body = (comment: string, use2 = '', rep = '') => [
    'input: 64 x 56 x 56',
    'block b(c):',
    `  conv c k=3 p=1 ${comment}`,
    'end',
    'b(24)',
    `b(40) ${use2}`,
    `repeat 2: b(56) ${rep}`,
  ].join('\n');
  // 24, 40 and 56 channels: 25%, 16.7% and 12.5% of the lanes idle
  assert.deepEqual(messages(run(body(''))), ['24 output channels, not a multiple of 16: hardware pads to 32, 25% of the lanes idle (in all 4 uses; worst: b_1.conv_1)']);
  assert.deepEqual(run(body('# netcost-ignore: channel-multiple')), []);
  assert.deepEqual(messages(run(body('', '# netcost-ignore', '# netcost-ignore'))), ['24 output channels, not a multiple of 16: hardware pads to 32, 25% of the lanes idle (in 1 of 4 uses)']);
  assert.deepEqual(messages(run(body('', '', '# netcost-ignore: channel-multiple'))), ['24 output channels, not a multiple of 16: hardware pads to 32, 25% of the lanes idle (in 2 of 4 uses; worst: b_1.conv_1)']);
});

// ---- block dedupe

test('a block-body line is reported once, with the worst use and how many uses have it', () => {
  const { text, ranges } = marked([
    'input: 64 x 56 x 56',
    'block b(c):',
    '  «conv c k=1» | bn | relu',
    'end',
    'b(64)', // 64 -> 64: balanced
    'b(128)', // 64 -> 128: 6.1%, below the threshold
    'b(512)', // 128 -> 512: 24%, the first of the worst
    'b(128)', // 512 -> 128: 24% too
  ].join('\n'));
  const ds = run(text);
  // 3,136 x (128 + 512) + 128 x 512 = 2,072,576; 2 x 3,136 x 256 + 65,536 = 1,671,168
  assert.deepEqual(ds, [{
    range: ranges[0], severity: 'info', code: 'g1-unbalanced-pointwise',
    message: '1x1 conv 128 -> 512 on 56x56: memory access cost 24% above the lower bound for its MACs (2,072,576 vs 1,671,168 elements) (in 2 of 4 uses; worst: b_3.conv_1)',
  }]);
});

test('a one-line repeat reports its layer once; equal messages name no worst use', () => {
  const { text, ranges } = marked('input: 3 x 32 x 32\nrepeat 3: «conv 24 k=3 p=1»\n');
  assert.deepEqual(run(text), [{ range: ranges[0], severity: 'info', code: 'channel-multiple', message: '24 output channels, not a multiple of 16: hardware pads to 32, 25% of the lanes idle (in all 3 uses)' }]);
  assert.deepEqual(ranges[0], span(1, 10, 25));
});

test('nested blocks: a line is counted over every use, at any depth', () => {
  const text = [
    'input: 16 x 8 x 8',
    'block inner(c):',
    '  conv c k=3 p=1 | bn | relu',
    'end',
    'block outer(c):',
    '  inner(c)',
    '  inner(16)',
    'end',
    'outer(24)',
    'outer(16)',
  ].join('\n');
  assert.deepEqual(run(text).map((d) => [d.range.start.line, d.message]), [
    [2, '24 output channels, not a multiple of 16: hardware pads to 32, 25% of the lanes idle (in 1 of 4 uses)'],
  ]);
});

// ---- options

test('options turn a rule off or change its severity', () => {
  const text = 'input: 64 x 56 x 56\nconv 24 k=1\nc: conv 16 k=3 p=1 | relu | bn\ngap\n';
  assert.deepEqual(codes(run(text)), ['g1-unbalanced-pointwise', 'channel-multiple', 'unfoldable-batchnorm']);
  assert.deepEqual(codes(run(text, { rules: { 'channel-multiple': { enabled: false } } })), ['g1-unbalanced-pointwise', 'unfoldable-batchnorm']);
  assert.deepEqual(codes(run(text, { rules: { 'g1-unbalanced-pointwise': { enabled: false }, 'unfoldable-batchnorm': { enabled: false } } })), ['channel-multiple']);
  const sev = run(text, { rules: { 'channel-multiple': { severity: 'warning' }, 'unfoldable-batchnorm': { severity: 'error' }, 'g1-unbalanced-pointwise': { enabled: true } } });
  assert.deepEqual(sev.map((d) => d.severity), ['info', 'warning', 'error']);
});

test('lint is pure: it leaves the analysis as it was and gives the same answer twice', () => {
  const text = readFileSync(join(root, 'examples', 'shufflenet_v1.net'), 'utf8');
  const a = analyze(text);
  const before = JSON.stringify(a);
  const first = lint(a, text);
  assert.equal(JSON.stringify(a), before);
  assert.deepEqual(lint(a, text), first);
});

test('lint never throws on broken input and reports only what was analysed', () => {
  const texts = ['', 'conv 24', 'input: 3 x 8 x 8\nconv 24 k=9\nconv 24', 'input: 3 x 8 x 8\nblock b(\nconv 24 k=1 | bn\n', 'input: 8\nfc 10 | bn\nbn\n', 'input: 3 x 8 x 8\nrepeat 2: conv 8 g=3\n'];
  for (const t of texts) {
    const a = analyze(t);
    const ds = lint(a, t);
    for (const d of ds) assert.ok(RULE_CODES.includes(d.code as RuleCode), d.code);
  }
});

// ---- the bundled examples

type Counts = Partial<Record<RuleCode, number>>;
const EXAMPLES: Record<string, Counts> = {
  'mobilenet_v1.net': {},
  // expansion and projection 1x1 convs (6x), the 320 -> 1280 head; the 24-channel projections
  'mobilenet_v2.net': { 'g1-unbalanced-pointwise': 2, 'channel-multiple': 1 },
  'repvgg_a0.net': {},
  // the bottleneck's 1x1 reduce and expand (4x), the stride-1 projection of layer1
  'resnet50.net': { 'g1-unbalanced-pointwise': 3 },
  // 24 -> 60 in stage 2's first unit (g1 = 1); widths 24, 60, 120, 216
  'shufflenet_v1.net': { 'g1-unbalanced-pointwise': 1, 'channel-multiple': 4, 'g2-group-conv': 2 },
  // widths 24, 58, 116, 232 (the 1x widths of Table 5); its 1x1 convs keep their width (G1)
  'shufflenet_v2.net': { 'channel-multiple': 9 },
  // fc6 holds 74.3% of the params
  'vgg16.net': { 'fc-dominant': 1 },
  'vit_b16.net': {},
};

test('every bundled example is linted, and gets exactly the expected diagnostics per rule', () => {
  const files = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.net')).sort();
  assert.deepEqual(files, Object.keys(EXAMPLES).sort(), 'a new example needs its expected counts here');
  for (const file of files) {
    const text = readFileSync(join(root, 'examples', file), 'utf8');
    const a = analyze(text);
    assert.deepEqual(a.diagnostics, [], file);
    const counts: Counts = {};
    for (const d of lint(a, text)) counts[d.code as RuleCode] = (counts[d.code as RuleCode] ?? 0) + 1;
    assert.deepEqual(counts, EXAMPLES[file], file);
  }
});

const lintExample = (file: string): Analysis & { lint: Diagnostic[] } => {
  const text = readFileSync(join(root, 'examples', file), 'utf8');
  const a = analyze(text);
  return { ...a, lint: lint(a, text) };
};

test('ResNet-50: the bottleneck 1x1s at 24.5%, each reported once on its body line', () => {
  assert.deepEqual(lintExample('resnet50.net').lint.map((d) => [d.range.start.line + 1, d.range.start.character, d.severity, d.message]), [
    [11, 2, 'info', '1x1 conv 256 -> 64 on 56x56: memory access cost 24.5% above the lower bound for its MACs (1,019,904 vs 819,200 elements) (in 10 of 16 uses; worst: layer1.1.conv_1)'],
    [13, 8, 'info', '1x1 conv 64 -> 256 on 56x56: memory access cost 24.5% above the lower bound for its MACs (1,019,904 vs 819,200 elements) (in 13 of 16 uses; worst: layer1.0.main.conv)'],
    [15, 48, 'info', '1x1 conv 64 -> 256 on 56x56: memory access cost 24.5% above the lower bound for its MACs (1,019,904 vs 819,200 elements) (in 1 of 4 uses)'],
  ]);
});

test('MobileNet v2: the inverted residual expansions and projections, and its 24-channel stage', () => {
  assert.deepEqual(lintExample('mobilenet_v2.net').lint.map((d) => [d.range.start.line + 1, d.code, d.message]), [
    [14, 'g1-unbalanced-pointwise', '1x1 conv 16 -> 96 on 112x112: memory access cost 42.8% above the lower bound for its MACs (1,406,464 vs 984,781 elements) (in 13 of 16 uses; worst: bottleneck_2.repeat_1.0.expand.conv)'],
    [16, 'g1-unbalanced-pointwise', '1x1 conv 144 -> 24 on 56x56: memory access cost 42.5% above the lower bound for its MACs (530,304 vs 372,173 elements) (in 12 of 17 uses; worst: bottleneck_2.repeat_1.1.project.conv)'],
    [16, 'channel-multiple', '24 output channels, not a multiple of 16: hardware pads to 32, 25% of the lanes idle (in 2 of 17 uses)'],
  ]);
});

test('with channelMultiple 8, ShuffleNet v2 keeps its 58 and 116 widths (232 = 8 x 29 and 24 = 8 x 3 pass)', () => {
  const text = readFileSync(join(root, 'examples', 'shufflenet_v2.net'), 'utf8');
  const at8 = lint(analyze(text), text, { channelMultiple: 8 });
  const m58 = '58 output channels, not a multiple of 8: hardware pads to 64, 9.4% of the lanes idle';
  assert.deepEqual(at8.map((d) => [d.range.start.line + 1, d.code, d.message]), [
    [14, 'channel-multiple', `${m58} (in 10 of 13 uses; worst: stage2.repeat_1.0.conv_1)`], // 58, 116, 232 over 3 + 7 + 3 units
    [15, 'channel-multiple', `${m58} (in 10 of 13 uses; worst: stage2.repeat_1.0.dwconv_1)`],
    [16, 'channel-multiple', `${m58} (in 10 of 13 uses; worst: stage2.repeat_1.0.right.conv)`],
    [24, 'channel-multiple', '116 output channels, not a multiple of 8: hardware pads to 120, 3.3% of the lanes idle (in 1 of 3 uses)'], // reads 24, 116, 232
    [25, 'channel-multiple', `${m58} (in 2 of 3 uses; worst: stage2.down_unit_1.left.conv)`],
    [26, 'channel-multiple', `${m58} (in 2 of 3 uses; worst: stage2.down_unit_1.conv_2)`],
    [27, 'channel-multiple', `${m58} (in 2 of 3 uses; worst: stage2.down_unit_1.dwconv_2)`],
    [28, 'channel-multiple', `${m58} (in 2 of 3 uses; worst: stage2.down_unit_1.right.conv)`],
  ]);
});

// ---- the docs

test('docs/rules.md documents every rule under a heading named by its code, with an example that gives the message shown', () => {
  const doc = readFileSync(join(root, 'docs', 'rules.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Hardware lint rules'));
  assert.ok(section.length > 1000, 'the section exists');
  assert.ok(!/arrive with the language server/.test(doc), 'the placeholder sentence is gone');
  // the examples run on the made-up target the section states in its one JSON block
  const target = JSON.parse(/```json\n([\s\S]*?)```/.exec(section)![1]) as Target;
  assert.equal(target.bandwidth, 1e11);
  for (const code of RULE_CODES) {
    assert.ok(section.includes(`\n### ${code}\n`), `### ${code}`);
    assert.ok(section.includes(`[\`${code}\`](#${code})`), `${code} in the table`);
    const body = section.slice(section.indexOf(`\n### ${code}\n`)).split(/\n### /)[1];
    const example = /```net\n([\s\S]*?)```/.exec(body);
    const shown = /```text\n([\s\S]*?)\n```/.exec(body);
    assert.ok(example && shown, `${code}: an example and its message`);
    for (const part of ['**What.**', '**Why.**', '**Fix.**']) assert.ok(body.includes(part), `${code}: ${part}`);
    const ds = run(example[1], { target });
    assert.deepEqual(ds.map((d) => [d.code, d.message]), [[code, shown[1]]], code);
  }
});

// ---- ONNX models and the built-in default target

test('an ONNX model listing is linted on the default target: resnet50.onnx', async () => {
  const { analyzeOnnxDocument } = await import('../server/src/ide/document');
  const { DEFAULT_EDITOR_SETTINGS } = await import('../server/src/ide/settings');
  const { findTarget } = await import('../server/src/hardware/targets');
  const t4 = findTarget('t4');
  assert.ok(t4, 'the built-in t4 profile');
  const d = analyzeOnnxDocument(join(root, 'examples', 'resnet50.onnx'), 'resnet50.onnx', DEFAULT_EDITOR_SETTINGS);
  const lines = d.analysis.onnx!.listing.text.split('\n');
  const byCode = (c: string) => d.diagnostics.filter((x) => x.code === c);
  // the bottleneck 1x1s, as on the hand-written file, with the message
  assert.ok(byCode('g1-unbalanced-pointwise').length >= 3);
  assert.match(byCode('g1-unbalanced-pointwise')[0].message, /^1x1 conv 64 -> 256 on 56x56: memory access cost 24\.5% above the lower bound for its MACs/);
  // the 7x7 stem, when the target computes 7x7 below 3x3's density
  const density = t4!.kernelDensity?.[7];
  const stem = byCode('large-kernel');
  if (density !== undefined && density < (t4!.kernelDensity?.[3] ?? 1)) {
    assert.equal(stem.length, 1);
    assert.match(lines[stem[0].range.start.line], /^conv1_Conv: conv 64 k=7 s=2 p=3/);
  } else assert.equal(stem.length, 0);
  // every Relu and Add of the export follows a conv that nothing else reads: fused, so no g4
  assert.deepEqual(byCode('g4-elementwise'), []);
  assert.deepEqual(byCode('fc-dominant'), [], 'its fc holds 2.05M of 25.6M params');
});
