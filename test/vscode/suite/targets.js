// The hardware target in VS Code (fixtures/worked.net, two 1x1/3x3 convs): the `latency` hint field
// against the CLI's estimate (`netcost FILE --json --target ID`), the hover's roofline section, the
// status bar (read through the extension's API: its text and the server's summary), and the command
// "NetCost: Select Hardware Target" with window.showQuickPick stubbed to choose a target.
const assert = require('assert');
const vscode = require('vscode');
const { open, hints, hoverText, waitFor, netcost, setSetting } = require('./helpers');
const { human, time } = require('./units');

const FILE = 'fixtures/worked.net';
const report = (target) => JSON.parse(netcost(FILE, '--json', '--target', target));
const labels = (hs) => hs.map((h) => [h.line, h.label]);
const same = (want) => (hs) => JSON.stringify(labels(hs)) === JSON.stringify(want);
/** The extension's API (activate()'s answer): the status bar as shown and the server's summary. */
const api = async () => {
  const ext = vscode.extensions.getExtension('netcost.netcost');
  return ext.isActive ? ext.exports : ext.activate();
};

/** [line, label] of the latency hints the CLI's report implies: each layer's roofline time plus a launch (both layers here launch one). */
function expectedLatency(r) {
  const t = r.target;
  return [[2, `total: ${time(t.seconds)}`], ...r.layers.map((l) => [l.line - 1, time(l.latency.seconds + t.launchOverhead)])];
}

module.exports = [
  ['the `latency` hint field: each line\'s estimated time on the target and the network\'s on the total, as the CLI estimates them', async () => {
    const doc = await open(FILE);
    const want = expectedLatency(report('t4'));
    assert.deepStrictEqual(want, [[2, 'total: 252 us'], [3, '18.8 us'], [4, '233 us']]);
    try {
      await setSetting('inlayHints.content', ['latency']);
      const got = await hints(doc, same(want));
      assert.deepStrictEqual(labels(got), want);
      assert.match(got[0].tooltip, /; estimated latency 252 us on NVIDIA T4, 3\.97K samples\/s at batch 1$/);
    } finally {
      await setSetting('inlayHints.content', undefined);
    }
  }],
  ['a layer hover shows the roofline on the target: bound, attainable FLOP/s, time and share', async () => {
    const doc = await open(FILE);
    const md = await hoverText(doc, 4, 2);
    const lines = md.split('\n');
    assert.ok(lines.includes('**on NVIDIA T4** (fp32: peak 8.10 TFLOP/s, 320 GB/s)'), md);
    // 1,849,688,064 FLOPs / 9,928,704 bytes = 186.30 FLOP/byte; ridge 8.1e12 / 320e9 = 25.31
    assert.ok(lines.includes('- **arithmetic intensity** 186.30 FLOP/byte; ridge point 25.31 FLOP/byte: **compute-bound**'), md);
    assert.ok(lines.some((l) => l.startsWith('- **estimated time** 233 us = max(compute 228 us, memory 31.0 us) + 5.00 us launch; 92.5% of the network\'s 252 us')), md);
  }],
  ['the status bar shows the target and its latency; NetCost: Select Hardware Target picks another, and the status bar follows', async () => {
    const doc = await open(FILE);
    const netApi = await api();
    const t4 = report('t4');
    const label = (r, name) => `$(pulse) ${human(r.totals.macs)} MACs · ${human(r.totals.params)} params · ${name} ${time(r.target.seconds)}`;
    await waitFor('the status bar on the T4', () => netApi.statusBar().text === label(t4, 'T4'));
    assert.match(netApi.statusBar().tooltip, /on NVIDIA T4 \(t4\): estimated latency 252 us, 3\.97K samples\/s at batch 1\npeak memory: 9\.93 MB = activations 9\.63 MB \+ weights 301 KB, of the device's 16\.0 GB\n/);
    assert.match(netApi.statusBar().tooltip, /NetCost: Select Hardware Target/);
    const before = await netApi.summary(doc.uri);
    assert.deepStrictEqual([before.target.id, before.target.latencySeconds], ['t4', t4.target.seconds]);

    const original = vscode.window.showQuickPick;
    let offered;
    vscode.window.showQuickPick = async (items) => {
      offered = await items;
      return offered.find((i) => i.id === 'a100');
    };
    try {
      await vscode.commands.executeCommand('netcost.selectTarget');
      assert.ok(offered, 'the command showed a quick pick');
      assert.strictEqual(offered[0].id, 't4', 'the active target comes first');
      assert.match(offered[0].description, /^t4 · gpu · active$/);
      for (const id of ['t4', 'rtx-a4000', 'a100', 'h100', 'orin-nano', 'phone-cpu', 'phone-npu', 'rpi5-cpu', 'nnie']) assert.ok(offered.some((i) => i.id === id), id);
      assert.strictEqual(vscode.workspace.getConfiguration('netcost').inspect('target').workspaceValue, 'a100', 'written to the workspace');
      const a100 = report('a100');
      await waitFor('the status bar on the A100', () => netApi.statusBar().text === label(a100, 'A100 40GB SXM'));
      const after = await netApi.summary(doc.uri);
      assert.deepStrictEqual([after.target.id, after.target.name, after.target.latencySeconds], ['a100', 'NVIDIA A100 40GB SXM', a100.target.seconds]);
      assert.notStrictEqual(after.target.latencySeconds, before.target.latencySeconds);
    } finally {
      vscode.window.showQuickPick = original;
      await setSetting('target', undefined);
    }
    await waitFor('the status bar back on the T4', () => netApi.statusBar().text === label(t4, 'T4'));
  }],
  ['an unknown netcost.target: an unknown-target warning on line 1, and the default target is used', async () => {
    const doc = await open(FILE);
    const has = (ds) => ds.some((d) => d.code.value === 'unknown-target');
    try {
      await setSetting('target', 'tpu-v9');
      const d = await waitFor('the unknown-target warning', () => vscode.languages.getDiagnostics(doc.uri).find((x) => x.code.value === 'unknown-target'));
      assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Warning);
      assert.strictEqual(d.range.start.line, 0);
      assert.match(d.message, /^unknown hardware target `tpu-v9` \(setting netcost\.target\); known: t4, rtx-a4000, a100, .*Using `t4` \(NVIDIA T4\)\.$/);
      assert.strictEqual((await (await api()).summary(doc.uri)).target.id, 't4');
    } finally {
      await setSetting('target', undefined);
    }
    await waitFor('the warning gone', () => !has(vscode.languages.getDiagnostics(doc.uri)));
  }],
];
