// The flags the `netcost` commands share: --batch, --dtype, --flops, --set, --limit and --dim, whole-number
// flags, and parseArgs itself, validated the same way for all (a bad value is a UsageError: exit code 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DTYPE_BYTES, FLOPS_CONVENTIONS, type Dtype, type FlopsConvention } from '../analysis/analyze';
import { parseLimitFlag, type Limits } from '../analysis/limits';

export class UsageError extends Error {}

/** `parseArgs` with positionals; its errors (unknown flag, missing value) become UsageErrors */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, allowPositionals: true as const, options });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
}

/** a whole-number flag of at least `min` (`dflt` when absent) */
export function wholeFlag(name: string, v: string | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name}: expected a ${min === 1 ? 'positive' : min === 0 ? 'non-negative' : `>= ${min}`} whole number, got '${v}'`);
  }
  return n;
}

/** `--dim NAME=N` flags: symbolic dims of an ONNX model */
export function dimFlags(list: string[] | undefined): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const s of list ?? []) {
    const m = /^([^=\s]+)=(\d+)$/.exec(s);
    const value = m ? Number(m[2]) : NaN;
    if (!m || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`--dim: expected NAME=N with N a positive whole number, got '${s}'`);
    dims[m[1]] = value;
  }
  return dims;
}

export interface CommonFlags { batch?: string; dtype?: string; flops?: string; set?: string[]; limit?: string[] }

export function commonOptions(v: CommonFlags) {
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
  return { batch, dtype, flops, overrides, limits, given: { batch: v.batch !== undefined, dtype: v.dtype !== undefined } };
}
