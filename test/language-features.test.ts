// The `.net` language as docs/language.md describes it: blocks, repeats, `when`, functions,
// expressions, names, chains, shapes, and every layer kind of the reference table with its output shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, type Analysis, type Layer, type Settings } from '../server/src/analysis/analyze';
import { lex } from '../server/src/syntax/lexer';

const FP32: Settings = { batch: 1, dtype: 'fp32' };

function run(src: string, settings: Settings = FP32): Analysis {
  const a = analyze(src, settings);
  assert.deepEqual(a.diagnostics.map((d) => `${d.code} @${d.range.start.line}:${d.range.start.character} ${d.message}`), []);
  return a;
}
const layer = (a: Analysis, name: string): Layer => {
  const l = a.layers.find((x) => x.name === name);
  assert.ok(l, `no layer ${name}; have ${a.layers.map((x) => x.name).join(', ')}`);
  return l;
};
const names = (a: Analysis) => a.layers.map((l) => l.name);
const shapes = (a: Analysis) => Object.fromEntries(a.layers.map((l) => [l.name, l.outputShape]));
const value = (a: Analysis, name: string) => a.variables.find((v) => v.name === name)?.value;

// ---- blocks

const BOTTLENECK = `
input img: 16 x 8 x 8
block bottleneck(width, s=1, out=width * 4):
  a: conv width k=1 | bn | relu
     conv width k=3 s=s p=1 | bn | relu
  main: conv out k=1 | bn
  short: conv out k=1 s=s from in | bn
  add from main, short
  relu
end
`;

test('a block parameter defaults to its default, which may read earlier parameters', () => {
  const a = run(`${BOTTLENECK}b: bottleneck(8)`);
  assert.deepEqual(layer(a, 'b.main').outputShape, [32, 8, 8], 'out = width * 4');
  assert.deepEqual(layer(a, 'b.conv_2').outputShape, [8, 8, 8], 's = 1');
});

test('block arguments can be positional or keywords, in any mix', () => {
  const a = run(`${BOTTLENECK}b1: bottleneck(8, 2)\nb2: bottleneck(width=8, out=24)\nb3: bottleneck(4, out=16, s=2)`);
  assert.deepEqual(a.groups.map((g) => [g.name, g.outputShape]), [['b1', [32, 4, 4]], ['b2', [24, 4, 4]], ['b3', [16, 2, 2]]]);
});

test('`in` is the block input; the block output is its last statement; layers inside are named USE.LAYER', () => {
  const a = run(`${BOTTLENECK}s2: bottleneck(8, s=2)`);
  assert.deepEqual(names(a), [
    's2.a.conv', 's2.a.bn', 's2.a', 's2.conv_2', 's2.bn_2', 's2.relu_2', 's2.main.conv', 's2.main',
    's2.short.conv', 's2.short', 's2.add_1', 's2.relu_3',
  ]);
  assert.deepEqual(layer(a, 's2.short.conv').inputs, ['img']);
  assert.deepEqual(layer(a, 's2.add_1').inputs, ['s2.main', 's2.short']);
  const [g] = a.groups;
  assert.deepEqual([g.name, g.kind, g.layerCount, g.outputShape], ['s2', 'bottleneck', 12, [32, 4, 4]]);
  assert.equal(g.macs, a.totals.macs);
  assert.deepEqual(layer(a, 's2.relu_3').groups, ['s2']);
});

test('unnamed block uses get default names: bottleneck_1, bottleneck_2, counted with the named ones', () => {
  const a = run(`${BOTTLENECK}bottleneck(4)\nnamed: bottleneck(4)\nbottleneck(4)`);
  assert.deepEqual(a.groups.map((g) => g.name), ['bottleneck_1', 'named', 'bottleneck_3']);
  assert.ok(names(a).includes('bottleneck_1.conv_2'));
});

test('blocks may use blocks defined later in the file', () => {
  const a = run('input img: 4 x 8 x 8\nouter\nblock outer:\n  inner(6)\n  relu\nend\nblock inner(c):\n  conv c\nend');
  assert.deepEqual(names(a), ['outer_1.inner_1.conv_1', 'outer_1.relu_1']);
  assert.deepEqual(layer(a, 'outer_1.inner_1.conv_1').groups, ['outer_1.inner_1', 'outer_1']);
});

