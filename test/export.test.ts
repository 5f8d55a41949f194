// `.net` -> ONNX export (server/src/export/export.ts, `netcost export`): the export read back by the ONNX reader
// gives every layer's figures (exact, per layer, summed over its nodes), ONNX Runtime runs it with the engine's
// output shapes, the weights are deterministic, and the command's exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, type Analysis, type Settings } from '../server/src/analysis/analyze';
import { exportAnalysis, type ExportResult } from '../server/src/export/export';
import { analyzeOnnx, type OnnxAnalysis } from '../server/src/onnx/analyze';
import { bytesSource, readModel } from '../server/src/onnx/reader';
import { runAsync, tempFiles } from './cli-run';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');

const root = join(__dirname, '..');
const EXAMPLES = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.net')).sort();
const elems = (s: number[]) => s.reduce((p, d) => p * d, 1);

/** a CNN with every image kind: conv | bn | relu, depthwise, pooling, a residual add, split, concat, shuffle, SE-style
 *  broadcast mul, deconv, upsample, transposes and reshapes, a 3-input add, linear, softmax */
const CNN = `
input image: 3 x 32 x 32
stem: conv 16 k=3 s=2 p=1 | bn | relu
dw: dwconv k=3 p=1 | bn | relu6
pw: conv 32 k=1 | bn
short: conv 32 k=1 from stem | bn
res: add from pw, short
relu
x: split 2
a: conv 16 k=3 p=same | bn | hardswish from x[1]
b: maxpool k=3 s=1 p=1 from x[0]
cat: concat from b, a
sh: shuffle 4
g: conv 32 k=3 p=1 g=4 | swish
se: gap
pwconv 32 | hardsigmoid
m: mul from g, pwconv_1
sums: add from m, sh, g
dec: deconv 16 k=2 s=2 | bn | tanh
up: upsample s=2 mode=bilinear
avgpool k=4 ceil=true
upsample
gmp
mid: split 8 24 from sums
sigmoid from mid[1]
t: transpose 1 2 0 from dec
reshape 32 x -1
dropout
identity
flatten from sums
fc: linear 10 | bn
softmax
`;

/** a tiny ViT: patch embedding, class token, position embedding, pre-norm attention and GELU MLP, matmuls */
const VIT = `
input image: 3 x 16 x 16
patch_embed 4 32
cls_token
pe: pos_embed
ln
msa: attention heads=4
x: add from pe, msa
ln
linear 64 | gelu
mlp: linear 32
y: add from x, mlp
q: linear 32 bias=false
k: linear 32 from y
s: matmul from q, k tb=true
softmax
ctx: matmul from softmax_1, y
ln
take 0
head: linear 10
`;

/** an `L x D` sequence model: attention without bias, swish, matmuls with a second input, of equal and of lower rank */
const SEQ = `
input tokens: 12 x 24
msa: attention heads=3 bias=false
swish
gate: linear 24
w: mul from msa, gate
input extra: 24 x 8
matmul from w, extra
r: reshape 2 x 6 x 24 from w
matmul from r, extra
`;

const analyse = (text: string, s: Partial<Settings> = {}): Analysis => {
  const a = analyze(text, { batch: 1, dtype: 'fp32', ...s });
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], 'the .net source analyses without errors');
  return a;
};

/** the export read back: the ONNX analysis of its bytes */
function reimport(x: ExportResult, bytes = x.bytes()): OnnxAnalysis {
  const o = analyzeOnnx(readModel(bytesSource(bytes)));
  assert.deepEqual(o.diagnostics.filter((d) => d.severity !== 'info').map((d) => d.message), [], 'the reader reads the export cleanly');
  assert.ok(o.layers.every((l) => l.counted), 'every node is costed');
  return o;
}

/**
 * The memory bytes the decomposition of a layer moves beyond the engine's count (fp32: 4 bytes per element); zero
 * for every kind not listed. N: batch; shapes per sample.
 * - attention: the engine counts a fused kernel (reads x, writes the output, the 4 projections' weights). The
 *   export writes and reads back Q, K, V (Gemm), their head Transposes (read + write each), the [N, h, L, L] score
 *   tensor through MatMul -> Mul (scale) -> Softmax -> MatMul, the merge Transpose and the output Gemm: 20 N L D
 *   activation elements instead of 2 N L D, plus 6 N h L^2 for the scores, plus the scale constant (1 element).
 * - gelu: opset 17 has no Gelu: Div, Erf, Add, Mul, Mul read 6 and write 5 tensors of the layer's size (11 n instead
 *   of 2 n, n = N x elements) plus 3 scalar constants.
 * - swish: Sigmoid then Mul: 5 n instead of 2 n.
 * - patch_embed: the Conv's [N, D, H/P, W/P] output becomes tokens through a Transpose: read + write N L D.
 * - cls_token: moves less: the token is expanded to the batch by an Expand of a weight, which the reader (like
 *   ONNX Runtime) folds at load, and the Concat is a view: nothing is counted where the engine reads the D weights.
 */
