// The language server under hostile traffic (issue 8): failures inside notifications and custom
// requests are logged with their method, file and position and the server keeps serving; cancelled
// requests are answered RequestCancelled; malformed document changes are refused whole; 1,000 rapid
// edits (invalid UTF-16 positions, ranges past the end of lines and of the document, reversed ranges,
// full replacements) leave the server alive, silent, and with the hints and diagnostics a fresh server
// gives for the final text; shutdown and exit end the process with 0. Each test runs the real
// process through test/lsp-client.ts.
import { rng } from './fuzz/prng';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ensureBuilt, root, session, type Diagnostic, type Hover, type InlayHint, type Range, type Session } from './lsp-client';

const TEST = { timeout: 120_000 };
const REQUEST_CANCELLED = -32800;
const CONTENT_MODIFIED = -32801;

before(ensureBuilt);

const example = (name: string) => readFileSync(join(root, 'examples', name), 'utf8');
const SMALL = 'input x: 3 x 224 x 224\nc1: conv 64 k=3 p=1 | relu  # 🚀 fast\nc2: conv 128 k=3 s=2 p=1\n';

/** Every hint of the document, as plain data. */
const allHints = (s: Session, uri: string) => s.hints(uri, 0, 100_000);
const plainDiagnostics = (ds: Diagnostic[]) => ds.map((d) => [d.code, d.severity, d.range, d.message]);

test('a failing notification, a failing custom request and a malformed change are logged with method, file and position; the next requests work', TEST, async (t) => {
  const s = await session(t);
  await s.initialize();
  const uri = 'file:///virtual/robust-guard.net';
  await s.open(uri, SMALL);

  // notifications: malformed params make the handlers throw inside the guard
  await s.notify('workspace/didChangeWatchedFiles', { changes: null });
  // a custom request with a uri that is no string, and one with no params at all
  assert.equal(await s.request('netcost/summary', { uri: 42 }), null);
  assert.equal(await s.request('netcost/report', null), null);
  // a change whose range is malformed: refused whole (the first, valid change is not applied either)
  await s.change(uri, 2, [
    { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# first\n' },
    { range: { start: { line: 'one', character: 0 }, end: { line: 1, character: 2 } }, text: 'x' },
  ]);
  // a change without contentChanges, and didOpen without text
  await s.notify('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: null });
  await s.notify('textDocument/didOpen', { textDocument: { uri: 'file:///virtual/no-text.net', languageId: 'netcost', version: 1 } });
  // a request with a position that fails (references without its context): the log names the position, 1-based
  assert.deepEqual(await s.request('textDocument/references', { textDocument: { uri }, position: { line: 1, character: 5 } }), []);

  await s.until(() => s.errors().length >= 7, 'the failures to be logged').catch((e) => { throw new Error(`${e.message}: ${s.errors().join('\n---\n')}`); });
  const errors = s.errors();
  const expect = [
    /^netcost: watched files failed for \(no document\): TypeError: .* \[workspace\/didChangeWatchedFiles\]\n\s+at /,
    /^netcost: summary failed for \(a malformed uri: 42\): TypeError: .* \[netcost\/summary\]/,
    /^netcost: report failed for \(no document\): TypeError: .* \[netcost\/report\]/,
    new RegExp(`^netcost: document sync failed for ${uri}: TypeError: content change 1 has a malformed range: .* \\[textDocument/didChange\\]`),
    new RegExp(`^netcost: document sync failed for ${uri}: TypeError: .* \\[textDocument/didChange\\]`),
    /^netcost: document sync failed for file:\/\/\/virtual\/no-text.net: TypeError: didOpen without a uri, a version or a text \[textDocument\/didOpen\]/,
    new RegExp(`^netcost: references failed for ${uri} at 2:6: TypeError: .* \\[textDocument/references\\]`),
  ];
  assert.equal(errors.length, expect.length, errors.join('\n---\n'));
  expect.forEach((re, i) => assert.match(errors[i], re));

  // the document is as it was (the refused changes were not applied) and everything still answers
  const hints = await allHints(s, uri);
  assert.deepEqual(hints.map((h) => [h.position.line, h.label]), [
    [0, 'total: 1.01G MACs · 75.6K params'], [1, '64x224x224 · 86.7M MACs · 1.79K params'], [2, '128x112x112 · 925M MACs · 73.9K params'],
  ]);
  const h = await s.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 5 } });
  assert.ok(h?.contents.value.includes('= 924,844,032 MACs'), h?.contents.value);
  assert.ok(await s.request('netcost/summary', { uri }));
  // a position that is valid: the next change applies on top of version 1's text
  const next = s.nextDiagnostics(uri, (p) => p.version === 4);
  await s.change(uri, 4, [{ range: { start: { line: 2, character: 9 }, end: { line: 2, character: 12 } }, text: '256' }]);
  await next;
  assert.equal((await allHints(s, uri))[2].label, '256x112x112 · 1.85G MACs · 148K params');
  assert.equal(s.proc.exitCode, null, 'the server is still running');
  assert.equal(s.stderr, '');
});

