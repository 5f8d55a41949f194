// `netcost measure MODEL.onnx|FILE.net`: flags, output and exit codes around measure/measure.ts.
import { commonOptions, dimFlags, parseFlags, UsageError, wholeFlag } from './flags';
import { measureFile, MeasureError } from '../measure/measure';
import { measureTable } from '../measure/report';
import { ORT_VERSION } from '../measure/runtime';
import type { Io } from './main';

export const MEASURE_USAGE = `usage: netcost measure MODEL.onnx|FILE.net [options]

Runs the model with ONNX Runtime (onnxruntime-node) on this machine's CPU: warm-up runs, then timed
runs (median, p90), then profiled runs whose kernel times are mapped back to the layers (a kernel
ONNX Runtime fused from several layers is reported as such) and set beside the roofline estimate. A
.net file is exported to a temporary ONNX model first (netcost export); an ONNX model whose file has
no weight data gets pseudo-random weights.

options:
  --runs N               timed runs (default 20); min(N, 10) more runs are profiled
  --warmup N             untimed runs before them (default 3)
  --threads T            ONNX Runtime's intra-op threads (default: its own, one per physical core)
  --target ID            the target of the estimate (default: the local-cpu target of netcost.json
                         when there is one, written by netcost calibrate, else host-cpu)
  --batch N              batch size (default 1; ONNX: binds the inputs' leading dim)
  --set NAME=VALUE       override a top-level variable of a .net file (repeatable)
  --dim NAME=N           bind a symbolic dimension of an ONNX model (repeatable)
  --seed N               seed of the pseudo-random weights (default 0)
  --json                 the measurement as JSON (version 1; fields in docs/measure.md)
  --progress ndjson      progress on stderr, one line each: {"progress":{"stage":S,"done":n,"total":m}}
                         (stages: analyze, export, load, warmup, run, profile, map, done)
  -h, --help             this help

ONNX Runtime is optional: npm install onnxruntime-node@${ORT_VERSION} --onnxruntime-node-install=skip next to
netcost, or set NETCOST_ONNXRUNTIME to its package directory (NETCOST_ONNXRUNTIME=none: never load it).

exit codes: 0 measured, 1 the file has errors (or a layer cannot be exported), 2 usage or I/O error,
            3 ONNX Runtime is not available, 4 ONNX Runtime failed to load or run the model`;

function options(argv: string[]) {
  const parsed = parseFlags(argv, {
      runs: { type: 'string' }, warmup: { type: 'string' }, threads: { type: 'string' }, target: { type: 'string' },
      batch: { type: 'string' }, set: { type: 'string', multiple: true }, dim: { type: 'string', multiple: true },
      seed: { type: 'string' }, json: { type: 'boolean' }, progress: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  const v = parsed.values;
  if (v.help) return { help: true as const };
  if (parsed.positionals.length !== 1) throw new UsageError(parsed.positionals.length ? `expected one MODEL, got ${parsed.positionals.length}` : 'missing MODEL (try: netcost measure examples/mobilenet_v2.net)');
  const file = parsed.positionals[0];
  const onnx = /\.onnx$/i.test(file);
  if (v.progress !== undefined && v.progress !== 'ndjson') throw new UsageError(`--progress: expected ndjson, got '${v.progress}'`);
  if (v.target === '') throw new UsageError('--target: expected a target id (netcost --targets lists them)');
  const dims = dimFlags(v.dim);
  const { batch, overrides } = commonOptions({ batch: v.batch, set: v.set });
  if (onnx && Object.keys(overrides).length) throw new UsageError('--set overrides variables of a .net file; bind an ONNX model\'s symbolic dims with --dim NAME=N');
  if (!onnx && Object.keys(dims).length) throw new UsageError('--dim binds dimensions of an ONNX model; a .net file sets its sizes with --set NAME=VALUE');
  return {
    help: false as const, file, json: v.json === true, ndjson: v.progress === 'ndjson',
    runs: wholeFlag('runs', v.runs, 20, 1), warmup: wholeFlag('warmup', v.warmup, 3, 0),
    threads: v.threads === undefined ? undefined : wholeFlag('threads', v.threads, 0, 1),
    seed: wholeFlag('seed', v.seed, 0, 0), target: v.target,
    batch: v.batch === undefined ? undefined : batch, set: overrides, dims,
  };
}

export async function measureMain(argv: string[], io: Io): Promise<number> {
  let o;
  try {
    o = options(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`netcost measure: ${e.message}\n${MEASURE_USAGE.split('\n')[0]}\n`);
    return 2;
  }
  if (o.help) { io.out(MEASURE_USAGE + '\n'); return 0; }
  const bar = o.ndjson ? undefined : io.progress?.(o.file);
  const onProgress = o.ndjson
    ? (stage: string, done: number, total: number) => io.err(JSON.stringify({ progress: { stage, done, total } }) + '\n')
    : bar;
  try {
    const m = await measureFile(o.file, {
      runs: o.runs, warmup: o.warmup, threads: o.threads, batch: o.batch, dims: o.dims, set: o.set, target: o.target, seed: o.seed, onProgress,
    });
    io.out(o.json ? JSON.stringify(m, null, 2) + '\n' : measureTable(m));
    return 0;
  } catch (e) {
    if (!(e instanceof MeasureError)) throw e;
    io.err(`netcost measure: ${e.message}\n`);
    return e.exitCode;
  }
}
