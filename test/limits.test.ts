// The named limits (server/src/analysis/limits.ts): each hit gives exactly one diagnostic (`limit` for a
// .net file, `onnx-limit` for a model) that names the limit and the setting / flag that raises it; raising
// it through the settings makes the same input analyse; what can be analysed after a hit is. Figures and
// declared dims beyond 2^53 are reported, never rounded. A small file whose length fields claim 2 GB is
// answered quickly and with little memory, in-process and through the built CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, LIMITS, type Analysis, type Settings } from '../server/src/analysis/analyze';
import { IncrementalAnalyzer } from '../server/src/analysis/incremental';
import { LIMIT_DEFAULTS, LIMIT_NAMES, parseLimitFlag, resolveLimits, type LimitName, type Limits } from '../server/src/analysis/limits';
import { analyzeOnnx, analyzeOnnxFile } from '../server/src/onnx/analyze';
import { bytesSource, DEFAULT_LIMITS, readModel, readerLimits } from '../server/src/onnx/reader';
import { inferShapes, MAX_DEPTH } from '../server/src/onnx/infer';
import { analyzeDocument, analyzeOnnxDocument } from '../server/src/ide/document';
import { DEFAULT_EDITOR_SETTINGS, readSettings } from '../server/src/ide/settings';
import { main } from '../server/src/cli/main';
import { graph, model } from './onnx-graph';
import { encodeModel, writeModel, varint, ld, str } from './onnx-encode';
import type { OnnxGraph } from '../server/src/onnx/model';

const ROOT = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'netcost-limits-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const settings = (limits: Partial<Limits> = {}): Settings => ({ batch: 1, dtype: 'fp32', limits });
const limitDiags = (a: Analysis, code = 'limit') => a.diagnostics.filter((d) => d.code === code);

/** exactly one diagnostic of `code`, naming the limit, the setting and the flag */
function oneHit(a: Analysis, name: LimitName, code = 'limit') {
  const hits = limitDiags(a, code);
  assert.equal(hits.length, 1, JSON.stringify(a.diagnostics.map((d) => [d.code, d.message])));
  const m = hits[0].message;
  assert.ok(m.includes(code === 'limit' ? `limit \`${name}\`` : `limit '${name}'`), m);
  assert.ok(m.includes(`netcost.limits.${name}`) && m.includes(`--limit ${name}=N`), m);
  return hits[0];
}
const errors = (a: Analysis) => a.diagnostics.filter((d) => d.severity === 'error');

// ---- the catalogue

test('one catalogue: every limit has a positive default, a package.json setting with that default, and a row in docs/rules.md and README', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const props = pkg.contributes.configuration.properties;
  const rules = readFileSync(join(ROOT, 'docs', 'rules.md'), 'utf8');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const name of LIMIT_NAMES) {
    assert.ok(Number.isSafeInteger(LIMIT_DEFAULTS[name]) && LIMIT_DEFAULTS[name] >= 1, name);
    assert.equal(props[`netcost.limits.${name}`]?.default, LIMIT_DEFAULTS[name], `netcost.limits.${name}`);
    assert.equal(DEFAULT_EDITOR_SETTINGS.limits[name], LIMIT_DEFAULTS[name]);
    assert.ok(rules.includes(`| \`${name}\` | ${LIMIT_DEFAULTS[name].toLocaleString('en-US')} |`), `docs/rules.md: ${name}`);
    assert.ok(readme.includes(`\`${name}\``), `README: ${name}`);
  }
  assert.ok(Object.keys(props).filter((k) => k.startsWith('netcost.limits.')).length === LIMIT_NAMES.length);
  // the .net engine's defaults, the reader's and inference's are the catalogue's
  assert.equal(LIMITS, LIMIT_DEFAULTS);
  assert.deepEqual(DEFAULT_LIMITS, readerLimits(LIMIT_DEFAULTS));
  assert.equal(DEFAULT_LIMITS.depth, MAX_DEPTH, 'the reader and inference share subgraphDepth');
  assert.equal(LIMIT_DEFAULTS.nodes, 300_000);
});

