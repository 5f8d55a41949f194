// Robustness in real VS Code (issue 8): "NetCost: Restart Language Server" starts a new server and the
// hints come back; a broken .onnx file opened as a user does (vscode.open) gives an error diagnostic
// and crashes nothing; 100 edits sent as WorkspaceEdits without awaiting each end with the hints the
// CLI gives for the final text.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const vscode = require('vscode');
const { wsPath, open, hints, diagnostics, waitFor, cli } = require('./helpers');
const { human } = require('./units');

/** The extension's API (activate()'s answer). */
const api = async () => {
  const ext = vscode.extensions.getExtension('netcost.netcost');
  return ext.isActive ? ext.exports : ext.activate();
};
const labels = (hs) => hs.map((h) => [h.line, h.label]);
const same = (want) => (hs) => JSON.stringify(labels(hs)) === JSON.stringify(want);

/** [line, label] of the hints the CLI's report of `text` implies: the total on the input line, one per top-level statement. */
function expectedHints(text, report) {
  const lines = text.split(/\r?\n/);
  const out = [[lines.findIndex((l) => /^\s*input\b/.test(l)), `total: ${human(report.totals.macs)} MACs · ${human(report.totals.params)} params`]];
  const statements = new Map(); // JSON lines are 1-based: the top-level line that built the layer
  for (const l of report.layers) {
    const s = statements.get(l.line) || { macs: 0, params: 0 };
    s.macs += l.macs; s.params += l.params; s.shape = l.outputShape.slice(1);
    statements.set(l.line, s);
  }
  for (const [line1, s] of statements) out.push([line1 - 1, `${s.shape.join('x')} · ${human(s.macs)} MACs · ${human(s.params)} params`]);
  return out;
}

/** mulberry32: the seeded PRNG of the edits (the same seed, the same edits). */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}

const EDITED = 'robust-edits.net';
const EMOJI = ['🧠', '🚀', '😀', '🔥'];
const START = ['# robustness: edited 100 times without waiting 🚀', 'input x: 3 x 64 x 64',
  ...Array.from({ length: 12 }, (_, i) => `l${String(i).padStart(2, '0')}: conv ${16 * (1 + (i % 4))} k=3 p=1 | relu   # layer ${i % 10} 🧠`)].join('\n') + '\n';

/**
 * One random edit: a new two-digit channel count, a kernel of 1 or 3, another emoji in a comment (a
 * surrogate pair replaced), or a comment line appended past the end of the document (VS Code clamps
 * it to the end). Each keeps every other edit's position, so the text stays a valid network whatever
 * order the edits land in. [line, character, end line, end character, text]
 */
function randomEdit(r) {
  const line = 2 + r.int(12);
  const kind = r.int(4);
  if (kind === 0) return [line, 10, line, 12, String(8 * (2 + r.int(11)))]; // `l07: conv 64 k=3 p=1 | relu   # layer 7 🧠`
  if (kind === 1) return [line, 15, line, 16, r.next() < 0.5 ? '1' : '3'];
  if (kind === 2) return [line, 40, line, 42, EMOJI[r.int(EMOJI.length)]];
  return [10_000, 0, 10_000, 0, `# note ${r.int(100)} ${EMOJI[r.int(EMOJI.length)]}\n`];
}

module.exports = [
  ['NetCost: Restart Language Server starts a new server; the hints come back', async () => {
    const doc = await open('fixtures/worked.net');
    const before = await hints(doc);
    assert.ok(before.length > 0);
    const netcost = await api();
    const starts = netcost.serverStarts();
    assert.ok(starts >= 1, `started ${starts} times`);
    await vscode.commands.executeCommand('netcost.restartServer');
    assert.strictEqual(netcost.serverStarts(), starts + 1, 'one more start');
    assert.deepStrictEqual(labels(await hints(doc, same(labels(before)))), labels(before));
    assert.ok(await waitFor('the status bar after the restart', () => netcost.statusBar().visible && netcost.statusBar().text));
  }],
  ['a broken .onnx file opened with vscode.open: an error diagnostic on its listing, no crash', async () => {
    const rel = 'fixtures/robust-broken.onnx';
    const file = wsPath(rel);
    fs.writeFileSync(file, fs.readFileSync(wsPath('fixtures/resnet18-opset9.onnx')).subarray(0, 8000)); // cut inside the graph
    const netcost = await api();
    const starts = netcost.serverStarts();
    const model = vscode.Uri.file(file);
    try {
      await vscode.commands.executeCommand('vscode.open', model);
      const editor = await waitFor('the listing of the broken model', () => {
        const e = vscode.window.activeTextEditor;
        return e && e.document.uri.scheme === 'netcost-onnx' && e.document.uri.path === `${model.path}.net` && e;
      });
      const ds = await diagnostics(editor.document, (d) => d.some((x) => x.severity === vscode.DiagnosticSeverity.Error));
      const errors = ds.filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
      assert.ok(errors.some((d) => d.code && d.code.value === 'onnx-truncated'), JSON.stringify(ds.map((d) => [d.code && d.code.value, d.message])));
      // the server is the same process and still answers for a good document
      assert.strictEqual(netcost.serverStarts(), starts, 'no restart: the server did not crash');
      assert.ok((await hints(await open('fixtures/worked.net'))).length > 0);
    } finally {
      const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input && t.input.uri && t.input.uri.scheme === 'netcost-onnx');
      if (tabs.length) await vscode.window.tabGroups.close(tabs);
      fs.rmSync(file, { force: true });
    }
  }],
  ['100 edits applied as WorkspaceEdits without awaiting each: the final hints equal the CLI\'s for the final text', async () => {
    const file = wsPath(EDITED);
    fs.writeFileSync(file, START);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netcost-robust-'));
    const doc = await open(EDITED);
    try {
      assert.deepStrictEqual(labels(await hints(doc)), expectedHints(START, cli(file)));
      const r = prng(0x8);
      const applied = [];
      for (let n = 0; n < 100; n++) {
        const e = randomEdit(r);
        const edit = new vscode.WorkspaceEdit();
        edit.replace(doc.uri, new vscode.Range(e[0], e[1], e[2], e[3]), e[4]);
        applied.push(vscode.workspace.applyEdit(edit)); // not awaited: the next edit goes out at once
      }
      // VS Code may refuse an edit made against a version that changed meanwhile (false): most land
      const landed = (await Promise.all(applied)).filter(Boolean).length;
      assert.ok(landed >= 10 && doc.version > 10, `${landed} edits applied, version ${doc.version}`);
      // the text as the editor holds it after the last edit, read back
      const final = doc.getText();
      const copy = path.join(tmp, 'final.net');
      fs.writeFileSync(copy, final);
      const report = cli(copy);
      assert.deepStrictEqual(report.diagnostics.filter((d) => d.severity === 'error'), []);
      const want = expectedHints(final, report);
      assert.notDeepStrictEqual(want, expectedHints(START, cli(file)), 'the edits changed the figures');
      assert.deepStrictEqual(labels(await hints(doc, same(want))), want);
    } finally {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      fs.rmSync(file, { force: true });
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }],
];
