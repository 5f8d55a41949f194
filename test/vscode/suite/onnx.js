// ONNX models in VS Code: opening fixtures/resnet18-opset9.onnx (a real torchvision export, weights
// stripped; a copy of test/fixtures/onnx/) goes through the custom editor `netcost.onnxModel` to the
// read-only listing (`netcost-onnx:` document, language netcost), whose hints equal the CLI's figures
// (`netcost FILE.onnx --json`) node by node; a hover names the ONNX node; `netcost.onnx.dims` binds a
// symbolic dim (fixtures/bert_encoder-opset11.onnx); "NetCost: Convert ONNX to .net" writes an editable
// `.net` file next to the model and never replaces one without asking.
const assert = require('assert');
const fs = require('fs');
const vscode = require('vscode');
const { wsPath, hints, hoverText, diagnostics, waitFor, cli, netcost, setSetting } = require('./helpers');
const { human } = require('./units');

const MODEL = 'fixtures/resnet18-opset9.onnx';
const CONVERTED = 'fixtures/resnet18-opset9.net';
const BERT = 'fixtures/bert_encoder-opset11.onnx';

/** An ONNX shape as the hints print it: `1x64x112x112`, `?` for an unknown dim, `scalar` for rank 0. */
const shapeText = (shape) => (shape.length ? shape.map((d) => (d < 0 ? '?' : String(d))).join('x') : 'scalar');
const labels = (hs) => hs.map((h) => [h.line, h.label]);

/** [line, label] of the hints the CLI report implies: the total on the input line, one per node at its listing line. */
function expectedHints(doc, report) {
  const input = doc.getText().split(/\r?\n/).findIndex((l) => /^input\s*:/.test(l));
  return [
    [input, `total: ${human(report.totals.macs)} MACs · ${human(report.totals.params)} params`],
    ...report.layers.map((l) => [l.sourceLine - 1, `${shapeText(l.outputShape)} · ${human(l.macs)} MACs · ${human(l.params)} params`]),
  ];
}

/** Opens a model as a user does (`vscode.open`, i.e. a double click): the listing editor becomes active. */
async function openModel(rel) {
  const model = vscode.Uri.file(wsPath(rel));
  await vscode.commands.executeCommand('vscode.open', model);
  const editor = await waitFor(`the listing of ${rel}`, () => {
    const e = vscode.window.activeTextEditor;
    return e && e.document.uri.scheme === 'netcost-onnx' && e.document.uri.path === `${model.path}.net` && e;
  });
  return editor.document;
}

async function closeAll(pred) {
  const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => pred(t.input && t.input.uri));
  if (tabs.length) await vscode.window.tabGroups.close(tabs);
}
const isListing = (uri) => uri && uri.scheme === 'netcost-onnx';
const isConverted = (uri) => uri && uri.scheme === 'file' && uri.fsPath === wsPath(CONVERTED);

/** Runs `f` with window.showWarningMessage answering `answer` (a modal cannot be clicked in tests); the calls it got. */
async function withWarningAnswer(answer, f) {
  const original = vscode.window.showWarningMessage;
  const calls = [];
  vscode.window.showWarningMessage = async (...args) => { calls.push(args); return answer; };
  try {
    assert.strictEqual(vscode.window.showWarningMessage === original, false, 'the stub is in place');
    await f();
  } finally {
    vscode.window.showWarningMessage = original;
  }
  return calls;
}