test('settings: netcost.limits.<name> is read; invalid values keep the defaults', () => {
  const s = readSettings({ limits: { layers: 500_000, nodes: 1000, depth: 0, repeat: 2.5, rank: 'x', tensors: -1 } });
  assert.deepEqual(s.limits, { ...LIMIT_DEFAULTS, layers: 500_000, nodes: 1000 });
  assert.deepEqual(readSettings({ limits: 'big' }).limits, LIMIT_DEFAULTS);
  assert.deepEqual(resolveLimits({ layers: Number.NaN, depth: 3 }), { ...LIMIT_DEFAULTS, depth: 3 });
});

test('--limit NAME=N: parsed; an unknown name or a bad value is an error that lists the names', () => {
  assert.deepEqual(parseLimitFlag('layers=500000'), ['layers', 500_000]);
  for (const bad of ['bogus=3', 'layers=0', 'layers=-1', 'layers=1.5', 'layers', 'layers=', '=3', 'layers=99999999999999999999']) {
    const r = parseLimitFlag(bad);
    assert.equal(typeof r, 'string', bad);
    assert.match(r as string, /names: fileSize, layers, repeat, iterations, depth, onnxFileSize, nodes/, bad);
  }
});

// ---- .net limits

const HEAD = 'input x: 8 x 16 x 16\n';
const relus = (n: number) => 'relu\n'.repeat(n);

test('fileSize: one limit error on line 1, the file is not analysed; raised, the same text analyses', () => {
  const text = `${HEAD}conv 8 k=3 p=1\n# é ${'.'.repeat(100)}\n`; // bytes, not UTF-16 units: é is 2 bytes
  const bytes = Buffer.byteLength(text);
  const a = analyze(text, settings({ fileSize: bytes - 1 }));
  const d = oneHit(a, 'fileSize');
  assert.equal(a.diagnostics.length, 1);
  assert.equal(d.range.start.line, 0);
  assert.ok(d.message.includes(`a file of ${bytes} bytes, more than ${bytes - 1}`), d.message);
  assert.equal(a.layers.length, 0);
  const ok = analyze(text, settings({ fileSize: bytes }));
  assert.deepEqual(ok.diagnostics, []);
  assert.equal(ok.layers.length, 1);
});

test('fileSize default (5,000,000 bytes): a larger file is answered at once, in the engine and in the editor', () => {
  const text = `${HEAD}${relus(1_100_000)}`; // 5.5 MB of layers: parsing it would take seconds
  for (const run of [() => analyze(text), () => analyzeDocument(text, DEFAULT_EDITOR_SETTINGS).analysis]) {
    const t0 = performance.now();
    const a = run();
    assert.ok(performance.now() - t0 < 500, `${performance.now() - t0} ms`);
    oneHit(a, 'fileSize');
    assert.equal(a.layers.length, 0);
  }
});

test('layers: one limit error, the layers before it are kept; raised, the whole file analyses', () => {
  const text = `${HEAD}${relus(10)}`;
  const a = analyze(text, settings({ layers: 5 }));
  oneHit(a, 'layers');
  assert.equal(a.diagnostics.length, 1);
  assert.match(limitDiags(a)[0].message, /^more than 5 layers \(limit `layers`; raise it with the setting netcost\.limits\.layers or --limit layers=N\); the rest of the file is not analysed$/);
  assert.equal(a.layers.length, 5);
  assert.equal(analyze(text, settings({ layers: 10 })).layers.length, 10);
  assert.deepEqual(analyze(text, settings({ layers: 10 })).diagnostics, []);
});

test('repeat: one limit error on its count; the rest of the file is analysed; raised, the repeat expands', () => {
  const text = `${HEAD}conv 8 k=3 p=1\nr: repeat 50: relu\ny: conv 8 k=1 from x\ngap\nfc 10\n`;
  const a = analyze(text, settings({ repeat: 10 }));
  const d = oneHit(a, 'repeat');
  assert.deepEqual(errors(a), [d]);
  assert.equal(d.range.start.line, 2);
  assert.ok(d.message.startsWith('repeat 50, more than 10 iterations'), d.message);
  // after the limit: the layers below are analysed, with their exact figures
  assert.deepEqual(a.layers.map((l) => l.name), ['conv_1', 'y', 'gap_1', 'linear_1']);
  assert.equal(a.layers.find((l) => l.name === 'y')!.macs, 8 * 8 * 16 * 16);
  assert.equal(a.layers.find((l) => l.name === 'linear_1')!.macs, 80);
  const raised = analyze(text, settings({ repeat: 50 }));
  assert.deepEqual(raised.diagnostics, []);
  assert.equal(raised.layers.length, 54);
  // the default: 10,000
  oneHit(analyze(`${HEAD}repeat ${LIMIT_DEFAULTS.repeat + 1}: relu\nfc 10 from x\n`), 'repeat');
});

