// "NetCost: Measure Latency (ONNX Runtime, CPU)" in VS Code on fixtures/measure.net (conv | bn | relu,
// global pool, fc): the command runs `netcost measure` in a child process (the repository's
// onnxruntime-node, found by module resolution from dist/cli.js), reports its stages in a progress
// notification, and the hovers then show the measured times next to the estimates ("measured before
// the last edit" after an edit). With `netcost.measure.onnxruntimePath` naming a directory without
// ONNX Runtime the CLI exits 3 and the error message says how to get it, with an Install button; a
// dirty document is measured only after the user's "Save and measure". An ONNX model is measured from
// its listing, and its hovers name the kernels ONNX Runtime fused. Notifications are stubbed
// (window.show*Message, window.withProgress) to read what the command shows; the command resolves with
// its result ({ status, exitCode, message }).
const assert = require('assert');
const fs = require('fs');
const vscode = require('vscode');
const { open, hoverText, waitFor, wsPath, revert, setSetting } = require('./helpers');

const FILE = 'fixtures/measure.net';
const MEASURE = 'netcost.measureLatency';

/** Runs `f` with window[name] replaced by `stub`; the calls it got. */
async function withStub(name, stub, f) {
  const original = vscode.window[name];
  const calls = [];
  vscode.window[name] = (...args) => { calls.push(args); return stub(original, ...args); };
  try {
    await f();
  } finally {
    vscode.window[name] = original;
  }
  return calls;
}

/** The measure command with a few runs, its progress messages and information messages recorded. */
async function measure() {
  const progress = [];
  let result;
  await setSetting('measure.runs', 3);
  try {
    const infos = await withStub('showInformationMessage', async () => undefined, () =>
      withStub('withProgress', (original, options, task) => original(options, (p, token) => task({ report: (v) => { progress.push(v.message); p.report(v); } }, token)), async () => {
        result = await vscode.commands.executeCommand(MEASURE);
      }));
    return { result, progress, infos: infos.map((c) => c[0]) };
  } finally {
    await setSetting('measure.runs', undefined);
  }
}

