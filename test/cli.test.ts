// The `netcost` command as users and scripts meet it: table, JSON contract, flags, exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { run, tempFiles } from './cli-run';

const { dir, file } = tempFiles('netcost-cli-');

const NET = file('small.net', `# a stem and a pointwise conv
width = 64
input image: 3 x 224 x 224
stem: conv width k=3 s=2 p=1 | bn | relu
conv 256 k=1 bias=false
gap
fc 10
`);

test('--json follows the documented schema with exact integers and the batch in every shape', () => {
  const r = run(NET, '--json', '--batch', '2');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(Object.keys(j), ['version', 'file', 'batch', 'dtype', 'flopsConvention', 'variables', 'inputs', 'totals', 'layers', 'byOp', 'blocks', 'diagnostics']);
  assert.equal(j.version, 1);
  assert.equal(j.batch, 2);
  assert.equal(j.dtype, 'fp32');
  assert.equal(j.flopsConvention, '2macs');
  assert.deepEqual(j.variables, { width: 64 });
  assert.deepEqual(j.inputs, [{ name: 'image', shape: [2, 3, 224, 224] }]);
  const stemConv = j.layers.find((l: { name: string }) => l.name === 'stem.conv');
  // 3x3x3x64 weights + 64 bias gained from the folded BN; MACs 3*3*3*64*112*112 per sample, x2 batch
  assert.equal(stemConv.params, 1792);
  assert.equal(stemConv.macs, 2 * 21_676_032);
  assert.deepEqual(stemConv.outputShape, [2, 64, 112, 112]);
  assert.equal(stemConv.line, 4);
  assert.equal(j.layers.find((l: { name: string }) => l.name === 'stem.bn').foldedInto, 'stem.conv');
  const pw = j.layers.find((l: { name: string }) => l.name === 'conv_2');
  assert.equal(pw.macs, 2 * 64 * 256 * 112 * 112);
  assert.equal(pw.memoryBytes, (2 * (64 + 256) * 112 * 112 + 64 * 256) * 4);
  for (const l of j.layers) for (const k of ['params', 'macs', 'flops', 'memoryBytes']) assert.ok(Number.isSafeInteger(l[k]), `${l.name}.${k}`);
  assert.equal(j.totals.macs, j.layers.reduce((s: number, l: { macs: number }) => s + l.macs, 0));
  assert.equal(j.totals.params, 1792 + 64 * 256 + 256 * 10 + 10);
  assert.equal(j.totals.trainingParams, 1728 + 128 + 64 * 256 + 256 * 10 + 10);
  assert.deepEqual(j.diagnostics, []);
});

test('--flops picks the convention of every flops figure and the JSON names it', () => {
  const fc = file('fc.net', 'input v: 300\nfc 100 bias=false\n');
  const flops = (conv: string) => JSON.parse(run(fc, '--json', '--flops', conv).out);
  assert.equal(flops('2macs').totals.flops, 60_000);
  assert.equal(flops('exact').totals.flops, 59_900);
  assert.equal(flops('macs').totals.flops, 30_000);
  assert.equal(flops('exact').flopsConvention, 'exact');
});

test('--dtype sets the bytes per element of memory access and weights', () => {
  const fc = file('fc2.net', 'input v: 300\nfc 100 bias=false\n');
  for (const [dtype, bytes] of [['fp32', 4], ['fp16', 2], ['bf16', 2], ['int8', 1]] as const) {
    const j = JSON.parse(run(fc, '--json', '--dtype', dtype).out);
    assert.equal(j.totals.memoryBytes, (300 + 100 + 30_000) * bytes, dtype);
    assert.equal(j.totals.weightBytes, 30_000 * bytes, dtype);
  }
});

test('--set overrides top-level variables, repeatedly', () => {
  const j = JSON.parse(run(NET, '--json', '--set', 'width=32').out);
  assert.deepEqual(j.variables, { width: 32 });
  assert.deepEqual(j.layers[0].outputShape, [1, 32, 112, 112]);
});

test('the table shows every layer, units, the totals and names the conventions', () => {
  const r = run(NET);
  assert.equal(r.code, 0);
  assert.match(r.out, /^layer\s+op\s+output\s+params\s+MACs\s+FLOPs\s+memory\s+share$/m);
  assert.match(r.out, /^stem\.conv\s+conv\s+1x64x112x112\s+1\.79K\s+21\.7M\s+/m);
  assert.match(r.out, /^stem\.bn\s+bn \(folded\)/m);
  assert.match(r.out, /^total\s+6 layers/m);
  assert.match(r.out, /FLOPs\s+[\d,]+ in the 2\*MACs/);
  assert.match(r.out, /BN folded/);
  assert.equal(r.err, '');
});