test('iterations: one limit error; raised, nested repeats analyse', () => {
  const text = `${HEAD}repeat 10:\n  repeat 10: relu\nend\n`;
  const a = analyze(text, settings({ iterations: 50 }));
  oneHit(a, 'iterations');
  assert.equal(a.diagnostics.length, 1);
  const ok = analyze(text, settings({ iterations: 110 }));
  assert.deepEqual(ok.diagnostics, []);
  assert.equal(ok.layers.length, 100);
});

/** blocks b0 .. b(n-1), each using the next; the last is a relu; used once */
function nestedBlocks(n: number): string {
  let s = HEAD;
  for (let i = 0; i < n; i++) s += `block b${i}:\n  ${i === n - 1 ? 'relu' : `b${i + 1}()`}\nend\n`;
  return `${s}b0()\nfc 10 from x\n`;
}

test('depth: blocks and repeats nested in use; one limit error; raised (past the old fixed 64 too), the file analyses', () => {
  const a = analyze(nestedBlocks(10), settings({ depth: 5 }));
  const d = oneHit(a, 'depth');
  assert.ok(d.message.startsWith('blocks and repeats nested 6 deep, more than 5'), d.message);
  assert.equal(a.layers.find((l) => l.name === 'linear_1')?.macs, 8 * 16 * 16 * 10, 'an independent layer below is analysed');
  assert.deepEqual(errors(analyze(nestedBlocks(10), settings({ depth: 10 }))), []);
  // repeats count: three nested repeats with depth 2
  const rep = `${HEAD}repeat 2:\n  repeat 2:\n    repeat 2: relu\n  end\nend\n`;
  oneHit(analyze(rep, settings({ depth: 2 })), 'depth');
  assert.equal(analyze(rep, settings({ depth: 3 })).layers.length, 8);
  // the default, 64, and beyond it when raised
  oneHit(analyze(nestedBlocks(70)), 'depth');
  const deep = analyze(nestedBlocks(70), settings({ depth: 100 }));
  assert.deepEqual(errors(deep), []);
  assert.equal(deep.layers.length, 2);
});

test('the editor applies the limits of its settings, and incremental analysis equals a fresh one', () => {
  const text = `${HEAD}${relus(10)}`;
  const s = readSettings({ limits: { layers: 5 } });
  const doc = analyzeDocument(text, s);
  oneHit(doc.analysis, 'layers');
  const inc = new IncrementalAnalyzer();
  inc.analyze(text, settings({ layers: 5 }));
  const edited = text.replace('relu\n', 'relu\nrelu\n');
  const a = inc.analyze(edited, settings({ layers: 5 }));
  assert.deepEqual(a.diagnostics, analyze(edited, settings({ layers: 5 })).diagnostics);
  assert.equal(inc.analyze(edited, settings({ layers: 20 })).layers.length, 11, 'a changed limit is a changed setting');
});

// ---- .net figures beyond 2^53

