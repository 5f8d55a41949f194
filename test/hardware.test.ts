// Hardware targets: the built-in profiles and their documented sources, user targets (parseTargets,
// netcost.json discovery), and the README's latency / peak-memory table recomputed through the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../server/src/analysis/analyze';
import { main } from '../server/src/cli/main';
import { loadProjectConfig } from '../server/src/hardware/config';
import { estimate, formatSeconds } from '../server/src/hardware/roofline';
import { DEFAULT_TARGET, findTarget, parseTargets, TARGETS } from '../server/src/hardware/targets';
import { humanBytes } from '../server/src/ide/units';

const root = join(__dirname, '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

test('the built-in targets: the issue\'s devices, well-formed, each with sources, dense peaks in order', () => {
  assert.deepEqual(TARGETS.map((t) => t.id), ['t4', 'rtx-a4000', 'a100', 'h100', 'orin-nano', 'phone-cpu', 'phone-npu', 'rpi5-cpu', 'nnie']);
  assert.equal(findTarget(DEFAULT_TARGET)?.name, 'NVIDIA T4');
  for (const t of TARGETS) {
    for (const v of [t.bandwidth, t.memory, t.channelMultiple, ...Object.values(t.peak)]) assert.ok(Number.isFinite(v) && v! > 0, `${t.id}: ${v}`);
    assert.ok(t.launchOverhead > 0 && t.launchOverhead <= 20e-6, t.id);
    assert.ok(t.sources.length > 0 && t.sources.every((s) => s.length > 20), t.id);
    assert.ok(Object.keys(t.peak).length > 0, t.id);
    // a lower precision is never slower than a higher one on the same device
    if (t.peak.fp16 && t.peak.fp32) assert.ok(t.peak.fp16 >= t.peak.fp32, t.id);
    if (t.peak.int8 && t.peak.fp16) assert.ok(t.peak.int8 >= t.peak.fp16, t.id);
    assert.equal(t.user, undefined);
  }
  // the datasheet figures the table cites
  const t4 = findTarget('t4')!;
  assert.deepEqual([t4.peak.fp32, t4.peak.fp16, t4.peak.int8, t4.bandwidth], [8.1e12, 65e12, 130e12, 320e9]);
  const a100 = findTarget('a100')!;
  assert.deepEqual([a100.peak.fp16, a100.peak.int8, a100.bandwidth, a100.memory], [312e12, 624e12, 1555e9, 40e9]);
  assert.deepEqual([findTarget('h100')!.peak.fp16, findTarget('h100')!.bandwidth], [989.5e12, 3.35e12]); // 1,979 sparse / 2
  assert.equal(findTarget('rpi5-cpu')!.peak.fp32, 4 * 2.4e9 * 16); // 4 cores x 2.4 GHz x 2 FMA pipes x 4 lanes x 2
  assert.equal(findTarget('orin-nano')!.peak.fp32, 1024 * 2 * 625e6);
  assert.equal(findTarget('nnie')!.shuffle, false);
  assert.deepEqual(TARGETS.filter((t) => t.kind === 'npu').map((t) => t.channelMultiple), [16, 16]);
  assert.equal(findTarget('t4')!.kernelDensity![3], 1);
  assert.ok(findTarget('t4')!.kernelDensity![1]! < 0.3 && findTarget('t4')!.kernelDensity![5]! < 0.3);
});

test('docs/hardware.md has a row and a source paragraph for every built-in target; README and ARCHITECTURE link it', () => {
  const doc = read('docs/hardware.md');
  for (const t of TARGETS) {
    assert.ok(doc.includes(`| \`${t.id}\` | ${t.name.split(' (')[0]}`), `${t.id}: a table row`);
    assert.ok(doc.includes(`- **\`${t.id}\`**`), `${t.id}: a source paragraph`);
  }
  assert.match(read('README.md'), /\(docs\/hardware\.md\)/);
  assert.match(read('ARCHITECTURE.md'), /docs\/hardware\.md/);
});

test('parseTargets: a complete entry, defaults, and `extends` with per-dtype peak merging', () => {
  const { targets, errors } = parseTargets([
    { id: 'edge-box', kind: 'npu', peak: { int8: 4e12 }, bandwidth: 12.8e9, memory: 4e9, shuffle: false },
    { id: 'my-t4', extends: 't4', bandwidth: 300e9, peak: { fp32: 7e12 }, launchOverhead: 8e-6 },
  ]);
  assert.deepEqual(errors, []);
  const [box, mine] = targets;
  assert.deepEqual(box, { id: 'edge-box', name: 'edge-box', kind: 'npu', peak: { int8: 4e12 }, bandwidth: 12.8e9, memory: 4e9, channelMultiple: 16, launchOverhead: 0, shuffle: false, sources: [], user: true });
  assert.equal(mine.kind, 'gpu');
  assert.deepEqual(mine.peak, { fp32: 7e12, fp16: 65e12, int8: 130e12 });
  assert.deepEqual([mine.bandwidth, mine.memory, mine.launchOverhead, mine.channelMultiple, mine.precision], [300e9, 16e9, 8e-6, 8, 'fp16']);
  assert.equal(mine.user, true);
  assert.match(mine.name, /NVIDIA T4/);
  // a user target with a built-in's id replaces it in findTarget
  const over = parseTargets([{ id: 't4', extends: 't4', bandwidth: 1e9 }]).targets;
  assert.equal(findTarget('t4', over)!.bandwidth, 1e9);
  assert.equal(findTarget('t4')!.bandwidth, 320e9);
});

test('parseTargets: every problem names the entry and the field; broken entries are dropped', () => {
  const { targets, errors } = parseTargets([
    { id: 'ok', kind: 'cpu', peak: { fp32: 1e11 }, bandwidth: 1e10, memory: 1e9, colour: 'red' },
    { id: 'neg', kind: 'cpu', peak: { fp32: 1e11 }, bandwidth: -1, memory: 1e9 },
    { id: 'inf', kind: 'cpu', peak: { fp32: Infinity, fp64: 1 }, bandwidth: 1e10, memory: 1e9 },
    { id: 'bad kind', kind: 'tpu', peak: { fp32: 1 }, bandwidth: 1, memory: 1 },
    { id: 'nopeak', kind: 'gpu', bandwidth: 1, memory: 1 },
    { id: 'ext', extends: 'nope' },
    { id: 'ok', kind: 'cpu', peak: { fp32: 1 }, bandwidth: 1, memory: 1 },
    { id: 'cm', extends: 'rpi5-cpu', channelMultiple: 2.5, shuffle: 'no' },
    'not an object',
  ]);
  assert.deepEqual(targets.map((t) => t.id), ['ok']);
  assert.deepEqual(errors, [
    'targets[0] (ok): unknown field `colour` (ignored)',
    'targets[1] (neg): bandwidth: expected a positive finite number (bytes/s), got -1',
    'targets[2] (inf): peak.fp32: expected a positive finite number (FLOP/s), got null',
    'targets[2] (inf): peak.fp64: not a dtype (fp32, fp16, bf16, int8)',
    "targets[3] (bad kind): id: expected a name of letters, digits, '.', '_' or '-', got 'bad kind'",
    "targets[3] (bad kind): kind: expected one of gpu, cpu, npu, got 'tpu'",
    'targets[4] (nopeak): peak: required (an object of dtype: FLOP/s), or `extends` a built-in target',
    "targets[5] (ext): extends: expected a built-in target (t4, rtx-a4000, a100, h100, orin-nano, phone-cpu, phone-npu, rpi5-cpu, nnie), got 'nope'",
    'targets[6] (ok): id: `ok` is defined twice (the first one is kept)',
    'targets[7] (cm): channelMultiple: expected a positive whole number, got 2.5',
    "targets[7] (cm): shuffle: expected true or false, got 'no'",
    "targets[8]: expected an object, got 'not an object'",
  ]);
  assert.deepEqual(parseTargets({ id: 'x' }).errors, ['targets: expected an array of target objects, got {"id":"x"}']);
  assert.deepEqual(parseTargets(undefined), { targets: [], errors: [] });
});

test('loadProjectConfig finds the nearest netcost.json or package.json "netcost", and stops at .git', () => {
  const base = mkdtempSync(join(tmpdir(), 'netcost-config-'));
  const repo = join(base, 'repo');
  const deep = join(repo, 'models', 'vision');
  mkdirSync(deep, { recursive: true });
  const target = (id: string) => ({ id, kind: 'cpu', peak: { fp32: 1e11 }, bandwidth: 1e10, memory: 1e9 });
  // above the repository root: never reached once .git is found
  writeFileSync(join(base, 'netcost.json'), JSON.stringify({ targets: [target('outside')] }));
  mkdirSync(join(repo, '.git'));
  assert.deepEqual(loadProjectConfig(deep), { targets: [], errors: [], path: null, raw: null });
  // package.json with a netcost key at the repository root
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'x', netcost: { targets: [target('pkg')], budgets: { macs: 1 } } }));
  let c = loadProjectConfig(deep);
  assert.equal(c.path, join(repo, 'package.json'));
  assert.deepEqual(c.targets.map((t) => t.id), ['pkg']);
  assert.deepEqual(c.raw?.budgets, { macs: 1 }); // other sections come back for their own readers
  // a package.json without the key is skipped; a nearer netcost.json wins
  writeFileSync(join(repo, 'models', 'package.json'), JSON.stringify({ name: 'y' }));
  writeFileSync(join(repo, 'models', 'netcost.json'), JSON.stringify({ targets: [target('near'), { id: 'bad' }] }));
  c = loadProjectConfig(deep);
  assert.equal(c.path, join(repo, 'models', 'netcost.json'));
  assert.deepEqual(c.targets.map((t) => t.id), ['near']);
  assert.equal(c.errors.length, 4); // bad: kind, peak, bandwidth, memory
  assert.ok(c.errors.every((e) => e.startsWith(`${join(repo, 'models', 'netcost.json')}: targets[1] (bad): `)), c.errors[0]);
  // broken JSON is an error naming the file, not an exception
  writeFileSync(join(deep, 'netcost.json'), '{ "targets": [');
  c = loadProjectConfig(deep);
  assert.equal(c.path, join(deep, 'netcost.json'));
  assert.deepEqual(c.targets, []);
  assert.equal(c.errors.length, 1);
  assert.ok(c.errors[0].startsWith(join(deep, 'netcost.json') + ': '), c.errors[0]);
});