test('`when COND:` builds a statement only when the condition holds', () => {
  const a = run(`
input img: 16 x 8 x 8
block ir(c_out, s=1, t=6):
  when t != 1: exp: conv dim(in, 0) * t k=1 | bn | relu6
  dwconv k=3 s=s p=1 | bn | relu6
  proj: conv c_out k=1 | bn
  when s == 1 and dim(in, 0) == c_out: add from in, proj
end
b1: ir(16, t=1)
b2: ir(24, s=2)
when 1 > 2: never: relu
when not 0: always: relu
`);
  assert.deepEqual(names(a).filter((n) => n.startsWith('b1.')), ['b1.dwconv_1', 'b1.bn_1', 'b1.relu6_1', 'b1.proj.conv', 'b1.proj', 'b1.add_1']);
  assert.deepEqual(names(a).filter((n) => n.startsWith('b2.')), ['b2.exp.conv', 'b2.exp.bn', 'b2.exp', 'b2.dwconv_1', 'b2.bn_2', 'b2.relu6_2', 'b2.proj.conv', 'b2.proj']);
  assert.deepEqual(layer(a, 'b2.exp.conv').outputShape, [96, 8, 8]);
  assert.ok(!names(a).includes('never'));
  assert.deepEqual(layer(a, 'always').inputs, ['b2.proj']);
});

// ---- repeat

test('`repeat N as i` binds i = 0 .. N-1, and a repeat of one block use names it REPEAT.i.LAYER', () => {
  const a = run(`${BOTTLENECK}layer1: repeat 3 as i: bottleneck(4, if(i == 0, 2, 1), out=16 + 8 * i)\nhead: relu from layer1`);
  assert.deepEqual(a.groups.map((g) => [g.name, g.kind, g.outputShape]), [
    ['layer1', 'repeat', [32, 4, 4]],
    ['layer1.0', 'bottleneck', [16, 4, 4]],
    ['layer1.1', 'bottleneck', [24, 4, 4]],
    ['layer1.2', 'bottleneck', [32, 4, 4]],
  ]);
  assert.deepEqual(layer(a, 'layer1.0.conv_2').outputShape, [4, 4, 4], 'stride 2 in iteration 0 only');
  assert.deepEqual(layer(a, 'layer1.1.a.conv').inputs, ['layer1.0.relu_3'], 'iterations chain');
  assert.deepEqual(layer(a, 'layer1.2.relu_3').groups, ['layer1.2', 'layer1']);
  assert.deepEqual(layer(a, 'head').inputs, ['layer1.2.relu_3'], 'a named repeat names its output');
});

test('a multi-line repeat builds its body N times, each iteration a scope REPEAT.i with its own default names', () => {
  const a = run('input img: 4 x 8 x 8\nrepeat 3 as i:\n  conv 8 * (i + 1) k=1\n  when i == 2: relu\nend\ntail: relu');
  assert.deepEqual(a.layers.map((l) => [l.name, l.outputShape[0]]), [
    ['repeat_1.0.conv_1', 8], ['repeat_1.1.conv_1', 16], ['repeat_1.2.conv_1', 24], ['repeat_1.2.relu_1', 24], ['tail', 24],
  ]);
});

test('`repeat 0` builds nothing and the chain passes through it', () => {
  const a = run('input img: 4 x 8 x 8\nrepeat 0: conv 8\nrelu');
  assert.deepEqual(names(a), ['relu_1']);
  assert.deepEqual(layer(a, 'relu_1').inputs, ['img']);
});

// ---- functions, variables and expressions

test('make_divisible follows the MobileNet rule: nearest multiple of d, at least d, never more than 10 % below', () => {
  const cases: [string, number][] = [
    ['make_divisible(32 * 0.75)', 24],
    ['make_divisible(10)', 16], // 8 would be 20 % below 10
    ['make_divisible(11)', 16],
    ['make_divisible(12)', 16],
    ['make_divisible(3)', 8], // at least d
    ['make_divisible(20)', 24], // rounds half up
    ['make_divisible(35.5)', 32],
    ['make_divisible(32 * 1.4)', 48],
    ['make_divisible(100, 16)', 96],
    ['make_divisible(1280 * 0.35, 8)', 448],
    ['round8(44.8)', 48],
  ];
  const a = run(cases.map(([e], i) => `v${i} = ${e}`).join('\n'));
  cases.forEach(([e, want], i) => assert.equal(value(a, `v${i}`), want, e));
});

