// The generic layer form `op "OpType"(refs) -> shape`: strings in the lexer, its parse and its errors,
// zero cost with declared or inherited shapes, one `generic-op` note per op type, and the editor
// features (incremental analysis, navigation, hover, outline, semantic tokens, completion) on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../server/src/analysis/analyze';
import { IncrementalAnalyzer } from '../server/src/analysis/incremental';
import { lex, stringValue } from '../server/src/syntax/lexer';
import { parse } from '../server/src/syntax/parser';
import { reparse } from '../server/src/syntax/incremental';
import { definition, references, rename } from '../server/src/ide/navigate';
import { documentSymbols } from '../server/src/ide/outline';
import { semanticTokens, TOKEN_TYPES } from '../server/src/ide/semantic';
import { hover } from '../server/src/ide/hover';
import { complete } from '../server/src/ide/complete';

const r = (line: number, start: number, end: number) => ({ start: { line, character: start }, end: { line, character: end } });
const errors = (text: string) => analyze(text).diagnostics.filter((d) => d.severity !== 'info');
const BASE = 'input x: 8 x 4 x 4\nmul_3: conv 8 k=1\n';

// ---- strings

test('the lexer reads strings with `\\"` and `\\\\` escapes; `#` inside a string is no comment', () => {
  const ts = lex('op "Erf"(a) "a\\"b" "c#d" "e\\\\"');
  assert.deepEqual(ts.map((t) => [t.kind, t.text]), [
    ['ident', 'op'], ['string', '"Erf"'], ['(', '('], ['ident', 'a'], [')', ')'], ['string', '"a\\"b"'], ['string', '"c#d"'], ['string', '"e\\\\"'], ['eof', ''],
  ]);
  assert.deepEqual([ts[1], ts[5], ts[6], ts[7]].map(stringValue), ['Erf', 'a"b', 'c#d', 'e\\']);
  assert.deepEqual(ts[1].range, r(0, 3, 8));
});

test('an unterminated string is an error from its quote to the end of its line; the next lines still parse', () => {
  for (const [line, range] of [['op "Erf(mul_3)', r(2, 3, 14)], ['e: op "Erf\\"(mul_3)', r(2, 6, 19)], ['conv 8 "abc', r(2, 7, 11)], ['"abc', r(2, 0, 4)]] as const) {
    const a = analyze(`${BASE}${line}\nrelu\n`);
    assert.deepEqual(a.syntax.diagnostics, [{ range, code: 'unterminated-string', message: 'unterminated string: close it with `"` on the same line' }], line);
    assert.deepEqual(a.layers.map((l) => l.name), ['mul_3', 'relu_1'], line);
  }
});

// ---- parse

test('the generic form parses as a layer: the `op` call, the refs in the parentheses as `from`, the shapes', () => {
  const { statements: [s], diagnostics } = parse('attn_scores: op "Erf"(mul_3, parts[1], stem.conv) -> 128 x 3072, 4');
  assert.deepEqual(diagnostics, []);
  assert.equal(s.kind, 'layer');
  if (s.kind !== 'layer') return;
  assert.equal(s.name?.text, 'attn_scores');
  assert.deepEqual(s.ops.map((o) => [o.op.text, o.op.range, o.args, o.range]), [['op', r(0, 13, 15), [], r(0, 13, 49)]]);
  assert.deepEqual(s.from?.map((f) => [f.name, f.index, f.range]), [['mul_3', null, r(0, 22, 27)], ['parts', 1, r(0, 29, 37)], ['stem.conv', null, r(0, 39, 48)]]);
  assert.equal(s.generic?.type, 'Erf');
  assert.deepEqual(s.generic?.typeRange, r(0, 16, 21));
  assert.equal(s.generic?.shapes.length, 2);
  assert.equal(s.expect, s.generic?.shapes[0]);
  assert.deepEqual(s.range, r(0, 0, 66));
});

