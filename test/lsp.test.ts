// The language server as an editor meets it: the real process (bin/netcost-language-server.js
// --stdio, running the bundled dist/server.js) spoken to over JSON-RPC through the client of
// test/lsp-client.ts. Every test starts its own server, bounds every wait with a timeout (a hang
// fails the test instead of blocking the suite) and kills the process at the end.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, ERROR, INFORMATION, root, session, WARNING, type InlayHint, type Pos, type Range } from './lsp-client';

const TEST = { timeout: 60_000 };

before(ensureBuilt);

const uriOf = (name: string) => pathToFileURL(join(root, 'examples', name)).href;
const example = (name: string) => readFileSync(join(root, 'examples', name), 'utf8');
const endOf = (text: string, line: number): Pos => ({ line, character: text.split('\n')[line].length });
/** [line, label] of each hint, after checking that each sits at the end of its line of `text`. */
function simple(text: string, hs: InlayHint[]): [number, string][] {
  for (const h of hs) {
    assert.deepEqual(h.position, endOf(text, h.position.line), `line ${h.position.line + 1}: the hint sits at the end of the line`);
    assert.equal(h.paddingLeft, true);
  }
  return hs.map((h) => [h.position.line, h.label]);
}

/** Lines that build layers at the top level (a layer, a chain, a block use, a repeat), found by reading the text. */
function layerLines(text: string): number[] {
  const out: number[] = [];
  let inBlock = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trimEnd();
    if (!line.trim()) return;
    if (/^block\b/.test(line)) { inBlock = true; return; }
    if (inBlock) { if (/^end\b/.test(line)) inBlock = false; return; }
    if (/^(input\b|def\b|[A-Za-z_][\w]*\s*=[^=])/.test(line)) return;
    out.push(i);
  });
  return out;
}

// A small file with one figure of every kind the tests check: the documented conv, a 1x1 conv that
// narrows the width (g1-unbalanced-pointwise) and a reference to an unknown name (unknown-name).
const SMALL = [
  'input img: 64 x 112 x 112',
  'c1: conv 128 k=3 p=1 bias=false',
  'relu',
  'conv 32 k=1',
  'sum: add from c1, nope',
  '',
].join('\n');
const CONV_FORMULA = 'K_h x K_w x C_in/g x H_out x W_out x C_out = 3 x 3 x 64 x 112 x 112 x 128 = 924,844,032 MACs';

test('initialize announces incremental sync, inlay hints and hover; shutdown and exit end the process with 0', TEST, async (t) => {
  const s = await session(t);
  const init = await s.initialize();
  assert.equal(init.capabilities.textDocumentSync, 2); // TextDocumentSyncKind.Incremental
  assert.ok(init.capabilities.inlayHintProvider, 'inlayHintProvider');
  assert.equal(init.capabilities.hoverProvider, true);
  assert.equal(init.serverInfo?.name, 'netcost-language-server');
  assert.equal(await s.shutdown(), 0);
});

