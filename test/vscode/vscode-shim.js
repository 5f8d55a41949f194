#!/usr/bin/env node
// Stand-in "VS Code executable" for @vscode/test-electron 2.x:
//   runTests({ vscodeExecutablePath: '<this file>', extensionDevelopmentPath, extensionTestsPath, launchArgs: [workspace] })
// It maps the Electron-style arguments onto `run-vscode.js test` (code-server + Chromium) and
// exits with the tests' exit code. Other flags (--no-sandbox, --user-data-dir=..., ...) are ignored.
// From the team's real-VS-Code example (shared/examples/real-vscode); used by test/vscode/run.mjs.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const args = process.argv.slice(2);
const value = (name) => args.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));
const [ext, ...moreExt] = value('extensionDevelopmentPath');
const [tests] = value('extensionTestsPath');
if (!ext || !tests) {
  console.error('vscode-shim: needs --extensionDevelopmentPath= and --extensionTestsPath=');
  process.exit(2);
}
if (moreExt.length) console.error('vscode-shim: only the first --extensionDevelopmentPath is loaded');
// Workspace = first positional argument (from launchArgs); else an empty temporary folder.
const given = args.find((a) => !a.startsWith('-'));
const ws = given || fs.mkdtempSync(path.join(os.tmpdir(), 'vscode-e2e-ws-'));

const child = spawn(process.execPath, [path.join(__dirname, 'run-vscode.js'), 'test', '--ext', ext, '--tests', tests, '--ws', ws], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig)); // driver cleans up
child.on('exit', (code, signal) => {
  if (!given) fs.rmSync(ws, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
