// `npm run fuzz -- --cases 20000 --seed 7`: the long fuzz run. Cases per target, each under the time
// and memory bounds of harness.ts; a failing case is written to test/fuzz/fixtures/ (which the test
// suite replays) unless --no-save. Exit code 1 when any case failed.
//   --cases N     cases per target (default 5000)      --seed S      the run's seed (default: random, printed)
//   --target T    net, onnx or all (default all)       --from I      first case index (default 0)
//   --jobs J      workers per target (default 1)       --timeout MS  hard time bound of a case (default 20000)
//   --memory MB   heap cap of a worker (default 768)   --replay      run the fixtures only
//   --step MS     time bound of one step: an analysis, a lint pass, one editor request (default 2000)
//   --lite        no .net inputs at the engine's limits (the suite's cases: `--lite --seed 20260801`)
import { parseArgs } from 'node:util';
import { TARGETS, fixtureFiles, saveFixture, type Target } from './cases';
import { DEFAULT_OPTIONS, Runner, failureText, newStats, runJob, runTarget, statsLine, type Stats } from './harness';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: '5000' }, seed: { type: 'string' }, target: { type: 'string', default: 'all' }, from: { type: 'string', default: '0' },
      jobs: { type: 'string', default: '1' }, timeout: { type: 'string' }, step: { type: 'string' }, memory: { type: 'string' }, 'no-save': { type: 'boolean', default: false },
      replay: { type: 'boolean', default: false }, lite: { type: 'boolean', default: false },
    },
  });
  const options = {
    ...DEFAULT_OPTIONS,
    timeoutMs: values.timeout ? Number(values.timeout) : DEFAULT_OPTIONS.timeoutMs,
    stepMs: values.step ? Number(values.step) : DEFAULT_OPTIONS.stepMs,
    memoryMb: values.memory ? Number(values.memory) : DEFAULT_OPTIONS.memoryMb,
  };
  const all: Stats[] = [];
  if (values.replay) {
    const s = newStats('fixtures');
    const runner = new Runner(options);
    for (const f of fixtureFiles()) await runJob(runner, { fixture: f }, s);
    await runner.close();
    all.push(s);
  } else {
    const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
    const cases = Number(values.cases), from = Number(values.from), jobs = Math.max(1, Number(values.jobs));
    const targets = values.target === 'all' ? TARGETS : [values.target as Target];
    console.log(`fuzz: seed ${seed}, cases ${from}..${from + cases - 1} per target (${targets.join(', ')}), ${jobs} worker(s) per target, ` +
      `bounds ${options.stepMs} ms per step, ${options.timeoutMs} ms and ${options.heapGrowthMb} MB per case, worker heap cap ${options.memoryMb} MB`);
    for (const target of targets) {
      const t0 = Date.now();
      const s = await runTarget(target, seed, from, from + cases, options, jobs, (p) => console.log(`  ${target}: ${p.cases} cases, ${p.failures.length} failures, ${((Date.now() - t0) / 1000).toFixed(0)} s`), !values.lite);
      console.log(`${statsLine(s)}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      for (const f of s.failures) {
        console.log(`  ${failureText(f)}`);
        if (!values['no-save'] && !('fixture' in f.job)) console.log(`    fixture: ${saveFixture(f.job.target, f.job.seed, f.job.index, `${f.kind}: ${f.error.split('\n')[0]}`, f.job.heavy ?? true)}`);
      }
      all.push(s);
    }
  }
  for (const s of all) if (values.replay) console.log(statsLine(s));
  return all.some((s) => s.failures.length) ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 2; });
