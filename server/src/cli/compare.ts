// `netcost compare OLD NEW`: two .net files, two ONNX models, or `git:REV:path` blobs, matched layer by
// layer (compare/compare.ts). Exit codes: 0 compared, 1 a side has errors (still compared), 2 usage or I/O error.
import { parseArgs } from 'node:util';
import { DTYPE_BYTES, FLOPS_CONVENTIONS, type Dtype, type FlopsConvention } from '../analysis/analyze';
import { parseLimitFlag, type Limits } from '../analysis/limits';
import { compareAnalyses, compareJson, compareTable } from '../compare/compare';
import { loadSource, SourceError } from '../compare/source';
import { diagnosticLines } from './report';
import type { Io } from './main';

export const COMPARE_USAGE = `usage: netcost compare OLD NEW [options]

Compares two networks layer by layer, matched by name (default names included; ONNX: the node's
name): added (+), removed (-) and changed (~) layers with their deltas, then the totals old -> new.
OLD and NEW are .net files, .onnx models, or git:REV:path for a file at a git revision (read with
\`git show REV:path\` in the current directory: path from the repository root, ./path from here).

options:
  --json                 machine-readable report (schema in README.md, "Compare")
  --batch N              batch size (default 1)
  --dtype T              fp32 | fp16 | bf16 | int8 (default fp32; ONNX: each tensor's own dtype)
  --flops C              2macs | exact | macs (default 2macs)
  --set NAME=VALUE       override a top-level variable of both .net files (repeatable)
  --limit NAME=N         as for netcost FILE (repeatable)
  -h, --help             this help

exit codes: 0 compared, 1 a side has errors (still compared), 2 usage or I/O error`;

class UsageError extends Error {}

function options(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        json: { type: 'boolean' }, batch: { type: 'string' }, dtype: { type: 'string' }, flops: { type: 'string' },
        set: { type: 'string', multiple: true }, limit: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
  const v = parsed.values;
  const batch = v.batch === undefined ? 1 : Number(v.batch);
  if (!/^\d+$/.test(v.batch ?? '1') || !Number.isSafeInteger(batch) || batch < 1) throw new UsageError(`--batch: expected a positive whole number, got '${v.batch}'`);
  const dtype = (v.dtype ?? 'fp32') as Dtype;
  if (!(dtype in DTYPE_BYTES)) throw new UsageError(`--dtype: expected one of ${Object.keys(DTYPE_BYTES).join(', ')}, got '${v.dtype}'`);
  const flops = (v.flops ?? '2macs') as FlopsConvention;
  if (!FLOPS_CONVENTIONS.includes(flops)) throw new UsageError(`--flops: expected one of ${FLOPS_CONVENTIONS.join(', ')}, got '${v.flops}'`);
  const overrides: Record<string, number> = {};
  for (const s of v.set ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(s);
    const value = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(value)) throw new UsageError(`--set: expected NAME=NUMBER, got '${s}'`);
    overrides[m[1]] = value;
  }
  const limits: Partial<Limits> = {};
  for (const s of v.limit ?? []) {
    const l = parseLimitFlag(s);
    if (typeof l === 'string') throw new UsageError(`--limit: ${l}`);
    limits[l[0]] = l[1];
  }
  return { json: v.json === true, help: v.help === true, batch, dtype, flops, overrides, limits, given: { batch: v.batch !== undefined, dtype: v.dtype !== undefined }, files: parsed.positionals };
}

/** `argv` without the leading `compare`; git blobs are read in `cwd`. */
export function compareMain(argv: string[], io: Io, cwd = process.cwd()): number {
  try {
    const o = options(argv);
    if (o.help) { io.out(COMPARE_USAGE + '\n'); return 0; }
    if (o.files.length !== 2) throw new UsageError(`compare: expected OLD and NEW, got ${o.files.length} file(s) (try: netcost compare git:HEAD:model.net model.net)`);
    const [oldSpec, newSpec] = o.files;
    const s = { batch: o.batch, dtype: o.dtype, overrides: o.overrides, limits: o.limits };
    const oldA = loadSource(oldSpec, cwd, s, o.given);
    const newA = loadSource(newSpec, cwd, s, o.given);
    const c = compareAnalyses(oldA, newA);
    const oldSide = { file: oldSpec, analysis: oldA };
    const newSide = { file: newSpec, analysis: newA };
    if (o.json) io.out(JSON.stringify(compareJson(c, oldSide, newSide, o.flops), null, 2) + '\n');
    else io.out(compareTable(c, oldSide, newSide, o.flops));
    const errorsOf = (a: typeof oldA, file: string) => diagnosticLines({ ...a, diagnostics: a.diagnostics.filter((d) => d.severity === 'error') }, file);
    const errors = [...errorsOf(oldA, oldSpec), ...errorsOf(newA, newSpec)];
    if (errors.length) io.err(errors.join('\n') + '\n');
    return errors.length ? 1 : 0;
  } catch (e) {
    if (e instanceof SourceError) { io.err(`netcost: ${e.message}\n`); return 2; }
    if (e instanceof UsageError) { io.err(`netcost: ${e.message}\n${COMPARE_USAGE.split('\n')[0]}\n`); return 2; }
    throw e;
  }
}
