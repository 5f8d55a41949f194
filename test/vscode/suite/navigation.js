// Go to definition, find references and rename on fixtures/editor.net (line 10: `stem: conv ...`,
// line 14: `head: conv width k=1 from stem`; line 5: `a:` in the block body, read on line 7).
const assert = require('assert');
const vscode = require('vscode');
const { open, hints, waitFor, span, revert } = require('./helpers');

const at = (line, character) => new vscode.Position(line, character);
/** Locations (or location links) as `[file name, ...range]`. */
const where = (ls) => ls.map((l) => [(l.targetUri ?? l.uri).path.split('/').pop(), ...span(l.targetRange ?? l.range)]);
const ask = (command, doc, ...args) => waitFor(command, () => vscode.commands.executeCommand(command, doc.uri, ...args).then((r) => r?.length && r));

module.exports = [
  ['go to definition from a `from` reference lands on the layer name', async () => {
    const doc = await open('fixtures/editor.net');
    assert.deepStrictEqual(where(await ask('vscode.executeDefinitionProvider', doc, at(13, 27))), [['editor.net', 9, 0, 9, 4]]);
  }],
  ['references of a named layer: its definition and its uses, at the top level and in a block body', async () => {
    const doc = await open('fixtures/editor.net');
    assert.deepStrictEqual(where(await ask('vscode.executeReferenceProvider', doc, at(9, 1))), [['editor.net', 9, 0, 9, 4], ['editor.net', 13, 26, 13, 30]]);
    assert.deepStrictEqual(where(await ask('vscode.executeReferenceProvider', doc, at(4, 2))), [['editor.net', 4, 2, 4, 3], ['editor.net', 6, 11, 6, 12]]);
  }],
  ['rename a layer: the exact edit; applied, the costs stay the same', async () => {
    const doc = await open('fixtures/editor.net');
    const before = await hints(doc);
    const edit = await vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', doc.uri, at(13, 27), 'base');
    const entries = edit.entries();
    assert.deepStrictEqual(entries.map(([uri, edits]) => [uri.toString(), edits.map((e) => [...span(e.range), e.newText])]),
      [[doc.uri.toString(), [[9, 0, 9, 4, 'base'], [13, 26, 13, 30, 'base']]]]);
    assert.ok(await vscode.workspace.applyEdit(edit));
    try {
      assert.deepStrictEqual([doc.lineAt(9).text, doc.lineAt(13).text], ['base: conv width k=3 p=1 | bn | relu', 'head: conv width k=1 from base']);
      // the same figures at the same places; only the tooltip that names the line says `base`
      const renamed = before.map((h) => ({ ...h, tooltip: h.tooltip.replace(/^stem\b/, 'base') }));
      assert.notDeepStrictEqual(renamed, before);
      assert.deepStrictEqual(await hints(doc, (hs) => JSON.stringify(hs) === JSON.stringify(renamed)), renamed);
    } finally {
      await revert(doc);
    }
    assert.deepStrictEqual(await hints(doc, (hs) => JSON.stringify(hs) === JSON.stringify(before)), before);
  }],
  ['a rename to a layer kind is refused with its reason', async () => {
    const doc = await open('fixtures/editor.net');
    await assert.rejects(vscode.commands.executeCommand('vscode.executeDocumentRenameProvider', doc.uri, at(9, 1), 'conv'),
      { message: 'cannot rename `stem` to `conv`: `conv` is a layer kind' });
    assert.strictEqual(doc.isDirty, false);
  }],
];
