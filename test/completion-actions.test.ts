// Completion, quick fixes and the status-bar summary as plain data (ide/complete.ts, ide/actions.ts,
// ide/summary.ts), without a server. Cursors are written `«»` in the fixtures; every quick fix is
// applied to the text, which is analysed and linted again: its diagnostic must be gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../server/src/analysis/analyze';
import { GENERIC_SPEC, OPS } from '../server/src/analysis/ops';
import { quickFixes } from '../server/src/ide/actions';
import type { TextEdit } from '../server/src/ide/navigate';
import { complete, plainInsertText, type Completions } from '../server/src/ide/complete';
import { analyzeDocument } from '../server/src/ide/document';
import { DEFAULT_EDITOR_SETTINGS, type EditorSettings } from '../server/src/ide/settings';
import { summarize, summaryLabel, summaryTooltip } from '../server/src/ide/summary';
import type { Target } from '../server/src/hardware/targets';
import { marked, span } from './fixtures';

const root = join(__dirname, '..');

/** Completion at the `«»` of the fixture. */
function completeAt(fixture: string): Completions {
  const { text, ranges: [cursor] } = marked(fixture);
  return complete(analyze(text), text.split('\n')[cursor.start.line], cursor.start);
}
const labels = (fixture: string) => completeAt(fixture).items.map((i) => i.label);

const NET = `alpha = 0.5
def ch(c) = make_divisible(c * alpha, 8)
input img: 3 x 32 x 32
block res(c, s=1):
  x: conv c k=3 s=s p=1 | bn | relu
  @
end
stem: conv 16 k=3 p=1 | bn | relu
res(16)
layer: repeat 2 as i:
  y: conv 16 k=1
  @
end
@
`;
/** NET with `line` at the first, second or third `@` (block body, repeat body, top level), the others blank. */
const at = (where: 0 | 1 | 2, line: string) => NET.split('@').map((part, i, all) => part + (i < all.length - 1 ? (i === where ? line : '') : '')).join('');

const OP_LABELS = OPS.map((o) => o.name);
const ALIAS_LABELS = OPS.flatMap((o) => o.aliases);
const FUNCTION_LABELS = ['make_divisible', 'round8', 'int', 'floor', 'ceil', 'round', 'abs', 'min', 'max', 'if', 'dim'];

// ---- completion: layer kinds

test('at the start of a line: the blocks, every layer kind, the aliases, then the statement keywords', () => {
  assert.deepEqual(labels(at(2, '«»')), ['res', ...OP_LABELS, ...ALIAS_LABELS, 'input', 'block', 'def', 'repeat', 'when']);
  assert.deepEqual(labels(at(2, 'co«»')), labels(at(2, '«»')), 'the editor filters by the word typed');
  assert.deepEqual(completeAt(at(2, 'co«»')).range, span(13, 0, 2));
});

test('inside a block or repeat body: no `block` or `input` (the engine accepts them only at the top level)', () => {
  for (const where of [0, 1] as const) {
    assert.deepEqual(labels(at(where, '«»')), ['res', ...OP_LABELS, ...ALIAS_LABELS, 'def', 'repeat', 'when']);
  }
});

test('a layer kind inserts its required positional arguments as placeholders and documents every argument', () => {
  const items = completeAt(at(2, '«»')).items;
  const conv = items.find((i) => i.label === 'conv')!;
  assert.deepEqual({ ...conv, documentation: undefined }, { label: 'conv', kind: 'op', detail: 'convolution (standard or grouped)', documentation: undefined, insertText: 'conv ${1:C_out}', snippet: true });
  assert.equal(conv.documentation, [
    '`conv C_out k= s= p= d= g= bias=`', '', 'convolution (standard or grouped)', '',
    '- `C_out` output channels', '- `k=` kernel size, `3` or `1x7`', '- `s=` stride', '- `p=` padding per side, or `same` / `valid` (default 0)',
    '- `d=` dilation', '- `g=` groups', '- `bias=` adds a bias (default true; false when `| bn` follows on the line)',
  ].join('\n'));
  const insert = (label: string) => items.find((i) => i.label === label)!.insertText;
  assert.equal(insert('patch_embed'), 'patch_embed ${1:P} ${2:D}');
  assert.equal(insert('relu'), 'relu');
  assert.equal(insert('fc'), 'fc ${1:J}');
  assert.equal(items.find((i) => i.label === 'fc')!.detail, 'alias of linear: fully connected layer (a C x H x W input is flattened; on L x D it acts per token)');
  assert.deepEqual(items.find((i) => i.label === 'res'), { label: 'res', kind: 'block', detail: 'block res(c, s=…)', insertText: 'res(${1:c})', snippet: true });
  assert.match(items.find((i) => i.label === 'add')!.documentation!, /reads two or more inputs: `from a, b`/);
});

