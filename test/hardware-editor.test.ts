// The hardware target in the editor, as plain data (ide/): the roofline section of hovers, the
// `latency` hint field, the status bar summary, the target settings and the `unknown-target` warning.
// Figures are worked by hand from cost-model.md section 4 on a made-up target whose round numbers
// make them easy to check: 100 GFLOP/s, 10 GB/s (ridge point 10 FLOP/byte), 1 us per launch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../server/src/analysis/analyze';
import type { Target } from '../server/src/hardware/targets';
import { TARGETS } from '../server/src/hardware/targets';
import { inlayHints } from '../server/src/ide/hints';
import { hover } from '../server/src/ide/hover';
import { activeTarget, hardwareView, targetList, unknownTargetDiagnostics } from '../server/src/ide/hardware';
import { qpsText, rateText, shortName, timeText } from '../server/src/ide/hardware-units';
import { DEFAULT_EDITOR_SETTINGS, readSettings, withProjectTargets } from '../server/src/ide/settings';
import { summarize, summaryLabel, summaryTooltip } from '../server/src/ide/summary';
import { analyzeDocument } from '../server/src/ide/document';
import { analyzeOnnxFile } from '../server/src/onnx/analyze';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

const TOY: Target = {
  id: 'toy', name: 'ACME X1', kind: 'npu', peak: { fp32: 100e9 }, bandwidth: 10e9, memory: 1e6,
  channelMultiple: 16, launchOverhead: 1e-6, shuffle: true, sources: ['made up for the tests'],
};

// c: 3 x 3 x 16 x 8 x 8 x 16 = 147,456 MACs = 294,912 FLOPs; 4,096 + 4,096 + 9,216 (weights) = 17,408 bytes
//    compute 294,912 / 100e9 = 2.94912 us, memory 17,408 / 10e9 = 1.7408 us: compute-bound (16.94 FLOP/byte > 10)
//    time 2.94912 + 1 (launch) = 3.94912 us
// r: 1,024 FLOPs, 4,096 + 4,096 = 8,192 bytes; compute 0.01024 us, memory 0.8192 us: memory-bound (0.125 FLOP/byte)
//    time 0.8192 + 1 = 1.8192 us
// network: 2.94912 + 0.8192 + 2 launches = 5.76832 us; 1 / 5.76832 us = 173,361 samples/s
const SMALL = 'input x: 16 x 8 x 8\nc: conv 16 k=3 p=1 bias=false\nr: relu\n';

test('time, rate and throughput texts: three significant digits in the fitting unit', () => {
  assert.deepEqual([0, 850e-9, 3.94912e-6, 12.34e-6, 999.7e-6, 1.2e-3, 2.5].map(timeText), ['0 us', '850 ns', '3.95 us', '12.3 us', '1.00 ms', '1.20 ms', '2.50 s']);
  assert.deepEqual([8.1e12, 100e9, 1.25e9].map(rateText), ['8.10 TFLOP/s', '100 GFLOP/s', '1.25 GFLOP/s']);
  assert.deepEqual([173_361.2, 812.4, 0.5].map(qpsText), ['173K', '812', '0.50']);
  assert.deepEqual([{ name: 'NVIDIA T4' }, { name: 'ACME X1' }, { name: 'Raspberry Pi 5 CPU (4x Cortex-A76)' }].map(shortName), ['T4', 'X1', 'Raspberry Pi 5 CPU (4x Cortex-A76)']);
});

test('the latency hint: each statement its layers\' roofline times plus a launch each; the total is the network estimate', () => {
  const a = analyze(SMALL);
  const hints = inlayHints(a, 0, 10, { content: ['shape', 'latency'], flops: '2macs', target: TOY });
  assert.deepEqual(hints.map((h) => [h.line, h.label]), [[0, 'total: 5.77 us'], [1, '16x8x8 · 3.95 us'], [2, '16x8x8 · 1.82 us']]);
  assert.match(hints[0].tooltip, /; estimated latency 5\.77 us on ACME X1, 173K samples\/s at batch 1$/);
  assert.match(hints[1].tooltip, /; estimated 3\.95 us on ACME X1$/);
  // without a target the field is left out; without the field no estimate is added to the tooltips
  assert.deepEqual(inlayHints(a, 0, 10, { content: ['latency'], flops: '2macs' }), []);
  assert.doesNotMatch(inlayHints(a, 0, 10, { content: ['macs'], flops: '2macs', target: TOY })[1].tooltip, /estimated/);
});