test('cancellation: a request cancelled while its analysis runs is answered RequestCancelled; the next one is answered', TEST, async (t) => {
  const s = await session(t);
  await s.initialize();
  // 3,000 layers: each analysis from scratch takes a while, and the cancellation arrives meanwhile
  const big = (size: number) => `input x: 3 x ${size} x ${size}\n` + Array.from({ length: 3000 }, (_, i) => `l${i}: conv ${16 + (i % 4) * 16} k=3 p=1 | bn | relu`).join('\n') + '\n';
  const uri = 'file:///virtual/robust-cancel.net';
  await s.open(uri, big(56));
  const range = { start: { line: 0, character: 0 }, end: { line: 4000, character: 0 } };
  const cases = [
    ['textDocument/inlayHint', { textDocument: { uri }, range }],
    ['textDocument/hover', { textDocument: { uri }, position: { line: 20, character: 3 } }],
    ['netcost/summary', { uri }],
  ] as const;
  let version = 1;
  for (const [method, params] of cases) {
    // the cancellation is sent right after the request; on a loaded machine it can still come after
    // the answer (then the answer stands): a few tries, one of which must end cancelled
    const codes: (number | string)[] = [];
    for (let attempt = 0; attempt < 5 && codes.at(-1) !== REQUEST_CANCELLED; attempt++) {
      await s.change(uri, ++version, [{ text: big(56 + version) }]); // every shape changes: nothing is reused
      const answer = await s.settle(method, params, true);
      codes.push('error' in answer ? answer.error.code : 'answered');
    }
    assert.equal(codes.at(-1), REQUEST_CANCELLED, `${method}: ${codes.join(', ')}`);
    assert.ok(codes.every((c) => c === REQUEST_CANCELLED || c === 'answered'), `${method}: ${codes.join(', ')}`);
  }
  const answer = await s.settle<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range });
  assert.ok('result' in answer && answer.result.length === 3001, JSON.stringify(answer).slice(0, 300));
  assert.equal(answer.result[1].label.split(' · ')[0], `16x${56 + version}x${56 + version}`);
  assert.deepEqual(s.errors(), [], 'a cancellation is no failure');
});

test('stale versions: a request overtaken by an edit is answered for the current text, never for the old one', TEST, async (t) => {
  const s = await session(t);
  await s.initialize();
  const uri = 'file:///virtual/robust-stale.net';
  await s.open(uri, SMALL);
  const texts = [SMALL.replace('conv 128', 'conv 32'), SMALL.replace('conv 128', 'conv 512')];
  // version 2, a hints request, version 3, without waiting: the answer is version 2's or 3's, consistently
  void s.change(uri, 2, [{ text: texts[0] }]);
  const pending = s.settle<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 9, character: 0 } } });
  void s.change(uri, 3, [{ text: texts[1] }]);
  const answer = await pending;
  const fresh = async (text: string, i: number) => {
    const other = `file:///virtual/robust-stale-${i}.net`;
    await s.open(other, text);
    return (await allHints(s, other)).map((h) => h.label);
  };
  const [v2, v3] = [await fresh(texts[0], 2), await fresh(texts[1], 3)];
  if ('result' in answer) assert.ok([JSON.stringify(v2), JSON.stringify(v3)].includes(JSON.stringify(answer.result.map((h) => h.label))), JSON.stringify(answer));
  else assert.equal(answer.error.code, CONTENT_MODIFIED);
  // and the diagnostics published last are version 3's
  await s.until(() => s.published.filter((p) => p.uri === uri).at(-1)?.version === 3, 'diagnostics of version 3');
  assert.deepEqual((await allHints(s, uri)).map((h) => h.label), v3);
  assert.deepEqual(s.errors(), []);
});