test('the generic op inserts `op "OpType"(x)` with the type and the first input as placeholders; `op ""()` without snippet support', () => {
  const items = completeAt(at(2, '«»')).items;
  const op = items.find((i) => i.label === 'op')!;
  assert.deepEqual({ ...op, documentation: undefined }, {
    label: 'op', kind: 'op', detail: GENERIC_SPEC.doc, documentation: undefined, insertText: 'op "${1:OpType}"(${2:x})', snippet: true, plainText: 'op ""()',
  });
  assert.match(op.documentation!, /^`op "OpType"\(x, \.\.\.\) -> shape, \.\.\.`\n\n/);
  assert.equal(items.filter((i) => i.label === 'op').length, 1);
  assert.deepEqual(completeAt(at(2, 'top: «»')).items.find((i) => i.label === 'op'), op, 'after a name too');
  // what a client without snippet support inserts: the plain text; the label for other snippets; the text itself otherwise
  const item = (label: string) => items.find((i) => i.label === label)!;
  assert.deepEqual([plainInsertText(op), plainInsertText(item('conv')), plainInsertText(item('res')), plainInsertText(item('relu')), plainInsertText(item('repeat'))],
    ['op ""()', 'conv', 'res', 'relu', 'repeat']);
});

test('after `name:` and after `|`: layer kinds and blocks (and `repeat` after a name), on half-typed lines too', () => {
  assert.deepEqual(labels(at(2, 'head: «»')), ['res', ...OP_LABELS, ...ALIAS_LABELS, 'repeat']);
  assert.deepEqual(labels(at(2, 'head: conv 8 k=1 | «»')), ['res', ...OP_LABELS, ...ALIAS_LABELS]);
  assert.deepEqual(labels(at(2, 'conv 8 k= | b«»')), ['res', ...OP_LABELS, ...ALIAS_LABELS]);
  assert.deepEqual(labels(at(2, 'repeat 3 as i: «»')), ['res', ...OP_LABELS, ...ALIAS_LABELS]);
  assert.deepEqual(labels(at(0, '  when s == 1: «»')), ['res', ...OP_LABELS, ...ALIAS_LABELS]);
});

// ---- completion: arguments

test('in an argument list: the options not given yet, with their docs; expressions while a positional argument may come', () => {
  assert.deepEqual(labels(at(2, 'conv 64 k=3 «»')), ['s=', 'p=', 'd=', 'g=', 'bias=']);
  assert.deepEqual(labels(at(2, 'conv 64 k=3 p«»')), ['s=', 'p=', 'd=', 'g=', 'bias=']);
  assert.deepEqual(completeAt(at(2, 'conv 64 k=3 «»')).items[0], { label: 's=', kind: 'option', detail: 'stride', insertText: 's=', snippet: false });
  assert.deepEqual(labels(at(2, 'conv «»')), ['k=', 's=', 'p=', 'd=', 'g=', 'bias=', 'alpha', 'ch', ...FUNCTION_LABELS]);
  assert.deepEqual(labels(at(2, 'conv(64, «»')), ['k=', 's=', 'p=', 'd=', 'g=', 'bias=']);
  assert.deepEqual(labels(at(2, 'conv ch(32) * 2 «»')), ['k=', 's=', 'p=', 'd=', 'g=', 'bias=']);
  assert.deepEqual(labels(at(2, 'patch_embed 4 «»')), ['bias=', 'alpha', 'ch', ...FUNCTION_LABELS], 'D may still come');
  assert.deepEqual(labels(at(2, 'relu «»')), []);
  assert.deepEqual(labels(at(2, 'concat from stem, layer «»')), ['dim='], 'options after the `from` list');
  // a block use: its parameters, those given by position or by name left out
  assert.deepEqual(labels(at(2, 'res(16, «»')), ['s=', 'alpha', 'ch', ...FUNCTION_LABELS]);
  assert.deepEqual(labels(at(2, 'res(c=16, «»')), ['s=']);
});