function extraBytes(op: string, inShape: number[], out: number[], attrs: Record<string, unknown>, n: number): number {
  switch (op) {
    case 'attention': {
      const [l, d] = inShape;
      const h = (attrs.heads as number | undefined) ?? 1;
      return 4 * (18 * n * l * d + 6 * n * h * l * l + 1);
    }
    case 'gelu': return 4 * (9 * n * elems(out) + 3);
    case 'swish': return 4 * 3 * n * elems(out);
    case 'patch_embed': return 4 * 2 * n * elems(out);
    case 'cls_token': return -4 * out[1];
    default: return 0;
  }
}

/** Per .net layer, its nodes' summed figures equal the engine's: params, MACs, FLOPs (both conventions), memory bytes
 *  (up to the documented extra traffic of a decomposition), and the last node's output shape. */
function assertRoundTrip(a: Analysis, x: ExportResult, o: OnnxAnalysis) {
  const n = a.settings.batch;
  const sums = new Map<string, { params: number; macs: number; flops2: number; exact: number; memory: number; nodes: number }>();
  const shapes = new Map<string, number[][]>();
  for (const l of o.layers) {
    const layer = x.layerOf.get(l.onnxName);
    assert.ok(layer !== undefined, `node ${l.onnxName} maps to a layer`);
    const s = sums.get(layer) ?? { params: 0, macs: 0, flops2: 0, exact: 0, memory: 0, nodes: 0 };
    s.params += l.params; s.macs += l.macs; s.flops2 += l.flops['2macs']; s.exact += l.flops.exact; s.memory += l.memoryBytes; s.nodes++;
    sums.set(layer, s);
    // the layer's own tensor (or a split's parts) is the output of its last node
    if (l.onnxName === layer || l.onnxName.startsWith(`${layer}/`)) shapes.set(layer, l.outputs);
  }
  assert.equal(sums.size, a.layers.length, 'every layer has nodes, and no node is foreign');
  for (const l of a.layers) {
    const s = sums.get(l.name)!;
    const what = `${l.name} (${l.op})`;
    assert.equal(s.params, l.params, `${what}: params`);
    assert.equal(s.macs, l.macs, `${what}: MACs`);
    assert.equal(s.flops2, l.flops['2macs'], `${what}: FLOPs (2*MACs)`);
    assert.equal(s.exact, l.flops.exact, `${what}: FLOPs (exact)`);
    assert.equal(s.memory - l.memoryBytes, extraBytes(l.op, l.inputShapes[0], l.outputShape, l.attrs, n), `${what}: memory bytes`);
    assert.deepEqual(shapes.get(l.name), l.outputs.map((s) => [n, ...s]), `${what}: output shape`);
  }
  assert.equal(o.totals.params, a.totals.params, 'total params');
  assert.equal(o.totals.macs, a.totals.macs, 'total MACs');
}

/** Runs the export with ONNX Runtime on a deterministic input; returns the outputs' shapes (and checks they are finite). */
async function runOrt(bytes: Uint8Array, a: Analysis): Promise<Record<string, number[]>> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 2 });
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const input of a.inputs) {
    const dims = [a.settings.batch, ...input.shape];
    const data = Float32Array.from({ length: elems(dims) }, (_v, i) => Math.sin(i * 0.37));
    feeds[input.name] = new ort.Tensor('float32', data, dims);
  }
  const out = await session.run(feeds);
  const shapes: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(out)) {
    shapes[name] = [...t.dims];
    assert.ok((t.data as Float32Array).every((v) => Number.isFinite(v)), `${name}: finite values`);
  }
  await session.release();
  return shapes;
}