test('syntax errors of the generic form name the problem at its exact range', () => {
  const cases: [string, string, ReturnType<typeof r>][] = [
    ['op "Erf"(mul_3) | relu', '`op "..."(...)` is a line on its own: it cannot be chained with `|`; write the next op on its own line (it reads this one)', r(2, 16, 17)],
    ['conv 8 | op "Erf"(mul_3)', '`op "..."(...)` is a line on its own: it cannot be chained with `|`; write it on the next line with its inputs in the parentheses', r(2, 9, 11)],
    ['op "Erf"(mul_3) from x', 'the inputs of `op "Erf"` go in its parentheses: `op "Erf"(x, y)`, not `from`', r(2, 16, 20)],
    ['op Erf(mul_3)', 'expected the operator type in quotes after `op` (`op "Erf"(x)`), found `Erf`', r(2, 3, 6)],
    ['op', 'expected the operator type in quotes after `op` (`op "Erf"(x)`), found the end of the line', r(2, 2, 2)],
    ['op "Erf" mul_3', 'expected `(` and the inputs of `Erf` (`op "Erf"(x, y)`, `()` for none), found `mul_3`', r(2, 9, 14)],
    ['op "Erf"(mul_3', 'expected `,` or `)` to close the inputs, found the end of the line', r(2, 14, 14)],
    ['op ""(mul_3)', 'expected an operator type between the quotes (`op "Erf"(x)`)', r(2, 3, 5)],
    ['op "Erf"(mul_3) -> 8 x', 'expected a value, found the end of the line', r(2, 22, 22)],
  ];
  for (const [line, message, range] of cases) {
    const a = analyze(`${BASE}${line}\nrelu\n`);
    assert.deepEqual(a.syntax.diagnostics.map((d) => [d.message, d.range]), [[message, range]], line);
    assert.deepEqual(a.layers.map((l) => l.name), ['mul_3', 'relu_1'], line);
  }
});

test('`op` stays a name where no layer kind stands: a variable, a layer name, the `op=` of deconv', () => {
  const a = analyze('op = 2\ninput x: 8 x 4 x 4\nop: conv 8 k=1\ndeconv 8 k=3 s=2 op=op from op\n');
  assert.deepEqual(a.diagnostics, []);
  assert.deepEqual(a.layers.map((l) => [l.name, l.outputShape]), [['op', [8, 4, 4]], ['deconv_1', [8, 11, 11]]]);
});

// ---- analysis

test('outputs: the declared shapes, else the first input\'s shape, a scalar without inputs; read as NAME[i]', () => {
  const a = analyze(`${BASE}attn_scores: op "Erf"(mul_3) -> 128 x 3072
op "NonMaxSuppression"(mul_3, x)
k: op "Constant"()
top: op "TopK"(mul_3) -> 8 x 4 x 2, 8 x 4 x 2
relu from top[1]
w: op "Where"(top[1], x) -> 2 x 3
`);
  assert.deepEqual(errors(`${BASE}`), []);
  const got = a.layers.map((l) => [l.name, l.op, l.attrs, l.inputs, l.inputShapes, l.outputs]);
  assert.deepEqual(got, [
    ['mul_3', 'conv', { C_out: 8, k: 1 }, ['x'], [[8, 4, 4]], [[8, 4, 4]]],
    ['attn_scores', 'op', { type: 'Erf' }, ['mul_3'], [[8, 4, 4]], [[128, 3072]]],
    ['op_2', 'op', { type: 'NonMaxSuppression' }, ['mul_3', 'x'], [[8, 4, 4], [8, 4, 4]], [[8, 4, 4]]],
    ['k', 'op', { type: 'Constant' }, [], [], [[]]],
    ['top', 'op', { type: 'TopK' }, ['mul_3'], [[8, 4, 4]], [[8, 4, 2], [8, 4, 2]]],
    ['relu_1', 'relu', {}, ['top'], [[8, 4, 2]], [[8, 4, 2]]],
    ['w', 'op', { type: 'Where' }, ['top', 'x'], [[8, 4, 2], [8, 4, 4]], [[2, 3]]],
  ]);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'info'), []);
});

