// The NetCost: Show Cost Report command: a read-only `netcost-report:` document beside the source,
// whose text is the CLI's table for the file (`netcost resnet50.net`, run in the workspace folder).
const assert = require('assert');
const vscode = require('vscode');
const { open, waitFor, netcost } = require('./helpers');

module.exports = [
  ['netcost.showReport opens the cost report of the active file: the CLI table', async () => {
    const doc = await open('resnet50.net');
    await vscode.commands.executeCommand('netcost.showReport');
    const report = await waitFor('the report', () => vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'netcost-report' && d.uri.query === doc.uri.toString()));
    try {
      assert.strictEqual(report.uri.path, '/resnet50.net (cost report)');
      const text = report.getText();
      assert.ok(text.startsWith('resnet50.net: batch 1, fp32\n'), text.slice(0, 100));
      assert.ok(text.includes('\nparams      25,530,472 (inference, BN folded); 25,557,032 as training counts them (BN gamma and beta)\n'), text);
      assert.strictEqual(text, netcost('resnet50.net'));
      assert.strictEqual(vscode.window.activeTextEditor.document, doc, 'the report opens beside the source, which keeps the focus');
    } finally {
      const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input?.uri?.scheme === 'netcost-report');
      await vscode.window.tabGroups.close(tabs);
    }
  }],
];