test('after `key=`: the words the option takes, then (unless it takes only words) variables and functions', () => {
  assert.deepEqual(labels(at(2, 'conv 64 bias=«»')), ['true', 'false']);
  assert.deepEqual(labels(at(2, 'upsample mode=«»')), ['nearest', 'bilinear']);
  assert.deepEqual(labels(at(2, 'conv 64 p=«»')), ['same', 'valid', 'alpha', 'ch', ...FUNCTION_LABELS]);
  assert.deepEqual(labels(at(2, 'conv 64 k=«»')), ['alpha', 'ch', ...FUNCTION_LABELS]);
});

// ---- completion: names and expressions

test('after `from` and `, `: the names defined above in scope, nearest first, with their shapes', () => {
  const c = completeAt(at(2, 'out: add from «»'));
  assert.deepEqual(c.items.map((i) => [i.label, i.detail]), [
    ['layer', '16x32x32'], ['res_1', '16x32x32'], ['stem', '16x32x32'], ['img', 'input 3x32x32'],
  ]);
  assert.equal(c.items[0].kind, 'name');
  assert.deepEqual(labels(at(2, 'out: add from stem, «»')), ['layer', 'res_1', 'stem', 'img']);
  // a dotted name is one word: it is replaced whole
  assert.deepEqual(completeAt(at(2, 'add from stem.c«»')).range, span(13, 9, 15));
  // in a block body: its own names and `in`; in a repeat body: its names, then those above the repeat
  assert.deepEqual(labels(at(0, '  add from «»')), ['x', 'in']);
  assert.deepEqual(labels(at(1, '  add from y, «»')), ['y', 'res_1', 'stem', 'img']);
});

test('in the parentheses of `op "X"(`: the names in scope as after `from`; nothing in or right after the quotes or after a reference; expressions after `->`', () => {
  const names = ['layer', 'res_1', 'stem', 'img'];
  assert.deepEqual(labels(at(2, 'op "Erf"(«»')), names);
  assert.deepEqual(labels(at(2, 'scores: op "Erf"(stem, «»')), names);
  assert.deepEqual(labels(at(2, 'op "Erf" (st«»')), names);
  assert.deepEqual(completeAt(at(2, 'op "Erf"(«»')).items[0], { label: 'layer', kind: 'name', detail: '16x32x32', insertText: 'layer', snippet: false });
  assert.deepEqual(completeAt(at(2, 'op "Erf"(layer, stem.c«»')).range, span(13, 16, 22));
  assert.deepEqual(labels(at(0, '  op "Erf"(«»')), ['x', 'in']);
  assert.deepEqual(labels(at(1, '  op "Erf"(y, «»')), ['y', 'res_1', 'stem', 'img']);
  for (const line of ['op "«»', 'op "Er«»', 'op "Erf"«»', 'op "Erf" «»', 'op "Erf"(stem «»', 'op "Erf"(stem)«»', 'op "Erf"(stem) «»']) {
    assert.deepEqual(labels(at(2, line)), [], line);
  }
  assert.deepEqual(labels(at(2, 'op "TopK"(stem) -> 16 x «»')), ['alpha', 'ch', ...FUNCTION_LABELS]);
  assert.deepEqual(labels(at(2, 'op "TopK"(stem) -> 16 x 32 x 4, «»')), ['alpha', 'ch', ...FUNCTION_LABELS]);
});