test('a generic op costs zero everywhere and adds nothing to the totals', () => {
  const a = analyze(`${BASE}e: op "Erf"(mul_3) -> 8 x 4 x 4\n`, { batch: 4, dtype: 'fp16' });
  const e = a.layers[1];
  assert.deepEqual([e.params, e.trainingParams, e.macs, e.flops, e.memoryBytes, e.weightBytes, e.biasParams, e.foldedInto], [0, 0, 0, { '2macs': 0, exact: 0, macs: 0 }, 0, 0, 0, null]);
  assert.equal(e.activations, 4 * 128);
  assert.equal(e.cost.formula(), '`Erf` has no kind in the .net language: its cost is counted as zero');
  const plain = analyze(BASE, { batch: 4, dtype: 'fp16' });
  assert.deepEqual({ ...a.totals, activations: 0 }, { ...plain.totals, activations: 0 });
});

test('one `generic-op` note per op type and file, on the first line analysed (a block body is analysed where it is used)', () => {
  const a = analyze(`block b(c):
  op "Erf"(in)
end
${BASE}op "Gelu2"(mul_3)
op "Erf"(mul_3)
repeat 3: op "Gelu2"(mul_3)
b(1)
b(2)
`);
  assert.deepEqual(a.diagnostics, [
    { range: r(5, 3, 10), severity: 'info', code: 'generic-op', message: '`Gelu2` has no kind in the .net language: its cost is counted as zero' },
    { range: r(6, 3, 8), severity: 'info', code: 'generic-op', message: '`Erf` has no kind in the .net language: its cost is counted as zero' },
  ]);
  assert.deepEqual(a.layers.map((l) => l.name), ['mul_3', 'op_1', 'op_2', 'repeat_1.0.op_1', 'repeat_1.1.op_1', 'repeat_1.2.op_1', 'b_1.op_1', 'b_2.op_1']);
});

test('semantic errors on a generic line: unknown and forward references, a bad declared shape, a broken input', () => {
  const d = (text: string) => analyze(`${BASE}${text}`).diagnostics.filter((x) => x.code !== 'generic-op').map((x) => [x.code, x.message, x.range]);
  assert.deepEqual(d('op "Erf"(mul3)\n'), [['unknown-name', 'unknown layer `mul3` (did you mean `mul_3`?)', r(2, 9, 13)]]);
  assert.deepEqual(d('a: op "Erf"(b)\nb: relu from mul_3\n'), [['forward-reference', '`b` is defined further down (line 4); a layer reads only layers above it', r(2, 12, 13)]]);
  assert.deepEqual(d('a: op "Erf"(b)\nb: relu from a\n'), [
    ['cycle', '`b` is defined below and depends on this layer: a cycle (a -> b -> a reads ...)', r(2, 12, 13)],
    ['skipped', 'not analysed: its input has an error on line 3', r(3, 0, 14)],
  ]);
  assert.deepEqual(d('op "Erf"(mul_3) -> 8 x 0\n'), [['bad-shape', 'an output shape is made of positive whole numbers, got 8 x 0', r(2, 19, 24)]]);
  assert.deepEqual(d('op "Erf"(mul_3) -> 8 x q\n'), [['unknown-name', 'unknown name `q`', r(2, 23, 24)]]);
  assert.deepEqual(d('op "Erf"(mul_3[1])\n'), [['bad-value', '`mul_3` has 1 output(s); [1] is out of range', r(2, 9, 17)]]);
  assert.deepEqual(d('a: conv 3 g=2\nop "Erf"(a)\n'), [
    ['bad-groups', 'conv: groups = 2 must divide both C_in = 8 and C_out = 3', r(2, 3, 13)],
    ['skipped', 'not analysed: its input has an error on line 3', r(3, 0, 11)],
  ]);
});

// ---- editor features

