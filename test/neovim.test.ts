// The README's Neovim configuration, run by a real Neovim (headless) against the real server: the Lua
// is read from README.md, so the README stays true; only `cmd` is pointed at this checkout (and the
// batch size changed, to see the settings arrive). A probe script then waits (bounded) for
// diagnostics, asks for a hover, writes what it got as JSON and quits; nvim is killed after 20 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(__dirname, '..');
const hasNvim = spawnSync('nvim', ['--version'], { stdio: 'ignore' }).status === 0;
const README_CMD = "cmd = { 'netcost-language-server', '--stdio' },";
const README_BATCH = 'batchSize = 1,'; // set to 8 here, so that the hover shows the settings arrived
const WAIT = 5000; // ms: each wait inside Neovim

/** The Lua block of the README's "Neovim" section. */
function readmeSnippet(): string {
  const m = /### Neovim[^\n]*\n+```lua\n([\s\S]*?)\n```/.exec(readFileSync(join(root, 'README.md'), 'utf8'));
  assert.ok(m, 'README.md has a ```lua block under "### Neovim"');
  return m[1];
}

/** Runs after the file is loaded (`-S`): every wait is bounded; the result or the error goes to `out`. */
const probe = (out: string, line: number, character: number) => `
local out = {}
local ok, err = pcall(function()
  local buf = vim.api.nvim_get_current_buf()
  out.filetype = vim.bo[buf].filetype
  assert(vim.wait(${WAIT}, function() return #vim.diagnostic.get(buf) > 0 end, 20), 'no diagnostics')
  out.diagnostics = vim.tbl_map(function(d)
    return { code = d.code, lnum = d.lnum, col = d.col, message = d.message, href = d.user_data.lsp.codeDescription.href }
  end, vim.diagnostic.get(buf))
  local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = ${line}, character = ${character} } }
  local replies = assert(vim.lsp.buf_request_sync(buf, 'textDocument/hover', params, ${WAIT}))
  for _, reply in pairs(replies) do out.hover = reply.result.contents.value end
end)
if not ok then out.error = tostring(err) end
vim.fn.writefile({ vim.fn.json_encode(out) }, ${JSON.stringify(out)})
vim.cmd('qa!')
`;

test('the README Neovim configuration: diagnostics with codes and rule links, and hovers, from the server', { timeout: 30_000 }, (t) => {
  if (!hasNvim) return t.skip('nvim is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'netcost-nvim-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const snippet = readmeSnippet();
  for (const s of [README_CMD, README_BATCH]) assert.ok(snippet.includes(s), `the README snippet no longer has ${s}: update this test`);
  const cmd = [process.execPath, join(root, 'bin', 'netcost-language-server.js'), '--stdio'].map((s) => JSON.stringify(s));
  writeFileSync(join(dir, 'init.lua'), snippet.replace(README_CMD, `cmd = { ${cmd.join(', ')} },`).replace(README_BATCH, 'batchSize = 8,'));

  // an example with a known problem added at the end
  const file = join(dir, 'resnet50.net');
  copyFileSync(join(root, 'examples', 'resnet50.net'), file);
  appendFileSync(file, 'broken: conv 64 from nope\n');
  const lines = readFileSync(file, 'utf8').split('\n');
  const conv1 = lines.findIndex((l) => l.startsWith('conv1: conv 64 k=7'));
  const out = join(dir, 'out.json');
  writeFileSync(join(dir, 'probe.lua'), probe(out, conv1, 'conv1: '.length));

  // XDG_* in the temp dir: no user configuration, plugins, shada or logs
  const env = { ...process.env, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir, XDG_STATE_HOME: dir, XDG_CACHE_HOME: dir };
  const r = spawnSync('nvim', ['--headless', '-i', 'NONE', '-u', 'init.lua', '-S', 'probe.lua', 'resnet50.net'],
    { cwd: dir, env, encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  assert.ok(existsSync(out), `nvim wrote no result (status ${r.status}, signal ${r.signal}): ${r.stderr}`);
  const got = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(got.error, undefined);
  assert.equal(got.filetype, 'netcost');

  const rules = pathToFileURL(join(root, 'docs', 'rules.md')).href;
  const broken = lines.length - 2;
  assert.deepEqual(got.diagnostics.filter((d: { code: string }) => d.code === 'unknown-name'), [
    { code: 'unknown-name', lnum: broken, col: lines[broken].indexOf('nope'), message: 'unknown layer `nope`', href: `${rules}#unknown-name` },
  ]);
  assert.deepEqual(got.diagnostics.map((d: { code: string }) => d.code).sort(),
    ['g1-unbalanced-pointwise', 'g1-unbalanced-pointwise', 'g1-unbalanced-pointwise', 'large-kernel', 'unknown-name']);

  assert.ok(got.hover.startsWith('**conv1.conv** · `conv`\n\noutput 8 x 64 x 112 x 112 from `image` 8 x 3 x 224 x 224'), got.hover);
  assert.ok(got.hover.includes('K_h x K_w x C_in/g x H_out x W_out x C_out = 7 x 7 x 3 x 112 x 112 x 64 = 118,013,952 MACs per sample; x 8 = 944,111,616 MACs'), got.hover);
});
