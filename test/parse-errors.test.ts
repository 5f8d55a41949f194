// Broken and half-typed lines: each gets one diagnostic with its exact code and range, and the layers on
// the lines after it are still analysed. Fixtures mark the expected range with `«` and `»` (removed
// before parsing; `«»` is an empty range, as at the end of a line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, type Analysis } from '../server/src/analysis/analyze';
import type { Range } from '../server/src/syntax/lexer';
import { marked, span } from './fixtures';

const HEAD = 'input img: 8 x 16 x 16';
const AFTER = 'after: conv 4 k=1 from img';

interface Case { what: string; src: string; code: string }

/** Each `src` sits between a valid input line (line 0) and a valid layer (the last line). */
const CASES: Case[] = [
  // half-typed options and values
  { what: 'an option without its value', src: 'conv 64 k=«»', code: 'missing-value' },
  { what: 'a second option without its value', src: 'conv 64 k=3 s=«»', code: 'missing-value' },
  { what: 'a word option without its value', src: 'conv 8 bias=«»', code: 'missing-value' },
  { what: 'a per-axis value cut after the `x`', src: 'conv 8 k=1x«»', code: 'missing-value' },
  { what: 'a negative sign without its number', src: 'conv 8 k=-«»', code: 'missing-value' },
  { what: 'a shape assertion without a shape', src: 'conv 8 ->«»', code: 'missing-value' },
  { what: 'a shape assertion cut after an `x`', src: 'conv 8 k=3 p=1 -> 64 x«»', code: 'missing-value' },
  { what: 'a chain with an assertion arrow and nothing after it', src: 'c: conv 8 k=3 p=1 | bn | relu -> «»', code: 'missing-value' },
  { what: 'a variable without a value', src: 'x = «»', code: 'missing-value' },
  { what: 'an expression cut after an operator', src: 'x = 3 +«»', code: 'missing-value' },
  { what: 'a function without a body', src: 'def f(a) = «»', code: 'missing-value' },
  { what: 'an input without its shape', src: 'input:«»', code: 'missing-value' },
  { what: 'an input shape cut after an `x`', src: 'input other: 3 x«»', code: 'missing-value' },
  // bad characters (columns in UTF-16 units, tabs count one)
  { what: 'a stray `@` in the middle of a line', src: 'conv 64 k=3 «@» p=1', code: 'bad-character' },
  { what: 'a `$` at the end of a line', src: 'conv 64 k=3 «$»', code: 'bad-character' },
  { what: 'a euro sign', src: 'relu «€»', code: 'bad-character' },
  { what: 'an emoji (a surrogate pair: two UTF-16 units)', src: 'conv 8 «🙂»', code: 'bad-character' },
  { what: 'a lone `!`', src: 'conv 8 «!» 3', code: 'bad-character' },
  { what: 'a bad character after a tab indent', src: '\tconv 8 «$»', code: 'bad-character' },
  // unclosed and stray brackets
  { what: 'an unclosed parenthesis in an argument', src: 'conv (64«»', code: 'syntax-error' },
  { what: 'an unclosed parenthesis in an option', src: 'conv 64 k=(3«»', code: 'syntax-error' },
  { what: 'an unclosed call', src: 'conv make_divisible(32«»', code: 'syntax-error' },
  { what: 'an unclosed parenthesis in a variable', src: 'a = (1 + 2«»', code: 'syntax-error' },
  { what: 'a stray `)`', src: 'conv 8 k=3 «)»', code: 'syntax-error' },
  { what: 'a stray `]`', src: 'conv 8 k=3 «]»', code: 'syntax-error' },
  { what: 'an unclosed output index', src: 'conv 8 from img[1«»', code: 'syntax-error' },
  { what: 'an output index that is a name', src: 'conv 8 from img[«x»]', code: 'syntax-error' },
  { what: 'an output index that is not whole', src: 'conv 8 from img[«1.5»]', code: 'syntax-error' },
  // chains and `from`
  { what: 'a chain ending in `|`', src: 'stem: conv 32 k=3 s=2 p=1 | bn |«»', code: 'syntax-error' },
  { what: 'a chain with an empty link', src: 'conv 8 k=3 p=1 | «|» relu', code: 'syntax-error' },
  { what: 'a line starting with `|`', src: '«|» relu', code: 'syntax-error' },
  { what: 'a `from` without a name', src: 'conv 8 from«»', code: 'syntax-error' },
  { what: 'a `from` list ending in a comma', src: 'conv 8 from img,«»', code: 'syntax-error' },
  { what: 'a dotted reference cut after the dot', src: 'conv 8 from img.«»', code: 'syntax-error' },
  { what: 'a second `from` on one line', src: 'conv 8 from img | bn «from» img', code: 'syntax-error' },
  { what: 'a `from` in the middle of a chain', src: 'conv 8 | bn from img «|» relu', code: 'syntax-error' },
  { what: 'a name with a colon and nothing after it', src: 'a:«»', code: 'missing-op' },
  { what: 'two names before a layer', src: 'a: b«:» conv 8', code: 'syntax-error' },
  { what: 'a line that starts with a number', src: '«3» x 8', code: 'syntax-error' },
  // statements missing their punctuation
  { what: '`repeat` without a count', src: 'repeat«:» conv 8', code: 'syntax-error' },
  { what: '`repeat` without its `:`', src: 'repeat 2 «conv» 8', code: 'syntax-error' },
  { what: '`repeat ... as` without an index name', src: 'repeat 2 as«:» conv 8', code: 'syntax-error' },
  { what: '`when` without its `:`', src: 'when 1 «conv» 8', code: 'syntax-error' },
  { what: '`input` without a `:`', src: 'input «3» x 8 x 8', code: 'syntax-error' },
  { what: 'a named `input` without a `:`', src: 'input other «3» x 16 x 16', code: 'syntax-error' },
  { what: '`def` without a name', src: 'def «(»a) = a', code: 'syntax-error' },
  { what: '`def` with a default value', src: 'def f(a «=» a', code: 'syntax-error' },
  { what: '`def` without `=`', src: 'def f(a) «a»', code: 'syntax-error' },
  { what: 'a block header without `:`', src: 'block b(c)«»\n  relu\nend', code: 'syntax-error' },
  { what: 'a block body on the header line', src: 'block b(c): «relu»\nend', code: 'syntax-error' },
  { what: 'a block parameter with `=` and no default', src: 'block b(c=«)»:\n  relu\nend', code: 'syntax-error' },
  // keywords as names
  { what: '`from` as a layer name', src: '«from»: conv 8', code: 'reserved-word' },
  { what: '`as` as a variable name', src: '«as» = 3', code: 'reserved-word' },
  { what: '`input` as a function name', src: 'def «input»(a) = a', code: 'reserved-word' },
  { what: '`end` as an input name', src: 'input «end»: 3 x 8 x 8', code: 'reserved-word' },
  { what: '`end` as a block parameter', src: 'block b(«end»):\n  relu\nend', code: 'reserved-word' },
  { what: '`end` in `from`', src: 'x: conv 8 from «end»', code: 'reserved-word' },
  // `end` and blocks
  { what: 'a stray `end`', src: '«end»', code: 'unmatched-end' },
  { what: '`end` used as a layer name', src: '«end»: conv 8', code: 'unmatched-end' },
  { what: 'a second `end` after a block', src: 'block b:\n  relu\nend\n«end»', code: 'unmatched-end' },
  { what: 'a block without `end` (its body is the indented lines)', src: '«block b(c):»\n  conv c', code: 'missing-end' },
  { what: 'a multi-line repeat without `end`', src: '«repeat 2:»\n  conv 8', code: 'missing-end' },
  { what: 'a multi-line repeat with an index and no body', src: '«repeat 2 as i:» ', code: 'missing-end' },
];