test('ranges past the end of the document are clamped to its end; the edits after them apply where the client applies them', TEST, async (t) => {
  const s = await session(t);
  await s.initialize();
  const uri = 'file:///virtual/robust-past-end.net';
  await s.open(uri, SMALL);
  // lines 10-11 of a 4-line document, replaced by two lines: appended at the end (vscode-languageserver-textdocument
  // alone gets the text right here but leaves its line table with holes, which breaks the edits that follow)
  const changes = [
    [{ range: { start: { line: 10, character: 0 }, end: { line: 11, character: 0 } }, text: 'c3: conv 256 k=1\nc4: fc 10' }],
    [{ range: { start: { line: 2, character: 9 }, end: { line: 2, character: 12 } }, text: '96' }],
    [{ range: { start: { line: 4, character: 7 }, end: { line: 4, character: 9 } }, text: '20' }],
  ];
  let text = SMALL;
  let version = 1;
  for (const c of changes) {
    text = TextDocument.update(TextDocument.create(uri, 'netcost', 0, text), c, 1).getText();
    await s.change(uri, ++version, c);
  }
  assert.equal(text, SMALL.replace('conv 128', 'conv 96') + 'c3: conv 256 k=1\nc4: fc 20');
  const fresh = 'file:///virtual/robust-past-end-fresh.net';
  await s.open(fresh, text);
  const hints = await allHints(s, uri);
  assert.deepEqual(hints, await allHints(s, fresh));
  assert.deepEqual(hints.map((h) => h.label.split(' · ')[0]), ['total: 1.15G MACs', '64x224x224', '96x112x112', '256x112x112', '20']);
  assert.deepEqual(s.errors(), []);
});

// ---- 1,000 rapid edits

/** The fuzzers' seeded PRNG (mulberry32), so a failing run can be replayed from its seed. */
function prng(seed: number) {
  const r = rng(seed);
  return { next: () => r(), int: (n: number) => r.int(0, n - 1), pick: r.pick };
}

const SNIPPETS = [
  'conv 64 k=3 p=1', ' | relu', ' | bn', 'x', '7', '2', ' ', '  ', '=', '(', ')', ',', ':', ' -> 64 x 56 x 56', '# 🚀 note', '🧠', '😀x', 'é',
  'repeat 2: conv 32 k=1', 'fc 1000', 'maxpool k=3 s=2 p=1', 'from c1', 'block b(c):', 'end', 'add from in, c1', '\t', '"', '#', '\u{1F680}',
];

interface Change { range?: Range; text: string }
interface Counts { [kind: string]: number }

/**
 * One random content change for `doc`: a single-line or multi-line range edit (positions inside a
 * surrogate pair, past the end of a line or of the document, negative, reversed) or, rarely, a full
 * replacement with `base`. `counts` tallies what was generated.
 */