test('dims of inputs and declared shapes beyond 2^53 are too-large errors, never rounded values', () => {
  const cases: [string, RegExp][] = [
    [`input x: 3 x 9007199254740993 x 2\nconv 8\nfc 10 from x`, /an input shape has a dim beyond 2\^53/],
    [`input x: 3 x 1e300\nrelu`, /an input shape has a dim beyond 2\^53/],
    [`input x: 1073741824 x 1073741824 x 16\nrelu`, /an input shape of 1073741824 x 1073741824 x 16 has more than 2\^53/],
    [`input x: 3 x 8\nop "Foo"(x) -> 9007199254740993`, /an output shape has a dim beyond 2\^53/],
    [`input x: 3 x 8\nop "Foo"(x) -> 1073741824 x 1073741824 x 16`, /an output shape of .* has more than 2\^53/],
    [`input x: 3 x 8\nrelu -> 3 x 9007199254740993`, /the asserted shape has a dim beyond 2\^53/],
  ];
  for (const [text, message] of cases) {
    const a = analyze(text);
    const big = a.diagnostics.filter((d) => d.code === 'too-large');
    assert.equal(big.length, 1, `${text}: ${JSON.stringify(a.diagnostics)}`);
    assert.match(big[0].message, message);
    assert.ok(!a.diagnostics.some((d) => /9007199254740992/.test(d.message)), 'no rounded figure is shown');
  }
  // a layer after a too-large input is skipped; the input's own line carries the error
  const a = analyze(`input x: 1073741824 x 1073741824 x 16\nrelu`);
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.range.start.line]), [['too-large', 0], ['skipped', 1]]);
});

// ---- ONNX limits

function writeOnnx(name: string, bytes: Uint8Array | number[]): string {
  const p = join(dir, name);
  writeFileSync(p, Uint8Array.from(bytes));
  return p;
}

const ONNX_HEAD = [0x08, 0x08, ...ld(8, [0x10, 17])];

/** a few hundred bytes whose length fields claim 2 GB: the graph, a node in it, a string in the node,
 *  an initializer's raw data */
function declared2GB(): number[] {
  const GB2 = 2 ** 31;
  const node = [...ld(4, str('Relu')), ...ld(1, str('x')), ...ld(2, str('y')), 0x1a, ...varint(GB2), ...str('name')];
  const init = [0x08, 0x01, 0x08, 0x02, 0x10, 0x01, ...ld(8, str('w')), 0x6a, ...varint(GB2), 0, 0, 0, 0];
  const graphBody = [...ld(5, init), 0x0a, ...varint(GB2), ...node];
  return [...ONNX_HEAD, 0x3a, ...varint(GB2), ...graphBody];
}

test('a 2 GB-declared ONNX file (a small file whose length fields claim 2 GB): a diagnostic within 1 s and 50 MB, in-process', () => {
  const p = writeOnnx('declared-2gb.onnx', declared2GB());
  analyzeOnnxFile(p); // warm the code paths
  (globalThis as { gc?: () => void }).gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const a = analyzeOnnxFile(p);
  const ms = performance.now() - t0;
  const grown = (process.memoryUsage().rss - rss0) / 2 ** 20;
  assert.ok(ms < 1000, `${ms} ms`);
  assert.ok(grown < 50, `rss grew ${grown} MB`);
  assert.ok(a.diagnostics.some((d) => d.code === 'onnx-truncated' && /claims 2147483648 bytes/.test(d.message)), JSON.stringify(a.diagnostics));
  assert.ok(a.diagnostics.every((d) => d.code.startsWith('onnx-')), JSON.stringify(a.diagnostics));
});

let cli = '';
before(() => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'ignore' });
  cli = join(ROOT, 'dist', 'cli.js');
});

/** runs the built CLI with a probe that prints the process's peak RSS (KB) on stderr as it exits */
function runCli(args: string[]) {
  const probe = join(dir, 'probe.cjs');
  writeFileSync(probe, "process.on('exit', () => process.stderr.write(`\\nmaxrss ${process.resourceUsage().maxRSS}\\n`));\n");
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', probe, cli, ...args], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  const rss = Number(/maxrss (\d+)/.exec(r.stderr)?.[1]) / 1024;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms, rssMB: rss };
}

test('a 2 GB-declared ONNX file through the CLI (dist/cli.js): exit 1 with the diagnostic, quickly and with little memory', () => {
  const p = writeOnnx('declared-2gb-cli.onnx', declared2GB());
  const base = runCli(['--version']);
  const r = runCli([p]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /error \[onnx-truncated\] field \d+ claims 2147483648 bytes/);
  assert.ok(r.ms - base.ms < 1000, `${r.ms} ms (node itself: ${base.ms} ms)`);
  assert.ok(r.rssMB - base.rssMB < 50, `peak RSS ${r.rssMB} MB, node itself ${base.rssMB} MB`);
});

