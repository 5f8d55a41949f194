// Fuzzing (issue 8): hostile and broken inputs never crash, hang or exhaust memory. Two targets, each
// case in a worker under a time bound per step (an analysis, a lint pass, one editor request: 2 s) and a
// memory bound (test/fuzz/harness.ts):
// - `net`: random edits of every example and token soup, each version analysed incrementally (equal to a
//   fresh analysis at the end), then lint and every editor feature at random positions;
// - `onnx`: encoded models changed at the model and byte level, read, analysed, linted, hinted, hovered.
// Seeded and reproducible: NETCOST_FUZZ_SEED (default fixed) and NETCOST_FUZZ_CASES (cases per target).
// A failure prints its seed and index; `npm run fuzz` (test/fuzz/main.ts) runs longer and writes each
// failing case to test/fuzz/fixtures/, which this suite replays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureFiles } from './fuzz/cases';
import { DEFAULT_OPTIONS, Runner, failureText, newStats, runJob, runTarget, statsLine } from './fuzz/harness';

const SEED = Number(process.env.NETCOST_FUZZ_SEED ?? 20260801);
const CASES = process.env.NETCOST_FUZZ_CASES === undefined ? null : Number(process.env.NETCOST_FUZZ_CASES);
/** the default counts keep the suite to a few seconds per target on a shared machine */
const DEFAULT_CASES = { net: 200, onnx: 200 };

for (const target of ['net', 'onnx'] as const) {
  const cases = CASES ?? DEFAULT_CASES[target];
  test(`fuzz ${target}: ${cases} seeded cases (seed ${SEED}): no exception, no time-out, bounded memory`, async (t) => {
    const s = await runTarget(target, SEED, 0, cases, DEFAULT_OPTIONS, 1, undefined, false);
    t.diagnostic(statsLine(s));
    t.diagnostic(`diagnostic codes seen: ${[...s.codes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}`);
    const failures = s.failures.map(failureText).join('\n');
    assert.equal(s.cases, cases);
    assert.equal(s.crashes, 0, `crashes (replay one: NETCOST_FUZZ_LITE=1 node --import tsx test/fuzz/debug.ts ${target} SEED INDEX):\n${failures}`);
    assert.equal(s.timeouts, 0, `time-outs:\n${failures}`);
    assert.equal(s.memory, 0, `over the memory bound:\n${failures}`);
    // the generators reach the engine's error paths, not only its parser's
    assert.ok(s.codes.size >= 10, `${s.codes.size} distinct diagnostic codes`);
  });
}

test('fuzz fixtures: every failing case found so far runs clean', async (t) => {
  const files = fixtureFiles();
  const s = newStats('fixtures');
  const runner = new Runner(DEFAULT_OPTIONS);
  try {
    for (const f of files) await runJob(runner, { fixture: f }, s);
  } finally {
    await runner.close();
  }
  t.diagnostic(statsLine(s));
  assert.deepEqual(s.failures.map(failureText), []);
  assert.equal(s.cases, files.length);
});
