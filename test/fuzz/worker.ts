// The fuzz worker: runs one case per message and answers with its time and heap. The harness
// (harness.ts) kills it when a case passes the time bound, and its heap is capped (resourceLimits), so
// a hang or a runaway allocation is a reported failure, never a stuck test run.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { fixtureInput, generate, readFixture, type CaseInput } from './cases';
import { CaseFailure, resetSlowest, runNet, runOnnx, setStepBound, slowestStep } from './check';

export type Job = { target: 'net' | 'onnx'; seed: number; index: number; heavy?: boolean } | { fixture: string };
export interface Answer {
  id: number;
  ok: boolean;
  kind?: 'exception' | 'invalid-range' | 'mismatch' | 'generator' | 'timeout';
  error?: string;
  /** the case's time (generation excluded) */
  ms: number;
  /** its slowest step (an analysis, a lint pass, one editor request) */
  step: { ms: number; name: string };
  /** heap used after the case (V8 heap plus external memory), bytes */
  heap: number;
  /** its growth over the case */
  heapGrowth: number;
  codes: string[];
}

const heap = () => { const h = getHeapStatistics(); return h.used_heap_size + h.external_memory; };
// V8's collector, for a growth that looks too large: garbage is not growth (the heap cap bounds the peak)
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** growth above which the heap is measured again after a collection (below the harness's smallest bound) */
const GROWTH_CHECK = 64 * 2 ** 20;

parentPort!.on('message', ({ id, job, stepBoundMs }: { id: number; job: Job; stepBoundMs: number }) => {
  setStepBound(stepBoundMs);
  resetSlowest();
  let input: CaseInput;
  try {
    input = 'fixture' in job ? fixtureInput(readFixture(job.fixture)) : generate(job.target, job.seed, job.index, job.heavy ?? true);
  } catch (e) {
    parentPort!.postMessage({ id, ok: false, kind: 'generator', error: e instanceof Error ? e.stack : String(e), ms: 0, step: { ms: 0, name: '' }, heap: heap(), heapGrowth: 0, codes: [] } satisfies Answer);
    return;
  }
  const before = heap();
  const t0 = performance.now();
  let a: Omit<Answer, 'ms' | 'step' | 'heap' | 'heapGrowth'>;
  try {
    const report = input.target === 'net' ? runNet(input.input) : runOnnx(input.input);
    a = { id, ok: true, codes: [...new Set(report.codes)] };
  } catch (e) {
    a = { id, ok: false, kind: e instanceof CaseFailure ? e.kind : 'exception', error: e instanceof Error ? e.stack ?? e.message : String(e), codes: [] };
  }
  const ms = performance.now() - t0;
  let after = heap();
  if (after - before > GROWTH_CHECK) { gc(); after = heap(); } // what the case left alive, not what it left to collect
  parentPort!.postMessage({ ...a, ms, step: slowestStep, heap: after, heapGrowth: Math.max(0, after - before) } satisfies Answer);
});
parentPort!.postMessage({ ready: true });
