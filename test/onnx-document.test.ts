// An ONNX model as the editor shows it: the listing parses as a `.net` file, every node has its own
// line, the lint rules run on it with the user's rule settings, and a converted CNN analysed by the
// `.net` engine gives the model's own params and MACs (what "Convert ONNX to .net" promises).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../server/src/analysis/analyze';
import { analyzeOnnxFile } from '../server/src/onnx/analyze';
import { analyzeOnnxDocument } from '../server/src/ide/document';
import { DEFAULT_EDITOR_SETTINGS } from '../server/src/ide/settings';

const DIR = join(__dirname, 'fixtures', 'onnx');
const RESNET = join(__dirname, '..', 'examples', 'resnet50.onnx');
const CNNS = ['resnet18-opset9.onnx', 'resnet18-opset13.onnx', 'resnet50-opset13.onnx', 'mobilenet_v2-opset13.onnx', 'mobilenet_v2-opset9.onnx', 'mobilenet_v3_small-opset17.onnx'];

for (const f of readdirSync(DIR).filter((x) => x.endsWith('.onnx')).sort()) {
  test(`${f}: the listing is a valid .net file with one line per node`, () => {
    const a = analyzeOnnxFile(join(DIR, f), { dims: { seq: 128 } }, f);
    const lines = a.onnx.listing.text.split('\n');
    assert.equal(new Set(a.onnx.listing.nodeLines).size, a.layers.length);
    for (const l of a.layers) {
      const text = lines[l.useRange.start.line];
      assert.ok(text.includes(l.onnxName), `line ${l.useRange.start.line} names ${l.onnxName}: ${text}`);
      assert.equal(text.slice(l.range.start.character, l.range.end.character).length > 0, true);
    }
    const net = analyze(a.onnx.listing.text, a.settings);
    assert.deepEqual(net.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.range.start.line}: ${d.code} ${d.message}`), []);
    if (CNNS.includes(f)) {
      // every node of a CNN has an exact .net kind (Constants, which cost nothing, stay generic): the converted file costs what the model costs
      assert.deepEqual(net.layers.filter((l) => l.op === 'op' && l.attrs.type !== 'Constant').map((l) => l.attrs.type), []);
      assert.equal(net.totals.params, a.totals.params);
      assert.equal(net.totals.macs, a.totals.macs);
    }
  });
}

test('the lint rules run on a model listing, on the node lines, and follow the rule settings', () => {
  const d = analyzeOnnxDocument(RESNET, 'resnet50.onnx', DEFAULT_EDITOR_SETTINGS);
  const g1 = d.diagnostics.filter((x) => x.code === 'g1-unbalanced-pointwise');
  // the 1x1 convs 64 -> 256 and 256 -> 64 of layer1, as on the hand-written examples/resnet50.net
  assert.ok(g1.length >= 3, `${g1.length} g1 notes`);
  const lines = d.analysis.onnx!.listing.text.split('\n');
  for (const x of g1) assert.match(lines[x.range.start.line], /: conv \d+ k=1 /);
  assert.match(g1[0].message, /^1x1 conv 64 -> 256 on 56x56: memory access cost 24\.5% above the lower bound for its MACs/);
  const off = analyzeOnnxDocument(RESNET, 'resnet50.onnx', { ...DEFAULT_EDITOR_SETTINGS, rules: { 'g1-unbalanced-pointwise': 'off' } });
  assert.equal(off.diagnostics.filter((x) => x.code === 'g1-unbalanced-pointwise').length, 0);
});

test('the model\'s own diagnostics sit on the listing: an unbound dim on the first line, unless the setting binds it', () => {
  const bert = join(DIR, 'bert_encoder-opset11.onnx');
  const free = analyzeOnnxDocument(bert, 'bert.onnx', DEFAULT_EDITOR_SETTINGS);
  const unbound = free.diagnostics.filter((x) => x.code === 'onnx-unbound-dim');
  assert.equal(unbound.length, 1);
  assert.equal(unbound[0].range.start.line, 0);
  const bound = analyzeOnnxDocument(bert, 'bert.onnx', { ...DEFAULT_EDITOR_SETTINGS, onnx: { dims: { seq: 128 } } });
  assert.equal(bound.diagnostics.filter((x) => x.code === 'onnx-unbound-dim').length, 0);
  assert.equal(bound.analysis.totals.macs, 3_724_541_952);
});
