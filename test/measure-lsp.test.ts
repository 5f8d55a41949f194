// Measured times in hovers through the real language server (bin/netcost-language-server.js --stdio):
// the client's `netcost/measurement` notification with a Measurement written by hand (a conv that ONNX
// Runtime fused with its relu, plus an inserted layout kernel; a folded batch norm and a flatten it
// removed; a linear layer it computes in two kernels, Flatten and Gemm, as it does), the hover sections it adds next to the estimate, "measured before
// the last edit" once the document changes, null and closing clearing it, and malformed params that
// are logged and change nothing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ensureBuilt, session, type Session } from './lsp-client';
import type { Measurement } from '../server/src/measure/types';

const TEST = { timeout: 60_000 };
before(ensureBuilt);

const SMALL = 'input x: 16 x 8 x 8\nc: conv 16 k=3 p=1 bias=false\nb: bn\nr: relu\nf: flatten\nfc: linear 10\n';
const URI = 'file:///virtual/measured.net';
const layer = (name: string, line: number, op: string, node: string | null, measuredSeconds: number, estimatedSeconds: number) =>
  ({ name, line, op, opClass: op, flops: 0, memoryBytes: 0, launches: node !== null, node, measuredSeconds, estimatedSeconds });
const node = (name: string, opType: string, layers: string[], kind: 'own' | 'fused' | 'inserted', measuredSeconds: number, estimatedSeconds: number, attributedTo: string | null = null) =>
  ({ name, opType, domain: '', layers, kind, attributedTo, measuredSeconds, estimatedSeconds });

/** What `netcost measure --json` could print for SMALL (figures made up, simple to read). */
const MEASUREMENT: Measurement = {
  version: 1, file: '/virtual/measured.net', model: { path: '/tmp/measured.onnx', exported: true, weights: 'filled' },
  runtime: { name: 'onnxruntime-node', version: '1.30.0', executionProvider: 'cpu', threads: 2, graphOptimizationLevel: 'all' },
  batch: 1, dtype: 'fp32', warmup: 5, runs: 20, profiledRuns: 5,
  latency: { medianSeconds: 40e-6, p90Seconds: 52e-6, minSeconds: 38e-6, maxSeconds: 70e-6, samples: [] },
  throughput: 25_000, sessionSeconds: 0.01, kernelSeconds: 36e-6,
  target: { id: 'host-cpu', name: 'Host CPU' }, estimate: { seconds: 30e-6, launches: 2 },
  nodes: [
    node('c', 'FusedConv', ['c', 'r'], 'fused', 24e-6, 15e-6),
    node('c_reorder', 'ReorderInput', [], 'inserted', 3e-6, 0, 'c'),
    node('fc/flatten', 'Flatten', ['fc'], 'own', 2e-6, 3.75e-6),
    node('fc/gemm', 'Gemm', ['fc'], 'own', 7e-6, 3.75e-6),
  ],
  layers: [
    layer('c', 1, 'conv', 'c', 18e-6, 12e-6), layer('b', 2, 'bn', null, 0, 0), layer('r', 3, 'relu', 'c', 9e-6, 3e-6),
    layer('f', 4, 'flatten', null, 0, 0), layer('fc', 5, 'linear', 'fc/flatten', 9e-6, 7.5e-6),
  ],
  byOpClass: [], notes: ['weights: pseudo-random (exported from a .net file)'],
};