test('expressions: floor division, modulo, right-associative power, comparisons, logic and the built-ins', () => {
  const cases: [string, number][] = [
    ['7 // 2', 3], ['-7 // 2', -4], ['7 % 3', 1], ['-7 % 3', 2], ['2 ** 3 ** 2', 512], ['-2 ** 2', -4],
    ['1 + 2 * 3', 7], ['(1 + 2) * 3', 9], ['1e-3 * 1000', 1], ['.5 * 4', 2],
    ['3 == 3', 1], ['3 != 3', 0], ['2 < 3 and 3 <= 3', 1], ['2 > 3 or 3 >= 4', 0], ['not 0', 1],
    ['int(-2.5)', -2], ['floor(-2.5)', -3], ['ceil(2.1)', 3], ['round(2.5)', 3],
    ['min(3, 1, 2)', 1], ['max(4, 5)', 5], ['abs(-3)', 3], ['if(0, 10, 20)', 20], ['if(2 > 1, 10, 20)', 10],
  ];
  const a = run(cases.map(([e], i) => `v${i} = ${e}`).join('\n'));
  cases.forEach(([e, want], i) => assert.equal(value(a, `v${i}`), want, e));
});

test('`def` functions read top-level variables, and `--set` overrides change what they compute', () => {
  const src = 'alpha = 1.0\ndef ch(c) = make_divisible(c * alpha, 8)\ninput image: 3 x 32 x 32\nstem: conv ch(32) k=3 p=1';
  assert.deepEqual(layer(run(src), 'stem').outputShape, [32, 32, 32]);
  const half = run(src, { batch: 1, dtype: 'fp32', overrides: { alpha: 0.5 } });
  assert.deepEqual(layer(half, 'stem').outputShape, [16, 32, 32]);
  assert.deepEqual(half.variables.map((v) => [v.name, v.value, v.overridden]), [['alpha', 0.5, true]]);
});

test('`dim(NAME, axis)` reads a dim of a layer inside a block (negative axes count from the end)', () => {
  const a = run('input img: 12 x 8 x 6\nblock b:\n  conv dim(in, 0) * 2 k=1\n  conv dim(in, -1) k=1\nend\nb');
  assert.deepEqual(a.layers.map((l) => l.outputShape[0]), [24, 6]);
});

// ---- names, chains and references

test('unnamed layers are called op_ordinal per op; named layers count toward the ordinal', () => {
  const a = run('input img: 4 x 8 x 8\nx: conv 8 k=3 p=1\nconv 8\nrelu\nconv 8\nrelu\nout: add from x, conv_3');
  assert.deepEqual(names(a), ['x', 'conv_2', 'relu_1', 'conv_3', 'relu_2', 'out']);
  assert.deepEqual(layer(a, 'out').inputs, ['x', 'conv_3']);
});

test('a named chain names its last op and calls the others NAME.op; an unnamed chain uses default names', () => {
  const a = run('input image: 3 x 32 x 32\nstem: conv 16 k=3 s=2 p=1 | bn | relu\nconv 16 | bn | relu');
  assert.deepEqual(names(a), ['stem.conv', 'stem.bn', 'stem', 'conv_2', 'bn_2', 'relu_2']);
  assert.deepEqual(layer(a, 'stem.bn').inputs, ['stem.conv']);
  assert.deepEqual(layer(a, 'conv_2').inputs, ['stem']);
});

test('chain sub-names are usable in `from`', () => {
  const a = run('input image: 3 x 32 x 32\nstem: conv 16 k=3 p=1 | bn | relu\npre: relu from stem.conv');
  assert.deepEqual(layer(a, 'pre').inputs, ['stem.conv']);
});

test('a conv followed by `| bn` on its line defaults to bias=false; otherwise to bias=true', () => {
  const a = run('input img: 4 x 8 x 8\nc1: conv 8 k=1 | bn\nc2: conv 8 k=1 from img\nbn\nc3: conv 8 k=1 bias=true | bn from img\nc4: fc 10 | bn from img');
  assert.equal(layer(a, 'c1.conv').trainingParams, 4 * 8, 'no bias in the training graph');
  assert.equal(layer(a, 'c1.conv').biasFromBn, true);
  assert.equal(layer(a, 'c2').trainingParams, 4 * 8 + 8, 'bn on the next line: the conv keeps its bias');
  assert.equal(layer(a, 'c2').params, 4 * 8 + 8, 'and the folded BN adds none');
  assert.equal(layer(a, 'c2').biasFromBn, false);
  assert.equal(layer(a, 'bn_2').foldedInto, 'c2');
  assert.equal(layer(a, 'c3.conv').trainingParams, 4 * 8 + 8);
  assert.equal(layer(a, 'c4.linear').trainingParams, 4 * 8 * 8 * 10, 'linear | bn: no bias either');
});

