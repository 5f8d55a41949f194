// The editor features as plain data (ide/): hints, hovers, settings and document diagnostics, tested
// without a server. The protocol tests (lsp.test.ts) check the same through the real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../server/src/analysis/analyze';
import { inlayHints } from '../server/src/ide/hints';
import { hover } from '../server/src/ide/hover';
import { readSettings, DEFAULT_EDITOR_SETTINGS } from '../server/src/ide/settings';
import { analyzeDocument } from '../server/src/ide/document';
import { marked } from './fixtures';

const CONV = 'input img: 64 x 112 x 112\nc: conv 128 k=3 p=1 bias=false\n';

test('a hint shows shape, MACs and params in the cost model order, at the statement line', () => {
  const a = analyze(CONV);
  const hints = inlayHints(a, 0, 10);
  assert.deepEqual(hints.map((h) => [h.line, h.label]), [
    [0, 'total: 925M MACs · 73.7K params'],
    [1, '128x112x112 · 925M MACs · 73.7K params'],
  ]);
  assert.match(hints[1].tooltip, /924,844,032 MACs, 1,849,688,064 FLOPs \(2\*MACs convention\), 73,728 params/);
});

test('hint content and the FLOPs convention follow the options; the batch leads the shape', () => {
  const a = analyze(CONV, { batch: 2, dtype: 'fp16' });
  const [, h] = inlayHints(a, 0, 10, { content: ['flops', 'memory', 'shape'], flops: 'exact' });
  assert.equal(h.label, '3.70G FLOPs (exact) · 9.78 MB moved · 2x128x112x112');
  assert.deepEqual(inlayHints(a, 0, 10, { content: [], flops: '2macs' }), []);
});

test('only statements in the requested range get hints; a block use and a repeat get one each', () => {
  const text = 'input i: 8 x 8 x 8\nblock b(c):\n  conv c k=3 p=1 | bn | relu\nend\nb(8)\nrepeat 3: b(8)\nconv 8 k=1\n';
  const a = analyze(text);
  assert.deepEqual(inlayHints(a, 4, 5).map((h) => [h.line, h.label]), [
    [4, '8x8x8 · 36.9K MACs · 584 params'], // 3 x 3 x 8 x 8 x 8 x 8 = 36,864
    [5, '8x8x8 · 111K MACs · 1.75K params'],
  ]);
  assert.deepEqual(inlayHints(a, 6, 6).map((h) => h.line), [6]);
});

test('hover on a conv shows the formula with numbers, params with and without bias, FLOPs convention, memory split, intensity, share', () => {
  const { text, ranges } = marked('input img: 64 x 112 x 112\nc: «conv 128 k=3 p=1» | bn\nrelu\n');
  const a = analyze(text);
  const h = hover(a, { line: 1, character: 5 }, 'exact')!;
  assert.deepEqual(h.range, ranges[0]);
  const md = h.markdown;
  assert.match(md, /K_h x K_w x C_in\/g x H_out x W_out x C_out = 3 x 3 x 64 x 112 x 112 x 128 = 924,844,032 MACs/);
  assert.match(md, /\*\*params\*\* 73,856 \(73,728 without the bias of 128, gained from the folded batch norm\)/);
  assert.match(md, /\*\*FLOPs\*\* 1,849,688,064 \(exact convention\)/ /* (2*576 - 1 + 1 bias) x 1,605,632 */);
  assert.match(md, /memory access\*\* 9,929,216 bytes \(fp32, batch 1\) = input 3,211,264 \+ output 6,422,528 \+ weights 295,424/);
  assert.match(md, /arithmetic intensity\*\* 186\.\d\d FLOP\/byte/);
  assert.match(md, /share of the network\*\* 100\.0% of MACs/);
});

test('hover on a block use shows its totals and costliest layers; on a name, where it is defined', () => {
  const text = 'input i: 8 x 8 x 8\nblock b(c):\n  x: conv c k=3 p=1 | relu\n  add from x, in\nend\ns: b(8)\nrelu from s\n';
  const a = analyze(text);
  const g = hover(a, { line: 5, character: 4 })!.markdown;
  assert.match(g, /^\*\*s\*\* · block `b` · 3 layers/);
  assert.match(g, /costliest layers:\n- `s\.x\.conv` conv/);
  const n = hover(a, { line: 6, character: 10 })!.markdown;
  assert.match(n, /^\*\*s\*\* · use of block `b`, defined on line 6\n\nshape 1 x 8 x 8 x 8/);
  const inBlock = hover(a, { line: 3, character: 11 })!.markdown;
  assert.match(inBlock, /\*\*x\*\* · `relu`, defined on line 3 \(block `b`; first use: `s\.x`\)/);
  assert.equal(hover(a, { line: 0, character: 0 }), null);
});

