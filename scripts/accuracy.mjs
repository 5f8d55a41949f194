// `npm run accuracy`: the README's accuracy table (issue 10): for each example network, the measured
// median latency on this machine's CPU against the estimate before calibration (host-cpu) and after
// (leave-one-out: each network predicted by a target calibrated on the other seven).
//
//   node scripts/accuracy.mjs --measure   measures examples/*.net with ONNX Runtime (dist/cli.js
//                                         calibrate --save-measurements, nothing else written) into
//                                         docs/accuracy/measurements.json, then prints the table
//   node scripts/accuracy.mjs             prints the table from the stored measurements (no ONNX
//                                         Runtime; the same on every machine: the host-cpu target of
//                                         the measuring machine is stored with them)
//
// The table is made by measure/calibrate.ts accuracyTable (through `calibrate --from ... --json`);
// test/calibrate.test.ts checks that the README's copy equals it. Measure on a quiet machine: the
// figures are medians of repeated runs, and other processes on the cores distort them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
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
  run(['calibrate', ...nets, ...extra, '--save-measurements', stored, '--dry-run'], ['ignore', 'ignore', 'inherit']);
}
if (!existsSync(join(root, stored))) {
  console.error(`accuracy: ${stored} is missing: run \`node scripts/accuracy.mjs --measure\` first`);
  process.exit(2);
}
const report = JSON.parse(run(['calibrate', '--from', stored, '--dry-run', '--json'], ['ignore', 'pipe', 'inherit']));
process.stdout.write(report.table);
