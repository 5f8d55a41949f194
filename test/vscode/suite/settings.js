// Settings and edits take effect without a reload: hint content and an edit (fixtures/worked.net), a
// rule's severity (fixtures/lint.net).
const assert = require('assert');
const vscode = require('vscode');
const { open, hints, diagnostics, revert, setSetting } = require('./helpers');

const labels = (hs) => hs.map((h) => [h.line, h.label]);
const DEFAULT = [
  [2, 'total: 944M MACs · 75.3K params'],
  [3, '24x112x112 · 19.3M MACs · 1.56K params'],
  [4, '128x112x112 · 925M MACs · 73.7K params'],
];
const same = (want) => (hs) => JSON.stringify(labels(hs)) === JSON.stringify(want);

module.exports = [
  ['netcost.inlayHints.content changes the hint labels at once, and back', async () => {
    const doc = await open('fixtures/worked.net');
    assert.deepStrictEqual(labels(await hints(doc)), DEFAULT);
    const flopsMemory = [[2, 'total: 1.89G FLOPs · 14.4 MB moved'], [3, '38.8M FLOPs · 4.42 MB moved'], [4, '1.85G FLOPs · 9.93 MB moved']];
    try {
      await setSetting('inlayHints.content', ['flops', 'memory']);
      assert.deepStrictEqual(labels(await hints(doc, same(flopsMemory))), flopsMemory);
    } finally {
      await setSetting('inlayHints.content', undefined);
    }
    assert.deepStrictEqual(labels(await hints(doc, same(DEFAULT))), DEFAULT);
  }],
  ['an edit of one channel count updates the hint of that line and the total', async () => {
    const doc = await open('fixtures/worked.net');
    assert.deepStrictEqual(labels(await hints(doc)), DEFAULT);
    const channels = new vscode.Range(4, 5, 4, 8); // `128` in `conv 128 k=3 p=1 bias=false from img`
    assert.strictEqual(doc.getText(channels), '128');
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, channels, '64');
    assert.ok(await vscode.workspace.applyEdit(edit));
    try {
      const edited = [[2, 'total: 482M MACs · 38.4K params'], DEFAULT[1], [4, '64x112x112 · 462M MACs · 36.9K params']];
      const got = await hints(doc, same(edited));
      assert.deepStrictEqual(labels(got), edited);
      assert.strictEqual(got[2].character, 'conv 64 k=3 p=1 bias=false from img'.length); // at the end of the shorter line
    } finally {
      await revert(doc);
    }
    assert.deepStrictEqual(labels(await hints(doc, same(DEFAULT))), DEFAULT);
  }],
  ['netcost.rules.channel-multiple: `warning` raises the severity, `off` hides the finding, and back', async () => {
    const doc = await open('fixtures/lint.net');
    const severity = ['error', 'warning', 'info', 'hint']; // by vscode.DiagnosticSeverity
    const codes = (ds) => ds.map((d) => `${d.code.value} ${severity[d.severity]}`);
    const until = (want) => (ds) => JSON.stringify(codes(ds)) === JSON.stringify(want);
    const before = ['missing-value error', 'g1-unbalanced-pointwise info', 'channel-multiple info'];
    assert.deepStrictEqual(codes(await diagnostics(doc)), before);
    try {
      await setSetting('rules.channel-multiple', 'warning');
      const warning = ['missing-value error', 'g1-unbalanced-pointwise info', 'channel-multiple warning'];
      assert.deepStrictEqual(codes(await diagnostics(doc, until(warning))), warning);
      await setSetting('rules.channel-multiple', 'off');
      const off = ['missing-value error', 'g1-unbalanced-pointwise info'];
      assert.deepStrictEqual(codes(await diagnostics(doc, until(off))), off);
    } finally {
      await setSetting('rules.channel-multiple', undefined);
    }
    assert.deepStrictEqual(codes(await diagnostics(doc, until(before))), before);
  }],
];
