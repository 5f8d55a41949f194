// `netcost compare OLD NEW`: two .net files, two ONNX models, or `git:REV:path` blobs, matched layer by
// layer (compare/compare.ts). Exit codes: 0 compared, 1 a side has errors (still compared), 2 usage or I/O error.
import { compareAnalyses, compareJson, compareTable } from '../compare/compare';
import { loadSource, SourceError } from '../compare/source';
import { diagnosticLines } from './report';
import type { Io } from './main';
import { commonOptions, parseFlags, UsageError } from './flags';

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


function options(argv: string[]) {
  const parsed = parseFlags(argv, {
      json: { type: 'boolean' }, batch: { type: 'string' }, dtype: { type: 'string' }, flops: { type: 'string' },
      set: { type: 'string', multiple: true }, limit: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' },
  });
  const v = parsed.values;
  return { json: v.json === true, help: v.help === true, ...commonOptions(v), files: parsed.positionals };
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
