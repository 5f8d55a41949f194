// `netcost FILE`: argument parsing, file reading and exit codes around the pure engine.
// Exit codes: 0 analysed without errors, 1 the file has errors, 2 usage or I/O error.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { analyze, DTYPE_BYTES, FLOPS_CONVENTIONS, type Dtype, type FlopsConvention } from '../analysis/analyze';
import { diagnosticLines, jsonReport, tableReport } from './report';

export const USAGE = `usage: netcost FILE [options]

Prints each layer's output shape, params, MACs, FLOPs and memory access, and the totals.

options:
  --json                 machine-readable report (schema in README.md)
  --batch N              batch size (default 1)
  --dtype T              fp32 | fp16 | bf16 | int8 (default fp32): bytes per element
  --flops C              2macs | exact | macs: the convention of the FLOPs figures (default 2macs)
  --set NAME=VALUE       override a top-level variable of the file (repeatable)
  --blocks               one row per top-level block use or repeat instead of per layer
  -h, --help             this help
  -v, --version          the version

exit codes: 0 no errors, 1 the file has errors, 2 usage or I/O error`;

export interface Io { out(s: string): void; err(s: string): void }

class UsageError extends Error {}

function options(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' }, blocks: { type: 'boolean' },
        batch: { type: 'string' }, dtype: { type: 'string' }, flops: { type: 'string' },
        set: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
  const v = parsed.values;
  const batch = v.batch === undefined ? 1 : Number(v.batch);
  if (!Number.isSafeInteger(batch) || batch < 1 || !/^\d+$/.test(v.batch ?? '1')) throw new UsageError(`--batch: expected a positive whole number, got '${v.batch}'`);
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
  return { ...v, batch, dtype, flops, overrides, files: parsed.positionals };
}

export function main(argv: string[], io: Io, version = '0.0.0'): number {
  try {
    const o = options(argv);
    if (o.help) { io.out(USAGE + '\n'); return 0; }
    if (o.version) { io.out(version + '\n'); return 0; }
    if (o.files.length !== 1) throw new UsageError(o.files.length ? 'expected one FILE, got ' + o.files.length : 'missing FILE (try: netcost examples/resnet50.net)');
    const file = o.files[0];
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
      io.err(`netcost: ${file}: ${why}\n`);
      return 2;
    }
    const a = analyze(text, { batch: o.batch, dtype: o.dtype, overrides: o.overrides });
    const missing = Object.keys(o.overrides).filter((n) => !a.variables.some((v) => v.name === n));
    if (missing.length) {
      const names = a.variables.map((v) => v.name).join(', ') || 'none';
      throw new UsageError(`--set ${missing[0]}: ${file} has no top-level variable \`${missing[0]}\` (its variables: ${names})`);
    }
    if (o.json) io.out(JSON.stringify(jsonReport(a, { file, flops: o.flops }), null, 2) + '\n');
    else {
      io.out(tableReport(a, { file, flops: o.flops, blocks: o.blocks }));
      const lines = diagnosticLines(a, file);
      if (lines.length) io.err(lines.join('\n') + '\n');
    }
    return a.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`netcost: ${e.message}\n${USAGE.split('\n')[0]}\n`);
      return 2;
    }
    throw e;
  }
}
