// Calibration (issue 10, item 3): per-op-class efficiency in the roofline, the host-cpu target, user
// targets with efficiency and calibration metadata, the fit (server/src/measure/calibrate.ts) on
// synthetic measurements made with a known target, leave-one-out, the accuracy table, and the
// `netcost calibrate` command on saved measurements (--from). No ONNX Runtime here: the measurements
// are made up, so nothing depends on this machine's speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, type Layer } from '../server/src/analysis/analyze';
import { estimate, launches, layerTime } from '../server/src/hardware/roofline';
import { findTarget, parseTargets, TARGETS, type Target } from '../server/src/hardware/targets';
import { hostCpu, hostSpecs } from '../server/src/hardware/host';
import { opClass } from '../server/src/hardware/opclass';
import { lint } from '../server/src/lint/lint';
import { accuracy, accuracyTable, fitTarget, leaveOneOut, predict } from '../server/src/measure/calibrate';
import type { Measurement, MeasuredLayer } from '../server/src/measure/types';
import { runAsync, tempFiles } from './cli-run';

/** 1 GFLOP/s, 100 MB/s: ridge point 10 FLOP/byte; 10 us per launch */
const TOY: Target = {
  id: 'toy', name: 'toy', kind: 'cpu', peak: { fp32: 1e9 }, bandwidth: 1e8, memory: 1e9,
  channelMultiple: 4, launchOverhead: 10e-6, shuffle: true, sources: [],
};
const fig = (flops: number, memoryBytes: number) => ({ flops: { '2macs': flops, exact: flops, macs: flops / 2 }, memoryBytes });
const close = (actual: number, expected: number, rel: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} != ${expected} (relative tolerance ${rel})`);

// ---- efficiency in the roofline

test('efficiency divides a layer\'s time by its class\'s figure; default for the others; none: unchanged', () => {
  const t: Target = { ...TOY, efficiency: { conv: 0.5, default: 0.8 } };
  // compute-bound: 2e6 FLOPs / 1e9 = 2 ms, at efficiency 0.5: 4 ms; memory 1e5 / 1e8 = 1 ms -> 2 ms
  const x = layerTime(fig(2e6, 1e5), t, 'fp32', 'conv');
  assert.deepEqual([x.seconds, x.computeSeconds, x.memorySeconds, x.efficiency, x.bound, x.attainable], [4e-3, 4e-3, 2e-3, 0.5, 'compute', 0.5e9]);
  // a class without its own figure: default 0.8 -> 2 ms / 0.8 = 2.5 ms
  assert.equal(layerTime(fig(2e6, 1e5), t, 'fp32', 'relu').seconds, 2.5e-3);
  // no efficiency at all: the plain roofline, to the bit
  const plain = layerTime(fig(2e6, 1e5), TOY, 'fp32', 'conv');
  assert.deepEqual([plain.seconds, plain.efficiency], [2e-3, 1]);
  // no default: 1
  assert.equal(layerTime(fig(2e6, 1e5), { ...TOY, efficiency: { conv: 0.5 } }, 'fp32', 'relu').seconds, 2e-3);
  // a layer passed without a class gets its own class (as estimate() and the lint rules see it)
  const a = analyze('input: 3 x 8 x 8\nconv 4 k=3 bias=false\nrelu\n');
  const conv = a.layers[0];
  assert.equal(opClass(conv), 'conv');
  assert.equal(layerTime(conv, t, 'fp32').seconds, layerTime(conv, TOY, 'fp32').seconds / 0.5);
});

test('estimate() applies each layer\'s class efficiency: a hand-computed network', () => {
  // conv 3 -> 4, 3x3, 8x8 -> 6x6 (no padding): MACs 4 x 36 x 27 = 3,888, FLOPs 7,776;
  // bytes (3 x 64 + 4 x 36 + 108 weights) x 4 = 1,776; relu: 0 FLOPs... (whatever ops.ts counts), bytes 2 x 144 x 4 = 1,152
  const a = analyze('input: 3 x 8 x 8\nconv 4 k=3 p=0 bias=false\nrelu\n');
  assert.deepEqual(a.diagnostics, []);
  const [conv, relu] = a.layers;
  assert.deepEqual([conv.flops['2macs'], conv.memoryBytes], [7776, 1776]);
  const t: Target = { ...TOY, efficiency: { conv: 0.25, relu: 2 } };
  const e = estimate(a, t);
  // conv: max(7,776 / 1e9, 1,776 / 1e8) = 17.76 us, / 0.25 = 71.04 us
  close(e.layers[0].seconds, 71.04e-6, 1e-12, 'conv');
  // relu: its roofline / 2
  close(e.layers[1].seconds, Math.max(relu.flops['2macs'] / 1e9, relu.memoryBytes / 1e8) / 2, 1e-12, 'relu');
  close(e.seconds, e.layers[0].seconds + e.layers[1].seconds + 2 * 10e-6, 1e-12, 'network');
  // without efficiency: every figure as before
  const plain = estimate(a, TOY);
  close(plain.layers[0].seconds, 17.76e-6, 1e-12, 'plain conv');
});

// ---- host-cpu

test('host-cpu: this machine\'s CPU from its specs, found by findTarget but not in TARGETS', () => {
  assert.ok(!TARGETS.some((t) => t.id === 'host-cpu'));
  const h = findTarget('host-cpu')!;
  assert.equal(h.id, 'host-cpu');
  assert.equal(h.kind, 'cpu');
  const s = hostSpecs();
  assert.equal(h.peak.fp32, s.physicalCores * s.mhz * 1e6 * s.flopsPerCycle);
  assert.equal(hostCpu(3).peak.fp32, 3 * s.mhz * 1e6 * s.flopsPerCycle);
  assert.equal(h.bandwidth, 51.2e9);
  assert.ok(h.memory > 0 && h.launchOverhead > 0 && [4, 8, 16].includes(h.channelMultiple));
  assert.ok(h.sources.some((x) => x.startsWith('bandwidth: assumption')), h.sources.join('\n'));
  assert.deepEqual(hostCpu(), h); // deterministic
  // a user target may extend it, or replace it
  const { targets, errors } = parseTargets([{ id: 'mine', extends: 'host-cpu', bandwidth: 20e9 }]);
  assert.deepEqual(errors, []);
  assert.deepEqual([targets[0].peak.fp32, targets[0].bandwidth, targets[0].kind], [h.peak.fp32, 20e9, 'cpu']);
  assert.equal(findTarget('host-cpu', [{ ...TOY, id: 'host-cpu' }])!.name, 'toy');
});

test('hostSpecs reads /proc/cpuinfo text: physical cores, clock, ISA', () => {
  const info = ['processor\t: 0', 'model name\t: Test CPU', 'physical id\t: 0', 'core id\t\t: 0', 'cpu MHz\t\t: 3000.000', 'flags\t\t: fpu sse sse2 avx avx2 fma',
    '', 'processor\t: 1', 'model name\t: Test CPU', 'physical id\t: 0', 'core id\t\t: 0', 'cpu MHz\t\t: 3000.000', 'flags\t\t: fpu sse sse2 avx avx2 fma',
    '', 'processor\t: 2', 'model name\t: Test CPU', 'physical id\t: 0', 'core id\t\t: 1', 'cpu MHz\t\t: 3000.000', 'flags\t\t: fpu sse sse2 avx avx2 fma', ''].join('\n');
  const s = hostSpecs(info);
  assert.equal(s.model, 'Test CPU');
  assert.equal(s.physicalCores, 2); // hyperthreads share a core id
  assert.equal(s.isa, 'avx2+fma');
  assert.equal(s.flopsPerCycle, 32);
  assert.equal(s.lanes, 8);
  if (!existsSync('/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq')) assert.equal(s.mhz, 3000);
  assert.equal(hostSpecs(info.replace(/avx avx2 fma/g, 'avx avx2 fma avx512f')).flopsPerCycle, 64);
  assert.equal(hostSpecs(info.replace(/ avx avx2 fma/g, '')).flopsPerCycle, 8);
});

// ---- parseTargets: efficiency and calibration

test('parseTargets: efficiency and calibration metadata, validated', () => {
  const calibration = { date: '2025-01-01T00:00:00.000Z', runtime: 'onnxruntime-node 1.30.0 cpu', threads: 2, models: ['a.net'] };
  const { targets, errors } = parseTargets([
    { id: 'cal', extends: 'rpi5-cpu', efficiency: { conv: 0.5, default: 0.7 }, calibration },
    { id: 'e0', extends: 'rpi5-cpu', efficiency: { conv: 0 } },
    { id: 'e11', extends: 'rpi5-cpu', efficiency: { conv: 11, 'no good': 1 } },
    { id: 'enot', extends: 'rpi5-cpu', efficiency: [0.5] },
    { id: 'c1', extends: 'rpi5-cpu', calibration: { ...calibration, threads: 0, models: 'a.net', extra: 1 } },
    { id: 'c2', extends: 'rpi5-cpu', calibration: 'yesterday' },
    { id: 'ext', extends: 'cal' },
  ]);
  assert.deepEqual(targets.map((t) => t.id), ['cal']);
  assert.deepEqual(targets[0].efficiency, { conv: 0.5, default: 0.7 });
  assert.deepEqual(targets[0].calibration, calibration);
  assert.deepEqual(errors, [
    'targets[1] (e0): efficiency.conv: expected a number in (0, 10], got 0',
    'targets[2] (e11): efficiency.conv: expected a number in (0, 10], got 11',
    'targets[2] (e11): efficiency.no good: expected an op class (conv, dwconv, linear, ... or default)',
    'targets[3] (enot): efficiency: expected an object of op class: fraction of the roofline, got [0.5]',
    'targets[4] (c1): unknown field `calibration.extra` (ignored)',
    'targets[4] (c1): calibration.threads: expected a positive whole number, got 0',
    "targets[4] (c1): calibration.models: expected an array of file names, got 'a.net'",
    "targets[5] (c2): calibration: expected an object (date, runtime, threads, models), got 'yesterday'",
    "targets[6] (ext): extends: expected a built-in target (t4, rtx-a4000, a100, h100, orin-nano, phone-cpu, phone-npu, rpi5-cpu, nnie), got 'cal'",
  ]);
});

// ---- synthetic measurements

type Spec = Pick<MeasuredLayer, 'opClass' | 'flops' | 'memoryBytes' | 'launches'>;

/**
 * A measurement of `layers` made with the target `g`: each layer's kernel time is exactly its estimate on
 * `g` (roofline / efficiency + launch), inflated by `profiling` (the profiler's overhead, which the fit
 * scales away); the median latency is the true total.
 */
function synthetic(file: string, layers: Spec[], g: Target, profiling = 1.3): Measurement {
  const ls: MeasuredLayer[] = layers.map((l, i) => {
    const est = layerTime(fig(l.flops, l.memoryBytes), g, 'fp32', l.opClass).seconds + (l.launches ? g.launchOverhead : 0);
    return { name: `l${i}`, line: i, op: l.opClass, ...l, node: `n${i}`, measuredSeconds: est * profiling, estimatedSeconds: est };
  });
  const total = ls.reduce((s, l) => s + l.estimatedSeconds, 0);
  return {
    version: 1, file, model: { path: `${file}.onnx`, exported: true, weights: 'filled' },
    runtime: { name: 'onnxruntime-node', version: '1.30.0', executionProvider: 'cpu', threads: 2, graphOptimizationLevel: 'all' },
    batch: 1, dtype: 'fp32', warmup: 1, runs: 5, profiledRuns: 2,
    latency: { medianSeconds: total, p90Seconds: total, minSeconds: total, maxSeconds: total, samples: [total] },
    throughput: 1 / total, sessionSeconds: 0.01, kernelSeconds: total * profiling,
    target: { id: 'host-cpu', name: 'host' }, estimate: { seconds: 0, launches: 0 }, nodes: [], layers: ls, byOpClass: [], notes: [],
  };
}

/** the generating target: 200 GFLOP/s, 40 GB/s (ridge 5 FLOP/byte), 4 us per launch */
const GEN: Target = {
  id: 'gen', name: 'generator', kind: 'cpu', peak: { fp32: 200e9 }, bandwidth: 40e9, memory: 8e9, channelMultiple: 8,
  launchOverhead: 4e-6, shuffle: true, sources: [], efficiency: { conv: 1, dwconv: 0.25, relu: 2, linear: 0.6 },
};
/** the base the fit starts from (a different ridge point: 10 FLOP/byte) */
const BASE: Target = { ...GEN, id: 'base', name: 'base CPU', peak: { fp32: 100e9 }, bandwidth: 10e9, launchOverhead: 1e-6, efficiency: undefined };

const conv = (flops: number, bytes: number): Spec => ({ opClass: 'conv', flops, memoryBytes: bytes, launches: true });
const mem = (opClass: string, bytes: number, flops = bytes / 8): Spec => ({ opClass, flops, memoryBytes: bytes, launches: true });
const view = (bytes: number): Spec => ({ opClass: 'reshape', flops: 0, memoryBytes: 0, launches: bytes < 0 });

/** four networks mixing compute-bound and memory-bound convs (so the ridge point shows), depthwise, relu, linear */
function nets(g: Target): Measurement[] {
  return [
    synthetic('a.net', [conv(4e8, 2e6), mem('relu', 4e5), conv(1e8, 1e6), mem('relu', 2e5), conv(2e6, 1e6), view(0), mem('linear', 8e6, 2e6)], g),
    synthetic('b.net', [conv(2e8, 1e6), mem('dwconv', 2e6, 4e5), conv(1e6, 2e6), mem('relu', 1e5), conv(3e8, 4e6), mem('dwconv', 1e6, 2e5)], g),
    synthetic('c.net', [conv(5e7, 3e5), conv(6e8, 2e7), mem('relu', 8e5), mem('dwconv', 3e5, 6e4), conv(4e6, 4e6), mem('relu', 1e4)], g),
    synthetic('d.net', [conv(1e9, 5e6), mem('relu', 1e6), conv(3e5, 6e5), mem('linear', 4e7, 1e7), mem('dwconv', 5e5, 1e5), conv(2e8, 3e6)], g),
  ];
}

test('fitTarget recovers the generating target from exact synthetic measurements (4 significant digits)', () => {
  const ms = nets(GEN);
  const t = fitTarget(ms, BASE, { date: '2025-01-01T00:00:00.000Z' });
  // the fit rounds to 4 significant digits: each figure within 1e-3 of the truth
  close(t.peak.fp32!, 200e9, 1e-3, 'peak');
  close(t.bandwidth, 40e9, 1e-3, 'bandwidth');
  close(t.launchOverhead, 4e-6, 1e-3, 'launch');
  for (const [k, v] of Object.entries(GEN.efficiency!)) close(t.efficiency![k], v, 1e-3, `efficiency.${k}`);
  // the measured classes, then relu's figure for the activations not measured (its family), then default
  assert.deepEqual(Object.keys(t.efficiency!).slice(0, 4), ['conv', 'dwconv', 'linear', 'relu']);
  assert.equal(t.efficiency!.relu6, t.efficiency!.relu);
  assert.equal(Object.keys(t.efficiency!).at(-1), 'default');
  assert.equal(t.efficiency!.softmax, undefined);
  // and so every network's latency
  for (const m of ms) close(predict(m, t), m.latency.medianSeconds, 2e-3, m.file);
  assert.deepEqual(t.calibration, {
    date: '2025-01-01T00:00:00.000Z', runtime: 'onnxruntime-node 1.30.0 cpu', threads: 2, models: ['a.net', 'b.net', 'c.net', 'd.net'], cpu: 'base CPU',
  });
  assert.deepEqual([t.id, t.kind, t.memory, t.channelMultiple, t.shuffle], ['local-cpu', 'cpu', 8e9, 8, true]);
  // what the fit writes passes parseTargets unchanged
  const { targets, errors } = parseTargets([JSON.parse(JSON.stringify(t))]);
  assert.deepEqual(errors, []);
  assert.deepEqual(targets[0], { ...t, user: true });
});

test('fitTarget: launch overhead and efficiency also come out when the profile is not inflated', () => {
  const ms = nets(GEN).map((m) => synthetic(m.file, m.layers, GEN, 1));
  const t = fitTarget(ms, BASE);
  close(t.launchOverhead, 4e-6, 1e-3, 'launch');
  close(t.efficiency!.dwconv, 0.25, 1e-3, 'dwconv');
});

test('leaveOneOut: each network is predicted by a target fitted on the others only', () => {
  // c.net alone has `erf`, 20x slower than its roofline: fitted without c, erf falls back to `default`
  const g: Target = { ...GEN, efficiency: { ...GEN.efficiency, erf: 0.05 } };
  const ms = nets(g);
  ms[2] = synthetic('c.net', [...ms[2].layers, mem('erf', 4e6)], g);
  const rows = leaveOneOut(ms, BASE, { date: 'x' });
  assert.deepEqual(rows.map((r) => r.file), ['a.net', 'b.net', 'c.net', 'd.net']);
  const without = fitTarget([ms[0], ms[1], ms[3]], BASE, { date: 'x' });
  const withIt = fitTarget(ms, BASE, { date: 'x' });
  assert.equal(without.efficiency!.erf, undefined);
  close(withIt.efficiency!.erf, 0.05, 1e-3, 'erf with c');
  assert.equal(rows[2].afterSeconds, predict(ms[2], without));
  assert.ok(Math.abs(predict(ms[2], withIt) / rows[2].afterSeconds - 1) > 0.5, 'including c would change its prediction');
  // before = the base target's plain roofline
  for (const [i, r] of rows.entries()) {
    assert.equal(r.beforeSeconds, predict(ms[i], BASE));
    assert.equal(r.measuredSeconds, ms[i].latency.medianSeconds);
  }
  // the others are predicted exactly (their classes are all in the training set)
  for (const i of [0, 1, 3]) close(rows[i].afterSeconds, rows[i].measuredSeconds, 2e-3, rows[i].file);
  assert.throws(() => leaveOneOut([ms[0]], BASE), /at least 2/);
});

test('predict() of a measurement equals estimate() of its analysis with the fitted target, to the bit', () => {
  const text = readFileSync(join(__dirname, '..', 'examples', 'mobilenet_v2.net'), 'utf8');
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  // a measurement with the analysis' layers: times made up (each layer on GEN, x 1.1 for conv)
  const m = synthetic('mobilenet_v2.net', a.layers.map((l: Layer) => ({ opClass: opClass(l), flops: l.flops['2macs'], memoryBytes: l.memoryBytes, launches: launches(l) })), GEN);
  for (const l of m.layers) if (l.opClass === 'conv') l.measuredSeconds *= 1.1;
  const t = fitTarget([m, nets(GEN)[0]], hostCpu());
  assert.ok(t.efficiency && Object.keys(t.efficiency).length > 2);
  assert.equal(predict(m, t), estimate(a, t).seconds);
  assert.equal(predict(m, hostCpu()), estimate(a, hostCpu()).seconds);
});

test('accuracyTable: per network, the errors, their median and the worst factor', () => {
  const rows = [
    { file: 'examples/a.net', measuredSeconds: 0.01, beforeSeconds: 0.005, afterSeconds: 0.011 },
    { file: 'b.onnx', measuredSeconds: 0.002, beforeSeconds: 0.001, afterSeconds: 0.0019 },
    { file: 'c.net', measuredSeconds: 0.1, beforeSeconds: 0.3, afterSeconds: 0.08 },
  ];
  const acc = accuracy(rows);
  close(acc.before.medianAbsError, 0.5, 1e-12);
  close(acc.before.worstFactor, 3, 1e-12);
  close(acc.after.medianAbsError, 0.1, 1e-12);
  close(acc.after.worstFactor, 1.25, 1e-12);
  assert.equal(accuracyTable(rows), [
    '| network | measured | before (host-cpu) | error | after (leave-one-out) | error |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    '| a | 10.0 ms | 5.00 ms | -50% | 11.0 ms | +10% |',
    '| b | 2.00 ms | 1.00 ms | -50% | 1.90 ms | -5.0% |',
    '| c | 100 ms | 300 ms | +200% | 80.0 ms | -20% |',
    '| median absolute error | | | 50.0% | | 10.0% |',
    '| worst factor | | | 3.00x | | 1.25x |',
    '',
  ].join('\n'));
});

// ---- the command, on saved measurements

test('netcost calibrate --from: fits, prints the leave-one-out table, writes and merges netcost.json; --dry-run writes nothing', async () => {
  const tmp = tempFiles('netcost-calibrate-');
  const from = tmp.file('measurements.json', JSON.stringify(nets(GEN)));
  const config = join(tmp.dir, 'netcost.json');
  writeFileSync(config, JSON.stringify({ budgets: { macs: '600M' }, targets: [{ id: 'other', extends: 't4' }, { id: 'local-cpu', extends: 'rpi5-cpu' }] }));
  // --dry-run: nothing written
  let r = await runAsync('calibrate', '--from', from, '--config', config, '--dry-run');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /leave-one-out/);
  assert.match(r.out, /median absolute error/);
  assert.doesNotMatch(r.out, /saved target/);
  assert.deepEqual(JSON.parse(readFileSync(config, 'utf8')).targets[1], { id: 'local-cpu', extends: 'rpi5-cpu' });
  // for real: the entry with the same id is replaced, every other key and target kept, 2-space JSON
  r = await runAsync('calibrate', '--from', from, '--config', config);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`saved target local-cpu to ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const text = readFileSync(config, 'utf8');
  assert.ok(text.startsWith('{\n  "budgets": {\n    "macs": "600M"\n  },\n  "targets": [\n'), text.slice(0, 80));
  const saved = JSON.parse(text);
  assert.deepEqual(saved.budgets, { macs: '600M' });
  assert.deepEqual(saved.targets.map((t: Target) => t.id), ['other', 'local-cpu']);
  const { targets, errors } = parseTargets(saved.targets);
  assert.deepEqual(errors, []);
  const local = targets[1];
  close(local.peak.fp32!, 200e9, 1e-3, 'saved peak');
  close(local.efficiency!.dwconv, 0.25, 1e-3, 'saved dwconv');
  // --json: the target and the table as data; --name; a new file
  const fresh = join(tmp.dir, 'sub-netcost.json');
  r = await runAsync('calibrate', '--from', from, '--config', fresh, '--name', 'box-2t', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.target.id, 'box-2t');
  assert.equal(j.leaveOneOut.length, 4);
  assert.deepEqual(JSON.parse(readFileSync(fresh, 'utf8')).targets.map((t: Target) => t.id), ['box-2t']);
});

