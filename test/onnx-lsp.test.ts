// ONNX models through the language server as an editor meets it: the real process (bin/netcost-
// language-server.js --stdio, running the bundled dist/server.js) spoken to over JSON-RPC through the
// client of test/lsp-client.ts, like test/lsp.test.ts. The client asks for a model's listing
// (`netcost/onnxListing`), opens it under the `netcost-onnx:` URI the server names, and reads
// hints, hovers, diagnostics and the summary of that document; figures are compared with the CLI's
// JSON report of the same file (`node dist/cli.js FILE --json`). Every test starts its own server,
// bounds every wait and kills the process at the end.
import { test, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, ERROR, root, session as startSession, WARNING, type ClientOptions, type Session } from './lsp-client';

const CLI = join(root, 'dist', 'cli.js');
const FIXTURES = join(root, 'test', 'fixtures', 'onnx');
const WAIT = 15_000; // ms: any single response or notification
const TEST = { timeout: 90_000 };

interface CliLayer { name: string; op: string; line: number; sourceLine: number; outputShape: number[]; params: number; macs: number; onnxName: string; opType: string }
interface CliReport { totals: { params: number; macs: number; flops: number; memoryBytes: number }; layers: CliLayer[]; unboundDims: string[]; diagnostics?: { code: string }[] }

before(ensureBuilt);

/** 924844032 -> "925M", 73728 -> "73.7K": three significant digits (written apart from server/src/ide/units.ts). */
function human(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 999.5 && i < 6) { v /= 1000; i++; }
  return i === 0 ? String(n) : `${v.toFixed(v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2)}${'KMGTPE'[i - 1]}`;
}