/** the engine's shape of each graph output (the layers nothing reads) */
function expectedOutputs(a: Analysis, x: ExportResult): Record<string, number[]> {
  const byName = new Map(a.layers.map((l) => [l.name, l]));
  const want: Record<string, number[]> = {};
  for (const o of x.model.graph.outputs) {
    const m = /^(.*)\[(\d+)\]$/.exec(o.name);
    const l = byName.get(m ? m[1] : o.name)!;
    want[o.name] = [a.settings.batch, ...l.outputs[m ? Number(m[2]) : 0]];
  }
  return want;
}

test('every example exports and re-imports with the same per-layer figures (batch 2)', () => {
  assert.equal(EXAMPLES.length, 8);
  for (const f of EXAMPLES) {
    const a = analyse(readFileSync(join(root, 'examples', f), 'utf8'), { batch: 2 });
    const x = exportAnalysis(a, { seed: 7 });
    assert.deepEqual(x.errors, [], f);
    // VGG-16's 553 MB of weights take seconds to fill and the reader never reads them: its figures come from the graph alone
    const o = reimport(x, f === 'vgg16.net' ? undefined : x.bytes());
    assertRoundTrip(a, x, o);
  }
});

test('ResNet-50: node names are the layer names, BN nodes fold on the ONNX side, figures match the totals', () => {
  const a = analyse(readFileSync(join(root, 'examples', 'resnet50.net'), 'utf8'));
  const x = exportAnalysis(a);
  const names = x.model.graph.nodes.map((n) => n.name);
  assert.ok(names.includes('conv1.conv') || names.some((s) => s.endsWith('.conv_1')));
  assert.equal(new Set(names).size, names.length, 'node names are unique');
  const tensors = [...x.model.graph.initializers.keys(), ...x.model.graph.nodes.flatMap((n) => n.outputs)];
  assert.equal(new Set(tensors).size, tensors.length, 'tensor names are unique');
  const o = reimport(x);
  const folded = o.layers.filter((l) => l.opType === 'BatchNormalization' && l.foldedInto !== null).length;
  assert.equal(folded, a.layers.filter((l) => l.op === 'bn' && l.foldedInto !== null).length);
  assert.equal(o.totals.params, 25_530_472);
  assert.equal(o.totals.params, a.totals.params);
  assert.equal(o.totals.flops['2macs'], a.totals.flops['2macs']);
  assert.equal(o.totals.memoryBytes, a.totals.memoryBytes);
});

test('small models: the reader round-trips them and ONNX Runtime runs them with the engine\'s output shapes', async () => {
  for (const [name, src, batch] of [['cnn', CNN, 2], ['vit', VIT, 3], ['seq', SEQ, 1]] as const) {
    const a = analyse(src, { batch });
    const x = exportAnalysis(a, { seed: 3 });
    assert.deepEqual(x.errors, [], name);
    const bytes = x.bytes();
    assertRoundTrip(a, x, reimport(x, bytes));
    assert.deepEqual(await runOrt(bytes, a), expectedOutputs(a, x), name);
  }
});

test('two examples at reduced size run in ONNX Runtime (--set overrides)', async () => {
  const cases: [string, Record<string, number>][] = [
    ['mobilenet_v1.net', { resolution: 64, alpha: 0.25 }],
    ['vit_b16.net', { resolution: 32, d: 64, heads: 4, mlp: 128, depth: 2 }],
    ['shufflenet_v2.net', {}],
  ];
  for (const [f, overrides] of cases) {
    const a = analyze(readFileSync(join(root, 'examples', f), 'utf8'), { batch: 1, dtype: 'fp32', overrides });
    // shape assertions written for the full size fail at a reduced one; the network itself is sound
    assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error' && d.code !== 'shape-assertion'), [], f);
    const x = exportAnalysis(a, { seed: 1 });
    const bytes = x.bytes();
    assertRoundTrip(a, x, reimport(x, bytes));
    assert.deepEqual(await runOrt(bytes, a), expectedOutputs(a, x), f);
  }
});

