// The structure of fixtures/editor.net as VS Code gets it: document symbols (the outline, under the
// engine's layer names), folding ranges and semantic tokens decoded through their legend.
const assert = require('assert');
const vscode = require('vscode');
const { open, waitFor, span } = require('./helpers');

const K = vscode.SymbolKind;
const tree = (ss) => ss.map((s) => [s.name, s.kind, s.detail, span(s.range), ...(s.children.length ? [tree(s.children)] : [])]);

/** The five numbers per token of `data`, as [line, character, length, type, modifiers]. */
function decode({ data }, legend) {
  const out = [];
  for (let i = 0, line = 0, char = 0; i < data.length; i += 5) {
    char = data[i] ? data[i + 1] : char + data[i + 1];
    line += data[i];
    out.push([line, char, data[i + 2], legend.tokenTypes[data[i + 3]], legend.tokenModifiers.filter((_, bit) => data[i + 4] & (1 << bit))]);
  }
  return out;
}

module.exports = [
  ['document symbols: top-level names, kinds and details, a block and a repeat with their bodies', async () => {
    const doc = await open('fixtures/editor.net');
    const symbols = await waitFor('document symbols', () => vscode.commands.executeCommand('vscode.executeDocumentSymbolProvider', doc.uri).then((s) => s?.length && s));
    assert.deepStrictEqual(tree(symbols), [
      ['width', K.Variable, '= 16', [1, 0, 1, 10]],
      ['img', K.Interface, 'input · 3x32x32', [2, 0, 2, 22]],
      ['unit', K.Class, '(c, s)', [3, 0, 8, 3], [ // shapes of the body's first use
        ['a', K.Field, 'conv | bn | relu · 16x32x32', [4, 2, 4, 35]],
        ['b', K.Field, 'conv | bn · 16x32x32', [5, 2, 5, 24]],
        ['add_1', K.Field, 'add · 16x32x32', [6, 2, 6, 15]],
        ['relu_2', K.Field, 'relu · 16x32x32', [7, 2, 7, 6]], // the relu of `a` is relu_1
      ]],
      ['stem', K.Field, 'conv | bn | relu · 16x32x32', [9, 0, 9, 36]],
      ['stages', K.Array, 'repeat · 16x32x32', [10, 0, 12, 3], [['unit_1', K.Object, 'unit · 16x32x32', [11, 2, 11, 13]]]],
      ['head', K.Field, 'conv · 16x32x32', [13, 0, 13, 30]],
      ['add_1', K.Field, 'add · 16x32x32', [14, 0, 14, 21]],
      ['gap_1', K.Field, 'gap · 16x1x1', [15, 0, 15, 3]],
    ]);
  }],
  ['folding ranges: the block and the multi-line repeat, down to their `end`', async () => {
    const doc = await open('fixtures/editor.net');
    const ranges = await waitFor('folding ranges', () => vscode.commands.executeCommand('vscode.executeFoldingRangeProvider', doc.uri).then((r) => r?.length && r));
    assert.deepStrictEqual(ranges.map((r) => [r.start, r.end, r.kind]), [[3, 8, undefined], [10, 12, undefined]]);
  }],
  ['semantic tokens: the documented legend; names coloured by what they name', async () => {
    const doc = await open('fixtures/editor.net');
    const legend = await waitFor('a legend', () => vscode.commands.executeCommand('vscode.provideDocumentSemanticTokensLegend', doc.uri));
    assert.deepStrictEqual(legend.tokenTypes, ['class', 'function', 'parameter', 'variable', 'string']);
    assert.deepStrictEqual(legend.tokenModifiers, ['declaration', 'readonly', 'defaultLibrary']);
    const tokens = decode(await waitFor('semantic tokens', () => vscode.commands.executeCommand('vscode.provideDocumentSemanticTokens', doc.uri)
      .then((t) => t?.data.length && t)), legend);
    assert.deepStrictEqual(tokens.filter(([line]) => [3, 11, 13].includes(line)), [
      [3, 6, 4, 'class', ['declaration']], // block unit(c, s=1):
      [3, 11, 1, 'parameter', ['declaration']],
      [3, 14, 1, 'parameter', ['declaration']],
      [11, 2, 4, 'class', []], //               unit(width)
      [11, 7, 5, 'variable', ['readonly']],
      [13, 0, 4, 'variable', ['declaration']], // head: conv width k=1 from stem
      [13, 6, 4, 'function', ['defaultLibrary']],
      [13, 11, 5, 'variable', ['readonly']],
      [13, 26, 4, 'variable', []],
    ]);
  }],
];
