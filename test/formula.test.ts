// Scaling formulas (issue 9, point 4): the totals as exact polynomials of a variable or the batch,
// fitted from the engine with rational arithmetic and checked here against direct evaluation at
// points the fit never saw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, type Settings } from '../server/src/analysis/analyze';
import { evalPoly, interpolate, netFormulas, polyText, rat, type FigureName, type FormulaReport } from '../server/src/formula/formula';
import { hover } from '../server/src/ide/hover';
import { main } from '../server/src/cli/main';

const root = join(__dirname, '..');
const S: Settings = { batch: 1, dtype: 'fp32' };
const fit = (text: string, vars: string[]): FormulaReport => {
  const r = netFormulas(text, analyze(text, S), vars);
  assert.equal(typeof r, 'object', String(r));
  return r as FormulaReport;
};
const fig = (r: FormulaReport, f: FigureName) => r.figures.find((x) => x.figure === f)!;
const direct = (text: string, point: Record<string, number>) => {
  const { batch, ...overrides } = point;
  const a = analyze(text, { batch: batch ?? 1, dtype: 'fp32', overrides });
  assert.ok(!a.diagnostics.some((d) => d.severity === 'error' && d.code !== 'shape-assertion'), JSON.stringify(a.diagnostics));
  return { params: a.totals.params, macs: a.totals.macs, flops: a.totals.flops['2macs'], memory: a.totals.memoryBytes };
};
/** the formula of `f` at `point` equals the engine's figure exactly */
function exactAt(text: string, r: FormulaReport, f: FigureName, point: Record<string, number>) {
  const p = fig(r, f).poly!;
  const want = direct(text, point)[f];
  const got = evalPoly(p, r.variables.map((v) => point[v]));
  assert.deepEqual(got, rat(BigInt(want)), `${f} at ${JSON.stringify(point)}: formula ${polyText(p)} = ${got.n}/${got.d}, engine ${want}`);
}
/** points of the grid the fit used (m0..m0+4 times q around the file's value), so tests pick others */
const fitted = (base: number, q: number) => Array.from({ length: 5 }, (_, k) => (Math.max(1, Math.round(base / q)) + k) * q);

test('exact interpolation: the Vandermonde solve recovers rational coefficients and drops zero high terms', () => {
  const xs = [3, 4, 5, 6, 7].map((x) => rat(BigInt(x)));
  const ys = [3, 4, 5, 6, 7].map((x) => rat(BigInt(9 * x * x + 4 * x - 2), 4n)); // (9x^2 + 4x - 2)/4
  const c = interpolate(xs, ys);
  assert.deepEqual(c, [rat(-1n, 2n), rat(1n), rat(9n, 4n), rat(0n), rat(0n)]);
  assert.equal(polyText({ vars: ['x'], terms: [{ coef: rat(9n, 4n), exps: [2] }, { coef: rat(1n), exps: [1] }, { coef: rat(-1n, 2n), exps: [0] }] }), '9/4*x^2 + x - 1/2');
  assert.equal(polyText({ vars: ['r'], terms: [{ coef: rat(3840n), exps: [2] }, { coef: rat(12288n), exps: [1] }, { coef: rat(1000n), exps: [0] }] }), '3,840*r^2 + 12,288*r + 1,000');
});

// The ViT-B/16 encoder of examples/vit_b16.net with its token sequence as the input: `tokens` is the
// sequence length (197 at 224 x 224 with patch 16), the blocks, norm and head are the example's own lines.
const VIT = readFileSync(join(root, 'examples', 'vit_b16.net'), 'utf8');
const ENCODER = VIT
  .replace('input image: 3 x resolution x resolution', 'tokens = 197                                     # sequence length\ninput z0: tokens x d')
  .replace(/^(patch_embed|cls_token|pos_embed) .*\n/gm, '')
  .replace('-> (resolution // 16)**2 + 1 x d', '-> tokens x d');

test('a ViT-B/16 encoder: MACs in its sequence length, exact at 10 lengths not used to fit it', () => {
  assert.match(ENCODER, /^input z0: tokens x d$/m);
  assert.doesNotMatch(ENCODER, /patch_embed/);
  assert.equal(direct(ENCODER, { tokens: 197 }).params, 86_567_656 - 768 * 3 * 16 * 16 - 768 - 768 - 197 * 768, 'the example minus patch, class token and position embeddings');
  const r = fit(ENCODER, ['tokens']);
  const macs = fig(r, 'macs');
  assert.equal(macs.kind, 'polynomial', macs.note);
  assert.deepEqual(macs.lattice, { tokens: 1 });
  // 12 layers: attention scores and values 2*L^2*d, projections 4*L*d^2, MLP 2*L*d*mlp; head d*1000
  const d = 768n, mlp = 3072n;
  assert.deepEqual(macs.poly!.terms.map((t) => [t.exps[0], t.coef]), [[2, rat(12n * 2n * d)], [1, rat(12n * (4n * d * d + 2n * d * mlp))], [0, rat(d * 1000n)]]);
  assert.equal(macs.text, 'MACs = 18,432*tokens^2 + 84,934,656*tokens + 768,000');
  const used = fitted(197, 1);
  const fresh = [1, 2, 50, 100, 196, 256, 577, 1024, 1370, 4097];
  assert.equal(fresh.filter((t) => used.includes(t)).length, 0);
  for (const t of fresh) exactAt(ENCODER, r, 'macs', { tokens: t });
  for (const f of ['params', 'flops', 'memory'] as const) {
    assert.equal(fig(r, f).kind, 'polynomial', f);
    for (const t of [7, 300, 999]) exactAt(ENCODER, r, f, { tokens: t });
  }
  assert.equal(fig(r, 'params').poly!.terms.length, 1, 'params do not depend on the sequence length');
});