test('--blocks prints one row per top-level layer, block use or repeat', () => {
  const f = file('blocks.net', 'input i: 8 x 8 x 8\nblock b(c):\n  conv c k=3 p=1 | relu\nend\nrepeat 2: b(8)\nb(16)\ngap\n');
  const r = run(f, '--blocks');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^repeat_1\s+repeat\s+1x8x8x8/m);
  assert.match(r.out, /^b_1\s+b\s+1x16x8x8/m);
  assert.match(r.out, /^gap_1\s+gap\s+1x16x1x1/m); // top-level layers keep their rows
  assert.doesNotMatch(r.out, /^repeat_1\.0/m);
});

test('a file with errors exits 1 and prints file:line:col diagnostics on stderr', () => {
  const f = file('bad.net', 'input i: 3 x 8 x 8\nconv 8 k=3 p=1\nadd from conv_1, nope\nconv 4 k=1 from conv_1\n');
  const r = run(f);
  assert.equal(r.code, 1);
  assert.match(r.err, /bad\.net:3:18: error \[unknown-name\] unknown layer `nope`/);
  assert.match(r.out, /^conv_2\s+conv\s+1x4x8x8/m); // the line after the error is still analysed
  const j = JSON.parse(run(f, '--json').out);
  assert.deepEqual(j.diagnostics[0], { line: 3, column: 18, endLine: 3, endColumn: 22, severity: 'error', code: 'unknown-name', message: 'unknown layer `nope`' });
});

