// `netcost model.onnx`: the same table and JSON contract as for .net files, --by-op, --top, --dim,
// --batch and --dtype on a model, exit codes, and a bad file that never crashes the command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './cli-run';
import { model } from './onnx-graph';
import { encodeModel } from './onnx-encode';

const root = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'netcost-onnx-cli-'));
const RESNET = join(root, 'examples', 'resnet50.onnx');
const BERT = join(root, 'test', 'fixtures', 'onnx', 'bert_encoder-opset11.onnx');

const json = (...argv: string[]) => {
  const r = run(...argv, '--json');
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out);
};

/** a conv + bn + relu + gemm model with a symbolic batch, written as a real .onnx file */
const SMALL = join(dir, 'small.onnx');
writeFileSync(SMALL, encodeModel(model({
  inputs: [['x', ['N', 3, 32, 32]]],
  initializers: [['w', [16, 3, 3, 3]], ['s', [16]], ['b', [16]], ['m', [16]], ['v', [16]], ['fw', [10, 16]], ['fb', [10]]],
  nodes: [
    ['Conv', ['x', 'w'], ['c'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv'],
    ['BatchNormalization', ['c', 's', 'b', 'm', 'v'], ['n'], {}, 'bn'],
    ['Relu', ['n'], ['r'], {}, 'relu'],
    ['GlobalAveragePool', ['r'], ['g'], {}, 'gap'],
    ['Flatten', ['g'], ['f'], { axis: 1 }, 'flatten'],
    ['Gemm', ['f', 'fw', 'fb'], ['y'], { transB: 1 }, 'fc'],
  ],
  outputs: [['y', ['N', 10]]],
})));

test('the JSON of a model: the .net report schema, `line` is the node index, plus the ONNX name and op type', () => {
  const j = json(SMALL, '--batch', '2');
  assert.deepEqual(Object.keys(j), ['version', 'file', 'batch', 'dtype', 'flopsConvention', 'variables', 'unboundDims', 'inputs', 'totals', 'layers', 'byOp', 'blocks', 'diagnostics']);
  assert.equal(j.batch, 2);
  assert.equal(j.dtype, 'own');
  assert.deepEqual(j.inputs, [{ name: 'x', shape: [2, 3, 32, 32] }]);
  assert.deepEqual(j.layers.map((l: { line: number; onnxName: string; opType: string }) => [l.line, l.onnxName, l.opType]),
    [[0, 'conv', 'Conv'], [1, 'bn', 'BatchNormalization'], [2, 'relu', 'Relu'], [3, 'gap', 'GlobalAveragePool'], [4, 'flatten', 'Flatten'], [5, 'fc', 'Gemm']]);
  const conv = j.layers[0];
  // 3x3x3x16 weights + the 16 bias gained from the folded BN; MACs per sample x the batch of 2
  assert.equal(conv.params, 432 + 16);
  assert.equal(conv.macs, 2 * 432 * 32 * 32);
  assert.deepEqual(conv.outputShape, [2, 16, 32, 32]);
  assert.equal(j.layers[1].foldedInto, conv.name);
  assert.equal(j.layers[5].params, 170);
  assert.equal(j.totals.params, 448 + 170);
  assert.equal(j.totals.macs, 2 * 432 * 1024 + 2 * 160);
  assert.deepEqual(j.diagnostics, []);
  assert.deepEqual(j.byOp.map((o: { op: string }) => o.op).slice(0, 2), ['Conv', 'Gemm']);
});

test('the table names the dtype rule and marks the folded batch norm', () => {
  const r = run(SMALL);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^.*small\.onnx: batch 1, each tensor at its own dtype\n/);
  assert.match(r.out, /\nbn +BatchNormalization \(folded\) +1x16x32x32 /);
  assert.match(r.out, /\nparams +618 \(inference, BN folded\)/);
});

test('--dtype recounts the float tensors; params and MACs do not change', () => {
  const a = json(SMALL);
  const b = json(SMALL, '--dtype', 'fp16');
  assert.equal(b.dtype, 'fp16');
  assert.equal(b.totals.macs, a.totals.macs);
  assert.equal(b.totals.weightBytes * 2, a.totals.weightBytes);
  assert.equal(b.totals.memoryBytes * 2, a.totals.memoryBytes);
});

test('--by-op: one row per op type, costliest first; --top N: the N costliest nodes', () => {
  const r = run(RESNET, '--by-op');
  assert.equal(r.code, 0, r.err);
  const rows = r.out.split('\n').filter((l) => /^[A-Z]\w+ +\d+ /.test(l));
  assert.deepEqual(rows.map((l) => l.split(/ +/)[0]), ['Conv', 'Gemm', 'Relu', 'Add', 'MaxPool', 'GlobalAveragePool', 'Flatten']);
  assert.match(rows[0], /^Conv +53 /);
  const t = run(RESNET, '--top', '3');
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /: batch 1, each tensor at its own dtype, the 3 costliest of 122 layers\n/);
  const body = t.out.split('\n').slice(3, 6);
  assert.ok(body.every((l) => / Conv /.test(l)), body.join('\n'));
  assert.equal(run(RESNET, '--top', '0').code, 2);
});

