// Quick fixes for lint findings (fixtures/fixes.net): the fixes offered for a diagnostic's range,
// the preferred one applied through a WorkspaceEdit, the finding gone; then the file is reverted.
const assert = require('assert');
const vscode = require('vscode');
const { open, diagnostics, span, revert } = require('./helpers');

const findings = (ds, code) => ds.filter((d) => d.code.value === code);

/** Applies the preferred quick fix of the `code` diagnostic; checks the fixes offered, the edits and the result. */
async function fix(code, offered, edits, line, fixed) {
  const doc = await open('fixtures/fixes.net');
  const [d] = findings(await diagnostics(doc, (ds) => findings(ds, code).length), code);
  const actions = await vscode.commands.executeCommand('vscode.executeCodeActionProvider', doc.uri, d.range, vscode.CodeActionKind.QuickFix.value);
  assert.deepStrictEqual(actions.map((a) => [a.title, a.kind.value, a.isPreferred]), offered);
  const preferred = actions.find((a) => a.isPreferred);
  assert.deepStrictEqual(preferred.edit.get(doc.uri).map((e) => [...span(e.range), e.newText]), edits);
  assert.ok(await vscode.workspace.applyEdit(preferred.edit));
  try {
    assert.strictEqual(doc.lineAt(line).text, fixed);
    assert.deepStrictEqual(findings(await diagnostics(doc, (ds) => !findings(ds, code).length), code), []);
  } finally {
    await revert(doc);
  }
  assert.strictEqual(findings(await diagnostics(doc, (ds) => findings(ds, code).length), code).length, 1, `${code} is back after the revert`);
}

module.exports = [
  ['channel-multiple: the preferred fix rounds the width up to the multiple, and the finding goes', () => fix('channel-multiple', [
    ['Round 20 up to 24, a multiple of 8', 'quickfix', true], // the default target, NVIDIA T4, computes in multiples of 8
    ['Ignore `channel-multiple` on this line', 'quickfix', false],
  ], [[2, 5, 2, 7, '24']], 2, 'conv 24 k=1')],
  ['unfoldable-batchnorm: the preferred fix moves the bn before the relu, and the warning goes', () => fix('unfoldable-batchnorm', [
    ['Move the batch norm before the relu so it folds into the conv', 'quickfix', true],
    ['Ignore `unfoldable-batchnorm` on this line', 'quickfix', false],
  ], [[3, 18, 3, 22, 'bn'], [3, 25, 3, 27, 'relu']], 3, 'conv 64 k=3 p=1 | bn | relu')],
];
