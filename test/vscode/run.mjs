// `npm run test:vscode`: the extension in real VS Code (code-server 4.100.3 = VS Code 1.100.3, in
// Debian's Chromium), offline. Installs code-server first when it is missing (install.sh), then
//   (a) the integration tests of suite/ through @vscode/test-electron, pointed at vscode-shim.js
//       (NETCOST_VSCODE_DOWNLOAD=1: a downloaded VS Code 1.100.3 instead, which needs network and a display);
//   (b) a UI check: hints drawn, a lint squiggle, the hover formula, the totals in the status bar;
//       screenshot test-results/vscode.png;
//   (b2) an ONNX model clicked in the explorer opens as its listing, hints and status bar drawn;
//       screenshot test-results/vscode-onnx.png;
//   (c) the packaged extension (`npm run package`) installed from netcost.vsix, without the sources:
//       it activates on an example (its hints and status bar item are drawn); screenshot test-results/vscode-vsix.png.
// Each run uses a fresh temporary copy of examples/ (plus suite/fixtures/ in fixtures/) as workspace.
// Prints `N passed, N failed` per part and exits 1 on any failure.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { runTests } = require('@vscode/test-electron');
const { human, time } = require('./suite/units.js');
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const cache = process.env.NETCOST_VSCODE_CACHE || path.join(os.homedir(), '.cache/netcost-vscode');
const codeServer = process.env.CODE_SERVER || path.join(cache, 'node_modules/.bin/code-server');
const out = path.join(repo, 'test-results');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netcost-vscode-'));
const t0 = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const lastLine = (s) => String(s).trim().split('\n').pop();
/** The line of a failed command's output that says why: its first error, else its last line. */
const reasonOf = (s) => String(s).split('\n').find((l) => /fail|error|time-out|exited|did not/i.test(l))?.trim() || lastLine(s);

/** A fresh workspace: the examples and the suite's fixtures; the repo's files are never touched. */
function workspace(name) {
  const ws = path.join(tmp, name);
  fs.cpSync(path.join(repo, 'examples'), ws, { recursive: true });
  fs.cpSync(path.join(here, 'suite/fixtures'), path.join(ws, 'fixtures'), { recursive: true });
  return ws;
}

/** (a) The extension tests, through @vscode/test-electron's runTests. */
async function integration() {
  const results = path.join(tmp, 'results.json');
  const download = process.env.NETCOST_VSCODE_DOWNLOAD === '1';
  let error = '';
  try {
    await runTests({
      ...(download ? { version: '1.100.3', cachePath: path.join(cache, 'vscode-download') } : { vscodeExecutablePath: path.join(here, 'vscode-shim.js') }),
      extensionDevelopmentPath: repo,
      extensionTestsPath: path.join(here, 'suite/index.js'),
      launchArgs: [workspace('integration'), '--disable-extensions'],
      extensionTestsEnv: { NETCOST_TEST_RESULTS: results },
    });
  } catch (err) {
    error = err.message;
  }
  if (!fs.existsSync(results)) return { passed: 0, failed: 1, why: `the tests did not report their results (${error || 'no error'})` };
  return JSON.parse(fs.readFileSync(results, 'utf8'));
}

/** Runs run-vscode.js ui with `args`, echoes its output, counts its `ok` / `not ok` lines. */
function ui(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(here, 'run-vscode.js'), 'ui', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { stderr += d; process.stderr.write(d); });
    child.on('close', (code) => {
      const passed = (stdout.match(/^ok - /gm) || []).length;
      const failed = (stdout.match(/^not ok - /gm) || []).length;
      if (code !== 0 && failed === 0) resolve({ passed, failed: 1, why: `run-vscode.js exited with ${code}: ${reasonOf(stderr)}` });
      else resolve({ passed, failed });
    });
  });
}