test('examples/vit_b16.net in its resolution: exact on multiples of the patch size 16, honestly not a polynomial over all values', () => {
  const a = analyze(VIT, S);
  assert.deepEqual(a.diagnostics, []);
  assert.equal(a.totals.macs, 17_563_828_224);
  const r = fit(VIT, ['resolution']);
  const macs = fig(r, 'macs');
  assert.equal(macs.kind, 'lattice');
  assert.deepEqual(macs.lattice, { resolution: 16 });
  assert.equal(macs.text, 'MACs = 9/32*resolution^4 + 334,224*resolution^2 + 85,721,088');
  assert.match(macs.note, /exact only for resolution a multiple of 16: not a polynomial in resolution over all values/);
  const used = fitted(224, 16);
  for (const res of [16, 32, 64, 128, 208, 304, 384, 512, 640, 1024]) {
    assert.ok(!used.includes(res));
    exactAt(VIT, r, 'macs', { resolution: res });
  }
  // between multiples: the figure steps, the polynomial does not hold
  assert.notDeepEqual(evalPoly(macs.poly!, [230]), rat(BigInt(direct(VIT, { resolution: 230 }).macs)));
});

const STRIDE_FREE = `# convs that keep the size, then a global pool and a classifier
resolution = 64
width = 16
input image: 3 x resolution x resolution
conv width k=3 p=1 | bn | relu
conv width k=3 p=same | relu
conv 2*width k=1
x: conv 2*width k=3 p=1
add from x, conv_3
gap
fc 10
`;

test('a stride-free network in resolution: an exact polynomial over all values, checked at fresh points', () => {
  const r = fit(STRIDE_FREE, ['resolution']);
  for (const f of ['params', 'macs', 'flops', 'memory'] as const) {
    const x = fig(r, f);
    assert.equal(x.kind, 'polynomial', `${f}: ${x.note}`);
    assert.deepEqual(x.lattice, { resolution: 1 });
    for (const res of [1, 3, 17, 31, 63, 70, 101, 255, 333, 1000]) exactAt(STRIDE_FREE, r, f, { resolution: res });
  }
  // per pixel: 3*16*9 + 16*16*9 + 16*32 + 32*32*9 MACs; fc 32*10
  assert.equal(fig(r, 'macs').text, `MACs = ${(3 * 16 * 9 + 16 * 16 * 9 + 16 * 32 + 32 * 32 * 9).toLocaleString('en-US')}*resolution^2 + 320`);
  assert.equal(fig(r, 'params').poly!.terms.length, 1, 'params are constant in the resolution');
  assert.match(fig(r, 'macs').note, /^exact: a polynomial in resolution/);
});

const STRIDED = `# resnet-like: stem stride 2, max pool, three more stride-2 stages: stride 32 overall
resolution = 224
block basic(c, s=1):
  conv c k=3 s=s p=1 | bn | relu
  y: conv c k=3 p=1 | bn
  sc: conv c k=1 s=s from in | bn
  add from y, sc
  relu
end
input image: 3 x resolution x resolution
conv 64 k=7 s=2 p=3 | bn | relu
maxpool k=3 s=2 p=1
basic(64)
basic(128, 2)
basic(256, 2)
basic(512, 2)
gap
fc 1000
`;