test('a symbolic dim left unbound is named and taken as 1; --dim binds it', () => {
  const free = run(BERT);
  assert.equal(free.code, 0, free.err);
  assert.match(free.err, /warning \[onnx-unbound-dim\].*'seq'/);
  assert.match(free.out, /\nunbound +symbolic dims taken as 1: seq/);
  const bound = json(BERT, '--dim', 'seq=128');
  assert.deepEqual(bound.unboundDims, []);
  assert.deepEqual(bound.inputs[0].shape, [1, 128, 768]);
  assert.equal(bound.totals.macs, 3_724_541_952); // PyTorch's own count at sequence length 128 (test/fixtures/onnx)
  assert.equal(json(BERT, '--dim', 'seq=128', '--batch', '2').totals.macs, 2 * 3_724_541_952);
  for (const bad of ['seq', 'seq=0', 'seq=x', '=3']) assert.equal(run(BERT, '--dim', bad).code, 2, bad);
});

test('usage errors on a model: --set, and --dim on a .net file, exit 2', () => {
  const set = run(SMALL, '--set', 'a=1');
  assert.equal(set.code, 2);
  assert.match(set.err, /--dim NAME=N/);
  assert.equal(run(join(root, 'examples', 'resnet50.net'), '--dim', 'seq=1').code, 2);
  const missing = run(join(dir, 'nope.onnx'));
  assert.equal(missing.code, 2);
  assert.match(missing.err, /nope\.onnx: no such file/);
});

test('a broken model is a diagnostic and exit code 1, never a crash', () => {
  const bytes = readFileSync(SMALL);
  const cases: [string, Uint8Array][] = [
    ['truncated.onnx', bytes.subarray(0, Math.floor(bytes.length / 2))],
    ['text.onnx', Buffer.from('this is not a model\n')],
    ['empty.onnx', new Uint8Array(0)],
  ];
  for (const [name, b] of cases) {
    const p = join(dir, name);
    writeFileSync(p, b);
    const r = run(p);
    assert.equal(r.code, 1, `${name}: ${r.err}`);
    assert.match(r.err, /error \[onnx-(truncated|not-a-model|malformed)\]/, name);
    const j = JSON.parse(run(p, '--json').out);
    assert.ok(j.diagnostics.some((d: { severity: string }) => d.severity === 'error'), name);
  }
});

test('examples/resnet50.onnx (torchvision export) and the hand-written examples/resnet50.net agree', () => {
  const onnx = json(RESNET);
  const net = json(join(root, 'examples', 'resnet50.net'));
  assert.equal(onnx.totals.params, net.totals.params);
  assert.equal(onnx.totals.macs, net.totals.macs);
  assert.equal(onnx.totals.weightBytes, net.totals.weightBytes);
  // the .net file ends with a softmax over the 1000 classes, the export does not: 5 FLOPs and 2 x 4 bytes per class
  assert.equal(net.totals.flops - onnx.totals.flops, 5 * 1000);
  assert.equal(net.totals.memoryBytes - onnx.totals.memoryBytes, 2 * 4 * 1000);
});
