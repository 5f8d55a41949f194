// The hardware target through the real language server (bin/netcost-language-server.js --stdio):
// `netcost/targets`, the setting `netcost.target` changing the latency hints, the hover and the summary
// without a restart, `unknown-target`, and a workspace's netcost.json read, watched and re-read.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, session, WARNING } from './lsp-client';
import { TARGETS } from '../server/src/hardware/targets';

const TEST = { timeout: 60_000 };
before(ensureBuilt);

// the made-up target of hardware-editor.test.ts, as a user writes it in settings: 100 GFLOP/s, 10 GB/s, 1 us a launch.
// On it SMALL takes c 3.95 us + r 1.82 us = 5.77 us (worked there by hand).
const TOY = { id: 'toy', name: 'ACME X1', kind: 'npu', peak: { fp32: 100e9 }, bandwidth: 10e9, memory: 1e6, launchOverhead: 1e-6 };
const SMALL = 'input x: 16 x 8 x 8\nc: conv 16 k=3 p=1 bias=false\nr: relu\n';
const labels = (hs: { position: { line: number }; label: string }[]) => hs.map((h) => [h.position.line, h.label]);

interface Summary { macs: number; target: { id: string; name: string; latencySeconds: number; qps: number } | null }
interface TargetList { active: string; targets: { id: string; name: string; kind: string; detail: string }[] }

test('netcost.target: netcost/targets lists the targets, a change of the setting changes the latency hints, hover and summary; unknown-target', TEST, async (t) => {
  const config: Record<string, unknown> = { inlayHints: { content: ['latency'] }, targets: [TOY] };
  const s = await session(t, { configuration: () => config, refreshSupport: true });
  await s.initialize();
  const uri = 'file:///virtual/hardware.net';
  const opened = await s.open(uri, SMALL);
  assert.deepEqual(opened.diagnostics, []);

  // the picker's list: the user's target first, then every built-in; the default target is active
  const list = await s.request<TargetList>('netcost/targets', { uri });
  assert.equal(list.active, 't4');
  assert.deepEqual(list.targets.map((x) => x.id), ['toy', ...TARGETS.map((x) => x.id), 'host-cpu']);
  assert.deepEqual(list.targets[0], { id: 'toy', name: 'ACME X1', kind: 'npu', detail: '100 GFLOP/s fp32 · 10.0 GB/s · 1.00 MB · user-defined' });

  // on the T4 (default): the figures are the T4's, so they differ from the toy's
  const onT4 = labels(await s.hints(uri, 0, 10));
  assert.equal(onT4.length, 3);
  assert.notDeepEqual(onT4, [[0, 'total: 5.77 us'], [1, '3.95 us'], [2, '1.82 us']]);
  const before = await s.request<Summary>('netcost/summary', { uri });
  assert.deepEqual([before.target?.id, before.target?.name], ['t4', 'NVIDIA T4']);

  // switch to the user's target: the hints, the hover and the summary follow
  let refreshed = s.nextRefresh();
  config.target = 'toy';
  await s.notify('workspace/didChangeConfiguration', { settings: null });
  await refreshed;
  assert.deepEqual(labels(await s.hints(uri, 0, 10)), [[0, 'total: 5.77 us'], [1, '3.95 us'], [2, '1.82 us']]);
  const hover = await s.hover(uri, { line: 1, character: 4 });
  assert.match(hover!.contents.value, /\*\*estimated time\*\* 3\.95 us = max\(compute 2\.95 us, memory 1\.74 us\) \+ 1\.00 us launch; 68\.5% of the network's 5\.77 us/);
  const after = await s.request<Summary>('netcost/summary', { uri });
  assert.deepEqual([after.target?.id, after.target?.name, after.macs], ['toy', 'ACME X1', before.macs]);
  assert.ok(Math.abs(after.target!.latencySeconds - 5.76832e-6) < 1e-15, String(after.target!.latencySeconds));
  assert.equal((await s.request<TargetList>('netcost/targets', { uri })).active, 'toy');

  // an id nobody defines: one warning on line 1 naming the known ids; the default target is used
  const warned = s.nextDiagnostics(uri, (p) => p.diagnostics.length > 0);
  refreshed = s.nextRefresh();
  config.target = 'tpu-v9';
  await s.notify('workspace/didChangeConfiguration', { settings: null });
  const [d, ...rest] = (await warned).diagnostics;
  await refreshed;
  assert.deepEqual(rest, []);
  assert.deepEqual([d.code, d.severity, d.range], ['unknown-target', WARNING, { start: { line: 0, character: 0 }, end: { line: 0, character: 19 } }]);
  assert.match(d.message, /^unknown hardware target `tpu-v9` \(setting netcost\.target\); known: toy, t4, .*\. Using `t4` \(NVIDIA T4\)\.$/);
  assert.deepEqual(labels(await s.hints(uri, 0, 10)), onT4);
  assert.equal((await s.request<Summary>('netcost/summary', { uri })).target?.id, 't4');
  assert.equal(s.stderr, '');
});

test('a workspace netcost.json adds targets; a change of it, announced with didChangeWatchedFiles, is read again', TEST, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netcost-targets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const json = join(dir, 'netcost.json');
  writeFileSync(json, JSON.stringify({ targets: [{ ...TOY, id: 'lab-npu', name: 'Lab NPU' }] }));
  const config: Record<string, unknown> = { target: 'lab-npu', inlayHints: { content: ['latency'] } };
  const s = await session(t, { configuration: () => config, refreshSupport: true });
  await s.initialize();
  const uri = pathToFileURL(join(dir, 'sub', 'model.net')).href; // netcost.json is found upward from the file's directory
  assert.deepEqual((await s.open(uri, SMALL)).diagnostics, []);
  assert.deepEqual(labels(await s.hints(uri, 0, 0)), [[0, 'total: 5.77 us']]);
  const list = await s.request<TargetList>('netcost/targets', { uri });
  assert.deepEqual([list.active, list.targets[0].id, list.targets[0].name], ['lab-npu', 'lab-npu', 'Lab NPU']);

  // the target leaves the file: the next change notification drops it, and the document says so
  writeFileSync(json, JSON.stringify({ targets: [{ id: 'lab-npu', kind: 'npu' }] }));
  const warned = s.nextDiagnostics(uri, (p) => p.diagnostics.length > 0);
  const refreshed = s.nextRefresh();
  await s.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(json).href, type: 2 }] });
  const [d] = (await warned).diagnostics;
  await refreshed;
  assert.equal(d.code, 'unknown-target');
  assert.match(d.message, /invalid target definitions were dropped: .*netcost\.json: targets\[0\] \(lab-npu\): peak/);
  assert.notDeepEqual(labels(await s.hints(uri, 0, 0)), [[0, 'total: 5.77 us']]);
  assert.equal((await s.request<TargetList>('netcost/targets', { uri })).active, 't4');
  assert.equal(s.stderr, '');
});
