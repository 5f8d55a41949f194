// The `netcost` command as users and scripts meet it: table, JSON contract, flags, exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../server/src/cli/main';

const dir = mkdtempSync(join(tmpdir(), 'netcost-cli-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

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
