// Completion on fixtures/editor.net: layer kinds, aliases, blocks and keywords at the start of a line;
// the names in scope after `from` (the top level, a block body); a conv's options not given yet.
const assert = require('assert');
const vscode = require('vscode');
const { open, waitFor } = require('./helpers');

const C = vscode.CompletionItemKind;
const insert = (t) => (typeof t === 'string' ? t : `snippet ${t.value}`);
/** The items at a position as `[label, kind, detail, insert text]`, once the server answers. */
async function items(doc, line, character) {
  const list = await waitFor('completions', () => vscode.commands.executeCommand('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(line, character))
    .then((l) => l?.items.length && l));
  return list.items.map((i) => [i.label, i.kind, i.detail, insert(i.insertText)]);
}

module.exports = [
  ['at the start of a line: blocks first, layer kinds with their placeholders, aliases, statement keywords', async () => {
    const doc = await open('fixtures/editor.net');
    const got = await items(doc, 15, 0);
    const byLabel = new Map(got.map((i) => [i[0], i]));
    assert.deepStrictEqual(got.slice(0, 2), [
      ['unit', C.Module, 'block unit(c, s=…)', 'snippet unit(${1:c})'],
      ['conv', C.Class, 'convolution (standard or grouped)', 'snippet conv ${1:C_out}'],
    ]);
    assert.deepStrictEqual(['dwconv', 'depthwise', 'block', 'repeat'].map((l) => byLabel.get(l)), [
      ['dwconv', C.Class, 'depthwise convolution (groups = C_in)', 'dwconv'],
      ['depthwise', C.Class, 'alias of dwconv: depthwise convolution (groups = C_in)', 'depthwise'],
      ['block', C.Keyword, undefined, 'block'],
      ['repeat', C.Keyword, undefined, 'repeat'],
    ]);
  }],
  ['after `from `: the names in scope, the nearest first, with their shapes', async () => {
    const doc = await open('fixtures/editor.net');
    assert.deepStrictEqual(await items(doc, 13, 26), [ // head: conv width k=1 from |stem
      ['stages', C.Reference, '16x32x32', 'stages'],
      ['stem', C.Reference, '16x32x32', 'stem'],
      ['img', C.Reference, 'input 3x32x32', 'img'],
    ]);
    assert.deepStrictEqual(await items(doc, 6, 11), [ // in the block body: add from |a, b
      ['b', C.Reference, undefined, 'b'],
      ['a', C.Reference, undefined, 'a'],
      ['in', C.Reference, "the block's input", 'in'],
    ]);
  }],
  ["in a conv's arguments: the options not given yet", async () => {
    const doc = await open('fixtures/editor.net');
    assert.deepStrictEqual(await items(doc, 13, 21), [ // head: conv width k=1 |from stem
      ['s=', C.Property, 'stride', 's='],
      ['p=', C.Property, 'padding per side, or `same` / `valid` (default 0)', 'p='],
      ['d=', C.Property, 'dilation', 'd='],
      ['g=', C.Property, 'groups', 'g='],
      ['bias=', C.Property, 'adds a bias (default true; false when `| bn` follows on the line)', 'bias='],
    ]);
  }],
];