test('the latency hint at batch 4: the times scale with the traffic and work, the launches do not', () => {
  // c: 1,179,648 FLOPs -> 11.79648 us; 16,384 + 16,384 + 9,216 = 41,984 bytes -> 4.1984 us; + 1 = 12.79648 us
  // r: 32,768 bytes -> 3.2768 us; + 1 = 4.2768 us. Network 17.07328 us; 4 / 17.07328 us = 234,282 samples/s
  const a = analyze(SMALL, { batch: 4, dtype: 'fp32' });
  const hints = inlayHints(a, 0, 10, { content: ['latency'], flops: '2macs', target: TOY });
  assert.deepEqual(hints.map((h) => h.label), ['total: 17.1 us', '12.8 us', '4.28 us']);
  assert.match(hints[0].tooltip, /234K samples\/s at batch 4/);
  const v = hardwareView(a, TOY);
  assert.ok(Math.abs(v.estimate.seconds - 17.07328e-6) < 1e-15, String(v.estimate.seconds));
  assert.ok(Math.abs(v.layerSeconds[0] - 12.79648e-6) < 1e-15, String(v.layerSeconds[0]));
});

test('a layer hover on a target: intensity against the ridge point, attainable FLOP/s, the bound, the time and its share', () => {
  const a = analyze(SMALL);
  const conv = hover(a, { line: 1, character: 4 }, '2macs', TOY)!.markdown;
  assert.match(conv, /\n---\n\*\*on ACME X1\*\* \(fp32: peak 100 GFLOP\/s, 10\.0 GB\/s\)\n/);
  assert.match(conv, /- \*\*arithmetic intensity\*\* 16\.94 FLOP\/byte; ridge point 10\.00 FLOP\/byte: \*\*compute-bound\*\*/);
  assert.match(conv, /- \*\*attainable\*\* 100 GFLOP\/s = min\(peak, intensity x bandwidth\)/);
  // 3.94912 / 5.76832 = 68.46%
  assert.match(conv, /- \*\*estimated time\*\* 3\.95 us = max\(compute 2\.95 us, memory 1\.74 us\) \+ 1\.00 us launch; 68\.5% of the network's 5\.77 us/);
  const relu = hover(a, { line: 2, character: 4 }, '2macs', TOY)!.markdown;
  // 0.125 FLOP/byte x 10 GB/s = 1.25 GFLOP/s; 1.8192 / 5.76832 = 31.54%
  assert.match(relu, /0\.13 FLOP\/byte; ridge point 10\.00 FLOP\/byte: \*\*memory-bound\*\*/);
  assert.match(relu, /\*\*attainable\*\* 1\.25 GFLOP\/s/);
  assert.match(relu, /\*\*estimated time\*\* 1\.82 us = max\(compute 10\.2 ns, memory 819 ns\) \+ 1\.00 us launch; 31\.5% of the network's 5\.77 us/);
  // without a target: no section
  assert.doesNotMatch(hover(a, { line: 1, character: 4 })!.markdown, /on ACME|estimated/);
});

test('a folded batch norm has no kernel of its own; a block use gains its estimated time', () => {
  const text = `${SMALL}block b:\n  conv 16 k=1 | bn | relu\nend\ns: b()\n`;
  const a = analyze(text);
  // s.conv_1: 1x1 with the bias the BN gave it: 33,792 FLOPs, 9,280 bytes (3.64 FLOP/byte): memory 0.928 us + 1 = 1.928 us
  // s.relu_1: 0.8192 + 1 = 1.8192 us; the block: 3.7472 us; the network 5.76832 + 3.7472 = 9.51552 us (39.4%)
  const bn = hover(a, { line: 4, character: 16 }, '2macs', TOY)!.markdown;
  assert.match(bn, /- no kernel of its own \(folded into `s\.conv_1`\): 0 us$/);
  const block = hover(a, { line: 6, character: 4 }, '2macs', TOY)!.markdown;
  assert.match(block, /- \*\*estimated time\*\* on ACME X1: 3\.75 us \(39\.4% of the network's 9\.52 us\)/);
  assert.deepEqual(inlayHints(a, 6, 6, { content: ['latency'], flops: '2macs', target: TOY }).map((h) => h.label), ['3.75 us']);
});

test('the input line hovers with the network on the target: latency, throughput, memory-bound share, peak memory against the device', () => {
  const a = analyze(SMALL);
  const h = hover(a, { line: 0, character: 3 }, '2macs', TOY)!;
  assert.deepEqual(h.range, a.inputs[0].range);
  // peak: x (4,096) and c (4,096) alive while c runs = 8,192 bytes; weights 9,216; 17,408 of 1,000,000 = 1.7%
  assert.equal(h.markdown, [
    '**x** · input 1 x 16 x 8 x 8',
    '',
    '---',
    '**network** on **ACME X1** · 2 layers · fp32, batch 1',
    '',
    '- **estimated latency** 5.77 us = layers 3.77 us + 2 launches x 1.00 us',
    '- **throughput** 173K samples/s at batch 1',
    '- **memory-bound** 50.0% of the layers with work',
    '- **peak memory** 17.4 KB = activations 8.19 KB (at `c`) + weights 9.22 KB; 1.7% of the device\'s 1.00 MB',
  ].join('\n'));
  assert.equal(hover(a, { line: 0, character: 3 }), null, 'no target: nothing on the input line');
});

test('the status bar summary: the target and its latency in the label; latency, QPS and peak memory in the tooltip', () => {
  const doc = analyzeDocument(SMALL, DEFAULT_EDITOR_SETTINGS);
  const s = summarize(doc, '2macs', hardwareView(doc.analysis, TOY));
  assert.deepEqual(s.target, { id: 'toy', name: 'ACME X1', latencySeconds: s.target!.latencySeconds, qps: s.target!.qps, peakActivationBytes: 8192, weightBytes: 9216, memoryBytes: 1e6 });
  assert.ok(Math.abs(s.target!.latencySeconds - 5.76832e-6) < 1e-15);
  assert.equal(summaryLabel(s), '147K MACs · 2.30K params · X1 5.77 us');
  const tip = summaryTooltip(s).split('\n');
  assert.ok(tip.includes('on ACME X1 (toy): estimated latency 5.77 us, 173K samples/s at batch 1'), tip.join('\n'));
  assert.ok(tip.includes('peak memory: 17.4 KB = activations 8.19 KB + weights 9.22 KB, of the device\'s 1.00 MB'), tip.join('\n'));
  const none = summarize(doc, '2macs');
  assert.equal(none.target, null);
  assert.equal(summaryLabel(none), '147K MACs · 2.30K params');
});

test('settings: netcost.target and netcost.targets; invalid targets are dropped with the reason; netcost.json targets come after', () => {
  const s = readSettings({ target: 'mine', targets: [{ id: 'mine', extends: 't4', bandwidth: 300e9 }, { id: 'broken', kind: 'gpu' }] });
  assert.equal(s.target, 'mine');
  assert.deepEqual(s.userTargets.map((t) => [t.id, t.bandwidth, t.user]), [['mine', 300e9, true]]);
  assert.equal(s.targetErrors.length, 3, s.targetErrors.join('\n')); // peak, bandwidth, memory of `broken`
  assert.ok(s.targetErrors.every((e) => e.startsWith('netcost.targets: targets[1] (broken): ')), s.targetErrors.join('\n'));
  assert.equal(activeTarget(s).target!.bandwidth, 300e9);
  assert.equal(readSettings({ target: '  ' }).target, 't4');
  // a netcost.json target of the same id does not replace the setting's
  const merged = withProjectTargets(s, { targets: [{ ...TOY, id: 'mine' }, TOY], errors: ['/p/netcost.json: targets[2]: bad'] });
  assert.deepEqual(merged.userTargets.map((t) => t.id), ['mine', 'mine', 'toy']);
  assert.equal(activeTarget(merged).target!.bandwidth, 300e9);
  assert.equal(merged.targetErrors.at(-1), '/p/netcost.json: targets[2]: bad');
  assert.equal(withProjectTargets(s, null), s);
});

test('the target list for the picker: user targets first, a user target replaces the built-in of its id, the active one named', () => {
  const s = readSettings({ target: 'toy' });
  const list = targetList({ ...s, userTargets: [TOY, { ...TARGETS.find((t) => t.id === 'a100')!, name: 'my A100', user: true }] });
  assert.equal(list.active, 'toy');
  assert.deepEqual(list.targets.slice(0, 2), [
    { id: 'toy', name: 'ACME X1', kind: 'npu', detail: '100 GFLOP/s fp32 · 10.0 GB/s · 1.00 MB' },
    { id: 'a100', name: 'my A100', kind: 'gpu', detail: list.targets[1].detail },
  ]);
  assert.match(list.targets[1].detail, / · user-defined$/);
  assert.equal(list.targets.length, 1 + TARGETS.length + 1); // toy, the built-ins, host-cpu
  assert.equal(list.targets.filter((t) => t.id === 'a100').length, 1);
  assert.equal(targetList(DEFAULT_EDITOR_SETTINGS).active, 't4');
});

test('unknown-target: one warning on line 1 naming the known ids; the default target is used', () => {
  const s = readSettings({ target: 'tpu-v9' });
  assert.equal(activeTarget(s).target!.id, 't4');
  assert.equal(activeTarget(s).unknown, 'tpu-v9');
  const [d, ...rest] = unknownTargetDiagnostics(s, 'input x: 16 x 8 x 8');
  assert.deepEqual(rest, []);
  assert.deepEqual([d.code, d.severity, d.range], ['unknown-target', 'warning', { start: { line: 0, character: 0 }, end: { line: 0, character: 19 } }]);
  assert.match(d.message, /^unknown hardware target `tpu-v9` \(setting netcost\.target\); known: t4, /);
  for (const t of TARGETS) assert.ok(d.message.includes(t.id), t.id);
  assert.match(d.message, /Using `t4` \(NVIDIA T4\)\.$/);
  // why a user target was dropped, when it was
  const dropped = readSettings({ target: 'broken', targets: [{ id: 'broken', kind: 'gpu' }] });
  assert.match(unknownTargetDiagnostics(dropped, '', dropped.targetErrors)[0].message, /\(invalid target definitions were dropped: netcost\.targets: targets\[0\] \(broken\): peak/);
  assert.deepEqual(unknownTargetDiagnostics(readSettings({ target: 'a100' }), ''), []);
});

test('an ONNX node hovers with the roofline on the target too; the listing\'s input line with the network', () => {
  const a = analyzeOnnxFile(join(__dirname, '..', 'examples', 'resnet50.onnx'));
  const conv = a.layers.findIndex((l) => l.op === 'Conv');
  const l = a.layers[conv];
  const h = hover(a, { line: l.range.start.line, character: l.range.start.character }, '2macs', TOY)!.markdown;
  assert.match(h, /ONNX node/);
  const v = hardwareView(a, TOY);
  // the first conv (7x7, 3 -> 64, stride 2, batch 1): its own compute and memory times from its figures
  const flops = l.flops['2macs'];
  assert.match(h, new RegExp(`max\\(compute ${timeText(flops / 100e9)}, memory ${timeText(l.memoryBytes / 10e9)}\\) \\+ 1\\.00 us launch; `));
  assert.ok(Math.abs(v.layerSeconds[conv] - (Math.max(flops / 100e9, l.memoryBytes / 10e9) + 1e-6)) < 1e-12);
  const input = hover(a, { line: a.inputs[0].range.start.line, character: 1 }, '2macs', TOY)!.markdown;
  assert.match(input, new RegExp(`\\*\\*estimated latency\\*\\* ${timeText(v.estimate.seconds)} = `));
});

test('the manifest\'s example of netcost.targets is a valid target', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
  const prop = pkg.contributes.configuration.properties['netcost.targets'];
  const s = readSettings({ targets: prop.defaultSnippets[0].body });
  assert.deepEqual([s.userTargets.map((t) => t.id), s.targetErrors], [['t4-fp16'], []]);
  assert.equal(pkg.contributes.configuration.properties['netcost.target'].default, DEFAULT_EDITOR_SETTINGS.target);
  assert.ok(pkg.contributes.configuration.properties['netcost.inlayHints.content'].items.enum.includes('latency'));
  assert.deepEqual(pkg.contributes.commands.find((c: { command: string }) => c.command === 'netcost.selectTarget'), { command: 'netcost.selectTarget', title: 'Select Hardware Target', category: 'NetCost', icon: '$(circuit-board)' });
});
