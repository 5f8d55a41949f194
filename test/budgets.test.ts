// Budgets (issue 9 point 1): parsing of every unit, the CLI's exit codes and messages, the JSON
// `budgets` array, netcost.json budgets, latency@TARGET, and the editor's diagnostic and status bar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../server/src/cli/main';
import { analyze } from '../server/src/analysis/analyze';
import { estimate } from '../server/src/hardware/roofline';
import { findTarget } from '../server/src/hardware/targets';
import { evaluateBudgets, mergeBudgets, parseBudget, parseBudgetsConfig, withProjectBudgets, type Budget } from '../server/src/budget/budgets';
import { analyzeDocument } from '../server/src/ide/document';
import { DEFAULT_EDITOR_SETTINGS } from '../server/src/ide/settings';
import { summarize, summaryLabel } from '../server/src/ide/summary';

const RESNET = 'examples/resnet50.net';
const MACS = 4_089_184_256; // examples/README.md
const PARAMS = 25_530_472;

function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}
const budget = (spec: string): Budget => {
  const b = parseBudget(spec);
  if (typeof b === 'string') throw new Error(b);
  return b;
};

test('every unit parses to its exact value', () => {
  const cases: [string, number][] = [
    ['macs=600M', 600_000_000], ['params=5M', 5_000_000], ['flops=1.5K', 1_500], ['macs=4G', 4_000_000_000], ['params=123', 123],
    ['weights=20MB', 20_000_000], ['weights=20MiB', 20_971_520], ['activations=40KB', 40_000], ['activations=3KiB', 3_072],
    ['memory=1GB', 1_000_000_000], ['memory=2GiB', 2_147_483_648], ['weights=512B', 512], ['weights=1000', 1000],
  ];
  for (const [spec, v] of cases) assert.equal(budget(spec).limit, v, spec);
  const ms = budget('latency@t4=2ms');
  assert.equal(ms.figure, 'latency@t4');
  assert.equal(ms.target, 't4');
  assert.equal(ms.limit, 0.002);
  assert.equal(budget('latency@t4=500us').limit, 0.0005);
  assert.equal(budget('latency@rpi5-cpu=0.5s').limit, 0.5);
  assert.equal(budget('macs=600M').text, '600M');
  assert.equal(budget('weights=20MB').unit, 'bytes');
});

test('bad budgets are refused with the allowed figures and units', () => {
  assert.match(parseBudget('foo=1') as string, /unknown budget figure 'foo' \(figures: params, macs, flops, weights, activations, memory, latency@TARGET\)/);
  assert.match(parseBudget('macs=4X') as string, /bad value.*K\/M\/G/);
  assert.match(parseBudget('macs=20MB') as string, /bad value/); // a count takes no bytes unit
  assert.match(parseBudget('weights=600M') as string, /bad value.*KiB\/MiB\/GiB/);
  assert.match(parseBudget('latency@t4=2') as string, /bad value.*s, ms or us/); // latency needs a unit
  assert.match(parseBudget('latency=2ms') as string, /latency@TARGET/);
  assert.match(parseBudget('params@t4=1M') as string, /only latency takes @TARGET/);
  assert.match(parseBudget('macs') as string, /expected NAME=VALUE/);
  assert.match(parseBudget('macs=-1M') as string, /bad value/);
  for (const spec of ['foo=1', 'macs=4X', 'macs', 'latency@t4=2', 'latency@nowhere=2ms']) {
    const r = run(RESNET, '--budget', spec);
    assert.equal(r.code, 2, spec);
    assert.equal(r.out, '');
    assert.match(r.err, /^netcost: /);
  }
  assert.match(run(RESNET, '--budget', 'latency@nowhere=2ms').err, /unknown target 'nowhere' \(known: t4, /);
  assert.match(run(RESNET, '--budget', 'weights=1Q').err, /KB\/MB\/GB \(10\^3\.\.\) or KiB\/MiB\/GiB \(2\^10\.\.\); latency@TARGET takes s, ms or us/);
});

test('a budget within the figure exits 0 and prints nothing on stderr', () => {
  const r = run(RESNET, '--budget', 'macs=5G', '--budget', 'params=26M', '--budget', 'weights=103MB', '--budget', 'activations=10MB');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  assert.equal(run(RESNET, '--budget', `macs=${MACS}`).code, 0); // equal is within
});

test('an exceeded budget exits 1 naming the figure, both values and the 3 layers contributing most', () => {
  const r = run(RESNET, '--budget', 'macs=4G');
  assert.equal(r.code, 1);
  // conv1: 7*7*3*64 * 112*112 = 118,013,952; a 3x3 64->64 conv at 56x56: 9*64*64 * 3136 = 115,605,504
  assert.equal(r.err, `${RESNET}: budget exceeded: macs 4,089,184,256 > 4,000,000,000 (4.09G > budget 4G); most from: ` +
    'conv1.conv (118M), layer1.0.conv_2 (116M), layer1.1.conv_2 (116M)\n');
  const two = run(RESNET, '--budget', 'params=5M', '--budget', 'macs=5G', '--budget', 'weights=20MiB');
  assert.equal(two.code, 1);
  const lines = two.err.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /params 25,530,472 > 5,000,000 \(25\.5M > budget 5M\); most from: layer4\.0\.conv_2 \(2\.36M\)/);
  assert.match(lines[1], /weights 102,121,888 bytes > 20,971,520 bytes \(102 MB > budget 20MiB\)/);
});