test('inside `dim(`: the names in scope; in its axis and other expressions: variables, then functions', () => {
  assert.deepEqual(labels(at(0, '  when dim(«»')), ['x', 'in']);
  assert.deepEqual(labels(at(2, 'conv dim(«»')), ['layer', 'res_1', 'stem', 'img']);
  assert.deepEqual(labels(at(0, '  conv dim(in, «»')), ['alpha', 'c', 's', 'ch', ...FUNCTION_LABELS]);
  const vars = completeAt(at(1, '  conv 16 * «»')).items.filter((i) => i.kind === 'variable');
  assert.deepEqual(vars.map((i) => [i.label, i.detail]), [['alpha', '= 0.5'], ['i', 'repeat index']]);
  assert.deepEqual(labels(at(2, 'beta = alpha * «»')), ['alpha', 'ch', ...FUNCTION_LABELS]);
  assert.deepEqual(labels(at(2, 'def g(a, b) = «»')), ['alpha', 'a', 'b', 'ch', ...FUNCTION_LABELS]);
  assert.deepEqual(labels(at(2, 'input extra: 3 x «»')), ['alpha', 'ch', ...FUNCTION_LABELS]);
  assert.deepEqual(labels(at(2, 'x2: repeat 2 as k: res(if(«»')), ['alpha', 'k', 'ch', ...FUNCTION_LABELS]);
  assert.deepEqual(labels(at(2, 'conv 8 -> «»')), ['alpha', 'ch', ...FUNCTION_LABELS]);
  const fn = completeAt(at(2, 'beta = «»')).items.find((i) => i.label === 'make_divisible');
  assert.deepEqual(fn, { label: 'make_divisible', kind: 'function', detail: 'make_divisible(v, d=8)', documentation: 'nearest multiple of `d`, at least `d`, never more than 10 % below `v` (the MobileNet helper)', insertText: 'make_divisible($1)', snippet: true });
  // variables defined below the cursor are not offered
  assert.deepEqual(labels('x = «»\nalpha = 1\n'), FUNCTION_LABELS);
});

test('nothing in a comment, inside a number, right after a value, or where a new name is written', () => {
  for (const line of ['conv 64 # «»', 'conv 64«»', 'conv 6«»4', 'beta = 3 «»', 'conv ch(3)«»', 'input «»', 'block «»', 'repeat 2 as «»', 'end «»']) {
    assert.deepEqual(labels(at(2, line)), [], line);
  }
});

// ---- quick fixes

/** Applies LSP-style edits (non-overlapping) to the text. */
function apply(text: string, edits: TextEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const offset = (p: { line: number; character: number }) => starts[p.line] + p.character;
  return [...edits].sort((x, y) => offset(y.range.start) - offset(x.range.start))
    .reduce((t, e) => t.slice(0, offset(e.range.start)) + e.newText + t.slice(offset(e.range.end)), text);
}

/** The settings of most quick-fix tests: the channel multiple set to 16 explicitly, which overrides the target's. */
const S16: EditorSettings = { ...DEFAULT_EDITOR_SETTINGS, lint: { ...DEFAULT_EDITOR_SETTINGS.lint, channelMultiple: 16 } };
/** A made-up target (round numbers: 1 TFLOP/s, 100 GB/s, 1 µs a launch), active through the user-target settings. */
const TT: Target = {
  id: 'tt', name: 'Test target', kind: 'npu', peak: { fp32: 1e12 }, bandwidth: 1e11, memory: 1e9,
  channelMultiple: 8, launchOverhead: 1e-6, shuffle: false, kernelDensity: { 5: 0.5, 7: 0.25 }, sources: ['made up for the tests'],
};
const ON_TT: EditorSettings = { ...DEFAULT_EDITOR_SETTINGS, target: 'tt', userTargets: [TT] };

/** The document's diagnostics with the editor settings, and the quick fixes for them. */
function fixesOf(text: string, settings: EditorSettings = S16) {
  const doc = analyzeDocument(text, settings);
  return quickFixes(doc.analysis, text, doc.diagnostics, settings.lint.channelMultiple);
}
const codesAfter = (text: string, settings: EditorSettings = S16) => analyzeDocument(text, settings).diagnostics.map((d) => d.code);

const CHANNELS = 'input: 3 x 224 x 224\nconv 24 k=3 s=2 p=1 | bn | relu\nconv 32 k=3 p=1\ngap\nfc 1000\n';