test('inlay hints on the examples: one at the end of each layer or block-use line, exact labels, the total on the input line', TEST, async (t) => {
  const s = await session(t);
  await s.initialize();
  const resnet = example('resnet50.net');
  const mobilenet = example('mobilenet_v2.net');
  await Promise.all([s.open(uriOf('resnet50.net'), resnet), s.open(uriOf('mobilenet_v2.net'), mobilenet)]);

  const r = await s.hints(uriOf('resnet50.net'), 0, resnet.split('\n').length);
  assert.deepEqual(r.map((h) => h.position.line), [5, ...layerLines(resnet)]);
  for (const h of r) {
    assert.deepEqual(h.position, endOf(resnet, h.position.line), `line ${h.position.line + 1}: the hint sits at the end of the line`);
    assert.equal(h.paddingLeft, true);
  }
  assert.deepEqual(r.map((h) => [h.position.line, h.label]), [
    [5, 'total: 4.09G MACs · 25.5M params'],
    [20, '64x112x112 · 118M MACs · 9.47K params'],
    [22, '64x56x56 · 0 MACs · 0 params'],
    [24, '256x56x56 · 668M MACs · 214K params'],
    [26, '512x28x28 · 1.03G MACs · 1.22M params'],
    [28, '1024x14x14 · 1.46G MACs · 7.09M params'],
    [30, '2048x7x7 · 809M MACs · 15.0M params'],
    [32, '2048x1x1 · 0 MACs · 0 params'],
    [33, '1000 · 2.05M MACs · 2.05M params'],
    [34, '1000 · 0 MACs · 0 params'],
  ]);
  assert.match(r[1].tooltip ?? '', /^conv1\b.*, 3 layers: 118,013,952 MACs, 237,633,536 FLOPs \(2\*MACs convention\), 9,472 params/);

  const m = await s.hints(uriOf('mobilenet_v2.net'), 0, mobilenet.split('\n').length);
  assert.deepEqual(m.map((h) => h.position.line), [5, ...layerLines(mobilenet)]);
  for (const h of m) assert.deepEqual(h.position, endOf(mobilenet, h.position.line));
  assert.deepEqual(m.map((h) => [h.position.line, h.label]), [
    [5, 'total: 301M MACs · 3.49M params'],
    [25, '32x112x112 · 10.8M MACs · 896 params'],
    [26, '16x112x112 · 10.0M MACs · 848 params'],
    [27, '24x56x56 · 54.9M MACs · 13.4K params'],
    [28, '32x28x28 · 37.4M MACs · 38.5K params'],
    [29, '64x14x14 · 38.5M MACs · 181K params'],
    [30, '96x14x14 · 58.1M MACs · 300K params'],
    [31, '160x7x7 · 46.6M MACs · 790K params'],
    [32, '320x7x7 · 23.0M MACs · 472K params'],
    [33, '1280x7x7 · 20.1M MACs · 411K params'],
    [34, '1280x1x1 · 0 MACs · 0 params'],
    [37, '1280x1x1 · 0 MACs · 0 params'],
    [38, '1000 · 1.28M MACs · 1.28M params'],
  ]);

  // only the lines of the requested range get hints (the visible part of the editor)
  assert.deepEqual((await s.hints(uriOf('resnet50.net'), 24, 28)).map((h) => h.position.line), [24, 26, 28]);
  assert.deepEqual((await s.hints(uriOf('resnet50.net'), 0, 5)).map((h) => h.label), ['total: 4.09G MACs · 25.5M params']);
  assert.deepEqual(await s.hints(uriOf('resnet50.net'), 6, 19), []); // the block definition and comments
  assert.deepEqual((await s.hints(uriOf('mobilenet_v2.net'), 35, 38)).map((h) => h.position.line), [37, 38]);
});

test('a conv: hint label and position, hover breakdown; hover on a block use and on a `from` name', TEST, async (t) => {
  const s = await session(t);
  await s.initialize();
  const uri = 'file:///virtual/small.net';
  await s.open(uri, SMALL);
  assert.deepEqual(simple(SMALL, await s.hints(uri, 0, 10)), [
    [0, 'total: 976M MACs · 77.9K params'],
    [1, '128x112x112 · 925M MACs · 73.7K params'],
    [2, '128x112x112 · 0 MACs · 0 params'],
    [3, '32x112x112 · 51.4M MACs · 4.13K params'],
    // line 4 has an error: no figures, no hint
  ]);
  assert.deepEqual(simple(SMALL, await s.hints(uri, 1, 1)), [[1, '128x112x112 · 925M MACs · 73.7K params']]);

  const h = await s.hover(uri, { line: 1, character: 5 });
  assert.ok(h);
  assert.equal(h.contents.kind, 'markdown');
  const md = h.contents.value;
  assert.ok(md.includes(CONV_FORMULA), md);
  assert.ok(md.includes('- **FLOPs** 1,849,688,064 (2*MACs convention)'), md);
  assert.ok(md.includes('- **memory access** 9,928,704 bytes (fp32, batch 1) = input 3,211,264 + output 6,422,528 + weights 294,912'), md);
  assert.ok(md.includes('- **arithmetic intensity** 186.30 FLOP/byte'), md);
  assert.deepEqual(h.range, { start: { line: 1, character: 4 }, end: { line: 1, character: 31 } });

  // a name in `from`: where it is defined (a layer with an error downstream still knows its inputs)
  const ref = await s.hover(uri, { line: 4, character: 15 });
  assert.ok(ref);
  assert.equal(ref.contents.value, '**c1** · `conv`, defined on line 2\n\nshape 1 x 128 x 112 x 112');
  assert.deepEqual(ref.range, { start: { line: 4, character: 14 }, end: { line: 4, character: 16 } });

  // a block use (mobilenet v2, a row of Table 2): totals and the costliest layers
  const mobilenet = example('mobilenet_v2.net');
  await s.open(uriOf('mobilenet_v2.net'), mobilenet);
  const line = mobilenet.split('\n').findIndex((l) => l.startsWith('bottleneck(6, 32, 3, 2)'));
  const g = await s.hover(uriOf('mobilenet_v2.net'), { line, character: 3 });
  assert.ok(g);
  assert.ok(g.contents.value.startsWith('**bottleneck_3** · block `bottleneck` · 26 layers\n\noutput 1 x 32 x 28 x 28'), g.contents.value);
  assert.ok(g.contents.value.includes('- **MACs** 37,443,840 (12.4% of the network)'), g.contents.value);
  assert.ok(g.contents.value.includes('costliest layers:\n- `bottleneck_3.repeat_1.0.expand.conv` conv: 22.1M FLOPs, 2.12 MB moved'), g.contents.value);

  // a name in `from` inside a block body: defined there, with its first use
  const resnet = example('resnet50.net');
  await s.open(uriOf('resnet50.net'), resnet);
  const l = resnet.split('\n').findIndex((x) => x.includes('out: add from main, in'));
  const c = resnet.split('\n')[l].indexOf('from main') + 'from '.length;
  const inBlock = await s.hover(uriOf('resnet50.net'), { line: l, character: c + 1 });
  assert.ok(inBlock);
  assert.equal(inBlock.contents.value, `**main** · \`bn\`, defined on line ${l} (block \`bottleneck\`; first use: \`layer1.0.main\`)\n\nshape 1 x 256 x 56 x 56`);
  // nothing under the cursor: a comment
  assert.equal(await s.hover(uriOf('resnet50.net'), { line: 0, character: 3 }), null);
});

