// Incremental analysis is an optimisation, never a different answer: after every edit in a seeded
// random sequence, the incremental result equals a fresh analysis of the same text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, type Analysis } from '../server/src/analysis/analyze';
import { IncrementalAnalyzer } from '../server/src/analysis/incremental';
import { reparse } from '../server/src/syntax/incremental';
import { parse } from '../server/src/syntax/parser';

const dir = join(__dirname, '..', 'examples');
const examples = readdirSync(dir).filter((f) => f.endsWith('.net')).map((f) => ({ f, text: readFileSync(join(dir, f), 'utf8') }));

/** A small seeded generator (mulberry32), so a failing sequence can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One edit of the kinds people make while typing: change a number, delete or insert characters, add or join lines. */
function edit(text: string, r: () => number): string {
  const at = Math.floor(r() * text.length);
  const kind = r();
  if (kind < 0.45) {
    const m = /\d+/g;
    m.lastIndex = at;
    const hit = m.exec(text) ?? /\d+/.exec(text);
    if (!hit) return text;
    return text.slice(0, hit.index) + String(1 + Math.floor(r() * 300)) + text.slice(hit.index + hit[0].length);
  }
  if (kind < 0.65) return text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 3));
  if (kind < 0.85) return text.slice(0, at) + ['x', ' ', '(', ')', '|', ':', 'relu', '8', '=', '#'][Math.floor(r() * 10)] + text.slice(at);
  return kind < 0.93 ? text.slice(0, at) + '\n' + text.slice(at) : text.slice(0, at) + text.slice(at).replace('\n', ' ');
}

const summary = (a: Analysis) => ({
  layers: a.layers.map((l) => [l.name, l.op, l.outputShape.join('x'), l.params, l.macs, l.flops['2macs'], l.flops.exact, l.memoryBytes, l.foldedInto, l.biasParams, l.inputs.join(',')]),
  groups: a.groups.map((g) => [g.name, g.kind, g.macs, g.params, g.layerCount]),
  totals: a.totals,
  diagnostics: a.diagnostics.map((d) => [d.code, d.severity, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.message]),
  inputs: a.inputs.map((i) => [i.name, i.shape.join('x')]),
  variables: a.variables.map((v) => [v.name, v.value]),
});

for (const [n, { f, text }] of examples.entries()) {
  test(`${f}: 150 seeded random edits, each analysed incrementally, equal a fresh analysis`, () => {
    const r = rng(1000 + n);
    const inc = new IncrementalAnalyzer();
    const settings = { batch: 1, dtype: 'fp32' as const };
    let t = text;
    let resumed = 0;
    let reparsed = 0;
    inc.analyze(t, settings);
    for (let i = 0; i < 150; i++) {
      const prev = t;
      t = edit(t, r);
      const fast = inc.analyze(t, settings);
      assert.deepEqual(summary(fast), summary(analyze(t, settings)), `edit ${i} (seed ${1000 + n}) from:\n${prev}\nto:\n${t}`);
      if (inc.stats.resumedAt !== null && inc.stats.resumedAt > 0) resumed++;
      if (inc.stats.reparsedLine !== null) reparsed++;
      if (i % 50 === 49) t = text; // start over now and then, so edits do not pile into noise
    }
    assert.ok(resumed > 0 && reparsed > 0, `the incremental paths ran (resumed ${resumed}, reparsed ${reparsed})`);
  });
}

test('reparsing one edited line gives the same tree as a full parse', () => {
  const r = rng(7);
  for (const { text } of examples) {
    for (let i = 0; i < 40; i++) {
      const t = edit(text, r);
      const got = reparse(text, parse(text), t).file;
      assert.deepEqual(JSON.parse(JSON.stringify(got)), JSON.parse(JSON.stringify(parse(t))));
    }
  }
});

test('an edit on one line of a flat file reparses that line only and resumes evaluation there', () => {
  let text = 'input i: 16 x 8 x 8\n';
  for (let k = 0; k < 200; k++) text += `conv 16 k=3 p=1 | relu\n`;
  const inc = new IncrementalAnalyzer();
  const s = { batch: 1, dtype: 'fp32' as const };
  inc.analyze(text, s);
  const lines = text.split('\n');
  lines[190] = 'conv 32 k=3 p=1 | relu';
  const a = inc.analyze(lines.join('\n'), s);
  assert.deepEqual(inc.stats, { reparsedLine: 190, resumedAt: 190 });
  // evaluated: the conv 16->32 and its relu on the edited line, and the conv 32->16 below it, which reads
  // a new shape; its relu (16 x 8 x 8) and every later layer have the keys they had before
  assert.equal(a.evaluations, 3);
  assert.deepEqual(summary(a), summary(analyze(lines.join('\n'), s)));
});

test('an edit below that changes whether a batch norm above folds is reflected there', () => {
  const head = 'input i: 8 x 8 x 8\nc: conv 8 k=1 | bn\nrelu\nconv 8 k=1\n';
  const inc = new IncrementalAnalyzer();
  const s = { batch: 1, dtype: 'fp32' as const };
  const texts = [
    head + 'x: relu from i\n',
    head + 'x: relu from c.conv\n', // the conv gains a second reader: its batch norm cannot fold back
    head + 'x: relu from i\n',
    head + 'x: relu from c\n',
  ];
  for (const t of texts) {
    const fast = inc.analyze(t, s);
    assert.deepEqual(summary(fast), summary(analyze(t, s)), t);
  }
  assert.equal(inc.analyze(texts[1], s).layers.find((l) => l.name === 'c')?.foldedInto, null);
  assert.equal(inc.analyze(texts[2], s).layers.find((l) => l.name === 'c')?.foldedInto, 'c.conv');
});

test('a figure beyond 2^53 reported in one version is still reported after an edit elsewhere', () => {
  const inc = new IncrementalAnalyzer();
  // 10^12 MACs per sample are exact; times a batch of 10^5 they are not: the scaling step reports it
  const s = { batch: 100_000, dtype: 'fp32' as const };
  const a = 'input i: 1000 x 1000 x 1000\nbig: conv 1000 k=1\nsmall: relu\n';
  const b = 'input i: 1000 x 1000 x 1000\nbig: conv 1000 k=1\nsmall: relu6\n';
  for (const t of [a, b, a]) assert.deepEqual(summary(inc.analyze(t, s)), summary(analyze(t, s)));
  assert.ok(inc.analyze(b, s).diagnostics.some((d) => d.code === 'too-large'));
});