test('determinism: the same seed writes the same bytes; another seed changes the weights only', () => {
  const a = analyse(VIT, { batch: 2 });
  const one = exportAnalysis(a, { seed: 5 }).bytes();
  const again = exportAnalysis(analyse(VIT, { batch: 2 }), { seed: 5 }).bytes();
  assert.deepEqual(again, one);
  const other = exportAnalysis(a, { seed: 6 });
  const bytes = other.bytes();
  assert.equal(bytes.length, one.length, 'same size');
  assert.notDeepEqual(bytes, one);
  // the same graph once the weights are stripped
  assert.deepEqual(other.model, exportAnalysis(a, { seed: 5 }).model);
  const m1 = readModel(bytesSource(one));
  const m2 = readModel(bytesSource(bytes));
  assert.deepEqual(m2.graph.nodes, m1.graph.nodes);
  // constants (shapes, axes, scalars) keep their values; weights (no values in the exported model) are the seed's
  const constants = new Set([...other.model.graph.initializers.values()].filter((t) => t.values !== null).map((t) => t.name));
  const stored = (m: typeof m1) => [...m.graph.initializers.values()].map((t) => [t.name, t.dtype, t.dims, constants.has(t.name) ? t.values : 'weight']);
  assert.deepEqual(stored(m2), stored(m1));
  // and only weight bytes differ: the differing bytes are fewer than the weights' bytes, and most of them
  let differ = 0;
  for (let i = 0; i < one.length; i++) if (one[i] !== bytes[i]) differ++;
  const weightBytes = [...other.model.graph.initializers.values()].filter((t) => t.values === null).reduce((p, t) => p + 4 * elems(t.dims), 0);
  assert.ok(differ > weightBytes / 2 && differ <= weightBytes, `${differ} differing bytes within ${weightBytes} weight bytes`);
});

test('a generic op cannot be exported: an error with its line, not an exception', () => {
  const a = analyze('input x: 4 x 8 x 8\nc: conv 4 k=1\nscores: op "Erf"(c)\nrelu\n', { batch: 1, dtype: 'fp32' });
  const x = exportAnalysis(a);
  assert.equal(x.errors.length, 1);
  assert.equal(x.errors[0].layer, 'scores');
  assert.equal(x.errors[0].line, 3);
  assert.match(x.errors[0].message, /op "Erf"/);
});

test('netcost export: writes the model, exit codes, -o required, errors with their lines', async () => {
  const t = tempFiles('netcost-export-');
  const src = t.file('net.net', 'res = 32\ninput image: 3 x res x res\nconv 8 k=3 p=1 | bn | relu\ngap\nfc 10\n');
  const out = join(t.dir, 'net.onnx');
  let r = await runAsync('export', src, '-o', out, '--seed', '3', '--batch', '2', '--set', 'res=16');
  assert.equal(r.code, 0, r.err);
  const bytes = readFileSync(out);
  assert.equal(r.out, `wrote ${out}: 6 nodes, 314 params, ${bytes.length.toLocaleString('en-US')} bytes\n`);
  const o = analyzeOnnx(readModel(bytesSource(new Uint8Array(bytes))));
  assert.deepEqual(o.inputs.map((i) => i.shape), [[2, 3, 16, 16]]);
  assert.equal(o.totals.params, 314); // 3 x 3 x 3 x 8 + 8 (the bias the folded BN gives) + 8 x 10 + 10
  // same seed: same file
  const again = join(t.dir, 'again.onnx');
  r = await runAsync('export', src, '--output', again, '--seed', '3', '--batch', '2', '--set', 'res=16');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readFileSync(again), bytes);

  r = await runAsync('export', '--help');
  assert.equal(r.code, 0);
  assert.match(r.out, /^usage: netcost export FILE\.net -o OUT\.onnx/);
  r = await runAsync('export', src);
  assert.equal(r.code, 2);
  assert.match(r.err, /-o OUT\.onnx is required/);
  r = await runAsync('export', src, '-o', src);
  assert.equal(r.code, 2);
  assert.match(r.err, /refusing to overwrite/);
  r = await runAsync('export', src, '-o', out, '--seed', 'x');
  assert.equal(r.code, 2);
  r = await runAsync('export', src, '-o', out, '--bogus');
  assert.equal(r.code, 2);
  r = await runAsync('export', join(t.dir, 'missing.net'), '-o', out);
  assert.equal(r.code, 2);

  const broken = t.file('broken.net', 'input image: 3 x 8 x 8\nconv 8 k=3 g=5\nrelu\n');
  const none = join(t.dir, 'none.onnx');
  r = await runAsync('export', broken, '-o', none);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: error \\[bad-groups\\]`));
  assert.equal(existsSync(none), false, 'nothing written');

  const generic = t.file('generic.net', 'input image: 3 x 8 x 8\nconv 8 k=3\n\nt: op "TopK"(conv_1) -> 8 x 6 x 2\n');
  r = await runAsync('export', generic, '-o', none);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`generic\\.net:4: error \\[export\\] t: .*op "TopK"`));
  assert.equal(existsSync(none), false, 'nothing written');
});
