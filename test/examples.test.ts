// Every bundled example analyses without a diagnostic, its totals are exact, and the README tables
// print the figures the tool computes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, type Settings } from '../server/src/analysis/analyze';

const root = join(__dirname, '..');
const load = (name: string, overrides?: Record<string, number>) =>
  analyze(readFileSync(join(root, 'examples', name), 'utf8'), { batch: 1, dtype: 'fp32', overrides } as Settings);

// [file, overrides, params (folded), trainingParams, MACs, FLOPs (2*MACs), memory bytes (fp32)]
const TOTALS: [string, Record<string, number> | undefined, number, number, number, number, number][] = [
  ['mobilenet_v1.net', undefined, 4_221_032, 4_231_976, 568_740_352, 1_147_622_256, 98_189_440],
  ['mobilenet_v1.net', { alpha: 0.5, resolution: 160 }, 1_326_120, 1_331_592, 76_524_800, 155_641_200, 26_210_176],
  ['mobilenet_v2.net', undefined, 3_487_816, 3_504_872, 300_774_272, 620_718_344, 119_435_456],
  ['shufflenet_v1.net', undefined, 1_853_488, 1_865_728, 137_460_672, 283_478_920, 77_816_288],
  ['shufflenet_v2.net', undefined, 2_270_514, 2_278_604, 144_907_992, 293_982_768, 45_199_016],
  ['resnet50.net', undefined, 25_530_472, 25_557_032, 4_089_184_256, 8_206_523_248, 336_773_248],
  ['vgg16.net', undefined, 138_357_544, 138_357_544, 15_470_264_320, 30_973_767_536, 783_178_624],
  ['repvgg_a0.net', undefined, 8_309_384, 8_309_384, 1_361_451_008, 2_726_553_320, 62_554_560],
  ['vit_b16.net', undefined, 86_567_656, 86_567_656, 17_563_828_224, 35_269_818_184, 567_768_896],
];

for (const [file, overrides, params, training, macs, flops, memory] of TOTALS) {
  const label = `${file}${overrides ? ` with ${JSON.stringify(overrides)}` : ''}`;
  test(`${label} analyses cleanly: ${params.toLocaleString('en-US')} params, ${macs.toLocaleString('en-US')} MACs`, () => {
    const a = load(file, overrides);
    assert.deepEqual(a.diagnostics, []);
    assert.equal(a.totals.params, params);
    assert.equal(a.totals.trainingParams, training);
    assert.equal(a.totals.macs, macs);
    assert.equal(a.totals.flops['2macs'], flops);
    assert.equal(a.totals.memoryBytes, memory);
    assert.equal(a.totals.flops.macs, macs);
    assert.ok(a.totals.flops.exact < flops, 'exact FLOPs are fewer than 2*MACs (n - 1 adds per dot product)');
  });
}

test('the README tables print the figures the tool computes', () => {
  for (const doc of ['README.md', 'examples/README.md']) {
    const text = readFileSync(join(root, doc), 'utf8');
    for (const [file, overrides, params, training, macs, flops, memory] of TOTALS) {
      const rows = text.split('\n').filter((l) => (l.startsWith('| [') || l.startsWith('| same')) && (overrides ? l.includes('alpha=0.5') : l.includes(`](${doc === 'README.md' ? 'examples/' : ''}${file})`)));
      const row = rows.find((l) => overrides ? true : !l.includes('--set'));
      assert.ok(row, `${doc}: a row for ${file}`);
      for (const n of [params, training, macs, flops, memory]) assert.ok(row.includes(n.toLocaleString('en-US')), `${doc} ${file}: ${n.toLocaleString('en-US')} in ${row}`);
    }
  }
});

test('MobileNet v1 reproduces the width and resolution rows of the paper (Tables 6 and 7)', () => {
  const rows: [number, number, number, number][] = [
    [0.75, 224, 2_577_352, 325_400_448], [0.5, 224, 1_326_120, 149_497_088], [0.25, 224, 467_336, 41_030_272],
    [1, 192, 4_221_032, 418_121_728], [1, 160, 4_221_032, 290_675_200], [1, 128, 4_221_032, 186_400_768],
  ];
  for (const [alpha, resolution, params, macs] of rows) {
    const a = load('mobilenet_v1.net', { alpha, resolution });
    assert.deepEqual(a.diagnostics, []);
    assert.deepEqual([a.totals.params, a.totals.macs], [params, macs], `alpha ${alpha}, resolution ${resolution}`);
  }
});

test('resnet50.net names its layers as torchvision does and folds every batch norm', () => {
  const a = load('resnet50.net');
  const names = a.layers.map((l) => l.name);
  for (const n of ['layer1.0.conv_1', 'layer1.0.down', 'layer4.2.relu_3']) assert.ok(names.includes(n), n);
  const bns = a.layers.filter((l) => l.op === 'bn');
  assert.equal(bns.length, 53);
  assert.ok(bns.every((l) => l.foldedInto !== null));
  assert.deepEqual(a.layers.find((l) => l.name === 'linear_1')?.outputShape, [1000]);
});
