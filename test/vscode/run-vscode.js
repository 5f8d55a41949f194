#!/usr/bin/env node
// Runs the extension in real VS Code (code-server 4.100.3 = VS Code 1.100.3) inside Debian's Chromium,
// driven by playwright-core, offline. Adapted from the team's real-VS-Code example (shared/examples/real-vscode).
//   node run-vscode.js test --ext DIR --tests FILE --ws DIR         exit code = the extension tests' exit code
//   node run-vscode.js ui --ext DIR --ws DIR --file FILE --out PNG   exit 0 if every requested check passed
//        [--hint TEXT] [--squiggle error|warning|info] [--hover-line N [--hover TEXT]] [--status TEXT]
//        [--explorer]: open FILE by clicking it in the explorer, as a user does (custom editors apply)
//   node run-vscode.js ui --install-vsix FILE --ws DIR --file FILE --out PNG [checks]
//        installs the packaged extension first and runs without --ext (as a user would have it)
// Options: --timeout S (whole run, default 180, then exit 124), --verbose (all workbench logs), --keep (keep temp dir)
// Env: CODE_SERVER (default: the cache of install.sh), CHROMIUM (default /usr/bin/chromium)
'use strict';
const { spawn, spawnSync } = require('child_process');
const [fs, http, net, os, path, util] = ['fs', 'http', 'net', 'os', 'path', 'util'].map(require);
const { chromium } = require('playwright-core');

const [mode, ...argv] = process.argv.slice(2);
const opt = {};
for (let i = 0; i < argv.length; i++) {
  const k = argv[i].replace(/^--/, '');
  opt[k] = k === 'verbose' || k === 'keep' || k === 'explorer' ? true : argv[++i];
}
const need = { test: ['ext', 'tests', 'ws'], ui: [opt['install-vsix'] ? 'install-vsix' : 'ext', 'ws', 'file', 'out'] }[mode];
if (!need || need.some((k) => !opt[k])) {
  console.error('usage: run-vscode.js test --ext DIR --tests FILE --ws DIR | ui (--ext DIR | --install-vsix FILE) --ws DIR --file FILE --out PNG');
  process.exit(2);
}
const cache = process.env.NETCOST_VSCODE_CACHE || path.join(os.homedir(), '.cache/netcost-vscode');
const codeServer = process.env.CODE_SERVER || path.join(cache, 'node_modules/.bin/code-server');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const timeoutMs = Number(opt.timeout || 180) * 1000;
// Workbench start-up chatter that is not test output (printed with --verbose).
const NOISE = /^(Resolving connection token|Resolved connection token|Creating a socket|\[Service Worker\]|ChatSessionStore|Creation of workbench contribution|Updating additional builtin extensions cache|Ignoring fetching additional builtin extensions)/;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((resolve, reject) => {
  const srv = net.createServer().on('error', reject);
  srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});
const httpOk = (url) => new Promise((resolve) => {
  const req = http.get(url, (res) => { res.resume(); resolve(res.statusCode === 200); });
  req.on('error', () => resolve(false)).setTimeout(2000, () => req.destroy());
});
// URI of a path on the code-server machine, as the workbench expects it.
const remoteUri = (authority, p) => `vscode-remote://${authority}${path.resolve(p).split('/').map(encodeURIComponent).join('/')}`;

let server; let browser; let tmp; // server: code-server, leader of its own process group