test('channel-multiple: the literal width is rounded up to the multiple (preferred); the edited file has no such diagnostic', () => {
  const fixes = fixesOf(CHANNELS);
  assert.deepEqual(fixes.map((f) => [f.title, f.kind, f.isPreferred, f.diagnostic.code, f.edits]), [
    ['Round 24 up to 32, a multiple of 16', 'quickfix', true, 'channel-multiple', [{ range: span(1, 5, 7), newText: '32' }]],
    ['Ignore `channel-multiple` on this line', 'quickfix', false, 'channel-multiple', [{ range: span(1, 31, 31), newText: '  # netcost-ignore: channel-multiple' }]],
  ]);
  assert.equal(apply(CHANNELS, fixes[0].edits), CHANNELS.replace('conv 24', 'conv 32'));
  assert.equal(apply(CHANNELS, fixes[1].edits), CHANNELS.replace('relu\n', 'relu  # netcost-ignore: channel-multiple\n'));
  for (const f of fixes) assert.deepEqual(codesAfter(apply(CHANNELS, f.edits)), [], f.title);
  assert.deepEqual(codesAfter(CHANNELS), ['channel-multiple']);
});

test('channel-multiple: the multiple of the settings; a linear layer; a literal in a block body; no rounding for an expression', () => {
  const eight = { ...DEFAULT_EDITOR_SETTINGS, lint: { ...DEFAULT_EDITOR_SETTINGS.lint, channelMultiple: 8 } };
  const fc = 'input: 64\nfc 20 | relu\nfc 10\n';
  const [round] = fixesOf(fc, eight);
  assert.deepEqual([round.title, round.edits], ['Round 20 up to 24, a multiple of 8', [{ range: span(1, 3, 5), newText: '24' }]]);
  assert.deepEqual(codesAfter(apply(fc, round.edits), eight), []);

  const block = 'input: 16 x 8 x 8\nblock b(c):\n  conv 40 k=3 p=1\n  conv c k=3 p=1\nend\nb(16)\nb(16)\n';
  const fixes = fixesOf(block);
  assert.deepEqual(fixes.map((f) => [f.title, f.diagnostic.range.start.line, f.edits]), [
    ['Round 40 up to 48, a multiple of 16', 2, [{ range: span(2, 7, 9), newText: '48' }]],
    ['Ignore `channel-multiple` on this line', 2, [{ range: span(2, 17, 17), newText: '  # netcost-ignore: channel-multiple' }]],
  ]);
  for (const f of fixes) assert.deepEqual(codesAfter(apply(block, f.edits)), [], f.title);

  const computed = 'w = 3\ninput: 16 x 8 x 8\nconv w * 8 k=3\n';
  assert.deepEqual(fixesOf(computed).map((f) => f.title), ['Ignore `channel-multiple` on this line']);
});

test('unfoldable-batchnorm in a one-line chain: the batch norm and the activation trade places; names and comments stay', () => {
  const text = 'input: 3 x 32 x 32\nc: conv 16 k=3 p=1 | relu | bn  # stem\nconv 16 k=3 p=1\n';
  const fixes = fixesOf(text);
  assert.deepEqual(fixes.map((f) => [f.title, f.isPreferred, f.diagnostic.code, f.edits]), [
    ['Move the batch norm before the relu so it folds into the conv', true, 'unfoldable-batchnorm', [
      { range: span(1, 21, 25), newText: 'bn' }, { range: span(1, 28, 30), newText: 'relu' },
    ]],
    ['Ignore `unfoldable-batchnorm` on this line', false, 'unfoldable-batchnorm', [{ range: span(1, 38, 38), newText: '  netcost-ignore: unfoldable-batchnorm' }]],
  ]);
  assert.equal(apply(text, fixes[0].edits), 'input: 3 x 32 x 32\nc: conv 16 k=3 p=1 | bn | relu  # stem\nconv 16 k=3 p=1\n');
  assert.equal(apply(text, fixes[1].edits), 'input: 3 x 32 x 32\nc: conv 16 k=3 p=1 | relu | bn  # stem  netcost-ignore: unfoldable-batchnorm\nconv 16 k=3 p=1\n');
  for (const f of fixes) assert.deepEqual(codesAfter(apply(text, f.edits)), [], f.title);
});