test('usage and I/O errors exit 2 with a one-line message, never a stack trace', () => {
  const cases: [string[], RegExp][] = [
    [[join(dir, 'missing.net')], /^netcost: .*missing\.net: no such file\n$/],
    [[dir], /^netcost: .*: is a directory\n$/],
    [[], /^netcost: missing FILE/],
    [[NET, '--batch', '0'], /^netcost: --batch: expected a positive whole number, got '0'/],
    [[NET, '--batch', '1.5'], /--batch: expected a positive whole number/],
    [[NET, '--dtype', 'fp64'], /^netcost: --dtype: expected one of fp32, fp16, bf16, int8, got 'fp64'/],
    [[NET, '--flops', 'gflops'], /^netcost: --flops: expected one of 2macs, exact, macs/],
    [[NET, '--set', 'width'], /^netcost: --set: expected NAME=NUMBER, got 'width'/],
    [[NET, '--set', 'depth=2'], /^netcost: --set depth: .* has no top-level variable `depth` \(its variables: width\)/],
    [[NET, '--frobnicate'], /^netcost: Unknown option '--frobnicate'/],
  ];
  for (const [argv, want] of cases) {
    const r = run(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, want);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
});

test('the installed bin runs the bundled CLI (exit codes pass through; npm test builds dist/ first)', () => {
  const bin = join(__dirname, '..', 'bin', 'netcost.js');
  const ok = spawnSync(process.execPath, [bin, NET, '--json'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).totals.params, 1792 + 64 * 256 + 256 * 10 + 10);
  const missing = spawnSync(process.execPath, [bin, join(dir, 'nope.net')], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no such file/);
  const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('the JSON excerpt in the README is what `netcost examples/resnet50.net --json` prints', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const jsonc = /```jsonc\n([\s\S]*?)```/.exec(readme)![1];
  const doc = JSON.parse(jsonc.replace(/\s*\/\/.*$/gm, ''));
  const real = JSON.parse(run(join(__dirname, '..', 'examples', 'resnet50.net'), '--json').out);
  assert.deepEqual(Object.keys(doc), Object.keys(real));
  assert.deepEqual(doc.totals, real.totals);
  assert.deepEqual(doc.layers[0], real.layers.find((l: { name: string }) => l.name === doc.layers[0].name));
  assert.deepEqual(doc.blocks[0], real.blocks[0]);
  assert.deepEqual(doc.byOp[0], real.byOp[0]);
  assert.deepEqual(Object.keys(doc.diagnostics[0]), ['line', 'column', 'endLine', 'endColumn', 'severity', 'code', 'message']);
});

// ---- hardware targets (issue 7): --target, --targets, project targets

test('--target adds a target object and each layer\'s latency to the JSON, only when given', () => {
  const plain = JSON.parse(run(NET, '--json').out);
  assert.equal('target' in plain, false);
  assert.equal('latency' in plain.layers[0], false);
  const r = run(NET, '--json', '--target', 't4');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.version, 1);
  assert.deepEqual(Object.keys(j.target), ['id', 'name', 'kind', 'peakFlops', 'bandwidth', 'deviceMemory', 'launchOverhead', 'seconds', 'qps', 'launches',
    'launchSeconds', 'memoryBoundShare', 'peakActivationBytes', 'peakAt', 'peakLive', 'weightBytes', 'totalBytes']);
  assert.deepEqual([j.target.id, j.target.name, j.target.peakFlops, j.target.bandwidth], ['t4', 'NVIDIA T4', 8.1e12, 320e9]);
  // conv_2, 1x1 64 -> 256 on 112x112 without bias: 2 x 205,520,896 FLOPs over 16,121,856 bytes = 25.5 FLOP/byte,
  // just above the T4's fp32 ridge point 8.1e12 / 320e9 = 25.3: compute-bound, 411,041,792 / 8.1e12 s
  const pw = j.layers.find((l: { name: string }) => l.name === 'conv_2');
  assert.equal(pw.latency.bound, 'compute');
  assert.ok(Math.abs(pw.latency.seconds - 411_041_792 / 8.1e12) < 1e-15);
  assert.ok(Math.abs(pw.latency.intensity - 411_041_792 / 16_121_856) < 1e-12);
  // the folded bn computes and moves nothing: intensity 0, no time, no launch
  assert.deepEqual(j.layers.find((l: { name: string }) => l.name === 'stem.bn').latency, { seconds: 0, bound: 'memory', intensity: 0 });
  // stem conv, relu, conv_2, gap, fc launch; the folded bn does not
  assert.equal(j.target.launches, 5);
  assert.ok(Math.abs(j.target.launchSeconds - 5 * 5e-6) < 1e-15);
  const sum = j.layers.reduce((s: number, l: { latency: { seconds: number } }) => s + l.latency.seconds, 0);
  assert.ok(Math.abs(j.target.seconds - (sum + 25e-6)) < 1e-12);
  assert.ok(Math.abs(j.target.qps - 1 / j.target.seconds) < 1e-6);
  // peak: at conv_2, the relu's 64x112x112 and conv_2's 256x112x112 output: 320 x 12,544 x 4 bytes
  assert.equal(j.target.peakActivationBytes, 320 * 112 * 112 * 4);
  assert.equal(j.target.peakAt, 'conv_2');
  assert.deepEqual(j.target.peakLive, ['stem', 'conv_2']);
  assert.equal(j.target.weightBytes, j.totals.weightBytes);
  assert.equal(j.target.totalBytes, j.target.peakActivationBytes + j.totals.weightBytes);
});

test('--target adds latency and bound columns and a footer with latency, launches, QPS, bound share and memory', () => {
  const r = run(NET, '--target', 'rpi5-cpu', '--batch', '2');
  assert.equal(r.code, 0, r.err);
  const [header] = r.out.split('\n').filter((l) => l.startsWith('layer'));
  assert.match(header, /share\s+latency\s+bound/);
  assert.match(r.out, /^conv_2\s.*\d (us|ms)\s+(compute|memory)\s*$/m);
  assert.match(r.out, /^target {6}Raspberry Pi 5 CPU \(4x Cortex-A76\) \(rpi5-cpu\): 154 GFLOP\/s at fp32, 17\.1 GB\/s, 8\.00 GB/m);
  assert.match(r.out, /^latency {5}\S+ (us|ms) per batch of 2 \(roofline .* \+ 5 launches x 1\.00 us = 5\.00 us\); [\d,.]+ QPS$/m);
  assert.match(r.out, /^bound {7}\d+\.\d% of the 5 layers with work are memory-bound$/m);
  assert.match(r.out, /^peak memory 32\.1 MB of activations \(at conv_2\) \+ .* of the target's 8\.00 GB$/m); // 2 x 320 x 112 x 112 x 4
  // per block and per op rows sum their layers
  const blocks = run(join(__dirname, '..', 'examples', 'resnet50.net'), '--target', 't4', '--blocks');
  assert.match(blocks.out, /^layer1\s+repeat\s.*\d (us|ms)\s+\d+\/\d+ memory\s*$/m);
  const byOp = run(NET, '--target', 't4', '--by-op');
  assert.match(byOp.out, /^conv\s+2\s.*\d (us|ms)\s+1\/2 memory\s*$/m); // the stem conv is memory-bound, conv_2 not
  assert.match(byOp.out, /^bn\s+1\s.*\s-\s+-\s*$/m); // folded: no time
  assert.doesNotMatch(run(NET).out, /latency/);
});

test('--targets lists the built-in targets and exits 0; an unknown --target exits 2 with the ids', () => {
  const r = run('--targets');
  assert.equal(r.code, 0, r.err);
  for (const id of ['t4', 'rtx-a4000', 'a100', 'h100', 'orin-nano', 'phone-cpu', 'phone-npu', 'rpi5-cpu', 'nnie']) assert.match(r.out, new RegExp(`^${id}\\s`, 'm'));
  assert.match(r.out, /^t4\s+NVIDIA T4\s+gpu\s+8\.10 TFLOP\/s\s+65\.0 TFLOP\/s\s+130 TOP\/s\s+320 GB\/s\s+16\.0 GB\s+5\.00 us$/m);
  assert.match(r.out, /^nnie\s.*npu\s+-\s+-\s+2\.00 TOP\/s/m);
  const bad = run(NET, '--target', 'tpu-v9');
  assert.equal(bad.code, 2);
  assert.equal(bad.out, '');
  assert.match(bad.err, /--target: unknown target 'tpu-v9' \(known: t4, rtx-a4000, a100, h100, orin-nano, phone-cpu, phone-npu, rpi5-cpu, nnie, host-cpu;/);
  assert.equal(run(NET, '--target', '').code, 2);
  assert.match(run('--help').out, /--target NAME/);
  assert.match(run('--help').out, /--targets/);
});

test('project targets come from the netcost.json next to the file (or above it, up to the repository root)', () => {
  const repo = join(dir, 'proj');
  mkdirSync(join(repo, '.git'), { recursive: true });
  mkdirSync(join(repo, 'nets'), { recursive: true });
  writeFileSync(join(repo, 'netcost.json'), JSON.stringify({ targets: [
    { id: 'edge', name: 'Edge NPU', kind: 'npu', peak: { int8: 4e12 }, bandwidth: 1e10, memory: 4e9, launchOverhead: 0 },
    { id: 'slow-t4', extends: 't4', bandwidth: 1e9 },
    { id: 'broken', kind: 'gpu' },
  ] }));
  const f = join(repo, 'nets', 'a.net');
  writeFileSync(f, 'input x: 16 x 8 x 8\nconv 16 k=1 bias=false\n');
  // conv 1x1 16 -> 16 on 8x8: 32,768 FLOPs, (1,024 + 1,024 + 256) x 4 = 9,216 bytes; fp32 on an int8-only NPU uses its
  // int8 peak: compute 8.192 ns < memory 921.6 ns
  const r = run(f, '--json', '--target', 'edge');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.target.name, 'Edge NPU');
  assert.ok(Math.abs(j.target.seconds - 9216 / 1e10) < 1e-18);
  assert.equal(j.layers[0].latency.bound, 'memory');
  assert.match(r.err, /warning: .*netcost\.json: targets\[2\] \(broken\): peak: required/);
  assert.ok(Math.abs(JSON.parse(run(f, '--json', '--target', 'slow-t4').out).target.seconds - (9216 / 1e9 + 5e-6)) < 1e-15);
  const list = run('--targets', f);
  assert.equal(list.code, 0);
  assert.match(list.out, /^edge \*\s+Edge NPU\s+npu/m);
  assert.match(list.out, /^slow-t4 \*\s/m);
  // the built-in ids stay available, and a file elsewhere does not see the project's targets
  assert.equal(run(f, '--target', 't4').code, 0);
  assert.equal(run(NET, '--target', 'edge').code, 2);
});

test('--target on an ONNX model: the same JSON additions', () => {
  const r = run(join(__dirname, '..', 'examples', 'resnet50.onnx'), '--json', '--target', 'a100');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.target.id, 'a100');
  assert.equal(j.target.peakActivationBytes, 3 * 256 * 56 * 56 * 4);
  assert.equal(j.target.launches, j.layers.filter((l: { memoryBytes: number; foldedInto: string | null }) => l.memoryBytes > 0 && !l.foldedInto).length);
  assert.ok(j.layers.every((l: { latency?: object }) => l.latency));
});