test('the JSON report adds a budgets array with exact values and top contributors', () => {
  const r = run(RESNET, '--json', '--budget', 'macs=4G', '--budget', 'weights=20MB', '--budget', 'activations=40MB');
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out);
  assert.equal(j.version, 1);
  assert.deepEqual(j.budgets, [
    { figure: 'macs', budget: 4e9, value: MACS, exceeded: true,
      top: [{ name: 'conv1.conv', value: 118_013_952 }, { name: 'layer1.0.conv_2', value: 115_605_504 }, { name: 'layer1.1.conv_2', value: 115_605_504 }] },
    // 3x3 512->512 conv with the folded BN's bias: (2,359,296 + 512) x 4 bytes
    { figure: 'weights', budget: 20_000_000, value: 102_121_888, exceeded: true,
      top: [{ name: 'layer4.0.conv_2', value: 9_439_232 }, { name: 'layer4.1.conv_2', value: 9_439_232 }, { name: 'layer4.2.conv_2', value: 9_439_232 }] },
    // the peak: three 256 x 56 x 56 fp32 tensors of layer1.0 (256*56*56*4 = 3,211,264 bytes each)
    { figure: 'activations', budget: 40_000_000, value: 9_633_792, exceeded: false,
      top: [{ name: 'layer1.0.down.conv', value: 3_211_264 }, { name: 'layer1.0.main.conv', value: 3_211_264 }, { name: 'layer1.0.out', value: 3_211_264 }] },
  ]);
  assert.equal(JSON.parse(run(RESNET, '--json').out).budgets, undefined); // no budget: no field
  // flops follow --flops; fp16 halves the weight bytes
  const f = JSON.parse(run(RESNET, '--json', '--flops', 'macs', '--dtype', 'fp16', '--budget', 'flops=1G', '--budget', 'weights=1GB').out);
  assert.equal(f.budgets[0].value, MACS);
  assert.equal(f.budgets[1].value, 102_121_888 / 2);
});

test('latency@TARGET budgets use the roofline estimate on that target', () => {
  const a = analyze(readFileSync(RESNET, 'utf8'), { batch: 1, dtype: 'fp32' });
  const seconds = estimate(a, findTarget('t4')!).seconds;
  assert.ok(seconds > 0.002 && seconds < 0.003, String(seconds));
  assert.equal(run(RESNET, '--budget', 'latency@t4=3ms').code, 0);
  const r = run(RESNET, '--json', '--budget', 'latency@t4=2ms');
  assert.equal(r.code, 1);
  const b = JSON.parse(r.out).budgets[0];
  assert.equal(b.figure, 'latency@t4');
  assert.equal(b.budget, 0.002);
  assert.equal(b.value, seconds);
  assert.equal(b.top.length, 3);
  assert.match(r.err, new RegExp(`latency@t4 ${(seconds * 1e3).toFixed(3).replace('.', '\\.')} ms > 2\\.000 ms`));
});