/** a chain of n tiny Relu nodes */
function reluChain(n: number) {
  const nodes: [string, string[], string[]][] = [];
  for (let i = 0; i < n; i++) nodes.push(['Relu', [i ? `t${i - 1}` : 'x'], [`t${i}`]]);
  return model({ inputs: [['x', [1, 4]]], nodes, outputs: [[`t${n - 1}`, [1, 4]]] });
}

test('nodes: a model over the limit gives one onnx-limit naming `nodes` and the setting (CLI and analysis); raised, all nodes are analysed', () => {
  const p = join(dir, 'many-nodes.onnx');
  writeModel(p, reluChain(3000));
  const r = runCli([p, '--limit', 'nodes=1000']);
  assert.equal(r.status, 1);
  const lines = r.stderr.split('\n').filter((l) => l.includes('[onnx-limit]'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /limit 'nodes' \(1,000\) exceeded: 3,000 nodes in all graphs, only the first 1,000 are read; raise it with the setting netcost\.limits\.nodes or --limit nodes=N/);
  const a = analyzeOnnxFile(p, { limits: { nodes: 1000 } });
  oneHit(a, 'nodes', 'onnx-limit');
  assert.equal(a.layers.length, 1000);
  const ok = analyzeOnnxFile(p, { limits: { nodes: 3000 } });
  assert.deepEqual(ok.diagnostics.filter((d) => d.severity === 'error'), []);
  assert.equal(ok.layers.length, 3000);
  // the CLI's flag raises it the same way
  assert.equal(runCli([p, '--limit', 'nodes=3000']).status, 0);
  // and the editor's setting
  oneHit(analyzeOnnxDocument(p, 'm.onnx', readSettings({ limits: { nodes: 1000 } })).analysis, 'nodes', 'onnx-limit');
});

/** subgraphs nested `depth` deep through If branches */
function nestedIf(depth: number): OnnxGraph {
  let g = graph({ name: `g${depth}`, inputs: [], nodes: [['Relu', ['x'], ['y']]], outputs: [['y', null]] });
  for (let d = depth - 1; d >= 1; d--) g = graph({ name: `g${d}`, inputs: [], nodes: [['If', ['c'], ['y'], { then_branch: g, else_branch: g }]], outputs: [['y', null]] });
  return g;
}

test('each ONNX limit: one onnx-limit naming it and the setting; raised, the same file reads clean', () => {
  const deep = reluChain(1);
  deep.graph = graph({ inputs: [['x', [1, 4]], ['c', [], 9]], nodes: [['If', ['c'], ['out'], { then_branch: nestedIf(6), else_branch: nestedIf(6) }]], outputs: [['out', null]] });
  const cases: [LimitName, Uint8Array, Partial<Limits>, Partial<Limits>][] = [
    ['onnxFileSize', encodeModel(reluChain(3)), { onnxFileSize: 50 }, { onnxFileSize: 10_000 }],
    ['tensors', encodeModel(model({ inputs: [['x', [1, 4]]], initializers: [['a', [4]], ['b', [4]], ['c', [4]]], nodes: [['Add', ['x', 'a'], ['y']]], outputs: [['y', [1, 4]]] })), { tensors: 2 }, { tensors: 3 }],
    ['valueInfos', encodeModel(reluChain(3)), { valueInfos: 1 }, { valueInfos: 2 }],
    ['rank', encodeModel(model({ inputs: [['x', [1, 2, 3, 4, 5]]], nodes: [['Relu', ['x'], ['y']]], outputs: [['y', [1, 2, 3, 4, 5]]] })), { rank: 4 }, { rank: 5 }],
    ['stringBytes', encodeModel(model({ inputs: [['x'.repeat(100), [1]]], nodes: [['Relu', ['x'.repeat(100)], ['y']]], outputs: [['y', [1]]] })), { stringBytes: 50 }, { stringBytes: 100 }],
    ['listElements', encodeModel(model({ inputs: [['x', [1, 4]]], nodes: [['Transpose', ['x'], ['y'], { perm: [1, 0] }]], outputs: [['y', [4, 1]]] })), { listElements: 1 }, { listElements: 2 }],
    ['subgraphDepth', encodeModel(deep), { subgraphDepth: 3 }, { subgraphDepth: 6 }],
  ];
  for (const [name, bytes, low, high] of cases) {
    const p = writeOnnx(`limit-${name}.onnx`, bytes);
    const hit = analyzeOnnxFile(p, { limits: low });
    oneHit(hit, name, 'onnx-limit');
    assert.ok(!hit.diagnostics.some((d) => d.code === 'onnx-subgraph-depth'), `${name}: the reader and inference share one depth`);
    const ok = analyzeOnnxFile(p, { limits: high });
    assert.deepEqual(ok.diagnostics.filter((d) => d.code === 'onnx-limit'), [], `${name}: ${JSON.stringify(ok.diagnostics)}`);
  }
});

test('inference takes subgraphDepth from the settings too (a model built in memory)', () => {
  const m = reluChain(1);
  m.graph = graph({ inputs: [['x', [1, 4]], ['c', [], 9]], nodes: [['If', ['c'], ['out'], { then_branch: nestedIf(6), else_branch: nestedIf(6) }]], outputs: [['out', null]] });
  const a = analyzeOnnx(m, { limits: { subgraphDepth: 3 } });
  const w = a.diagnostics.filter((d) => d.code === 'onnx-subgraph-depth');
  assert.ok(w.length >= 1); // one per node whose subgraphs are not walked
  for (const d of w) assert.match(d.message, /limit 'subgraphDepth'; raise it with the setting netcost\.limits\.subgraphDepth or --limit subgraphDepth=N/);
  assert.deepEqual(analyzeOnnx(m, { limits: { subgraphDepth: 6 } }).diagnostics.filter((d) => d.code === 'onnx-subgraph-depth'), []);
  assert.equal(inferShapes(m, { dims: {} }).diagnostics.filter((d) => d.code === 'onnx-subgraph-depth').length, 0, 'default 32');
});

test('ONNX declared dims beyond 2^53: onnx-bad-dim for a dim, onnx-shape-error for an element count', () => {
  let a = analyzeOnnx(readModel(bytesSource(encodeModel(model({ inputs: [['x', [3, 2 ** 60]]], nodes: [['Relu', ['x'], ['y']]], outputs: [['y', null]] })))));
  assert.ok(a.diagnostics.some((d) => d.code === 'onnx-bad-dim' && /beyond 2\^53/.test(d.message)), JSON.stringify(a.diagnostics));
  a = analyzeOnnx(readModel(bytesSource(encodeModel(model({ inputs: [['x', [2 ** 30, 2 ** 30, 16]]], nodes: [['Relu', ['x'], ['y']]], outputs: [['y', null]] })))));
  assert.ok(a.diagnostics.some((d) => d.code === 'onnx-shape-error' && /more than 2\^53 elements/.test(d.message)), JSON.stringify(a.diagnostics));
  assert.ok(a.layers.every((l) => l.macs === 0 && Number.isSafeInteger(l.memoryBytes)));
});

// ---- the CLI flag

function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

test('the CLI: --limit raises and lowers limits for .net files; an unknown name or bad value exits 2 listing the names', () => {
  const net = join(dir, 'relus.net');
  writeFileSync(net, `${HEAD}${relus(10)}`);
  let r = run(net, '--limit', 'layers=5');
  assert.equal(r.code, 1);
  assert.match(r.err, /:7:1: error \[limit\] more than 5 layers \(limit `layers`; raise it with the setting netcost\.limits\.layers or --limit layers=N\)/);
  assert.equal(run(net, '--limit', 'layers=10').code, 0);
  r = run(net, '--limit', 'fileSize=20', '--json');
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.out).diagnostics[0].code, 'limit');
  for (const bad of ['bogus=5', 'layers=0', 'layers=x', 'layers']) {
    r = run(net, '--limit', bad);
    assert.equal(r.code, 2, bad);
    assert.match(r.err, /^netcost: --limit: .*names: fileSize, layers, repeat, iterations, depth, onnxFileSize, nodes, tensors, valueInfos, rank, subgraphDepth, stringBytes, listElements\)/, bad);
  }
  assert.match(run('--help').out, /--limit NAME=N/);
});
