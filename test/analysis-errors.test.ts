// Semantic errors: a well-formed line that cannot be built (shapes that do not fit, unknown names,
// cycles, limits). Each has its exact code and range, and every later line that does not depend on the
// broken layer is still analysed. Fixtures mark the expected range with `«` and `»`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, LIMITS, type Analysis, type Settings } from '../server/src/analysis/analyze';
import type { Range } from '../server/src/syntax/lexer';
import { marked, span } from './fixtures';

const FP32: Settings = { batch: 1, dtype: 'fp32' };
const HEAD = 'input img: 8 x 16 x 16';
const AFTER = 'after: conv 4 k=1 from img';

interface Expected { code: string; range: Range; severity?: string }

/**
 * Analyses `HEAD / fixture / AFTER`; asserts that the diagnostics are exactly the marked one (plus
 * `extra`), and that the independent layer on the last line is analysed.
 */
function check(fixture: string, code: string, opts: { extra?: Expected[]; settings?: Settings; message?: RegExp } = {}): Analysis {
  const { text, ranges } = marked(`${HEAD}\n${fixture}\n${AFTER}\n`);
  assert.equal(ranges.length, 1, 'one marked range per fixture');
  const a = analyze(text, opts.settings ?? FP32);
  const key = (d: Expected) => `${d.range.start.line}:${d.range.start.character}:${d.code}`;
  const got = a.diagnostics.map((d) => ({ code: d.code, range: d.range, severity: d.severity }));
  const want = [{ code, range: ranges[0], severity: 'error' }, ...(opts.extra ?? []).map((e) => ({ severity: 'error', ...e }))];
  assert.deepEqual(got.sort((x, y) => key(x).localeCompare(key(y))), want.sort((x, y) => key(x).localeCompare(key(y))));
  if (opts.message) assert.match(a.diagnostics.find((d) => d.code === code)!.message, opts.message);
  const after = a.layers.find((l) => l.name === 'after');
  assert.ok(after, 'the independent layer on the last line is analysed');
  assert.deepEqual(after.outputShape, [4, 16, 16]);
  assert.equal(after.macs, (opts.settings?.batch ?? 1) * 8 * 4 * 16 * 16);
  return a;
}

const names = (a: Analysis) => a.layers.map((l) => l.name);

// ---- shapes

test('an add of 16 and 32 channels is a shape-mismatch on the add; the layer reading it is skipped with a note', () => {
  const a = check('a: conv 16\nb: conv 32 from img\n«add» from a, b\nrelu', 'shape-mismatch', {
    extra: [{ code: 'skipped', range: span(4, 0, 4), severity: 'info' }],
    message: /16 x 16 x 16 and 32 x 16 x 16/,
  });
  assert.deepEqual(names(a), ['a', 'b', 'after']);
  assert.match(a.diagnostics.find((d) => d.code === 'skipped')!.message, /line 4/);
});

test('a concat of 8x8 and 16x16 maps is a shape-mismatch', () => {
  check('a: conv 16 k=3 s=2 p=1\nb: conv 16 from img\n«concat» from a, b', 'shape-mismatch', { message: /16 x 8 x 8, 16 x 16 x 16/ });
});

test('a concat along a dim the shapes do not have is a bad-value', () => {
  check('«concat» from img, img dim=3', 'bad-value');
});

test('groups that do not divide C_out, or C_in, are bad-groups over the whole call', () => {
  check('«conv 12 g=5»', 'bad-groups', { message: /groups = 5 must divide both C_in = 8 and C_out = 12/ });
  check('«conv 12 g=3»', 'bad-groups');
  check('«shuffle 3»', 'bad-groups');
});

test('a window larger than the padded input is empty-output', () => {
  check('«conv 8 k=17»', 'empty-output', { message: /output size 0/ });
  check('«maxpool k=17 s=1»', 'empty-output');
  check('«deconv 4 k=1 p=9»', 'empty-output');
});

