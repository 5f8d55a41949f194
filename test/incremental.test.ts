// Incremental re-analysis on a 10,000-layer file: with a CostCache, an edit re-evaluates exactly the
// layers whose op arguments or input shapes changed, and the figures equal a fresh analysis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, CostCache, DEFAULT_SETTINGS, type Analysis } from '../server/src/analysis/analyze';
import { IncrementalAnalyzer } from '../server/src/analysis/incremental';
import { inlayHints, HINT_FIELDS } from '../server/src/ide/hints';

// ---- the generated network and an independent model of it
//
// `SEGMENTS` segments of 10 layers each on an 8 x 8 map. Segment k has its own width W_k = 16 (k + 1),
// set by its first conv; every other layer of the segment keeps the width (a 3x3 conv whose width
// is read with `dim`, a depthwise conv, a residual add, a squeeze-and-excitation style gap / sigmoid
// / mul, activations, a pool). The widths are all different, so no two layers of the file have the
// same op, arguments and input shapes: every layer is a cost of its own.

const SEGMENTS = 1000;
const HW = 8;
const width = (k: number) => 16 * (k + 1);

function generate(widths: number[]): string {
  const out = [`# ${widths.length * 10} layers, generated`, `input x: 16 x ${HW} x ${HW}`];
  widths.forEach((w, k) => out.push(
    `s${k}: conv ${w} k=1`,
    'relu',
    `c${k}: conv dim(s${k}, 0) k=3 p=1`,
    `d${k}: dwconv k=5 p=2`,
    `b${k}: add from s${k}, d${k}`,
    'gap',
    `e${k}: sigmoid`,
    `m${k}: mul from b${k}, e${k}`,
    'hardswish',
    'maxpool k=3 s=1 p=1',
  ));
  return out.join('\n') + '\n';
}

/** What each layer's cost depends on, written out from the structure above (not by the engine). */
function model(widths: number[]): string[] {
  const keys: string[] = [];
  let prev = 16;
  const map = (c: number) => `${c}x${HW}x${HW}`;
  widths.forEach((w) => {
    keys.push(
      `conv out=${w} k=1 | in ${map(prev)}`,
      `relu | in ${map(w)}`,
      `conv out=${w} k=3 p=1 | in ${map(w)}`,
      `dwconv k=5 p=2 | in ${map(w)}`,
      `add | in ${map(w)}, ${map(w)}`,
      `gap | in ${map(w)}`,
      `sigmoid | in ${w}x1x1`,
      `mul | in ${map(w)}, ${w}x1x1`,
      `hardswish | in ${map(w)}`,
      `maxpool k=3 s=1 p=1 | in ${map(w)}`,
    );
    prev = w;
  });
  return keys;
}

const allHints = (a: Analysis) => ({
  default: inlayHints(a, 0, 1e9),
  everything: inlayHints(a, 0, 1e9, { content: HINT_FIELDS, flops: 'exact' }),
});

const widths = Array.from({ length: SEGMENTS }, (_, k) => width(k));
const text = generate(widths);
const lines = text.split('\n');

// the edit: one channel count near the end (segment 990 of 1000, line ~9,900): 15,888 -> 15,889
const EDITED = 990;
const editedWidths = widths.map((w, k) => (k === EDITED ? w + 1 : w));
const editLine = lines.findIndex((l) => l.startsWith(`s${EDITED}: conv `));
const editedText = [...lines.slice(0, editLine), lines[editLine].replace(`conv ${widths[EDITED]} `, `conv ${widths[EDITED] + 1} `), ...lines.slice(editLine + 1)].join('\n');

test('the generated file has 10,000 layers, all analysed, each a cost of its own', { timeout: 60_000 }, () => {
  const cache = new CostCache();
  const a = analyze(text, undefined, cache);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  assert.equal(a.layers.length, 10_000);
  assert.equal(model(widths).length, 10_000);
  assert.equal(new Set(model(widths)).size, 10_000);
  assert.equal(a.evaluations, 10_000); // a cold cache: every layer is computed
  assert.equal(cache.costs.size, 10_000);
  assert.deepEqual(a.layers.at(-1)!.outputShape, [widths.at(-1), HW, HW]);
});

