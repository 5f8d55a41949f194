// Half-typed files are the normal case in an editor: every prefix of every example, and every
// example with one line broken, analyses without an exception, and the rest of the file still counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../server/src/analysis/analyze';

const dir = join(__dirname, '..', 'examples');
const examples = readdirSync(dir).filter((f) => f.endsWith('.net')).map((f) => ({ f, text: readFileSync(join(dir, f), 'utf8') }));

test('there are examples to exercise', () => assert.ok(examples.length >= 8, `${examples.length} examples`));

for (const { f, text } of examples) {
  test(`${f}: every prefix cut mid-line analyses without throwing`, () => {
    const lines = text.split('\n');
    let offset = 0;
    for (const line of lines) {
      for (const cut of [Math.floor(line.length / 2), line.length - 1]) {
        if (cut <= 0) continue;
        const r = analyze(text.slice(0, offset + cut));
        assert.ok(Array.isArray(r.layers));
        for (const d of r.diagnostics) assert.ok(d.range.start.line <= r.syntax.statements.length + lines.length);
      }
      offset += line.length + 1;
    }
  });

  test(`${f}: a line with a syntax error is reported there and left out; every other line still counts`, () => {
    const lines = text.split('\n');
    const without = (i: number) => analyze([...lines.slice(0, i), '', ...lines.slice(i + 1)].join('\n'));
    // every top-level layer line whose removal leaves a valid network
    const candidates = lines
      .map((l, i) => ({ l, i }))
      .filter(({ l }) => /^[a-z_][a-z_0-9]*(:\s|\s|$)/.test(l) && !/^(block|repeat|def|input|end)\b/.test(l) && !/^[a-z_0-9]+\s*=/.test(l))
      .filter(({ i }) => !without(i).diagnostics.some((d) => d.severity === 'error'));
    assert.ok(candidates.length > 0, 'some layer line can be left out');
    for (const { i } of candidates) {
      const broken = [...lines];
      broken[i] = '@@ ' + lines[i];
      const r = analyze(broken.join('\n'));
      assert.deepEqual(r.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]), [['bad-character', i, 0]]);
      const expected = without(i).layers.map((l) => [l.name, l.outputShape.join('x'), l.macs]);
      assert.deepEqual(r.layers.map((l) => [l.name, l.outputShape.join('x'), l.macs]), expected);
    }
  });
}
