// Runs fuzz cases in a worker thread, one at a time, each under a hard time bound (the worker is
// terminated and replaced when a case does not answer in time) and a memory bound (the worker's heap is
// capped; a case that grows the heap past `heapGrowthMb` is a failure too). Used by test/fuzz.test.ts
// and by `npm run fuzz` (test/fuzz/main.ts).
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { Answer, Job } from './worker';
import type { Target } from './cases';

export interface Options {
  /** every step of a case (an analysis of one version, a lint pass, one editor request) must end within this (ms) */
  stepMs: number;
  /** a hard bound on a whole case (ms): past it the worker is terminated (a hang) */
  timeoutMs: number;
  /** the worker's old-generation heap cap (MB): passing it kills the worker, a memory failure */
  memoryMb: number;
  /** a case that leaves the heap larger by more than this (MB), garbage collected, is a memory failure (the worker's heap cap bounds its peak) */
  heapGrowthMb: number;
  /** the worker's stack (MB): the language server runs the engine on the main thread, about 1 MB */
  stackMb: number;
}
export const DEFAULT_OPTIONS: Options = { stepMs: 2000, timeoutMs: 20_000, memoryMb: 768, heapGrowthMb: 256, stackMb: 1 };

export type FailureKind = 'exception' | 'invalid-range' | 'mismatch' | 'generator' | 'timeout' | 'memory';
export interface Failure { job: Job; kind: FailureKind; error: string }

export interface Stats {
  target: string;
  cases: number;
  /** exceptions, invalid ranges, incremental mismatches, generator errors */
  crashes: number;
  timeouts: number;
  memory: number;
  slowest: { ms: number; job: Job | null };
  /** the slowest single step of any case */
  slowestStep: { ms: number; name: string; job: Job | null };
  /** the largest heap seen after a case (V8 heap plus external memory), bytes */
  peakHeap: number;
  /** the largest heap growth over one case, bytes */
  maxGrowth: number;
  totalMs: number;
  /** how many cases produced each diagnostic code */
  codes: Map<string, number>;
  failures: Failure[];
}

const BOOT = (file: string) => `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`;

/** One worker and the case it runs. */
export class Runner {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private next = 0;
  private pending: { id: number; resolve: (a: Answer | { dead: string }) => void } | null = null;

  constructor(readonly options: Options = DEFAULT_OPTIONS) {}

  private start(): Promise<void> {
    const w = new Worker(BOOT(join(__dirname, 'worker.ts')), {
      eval: true,
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb, stackSizeMb: this.options.stackMb },
      stdout: true, // the engine prints nothing; a case that does should not flood the test output
    });
    this.worker = w;
    w.stdout.resume();
    return (this.ready = new Promise((resolve, reject) => {
      w.on('message', (m: Answer | { ready: true }) => {
        if ('ready' in m) { resolve(); return; }
        if (this.pending && this.pending.id === m.id) { const p = this.pending; this.pending = null; p.resolve(m); }
      });
      w.on('error', (e) => {
        reject(e);
        if (this.pending) { const p = this.pending; this.pending = null; p.resolve({ dead: `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}` }); }
      });
      w.on('exit', (code) => {
        if (this.worker === w) { this.worker = null; this.ready = null; }
        if (this.pending) { const p = this.pending; this.pending = null; p.resolve({ dead: `the worker exited (${code})` }); }
      });
    }));
  }

  async run(job: Job): Promise<Answer | { timeout: true } | { dead: string }> {
    if (!this.worker || !this.ready) await this.start();
    else await this.ready;
    const w = this.worker!;
    const id = ++this.next;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = null;
        this.worker = null;
        this.ready = null;
        void w.terminate();
        resolve({ timeout: true });
      }, this.options.timeoutMs);
      this.pending = { id, resolve: (a) => { clearTimeout(timer); resolve(a); } };
      w.postMessage({ id, job, stepBoundMs: this.options.stepMs });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