test('netcost.json budgets apply, flags override them per figure, a bad entry exits 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netcost-budgets-'));
  const file = join(dir, 'resnet50.net');
  copyFileSync(RESNET, file);
  writeFileSync(join(dir, 'netcost.json'), JSON.stringify({
    targets: [{ id: 'slow', extends: 't4', bandwidth: 1e9 }],
    budgets: { macs: '4G', params: '30M', 'latency@slow': '10ms' },
  }));
  const r = run(file, '--json');
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.budgets.map((b: { figure: string; exceeded: boolean }) => [b.figure, b.exceeded]), [['macs', true], ['params', false], ['latency@slow', true]]);
  assert.equal(j.budgets[1].value, PARAMS);
  assert.match(r.err, /macs 4,089,184,256 > 4,000,000,000/);
  // the flags win per figure: macs and the user target's latency raised, params kept from the file
  const over = run(file, '--budget', 'macs=5G', '--budget', 'latency@slow=10s');
  assert.equal(over.code, 0, over.err);
  assert.equal(run(file, '--budget', 'macs=5G', '--budget', 'latency@slow=10s', '--budget', 'params=20M').code, 1);
  // package.json "netcost" key
  const pkg = mkdtempSync(join(tmpdir(), 'netcost-budgets-pkg-'));
  copyFileSync(RESNET, join(pkg, 'm.net'));
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'x', netcost: { budgets: { weights: '90MiB' } } }));
  assert.match(run(join(pkg, 'm.net')).err, /weights 102,121,888 bytes > 94,371,840 bytes/);
  // a bad entry in the file
  writeFileSync(join(dir, 'netcost.json'), JSON.stringify({ budgets: { macs: 'lots' } }));
  const bad = run(file);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /netcost\.json: "budgets": 'macs=lots': bad value/);
});

test('config parsing and merging', () => {
  const c = parseBudgetsConfig({ macs: '600M', weights: 20_000_000, 'latency@t4': '2ms', bogus: '1' });
  assert.deepEqual(c.budgets.map((b) => [b.figure, b.limit]), [['macs', 6e8], ['weights', 2e7], ['latency@t4', 0.002]]);
  assert.equal(c.errors.length, 1);
  assert.match(parseBudgetsConfig(['macs']).errors[0], /expected an object/);
  const m = mergeBudgets(c.budgets, [budget('macs=1G'), budget('params=1M')]);
  assert.deepEqual(m.map((b) => [b.figure, b.limit]), [['macs', 1e9], ['weights', 2e7], ['latency@t4', 0.002], ['params', 1e6]]);
  assert.equal(withProjectBudgets({ a: 1 }, null).budgets, undefined);
  assert.equal(withProjectBudgets({ a: 1 }, { raw: { budgets: { macs: '1G' } } }).budgets![0].limit, 1e9);
});

test('the editor: a budget-exceeded warning on the input line and the figure in the status bar', () => {
  const text = readFileSync(RESNET, 'utf8');
  const budgets = [budget('macs=600M'), budget('params=30M')];
  const d = analyzeDocument(text, { ...DEFAULT_EDITOR_SETTINGS, budgets });
  const found = d.diagnostics.filter((x) => x.code === 'budget-exceeded');
  assert.equal(found.length, 1);
  assert.equal(found[0].severity, 'warning');
  assert.equal(found[0].range.start.line, 5); // `input image: 3 x 224 x 224`, line 6
  assert.match(found[0].message, /^budget exceeded: macs 4,089,184,256 > 600,000,000 \(4\.09G > budget 600M\); most from: conv1\.conv/);
  const s = summarize(d, '2macs');
  assert.equal(summaryLabel(s), '4.09G MACs · 25.5M params · MACs 4.09G / 600M ✗');
  assert.equal(s.budgets!.length, 2);
  assert.equal(s.budgets![1].exceeded, false);
  // the rule setting switches it off; without budgets nothing changes
  assert.equal(analyzeDocument(text, { ...DEFAULT_EDITOR_SETTINGS, budgets, rules: { 'budget-exceeded': 'off' } }).diagnostics.some((x) => x.code === 'budget-exceeded'), false);
  const plain = analyzeDocument(text, DEFAULT_EDITOR_SETTINGS);
  assert.equal(plain.diagnostics.some((x) => x.code === 'budget-exceeded'), false);
  assert.equal(summaryLabel(summarize(plain, '2macs')), '4.09G MACs · 25.5M params');
  assert.equal(evaluateBudgets(plain.analysis, [budget('latency@nowhere=1ms')], { flops: '2macs' }).length, 0); // unknown target: skipped
});