function check(fixture: string, code: string, extra: { code: string; range: Range }[] = []): Analysis {
  const { text, ranges } = marked(`${HEAD}\n${fixture}\n${AFTER}\n`);
  assert.equal(ranges.length, 1, 'one marked range per fixture');
  const a = analyze(text, { batch: 1, dtype: 'fp32' });
  const byPos = (x: { range: Range }, y: { range: Range }) => x.range.start.line - y.range.start.line || x.range.start.character - y.range.start.character;
  assert.deepEqual(
    a.diagnostics.map((d) => ({ code: d.code, range: d.range })).sort(byPos),
    [{ code, range: ranges[0] }, ...extra].sort(byPos),
  );
  assert.ok(a.diagnostics.every((d) => d.severity === 'error'));
  const after = a.layers.find((l) => l.name === 'after');
  assert.ok(after, 'the layer after the error is analysed');
  assert.deepEqual(after.outputShape, [4, 16, 16]);
  assert.equal(after.macs, 8 * 4 * 16 * 16);
  return a;
}

for (const c of CASES) {
  test(`${c.what} (\`${c.src.split('\n').find((l) => l.includes('«'))!.replace(/[«»]/g, '').trim()}\`) is ${c.code} at its exact range, and the next line still counts`, () => {
    check(c.src, c.code);
  });
}

test('there are at least 30 broken-line cases', () => assert.ok(CASES.length >= 30, `${CASES.length}`));

test('a block header without a name reports the name and the missing `end` over the header', () => {
  check('block«»', 'syntax-error', [{ code: 'missing-end', range: span(1, 0, 5) }]);
  check('block «:»', 'syntax-error', [{ code: 'missing-end', range: span(1, 0, 7) }]);
  check('block «end»(a):', 'reserved-word', [{ code: 'missing-end', range: span(1, 0, 13) }]);
});

test('ranges are right with CRLF line endings', () => {
  const a = analyze(`${HEAD}\r\nconv 64 k=\r\n${AFTER}\r\n`, { batch: 1, dtype: 'fp32' });
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.range]), [['missing-value', span(1, 10, 10)]]);
  assert.equal(a.layers.find((l) => l.name === 'after')?.macs, 8192);
});