module.exports = [
  ['opening an .onnx file shows its listing: a netcost-onnx: document, language netcost, read-only, one line per node', async () => {
    const doc = await openModel(MODEL);
    try {
      assert.strictEqual(doc.languageId, 'netcost');
      assert.strictEqual(doc.uri.toString(), `netcost-onnx:${vscode.Uri.file(wsPath(MODEL)).path}.net`);
      const lines = doc.getText().split(/\r?\n/);
      assert.ok(lines[0].startsWith('# NetCost: resnet18-opset9.onnx, read-only.'), lines[0]);
      assert.ok(lines[1].startsWith('# 11.7M params · 1.81G MACs'), lines[1]);
      const report = cli(wsPath(MODEL));
      assert.strictEqual(report.layers.length, 69);
      for (const l of report.layers) assert.ok(lines[l.sourceLine - 1].includes(`# ${l.onnxName} (${l.opType}`), lines[l.sourceLine - 1]);
      // no custom-editor tab is left behind, and the listing is not a dirty, savable file
      assert.strictEqual(doc.isDirty, false);
      const customTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputCustom);
      await waitFor('the custom editor tab to close', () => customTabs().length === 0, 5000).catch(() => undefined);
      assert.deepStrictEqual(customTabs().map((t) => [t.label, t.input.viewType]), [], 'the custom editor closed itself');
    } finally {
      await closeAll(isListing);
    }
  }],
  ['the listing\'s inlay hints equal the CLI\'s per-node figures (shape, MACs, params) and sit where each line\'s code ends, before its comment', async () => {
    const doc = await openModel(MODEL);
    try {
      const report = cli(wsPath(MODEL));
      const hs = await hints(doc, (h) => h.length === report.layers.length + 1);
      assert.deepStrictEqual(labels(hs), expectedHints(doc, report));
      for (const h of hs) assert.strictEqual(h.character, doc.lineAt(h.line).text.replace(/\s*#.*$/, '').length, `line ${h.line}: before the comment`);
      assert.strictEqual(hs[0].label, 'total: 1.81G MACs · 11.7M params');
      const grouped = (n) => n.toLocaleString('en-US');
      assert.ok(hs[1].tooltip.startsWith(`conv1_Conv: ${grouped(report.layers[0].macs)} MACs,`), hs[1].tooltip);
      // the model's own diagnostics: none above information for this clean export
      const ds = await diagnostics(doc, () => true, 0);
      assert.deepStrictEqual(ds.filter((d) => d.severity <= vscode.DiagnosticSeverity.Warning).map((d) => d.message), []);
    } finally {
      await closeAll(isListing);
    }
  }],
  ['a hover on a Conv line of the listing names the ONNX node and shows the formula with its numbers', async () => {
    const doc = await openModel(MODEL);
    try {
      const report = cli(wsPath(MODEL));
      const conv = report.layers.find((l) => l.opType === 'Conv');
      const line = conv.sourceLine - 1;
      const md = await hoverText(doc, line, doc.lineAt(line).text.indexOf(': conv ') + 3);
      assert.ok(md.startsWith(`**${conv.name}** · \`Conv\` · ONNX node ${conv.line} \`${conv.onnxName}\``), md);
      assert.ok(md.includes('K_h x K_w x C_in/g x H_out x W_out x C_out = 7 x 7 x 3 x 112 x 112 x 64 = 118,013,952 MACs'), md);
      assert.strictEqual(conv.macs, 118013952);
    } finally {
      await closeAll(isListing);
    }
  }],
  ['netcost.onnx.dims binds a symbolic dim: the onnx-unbound-dim warning goes and the figures follow, and back', async () => {
    const doc = await openModel(BERT);
    const codes = (ds) => ds.map((d) => d.code && d.code.value).filter((c) => c === 'onnx-unbound-dim');
    const total = (r) => `total: ${human(r.totals.macs)} MACs · ${human(r.totals.params)} params`;
    try {
      const unbound = await diagnostics(doc, (ds) => codes(ds).length > 0);
      assert.deepStrictEqual(codes(unbound), ['onnx-unbound-dim']);
      assert.ok(/'seq'/.test(unbound.find((d) => d.code.value === 'onnx-unbound-dim').message));
      const seq1 = cli(wsPath(BERT));
      assert.strictEqual((await hints(doc))[0].label, total(seq1));
      try {
        await setSetting('onnx.dims', { seq: 128 });
        assert.deepStrictEqual(codes(await diagnostics(doc, (ds) => codes(ds).length === 0)), []);
        const seq128 = JSON.parse(netcost(wsPath(BERT), '--json', '--dim', 'seq=128'));
        const want = total(seq128);
        assert.strictEqual(want, 'total: 3.72G MACs · 28.4M params');
        const hs = await hints(doc, (h) => h.length > 0 && h[0].label === want);
        assert.deepStrictEqual(labels(hs), expectedHints(doc, seq128));
        // the header of the listing follows the settings too
        await waitFor('the listing header at seq=128', () => doc.getText().split('\n')[1].includes('3.72G MACs'));
      } finally {
        await setSetting('onnx.dims', undefined);
      }
      assert.deepStrictEqual(codes(await diagnostics(doc, (ds) => codes(ds).length > 0)), ['onnx-unbound-dim']);
    } finally {
      await closeAll(isListing);
    }
  }],
  ['an open listing follows its model when the file is rewritten on disk (a new export): text and hints are those of the new model', async () => {
    const rel = 'fixtures/reexported.onnx';
    const file = wsPath(rel);
    fs.copyFileSync(wsPath(MODEL), file); // ResNet-18 with its 20 BatchNormalization nodes (69 nodes)
    try {
      const doc = await openModel(rel);
      const before = cli(file);
      assert.strictEqual(before.layers.length, 69);
      assert.deepStrictEqual(labels(await hints(doc, (h) => h.length === 70)), expectedHints(doc, before));
      fs.copyFileSync(wsPath('fixtures/resnet18-opset13.onnx'), file); // the same network exported with BN folded: 49 nodes
      const after = cli(file);
      assert.strictEqual(after.layers.length, 49);
      await waitFor('the listing of the new export', () => doc.getText().includes('# model: reexported.onnx, ir') && doc.lineCount < 60 && doc.getText().split('\n')[1].includes('49 nodes'));
      const hs = await hints(doc, (h) => h.length === 50);
      assert.deepStrictEqual(labels(hs), expectedHints(doc, after));
      for (const h of hs) assert.strictEqual(h.character, doc.lineAt(h.line).text.replace(/\s*#.*$/, '').length, `line ${h.line}: before the comment`);
    } finally {
      await closeAll(isListing);
      fs.rmSync(file, { force: true });
    }
  }],
  ['NetCost: Convert ONNX to .net writes fixtures/resnet18-opset9.net next to the model and opens it; it analyses like the model', async () => {
    const target = wsPath(CONVERTED);
    assert.strictEqual(fs.existsSync(target), false, 'no converted file yet');
    const listing = await openModel(MODEL);
    try {
      await vscode.commands.executeCommand('netcost.convertOnnx');
      const doc = await waitFor('the converted file in the active editor', () => {
        const e = vscode.window.activeTextEditor;
        return e && isConverted(e.document.uri) && e.document;
      });
      assert.ok(fs.existsSync(target));
      const text = fs.readFileSync(target, 'utf8');
      assert.strictEqual(doc.getText(), text);
      assert.strictEqual(doc.languageId, 'netcost');
      assert.strictEqual(doc.isDirty, false);
      // the listing with an editable header
      const [first, ...rest] = text.split('\n');
      assert.ok(first.startsWith('# converted from resnet18-opset9.onnx by NetCost'), first);
      assert.deepStrictEqual(rest, listing.getText().split('\n').slice(1));
      // the .net engine gives it hints, with the model's totals
      const report = cli(target);
      assert.deepStrictEqual(report.diagnostics, []);
      const hs = await hints(doc, (h) => h.length > 1);
      assert.strictEqual(hs.length, report.layers.length + 1);
      assert.strictEqual(hs[0].label, 'total: 1.81G MACs · 11.7M params');
      assert.deepStrictEqual(labels(hs)[0], [doc.getText().split('\n').findIndex((l) => /^input\s*:/.test(l)), `total: ${human(report.totals.macs)} MACs · ${human(report.totals.params)} params`]);
    } finally {
      await closeAll((uri) => isListing(uri) || isConverted(uri));
    }
  }],
  ['converting again when the .net file exists asks first: dismissed, the file is unchanged; "Replace" replaces it', async () => {
    const target = wsPath(CONVERTED);
    try {
      assert.ok(fs.existsSync(target), 'left by the previous test');
      const mine = '# my edits\ninput: 3 x 8 x 8\nconv 8 k=3 p=1\n';
      fs.writeFileSync(target, mine);
      const model = vscode.Uri.file(wsPath(MODEL));
      // dismissed (Escape / Cancel: undefined), from the explorer's context menu (the model's URI as argument)
      const dismissed = await withWarningAnswer(undefined, () => vscode.commands.executeCommand('netcost.convertOnnx', model));
      assert.strictEqual(dismissed.length, 1, 'asked once');
      assert.ok(/resnet18-opset9\.net exists/.test(dismissed[0][0]), dismissed[0][0]);
      assert.deepStrictEqual(dismissed[0][1], { modal: true });
      assert.ok(dismissed[0].includes('Replace'));
      assert.strictEqual(fs.readFileSync(target, 'utf8'), mine, 'the existing file is untouched');
      assert.ok(!vscode.window.visibleTextEditors.some((e) => isConverted(e.document.uri)), 'nothing opened');
      // replaced when the user says so
      const replaced = await withWarningAnswer('Replace', () => vscode.commands.executeCommand('netcost.convertOnnx', model));
      assert.strictEqual(replaced.length, 1);
      const text = fs.readFileSync(target, 'utf8');
      assert.ok(text.startsWith('# converted from resnet18-opset9.onnx by NetCost'), text.slice(0, 100));
      await waitFor('the converted file in the active editor', () => {
        const e = vscode.window.activeTextEditor;
        return e && isConverted(e.document.uri) && e.document.getText() === text;
      });
    } finally {
      await closeAll((uri) => isListing(uri) || isConverted(uri));
      fs.rmSync(target, { force: true });
    }
  }],
];