const RUNTIME = 'ONNX Runtime 1.30.0, CPU, 2 threads';
const STALE = '_measured before the last edit: run **NetCost: Measure Latency** again_';
/** The measured section of each hover, as the server must write it. */
const WANT = {
  c: [
    `**measured** 18.0 us (${RUNTIME}; estimate 12.0 us on host-cpu, ×1.50)`,
    '- fused by ONNX Runtime: kernel `c` (`FusedConv`) also computes `r`; the kernel takes 24.0 us, split among its layers by their estimated times',
    '- includes its share of 3.00 us in 1 kernel ONNX Runtime inserted (`ReorderInput`)',
  ].join('\n'),
  b: `**measured** no kernel: ONNX Runtime removed this layer when it loaded the model (folded into a neighbour, or an identity); estimate 0 us on host-cpu (${RUNTIME})`,
  r: [
    `**measured** 9.00 us (${RUNTIME}; estimate 3.00 us on host-cpu, ×3.00)`,
    '- fused by ONNX Runtime: kernel `c` (`FusedConv`) also computes `c`; the kernel takes 24.0 us, split among its layers by their estimated times',
    '- includes its share of 3.00 us in 1 kernel ONNX Runtime inserted (`ReorderInput`)',
  ].join('\n'),
  fc: [
    `**measured** 9.00 us (${RUNTIME}; estimate 7.50 us on host-cpu, ×1.20)`,
    '- computed by 2 kernels: `fc/flatten` (`Flatten`) 2.00 us, `fc/gemm` (`Gemm`) 7.00 us',
  ].join('\n'),
  x: [
    `**measured** with ${RUNTIME} · batch 1 · 20 runs`,
    '',
    '- **latency** median 40.0 us, p90 52.0 us; estimate 30.0 us on host-cpu, ×1.33',
    '- **throughput** 25.0K samples/s at batch 1',
    '- weights: pseudo-random (exported from a .net file)',
  ].join('\n'),
};
/** Where to hover: the op (or the input's name) of each line. */
const AT = { x: { line: 0, character: 6 }, c: { line: 1, character: 4 }, b: { line: 2, character: 4 }, r: { line: 3, character: 4 }, fc: { line: 5, character: 5 } };
type Name = keyof typeof AT;

const SEPARATOR = '\n\n---\n';
async function sections(s: Session, name: Name, uri = URI): Promise<string[]> {
  const h = await s.hover(uri, AT[name]);
  assert.ok(h, `a hover on ${name}`);
  return h.contents.value.split(SEPARATOR);
}
/** The hover's measured section, or null; and the hover without it. */
async function measuredOf(s: Session, name: Name, uri = URI): Promise<{ measured: string | null; rest: string }> {
  const all = await sections(s, name, uri);
  const i = all.findIndex((x) => x.startsWith('**measured**'));
  return { measured: i < 0 ? null : all[i], rest: all.filter((_, j) => j !== i).join(SEPARATOR) };
}
const measure = (s: Session, measurement: unknown, version?: number, uri = URI) =>
  s.notify('netcost/measurement', version === undefined ? { uri, measurement } : { uri, measurement, version });

test('netcost/measurement: hovers show the measured time next to the estimate, fused kernels, removed layers, the network\'s latency', TEST, async (t) => {
  const s = await session(t);
  await s.initialize();
  await s.open(URI, SMALL);
  const before: Record<string, string> = {};
  for (const name of Object.keys(AT) as Name[]) {
    const m = await measuredOf(s, name);
    assert.equal(m.measured, null, `no measurement yet on ${name}`);
    before[name] = m.rest;
  }

  await measure(s, MEASUREMENT, 1);
  for (const name of Object.keys(AT) as Name[]) {
    const m = await measuredOf(s, name);
    assert.equal(m.measured, WANT[name], name);
    assert.equal(m.rest, before[name], `${name}: the rest of the hover is unchanged`);
  }
  // the measured section comes right after the estimate (the roofline on the target), before anything else
  const c = await sections(s, 'c');
  assert.match(c[c.length - 2], /^\*\*on NVIDIA T4\*\*/);
  assert.equal(c[c.length - 1], WANT.c);
  // on the input line: after the network's estimate on the active target
  const x = await sections(s, 'x');
  assert.ok(x[x.length - 2].startsWith('**network** on **NVIDIA T4**'), x[x.length - 2]);
  assert.deepEqual(s.errors(), []);
  assert.equal(s.stderr, '');
});