test('a line with a syntax error is left out: the next layer reads the layer above it', () => {
  const a = analyze(`${HEAD}\nc1: conv 16 k=3 p=1\nc2: conv 64 k=«»\nnext: conv 32 k=1\n`.replace(/[«»]/g, ''), { batch: 1, dtype: 'fp32' });
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['missing-value']);
  const next = a.layers.find((l) => l.name === 'next')!;
  assert.deepEqual(next.inputs, ['c1']);
  assert.equal(next.macs, 16 * 32 * 16 * 16);
  assert.equal(a.layers.some((l) => l.name === 'c2'), false);
});

test('a reference to a line with a syntax error is an unknown name; independent lines still count', () => {
  const a = analyze(`${HEAD}\nc2: conv 64 k=\nuse: relu from c2\nafter: relu from img\n`, { batch: 1, dtype: 'fp32' });
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character, d.range.end.character]), [
    ['missing-value', 1, 14, 14],
    ['unknown-name', 2, 15, 17],
  ]);
  assert.deepEqual(a.layers.map((l) => l.name), ['after']);
});

test('a block without `end` ends at the first unindented line, so the file below it still counts', () => {
  const a = analyze(`${HEAD}\nblock b(c):\n  conv c k=3 p=1\n  relu\nx: b(16)\ny: conv 8 k=1\n`, { batch: 1, dtype: 'fp32' });
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.range]), [['missing-end', span(1, 0, 11)]]);
  assert.deepEqual(a.layers.map((l) => [l.name, l.outputShape]), [['x.conv_1', [16, 16, 16]], ['x.relu_1', [16, 16, 16]], ['y', [8, 16, 16]]]);
});

test('an inner block without `end` does not steal the `end` of the next block', () => {
  const a = analyze(`${HEAD}\nblock a:\n  relu\nblock b:\n  conv 4 k=1\nend\nb\n`, { batch: 1, dtype: 'fp32' });
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.range.start.line]), [['missing-end', 1]]);
  assert.deepEqual(a.layers.map((l) => l.name), ['b_1.conv_1']);
});

test('thousands of unclosed or deeply nested repeats and blocks analyse quickly, without exhausting the stack', () => {
  let flat = HEAD + '\n';
  let nested = HEAD + '\n';
  let blocks = HEAD + '\n';
  for (let i = 0; i < 3000; i++) {
    flat += 'repeat 2:\n';
    blocks += `block b${i}:\n`;
    nested += ' '.repeat(i) + 'repeat 2:\n';
  }
  const started = Date.now();
  const codes = (text: string) => new Set(analyze(text + AFTER + '\n', { batch: 1, dtype: 'fp32' }).diagnostics.map((d) => d.code));
  // unindented headers without `end`: empty bodies, every header reported, the last line still counts
  for (const text of [flat, blocks]) {
    const a = analyze(text + AFTER + '\n', { batch: 1, dtype: 'fp32' });
    assert.deepEqual(new Set(a.diagnostics.map((d) => d.code)), new Set(['missing-end']));
    assert.equal(a.diagnostics.length, 3000);
    assert.equal(a.layers.find((l) => l.name === 'after')?.macs, 8192);
  }
  // nesting deeper than the parser's limit, and 2^64 iterations of nothing: both are limits, not hangs
  assert.ok(codes(nested).has('limit'));
  assert.ok(codes(flat + 'end\n'.repeat(3000)).has('limit'));
  assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms`);
});

test('a half-typed file, cut at every character, never throws and keeps its first complete layer', () => {
  const text = `${HEAD}\nfirst: conv 16 k=3 p=1 | bn | relu\nblock res(c, s=1):\n  a: conv c k=3 s=s p=1 | bn | relu\n  conv c k=3 p=1 | bn\n  add from a, conv_1\nend\nrepeat 2 as i: res(16, if(i == 0, 1, 1)) -> 16 x 16 x 16\ngap\nfc 10\n`;
  const firstLineEnd = text.indexOf('\n', HEAD.length + 1);
  for (let cut = firstLineEnd; cut <= text.length; cut++) {
    const a = analyze(text.slice(0, cut), { batch: 1, dtype: 'fp32' });
    assert.ok(a.layers.some((l) => l.name === 'first'), `cut at ${cut}`);
  }
});

test('an expression nested thousands deep is a limit on its line, not a crash', () => {
  for (const line of [`conv ${'('.repeat(10_000)}8${')'.repeat(10_000)}`, `conv ${'-'.repeat(10_000)}8`, `conv 8${' + 1'.repeat(10_000)}`]) {
    const a = analyze(`${HEAD}\n${line}\n${AFTER}\n`, { batch: 1, dtype: 'fp32' });
    assert.deepEqual(a.diagnostics.map((d) => [d.code, d.range.start.line]), [['limit', 1]]);
    assert.equal(a.layers.find((l) => l.name === 'after')?.macs, 8192);
  }
});