test('`from` may follow the first op of a chain (`conv ... from in | bn`) or end the line, and options may follow it', () => {
  const a = run('input img: 4 x 8 x 8\nx: relu\ny: conv 8 from img | bn\nz: conv 8 | bn from img\ncat1: concat from y, z dim=0\ncat2: concat dim=0 from y, z');
  assert.deepEqual(layer(a, 'y.conv').inputs, ['img']);
  assert.deepEqual(layer(a, 'z.conv').inputs, ['img']);
  assert.deepEqual(layer(a, 'cat1').outputShape, [16, 8, 8]);
  assert.deepEqual(layer(a, 'cat2').outputShape, [16, 8, 8]);
});

test('an unnamed input is called `input` and can be read with `from input`', () => {
  const a = run('input: 4 x 8 x 8\nrelu\nc: conv 8 from input');
  assert.deepEqual(a.inputs.map((i) => i.name), ['input']);
  assert.deepEqual(layer(a, 'c').inputs, ['input']);
});

test('`split` parts are read as NAME[i]; the chain reads part 0', () => {
  const a = run('input img: 116 x 8 x 8\nparts: split 2\nleft: relu\nright: conv 58 k=1 from parts[1]\nsizes: split 16 100 from img\nbig: relu from sizes[1]');
  assert.deepEqual(layer(a, 'parts').outputs, [[58, 8, 8], [58, 8, 8]]);
  assert.deepEqual(layer(a, 'left').outputShape, [58, 8, 8]);
  assert.deepEqual(layer(a, 'right').inputs, ['parts']);
  assert.deepEqual(layer(a, 'big').outputShape, [100, 8, 8]);
});

// ---- shapes

test('`3x224x224` reads as three values, like `3 x 224 x 224`; `k=1x7` as two', () => {
  const a = run('L = 196\ninput image: 3x224x224\nc: conv 8 k=1x7 p=0x3\ninput tokens: (L + 1)x768\ninput v: 3 x L x L');
  assert.deepEqual(a.inputs.map((i) => i.shape), [[3, 224, 224], [197, 768], [3, 196, 196]]);
  assert.deepEqual(layer(a, 'c').outputShape, [8, 224, 224]);
  assert.deepEqual(lex('3x224x224').map((t) => [t.kind, t.text]), [['num', '3'], ['ident', 'x'], ['num', '224'], ['ident', 'x'], ['num', '224'], ['eof', '']]);
});

test('a name that starts with `x` and a digit (`x1`, `x2`) is a name, not a shape', () => {
  const a = run('input img: 4 x 8 x 8\nx1: conv 8\nx2: conv 8 from img\nadd from x1, x2');
  assert.deepEqual(layer(a, 'add_1').inputs, ['x1', 'x2']);
});

test('the MobileNet v1 excerpt at the top of docs/language.md analyses cleanly', () => {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'language.md'), 'utf8');
  const first = /```net\n([\s\S]*?)```/.exec(doc)![1];
  const a = run(first);
  assert.deepEqual(layer(a, 'stem').outputShape, [32, 112, 112]);
  assert.deepEqual(layer(a, 'softmax_1').outputShape, [1000]);
  assert.equal(a.groups.filter((g) => g.kind === 'dw_sep').length, 6);
});

// ---- every layer kind of the reference table

const INPUTS = 'input img: 8 x 16 x 16\ninput seq: 10 x 32\ninput vec: 64\ninput q: 2 x 5 x 32\ninput k: 2 x 32 x 5\ninput image: 3 x 32 x 32';