function json(...argv: string[]) {
  let out = '';
  let err = '';
  const code = main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  assert.equal(code, 0, err);
  return JSON.parse(out);
}

test('the README table of latency and peak memory is what the CLI computes, cell by cell', () => {
  const readme = read('README.md');
  const start = readme.indexOf('<!-- hardware-table:start -->');
  const end = readme.indexOf('<!-- hardware-table:end -->');
  assert.ok(start > 0 && end > start, 'the table markers');
  const rows = readme.slice(start, end).split('\n').filter((l) => l.startsWith('|')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  const head = rows[0];
  const dtypes = ['fp32', 'fp16', 'int8'];
  assert.deepEqual(head.slice(1, 1 + TARGETS.length), TARGETS.map((t) => `\`${t.id}\` (${t.precision ?? 'fp32'})`), 'a column per built-in target');
  const examples = rows.slice(2);
  assert.deepEqual(examples.map((r) => r[0]), ['`mobilenet_v1`', '`mobilenet_v2`', '`shufflenet_v1`', '`shufflenet_v2`', '`resnet50`', '`vgg16`', '`repvgg_a0`', '`vit_b16`']);
  for (const r of examples) {
    const file = join(root, 'examples', `${r[0].slice(1, -1)}.net`);
    TARGETS.forEach((t, k) => {
      const j = json(file, '--json', '--target', t.id, '--dtype', t.precision ?? 'fp32');
      assert.equal(r[1 + k], formatSeconds(j.target.seconds), `${r[0]} on ${t.id}`);
    });
    dtypes.forEach((d, k) => {
      const j = json(file, '--json', '--target', 't4', '--dtype', d);
      assert.equal(r[1 + TARGETS.length + k], humanBytes(j.target.peakActivationBytes), `${r[0]} peak memory in ${d}`);
    });
  }
});

test('MobileNet v2 is memory-bound for most of its layers on a GPU target (t4), as the README says', () => {
  const a = analyze(read('examples/mobilenet_v2.net'));
  const t4 = findTarget('t4')!;
  const e = estimate(a, t4);
  assert.ok(e.memoryBoundShare > 0.5, String(e.memoryBoundShare));
  assert.equal(e.launches, 99); // 152 layers less 52 folded batch norms and the dropout
  assert.equal((100 * e.memoryBoundShare).toFixed(1), '93.9');
  assert.equal(estimate(analyze(read('examples/mobilenet_v2.net'), { batch: 1, dtype: 'fp16' }), t4).memoryBoundShare, 1);
  // ResNet-50, with 13.6x the MACs, is compute-bound on more of its layers
  assert.ok(estimate(analyze(read('examples/resnet50.net')), t4).memoryBoundShare < e.memoryBoundShare);
});
