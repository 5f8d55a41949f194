// "Compare with HEAD" in the editor: the document against the file at git HEAD (ide/delta.ts), as the
// `netcost/compare` report and as each changed line's MACs change after its inlay hint
// (`netcost.inlayHints.showDelta`), through the pure functions and the real language server.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyze } from '../server/src/analysis/analyze';
import { inlayHints } from '../server/src/ide/hints';
import { deltaLabel, diffAgainst } from '../server/src/ide/delta';
import { ensureBuilt, session } from './lsp-client';

before(ensureBuilt);
const TEST = { timeout: 60_000 };

const resnet = readFileSync(join(__dirname, '..', 'examples', 'resnet50.net'), 'utf8');
/** a git repository holding examples/resnet50.net, committed as HEAD */
function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'netcost-head-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  writeFileSync(join(dir, 'resnet50.net'), resnet);
  git('add', 'resnet50.net');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'resnet50');
  return dir;
}
// the classifier narrowed from 1000 to 10 classes: a 2048 -> 10 linear layer instead of 2048 -> 1000
const edited = resnet.replace(/^fc 1000( +)-> 1000$/m, 'fc 10$1-> 10');
const fcLine = edited.split('\n').findIndex((l) => l.startsWith('fc 10 '));
const FC_DELTA = 2048 * 10 - 2048 * 1000; // -2,027,520 MACs

test('diffAgainst: the changed line\'s MACs change and the compare table; a file outside git says why', () => {
  assert.ok(fcLine > 0 && edited !== resnet, 'examples/resnet50.net has an `fc 1000 -> 1000` line');
  const dir = repo();
  const d = diffAgainst(join(dir, 'resnet50.net'), 'resnet50.net', edited, {}, '2macs');
  assert.ok(!('error' in d), JSON.stringify(d));
  assert.deepEqual([...d.macsByLine], [[fcLine, FC_DELTA]]);
  assert.match(d.report, /^~ +linear_1 /m);
  assert.equal(deltaLabel(FC_DELTA), '-2.03M MACs');
  const outside = mkdtempSync(join(tmpdir(), 'netcost-nogit-'));
  writeFileSync(join(outside, 'a.net'), resnet);
  const none = diffAgainst(join(outside, 'a.net'), 'a.net', resnet, {}, '2macs');
  assert.ok('error' in none && /not in a git repository/.test(none.error), JSON.stringify(none));
});

test('inlay hints append a line\'s change when deltas are given, and only on that line', () => {
  const a = analyze(edited);
  const plain = inlayHints(a, fcLine, fcLine);
  const withDelta = inlayHints(a, fcLine, fcLine, { content: ['shape', 'macs', 'params'], flops: '2macs', deltas: new Map([[fcLine, FC_DELTA]]) });
  assert.equal(withDelta[0].label, `${plain[0].label} · -2.03M MACs`);
  assert.deepEqual(inlayHints(a, 0, fcLine - 1, { content: ['shape', 'macs', 'params'], flops: '2macs', deltas: new Map([[fcLine, FC_DELTA]]) }), inlayHints(a, 0, fcLine - 1));
});

test('the server: netcost/compare reports against HEAD; showDelta adds the change to the edited line\'s hint', TEST, async (t) => {
  const dir = repo();
  const config: Record<string, unknown> = { inlayHints: { showDelta: true } };
  const s = await session(t, { configuration: () => config });
  await s.initialize();
  const uri = pathToFileURL(join(dir, 'resnet50.net')).href;
  await s.open(uri, edited);
  const report = await s.request<{ text: string }>('netcost/compare', { uri });
  assert.match(report.text, /^~ +linear_1 /m);
  assert.match(report.text, /git:HEAD:resnet50\.net/);
  const hint = (await s.hints(uri, fcLine, fcLine))[0];
  assert.match(hint.label, / · -2\.03M MACs$/);
  // an unchanged line has no delta
  const stem = (await s.hints(uri, 0, fcLine - 1)).map((h) => h.label);
  assert.ok(stem.length > 0 && stem.every((l) => !/ · [+-][\d.]+[KMG]? MACs$/.test(l.replace(/ · [\d.]+[KMG]? MACs · .*$/, ''))), stem.join('\n'));
  // a file outside git: the report says why, hints stay plain
  const lone = pathToFileURL(join(mkdtempSync(join(tmpdir(), 'netcost-nogit-')), 'x.net')).href;
  await s.open(lone, edited);
  assert.match((await s.request<{ text: string }>('netcost/compare', { uri: lone })).text, /^NetCost: cannot compare with HEAD: .*not in a git repository/);
  assert.doesNotMatch((await s.hints(lone, fcLine, fcLine))[0].label, /-2\.03M MACs$/);
  assert.deepEqual(s.errors(), []);
});