test('diagnostics carry codes, exact ranges, severities and rule links; an incremental edit updates hints and diagnostics', TEST, async (t) => {
  const s = await session(t);
  await s.initialize();
  const uri = 'file:///virtual/edit.net';
  const first = await s.open(uri, SMALL);
  assert.deepEqual(first.diagnostics.map((d) => [d.code, d.severity, d.range]), [
    ['unknown-name', ERROR, { start: { line: 4, character: 18 }, end: { line: 4, character: 22 } }],
    ['g1-unbalanced-pointwise', INFORMATION, { start: { line: 3, character: 0 }, end: { line: 3, character: 11 } }],
  ]);
  for (const d of first.diagnostics) {
    // the docs/rules.md next to dist/ (offline), not the GitHub copy
    assert.equal(d.codeDescription?.href, `${pathToFileURL(join(root, 'docs', 'rules.md')).href}#${d.code}`);
    assert.equal(d.source, 'netcost');
  }
  assert.equal(first.diagnostics[0].message, 'unknown layer `nope`');
  assert.equal(first.diagnostics[1].message, '1x1 conv 128 -> 32 on 112x112: memory access cost 24.9% above the lower bound for its MACs (2,011,136 vs 1,609,728 elements)');

  // a range edit: `nope` -> `c1`; hints asked right after the change see it (no waiting for diagnostics)
  let next = s.nextDiagnostics(uri, (p) => p.version === 2);
  await s.change(uri, 2, [{ range: { start: { line: 4, character: 18 }, end: { line: 4, character: 22 } }, text: 'c1' }]);
  assert.deepEqual(simple(SMALL.replace('nope', 'c1'), await s.hints(uri, 0, 10)), [
    [0, 'total: 976M MACs · 77.9K params'],
    [1, '128x112x112 · 925M MACs · 73.7K params'],
    [2, '128x112x112 · 0 MACs · 0 params'],
    [3, '32x112x112 · 51.4M MACs · 4.13K params'],
    [4, '128x112x112 · 0 MACs · 0 params'],
  ]);
  // `add from c1, c1`: c1 has a second reader, so the relu no longer fuses into it (g4-elementwise)
  assert.deepEqual((await next).diagnostics.map((d) => d.code), ['g1-unbalanced-pointwise', 'g4-elementwise']);

  // two changes in one notification: a comment line inserted on top, then the width of c1 doubled
  // (positions of the second change are in the text after the first)
  next = s.nextDiagnostics(uri, (p) => p.version === 3);
  await s.change(uri, 3, [
    { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# edited\n' },
    { range: { start: { line: 2, character: 9 }, end: { line: 2, character: 12 } }, text: '256' },
  ]);
  assert.deepEqual(simple(`# edited\n${SMALL.replace('nope', 'c1').replace('128', '256')}`, await s.hints(uri, 0, 10)), [
    [1, 'total: 1.95G MACs · 156K params'],
    [2, '256x112x112 · 1.85G MACs · 147K params'],
    [3, '256x112x112 · 0 MACs · 0 params'],
    [4, '32x112x112 · 103M MACs · 8.22K params'],
    [5, '256x112x112 · 0 MACs · 0 params'],
  ]);
  const third = await next;
  assert.deepEqual(third.diagnostics.map((d) => [d.code, d.range.start.line]), [['g1-unbalanced-pointwise', 4], ['g4-elementwise', 5]]);
  assert.match(third.diagnostics[0].message, /^1x1 conv 256 -> 32 on 112x112: memory access cost/);
  const h = await s.hover(uri, { line: 2, character: 5 });
  assert.ok(h?.contents.value.includes('= 3 x 3 x 64 x 112 x 112 x 256 = 1,849,688,064 MACs'), h?.contents.value);
});

test('a client with workspace/configuration: a configuration change re-reads the settings; hints, hovers and diagnostics follow without reopening', TEST, async (t) => {
  let settings: unknown = {};
  const s = await session(t, { configuration: () => settings, refreshSupport: true });
  await s.initialize();
  const uri = 'file:///virtual/config.net';
  const opened = await s.open(uri, SMALL);
  assert.deepEqual(opened.diagnostics.map((d) => d.code), ['unknown-name', 'g1-unbalanced-pointwise']);
  assert.deepEqual(simple(SMALL, await s.hints(uri, 1, 1)), [[1, '128x112x112 · 925M MACs · 73.7K params']]);
  const pulled = s.serverRequests.filter((r) => r.method === 'workspace/configuration');
  assert.ok(pulled.length >= 1, 'the server pulls the settings');
  assert.deepEqual(pulled[0].params, { items: [{ scopeUri: uri, section: 'netcost' }] });

  settings = { batchSize: 8, flopsConvention: 'exact', inlayHints: { content: ['shape', 'flops'] }, rules: { 'g1-unbalanced-pointwise': 'off' } };
  const refreshed = s.nextRefresh();
  const republished = s.nextDiagnostics(uri);
  await s.notify('workspace/didChangeConfiguration', { settings: null });
  await refreshed; // the client is told to ask for hints again
  assert.deepEqual(simple(SMALL, await s.hints(uri, 0, 10)), [
    [0, 'total: 15.6G FLOPs (exact)'],
    [1, '8x128x112x112 · 14.8G FLOPs (exact)'],
    [2, '8x128x112x112 · 12.8M FLOPs (exact)'],
    [3, '8x32x112x112 · 822M FLOPs (exact)'],
  ]);
  const after = await republished;
  assert.equal(after.version, 1, 'the same document version, analysed again');
  assert.deepEqual(after.diagnostics.map((d) => d.code), ['unknown-name']); // the rule is off; errors stay
  const h = await s.hover(uri, { line: 1, character: 5 });
  assert.ok(h);
  assert.ok(h.contents.value.includes(`${CONV_FORMULA} per sample; x 8 = 7,398,752,256 MACs`), h.contents.value);
  assert.ok(h.contents.value.includes('- **FLOPs** 14,784,659,456 (exact convention)'), h.contents.value);
  assert.ok(h.contents.value.includes('- **memory access** 77,365,248 bytes (fp32, batch 8) = input 25,690,112 + output 51,380,224 + weights 294,912'), h.contents.value);
  assert.ok(s.serverRequests.filter((r) => r.method === 'workspace/configuration').length > pulled.length, 'pulled again after the change');
});

test('a client without any configuration capability: defaults apply; settings pushed with didChangeConfiguration work', TEST, async (t) => {
  const s = await session(t); // declares no workspace capability at all
  await s.initialize();
  const uri = 'file:///virtual/push.net';
  const opened = await s.open(uri, SMALL);
  assert.deepEqual(opened.diagnostics.map((d) => [d.code, d.severity]), [['unknown-name', ERROR], ['g1-unbalanced-pointwise', INFORMATION]]);
  assert.deepEqual(simple(SMALL, await s.hints(uri, 0, 1)), [
    [0, 'total: 976M MACs · 77.9K params'],
    [1, '128x112x112 · 925M MACs · 73.7K params'],
  ]);

  const republished = s.nextDiagnostics(uri);
  await s.notify('workspace/didChangeConfiguration', { settings: { netcost: { batchSize: 4, dtype: 'fp16', rules: { 'g1-unbalanced-pointwise': 'warning' } } } });
  assert.deepEqual((await republished).diagnostics.map((d) => [d.code, d.severity]), [['unknown-name', ERROR], ['g1-unbalanced-pointwise', WARNING]]);
  assert.deepEqual(simple(SMALL, await s.hints(uri, 0, 1)), [
    [0, 'total: 3.90G MACs · 77.9K params'],
    [1, '4x128x112x112 · 3.70G MACs · 73.7K params'],
  ]);
  const h = await s.hover(uri, { line: 1, character: 5 });
  assert.ok(h?.contents.value.includes('- **memory access** 19,415,040 bytes (fp16, batch 4) = input 6,422,528 + output 12,845,056 + weights 147,456'), h?.contents.value);

  // malformed settings fall back to the defaults, field by field
  const again = s.nextDiagnostics(uri);
  await s.notify('workspace/didChangeConfiguration', { settings: { netcost: { batchSize: -3, dtype: 'fp64', inlayHints: { content: ['macs', 'bogus'] } } } });
  await again;
  assert.deepEqual(simple(SMALL, await s.hints(uri, 1, 1)), [[1, '925M MACs']]);
  // the server never asked this client for anything it did not declare
  assert.deepEqual(s.serverRequests.map((r) => r.method), []);
});

test('a request that throws inside a handler is answered empty and logged; the server keeps serving', TEST, async (t) => {
  const s = await session(t);
  await s.initialize();
  const uri = 'file:///virtual/fail.net';
  await s.open(uri, SMALL);

  // a document the server does not know: no answer to give, and no crash
  assert.equal(await s.hover('file:///virtual/never-opened.net', { line: 0, character: 0 }), null);
  assert.deepEqual(await s.hints('file:///virtual/never-opened.net', 0, 10), []);

  // malformed params make the handlers throw (no position, no range): the guard answers null / []
  assert.equal(await s.request('textDocument/hover', { textDocument: { uri }, position: null }), null);
  assert.deepEqual(await s.request('textDocument/inlayHint', { textDocument: { uri } }), []);
  const errors = () => s.logs.filter((l) => l.type === 1).map((l) => l.message);
  await s.until(() => errors().length >= 2, 'the failures to be logged');
  assert.match(errors()[0], new RegExp(`^netcost: hover failed for ${uri}: TypeError`));
  assert.match(errors()[1], new RegExp(`^netcost: inlay hints failed for ${uri}: TypeError`));

  // and the next requests work
  const h = await s.hover(uri, { line: 1, character: 5 });
  assert.ok(h?.contents.value.includes(CONV_FORMULA));
  assert.deepEqual(simple(SMALL, await s.hints(uri, 1, 1)), [[1, '128x112x112 · 925M MACs · 73.7K params']]);
  const next = s.nextDiagnostics(uri, (p) => p.version === 2);
  await s.change(uri, 2, [{ range: { start: { line: 4, character: 18 }, end: { line: 4, character: 22 } }, text: 'c1' }]);
  // `add from c1, c1` gives c1 a second reader: its relu can no longer fuse into it (g4-elementwise)
  assert.deepEqual((await next).diagnostics.map((d) => d.code), ['g1-unbalanced-pointwise', 'g4-elementwise']);
  assert.equal(s.proc.exitCode, null, 'the server is still running');
  assert.equal(s.stderr, '');
});

test('navigation: the capabilities are announced; document symbols, definition, references, rename, folding and semantic tokens answer on an example', TEST, async (t) => {
  const s = await session(t);
  const { capabilities: caps } = await s.initialize();
  assert.equal(caps.documentSymbolProvider, true);
  assert.equal(caps.definitionProvider, true);
  assert.equal(caps.referencesProvider, true);
  assert.deepEqual(caps.renameProvider, { prepareProvider: true });
  assert.equal(caps.foldingRangeProvider, true);
  assert.deepEqual(caps.semanticTokensProvider, {
    legend: { tokenTypes: ['class', 'function', 'parameter', 'variable', 'string'], tokenModifiers: ['declaration', 'readonly', 'defaultLibrary'] }, full: true,
  });

  const resnet = example('resnet50.net');
  const uri = uriOf('resnet50.net');
  await s.open(uri, resnet);
  const lines = resnet.split('\n');
  const at = (snippet: string, offset = 0): Pos => {
    const line = lines.findIndex((l) => l.includes(snippet));
    return { line, character: lines[line].indexOf(snippet) + offset };
  };
  const doc = { textDocument: { uri } };

  interface Symbol { name: string; detail?: string; children?: Symbol[] }
  const symbols = await s.request<Symbol[]>('textDocument/documentSymbol', doc);
  assert.deepEqual(symbols.map((x) => [x.name, x.detail]), [
    ['image', 'input · 3x224x224'], ['bottleneck', '(width, s)'], ['conv1', 'conv | bn | relu · 64x112x112'], ['maxpool_1', 'maxpool · 64x56x56'],
    ['layer1', 'repeat · 256x56x56'], ['layer2', 'repeat · 512x28x28'], ['layer3', 'repeat · 1024x14x14'], ['layer4', 'repeat · 2048x7x7'],
    ['gap_1', 'gap · 2048x1x1'], ['linear_1', 'fc · 1000'], ['softmax_1', 'softmax · 1000'],
  ]);
  assert.deepEqual(symbols[1].children?.map((x) => x.name), ['relu_1', 'relu_2', 'main', 'out', 'down', 'out', 'relu_3']);

  // `main` in `out: add from main, in` is the block body's `main`
  const use = at('from main, in', 'from '.length);
  const main = at('main: conv');
  const mainRange = { start: main, end: { line: main.line, character: main.character + 4 } };
  assert.deepEqual(await s.request('textDocument/definition', { ...doc, position: use }), [{ uri, range: mainRange }]);
  const refs = await s.request<{ range: Range }[]>('textDocument/references', { ...doc, position: use, context: { includeDeclaration: true } });
  assert.deepEqual(refs.map((r) => r.range.start), [main, use, at('from main, down', 'from '.length)]);

  assert.deepEqual(await s.request('textDocument/prepareRename', { ...doc, position: use }), { range: { start: use, end: { line: use.line, character: use.character + 4 } }, placeholder: 'main' });
  const edit = await s.request<{ changes: Record<string, { range: Range; newText: string }[]> }>('textDocument/rename', { ...doc, position: use, newName: 'residual' });
  assert.deepEqual(Object.keys(edit.changes), [uri]);
  assert.deepEqual(edit.changes[uri].map((e) => [e.range.start, e.newText]), refs.map((r) => [r.range.start, 'residual']));
  // a refusal is an error whose message says why
  await assert.rejects(s.request('textDocument/prepareRename', { ...doc, position: at('conv1: conv', 'conv1: '.length) }), { code: -32803, message: '`conv` is a layer kind, not a name' });
  await assert.rejects(s.request('textDocument/rename', { ...doc, position: use, newName: 'relu' }), { message: 'cannot rename `main` to `relu`: `relu` is a layer kind' });

  const folds = await s.request<{ startLine: number; endLine: number; kind?: string }[]>('textDocument/foldingRange', doc);
  assert.deepEqual(folds.slice(0, 3), [{ startLine: 0, endLine: 3, kind: 'comment' }, { startLine: 7, endLine: 8, kind: 'comment' }, { startLine: at('block bottleneck').line, endLine: at('block bottleneck').line + 8 }]);
  const tokens = await s.request<{ data: number[] }>('textDocument/semanticTokens/full', doc);
  assert.deepEqual(tokens.data.slice(0, 5), [at('image').line, at('image').character, 'image'.length, 3, 1]); // `image`: a layer name, declared
  assert.equal(tokens.data.length % 5, 0);
  assert.equal(s.stderr, '');
});

test('completion, quick fixes, netcost/summary and netcost/report: the answers on the examples', TEST, async (t) => {
  const s = await session(t);
  const init = await s.initialize();
  assert.deepEqual(init.capabilities.completionProvider, { triggerCharacters: [' ', '=', '|', '(', ','] });
  assert.deepEqual(init.capabilities.codeActionProvider, { codeActionKinds: ['quickfix'] });
  const resnet = example('resnet50.net');
  const uri = uriOf('resnet50.net');
  await s.open(uri, resnet);

  // the start of a line: the block first; this client declares no snippet support, so the plain name
  type Item = { label: string; kind: number; detail?: string; sortText: string; textEdit: { range: Range; newText: string }; insertTextFormat: number };
  const start = await s.request<Item[]>('textDocument/completion', { textDocument: { uri }, position: { line: 21, character: 0 } });
  assert.deepEqual(start[0], { label: 'bottleneck', kind: 9, detail: 'block bottleneck(width, s=…)', sortText: '0000', textEdit: { range: { start: { line: 21, character: 0 }, end: { line: 21, character: 0 } }, newText: 'bottleneck' }, insertTextFormat: 1 });
  assert.deepEqual(start.slice(1, 4).map((i) => [i.label, i.kind, i.textEdit.newText]), [['conv', 7, 'conv'], ['dwconv', 7, 'dwconv'], ['pwconv', 7, 'pwconv']]);
  // in the stem's argument list, after `p=3 `: the options not given yet
  const stem = resnet.split('\n')[20];
  const args = await s.request<Item[]>('textDocument/completion', { textDocument: { uri }, position: { line: 20, character: stem.indexOf('p=3 ') + 4 } });
  assert.deepEqual(args.map((i) => i.label), ['d=', 'g=', 'bias=']);

  // a quick fix for the diagnostic the client holds, with the edit that rounds the width up
  const small = 'file:///virtual/fixes.net';
  // the default target (T4) computes in multiples of 8 channels
  const text = 'input: 3 x 224 x 224\nconv 20 k=3 s=2 p=1 | bn | relu\nconv 32 k=3 p=1\ngap\nfc 1000\n';
  const [d] = (await s.open(small, text)).diagnostics;
  assert.equal(d.code, 'channel-multiple');
  const actions = await s.request<unknown[]>('textDocument/codeAction', { textDocument: { uri: small }, range: d.range, context: { diagnostics: [d] } });
  assert.deepEqual(actions, [
    { title: 'Round 20 up to 24, a multiple of 8', kind: 'quickfix', diagnostics: [d], isPreferred: true,
      edit: { changes: { [small]: [{ range: { start: { line: 1, character: 5 }, end: { line: 1, character: 7 } }, newText: '24' }] } } },
    { title: 'Ignore `channel-multiple` on this line', kind: 'quickfix', diagnostics: [d], isPreferred: false,
      edit: { changes: { [small]: [{ range: { start: { line: 1, character: 31 }, end: { line: 1, character: 31 } }, newText: '  # netcost-ignore: channel-multiple' }] } } },
  ]);
  assert.deepEqual(await s.request('textDocument/codeAction', { textDocument: { uri: small }, range: d.range, context: { diagnostics: [d], only: ['refactor'] } }), []);

  // the status bar's totals and the report: the CLI's table for the same text and settings
  const { target, ...totals } = await s.request<{ target: { id: string; name: string; latencySeconds: number } }>('netcost/summary', { uri });
  assert.deepEqual([target.id, target.name, target.latencySeconds > 0], ['t4', 'NVIDIA T4', true]); // the default target (figures: hardware-editor.test.ts)
  assert.deepEqual(totals, {
    params: 25_530_472, macs: 4_089_184_256, flops: 8_206_523_248, flopsConvention: '2macs', flopsConventionName: '2*MACs',
    memoryBytes: 336_773_248, layers: 175, errors: 0, batch: 1, dtype: 'fp32',
  });
  const report = await s.request<{ text: string }>('netcost/report', { uri });
  const cli = spawnSync(process.execPath, [join(root, 'bin', 'netcost.js'), 'resnet50.net'], { cwd: join(root, 'examples'), encoding: 'utf8' });
  assert.equal(report.text, cli.stdout);
  assert.ok(report.text.startsWith('resnet50.net: batch 1, fp32\n'), report.text.slice(0, 80));
  assert.ok(report.text.includes('\nparams      25,530,472 (inference, BN folded)'), report.text);
  assert.equal(await s.request('netcost/summary', { uri: 'file:///virtual/never-opened.net' }), null);
  assert.equal(await s.request('netcost/report', { uri: 'file:///virtual/never-opened.net' }), null);
  assert.equal(s.stderr, '');
});