test('incremental analysis: editing a generic line reparses only it and equals a fresh analysis', () => {
  const inc = new IncrementalAnalyzer();
  const settings = { batch: 1, dtype: 'fp32' as const };
  const texts = [
    `${BASE}e: op "Erf"(mul_3) -> 8 x 4 x 4\nrelu\n`,
    `${BASE}e: op "Erf"(mul_3) -> 8 x 4 x 5\nrelu\n`,
    `${BASE}e: op "Er"(mul_3) -> 8 x 4 x 5\nrelu\n`,
    `${BASE}e: op "Er(mul_3) -> 8 x 4 x 5\nrelu\n`,
    `${BASE}e: op "Er#"(mul_3) -> 8 x 4 x 5\nrelu\n`,
  ];
  for (const text of texts) {
    const got = inc.analyze(text, settings);
    const fresh = analyze(text, settings);
    assert.deepEqual(got.diagnostics, fresh.diagnostics, text);
    assert.deepEqual(got.layers.map((l) => [l.name, l.outputs, l.macs]), fresh.layers.map((l) => [l.name, l.outputs, l.macs]), text);
  }
  const first = parse(texts[0]);
  assert.deepEqual(reparse(texts[0], first, texts[1]).region, [2, 2]);
  assert.equal(inc.stats.reparsedLine, 2);
});

test('navigation: the refs in the parentheses go to their definitions and are renamed with them', () => {
  const text = `${BASE}e: op "Erf"(mul_3, x) -> 8 x 4 x 4\nrelu from e\n`;
  const a = analyze(text);
  assert.deepEqual(definition(a, { line: 2, character: 14 }), [r(1, 0, 5)]);
  assert.deepEqual(definition(a, { line: 2, character: 19 }), [r(0, 6, 7)]);
  assert.deepEqual(references(a, { line: 1, character: 2 }, true), [r(1, 0, 5), r(2, 12, 17)]);
  assert.deepEqual(rename(a, { line: 2, character: 13 }, 'scores'), [{ range: r(1, 0, 5), newText: 'scores' }, { range: r(2, 12, 17), newText: 'scores' }]);
  assert.deepEqual(rename(a, { line: 2, character: 0 }, 'op'), { error: 'cannot rename `e` to `op`: `op` is a layer kind' });
  // an unnamed generic op is `op_1`, a default name
  const b = analyze(`${BASE}op "Erf"(mul_3)\nrelu from op_1\n`);
  assert.deepEqual(definition(b, { line: 3, character: 12 }), [r(2, 0, 2)]);
});

test('semantic tokens: `op` as a layer kind, the op type as a string, the refs as layer names', () => {
  const text = `${BASE}e: op "Erf"(mul_3) -> 8 x 4 x 4\n`;
  const data = semanticTokens(parse(text));
  const tokens: [number, number, number, string][] = [];
  let line = 0;
  let char = 0;
  for (let i = 0; i < data.length; i += 5) {
    line += data[i];
    char = data[i] === 0 ? char + data[i + 1] : data[i + 1];
    tokens.push([line, char, data[i + 2], TOKEN_TYPES[data[i + 3]]]);
  }
  assert.deepEqual(tokens.filter(([l]) => l === 2), [[2, 0, 1, 'variable'], [2, 3, 2, 'function'], [2, 6, 5, 'string'], [2, 12, 5, 'variable']]);
});

test('hover, outline and completion work on a generic line', () => {
  const text = `${BASE}e: op "Erf"(mul_3) -> 8 x 4 x 4\nop "Foo"(e)\n`;
  const a = analyze(text);
  const h = hover(a, { line: 2, character: 8 });
  assert.match(h!.markdown, /^\*\*e\*\* · `op`\n\noutput 1 x 8 x 4 x 4 from `mul_3` 1 x 8 x 4 x 4\n\n```\n`Erf` has no kind in the \.net language: its cost is counted as zero\n```/);
  assert.deepEqual(h!.range, r(2, 3, 18));
  assert.match(hover(a, { line: 2, character: 14 })!.markdown, /^\*\*mul_3\*\* · `conv`, defined on line 2/);
  assert.deepEqual(documentSymbols(a).slice(2).map((s) => [s.name, s.detail]), [['e', 'op · 8x4x4'], ['op_2', 'op · 8x4x4']]);
  for (const line of ['e: op "Erf"(', 'e: op "Erf"(mul_3, ', 'op "E', 'op "Erf"(mul_3) -> ']) {
    assert.doesNotThrow(() => complete(a, line, { line: 2, character: line.length }), line);
  }
});
