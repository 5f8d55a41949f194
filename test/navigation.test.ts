// Navigation as plain data (ide/navigate, ide/outline, ide/semantic): the outline, go to definition
// and find references through the engine's scopes, rename and its refusals, folding and semantic
// tokens, written as `.net` fixtures with the expected ranges marked « ».
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../server/src/analysis/analyze';
import type { Pos, Range } from '../server/src/syntax/lexer';
import { definition, prepareRename, references, rename, type Refusal, type TextEdit } from '../server/src/ide/navigate';
import { documentSymbols, foldingRanges, SYMBOL_KIND, type DocumentSymbol } from '../server/src/ide/outline';
import { semanticTokens, TOKEN_MODIFIERS, TOKEN_TYPES } from '../server/src/ide/semantic';
import { marked, span } from './fixtures';

const clean = (text: string) => {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics, [], 'the fixture analyses without a diagnostic');
  return a;
};

test('the outline: inputs, variables, functions, a block with its body, layers under the engine names, a repeat with its body', () => {
  const { text, ranges: r } = marked([
    'input «img»: 3 x 32 x 32',
    '«width» = 16',
    'def «half»(v) = v // 2',
    'block «down»(c, s=2):',
    '  «x»: conv c k=3 s=s p=1 | bn',
    '  when s == 1: add from x, in',
    '  «relu»',
    'end',
    '«stem»: conv width k=3 p=1 | bn | relu',
    '«conv» half(64) k=1',
    '«down»(32)',
    '«stage»: repeat 2 as i:',
    '  «conv» 32 k=3 p=1',
    '  «y»: relu',
    'end',
    '«repeat» 2: «down»(32, s=1)',
    '«gap»',
  ].join('\n'));
  const a = clean(text);
  const K = SYMBOL_KIND;
  type Tree = [string, string | undefined, number, Range, Range, Tree[]?];
  const tree = (ss: DocumentSymbol[]): Tree[] => ss.map((s) => {
    const t: Tree = [s.name, s.detail, s.kind, s.range, s.selectionRange];
    if (s.children) t.push(tree(s.children));
    return t;
  });
  assert.deepEqual(tree(documentSymbols(a)), [
    ['img', 'input · 3x32x32', K.interface, span(0, 0, 22), r[0]],
    ['width', '= 16', K.variable, span(1, 0, 10), r[1]],
    ['half', '(v)', K.function, span(2, 0, 20), r[2]],
    ['down', '(c, s)', K.class, { start: { line: 3, character: 0 }, end: { line: 7, character: 3 } }, r[3], [
      ['x', 'conv | bn · 32x16x16', K.field, span(4, 2, 28), r[4]],
      // shapes of the first use; `when s == 1` holds in the second use only, where the add is `add_1`
      ['add_1', 'add · 32x16x16', K.field, span(5, 2, 29), span(5, 15, 18)],
      ['relu_1', 'relu · 32x16x16', K.field, span(6, 2, 6), r[5]],
    ]],
    ['stem', 'conv | bn | relu · 16x32x32', K.field, span(8, 0, 36), r[6]],
    ['conv_2', 'conv · 32x32x32', K.field, span(9, 0, 17), r[7]], // the stem's conv is conv_1
    ['down_1', 'down · 32x16x16', K.object, span(10, 0, 8), r[8]],
    ['stage', 'repeat · 32x16x16', K.array, { start: { line: 11, character: 0 }, end: { line: 14, character: 3 } }, r[9], [
      ['conv_1', 'conv · 32x16x16', K.field, span(12, 2, 17), r[10]],
      ['y', 'relu · 32x16x16', K.field, span(13, 2, 9), r[11]],
    ]],
    // a repeat's single block use is the iteration itself (`repeat_1.0.x`): named as a use in the repeat's body
    ['repeat_1', 'repeat · 32x16x16', K.array, span(15, 0, 23), r[12], [
      ['down_1', 'down · 32x16x16', K.object, span(15, 10, 23), r[13]],
    ]],
    ['gap_1', 'gap · 32x1x1', K.field, span(16, 0, 3), r[14]],
  ]);
});