function randomChange(r: ReturnType<typeof prng>, doc: TextDocument, base: string, counts: Counts): Change {
  const tally = (k: string) => { counts[k] = (counts[k] ?? 0) + 1; };
  const text = doc.getText();
  // the text stays between half and 3 times the example's size: a network with layers, not a husk
  if (r.next() < 0.01 || text.length > 3 * base.length || text.length < base.length / 2) { tally('full replacement'); return { text: base }; }
  const lines = text.split('\n');
  const lineOf = () => {
    const u = r.next();
    if (u < 0.06) { tally('line past the end'); return lines.length + r.int(5); }
    if (u < 0.07) { tally('negative line'); return -1 - r.int(3); }
    return r.int(lines.length);
  };
  const charOf = (line: number) => {
    const s = lines[line] ?? '';
    const u = r.next();
    const pairs = [...s.matchAll(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)];
    if (u < 0.1 && pairs.length) { tally('inside a surrogate pair'); return r.pick(pairs).index! + 1; }
    if (u < 0.15) { tally('past the end of the line'); return s.length + 1 + r.int(20); }
    if (u < 0.16) { tally('negative character'); return -1 - r.int(3); }
    return r.int(s.length + 1);
  };
  const start = lineOf();
  const multi = r.next() < 0.25;
  const end = multi ? start + 1 + r.int(4) : start;
  let range: Range = { start: { line: start, character: charOf(start) }, end: { line: end, character: charOf(end) } };
  if (!multi && range.end.character < range.start.character && r.next() < 0.5) [range.start, range.end] = [range.end, range.start];
  if (multi) tally('multi-line range');
  if (r.next() < 0.08) { tally('reversed range'); range = { start: range.end, end: range.start }; }
  const pieces = r.int(3);
  let insert = '';
  for (let i = 0; i < pieces; i++) insert += r.pick(SNIPPETS);
  if (r.next() < 0.15) insert += r.next() < 0.2 ? '\r\n' : '\n';
  if (multi && r.next() < 0.3) { tally('lines copied from the example'); const b = base.split('\n'); const from = r.int(b.length); insert += b.slice(from, from + 1 + r.int(4)).join('\n'); }
  if (start >= lines.length && multi && r.next() < 0.7) {
    // as many line breaks as the range spans: the case that corrupts the library's line table unclamped
    tally('past the end, spanning its own line count');
    const b = base.split('\n');
    insert = b.slice(0, end - start + 1).join('\n');
  }
  return { range, text: insert };
}

