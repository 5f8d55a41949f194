// The docs and the grammar stay true to the code: every diagnostic code is documented, every op
// is highlighted and listed in the language reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { OPS, OP_NAMES } from '../server/src/analysis/ops';
import { analyze } from '../server/src/analysis/analyze';

const root = join(__dirname, '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [read(join(dir, e.name))] : []);
}

test('every diagnostic code the engine can emit is documented in docs/rules.md', () => {
  const code = sources('server/src').join('\n');
  const emitted = new Set<string>();
  for (const m of code.matchAll(/(?:AnalysisError|ParseError)\(\s*'([a-z0-9-]+)'/g)) emitted.add(m[1]);
  for (const m of code.matchAll(/this\.(?:error|errorAt)\([^;]*?'([a-z0-9]+(?:-[a-z0-9]+)+)'/g)) emitted.add(m[1]);
  for (const m of code.matchAll(/code: '([a-z0-9-]+)'/g)) emitted.add(m[1]);
  for (const m of code.matchAll(/'(onnx-[a-z0-9-]+)'/g)) emitted.add(m[1]); // the ONNX reader's and inference's codes
  assert.ok(emitted.size >= 25, `found only ${emitted.size} codes: the scan is broken`);
  const rules = read('docs/rules.md');
  const missing = [...emitted].filter((c) => !rules.includes(`\`${c}\``));
  assert.deepEqual(missing, []);
  // every code has an anchor, a heading `### code` or `<a name="code">`: the editor's and SARIF's help links (rules.md#code) land on it
  const unanchored = [...emitted].filter((c) => !rules.includes(`<a name="${c}"></a>`) && !new RegExp(`^#+ ${c}$`, 'm').test(rules));
  assert.deepEqual(unanchored, []);
});

test('the TextMate grammar highlights every layer kind and alias', () => {
  const grammar = JSON.parse(read('syntaxes/netcost.tmLanguage.json'));
  const re = new RegExp(`^${grammar.repository.op.match}$`);
  const missing = OP_NAMES.filter((n) => !re.test(n));
  assert.deepEqual(missing, []);
});

test('docs/language.md lists every layer kind', () => {
  const doc = read('docs/language.md');
  const missing = OPS.filter((op) => !doc.includes(`\`${op.name}\``)).map((op) => op.name);
  assert.deepEqual(missing, []);
});

test('the manifest has what a published extension needs', () => {
  const pkg = JSON.parse(read('package.json'));
  for (const k of ['publisher', 'repository', 'license', 'engines', 'main', 'bin']) assert.ok(pkg[k], k);
  assert.equal(pkg.license, 'MIT');
  assert.match(pkg.engines.vscode, /^\^1\.(\d+)\.\d+$/);
  assert.ok(Number(/^\^1\.(\d+)/.exec(pkg.engines.vscode)![1]) <= 100, 'engines.vscode at most ^1.100.0');
  assert.equal(pkg.bin.netcost, 'bin/netcost.js');
});

test('the `.net` snippets in the docs parse, and the complete ones analyse without an error', () => {
  for (const doc of ['README.md', 'docs/language.md']) {
    const snippets = [...read(doc).matchAll(/```net\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.ok(snippets.length > 0, doc);
    for (const text of snippets) {
      const a = analyze(text);
      assert.deepEqual(a.syntax.diagnostics, [], `${doc}:\n${text}`);
      if (/^input\b/m.test(text)) assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'info'), [], `${doc}:\n${text}`);
    }
  }
});

test('dim() reads a layer size at the top level and inside repeats too', () => {
  const a = analyze('input img: 8 x 16 x 16\nc: conv dim(img, 0) * 2 k=1\nrepeat 2:\n  d: conv dim(c, 0) k=1\n  conv dim(d, 0) * 2 k=1\nend\n');
  assert.deepEqual(a.diagnostics, []);
  assert.deepEqual(a.layers.map((l) => l.outputShape[0]), [16, 16, 32, 16, 32]);
});