async function startCodeServer(port) {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vscode-e2e-'));
  fs.mkdirSync(path.join(tmp, 'data/User'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'data/User/settings.json'), JSON.stringify({ // quiet, deterministic workbench
    'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'editor.inlayHints.enabled': 'on',
    'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'telemetry.telemetryLevel': 'off',
  }));
  const log = fs.openSync(path.join(tmp, 'code-server.log'), 'w');
  const dirs = ['--extensions-dir', path.join(tmp, 'extensions'), '--user-data-dir', path.join(tmp, 'data')];
  // EXTENSIONS_GALLERY={} switches the extension gallery off (no network look-ups).
  const env = { EXTENSIONS_GALLERY: '{}', ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'config') };
  if (opt['install-vsix']) {
    const r = spawnSync(process.execPath, [codeServer, ...dirs, '--install-extension', path.resolve(opt['install-vsix'])], { env, encoding: 'utf8', timeout: 60000 });
    const out = `${r.stdout}${r.stderr}`.trim();
    if (r.status !== 0 || !/successfully installed/i.test(out)) throw new Error(`--install-extension failed (exit ${r.status}): ${out}`);
    console.error(out.split('\n').pop());
  }
  server = spawn(process.execPath, [codeServer, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', ...dirs, path.resolve(opt.ws)], {
    detached: true, // own process group: cleanup kills code-server and its extension host by -pid
    stdio: ['ignore', log, log],
    env,
  });
  let exited = false;
  server.on('exit', () => { exited = true; });
  for (const end = Date.now() + 30000; Date.now() < end; await sleep(100)) {
    if (exited) throw new Error(`code-server exited, see ${tmp}/code-server.log (use --keep)`);
    if (await httpOk(`http://127.0.0.1:${port}/healthz`)) return;
  }
  throw new Error('code-server did not answer within 30 s');
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (server) {
    const gone = server.exitCode === null && server.signalCode === null && new Promise((r) => server.once('exit', r));
    try { process.kill(-server.pid, 'SIGTERM'); } catch {}
    if (gone) await Promise.race([gone, sleep(3000)]);
    try { process.kill(-server.pid, 'SIGKILL'); } catch {} // whatever is left (the extension host lingers)
  }
  if (tmp && !opt.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.error(`kept ${tmp}`);
}

async function runTests(page, url) {
  let exit;
  const done = new Promise((r) => { exit = r; });
  // The workbench calls window.codeAutomationExit(code, logs) when the extension tests have finished ...
  await page.exposeFunction('codeAutomationExit', (code) => exit(code));
  // ... and sends its log, including the extension host's console output, to codeAutomationLog(level, args).
  await page.exposeFunction('codeAutomationLog', (level, args) => {
    const line = util.format(...[].concat(args)); // console.log('%d passing', n) from mocha etc.
    if (opt.verbose || !NOISE.test(line)) console.log(level === 'info' ? line : `[${level}] ${line}`);
  });
  await page.goto(url);
  return done;
}