test('settings: defaults for a client that sends nothing or garbage; valid values are taken', () => {
  assert.deepEqual(readSettings(null), DEFAULT_EDITOR_SETTINGS);
  assert.deepEqual(readSettings({ batchSize: -3, dtype: 'fp64', flopsConvention: 'gflops', inlayHints: { content: 'shape' }, rules: { x: 'loud' } }), DEFAULT_EDITOR_SETTINGS);
  const s = readSettings({ batchSize: 8, dtype: 'int8', flopsConvention: 'macs', inlayHints: { enabled: false, content: ['memory', 'bogus'] }, rules: { 'channel-multiple': 'off' }, lint: { channelMultiple: 8, g1Threshold: 30 }, onnx: { dims: { seq: 128, bad: 0, worse: 'x' } }, target: 'a100' });
  assert.deepEqual(s, { batchSize: 8, dtype: 'int8', flopsConvention: 'macs', inlayHints: { enabled: false, content: ['memory'], showDelta: false }, rules: { 'channel-multiple': 'off' }, lint: { ...DEFAULT_EDITOR_SETTINGS.lint, channelMultiple: 8, g1Threshold: 30 }, onnx: { dims: { seq: 128 } }, target: 'a100', userTargets: [], targetErrors: [], limits: DEFAULT_EDITOR_SETTINGS.limits });
});

test('every setting the extension contributes is read by the server (the measure command\'s by the client)', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
  // netcost.measure.* configure the client's Measure Latency command (client/src/measure.ts), not the server
  const client = readFileSync(join(__dirname, '..', 'client', 'src', 'measure.ts'), 'utf8');
  const all = Object.keys(pkg.contributes.configuration.properties);
  for (const key of all.filter((k) => k.startsWith('netcost.measure.'))) {
    assert.match(client, new RegExp(`getConfiguration\\('netcost\\.measure'[^)]*\\)\\s*(\\.get<\\w+>)?\\('${key.slice('netcost.measure.'.length)}'|config\\.get<\\w+>\\('${key.slice('netcost.measure.'.length)}'`), `${key} is read by the client`);
  }
  const keys = all.filter((k) => !k.startsWith('netcost.measure.'));
  assert.ok(keys.length >= 8);
  /** where a setting's value lands when its field is named differently (`netcost.targets` are the user's targets) */
  const FIELD: Record<string, string[]> = { 'netcost.targets': ['userTargets'] };
  for (const key of keys) {
    const path = key.split('.').slice(1);
    const prop = pkg.contributes.configuration.properties[key];
    // a value different from the default, nested as VS Code sends the `netcost` section
    // (an array of objects: the example the manifest offers in settings.json)
    const value = prop.enum ? prop.enum.find((v: string) => v !== prop.default) : prop.type === 'boolean' ? !prop.default : prop.type === 'array' ? (prop.defaultSnippets?.[0]?.body ?? ['memory']) : prop.type === 'object' ? { seq: 128 } : prop.default + 3;
    const raw: Record<string, unknown> = {};
    let o = raw;
    path.slice(0, -1).forEach((p) => { o = (o[p] = {}) as Record<string, unknown>; });
    // `rules.<code>` keeps its dashed code as one key
    if (path[0] === 'rules') raw.rules = { [path.slice(1).join('.')]: value };
    else o[path[path.length - 1]] = value;
    assert.notDeepEqual(readSettings(raw), DEFAULT_EDITOR_SETTINGS, `${key} is read`);
    if (prop.default !== undefined && path[0] !== 'rules') {
      const d = readSettings({});
      let v: unknown = d;
      for (const p of FIELD[key] ?? path) v = (v as Record<string, unknown>)[p];
      assert.deepEqual(v, prop.default, `${key}: the server's default matches the manifest`);
    }
  }
});

test('document diagnostics: rule settings switch lint rules off or change their severity; engine errors stay', () => {
  const text = 'input i: 64 x 56 x 56\nconv 256 k=1 bias=false\nconv 20 k=1\nadd from nope, i\n'; // 20: a multiple of no target's channel multiple
  const base = analyzeDocument(text, DEFAULT_EDITOR_SETTINGS).diagnostics.map((d) => [d.code, d.severity]);
  assert.deepEqual(base.sort(), [['channel-multiple', 'info'], ['g1-unbalanced-pointwise', 'info'], ['g1-unbalanced-pointwise', 'info'], ['unknown-name', 'error']].sort());
  const s = readSettings({ rules: { 'g1-unbalanced-pointwise': 'off', 'channel-multiple': 'error', 'unknown-name': 'off' } });
  assert.deepEqual(analyzeDocument(text, s).diagnostics.map((d) => [d.code, d.severity]).sort(), [['channel-multiple', 'error'], ['unknown-name', 'error']]);
});