test('a shape assertion that differs names both shapes; the layer keeps the shape it really has', () => {
  const a = check('c: conv 64 -> «64 x 56 x 56»', 'shape-assertion', { message: /expected 64 x 56 x 56, but the output is 64 x 16 x 16/ });
  assert.deepEqual(a.layers.find((l) => l.name === 'c')!.outputShape, [64, 16, 16]);
});

test('an op that needs another rank is bad-rank', () => {
  check('«attention heads=2»', 'bad-rank');
  check('f: flatten\n«conv 8»', 'bad-rank');
});

test('a reshape to a different number of elements is a shape-mismatch that shows the requested shape', () => {
  check('«reshape 3 x -1»', 'shape-mismatch', { message: /3 x -1 has no whole -1/ });
  check('«reshape 3 x 5»', 'shape-mismatch', { message: /2,048 elements, 3 x 5 has 15/ });
});

// ---- names

test('a `from` of an undefined layer is unknown-name with a did-you-mean suggestion', () => {
  check('conv 8 from «imgg»', 'unknown-name', { message: /unknown layer `imgg` \(did you mean `img`\?\)/ });
});

test('an unknown name far from every name has no suggestion', () => {
  const a = check('conv 8 from «zzzzzz»', 'unknown-name');
  assert.doesNotMatch(a.diagnostics[0].message, /did you mean/);
});

test('a name defined twice in one scope is duplicate-name on the second', () => {
  check('a: conv 8\n«a»: conv 8', 'duplicate-name');
});

test('two layers that read each other are a cycle', () => {
  const a = check('a: conv 8 from «b»\nb: conv 8 from a', 'cycle', {
    extra: [{ code: 'skipped', range: span(2, 0, 16), severity: 'info' }],
    message: /`b` is defined below and depends on this layer/,
  });
  assert.deepEqual(names(a), ['after']);
});

test('reading a layer defined further down is a forward-reference; that layer itself is analysed', () => {
  const a = check('a: conv 8 from «b»\nb: conv 8 from img', 'forward-reference', { message: /defined further down \(line 3\)/ });
  assert.deepEqual(names(a), ['b', 'after']);
});

test('an unknown layer kind is unknown-op with a suggestion', () => {
  check('«convv» 8', 'unknown-op', { message: /did you mean `conv`/ });
  check('«reluu»', 'unknown-op', { message: /did you mean `relu`/ });
});

test('an option an op does not have is unknown-option, listing its options', () => {
  check('conv 8 «kk»=3', 'unknown-option', { message: /its options: k, s, p, d, g, bias/ });
});

test('an option given twice is duplicate-option', () => {
  check('conv 8 k=3 «k»=3', 'duplicate-option');
});

test('one positional argument too many is too-many-args on that argument', () => {
  check('conv 8 «9»', 'too-many-args');
});

test('a conv without C_out is missing-arg over the call', () => {
  check('«conv»', 'missing-arg', { message: /C_out/ });
  check('«conv k=3»', 'missing-arg');
});

test('a name in an expression that is not a variable is unknown-name', () => {
  check('x = 3\nconv x * «y»', 'unknown-name');
});

test('a word an option does not take is unknown-name, listing the words it takes', () => {
  check('conv 8 k=3 p=«zz»', 'unknown-name', { message: /same, valid/ });
  check('upsample mode=«cubic»', 'unknown-name', { message: /nearest, bilinear/ });
});

test('an unknown function is unknown-name on its name', () => {
  check('conv «foo»(3)', 'unknown-name');
});

test('an output index past the last part of a split is a bad-value', () => {
  check('sp: split 2\nrelu from «sp[2]»', 'bad-value', { message: /2 output\(s\)/ });
});

test('an add with one input and a conv with two are bad-inputs', () => {
  check('«add» from img', 'bad-inputs');
  check('«conv 8» from img, img', 'bad-inputs');
});

