// Real exports (torchvision and torch.nn, made by scripts/export-onnx.py, weights stripped): every
// node's output shapes, params and MACs equal an independent count made in Python when the files were
// exported (onnx.shape_inference on the unstripped model, and the cost model's conv/gemm/matmul formulas).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeOnnxFile } from '../server/src/onnx/analyze';

const DIR = join(__dirname, 'fixtures/onnx');

interface Expected {
  bound_dims: Record<string, number>;
  totals: { nodes: number; macs: number };
  reference: { torch_params: number; batchnorm_channels: number; hook_macs_total: number };
  nodes: { index: number; name: string; op_type: string; output_shapes: number[][]; params: number; params_after_folding: number; macs: number }[];
}

const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).sort();

test('the real exports are there', () => assert.ok(fixtures.length >= 6, fixtures.join(', ')));

for (const f of fixtures) {
  test(`${f}: shapes, params and MACs of every node equal the independent count`, () => {
    const want: Expected = JSON.parse(readFileSync(join(DIR, f.replace(/\.onnx$/, '.json')), 'utf8'));
    const a = analyzeOnnxFile(join(DIR, f), { dims: want.bound_dims }, f);
    assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.code}: ${d.message}`), []);
    const top = a.layers.filter((l) => l.graphPath === '');
    assert.equal(top.length, want.totals.nodes);
    for (const n of want.nodes) {
      const l = top[n.index];
      const what = `node ${n.index} ${n.name} (${n.op_type})`;
      assert.equal(l.onnxName, n.name, what);
      assert.deepEqual(l.outputs, n.output_shapes, `${what}: output shapes`);
      assert.equal(l.macs, n.macs, `${what}: MACs`);
      // A node whose inputs are all weights (`Transpose(in_proj_weight)` in an export without constant
      // folding) is folded at load: it costs nothing and its reader counts the weights. The JSON's
      // `params_after_folding` credits the float initializers behind such nodes to their first non-constant
      // consumer. On these files both pick the same nodes (bert's 12 weight Transposes, nothing elsewhere);
      // the definitions differ only where no file here has a case: the JSON never folds Shape(weight), and
      // credits an initializer to every consumer while NetCost counts it once (a weight read directly and
      // through a Transpose, or through two Identity aliases). vit_b_16's class token is not weight-only:
      // its Expand also reads a shape computed from the input (Shape -> ... -> Where), so the Expand counts
      // it, in both. A folded batch norm costs nothing, and its conv gains a bias of C_out (docs/costs.md).
      const expected = l.foldedInto ? 0 : n.params_after_folding + (l.biasFromBn ? l.outputShape[1] : 0);
      assert.equal(l.params, expected, `${what}: params`);
    }
    assert.equal(a.totals.macs, want.reference.hook_macs_total, 'MACs: PyTorch forward hooks');
    assert.equal(a.totals.params, want.reference.torch_params - want.reference.batchnorm_channels, 'params: PyTorch, batch norms folded');
  });
}