test('unfoldable-batchnorm on consecutive lines: the two ops trade lines, each line keeps its name and comment', () => {
  const text = 'input: 3 x 32 x 32\nconv 16 k=3 p=1\na: relu  # act\nb: bn    # norm\nconv 16 k=3 p=1 from b\n';
  const [move] = fixesOf(text);
  assert.equal(apply(text, move.edits), 'input: 3 x 32 x 32\nconv 16 k=3 p=1\na: bn  # act\nb: relu    # norm\nconv 16 k=3 p=1 from b\n');
  assert.deepEqual(codesAfter(apply(text, move.edits)), []);
  // in a block body used twice: one edit of the body fixes every use
  const block = 'input: 16 x 8 x 8\nblock b:\n  conv 16 k=3 p=1\n  relu\n  bn\nend\nb\nb\n';
  const [inBlock] = fixesOf(block);
  assert.equal(apply(block, inBlock.edits), 'input: 16 x 8 x 8\nblock b:\n  conv 16 k=3 p=1\n  bn\n  relu\nend\nb\nb\n');
  assert.deepEqual(codesAfter(apply(block, inBlock.edits)), []);
});

test('unfoldable-batchnorm: no move when it would change what a layer reads or would not fold; the suppression always', () => {
  for (const text of [
    'input: 3 x 8 x 8\nconv 16 k=3\na: relu\nbn\nadd from a, bn_1\n', // something else reads the activation
    'input: 3 x 8 x 8\nx: conv 16 k=3\nrelu\nbn\nadd from x, bn_1\n', // something else reads the conv
    'input: 16 x 8 x 8\nx: conv 16\nadd from x, input | bn\n', // it reads an add
    'input: 16 x 8 x 8\nbn\n', // it reads the input
  ]) {
    assert.deepEqual(fixesOf(text).filter((f) => f.diagnostic.code === 'unfoldable-batchnorm').map((f) => f.title), ['Ignore `unfoldable-batchnorm` on this line'], text);
  }
});

test('the suppression joins an existing directive; engine diagnostics get no fix', () => {
  const text = 'input: 64 x 56 x 56\nconv 24 k=1 # netcost-ignore: g1-unbalanced-pointwise\n';
  const [, ignore] = fixesOf(text);
  assert.deepEqual(ignore.edits, [{ range: span(1, 53, 53), newText: ', channel-multiple' }]);
  assert.equal(apply(text, ignore.edits), 'input: 64 x 56 x 56\nconv 24 k=1 # netcost-ignore: g1-unbalanced-pointwise, channel-multiple\n');
  assert.deepEqual(codesAfter(apply(text, ignore.edits)), []);
  assert.deepEqual(fixesOf('input: 3 x 8 x 8\nadd from input, nope\n'), []);
});

test('channel-multiple: without an explicit multiple the fix rounds to the active target\'s, as its message says', () => {
  const text = 'input: 3 x 32 x 32\nconv 20 k=3 p=1\nconv 24 k=3 p=1\n';
  const doc = analyzeDocument(text, ON_TT);
  assert.deepEqual(doc.diagnostics.map((d) => [d.code, d.message]), [['channel-multiple', '20 output channels, not a multiple of 8: hardware pads to 24, 16.7% of the lanes idle']]);
  // the fallback argument (the setting, 0 = the target's) is not needed: the message names the multiple
  const [round] = quickFixes(doc.analysis, text, doc.diagnostics, 0);
  assert.deepEqual([round.title, round.edits], ['Round 20 up to 24, a multiple of 8', [{ range: span(1, 5, 7), newText: '24' }]]);
  assert.equal(apply(text, round.edits), 'input: 3 x 32 x 32\nconv 24 k=3 p=1\nconv 24 k=3 p=1\n');
  assert.deepEqual(codesAfter(apply(text, round.edits), ON_TT), []);
  // a copy of the diagnostic without its message: the fallback multiple, else 16
  const bare = doc.diagnostics.map((d) => ({ range: d.range, code: d.code }));
  assert.equal(quickFixes(doc.analysis, text, bare, 0)[0].title, 'Round 20 up to 32, a multiple of 16');
  assert.equal(quickFixes(doc.analysis, text, bare, 3)[0].title, 'Round 20 up to 21, a multiple of 3');
});