// Scopes as the engine has them: the block body has its own `x` and its parameter `c` shadows the
// top-level `c`; `b(c=16)` names the parameter, `b(c)` reads the top-level `c`; the repeat body sees
// the top-level `x` and its own `y` and `i`.
const SCOPES = marked([
  'input img: 8 x 16 x 16',
  '«c» = 16', //                                      0
  '«x»: conv «c» k=1', //                             1 2
  'block «b»(«c», s=1):', //                          3 4
  '  «x»: conv «c» k=3 s=«s» p=1', //                 5 6 7
  '  add from «x», «in»', //                          8 9
  'end',
  '«b»(«c»=16)', //                                   10 11
  '«b»(«c»)', //                                      12 13
  'repeat 2 as «i»:', //                              14
  '  «y»: conv dim(«x», 0) k=2 * «i» + 1 p=«i»', //   15 16 17 18
  '  add from «y», «x»', //                           19 20
  'end',
].join('\n'));

/** The indices of the marked ranges a result lists (a range not marked fails the comparison). */
const which = (rs: Range[]) => rs.map((x) => SCOPES.ranges.findIndex((m) => JSON.stringify(m) === JSON.stringify(x)));

test('go to definition resolves each name in its scope: a block body shadows the top level, a repeat body sees it', () => {
  const a = clean(SCOPES.text);
  const def = (i: number) => which(definition(a, SCOPES.ranges[i].start));
  assert.deepEqual(def(8), [5], '`x` in the block body: the body\'s own x');
  assert.deepEqual(def(16), [1], '`dim(x, 0)` in the repeat body: the top-level x');
  assert.deepEqual(def(20), [1]);
  assert.deepEqual(def(6), [4], '`c` in the block body: the parameter');
  assert.deepEqual(def(2), [0], '`c` at the top level: the variable');
  assert.deepEqual(def(13), [0], 'an argument of a block use is read where the use is');
  assert.deepEqual(def(11), [4], 'a keyword argument names the parameter');
  assert.deepEqual(def(9), [3], '`in`: the block it is the input of');
  assert.deepEqual(def(17), [14], 'a repeat index');
  assert.deepEqual(def(12), [3], 'a block use: the block');
  assert.deepEqual(def(5), [5], 'a definition goes to itself');
  assert.deepEqual(definition(a, { line: 2, character: 4 }), [], 'a layer kind is no name');
  assert.deepEqual(definition(a, { line: 0, character: 20 }), [], 'nor is a number');
});

test('find references lists the uses of that one name, with its definition when asked', () => {
  const a = clean(SCOPES.text);
  const refs = (i: number, decl = true) => which(references(a, SCOPES.ranges[i].start, decl));
  assert.deepEqual(refs(1), [1, 16, 20], 'the top-level x: not the block body\'s');
  assert.deepEqual(refs(16, false), [16, 20]);
  assert.deepEqual(refs(8), [5, 8]);
  assert.deepEqual(refs(0), [0, 2, 13], 'the top-level c: not the parameter');
  assert.deepEqual(refs(6), [4, 6, 11], 'the parameter, named in `b(c=16)` too');
  assert.deepEqual(refs(10, false), [10, 12]);
  assert.deepEqual(refs(14), [14, 17, 18]);
  assert.deepEqual(refs(9), [3, 9], '`in` is defined by its block');
});

test('a variable assigned twice: a use reads the assignment above it; a forward reference still finds its target', () => {
  const { text, ranges: r } = marked('«n» = 8\n«n» = «n» * 2\ninput i: «n» x 4 x 4\nconv 8 from «later»\n«later»: relu from i\n');
  const a = analyze(text);
  assert.deepEqual(definition(a, r[2].start), [r[0]], 'the right side reads the first n');
  assert.deepEqual(definition(a, r[3].start), [r[1]]);
  assert.deepEqual(references(a, r[3].start, true), [r[0], r[1], r[2], r[3]]);
  assert.deepEqual(definition(a, r[4].start), [r[5]], 'the engine reports it; navigation still goes there');
});