test('a strided network (stride 32) in resolution: not a polynomial over all values, exact on multiples of 32', () => {
  assert.notEqual(direct(STRIDED, { resolution: 225 }).macs, direct(STRIDED, { resolution: 224 }).macs);
  const r = fit(STRIDED, ['resolution']);
  const macs = fig(r, 'macs');
  assert.equal(macs.kind, 'lattice');
  assert.deepEqual(macs.lattice, { resolution: 32 });
  assert.match(macs.text, /^MACs = [\d,]+\*resolution\^2 \+ 512,000$/);
  assert.match(macs.note, /exact only for resolution a multiple of 32: not a polynomial in resolution over all values \(strided sizes floor/);
  const used = fitted(224, 32);
  for (const res of [32, 64, 96, 128, 192, 416, 480, 640, 800, 1024]) {
    assert.ok(!used.includes(res));
    exactAt(STRIDED, r, 'macs', { resolution: res });
    exactAt(STRIDED, r, 'memory', { resolution: res });
  }
  for (const res of [225, 230, 250]) assert.notDeepEqual(evalPoly(macs.poly!, [res]), rat(BigInt(direct(STRIDED, { resolution: res }).macs)), `off the lattice at ${res}`);
  assert.equal(fig(r, 'params').kind, 'polynomial', 'params do not depend on the resolution at all');
});

test('batch: MACs and FLOPs linear through zero, params constant, memory linear plus the weights', () => {
  const r = fit(STRIDE_FREE, ['batch']);
  const one = direct(STRIDE_FREE, {});
  assert.equal(fig(r, 'params').text, `params = ${one.params.toLocaleString('en-US')}`);
  assert.equal(fig(r, 'macs').text, `MACs = ${one.macs.toLocaleString('en-US')}*batch`);
  assert.equal(fig(r, 'flops').text, `FLOPs = ${one.flops.toLocaleString('en-US')}*batch`);
  for (const f of ['params', 'macs', 'flops', 'memory'] as const) {
    assert.equal(fig(r, f).kind, 'polynomial');
    for (const b of [7, 13, 64, 100]) exactAt(STRIDE_FREE, r, f, { batch: b });
  }
});

test('two variables: a tensor-product fit in resolution and batch, exact at fresh pairs', () => {
  const r = fit(STRIDE_FREE, ['resolution', 'batch']);
  const macs = fig(r, 'macs');
  assert.equal(macs.kind, 'polynomial');
  assert.match(macs.text, /^MACs = [\d,]+\*resolution\^2\*batch \+ 320\*batch$/);
  for (const [res, b] of [[5, 3], [100, 7], [33, 16], [640, 2]]) exactAt(STRIDE_FREE, r, 'macs', { resolution: res, batch: b });
});

test('the input line hovers with the MACs formula in resolution, without a target too', () => {
  const a = analyze(STRIDE_FREE, S);
  const line = a.inputs[0].range.start.line;
  const h = hover(a, { line, character: 2 })!;
  assert.ok(h, 'an input line with a resolution variable hovers');
  assert.match(h.markdown, /^\*\*image\*\* · input 1 x 3 x 64 x 64\n\n---\n\*\*scaling\*\* `MACs = [\d,]+\*resolution\^2 \+ 320`/);
  assert.equal(hover(a, { line, character: 2 })!.markdown, h.markdown, 'remembered per analysis');
  assert.equal(hover(analyze('input x: 3 x 8 x 8\nconv 4 k=1\n', S), { line: 0, character: 2 }), null, 'no size variable, no target: nothing');
  const vit = hover(analyze(VIT, S), { line: analyze(VIT, S).inputs[0].range.start.line, character: 2 })!;
  assert.match(vit.markdown, /`MACs = 9\/32\*resolution\^4 \+ 334,224\*resolution\^2 \+ 85,721,088`\n\nexact only for resolution a multiple of 16/);
});

test('the CLI: --formula prints the formulas after the table, --json adds a formulas object, unknown names are usage errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netcost-formula-'));
  const file = join(dir, 'net.net');
  writeFileSync(file, STRIDED);
  const run = (...argv: string[]) => {
    let out = '', err = '';
    const code = main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
    return { code, out, err };
  };
  const t = run(file, '--formula', 'resolution');
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /\n\nScaling formulas in resolution \(fitted exactly from the engine, degree <= 4 per variable, verified at fresh points\):\n  params = [\d,]+\n      exact: a polynomial in resolution/);
  assert.match(t.out, /\n  MACs = [\d,]+\*resolution\^2 \+ 512,000\n      exact only for resolution a multiple of 32: not a polynomial/);
  assert.match(t.out, /\n  FLOPs = .*\n.*\n  memory = /);

  const j = run(file, '--json', '--formula', 'resolution', '--formula', 'batch');
  assert.equal(j.code, 0, j.err);
  const f = JSON.parse(j.out).formulas;
  assert.deepEqual(f.variables, ['resolution', 'batch']);
  assert.deepEqual(f.at, { resolution: 224, batch: 1 });
  assert.deepEqual(Object.keys(f.figures), ['params', 'macs', 'flops', 'memory']);
  assert.equal(f.figures.macs.polynomial, false);
  assert.deepEqual(f.figures.macs.lattice, { resolution: 32, batch: 1 });
  assert.match(f.figures.macs.formula, /^\d+\*resolution\^2\*batch \+ 512000\*batch$/);
  assert.deepEqual(f.figures.macs.terms.at(-1), { coefficient: '512000', powers: { batch: 1 } });
  assert.equal(f.figures.params.polynomial, true);
  assert.ok(f.figures.macs.verifiedAt.length >= 3);

  const plain = run(file, '--json');
  assert.equal('formulas' in JSON.parse(plain.out), false, 'no --formula, no formulas key');

  const bad = run(file, '--formula', 'width');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--formula: no top-level variable `width` \(its variables: resolution; or `batch`\)/);
  const onnx = run(join(root, 'examples', 'resnet50.onnx'), '--formula', 'batch');
  assert.equal(onnx.code, 2);
  assert.match(onnx.err, /--formula fits the variables of a \.net file/);
});
