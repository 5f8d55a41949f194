// Extension tests in real VS Code (`npm run test:vscode`): VS Code loads this file in its extension
// host (extensionTestsPath) and calls run(); resolving = exit code 0, rejecting = 1. The workspace is a
// temporary copy of examples/ with this folder's fixtures/ in it (test/vscode/run.mjs makes it).
//
// To add tests: write a module in this folder for the area (e.g. symbols.js, completion.js) that
// exports an array of [name, async () => { ... }] with node's `assert`, helpers from ./helpers.js
// (open, hints, diagnostics, hoverText, waitFor, netcost, cli, span, revert, setSetting), fixtures in
// ./fixtures/, and add it to AREAS. Each test gets TIMEOUT_MS; poll for provider answers (activation
// and analysis are asynchronous); restore any setting or edit a test makes (try/finally), as later
// tests use the same files. What only the rendered workbench shows (e.g. a status bar item) is checked in the DOM by
// run-vscode.js ui, called from run.mjs.
const fs = require('fs');

const AREAS = ['hints', 'hover', 'diagnostics', 'settings', 'symbols', 'navigation', 'completion', 'actions', 'report', 'onnx', 'targets', 'robust', 'compare', 'measure'];
const TIMEOUT_MS = 20000;

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs the tests in order: `ok - name` / `not ok - name: error`, then `N passed, N failed`. */
async function runTests(tests) {
  let passed = 0;
  let failed = 0;
  for (const [name, fn] of tests) {
    try {
      await withTimeout(fn(), TIMEOUT_MS);
      passed++;
      console.log(`ok - ${name}`);
    } catch (err) {
      failed++;
      console.log(`not ok - ${name}: ${(err && err.stack) || err}`);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  // run.mjs reads the counts from here (extensionTestsEnv reaches the extension host)
  if (process.env.NETCOST_TEST_RESULTS) fs.writeFileSync(process.env.NETCOST_TEST_RESULTS, JSON.stringify({ passed, failed }));
  if (failed) throw new Error(`${failed} test(s) failed`);
}

exports.run = () => runTests(AREAS.flatMap((area) => require(`./${area}`)));
