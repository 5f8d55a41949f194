// The peak-memory walk on small graphs with hand-computed answers (docs/hardware.md, "Peak memory").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyze } from '../server/src/analysis/analyze';
import { peakMemory } from '../server/src/hardware/memory';
import { analyzeOnnxFile } from '../server/src/onnx/analyze';

test('a chain: the peak is a layer\'s input plus its output', () => {
  // x 3x8x8 = 192 elements; a: 8x8x8 = 512; b: 4x8x8 = 256. At a: 192 + 512 = 704 (x dies at a); at b: 512 + 256 = 768
  const a = analyze('input x: 3 x 8 x 8\na: conv 8 k=1\nb: conv 4 k=1\n');
  const m = peakMemory(a);
  assert.equal(m.peakBytes, 768 * 4);
  assert.equal(m.atLayer, 'b');
  assert.deepEqual(m.live, ['a', 'b']);
  // weights: a 3*8 + 8 bias, b 8*4 + 4 bias = 68 elements
  assert.equal(m.weightBytes, 68 * 4);
  assert.equal(m.totalBytes, (768 + 68) * 4);
});

// A residual block whose skip keeps `s` alive across the branch. Elements (batch 1):
//   x 4x8x8 = 256; big 28x8x8 = 1,792 (the largest output); s 256; b1 1,024; b2 1,024; b3 256; out 256
//   at big: x + big = 2,048        at s:  big + s = 2,048
//   at b1:  s + b1 = 1,280         at b2: s + b1 + b2 = 2,304   <- the peak: s is held for the add
//   at b3:  s + b2 + b3 = 1,536    at out: s + b3 + out = 768
// Without the skip the walk would give 2,048 at b2 (a tie with big).
const RESIDUAL = `input x: 4 x 8 x 8
big: conv 28 k=1
s: conv 4 k=1
b1: conv 16 k=1
b2: conv 16 k=1
b3: conv 4 k=1
out: add from s, b3
`;

test('a residual network: the skip connection holds its input, and the peak is not at the largest layer', () => {
  const a = analyze(RESIDUAL);
  assert.deepEqual(a.diagnostics, []);
  const m = peakMemory(a);
  assert.equal(m.peakBytes, 2304 * 4);
  assert.equal(m.atLayer, 'b2');
  assert.deepEqual(m.live, ['s', 'b1', 'b2']);
  const largest = a.layers.reduce((x, y) => (y.activations > x.activations ? y : x));
  assert.equal(largest.name, 'big');
  assert.notEqual(m.atLayer, largest.name);
  // the same chain without the skip (`out` reads b3 only): s dies at b1, the peak falls to 2,048 at big
  const plain = peakMemory(analyze(RESIDUAL.replace('add from s, b3', 'relu')));
  assert.equal(plain.peakBytes, 2048 * 4);
  assert.equal(plain.atLayer, 'big');
});

test('batch and dtype scale the activations: batch 3 in fp16', () => {
  const m = peakMemory(analyze(RESIDUAL, { batch: 3, dtype: 'fp16' }));
  assert.equal(m.peakBytes, 2304 * 3 * 2);
  assert.equal(m.atLayer, 'b2');
});

test('views alias their input: a flatten adds no tensor, and keeps its input alive for its reader', () => {
  // x 256; c 8x8x8 = 512; flatten (a view of c); fc 1000. At c: 256 + 512 = 768; at fc: c + fc = 1,512
  const a = analyze('input x: 4 x 8 x 8\nc: conv 8 k=1\nflatten\nfc: linear 1000\n');
  const m = peakMemory(a);
  assert.equal(m.peakBytes, 1512 * 4);
  assert.equal(m.atLayer, 'fc');
  assert.deepEqual(m.live, ['c', 'fc']);
});

test('a folded batch norm writes nothing: its reader reads the conv\'s output', () => {
  // x 256; c 512; bn folded into c; r 512. At r: c + r = 1,024 (not 1,536 with a bn tensor)
  const a = analyze('input x: 4 x 8 x 8\nc: conv 8 k=1\nbn\nr: relu\n');
  assert.equal(a.layers[1].foldedInto, 'c');
  const m = peakMemory(a);
  assert.equal(m.peakBytes, 1024 * 4);
  assert.deepEqual(m.live, ['c', 'r']);
});

test('the network input counts while a layer reads it; a second input read late stays alive until then', () => {
  // x 256, y 64 (read by the add at the end): at a (4x8x8=256): x + y + a = 576; at b (1x8x8 = 64): y + a + b = 384;
  // at add: y + b + add = 192
  const a = analyze('input x: 4 x 8 x 8\ninput y: 1 x 8 x 8\na: conv 4 k=1 from x\nb: conv 1 k=1\nadd from b, y\n');
  assert.deepEqual(a.diagnostics, []);
  const m = peakMemory(a);
  assert.equal(m.peakBytes, 576 * 4);
  assert.deepEqual(m.live, ['x', 'y', 'a']);
});

test('layers know their producers (`inputLayers`, -1 for a network input)', () => {
  const a = analyze(RESIDUAL);
  assert.deepEqual(a.layers.map((l) => l.inputLayers), [[-1], [0], [1], [2], [3], [1, 4]]);
});

test('an empty network has no peak; its weights are still reported', () => {
  const m = peakMemory(analyze('input x: 3 x 4 x 4\n'));
  assert.deepEqual(m, { peakBytes: 0, atLayer: '', live: [], weightBytes: 0, totalBytes: 0 });
});

test('ONNX: the torchvision ResNet-50 export peaks where the .net transcription does', () => {
  // layer1.0's add: the main branch's last conv, the downsample conv and the add's output, each 256x56x56 fp32
  const expected = 3 * 256 * 56 * 56 * 4; // 9,633,792 bytes
  const o = analyzeOnnxFile(join(__dirname, '..', 'examples', 'resnet50.onnx'));
  const m = peakMemory(o);
  assert.equal(m.peakBytes, expected);
  assert.equal(o.layers.find((l) => l.name === m.atLayer)!.opType, 'Add');
  assert.equal(m.live.length, 3);
  const add = o.layers.find((l) => l.name === m.atLayer)!;
  assert.deepEqual(add.inputLayers!.map((i) => o.layers[i].opType).sort(), ['Conv', 'Conv']);
  // --dtype fp16 recounts the float tensors at 2 bytes
  assert.equal(peakMemory(analyzeOnnxFile(join(__dirname, '..', 'examples', 'resnet50.onnx'), { dtype: 'fp16' })).peakBytes, expected / 2);
  assert.equal(peakMemory(analyze(require('node:fs').readFileSync(join(__dirname, '..', 'examples', 'resnet50.net'), 'utf8'))).peakBytes, expected);
});
