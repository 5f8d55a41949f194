// `netcost compare OLD NEW` (issue 9 point 3): layers matched by name, deltas, totals, git revisions, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../server/src/cli/main';
import { compareMain } from '../server/src/cli/compare';
import { analyze } from '../server/src/analysis/analyze';
import { compareAnalyses } from '../server/src/compare/compare';
import { againstRevision } from '../server/src/compare/source';

const root = join(__dirname, '..');
const RESNET = readFileSync(join(root, 'examples/resnet50.net'), 'utf8');

function capture(f: (io: { out(s: string): void; err(s: string): void }) => number) {
  let out = '';
  let err = '';
  const code = f({ out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}
const run = (cwd: string, ...argv: string[]) => capture((io) => compareMain(argv, io, cwd));

// a repository with two revisions of the ResNet-50 example: the classifier narrowed to 10 classes and
// the softmax line removed
const repo = mkdtempSync(join(tmpdir(), 'netcost-compare-'));
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
git('init', '-q');
git('config', 'user.email', 'test@example.com');
git('config', 'user.name', 'test');
git('config', 'commit.gpgsign', 'false');
copyFileSync(join(root, 'examples/resnet50.net'), join(repo, 'resnet50.net'));
git('add', 'resnet50.net');
git('commit', '-q', '-m', 'resnet50');
const CHANGED = RESNET.replace(/^fc 1000( +)-> 1000$/m, 'fc 10$1-> 10').replace(/^softmax\n/m, '');
assert.notEqual(CHANGED, RESNET);
assert.equal(CHANGED.split('\n').length, RESNET.split('\n').length - 1);
writeFileSync(join(repo, 'resnet50.net'), CHANGED);
git('commit', '-q', '-a', '-m', '10 classes, no softmax');

// by hand: fc 2048 -> 1000 has 2048*1000 + 1000 params, 2048*1000 MACs, 2*MACs + 1000 bias adds FLOPs and moves
// (2048 inputs + 1000 outputs + 2,049,000 weights) * 4 bytes; fc 2048 -> 10 likewise; softmax over 1000
// values: no params or MACs, 5 FLOPs per value, (1000 + 1000) * 4 bytes
const fcOld = { params: 2048 * 1000 + 1000, macs: 2048 * 1000, flops: 2 * 2048 * 1000 + 1000, memoryBytes: (2048 + 1000 + 2048 * 1000 + 1000) * 4 };
const fcNew = { params: 2048 * 10 + 10, macs: 2048 * 10, flops: 2 * 2048 * 10 + 10, memoryBytes: (2048 + 10 + 2048 * 10 + 10) * 4 };
const softmax = { params: 0, macs: 0, flops: 5 * 1000, memoryBytes: (1000 + 1000) * 4 };

test('two git revisions of an example: exactly the changed and removed layers, with hand-computed deltas', () => {
  const r = run(repo, 'git:HEAD~1:resnet50.net', 'git:HEAD:resnet50.net', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.version, 1);
  assert.deepEqual(Object.keys(j), ['version', 'flopsConvention', 'old', 'new', 'counts', 'layers', 'totals']);
  assert.equal(j.old.file, 'git:HEAD~1:resnet50.net');
  assert.equal(j.new.file, 'git:HEAD:resnet50.net');
  const layers = analyze(RESNET).layers.length;
  assert.deepEqual(j.counts, { added: 0, removed: 1, changed: 1, unchanged: layers - 2 });
  assert.deepEqual(j.layers, [
    {
      name: 'linear_1', status: 'changed', op: 'linear',
      old: { ...fcOld, weightBytes: (2048 * 1000 + 1000) * 4, outputShape: [1, 1000] },
      new: { ...fcNew, weightBytes: (2048 * 10 + 10) * 4, outputShape: [1, 10] },
      delta: { params: fcNew.params - fcOld.params, macs: fcNew.macs - fcOld.macs, flops: fcNew.flops - fcOld.flops, memoryBytes: fcNew.memoryBytes - fcOld.memoryBytes },
    },
    {
      name: 'softmax_1', status: 'removed', op: 'softmax',
      old: { ...softmax, weightBytes: 0, outputShape: [1, 1000] }, new: null,
      delta: { params: 0, macs: 0, flops: -softmax.flops, memoryBytes: -softmax.memoryBytes },
    },
  ]);
  const d = { params: fcNew.params - fcOld.params, macs: fcNew.macs - fcOld.macs, flops: fcNew.flops - fcOld.flops - softmax.flops, memoryBytes: fcNew.memoryBytes - fcOld.memoryBytes - softmax.memoryBytes };
  assert.deepEqual(j.totals.delta, d);
  assert.equal(j.new.totals.macs - j.old.totals.macs, d.macs);
  assert.equal(j.old.totals.macs, 4_089_184_256);
  for (const k of ['params', 'macs', 'flops', 'memoryBytes'] as const) assert.equal(j.totals.percent[k], (100 * d[k]) / j.old.totals[k]);
});

test('the table lists the changed and removed layers, counts the unchanged ones and shows the totals old -> new', () => {
  const r = run(repo, 'git:HEAD~1:resnet50.net', 'git:HEAD:resnet50.net');
  assert.equal(r.code, 0, r.err);
  const rows = r.out.split('\n').filter((l) => /^[~+-] /.test(l));
  assert.equal(rows.length, 2, r.out);
  assert.match(rows[0], /^~\s+linear_1\s+linear\s+2\.05M\s+20\.5K\s+-2\.03M\s+-2\.03M\s+-8\.12 MB\s+1x1000 -> 1x10$/);
  assert.match(rows[1], /^-\s+softmax_1\s+softmax\s+0\s+-\s+0\s+0\s+-8\.00 KB$/);
  assert.match(r.out, /layers {6}1 changed, 0 added, 1 removed, \d+ unchanged \(not listed\)/);
  assert.match(r.out, /^MACs {8}4,089,184,256 -> 4,087,156,736 {2}-2,027,520 \(-0\.050%\)$/m);
  assert.match(r.out, /^params {6}25,530,472 -> 23,501,962 {2}-2,028,510 \(-7\.9%\)$/m);
});

test('through `netcost compare`: file against file, git blob against the working file, --batch scales', () => {
  const old = join(repo, 'old.net');
  writeFileSync(old, RESNET);
  const r = capture((io) => main(['compare', old, join(repo, 'resnet50.net'), '--json', '--batch', '2'], io));
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.totals.delta.macs, 2 * (fcNew.macs - fcOld.macs));
  assert.deepEqual(j.layers.map((l: { name: string; status: string }) => `${l.status} ${l.name}`), ['changed linear_1', 'removed softmax_1']);
  // the committed file against itself in the working tree: nothing differs
  const same = run(repo, 'git:HEAD:resnet50.net', 'resnet50.net');
  assert.equal(same.code, 0, same.err);
  assert.match(same.out, /no layer differs/);
  assert.match(same.out, /0 changed, 0 added, 0 removed/);
  // a default name matches its namesake: an added layer at the end is the only difference
  const plus = run(repo, 'resnet50.net', join(repo, 'plus.net'));
  assert.equal(plus.code, 2);
  writeFileSync(join(repo, 'plus.net'), CHANGED + 'relu\n');
  const added = JSON.parse(run(repo, 'resnet50.net', 'plus.net', '--json').out);
  assert.equal(added.layers.length, 1);
  assert.match(`${added.layers[0].status} ${added.layers[0].name}`, /^added relu_\d+$/);
});

test('two ONNX exports of ResNet-18: the batch norm nodes of opset 9 are removed, every other node unchanged', () => {
  const fx = (f: string) => join(root, 'test/fixtures/onnx', f);
  const r = run(root, fx('resnet18-opset9.onnx'), fx('resnet18-opset13.onnx'), '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.counts, { added: 0, removed: 20, changed: 0, unchanged: 49 });
  assert.ok(j.layers.every((l: { status: string; op: string; name: string }) => l.status === 'removed' && l.op === 'BatchNormalization' && /^\/.*BatchNormalization$/.test(l.name)));
  assert.equal(j.layers[0].name, '/bn1/BatchNormalization');
  assert.deepEqual(j.totals.delta, { params: 0, macs: 0, flops: 0, memoryBytes: 0 });
  assert.deepEqual(j.totals.percent, { params: 0, macs: 0, flops: 0, memoryBytes: 0 });
  // an ONNX blob at a git revision goes through a temporary file
  copyFileSync(fx('resnet18-opset13.onnx'), join(repo, 'r18.onnx'));
  git('add', 'r18.onnx');
  git('commit', '-q', '-m', 'onnx');
  const g = run(repo, 'git:HEAD:r18.onnx', fx('resnet18-opset9.onnx'), '--json');
  assert.equal(g.code, 0, g.err);
  assert.deepEqual(JSON.parse(g.out).counts, { added: 20, removed: 0, changed: 0, unchanged: 49 });
});

test('compareAnalyses: a changed shape with equal figures is a change; a repeated name matches in order', () => {
  const c = compareAnalyses(analyze('input x: 8\nrelu\nrelu\n'), analyze('input x: 8\nrelu\n'));
  assert.deepEqual(c.layers.map((l) => `${l.status} ${l.name}`), ['unchanged relu_1', 'removed relu_2']);
  const s = compareAnalyses(analyze('input x: 4 x 4\nrelu\n'), analyze('input x: 16\nrelu\n'));
  assert.deepEqual(s.layers[0].delta, { params: 0, macs: 0, flops: { '2macs': 0, exact: 0, macs: 0 }, memoryBytes: 0, weightBytes: 0 });
  assert.equal(s.layers[0].status, 'changed');
});

test('errors exit 2 with a clear message: bad revision, missing path at a revision, missing file, usage', () => {
  const bad = run(repo, 'git:nosuchrev:resnet50.net', 'resnet50.net');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^netcost: git:nosuchrev:resnet50\.net: git show nosuchrev:resnet50\.net failed: fatal: .*nosuchrev/);
  const path = run(repo, 'git:HEAD:missing.net', 'resnet50.net');
  assert.equal(path.code, 2);
  assert.match(path.err, /git:HEAD:missing\.net: .*missing\.net.*(does not exist|exists on disk)/);
  const file = run(repo, 'resnet50.net', 'missing.net');
  assert.equal(file.code, 2);
  assert.equal(file.err, 'netcost: missing.net: no such file\n');
  const outside = run(tmpdir(), 'git:HEAD:x.net', 'y.net');
  assert.equal(outside.code, 2);
  assert.match(outside.err, /git show HEAD:x\.net failed/);
  const dash = run(repo, 'git:--output=x:resnet50.net', 'resnet50.net');
  assert.equal(dash.code, 2);
  assert.match(dash.err, /cannot start with '-'/);
  const one = capture((io) => main(['compare', 'a.net'], io));
  assert.equal(one.code, 2);
  assert.match(one.err, /expected OLD and NEW, got 1/);
  assert.equal(run(repo, 'a.net', 'b.net', '--flops', 'x').code, 2);
  const help = capture((io) => main(['compare', '--help'], io));
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: netcost compare OLD NEW/);
});

test('a side with errors is still compared and exits 1, its errors on stderr', () => {
  writeFileSync(join(repo, 'broken.net'), 'input x: 8\nrelu -> 9\n');
  const r = run(repo, 'resnet50.net', 'broken.net');
  assert.equal(r.code, 1);
  assert.match(r.err, /broken\.net:2:\d+: error/);
  assert.match(r.out, /layers /);
});

test('againstRevision (for the editor): the editor text against the file at HEAD, found from the file\'s directory', () => {
  const r = againstRevision(join(repo, 'resnet50.net'), CHANGED + 'relu\n', {});
  assert.equal(r.oldLabel, 'git:HEAD:resnet50.net');
  const c = compareAnalyses(r.old, r.new);
  assert.deepEqual(c.counts, { added: 1, removed: 0, changed: 0, unchanged: analyze(CHANGED).layers.length });
  assert.throws(() => againstRevision(join(tmpdir(), 'x.net'), '', {}), /not in a git repository/);
});