test('a layer before any input is no-input', () => {
  const { text, ranges } = marked(`«conv» 8\n${HEAD}\n${AFTER}`);
  const a = analyze(text, FP32);
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.range]), [['no-input', ranges[0]]]);
  assert.deepEqual(names(a), ['after']);
});

// ---- blocks

test('a block that uses itself is recursive-block at the inner use, and the outer use reports it', () => {
  check('block r(c):\n  «r»(c)\nend\nr(4)', 'recursive-block', {
    extra: [{ code: 'block-error', range: span(4, 0, 4) }],
    message: /block `r` uses itself \(r -> r\)/,
  });
});

test('mutual recursion through two blocks is recursive-block', () => {
  check('block a1(c):\n  b1(c)\nend\nblock b1(c):\n  «a1»(c)\nend\nx: a1(4)', 'recursive-block', {
    extra: [{ code: 'block-error', range: span(2, 2, 7) }, { code: 'block-error', range: span(7, 3, 8) }],
    message: /a1 -> b1 -> a1/,
  });
});

test('an input inside a block or repeat body is nested-input', () => {
  check('block p:\n  «input z: 8 x 8 x 8»\n  relu\nend\ninput x: 8 x 8 x 8\np()', 'nested-input');
  check('input x: 8 x 8 x 8\nrepeat 2:\n  «input z: 8 x 8 x 8»\nend', 'nested-input');
});

test('a block defined inside a block is nested-block', () => {
  check('block p(c):\n  block «q»:\n    relu\n  end\n  relu\nend\np(3)', 'nested-block');
});

test('block arguments: too many, missing, unknown keyword, given twice', () => {
  const def = 'block b(c):\n  conv c\nend\n';
  check(`${def}b(1, «2»)`, 'too-many-args');
  check(`${def}«b()»`, 'missing-arg', { message: /needs `c`/ });
  check(`${def}b(«d»=3)`, 'unknown-option', { message: /its parameters: c/ });
  check(`${def}b(3, «c=4»)`, 'duplicate-option');
});

// ---- values

test('a non-integer channel count (32*0.3 = 9.6) is a bad-value that suggests make_divisible or int', () => {
  check('conv «32*0.3»', 'bad-value', { message: /9\.6 is not a whole number: use int\(\), round\(\) or make_divisible\(\)/ });
});

test('zero channels, kernel or stride are bad-values', () => {
  check('conv «0»', 'bad-value');
  check('conv 8 k=«0»', 'bad-value');
  check('conv 8 s=«0»', 'bad-value');
  check('conv 8 k=«3x3x3»', 'bad-value');
  check('dwconv k=3 m=«0»', 'bad-value');
});

test('a repeat count that is not a non-negative whole number is a bad-value', () => {
  check('repeat «2.5»: relu', 'bad-value');
  check('repeat «-1»: relu', 'bad-value');
});

test('a recursive function hits the call-depth limit at its recursive call', () => {
  check('def f(x) = «f(x)»\nconv f(2)', 'limit', { message: /is `f` recursive\?/ });
});

test('division by zero in an expression is a bad-value', () => {
  check('conv «8 / 0»', 'bad-value');
});

// ---- limits and exact integers

test(`a repeat over ${LIMITS.repeat.toLocaleString('en-US')} is a limit on its count`, () => {
  check(`repeat «${LIMITS.repeat + 1}»: relu`, 'limit');
});

test('nested repeats that build nothing stop at the iteration limit instead of running 2^40 times', () => {
  let src = '';
  for (let i = 0; i < 40; i++) src += `${' '.repeat(i)}repeat 2:\n`;
  for (let i = 39; i >= 0; i--) src += `${' '.repeat(i)}end\n`;
  const started = Date.now();
  const a = analyze(`${HEAD}\n${src}`, FP32);
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['limit']);
  assert.match(a.diagnostics[0].message, /repeat iterations/);
  assert.ok(Date.now() - started < 10_000);
});

