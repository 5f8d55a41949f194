// The VS Code extension package: `npm run package`'s vsce command, run without stdin (as in CI) into a
// temp dir, must finish without a warning or a prompt and produce a .vsix holding exactly the files
// the extension needs (package.json `files`; the bundles are built by `npm test` before the suites).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const VSCE = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');

const EXPECTED = [
  '[Content_Types].xml',
  'extension.vsixmanifest',
  'extension/package.json',
  'extension/readme.md',
  'extension/changelog.md',
  'extension/LICENSE.txt',
  'extension/language-configuration.json',
  'extension/syntaxes/netcost.tmLanguage.json',
  'extension/docs/rules.md', // diagnostics link to it offline
  'extension/dist/client.js',
  'extension/dist/server.js',
  // the npm package's commands: the same `files` list makes both packages
  'extension/dist/cli.js',
  'extension/bin/netcost.js',
  'extension/bin/netcost-language-server.js',
];

/** The names of a zip's entries, from its central directory. */
function zipNames(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1')); // end of central directory record
  assert.ok(end >= 0, 'not a zip');
  const names: string[] = [];
  for (let i = 0, p = zip.readUInt32LE(end + 16); i < zip.readUInt16LE(end + 10); i++) {
    assert.equal(zip.readUInt32LE(p), 0x02014b50, 'central directory entry');
    const nameLength = zip.readUInt16LE(p + 28);
    names.push(zip.toString('utf8', p + 46, p + 46 + nameLength));
    p += 46 + nameLength + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32); // + extra field + comment
  }
  return names;
}

test('npm run package makes an installable .vsix without prompting: exactly the extension files, under 5 MB', { timeout: 60_000 }, (t) => {
  const script = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.package as string;
  const m = /^node scripts\/build\.mjs && vsce (package\b.*) --out netcost\.vsix$/.exec(script);
  assert.ok(m, `the package script changed: update this test (${script})`);
  const dir = mkdtempSync(join(tmpdir(), 'netcost-vsix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const vsix = join(dir, 'netcost.vsix');

  // no stdin: a prompt reads end of input and aborts; GITHUB_ACTIONS unset keeps warnings on stderr
  const r = spawnSync(process.execPath, [VSCE, ...m[1].split(' '), '--out', vsix],
    { cwd: root, env: { ...process.env, GITHUB_ACTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 45_000 });
  assert.equal(r.status, 0, `vsce failed: ${r.stdout}${r.stderr}`);
  assert.equal(r.stderr, '', 'vsce warned');

  assert.deepEqual(zipNames(readFileSync(vsix)).sort(), [...EXPECTED].sort());
  assert.ok(statSync(vsix).size < 5e6, `${statSync(vsix).size} bytes`);
});