test('netcost calibrate: usage errors (exit 2), one model fits without a table', async () => {
  const tmp = tempFiles('netcost-calibrate-');
  assert.equal((await runAsync('calibrate')).code, 2);
  assert.equal((await runAsync('calibrate', '--runs', 'x', 'a.net')).code, 2);
  assert.equal((await runAsync('calibrate', '--name', 'bad name', 'a.net')).code, 2);
  assert.equal((await runAsync('calibrate', '--from', join(tmp.dir, 'missing.json'))).code, 2);
  const help = await runAsync('calibrate', '--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /--save-measurements/);
  const one = tmp.file('one.json', JSON.stringify([nets(GEN)[0]]));
  const r = await runAsync('calibrate', '--from', one, '--dry-run', '--config', join(tmp.dir, 'netcost.json'));
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.out, /median absolute error/);
  assert.match(r.out, /leave-one-out needs at least 2 models/);
});

test('a calibrated target in netcost.json is used by `netcost FILE --target local-cpu` and by the lint rules', async () => {
  const tmp = tempFiles('netcost-calibrated-');
  const from = tmp.file('m.json', JSON.stringify(nets(GEN)));
  assert.equal((await runAsync('calibrate', '--from', from, '--config', join(tmp.dir, 'netcost.json'))).code, 0);
  const net = tmp.file('dw.net', 'input: 32 x 56 x 56\nconv 32 k=3 g=32 bias=false\nconv 64 k=1 bias=false\n');
  const r = await runAsync(net, '--target', 'local-cpu', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  const local = parseTargets(JSON.parse(readFileSync(join(tmp.dir, 'netcost.json'), 'utf8')).targets).targets[0];
  const a = analyze(readFileSync(net, 'utf8'));
  assert.equal(j.target.id, 'local-cpu');
  assert.equal(j.target.seconds, estimate(a, local).seconds);
  assert.notEqual(j.target.seconds, estimate(a, { ...local, efficiency: undefined }).seconds); // the efficiencies are applied
  // the lint rules judge with the calibrated figures: the depthwise layer's estimated time includes its efficiency
  const ds = lint(a, readFileSync(net, 'utf8'), { target: local }).filter((d) => d.code === 'depthwise-memory-bound');
  assert.equal(ds.length, 1);
  const dw = layerTime(a.layers[0], local, 'fp32');
  assert.equal(dw.efficiency, local.efficiency!.dwconv);
  const plain = lint(a, readFileSync(net, 'utf8'), { target: { ...local, efficiency: undefined } }).find((d) => d.code === 'depthwise-memory-bound')!;
  assert.notEqual(ds[0].message, plain.message);
});

test('saved measurements carry their host-cpu: the table is the same on any machine', async () => {
  const tmp = tempFiles('netcost-calibrate-');
  const saved = tmp.file('saved.json', JSON.stringify({ version: 1, host: BASE, measurements: nets(GEN) }));
  const r = await runAsync('calibrate', '--from', saved, '--dry-run', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.base.id, 'base');
  const rows = leaveOneOut(nets(GEN), BASE);
  assert.deepEqual(j.leaveOneOut, rows);
  assert.equal(j.table, accuracyTable(rows));
});

test('the README\'s accuracy table is what docs/accuracy/measurements.json gives (node scripts/accuracy.mjs)', async (t) => {
  const root = join(__dirname, '..');
  const stored = join(root, 'docs', 'accuracy', 'measurements.json');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf('| network | measured | before (host-cpu) |');
  if (!existsSync(stored) || at < 0) { t.skip('no stored measurements or no table in the README yet'); return; }
  const end = readme.indexOf('| worst factor |', at);
  const inReadme = readme.slice(at, readme.indexOf('\n', end) + 1);
  const r = await runAsync('calibrate', '--from', stored, '--dry-run', '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal(inReadme, JSON.parse(r.out).table);
});