test('a huge batch makes a layer exceed 2^53: too-large on that layer, which counts zero; smaller layers stay exact', () => {
  const batch = 2 ** 30;
  const a = check('big: «fc 100000» from img', 'too-large', { settings: { batch, dtype: 'fp32' }, message: /exceeds 2\^53/ });
  const big = a.layers.find((l) => l.name === 'big')!;
  assert.equal(big.macs, 0);
  assert.equal(a.totals.macs, batch * 8 * 4 * 16 * 16, 'the totals hold only exact figures');
});

test('a layer whose params exceed 2^53 is too-large', () => {
  check('fc 100000000 from img\n«fc 100000000»', 'too-large');
});

test('--set of a variable the file does not have is unknown-variable (at the start of the file)', () => {
  const a = analyze(`alpha = 1.0\n${HEAD}\nconv 8\n`, { batch: 1, dtype: 'fp32', overrides: { alpha: 0.5, beta: 2 } });
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.range, d.severity]), [['unknown-variable', span(0, 0, 0), 'error']]);
  assert.match(a.diagnostics[0].message, /`beta`/);
  assert.deepEqual(a.variables.map((v) => [v.name, v.value, v.overridden]), [['alpha', 0.5, true]]);
  assert.deepEqual(names(a), ['conv_1']);
});

// ---- propagation

test('a semantic error skips the layers that read it, with one note, and keeps the others', () => {
  const a = analyze(`${HEAD}\nbad: conv 12 g=5\nrelu\nconv 8\nok: conv 8 from img\nrelu\n`, FP32);
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.severity, d.range.start.line]), [['bad-groups', 'error', 1], ['skipped', 'info', 2]]);
  assert.deepEqual(names(a), ['ok', 'relu_1']);
  assert.deepEqual(a.layers[1].inputs, ['ok']);
});

test('an error inside a block is reported once in the body, and each use of the block points to it', () => {
  const a = analyze(`${HEAD}\nblock b(c):\n  conv c g=3\nend\nb(8)\nb(8) from img\nok: conv 8 from img\n`, FP32);
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.range]), [['bad-groups', span(2, 2, 12)], ['block-error', span(4, 0, 4)], ['block-error', span(5, 0, 4)]]);
  assert.match(a.diagnostics[1].message, /line 3/);
  assert.deepEqual(names(a), ['ok']);
});

test('reading an op inside a one-line chain warns that the line output is another layer', () => {
  const a = analyze('input img: 8 x 16 x 16\nx: conv 8 k=3 p=1 | bn | relu\nconv 8 k=3 p=1 | bn\nadd from x, conv_2\n', { batch: 1, dtype: 'fp32' });
  assert.deepEqual(a.diagnostics.map((d) => [d.severity, d.code, d.range.start.line, d.range.start.character, d.range.end.character]), [['warning', 'chain-interior', 3, 12, 18]]);
  assert.match(a.diagnostics[0].message, /not the line's output `bn_2`/);
  // the conv now has two readers, so its batch norm cannot fold: the warning explains a real cost
  assert.equal(a.layers.find((l) => l.name === 'bn_2')?.foldedInto, null);
});

test('a line with trailing garbage is left out whole, not built in part', () => {
  const a = analyze('input img: 8 x 16 x 16\nc1: conv 16 k=3 p=1\nc2: conv 64 k=3 p=1 | bn )\nnext: conv 32 k=1\n', { batch: 1, dtype: 'fp32' });
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]), [['syntax-error', 2, 25]]);
  assert.deepEqual(a.layers.map((l) => l.name), ['c1', 'next']);
  assert.deepEqual(a.layers[1].inputs, ['c1']);
});

test('the ops of a named chain are named by their canonical kind, whatever alias was written', () => {
  const a = analyze('input v: 64\nhead: fc 10 | batchnorm | relu\n', { batch: 1, dtype: 'fp32' });
  assert.deepEqual(a.layers.map((l) => l.name), ['head.linear', 'head.bn', 'head']);
});