const OPS: [string, number[]][] = [
  ['conv 16 k=3 s=2 p=1 from img', [16, 8, 8]],
  ['conv 16 k=1x3 p=0x1 g=2 from img', [16, 16, 16]],
  ['conv 16 k=3 p=same from img', [16, 16, 16]],
  ['conv 16 k=3 s=2 p=same from img', [16, 8, 8]],
  ['conv 16 k=3 p=valid from img', [16, 14, 14]],
  ['conv 16 k=3 d=2 from img', [16, 12, 12]],
  ['dwconv p=1 from img', [8, 16, 16]],
  ['dwconv k=3 p=1 m=2 from img', [16, 16, 16]],
  ['depthwise s=2 from img', [8, 7, 7]],
  ['pwconv 24 from img', [24, 16, 16]],
  ['pointwise 24 g=4 from img', [24, 16, 16]],
  ['deconv 4 k=4 s=2 p=1 from img', [4, 32, 32]],
  ['convtranspose 4 k=3 s=2 p=1 op=1 from img', [4, 32, 32]],
  ['linear 10 from img', [10]],
  ['fc 16 from seq', [10, 16]],
  ['fc 5 from vec', [5]],
  ['matmul from seq, seq tb=true', [10, 10]],
  ['matmul from q, k', [2, 5, 5]],
  ['attention heads=4 from seq', [10, 32]],
  ['mha from seq', [10, 32]],
  ['maxpool k=2 from img', [8, 8, 8]],
  ['maxpool k=3 s=2 p=1 from img', [8, 8, 8]],
  ['maxpool k=3 s=2 ceil=true from img', [8, 8, 8]],
  ['avgpool k=2 s=2 from img', [8, 8, 8]],
  ['gap from img', [8, 1, 1]],
  ['globalavgpool from img', [8, 1, 1]],
  ['gmp from img', [8, 1, 1]],
  ['globalmaxpool from img', [8, 1, 1]],
  ['bn from img', [8, 16, 16]],
  ['batchnorm from img', [8, 16, 16]],
  ['ln from seq', [10, 32]],
  ['layernorm from seq', [10, 32]],
  ...['relu', 'relu6', 'sigmoid', 'hardsigmoid', 'hardswish', 'hswish', 'swish', 'silu', 'gelu', 'tanh', 'softmax', 'softmax dim=0', 'dropout', 'identity']
    .map((op): [string, number[]] => [`${op} from img`, [8, 16, 16]]),
  ['add from img, img', [8, 16, 16]],
  ['mul from img, pooled', [8, 16, 16]],
  ['add from pooled, img', [8, 16, 16]],
  ['concat from img, img', [16, 16, 16]],
  ['cat from seq, seq dim=1', [10, 64]],
  ['concat from seq, seq dim=-1', [10, 64]],
  ['split 2 from img', [4, 16, 16]],
  ['chunk 2 6 from img', [2, 16, 16]],
  ['split 4 dim=-1 from img', [8, 16, 4]],
  ['shuffle 4 from img', [8, 16, 16]],
  ['channel_shuffle 2 from img', [8, 16, 16]],
  ['flatten from img', [2048]],
  ['reshape 8 x -1 from img', [8, 256]],
  ['reshape 2 x 4 x 256 from img', [2, 4, 256]],
  ['transpose 1 0 from seq', [32, 10]],
  ['permute 0 2 1 from q', [2, 32, 5]],
  ['upsample from img', [8, 32, 32]],
  ['upsample s=3 mode=bilinear from img', [8, 48, 48]],
  ['upsample mode=nearest from img', [8, 32, 32]],
  ['patch_embed 8 96 from image', [16, 96]],
  ['cls_token from seq', [11, 32]],
  ['pos_embed from seq', [10, 32]],
  ['take 0 from seq', [32]],
  ['take 3 dim=1 from img', [8, 16]],
];

test('every layer kind and alias of docs/language.md produces its documented output shape', () => {
  const a = run(`${INPUTS}\npooled: gap from img\n${OPS.map(([line], i) => `t${i}: ${line}`).join('\n')}`);
  const got = shapes(a);
  for (const [i, [line, want]] of OPS.entries()) assert.deepEqual(got[`t${i}`], want, line);
});

test('a split reports every part; the others one output each', () => {
  const a = run(`${INPUTS}\ns: chunk 2 6 from img`);
  assert.deepEqual(layer(a, 's').outputs, [[2, 16, 16], [6, 16, 16]]);
});

test('a ViT front end: patch_embed, cls_token, pos_embed, attention, take 0', () => {
  const a = run('input image: 3 x 224 x 224\npe: patch_embed 16 768\ncls_token\npos: pos_embed\natt: attention heads=12\ntk: take 0\nhead: fc 1000');
  assert.deepEqual(layer(a, 'pe').outputShape, [196, 768]);
  assert.deepEqual(layer(a, 'cls_token_1').params, 768);
  assert.deepEqual(layer(a, 'pos').params, 197 * 768);
  assert.deepEqual(layer(a, 'att').outputShape, [197, 768]);
  assert.deepEqual(layer(a, 'head').outputShape, [1000]);
  assert.equal(layer(a, 'pe').params, 16 * 16 * 3 * 768 + 768);
});