test('1,000 rapid edits with invalid positions and ranges, interleaved with hover and hints: the server stays alive and silent, and ends with the hints and diagnostics of a fresh analysis', TEST, async (t) => {
  const SEED = 3; // a seed whose final text keeps layers (asserted below)
  const EDITS = 1000;
  const r = prng(SEED);
  // MobileNet v2 with emoji in its comments: surrogate pairs to split
  const base = example('mobilenet_v2.net').replace(/^(#.*)$/gm, (line, _c, i: number) => (i % 3 === 0 ? `${line} 🧠` : line)).replace('# Table 2:', '# 😀 Table 2:');
  const s = await session(t, { wait: 30_000 });
  await s.initialize();
  const uri = 'file:///virtual/robust-edits.net';
  await s.open(uri, base);

  // the text the client holds: each change applied with the library's TextDocument.update to a fresh
  // document (the same clamping the server does; a fresh one per change because the library's line
  // table goes wrong after a range whose lines lie past the end of the document, which the server avoids)
  let text = base;
  const counts: Counts = {};
  const requests: Promise<{ result: unknown } | { error: { code: number; message: string } }>[] = [];
  const finalVersion = EDITS + 1;
  const finalDiagnostics = s.nextDiagnostics(uri, (p) => p.version === finalVersion);
  for (let version = 2; version <= finalVersion; version++) {
    const n = r.next() < 0.1 ? 2 + r.int(2) : 1; // some notifications carry several changes, applied in order
    const changes: Change[] = [];
    for (let i = 0; i < n; i++) {
      const doc = TextDocument.create(uri, 'netcost', 0, text);
      // the last 100 edits start again from the example: the final text keeps some layers to compare hints on
      const change = version === finalVersion - 100 && i === 0 ? { text: base } : randomChange(r, doc, base, counts);
      text = TextDocument.update(doc, [change], 1).getText();
      changes.push(change);
    }
    void s.change(uri, version, changes); // not awaited: the edits go out back to back
    if (version % 25 === 0) {
      const lines = text.split('\n').length;
      const line = r.int(lines + 2);
      requests.push(r.next() < 0.5
        ? s.settle('textDocument/hover', { textDocument: { uri }, position: { line, character: r.int(40) } })
        : s.settle('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line, character: 0 }, end: { line: line + r.int(30), character: 0 } } }));
    }
  }
  t.diagnostic(`seed ${SEED.toString(16)}: ${EDITS} notifications, ${JSON.stringify(counts)}, ${requests.length} requests interleaved; final text ${text.length} chars`);
  for (const kind of ['full replacement', 'line past the end', 'past the end, spanning its own line count', 'negative line', 'inside a surrogate pair', 'past the end of the line', 'negative character', 'multi-line range', 'reversed range']) {
    assert.ok((counts[kind] ?? 0) >= 3, `the edits include ${kind} (${counts[kind] ?? 0})`);
  }

  // every interleaved request was answered: a result, or cancelled / modified, never a failure
  for (const answer of await Promise.all(requests)) {
    if ('error' in answer) assert.ok([REQUEST_CANCELLED, CONTENT_MODIFIED].includes(answer.error.code), JSON.stringify(answer));
  }
  const published = await finalDiagnostics;
  const hints = await allHints(s, uri);
  const symbols = await s.request('textDocument/documentSymbol', { textDocument: { uri } });

  // a fresh server that opens the final text gives the same answers
  const fresh = await session(t, { wait: 30_000 });
  await fresh.initialize();
  const opened = await fresh.open(uri, text);
  assert.deepEqual(hints, await allHints(fresh, uri), 'the final hints equal a fresh analysis of the final text');
  assert.ok(hints.length > 0, 'the final text still has layers');
  assert.deepEqual(plainDiagnostics(published.diagnostics), plainDiagnostics(opened.diagnostics), 'the final diagnostics equal a fresh analysis');
  assert.deepEqual(symbols, await fresh.request('textDocument/documentSymbol', { textDocument: { uri } }));
  // diagnostics were published only for versions that had been sent, in increasing order, and the last for the final text
  const versions = s.published.filter((p) => p.uri === uri).map((p) => p.version!);
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
  assert.equal(versions.at(-1), finalVersion);

  assert.equal(s.proc.exitCode, null, 'the server is alive');
  assert.deepEqual(s.errors(), [], 'no handler failed');
  assert.equal(s.stderr, '');
  assert.equal(await s.shutdown(), 0, 'shutdown then exit: exit code 0');
});

test('shutdown stops pending diagnostics; exit ends the process with 0, and with 1 without a shutdown', TEST, async (t) => {
  const s = await session(t);
  await s.initialize();
  const uri = 'file:///virtual/robust-exit.net';
  await s.open(uri, SMALL);
  const before = s.published.length;
  await s.change(uri, 2, [{ text: SMALL.replace('64', '32') }]); // its diagnostics are due 30 ms later
  assert.equal(await s.shutdown(), 0);
  assert.equal(s.published.length, before, 'nothing was published after shutdown');

  const abrupt = await session(t);
  await abrupt.initialize();
  await abrupt.notify('exit', null);
  await abrupt.until(() => abrupt.proc.exitCode !== null, 'the process to exit');
  assert.equal(abrupt.proc.exitCode, 1);
});

test('package.json: the restart command; untrusted workspaces limited to ignoring the workspace\'s netcost.limits.* (all of them), showDelta (git) and measure.onnxruntimePath (native code); virtual workspaces limited', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.ok(pkg.contributes.commands.some((c: { command: string; title: string }) => c.command === 'netcost.restartServer' && c.title === 'Restart Language Server'));
  const untrusted = pkg.capabilities.untrustedWorkspaces;
  assert.equal(untrusted.supported, 'limited');
  const limits = Object.keys(pkg.contributes.configuration.properties).filter((k) => k.startsWith('netcost.limits.'));
  assert.ok(limits.length > 0);
  // the limits, the one setting that makes the server run git, and the one naming native code to load
  assert.deepEqual([...untrusted.restrictedConfigurations].sort(), [...limits, 'netcost.inlayHints.showDelta', 'netcost.measure.onnxruntimePath'].sort(),
    'every limit setting, showDelta and onnxruntimePath, and only those, are restricted');
  assert.equal(pkg.capabilities.virtualWorkspaces.supported, 'limited');
  // nothing from the workspace is executed: the extension and the server spawn no process and evaluate no code
  // (client/src/measure.ts spawns only the bundled CLI and npm, on the user's command, refused in untrusted workspaces)
  for (const file of ['client/src/extension.ts', 'server/src/lsp/server.ts', 'server/src/lsp/main.ts', 'server/src/hardware/config.ts']) {
    const src = readFileSync(join(root, file), 'utf8');
    assert.doesNotMatch(src, /child_process|\beval\(|new Function\(|\brequire\(|\bimport\(/, file);
  }
});