/** The status bar text of a file (`4.09G MACs · 25.5M params · T4 2.13 ms`), from the CLI's JSON report on the default target. */
function statusText(ws, file) {
  const { totals, target } = JSON.parse(spawnSync(process.execPath, [path.join(repo, 'dist/cli.js'), path.join(ws, file), '--json', '--target', 't4'], { encoding: 'utf8' }).stdout);
  return `${human(totals.macs)} MACs · ${human(totals.params)} params · T4 ${time(target.seconds)}`;
}

/** (b) Hints, a lint squiggle, the hover of the cost model's worked example and its totals in the status bar, drawn by VS Code. */
function uiCheck() {
  const ws = workspace('ui');
  const file = 'fixtures/worked.net';
  return ui(['--ext', repo, '--ws', ws, '--file', file, '--out', path.join(out, 'vscode.png'),
    '--hint', '128x112x112 · 925M MACs · 73.7K params', '--squiggle', 'info', '--hover-line', '5',
    '--hover', 'K_h x K_w x C_in/g x H_out x W_out x C_out = 3 x 3 x 64 x 112 x 112 x 128 = 924,844,032 MACs', '--status', statusText(ws, file)]);
}

/** (b2) An ONNX model opened as a user does, by a click in the explorer: the listing with its hints and totals, not binary. */
function onnxCheck() {
  const ws = workspace('onnx');
  const file = 'resnet50.onnx';
  return ui(['--ext', repo, '--ws', ws, '--file', file, '--explorer', '--out', path.join(out, 'vscode-onnx.png'),
    '--hint', 'total: 4.09G MACs · 25.5M params', '--status', statusText(ws, file)]);
}

/** (c) The packaged extension, freshly packaged so that it is the current code, activates on an example. */
async function packaged() {
  const pkg = spawnSync('npm', ['run', 'package'], { cwd: repo, encoding: 'utf8' });
  if (pkg.status !== 0) return { passed: 0, failed: 1, why: `npm run package failed: ${reasonOf(pkg.stderr + pkg.stdout)}` };
  console.log(lastLine(pkg.stdout));
  const ws = workspace('vsix');
  return ui(['--install-vsix', path.join(repo, 'netcost.vsix'), '--ws', ws, '--file', 'resnet50.net',
    '--out', path.join(out, 'vscode-vsix.png'), '--hint', 'total: 4.09G MACs · 25.5M params', '--status', statusText(ws, 'resnet50.net')]);
}

async function main() {
  fs.mkdirSync(out, { recursive: true });
  let setup = '';
  if (!fs.existsSync(codeServer)) {
    console.log(`code-server is not installed at ${codeServer}: running test/vscode/install.sh`);
    const r = spawnSync('bash', [path.join(here, 'install.sh')], { stdio: 'inherit', env: { ...process.env, NETCOST_VSCODE_CACHE: cache } });
    if (r.status !== 0 || !fs.existsSync(codeServer)) setup = `install.sh failed (exit ${r.status}), no code-server at ${codeServer}`;
  }
  const parts = [['integration tests', integration], ['UI check', uiCheck], ['ONNX model from the explorer', onnxCheck], ['packaged extension', packaged]];
  const summary = [];
  let failed = 0;
  for (const [name, part] of parts) {
    const start = Date.now();
    console.log(`\n== ${name}`);
    const r = setup ? { passed: 0, failed: 1, why: setup } : await part();
    console.log(`${name}: ${r.passed} passed, ${r.failed} failed${r.why ? `; could not run: ${r.why}` : ''} (${seconds(start)})`);
    summary.push(`${name} ${r.passed} passed, ${r.failed} failed`);
    failed += r.failed;
  }
  console.log(`\ntest:vscode ${failed ? 'FAILED' : 'passed'}: ${summary.join('; ')} (${seconds(t0)}; screenshots in test-results/)`);
  return failed ? 1 : 0;
}

const code = await main().catch((err) => { console.error(err); return 1; });
fs.rmSync(tmp, { recursive: true, force: true });
process.exit(code);
