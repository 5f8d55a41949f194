// Inlay hints on every example, compared with the repo's CLI (`netcost FILE --json`) figure by figure:
// one hint per top-level statement that builds layers, at the end of its line, and the network
// total on the input line. Labels round (server/src/ide/units.ts); tooltips carry the exact integers.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { REPO, wsPath, open, hints, cli } = require('./helpers');
const { human } = require('./units');

const grouped = (n) => n.toLocaleString('en-US');
const figures = (f) => `${grouped(f.macs)} MACs, ${grouped(f.flops)} FLOPs (2*MACs convention), ${grouped(f.params)} params, ` +
  `${grouped(f.memoryBytes)} bytes of memory access (fp32, batch 1)`;

/** The hints the language server should give for `file`, from the CLI report (default settings). */
function expectedHints(doc, report) {
  const lines = doc.getText().split(/\r?\n/);
  const end = (line) => lines[line].length;
  const inputLine = lines.findIndex((l) => /^\s*input\b/.test(l));
  const out = [{ line: inputLine, character: end(inputLine), label: `total: ${human(report.totals.macs)} MACs · ${human(report.totals.params)} params`,
    tooltip: `, ${report.layers.length} layers: ${figures(report.totals)}` }];
  const statements = new Map(); // JSON lines are 1-based: the top-level line that built the layer
  for (const l of report.layers) {
    const s = statements.get(l.line) || { count: 0, macs: 0, flops: 0, params: 0, memoryBytes: 0 };
    s.count++; s.macs += l.macs; s.flops += l.flops; s.params += l.params; s.memoryBytes += l.memoryBytes;
    s.shape = l.outputShape.slice(1); // batch 1 is not shown
    statements.set(l.line, s);
  }
  for (const [line1, s] of statements) {
    out.push({ line: line1 - 1, character: end(line1 - 1), label: `${s.shape.join('x')} · ${human(s.macs)} MACs · ${human(s.params)} params`,
      tooltip: `${s.count > 1 ? `, ${s.count} layers` : ''}: ${figures(s)}` });
  }
  return out;
}

const examples = fs.readdirSync(wsPath()).filter((f) => f.endsWith('.net')).sort();

module.exports = [
  ['the workspace holds a copy of every example', async () => {
    assert.deepStrictEqual(examples, fs.readdirSync(path.join(REPO, 'examples')).filter((f) => f.endsWith('.net')).sort());
    assert.ok(examples.includes('resnet50.net'));
  }],
  ...examples.map((file) => [`hints on ${file} match the CLI figures`, async () => {
    const doc = await open(file);
    const report = cli(wsPath(file));
    assert.deepStrictEqual(report.diagnostics, []);
    // a tooltip starts with what the hint is about (`network total`, `layer1`): compared by the ResNet-50 test
    const got = (await hints(doc)).map((h) => ({ ...h, tooltip: h.tooltip.replace(/^[^,:]+/, '') }));
    assert.deepStrictEqual(got, expectedHints(doc, report));
  }]),
  ['ResNet-50: the network total on the input line and exact layer hints', async () => {
    const doc = await open('resnet50.net');
    const byLine = new Map((await hints(doc)).map((h) => [h.line, h]));
    assert.strictEqual(byLine.get(5).label, 'total: 4.09G MACs · 25.5M params');
    assert.strictEqual(byLine.get(5).tooltip,
      'network total, 175 layers: 4,089,184,256 MACs, 8,206,523,248 FLOPs (2*MACs convention), 25,530,472 params, 336,773,248 bytes of memory access (fp32, batch 1)');
    assert.strictEqual(byLine.get(20).label, '64x112x112 · 118M MACs · 9.47K params'); // conv1: conv | bn | relu
    assert.strictEqual(byLine.get(20).tooltip,
      'conv1, 3 layers: 118,013,952 MACs, 237,633,536 FLOPs (2*MACs convention), 9,472 params, 10,273,792 bytes of memory access (fp32, batch 1)');
    assert.strictEqual(byLine.get(22).label, '64x56x56 · 0 MACs · 0 params'); // maxpool
    assert.strictEqual(byLine.get(24).label, '256x56x56 · 668M MACs · 214K params'); // layer1: repeat 3
    assert.strictEqual(byLine.get(26).label, '512x28x28 · 1.03G MACs · 1.22M params');
    assert.strictEqual(byLine.get(33).label, '1000 · 2.05M MACs · 2.05M params'); // fc 1000
    assert.strictEqual(byLine.get(5).character, 'input image: 3 x 224 x 224'.length);
  }],
];