test('every new rule gets its `# netcost-ignore: code` fix, and the fixed text no longer has it', () => {
  const cases: [string, string][] = [
    ['g2-group-conv', 'input: 256 x 56 x 56\nconv 256 k=1 g=8\n'],
    ['g3-fragmentation', 'input: 8 x 8 x 8\n' + 'conv 8 k=1 bias=false\n'.repeat(4)],
    ['g4-elementwise', 'input: 16 x 8 x 8\nrelu\nconv 16 k=1 bias=false\n'],
    ['depthwise-memory-bound', 'input: 32 x 16 x 16\ndwconv k=3 p=1 bias=false\n'],
    ['separable-low-channels', 'input: 8 x 32 x 32\ndwconv k=3 p=1 bias=false\nconv 16 k=1 bias=false\n'],
    ['large-kernel', 'input: 3 x 32 x 32\nconv 16 k=5 p=2\n'],
    ['fc-dominant', 'input: 16 x 16 x 16\nconv 64 k=3 p=1\nflatten\nfc 100\n'],
    ['shuffle-unsupported', 'input: 16 x 8 x 8\nshuffle 4\n'],
  ];
  for (const [code, text] of cases) {
    const fixes = fixesOf(text, ON_TT).filter((f) => f.diagnostic.code === code);
    assert.deepEqual(fixes.map((f) => [f.title, f.isPreferred]), [[`Ignore \`${code}\` on this line`, false]], code);
    const line = fixes[0].diagnostic.range.start.line;
    const after = apply(text, fixes[0].edits);
    assert.equal(after.split('\n')[line], `${text.split('\n')[line]}  # netcost-ignore: ${code}`, code);
    assert.ok(!codesAfter(after, ON_TT).includes(code), code);
  }
  // the block-use line of a fragmented block
  const block = 'input: 8 x 8 x 8\nblock b:\n  p: conv 8 k=1 bias=false from in\n  q: conv 8 k=1 bias=false from in\n  r: conv 8 k=1 bias=false from in\n  s: conv 8 k=1 bias=false from in\n  concat from p, q, r, s\nend\nb\n';
  const [g3] = fixesOf(block, ON_TT).filter((f) => f.diagnostic.code === 'g3-fragmentation');
  assert.equal(apply(block, g3.edits), block.replace(/\nb\n$/, '\nb  # netcost-ignore: g3-fragmentation\n'));
  assert.ok(!codesAfter(apply(block, g3.edits), ON_TT).includes('g3-fragmentation'));
});

// ---- the summary

test('the summary of resnet50.net: the exact totals, the status bar label and tooltip', () => {
  const text = readFileSync(join(root, 'examples', 'resnet50.net'), 'utf8');
  const s = summarize(analyzeDocument(text, DEFAULT_EDITOR_SETTINGS), '2macs');
  assert.deepEqual(s, {
    params: 25_530_472, macs: 4_089_184_256, flops: 8_206_523_248, flopsConvention: '2macs', flopsConventionName: '2*MACs',
    memoryBytes: 336_773_248, layers: 175, errors: 0, batch: 1, dtype: 'fp32', target: null, // no target view given
  });
  assert.equal(summaryLabel(s), '4.09G MACs · 25.5M params');
  assert.equal(summaryTooltip(s), [
    'NetCost: 175 layers, batch 1, fp32', 'params: 25,530,472', 'MACs: 4,089,184,256',
    'FLOPs: 8,206,523,248 (2*MACs convention)', 'memory access: 336,773,248 bytes (337 MB)', 'no errors',
  ].join('\n'));
  const fp16 = summarize(analyzeDocument(text, { ...DEFAULT_EDITOR_SETTINGS, batchSize: 8, dtype: 'fp16' }), 'exact');
  assert.deepEqual([fp16.macs, fp16.flops, fp16.flopsConventionName, fp16.memoryBytes, fp16.batch, fp16.dtype], [32_713_474_048, 65_563_266_112, 'exact', 989_666_384, 8, 'fp16']);
  assert.equal(summaryLabel(fp16), '32.7G MACs · 25.5M params');
});

test('the summary counts errors, lint rules set to `error` included', () => {
  const text = 'input: 3 x 8 x 8\nconv 24 k=1\nadd from input, nope\n';
  const strict = { ...S16, rules: { 'channel-multiple': 'error' as const } };
  const s = summarize(analyzeDocument(text, strict), '2macs');
  assert.equal(s.errors, 2);
  assert.equal(summaryLabel(s), '4.61K MACs · 96 params · 2 errors');
  assert.match(summaryTooltip(s), /\n2 errors: the totals leave out the layers they break$/);
});
