// NetCost: Compare with HEAD and `netcost.inlayHints.showDelta`: a file in a git repository, edited
// without saving, against its last commit (a folder of the workspace made a repository for the test).
const assert = require('assert');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const vscode = require('vscode');
const { open, hints, waitFor, wsPath, revert, setSetting } = require('./helpers');

/** compare/worked.net, committed in a fresh repository `compare/` of the workspace */
function repo() {
  const dir = wsPath('compare');
  if (!fs.existsSync(path.join(dir, '.git'))) {
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(wsPath('fixtures/worked.net'), path.join(dir, 'worked.net'));
    const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
    git('init', '-q');
    git('add', 'worked.net');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'worked');
  }
  return 'compare/worked.net';
}

/** conv 128 -> conv 64 on line 5 (0-based 4): half the MACs of the worked example, 924,844,032 / 2 */
async function narrow(doc) {
  const line = doc.lineAt(4).text;
  const at = line.indexOf('128');
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(4, at, 4, at + 3), '64');
  assert.ok(await vscode.workspace.applyEdit(edit));
}

module.exports = [
  ['netcost.compareWithHead opens the compare table of the unsaved edit against the last commit', async () => {
    const doc = await open(repo());
    try {
      await narrow(doc);
      await vscode.commands.executeCommand('netcost.compareWithHead');
      const report = await waitFor('the comparison', () => vscode.workspace.textDocuments.find((d) =>
        d.uri.scheme === 'netcost-report' && d.uri.path.endsWith('(vs HEAD)') && d.uri.query === doc.uri.toString() && /^~ +conv_2 /m.test(d.getText())));
      const text = report.getText();
      assert.match(text, /git:HEAD:worked\.net/);
      assert.match(text, /^~ +conv_2 +conv +925M +462M +-462M /m);
      assert.match(text, /^MACs +944,111,616 -> 481,689,600 +-462,422,016 /m);
    } finally {
      const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input?.uri?.scheme === 'netcost-report');
      await vscode.window.tabGroups.close(tabs);
      await revert(doc);
    }
  }],
  ['netcost.inlayHints.showDelta appends the changed line\'s MACs change against HEAD, and only there', async () => {
    const doc = await open(repo());
    try {
      await setSetting('inlayHints.showDelta', true);
      await narrow(doc);
      const hs = await hints(doc, (h) => h.some((x) => x.line === 4 && x.label.endsWith(' · -462M MACs')));
      assert.strictEqual(hs.find((h) => h.line === 4).label, '64x112x112 · 462M MACs · 36.9K params · -462M MACs');
      assert.ok(hs.filter((h) => h.line !== 4 && h.line !== 2).every((h) => !/ · [+-][\d.]+[KMG]? MACs$/.test(h.label)), JSON.stringify(hs));
    } finally {
      await setSetting('inlayHints.showDelta', undefined);
      await revert(doc);
    }
  }],
];