export const newStats = (target: string): Stats =>
  ({ target, cases: 0, crashes: 0, timeouts: 0, memory: 0, slowest: { ms: 0, job: null }, slowestStep: { ms: 0, name: '', job: null }, peakHeap: 0, maxGrowth: 0, totalMs: 0, codes: new Map(), failures: [] });

/** Runs one job and adds its outcome to `s`. */
export async function runJob(runner: Runner, job: Job, s: Stats): Promise<void> {
  const a = await runner.run(job);
  s.cases++;
  if ('timeout' in a) {
    s.timeouts++;
    s.failures.push({ job, kind: 'timeout', error: `no answer within ${runner.options.timeoutMs} ms` });
    return;
  }
  if ('dead' in a) {
    s.memory++;
    s.failures.push({ job, kind: 'memory', error: `the worker died: ${a.dead}` });
    return;
  }
  s.totalMs += a.ms;
  if (a.ms > s.slowest.ms) s.slowest = { ms: a.ms, job };
  if (a.step.ms > s.slowestStep.ms) s.slowestStep = { ...a.step, job };
  s.peakHeap = Math.max(s.peakHeap, a.heap);
  s.maxGrowth = Math.max(s.maxGrowth, a.heapGrowth);
  for (const c of a.codes) s.codes.set(c, (s.codes.get(c) ?? 0) + 1);
  if (!a.ok && a.kind === 'timeout') {
    s.timeouts++;
    s.failures.push({ job, kind: 'timeout', error: a.error ?? '' });
  } else if (!a.ok) {
    s.crashes++;
    s.failures.push({ job, kind: a.kind ?? 'exception', error: a.error ?? '' });
  } else if (a.heapGrowth > runner.options.heapGrowthMb * 2 ** 20) {
    s.memory++;
    s.failures.push({ job, kind: 'memory', error: `the heap grew by ${(a.heapGrowth / 2 ** 20).toFixed(0)} MB in one case` });
  }
}

/** Cases [from, to) of one target, spread over `jobs` workers. */
export async function runTarget(target: Target, seed: number, from: number, to: number, options: Options, jobs = 1, progress?: (s: Stats) => void, heavy = true): Promise<Stats> {
  const s = newStats(target);
  let next = from;
  const runners = Array.from({ length: jobs }, () => new Runner(options));
  try {
    await Promise.all(runners.map(async (runner) => {
      while (next < to) {
        const index = next++;
        await runJob(runner, { target, seed, index, heavy }, s);
        if (progress && s.cases % 1000 === 0) progress(s);
      }
    }));
  } finally {
    await Promise.all(runners.map((r) => r.close()));
  }
  return s;
}

export const jobName = (j: Job | null): string => (!j ? '-' : 'fixture' in j ? j.fixture.replace(/.*\//, 'fixture ') : `seed ${j.seed} index ${j.index}${j.heavy === false && j.target === 'net' ? ' lite' : ''}`);
export const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

/** `net: 300 cases, 0 crashes, 0 time-outs, 0 over the memory bound; slowest case 41 ms (seed 1 index 17), ...` */
export const statsLine = (s: Stats): string =>
  `${s.target}: ${s.cases} cases, ${s.crashes} crashes, ${s.timeouts} time-outs, ${s.memory} over the memory bound; ` +
  `slowest case ${s.slowest.ms.toFixed(0)} ms (${jobName(s.slowest.job)}), slowest step ${s.slowestStep.ms.toFixed(0)} ms (${s.slowestStep.name}, ${jobName(s.slowestStep.job)}), mean ${(s.totalMs / Math.max(1, s.cases)).toFixed(1)} ms; ` +
  `peak heap ${mb(s.peakHeap)}, largest growth in one case ${mb(s.maxGrowth)}; ${s.codes.size} distinct diagnostic codes`;

export const failureText = (f: Failure): string =>
  `${'fixture' in f.job ? jobName(f.job) : `${f.job.target} ${jobName(f.job)}`} [${f.kind}]: ${f.error.split('\n').slice(0, 8).join('\n    ')}`;