async function runUi(page, url) {
  await page.goto(url);
  if (opt.explorer) { // open FILE as a user does: a click on it in the explorer (editor resolution, custom editors)
    const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label^=${JSON.stringify(path.basename(opt.file))}]`).first();
    await row.waitFor({ timeout: 60000 });
    // A click before the extension host has read the extension's manifest opens the file with the
    // default (binary) editor, as it would for a user that quick: close it and click again.
    for (let attempt = 1; ; attempt++) {
      await row.click();
      const opened = await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 20000 }).then(() => true, () => false);
      if (opened || attempt === 3) break;
      console.error(`the click on ${opt.file} opened no text editor (attempt ${attempt}): closing it and clicking again`);
      await page.keyboard.press('Control+W').catch(() => undefined);
    }
  }
  await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 60000 });
  let ok = true;
  const check = (name, pass, detail) => { console.log(`${pass ? 'ok' : 'not ok'} - ${name}: ${detail}`); ok &&= pass; };
  if (opt.hint) { // inlay hints are spans inside .view-line; spaces are U+00A0, padding is a U+200A span
    const found = await page.waitForFunction((t) => [...document.querySelectorAll('.monaco-editor .view-line')]
      .some((e) => e.textContent.replace(/\u00a0/g, ' ').replace(/\u200a/g, '').includes(t)), opt.hint, { timeout: 20000 })
      .then(() => true, () => false);
    check('inlay hint rendered', found, opt.hint);
  }
  if (opt.squiggle) { // diagnostics are drawn as div.cdr.squiggly-warning / .squiggly-error
    const found = await page.waitForSelector(`.monaco-editor .squiggly-${opt.squiggle}`, { timeout: 20000 }).then(() => true, () => false);
    const problems = await page.locator('#status\\.problems a').first().getAttribute('aria-label').catch(() => null);
    check(`squiggly-${opt.squiggle}`, found, `status bar: ${problems}`);
  }
  if (opt.status) { // NetCost's item: div.statusbar-item#<extension id>.<item id>, its label a $(pulse) codicon span and the text
    const label = () => { // getElementById: the id has dots
      const a = document.getElementById('netcost.netcost.netcost.summary')?.querySelector('a.statusbar-item-label');
      return a && `${a.querySelector('.codicon-pulse') ? '$(pulse) ' : ''}${a.textContent.trim()}`;
    };
    const want = `$(pulse) ${opt.status}`;
    const found = await page.waitForFunction(`(${label})() === ${JSON.stringify(want)}`, null, { timeout: 20000 }).then(() => true, () => false);
    check('status bar item', found, JSON.stringify(await page.evaluate(label)));
  }
  if (opt['hover-line']) { // hover the start of line N (1-based; must be on screen)
    // Hidden hover widgets exist too, and a fresh hover says "Loading..." first. A hover can be lost when
    // the line moves under the mouse (hints drawn late on a loaded machine): move away and back, 3 times.
    const hover = page.locator('.monaco-hover-content:visible');
    let shown = false;
    for (let attempt = 1; attempt <= 3 && !shown; attempt++) {
      const box = await page.locator('.monaco-editor .view-line').nth(Number(opt['hover-line']) - 1).boundingBox();
      await page.mouse.move(1, 1);
      await page.mouse.move(box.x + 15, box.y + box.height / 2);
      shown = await hover.filter(opt.hover ? { hasText: opt.hover } : { hasNotText: 'Loading...' }).first()
        .waitFor({ timeout: 8000 }).then(() => true, () => false);
      if (!shown && attempt < 3) console.error(`no hover on line ${opt['hover-line']} (attempt ${attempt}): moving the mouse away and back`);
    }
    check('hover shown', shown, JSON.stringify(await hover.first().innerText().catch(() => '')));
  }
  await page.screenshot({ path: opt.out, animations: 'disabled' }); // the hover fades in
  console.log(`screenshot: ${opt.out}`);
  return ok ? 0 : 1;
}

async function main() {
  const t0 = Date.now();
  const authority = `127.0.0.1:${await freePort()}`;
  await startCodeServer(authority.split(':')[1]);
  console.error(`code-server ready on ${authority} after ${Date.now() - t0} ms`);
  // Playwright must not handle signals itself: its handler exits before code-server is stopped.
  browser = await chromium.launch({ executablePath: chromiumPath, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('crash', () => finish(2, 'browser page crashed'));
  const payload = [...(opt.ext ? [['extensionDevelopmentPath', remoteUri(authority, opt.ext)]] : []),
    ...(mode === 'test' ? [['extensionTestsPath', remoteUri(authority, opt.tests)]] : opt.explorer ? [] : [['openFile', remoteUri(authority, path.join(opt.ws, opt.file))]])];
  const url = `http://${authority}/?folder=${encodeURIComponent(path.resolve(opt.ws))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const code = await (mode === 'test' ? runTests : runUi)(page, url);
  console.error(`exit code ${code} after ${Date.now() - t0} ms`);
  return code;
}

let finishing = false; // one way out: the first caller wins and always cleans up
async function finish(code, msg) {
  if (finishing) return;
  finishing = true;
  clearTimeout(overall);
  if (msg) console.error(msg);
  if (code !== 0 && tmp) { // server-side reasons, e.g. "Extension is not compatible with Code 1.100.3"
    let log = '';
    try { log = fs.readFileSync(path.join(tmp, 'code-server.log'), 'utf8'); } catch {}
    for (const l of log.split('\n').filter((s) => /error|not compatible/i.test(s)).slice(-20)) console.error(`code-server: ${l}`);
  }
  await cleanup();
  process.exit(code);
}
const overall = setTimeout(() => finish(124, `time-out after ${timeoutMs / 1000} s`), timeoutMs);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => finish(130, `got ${sig}`));
main().then((code) => finish(code), (err) => finish(2, (err && err.stack) || String(err)));