const edits = (r: TextEdit[] | Refusal) => ('error' in r ? r.error : r.map((e) => [e.range, e.newText]));
const FUNCTION = marked('def «half»(v) = v // 2\ninput i: «half»(16) x 8 x 8\n');

test('rename: a layer, a block, a parameter, a variable and a function, everywhere they are used and nowhere else', () => {
  const a = clean(SCOPES.text);
  const R = SCOPES.ranges;
  const at = (i: number, to: string) => edits(rename(a, R[i].start, to));
  assert.deepEqual(at(16, 'z'), [[R[1], 'z'], [R[16], 'z'], [R[20], 'z']]);
  assert.deepEqual(at(3, 'unit'), [[R[3], 'unit'], [R[10], 'unit'], [R[12], 'unit']]);
  assert.deepEqual(at(6, 'ch'), [[R[4], 'ch'], [R[6], 'ch'], [R[11], 'ch']]);
  assert.deepEqual(at(13, 'width'), [[R[0], 'width'], [R[2], 'width'], [R[13], 'width']]);
  assert.deepEqual(at(17, 'k'), [[R[14], 'k'], [R[17], 'k'], [R[18], 'k']]);
  assert.deepEqual(prepareRename(a, R[20].start), { range: R[20], placeholder: 'x' });
  const f = FUNCTION.ranges;
  assert.deepEqual(edits(rename(clean(FUNCTION.text), f[1].start, 'halve')), [[f[0], 'halve'], [f[1], 'halve']]);
});

test('rename of a line name renames it inside the names of its chain (`stem` in `from stem.conv`)', () => {
  const { text, ranges: r } = marked('input i: 3 x 8 x 8\n«stem»: conv 8 k=1 | bn | relu\nadd from «stem», «stem».conv\n');
  const a = clean(text);
  assert.deepEqual(prepareRename(a, r[2].start), { range: r[2], placeholder: 'stem' });
  assert.deepEqual(edits(rename(a, r[2].start, 'head')), [[r[0], 'head'], [r[1], 'head'], [r[2], 'head']]);
  assert.deepEqual(references(a, r[2].start, false), [r[1], r[2]]);
  assert.deepEqual(definition(a, { line: 2, character: 20 }), [span(1, 6, 10)], '`stem.conv` is the conv of that line');
  assert.deepEqual(prepareRename(a, { line: 2, character: 20 }), { error: '`stem.conv` is named after its line: rename `stem`' });
});

test('a generic op: every declared output shape is read (`-> a x b, c`), the refs in its parentheses too', () => {
  const { text, ranges: r } = marked('input img: 8 x 4 x 4\n«n» = 4\n«w» = 2\n«c»: conv 8 k=1\n«top»: op "TopK"(«c», img) -> 8 x «n» x «w», 8 x «w» x «n»\nrelu from «top»[1]\n');
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['generic-op'], 'the fixture analyses with the generic op\'s note only');
  // the variables in the second shape are found as well as those in the first
  assert.deepEqual(references(a, r[0].start, true), [r[0], r[5], r[8]]);
  assert.deepEqual(references(a, r[1].start, true), [r[1], r[6], r[7]]);
  assert.deepEqual(definition(a, r[8].start), [r[0]]);
  assert.deepEqual(definition(a, r[7].start), [r[1]]);
  assert.deepEqual(edits(rename(a, r[7].start, 'width')), [[r[1], 'width'], [r[6], 'width'], [r[7], 'width']]);
  // the input in the parentheses and the declared name
  assert.deepEqual(references(a, r[4].start, true), [r[2], r[4]]);
  assert.deepEqual(edits(rename(a, r[9].start, 'best')), [[r[3], 'best'], [r[9], 'best']]);
});