test('an edit near the end re-evaluates exactly the layers whose arguments or input shapes changed', { timeout: 60_000 }, () => {
  assert.equal(editedText, generate(editedWidths), 'the text edit is the structural edit');
  const before = model(widths);
  const after = model(editedWidths);
  const changed = after.map((k, i) => (k !== before[i] ? i : -1)).filter((i) => i >= 0);
  const editIndex = EDITED * 10; // the edited conv is the first layer of its segment
  // downstream of the edit: the whole segment (its width) and the next segment's first conv (its
  // input); from there on the width is the unchanged W_991 and nothing else differs
  assert.deepEqual(changed, [...Array.from({ length: 10 }, (_, i) => editIndex + i), editIndex + 10]);
  assert.ok(changed.every((i) => i >= editIndex), 'only layers downstream of the edit');
  // the changed layers are new costs: none equals another layer's, before or after the edit
  const old = new Set(before);
  assert.equal(new Set(changed.map((i) => after[i])).size, changed.length);
  assert.ok(changed.every((i) => !old.has(after[i])));

  const cache = new CostCache();
  const first = analyze(text, undefined, cache);
  assert.equal(first.evaluations, 10_000);
  const incremental = analyze(editedText, undefined, cache);
  assert.equal(incremental.evaluations, changed.length); // 11 of 10,000
  assert.equal(incremental.layers[editIndex].name, `s${EDITED}`);
  assert.deepEqual(incremental.layers[editIndex].outputShape, [widths[EDITED] + 1, HW, HW]);

  // the same figures as a fresh analysis of the edited text
  const fresh = analyze(editedText);
  assert.equal(fresh.evaluations, 10_000);
  assert.deepEqual(allHints(incremental), allHints(fresh));
  assert.deepEqual(incremental.totals, fresh.totals);
  assert.deepEqual(incremental.diagnostics, fresh.diagnostics);
  assert.notDeepEqual(allHints(incremental).default, allHints(first).default);

  // undoing the edit finds every cost still cached
  const undone = analyze(text, undefined, cache);
  assert.equal(undone.evaluations, 0);
  assert.deepEqual(allHints(undone), allHints(first));
});

test('an unchanged re-analysis evaluates nothing; neither does a batch or dtype change (costs are per sample)', { timeout: 60_000 }, () => {
  const cache = new CostCache();
  analyze(text, undefined, cache);
  const again = analyze(text, undefined, cache);
  assert.equal(again.evaluations, 0);
  assert.deepEqual(allHints(again), allHints(analyze(text)));

  const scaled = analyze(text, { batch: 8, dtype: 'fp16' }, cache);
  assert.equal(scaled.evaluations, 0);
  const freshScaled = analyze(text, { batch: 8, dtype: 'fp16' });
  assert.deepEqual(allHints(scaled), allHints(freshScaled));
  assert.deepEqual(scaled.totals, freshScaled.totals);
  assert.equal(scaled.totals.macs, 8 * again.totals.macs);
  assert.equal(analyze(text, { batch: 1, dtype: 'int8' }, cache).evaluations, 0);

  // a batch change and an edit together: only the edit costs anything
  const both = analyze(editedText, { batch: 8, dtype: 'fp16' }, cache);
  assert.equal(both.evaluations, 11);
  assert.deepEqual(allHints(both), allHints(analyze(editedText, { batch: 8, dtype: 'fp16' })));
});

test('the server path (IncrementalAnalyzer: one-line reparse, resumed evaluation) does the same work and gives the same hints', { timeout: 60_000 }, () => {
  const analyzer = new IncrementalAnalyzer();
  assert.equal(analyzer.analyze(text, DEFAULT_SETTINGS).evaluations, 10_000);
  const edited = analyzer.analyze(editedText, DEFAULT_SETTINGS);
  assert.equal(edited.evaluations, 11);
  assert.deepEqual(allHints(edited), allHints(analyze(editedText)));
  assert.deepEqual(edited.totals, analyze(editedText).totals);
  const scaled = analyzer.analyze(editedText, { batch: 8, dtype: 'fp16' });
  assert.equal(scaled.evaluations, 0);
  assert.deepEqual(allHints(scaled), allHints(analyze(editedText, { batch: 8, dtype: 'fp16' })));
});