module.exports = [
  ['Measure Latency runs ONNX Runtime on the active .net file with a progress notification; hovers then show measured against estimated times', async () => {
    const doc = await open(FILE);
    await hoverText(doc, 5, 7); // the server has the document
    const { result, progress, infos } = await measure();
    assert.strictEqual(result.status, 'measured', JSON.stringify(result));
    assert.strictEqual(result.exitCode, 0);
    assert.ok(progress.length > 0 && progress.every((m) => typeof m === 'string' && m.length > 0), JSON.stringify(progress));
    const m = result.measurement;
    assert.strictEqual(m.runs, 3);
    assert.strictEqual(m.runtime.version, '1.30.0');
    assert.deepStrictEqual(m.layers.map((l) => l.name), ['feat.conv', 'feat.bn', 'feat', 'pool', 'head']);
    assert.ok(infos.some((t) => /^NetCost: measure\.net: .+ median \(p90 .+\), .+ samples\/s at batch 1 with ONNX Runtime 1\.30\.0 on the CPU; estimate .+ on \S+\. Hover a layer/.test(t)), JSON.stringify(infos));

    // a layer: measured next to its estimate; the input line: the network's median, p90 and throughput
    const head = await waitFor('the measured time in the hover of head', async () => {
      const md = await hoverText(doc, 5, 7);
      return md.includes('**measured**') && md;
    });
    assert.match(head, /\n\*\*measured\*\* \S+ \S+ \(ONNX Runtime 1\.30\.0, CPU, [^;]+; estimate \S+ \S+ on \S+(, ×\d+\.\d\d)?\)/);
    const input = await hoverText(doc, 2, 7);
    assert.match(input, /\*\*measured\*\* with ONNX Runtime 1\.30\.0, CPU, .* · batch 1 · 3 runs\n\n- \*\*latency\*\* median .+, p90 .+; estimate .+ on \S+/);
    assert.match(input, /- \*\*throughput\*\* \S+ samples\/s at batch 1/);
    assert.ok(!input.includes('measured before the last edit'), input);

    // an edit: the hovers say the figures are from before it
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(doc.lineCount, 0), '# an edit after the measurement\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    try {
      await waitFor('the stale note', async () => (await hoverText(doc, 5, 7)).includes('measured before the last edit'));
    } finally {
      await revert(doc);
    }
    // reverted: the text is the measured one again
    await waitFor('the stale note gone', async () => !(await hoverText(doc, 5, 7)).includes('measured before the last edit'));
    // a restarted server gets the measurement again with the document: the hovers keep it, current (the text is the measured one)
    await vscode.commands.executeCommand('netcost.restartServer');
    const after = await waitFor('the measured time after a server restart', async () => {
      const md = await hoverText(doc, 5, 7).catch(() => '');
      return /\*\*measured\*\* /.test(md) && md;
    });
    assert.ok(!after.includes('measured before the last edit'), after);
  }],
  ['on an ONNX model\'s listing (fixtures/resnet18-opset13.onnx, weights stripped): the model is measured, its Conv+ReLU kernels show as fused in the hovers', async () => {
    const model = vscode.Uri.file(wsPath('fixtures/resnet18-opset13.onnx'));
    await vscode.commands.executeCommand('vscode.open', model);
    const doc = (await waitFor('the listing', () => {
      const e = vscode.window.activeTextEditor;
      return e && e.document.uri.scheme === 'netcost-onnx' && e.document.uri.path === `${model.path}.net` && e;
    })).document;
    try {
      await hoverText(doc, 0, 0).catch(() => ''); // the server has the listing
      const { result } = await measure();
      assert.strictEqual(result.status, 'measured', JSON.stringify(result));
      const m = result.measurement;
      assert.strictEqual(m.file, model.fsPath);
      assert.ok(m.notes.some((n) => /pseudo-random weights/.test(n)), JSON.stringify(m.notes));
      // the first conv: ONNX Runtime fuses it with its ReLU
      const conv = m.layers[0];
      assert.deepStrictEqual([conv.name, conv.op], ['conv1_Conv', 'Conv']);
      const kernel = m.nodes.find((n) => n.name === conv.node);
      assert.strictEqual(kernel.kind, 'fused');
      const md = await waitFor('the measured time in the hover of conv1', async () => {
        const text = await hoverText(doc, conv.line, doc.lineAt(conv.line).text.indexOf(': conv ') + 3);
        return text.includes('**measured**') && text;
      });
      assert.ok(md.startsWith('**conv1_Conv** · `Conv`'), md);
      assert.ok(md.includes(`\n- fused by ONNX Runtime: kernel \`${kernel.name}\` (\`${kernel.opType}\`) also computes \`relu_Relu\`; the kernel takes `), md);
    } finally {
      const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input && t.input.uri && t.input.uri.scheme === 'netcost-onnx');
      if (tabs.length) await vscode.window.tabGroups.close(tabs);
    }
  }],
  ['the notification\'s Cancel kills the measurement: the command ends as cancelled and the hovers keep what they had', async () => {
    const doc = await open(FILE);
    let result;
    let options;
    const source = new vscode.CancellationTokenSource();
    await withStub('withProgress', (original, o, task) => {
      options = o;
      // the user clicks Cancel at the first stage the CLI reports
      return original(o, (p) => task({ report: (v) => { p.report(v); source.cancel(); } }, source.token));
    }, async () => {
      result = await vscode.commands.executeCommand(MEASURE);
    });
    assert.strictEqual(options.cancellable, true);
    assert.strictEqual(options.location, vscode.ProgressLocation.Notification);
    assert.strictEqual(options.title, 'NetCost: measuring measure.net with ONNX Runtime');
    assert.strictEqual(result.status, 'cancelled', JSON.stringify(result));
    // the first test's measurement is still shown, current again since its edit was reverted
    const md = await hoverText(doc, 5, 7);
    assert.ok(md.includes('**measured**') && !md.includes('measured before the last edit'), md);
  }],
  ['with netcost.measure.onnxruntimePath naming a directory without ONNX Runtime: exit 3, an error message that says how to get it, and an Install button', async () => {
    const doc = await open(FILE);
    const missing = wsPath('no-onnxruntime-here');
    assert.ok(!fs.existsSync(missing));
    let result;
    await setSetting('measure.onnxruntimePath', missing);
    try {
      const errors = await withStub('showErrorMessage', async () => undefined, async () => {
        result = await vscode.commands.executeCommand(MEASURE);
      });
      assert.deepStrictEqual([result.status, result.exitCode], ['failed', 3], JSON.stringify(result));
      assert.strictEqual(errors.length, 1, JSON.stringify(errors));
      const [message, ...buttons] = errors[0];
      assert.strictEqual(message, result.message);
      assert.match(message, /^NetCost: ONNX Runtime is not installed\./);
      assert.match(message, /npm install onnxruntime-node@1\.30\.0/);
      assert.match(message, /NetCost: Install ONNX Runtime/);
      assert.ok(message.includes(missing), `names where it looked: ${message}`);
      assert.deepStrictEqual(buttons, ['Install ONNX Runtime', 'Open Settings']);
    } finally {
      await setSetting('measure.onnxruntimePath', undefined);
    }
    assert.strictEqual(doc.isDirty, false);
  }],
  ['a .net file with unsaved changes is measured only after "Save and measure": dismissed, nothing is saved or run', async () => {
    const doc = await open(FILE);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(doc.lineCount, 0), '# unsaved\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    try {
      let result;
      const asked = await withStub('showWarningMessage', async () => undefined, async () => {
        result = await vscode.commands.executeCommand(MEASURE);
      });
      assert.strictEqual(asked.length, 1);
      assert.match(asked[0][0], /^measure\.net has unsaved changes\. NetCost measures the file on disk\.$/);
      assert.deepStrictEqual(asked[0].slice(1), [{ modal: true }, 'Save and measure']);
      assert.deepStrictEqual(result, { status: 'cancelled' });
      assert.strictEqual(doc.isDirty, true, 'not saved');
      assert.ok(!fs.readFileSync(wsPath(FILE), 'utf8').includes('# unsaved'));
    } finally {
      await revert(doc);
    }
  }],
  ['NetCost: Install ONNX Runtime without npm on the PATH: an error message with the steps to install it by hand', async () => {
    const PATH = process.env.PATH; // the extension host's environment, which the command's npm child inherits
    let installed;
    process.env.PATH = '';
    try {
      const errors = await withStub('showErrorMessage', async () => undefined, async () => {
        installed = await vscode.commands.executeCommand('netcost.installOnnxRuntime');
      });
      assert.strictEqual(installed, false);
      assert.strictEqual(errors.length, 1, JSON.stringify(errors));
      assert.match(errors[0][0], /^NetCost: npm is not on the PATH, so ONNX Runtime cannot be installed from here\. Install it by hand: `npm install onnxruntime-node@1\.30\.0 --ignore-scripts` in any folder, then set netcost\.measure\.onnxruntimePath to the node_modules\/onnxruntime-node directory it made\.$/);
      assert.deepStrictEqual(errors[0].slice(1), ['Open Settings']);
    } finally {
      process.env.PATH = PATH;
    }
  }],
];