test('rename refuses what is no name, what cannot be renamed, and a new name that is invalid or would change what a name refers to', () => {
  const a = clean(SCOPES.text);
  const R = SCOPES.ranges;
  assert.deepEqual(prepareRename(a, { line: 2, character: 4 }), { error: '`conv` is a layer kind, not a name' });
  assert.deepEqual(prepareRename(a, { line: 0, character: 20 }), { error: 'there is no name here: only layers, blocks, variables, functions and parameters can be renamed' });
  assert.deepEqual(prepareRename(a, { line: 10, character: 11 }), { error: '`dim` is a built-in function' });
  assert.deepEqual(prepareRename(a, R[9].start), { error: '`in` is the input of every block; it cannot be renamed' });
  const unnamed = analyze('input: 3 x 8 x 8\nconv 8 k=1\nrelu from conv_1, input\n');
  assert.deepEqual(prepareRename(unnamed, { line: 2, character: 11 }), { error: '`conv_1` is a default name (the layer kind and its ordinal); name the layer to rename it' });
  assert.deepEqual(prepareRename(unnamed, { line: 2, character: 20 }), { error: 'the unnamed input is called `input`; name it (`input NAME: ...`) to rename it' });

  const refuse = (i: number, to: string) => edits(rename(a, R[i].start, to));
  assert.equal(refuse(1, '2x'), 'cannot rename `x` to `2x`: `2x` is not a name: a name starts with a letter or `_` and goes on with letters, digits and `_`');
  assert.equal(refuse(1, 'from'), 'cannot rename `x` to `from`: `from` is a keyword');
  assert.equal(refuse(3, 'conv'), 'cannot rename `b` to `conv`: `conv` is a layer kind');
  assert.equal(refuse(0, 'x'), 'cannot rename `c` to `x`: `x` separates the sizes of a shape (`3 x 224 x 224`)');
  assert.equal(refuse(5, 'in'), 'cannot rename `x` to `in`: `in` is already defined in this scope (line 4)');
  assert.equal(refuse(4, 's'), 'cannot rename `c` to `s`: `s` is already defined in this scope (line 4)');
  assert.equal(refuse(1, 'y'), 'cannot rename `x` to `y`: the `x` on line 12 would then refer to the `y` defined on line 11');
  assert.equal(refuse(15, 'x'), 'cannot rename `y` to `x`: the `x` on line 12 would then refer to the renamed `y` instead of the one on line 3');
  assert.equal(edits(rename(clean(FUNCTION.text), FUNCTION.ranges[0].start, 'max')), 'cannot rename `half` to `max`: `max` is a built-in function');
});

test('folding: blocks and multi-line repeats down to their `end`, nested ones too, and runs of comment lines', () => {
  const text = [
    '# a network', // 0
    '# in two lines',
    'input i: 8 x 8 x 8',
    'block b(n):', // 3
    '  repeat n:', // 4
    '    conv 8 k=1',
    '  end', // 6
    'end', // 7
    '# one comment line',
    'repeat 2: b(1)',
    'r: repeat 2:', // 10
    '  relu',
    'end', // 12
  ].join('\n');
  assert.deepEqual(foldingRanges(analyze(text).syntax, text), [
    { startLine: 0, endLine: 1, kind: 'comment' },
    { startLine: 3, endLine: 7 },
    { startLine: 4, endLine: 6 },
    { startLine: 10, endLine: 12 },
  ]);
});

/** LSP semantic tokens back to absolute [line, character, length, type, modifiers]. */
function decode(data: number[]): [number, number, number, string, string[]][] {
  const out: [number, number, number, string, string[]][] = [];
  let line = 0;
  let char = 0;
  for (let i = 0; i < data.length; i += 5) {
    line += data[i];
    char = data[i] === 0 ? char + data[i + 1] : data[i + 1];
    out.push([line, char, data[i + 2], TOKEN_TYPES[data[i + 3]], TOKEN_MODIFIERS.filter((_, j) => data[i + 4] & (1 << j))]);
  }
  return out;
}

