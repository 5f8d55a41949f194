// `npm run accuracy`: the README's accuracy table (issue 10): for each example network, the measured
// median latency on this machine's CPU against the estimate before calibration (host-cpu) and after
// (leave-one-out: each network predicted by a target calibrated on the other seven).
//
//   node scripts/accuracy.mjs --measure   measures examples/*.net with ONNX Runtime (dist/cli.js
//                                         calibrate --save-measurements, nothing else written) in
//                                         --repeat rounds (default 3; each network's measurement of
//                                         median latency is kept, so one disturbed process does not
//                                         decide a row) into docs/accuracy/measurements.json, then
//                                         prints the table
//   node scripts/accuracy.mjs             prints the table from the stored measurements (no ONNX
//                                         Runtime; the same on every machine: the host-cpu target of
//                                         the measuring machine is stored with them)
//
// The table is made by measure/calibrate.ts accuracyTable (through `calibrate --from ... --json`);
// test/calibrate.test.ts checks that the README's copy equals it. Measure on a quiet machine: the
// figures are medians of repeated runs, and other processes on the cores distort them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const stored = join('docs', 'accuracy', 'measurements.json');
const args = process.argv.slice(2);
const flag = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };

if (!existsSync(cli)) {
  console.error('accuracy: dist/cli.js is missing: run `node scripts/build.mjs` first');
  process.exit(2);
}
const run = (argv, stdio) => execFileSync(process.execPath, [cli, ...argv], { cwd: root, encoding: 'utf8', stdio, maxBuffer: 1 << 28 });

if (args.includes('--measure')) {
  mkdirSync(join(root, 'docs', 'accuracy'), { recursive: true });
  const nets = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.net')).sort().map((f) => join('examples', f));
  const extra = ['--runs', flag('--runs', '30'), '--warmup', flag('--warmup', '5'), ...(flag('--threads') ? ['--threads', flag('--threads')] : [])];
  const rounds = Number(flag('--repeat', '3'));
  const dir = mkdtempSync(join(tmpdir(), 'netcost-accuracy-'));
  try {
    const saved = [];
    for (let r = 0; r < rounds; r++) {
      console.error(`round ${r + 1} of ${rounds}`);
      const out = join(dir, `round${r}.json`);
      run(['calibrate', ...nets, ...extra, '--save-measurements', out, '--dry-run'], ['ignore', 'ignore', 'inherit']);
      saved.push(JSON.parse(readFileSync(out, 'utf8')));
    }
    // per network, the round whose median latency is the median over the rounds
    const measurements = nets.map((_, i) => {
      const byLatency = saved.map((s) => s.measurements[i]).sort((a, b) => a.latency.medianSeconds - b.latency.medianSeconds);
      return byLatency[(byLatency.length - 1) >> 1];
    });
    writeFileSync(join(root, stored), JSON.stringify({ ...saved[0], measurements }, null, 2) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (!existsSync(join(root, stored))) {
  console.error(`accuracy: ${stored} is missing: run \`node scripts/accuracy.mjs --measure\` first`);
  process.exit(2);
}
const report = JSON.parse(run(['calibrate', '--from', stored, '--dry-run', '--json'], ['ignore', 'pipe', 'inherit']));
process.stdout.write(report.table);