test('netcost/measurement: an edit makes it "measured before the last edit" (an undo does not); a new one for the version replaces it; null clears it; closing drops it', TEST, async (t) => {
  const s = await session(t);
  await s.initialize();
  await s.open(URI, SMALL);
  await measure(s, MEASUREMENT); // no version: the server's current one (1)
  assert.equal((await measuredOf(s, 'fc')).measured, WANT.fc);

  // widen fc: the hover still shows the measurement, marked stale
  await s.change(URI, 2, [{ range: { start: { line: 5, character: 11 }, end: { line: 5, character: 13 } }, text: '20' }]);
  assert.equal((await measuredOf(s, 'fc')).measured, `${WANT.fc}\n${STALE}`);
  assert.equal((await measuredOf(s, 'x')).measured, `${WANT.x}\n${STALE}`);
  assert.equal((await measuredOf(s, 'b')).measured, `${WANT.b}\n${STALE}`);

  // undone: the text is the measured one again, so the figures are current; redone: stale again
  await s.change(URI, 3, [{ range: { start: { line: 5, character: 11 }, end: { line: 5, character: 13 } }, text: '10' }]);
  assert.equal((await measuredOf(s, 'fc')).measured, WANT.fc);
  await s.change(URI, 4, [{ range: { start: { line: 5, character: 11 }, end: { line: 5, character: 13 } }, text: '20' }]);
  assert.equal((await measuredOf(s, 'fc')).measured, `${WANT.fc}\n${STALE}`);

  // measured again at version 4 (its figures differ): fresh
  const again = structuredClone(MEASUREMENT);
  again.layers[4].measuredSeconds = 12e-6;
  await measure(s, again, 4);
  assert.equal((await measuredOf(s, 'fc')).measured, WANT.fc.replace('9.00 us (', '12.0 us (').replace('×1.20', '×1.60'));
  // a measurement of an older version than the document's is stale at once (even one whose text was the same: the server never saw it)
  await measure(s, MEASUREMENT, 2);
  assert.equal((await measuredOf(s, 'fc')).measured, `${WANT.fc}\n${STALE}`);

  // null clears it
  await measure(s, null);
  for (const name of Object.keys(AT) as Name[]) assert.equal((await measuredOf(s, name)).measured, null, name);

  // closing the document drops it: reopened, its hovers have none
  await measure(s, MEASUREMENT, 4);
  assert.equal((await measuredOf(s, 'fc')).measured, WANT.fc);
  await s.notify('textDocument/didClose', { textDocument: { uri: URI } });
  await s.open(URI, SMALL, 5);
  assert.equal((await measuredOf(s, 'fc')).measured, null);
  // a measurement of a document the server does not have is ignored (no error)
  await measure(s, MEASUREMENT, 1, 'file:///virtual/not-open.net');
  assert.equal((await measuredOf(s, 'c')).measured, null);
  assert.deepEqual(s.errors(), []);
  assert.equal(s.stderr, '');
});

test('netcost/measurement: malformed params are logged and change nothing; the server keeps answering', TEST, async (t) => {
  const s = await session(t);
  await s.initialize();
  await s.open(URI, SMALL);
  await measure(s, MEASUREMENT, 1);
  const broken = (f: (m: Record<string, unknown>) => void) => {
    const m = structuredClone(MEASUREMENT) as unknown as Record<string, unknown>;
    f(m);
    return { uri: URI, measurement: m };
  };
  const malformed: unknown[] = [
    null, 42, 'text', [], {}, { uri: 7, measurement: null }, { measurement: MEASUREMENT },
    { uri: URI }, { uri: URI, measurement: 'fast' }, { uri: URI, measurement: [] }, { uri: URI, measurement: { version: 1 } },
    { uri: URI, measurement: MEASUREMENT, version: 'two' }, { uri: URI, measurement: MEASUREMENT, version: 1.5 },
    broken((m) => { m.version = 2; }),
    broken((m) => { m.layers = 'all'; }),
    broken((m) => { (m.layers as unknown[]).push(null); }),
    broken((m) => { (m.layers as Record<string, unknown>[])[0].measuredSeconds = 'slow'; }),
    broken((m) => { (m.layers as Record<string, unknown>[])[0].name = { deep: true }; }),
    broken((m) => { (m.nodes as Record<string, unknown>[])[0].layers = [1, 2]; }),
    broken((m) => { (m.nodes as Record<string, unknown>[])[0].kind = 'magic'; }),
    broken((m) => { (m.latency as Record<string, unknown>).medianSeconds = null; }),
    broken((m) => { delete m.runtime; }),
    broken((m) => { m.target = { id: 3 }; }),
    broken((m) => { m.notes = [{}]; }),
    broken((m) => { m.throughput = Infinity; }),
  ];
  for (const params of malformed) {
    await s.notify('netcost/measurement', params);
    // the next request is answered, and the last good measurement is still shown
    assert.equal((await measuredOf(s, 'c')).measured, WANT.c, JSON.stringify(params)?.slice(0, 80));
  }
  const errors = s.errors();
  assert.equal(errors.length, malformed.length, errors.join('\n'));
  for (const e of errors) assert.match(e, /^netcost: measurement failed for .*: TypeError: netcost\/measurement: .* \[netcost\/measurement\]/);
  assert.match(errors.find((e) => e.includes('layers[0]'))!, /layers\[0\] needs a name, a node \(string or null\), measuredSeconds and estimatedSeconds/);
  assert.equal(s.stderr, '');
});
