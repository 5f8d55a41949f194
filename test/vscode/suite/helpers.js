// Shared helpers of the extension tests (they run in VS Code's extension host).
const { execFileSync } = require('child_process');
const path = require('path');
const vscode = require('vscode');

const REPO = path.resolve(__dirname, '../../..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value (activation and the first answers are asynchronous). */
async function waitFor(what, fn, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The workspace folder: a temporary copy of examples/, with the fixtures in fixtures/. */
const wsPath = (...parts) => path.join(vscode.workspace.workspaceFolders[0].uri.fsPath, ...parts);

/** Opens a file of the workspace in an editor (which activates the extension). */
async function open(rel) {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(wsPath(rel)));
  await vscode.window.showTextDocument(doc);
  if (doc.languageId !== 'netcost') throw new Error(`${rel} opened as ${doc.languageId}, not netcost`);
  return doc;
}

const text = (v) => (v === undefined ? undefined : typeof v === 'string' ? v : Array.isArray(v) ? v.map((p) => p.value).join('') : v.value);

/**
 * The document's inlay hints as plain data, polled until `until` accepts them; after `timeoutMs` the
 * last answer is returned as it is, so the caller's assertion shows what came instead.
 */
async function hints(doc, until = (hs) => hs.length > 0, timeoutMs = 10000) {
  const range = new vscode.Range(0, 0, doc.lineCount, 0);
  for (const end = Date.now() + timeoutMs; ; await sleep(100)) {
    const hs = (await vscode.commands.executeCommand('vscode.executeInlayHintProvider', doc.uri, range)) || [];
    const plain = hs.map((h) => ({ line: h.position.line, character: h.position.character, label: text(h.label), tooltip: text(h.tooltip) }));
    if (until(plain) || Date.now() > end) return plain;
  }
}

/** The document's diagnostics, polled like hints(): published after a debounce. */
async function diagnostics(doc, until = (ds) => ds.length > 0, timeoutMs = 10000) {
  for (const end = Date.now() + timeoutMs; ; await sleep(100)) {
    const ds = vscode.languages.getDiagnostics(doc.uri);
    if (until(ds) || Date.now() > end) return ds;
  }
}

/** The hover texts at a position, joined. */
async function hoverText(doc, line, character) {
  return waitFor('a hover', async () => {
    const hs = (await vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, character))) || [];
    return hs.flatMap((h) => h.contents.map(text)).join('\n');
  });
}

/** The output of the repo's CLI (`netcost ARGS`) run in the workspace folder; ELECTRON_RUN_AS_NODE for desktop VS Code. */
const netcost = (...args) => execFileSync(process.execPath, [path.join(REPO, 'dist/cli.js'), ...args], {
  cwd: wsPath(), encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
});

/** The CLI's JSON report of a file (`netcost FILE --json`). */
const cli = (file) => JSON.parse(netcost(file, '--json'));

/** A range as `[start line, start character, end line, end character]`. */
const span = (r) => [r.start.line, r.start.character, r.end.line, r.end.character];

/** Reverts the document's unsaved edits (through its editor). */
async function revert(doc) {
  await vscode.window.showTextDocument(doc);
  await vscode.commands.executeCommand('workbench.action.files.revert');
}

/** Sets a `netcost.*` setting in the workspace; `undefined` removes it. */
const setSetting = (key, value) => vscode.workspace.getConfiguration('netcost').update(key, value, vscode.ConfigurationTarget.Workspace);

module.exports = { REPO, waitFor, wsPath, open, hints, diagnostics, hoverText, netcost, cli, span, revert, setSetting };