test('semantic tokens: names by role, layer kinds and built-ins as the default library, `declaration` where a name is defined', () => {
  const text = [
    'w = 8',
    'def half(v) = v // 2',
    'input img: 3 x 8 x 8',
    'block unit(c):',
    '  y: conv half(c) k=1 p=same from in',
    'end',
    'stem: conv w k=3 p=1 | bn',
    'unit(c=max(w, 16)) from stem.bn',
  ].join('\n');
  assert.deepEqual(decode(semanticTokens(analyze(text).syntax)), [
    [0, 0, 1, 'variable', ['declaration', 'readonly']],
    [1, 4, 4, 'function', ['declaration']],
    [1, 9, 1, 'parameter', ['declaration']],
    [1, 14, 1, 'parameter', []],
    [2, 6, 3, 'variable', ['declaration']],
    [3, 6, 4, 'class', ['declaration']],
    [3, 11, 1, 'parameter', ['declaration']],
    [4, 2, 1, 'variable', ['declaration']],
    [4, 5, 4, 'function', ['defaultLibrary']],
    [4, 10, 4, 'function', []],
    [4, 15, 1, 'parameter', []], // `same` is a word: no token
    [4, 34, 2, 'variable', []],
    [6, 0, 4, 'variable', ['declaration']],
    [6, 6, 4, 'function', ['defaultLibrary']],
    [6, 11, 1, 'variable', ['readonly']],
    [6, 23, 2, 'function', ['defaultLibrary']],
    [7, 0, 4, 'class', []],
    [7, 5, 1, 'parameter', []],
    [7, 7, 3, 'function', ['defaultLibrary']],
    [7, 11, 1, 'variable', ['readonly']],
    [7, 24, 7, 'variable', []],
  ]);
});

test('a broken file: every feature answers at every position without throwing, with what it can find', () => {
  const text = [
    'input img: 3 x 8 x 8',
    'a: conv 8 k=',
    'b: conv 8 from a, nope',
    'block blk(c',
    '  conv c | bogus',
    'end',
    'repeat 2 as',
    'c: relu from b | ',
    'd: relu from b',
    'repeat 3:',
    '  e: conv dim(',
  ].join('\n');
  const a = analyze(text);
  const lines = text.split('\n');
  lines.forEach((line, l) => {
    for (let c = 0; c <= line.length; c++) {
      const p: Pos = { line: l, character: c };
      definition(a, p);
      references(a, p, true);
      prepareRename(a, p);
      rename(a, p, 'z');
    }
  });
  assert.deepEqual(definition(a, { line: 8, character: 13 }), [span(2, 0, 1)], '`b` is defined though its line has an error');
  assert.deepEqual(definition(a, { line: 2, character: 19 }), [], '`nope` is defined nowhere');
  assert.deepEqual(documentSymbols(a).map((s) => [s.name, s.detail]), [
    ['img', 'input · 3x8x8'], ['b', 'conv'], ['blk', '(c)'], ['d', 'relu'], ['repeat_1', 'repeat'],
  ]);
  assert.ok(semanticTokens(a.syntax).length > 0);
  assert.deepEqual(foldingRanges(a.syntax, text), [{ startLine: 3, endLine: 5 }, { startLine: 9, endLine: 10 }]);

  // every prefix of an example, cut mid-line
  const example = readFileSync(join(__dirname, '..', 'examples', 'mobilenet_v2.net'), 'utf8');
  let offset = 0;
  for (const line of example.split('\n')) {
    const prefix = analyze(example.slice(0, offset + Math.floor(line.length / 2)));
    documentSymbols(prefix);
    semanticTokens(prefix.syntax);
    foldingRanges(prefix.syntax, example);
    definition(prefix, { line: 20, character: 30 });
    offset += line.length + 1;
  }
});