/** The CLI's JSON report of a model (`netcost FILE --json ARGS`). */
function cli(file: string, ...args: string[]): CliReport {
  const r = spawnSync(process.execPath, [CLI, file, '--json', ...args], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `netcost ${file} --json failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as CliReport;
}

/** A session whose waits are bounded by WAIT (an ONNX analysis takes longer than a `.net` file's). */
const session = (t: TestContext, options: ClientOptions = {}): Promise<Session> => startSession(t, { wait: WAIT, ...options });

const RESNET = join(FIXTURES, 'resnet18-opset9.onnx');
const BERT = join(FIXTURES, 'bert_encoder-opset11.onnx');
/** the listing URI the issue names: `netcost-onnx:` + the model's absolute path + `.net` */
const listingUriOf = (path: string) => `netcost-onnx:${pathToFileURL(path).pathname}.net`;
const lineCount = (text: string) => text.split('\n').length;

/** An ONNX shape as hints print it: `1x64x56x56` (the batch kept), `?` for an unknown dim, `scalar` for rank 0. */
const shapeText = (shape: number[]) => (shape.length ? shape.map((d) => (d < 0 ? '?' : String(d))).join('x') : 'scalar');

/** [line, label] of every hint the CLI report implies: the total on the input line, then one per node at its listing line. */
function expectedHints(text: string, report: CliReport): [number, string][] {
  const lines = text.split('\n');
  const input = lines.findIndex((l) => /^input\b|^[A-Za-z_]\w*\s*:\s*\d+( x \d+)*\s*(#|$)/.test(l) && !l.startsWith('#'));
  return [
    [input, `total: ${human(report.totals.macs)} MACs · ${human(report.totals.params)} params`],
    ...report.layers.map((l): [number, string] => [l.sourceLine - 1, `${shapeText(l.outputShape)} · ${human(l.macs)} MACs · ${human(l.params)} params`]),
  ];
}

test('netcost/onnxListing returns the listing and its netcost-onnx: URI; the listing document gets the CLI figures as hints, a hover on a Conv, and a summary', TEST, async (t) => {
  const s = await session(t);
  await s.initialize();
  const fileUri = pathToFileURL(RESNET).href;
  const listing = await s.listing(fileUri);
  assert.ok(listing);
  assert.equal(listing.uri, listingUriOf(RESNET));
  assert.match(listing.uri, /^netcost-onnx:\/.*\/test\/fixtures\/onnx\/resnet18-opset9\.onnx\.net$/);
  const lines = listing.text.split('\n');
  assert.match(lines[0], /^# NetCost: resnet18-opset9\.onnx, read-only\./);
  const report = cli(RESNET);
  assert.equal(report.layers.length, 69);
  // one node per line, under its real (ONNX) name, in a comment at the end of its line
  for (const l of report.layers) assert.ok(lines[l.sourceLine - 1].includes(`# ${l.onnxName} (${l.opType}`), `line ${l.sourceLine}: ${lines[l.sourceLine - 1]}`);

  const opened = await s.open(listing.uri, listing.text);
  assert.deepEqual(opened.diagnostics.filter((d) => d.severity <= WARNING).map((d) => `${d.code}: ${d.message}`), []);

  const hs = await s.hints(listing.uri, 0, lineCount(listing.text));
  for (const h of hs) {
    // at the end of the code, before the comment naming the ONNX node: in view, not after a long comment
    const code = lines[h.position.line].replace(/\s*#.*$/, '');
    assert.equal(h.position.character, code.length, `line ${h.position.line}: the hint sits where the code ends`);
    assert.equal(h.paddingLeft, true);
  }
  const got = hs.map((h): [number, string] => [h.position.line, h.label]);
  assert.deepEqual(got, expectedHints(listing.text, report));
  assert.equal(got[0][1], 'total: 1.81G MACs · 11.7M params');
  assert.deepEqual(got[1], [report.layers[0].sourceLine - 1, '1x64x112x112 · 118M MACs · 9.47K params']); // conv1: 7x7 conv, BN folded into it
  // the exact integers in the tooltip of each node's hint
  const grouped = (n: number) => n.toLocaleString('en-US');
  report.layers.forEach((l, i) => {
    assert.match(hs[i + 1].tooltip ?? '', new RegExp(`^${l.name}: ${grouped(l.macs)} MACs, [\\d,]+ FLOPs \\(2\\*MACs convention\\), ${grouped(l.params)} params,`), l.name);
  });

  // a hover on the first Conv line: the ONNX node, its formula with the numbers, its figures
  const conv = report.layers.find((l) => l.opType === 'Conv')!;
  const convLine = lines[conv.sourceLine - 1];
  const h = await s.hover(listing.uri, { line: conv.sourceLine - 1, character: convLine.indexOf(': conv ') + 3 });
  assert.ok(h, 'a hover on the conv');
  assert.equal(h.contents.kind, 'markdown');
  const md = h.contents.value;
  assert.ok(md.startsWith(`**${conv.name}** · \`Conv\` · ONNX node ${conv.line} \`${conv.onnxName}\``), md);
  // W 64x3x7x7 on 3x224x224, stride 2: 112x112 outputs
  const macs = 7 * 7 * 3 * 112 * 112 * 64;
  assert.equal(conv.macs, macs);
  assert.ok(md.includes(`K_h x K_w x C_in/g x H_out x W_out x C_out = 7 x 7 x 3 x 112 x 112 x 64 = ${grouped(macs)} MACs`), md);
  assert.ok(md.includes(`- **MACs** ${grouped(macs)}`), md);
  assert.ok(md.includes(`- **params** ${grouped(conv.params)}`), md);

  // the status bar's totals for the listing document: the CLI's totals
  const { target, ...totals } = await s.request<{ target: { id: string; latencySeconds: number } }>('netcost/summary', { uri: listing.uri });
  assert.deepEqual([target.id, target.latencySeconds > 0], ['t4', true]); // the default target's estimate (hardware-editor.test.ts)
  assert.deepEqual(totals, {
    params: report.totals.params, macs: report.totals.macs, flops: report.totals.flops, flopsConvention: '2macs', flopsConventionName: '2*MACs',
    memoryBytes: report.totals.memoryBytes, layers: 69, errors: 0, batch: 1, dtype: 'fp32',
  });
  // and the report request: the CLI's table, the listing named as the model
  const table = await s.request<{ text: string } | null>('netcost/report', { uri: listing.uri });
  assert.ok(table?.text.startsWith('resnet18-opset9.onnx: batch 1'), table?.text.slice(0, 100));
  assert.equal(s.stderr, '');
});

test('bert_encoder: the unbound `seq` is an onnx-unbound-dim warning; netcost.onnx.dims {seq: 128} pulled through workspace/configuration removes it', TEST, async (t) => {
  let settings: unknown = {};
  const s = await session(t, { configuration: () => settings });
  await s.initialize();
  const { listing, opened } = await s.openModel(BERT);
  assert.equal(listing.uri, listingUriOf(BERT));
  const unbound = opened.diagnostics.filter((d) => d.code === 'onnx-unbound-dim');
  assert.equal(unbound.length, 1, JSON.stringify(opened.diagnostics));
  assert.equal(unbound[0].severity, WARNING);
  assert.equal(unbound[0].source, 'netcost');
  assert.match(unbound[0].message, /'seq'/);
  assert.ok(!/'batch'/.test(unbound[0].message), 'the leading batch dim is bound by the batch size');
  const pulled = s.serverRequests.filter((r) => r.method === 'workspace/configuration');
  assert.ok(pulled.some((r) => JSON.stringify(r.params) === JSON.stringify({ items: [{ scopeUri: listing.uri, section: 'netcost' }] })), JSON.stringify(pulled));
  const seq1 = cli(BERT);
  assert.deepEqual(seq1.unboundDims, ['seq']);
  assert.equal((await s.hints(listing.uri, 0, lineCount(listing.text)))[0].label, `total: ${human(seq1.totals.macs)} MACs · ${human(seq1.totals.params)} params`);

  settings = { onnx: { dims: { seq: 128 } } };
  const republished = s.nextDiagnostics(listing.uri, (p) => !p.diagnostics.some((d) => d.code === 'onnx-unbound-dim'));
  await s.notify('workspace/didChangeConfiguration', { settings: null });
  const after = await republished;
  assert.equal(after.version, 1);
  assert.deepEqual(after.diagnostics.filter((d) => d.severity <= WARNING).map((d) => d.code), []);
  // the figures follow: the CLI's with --dim seq=128
  const seq128 = cli(BERT, '--dim', 'seq=128');
  assert.deepEqual(seq128.unboundDims, []);
  assert.equal(seq128.totals.macs, 3_724_541_952); // test/fixtures/onnx/README.md
  const relisted = await s.listing(pathToFileURL(BERT).href);
  assert.ok(relisted);
  assert.equal(lineCount(relisted.text), lineCount(listing.text), 'the same lines, one per node');
  const hs = await s.hints(listing.uri, 0, lineCount(listing.text));
  assert.equal(hs[0].label, `total: ${human(seq128.totals.macs)} MACs · ${human(seq128.totals.params)} params`);
  assert.deepEqual(hs.map((h): [number, string] => [h.position.line, h.label]), expectedHints(relisted.text, seq128));
  const { target: _target, ...seqTotals } = await s.request<{ target: unknown }>('netcost/summary', { uri: listing.uri });
  assert.deepEqual(seqTotals, {
    params: 28_351_488, macs: 3_724_541_952, flops: seq128.totals.flops, flopsConvention: '2macs', flopsConventionName: '2*MACs',
    memoryBytes: seq128.totals.memoryBytes, layers: 476, errors: 0, batch: 1, dtype: 'fp32',
  });
  assert.equal(s.stderr, '');
});

test('a truncated model: an error diagnostic, no crash; the server keeps answering for another model', TEST, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netcost-onnx-lsp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const broken = join(dir, 'broken model.onnx'); // a space: the URI is percent-encoded
  writeFileSync(broken, readFileSync(RESNET).subarray(0, 8000));
  const s = await session(t);
  await s.initialize();

  const { listing, opened } = await s.openModel(broken);
  assert.equal(listing.uri, listingUriOf(broken));
  assert.ok(listing.uri.includes('broken%20model.onnx.net'), listing.uri);
  assert.match(listing.text, /^# NetCost: broken model\.onnx, read-only\./);
  const errors = opened.diagnostics.filter((d) => d.severity === ERROR);
  assert.ok(errors.some((d) => d.code === 'onnx-truncated' && /claims \d+ bytes/.test(d.message)), JSON.stringify(opened.diagnostics.map((d) => [d.code, d.message])));
  const summary = await s.request<{ errors: number } | null>('netcost/summary', { uri: listing.uri });
  assert.ok(summary && summary.errors >= 1, JSON.stringify(summary));
  // hints and hovers still answer (with whatever survived), without throwing
  assert.ok(Array.isArray(await s.hints(listing.uri, 0, lineCount(listing.text))));
  await s.hover(listing.uri, { line: 0, character: 2 });

  // a file that is not there at all: an I/O error, not a crash
  const missing = await s.openModel(join(dir, 'missing.onnx'));
  assert.deepEqual(missing.opened.diagnostics.map((d) => [d.code, d.severity]), [['onnx-io', ERROR]]);
  // a URI that is no file: no listing
  assert.equal(await s.listing('untitled:whatever.onnx'), null);

  // and the server still serves a good model
  const good = await s.openModel(RESNET);
  const hs = await s.hints(good.listing.uri, 0, lineCount(good.listing.text));
  assert.equal(hs[0].label, 'total: 1.81G MACs · 11.7M params');
  assert.equal(s.proc.exitCode, null, 'the server is still running');
  assert.deepEqual(s.logs.filter((l) => l.type === 1).map((l) => l.message), [], 'no handler failed');
  assert.equal(s.stderr, '');
});

test('work-done progress: a client with window.workDoneProgress gets window/workDoneProgress/create, then begin and end $/progress for the analysis; others get none', TEST, async (t) => {
  const s = await session(t, { workDoneProgress: true });
  await s.initialize();
  const listing = await s.listing(pathToFileURL(RESNET).href);
  assert.ok(listing);
  await s.open(listing.uri, listing.text);
  const creates = s.serverRequests.filter((r) => r.method === 'window/workDoneProgress/create');
  assert.equal(creates.length, 1, 'one analysis (the listing and the document share it)');
  const token = (creates[0].params as { token: string | number }).token;
  assert.ok(typeof token === 'string' || typeof token === 'number');
  const mine = s.progress.filter((p) => p.token === token);
  assert.deepEqual(mine.map((p) => p.value.kind), ['begin', 'end']);
  assert.equal(mine[0].value.title, 'NetCost');
  assert.match(mine[0].value.message ?? '', /resnet18-opset9\.onnx/);
  assert.deepEqual(s.events.filter((e) => e !== 'workspace/configuration'), [`create ${token}`, `progress begin ${token}`, `progress end ${token}`]);

  // a change of settings analyses the model again: progress again
  await s.notify('workspace/didChangeConfiguration', { settings: { netcost: { batchSize: 2 } } });
  await s.until(() => s.progress.filter((p) => p.value.kind === 'end').length === 2, 'a second analysis');
  assert.equal(s.serverRequests.filter((r) => r.method === 'window/workDoneProgress/create').length, 2);

  // requests that arrive together (the listing, the document's hints, the status bar's summary) share one analysis
  const busy = await session(t, { workDoneProgress: true });
  await busy.initialize();
  const model = pathToFileURL(RESNET).href;
  const [l1, l2] = await Promise.all([busy.listing(model), busy.listing(model), busy.request('netcost/summary', { uri: listingUriOf(RESNET) })]);
  assert.equal(l1?.text, l2?.text);
  assert.equal(busy.serverRequests.filter((r) => r.method === 'window/workDoneProgress/create').length, 1, busy.events.join('\n'));
  assert.deepEqual(busy.progress.map((p) => p.value.kind), ['begin', 'end']);

  const quiet = await session(t);
  await quiet.initialize();
  const l3 = await quiet.listing(pathToFileURL(RESNET).href);
  assert.ok(l3);
  await quiet.open(l3.uri, l3.text);
  assert.deepEqual(quiet.serverRequests, []);
  assert.deepEqual(quiet.progress, []);
});
