// `netcost FILE`: argument parsing, file reading and exit codes around the pure engine.
// Exit codes: 0 analysed without errors, 1 the file has errors, 2 usage or I/O error.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { analyze, tooLargeFile } from '../analysis/analyze';
import { resolveLimits } from '../analysis/limits';
import { commonOptions, dimFlags, parseFlags, UsageError, wholeFlag } from './flags';
import { analyzeOnnxFile, type OnnxAnalysis, type Progress } from '../onnx/analyze';
import { diagnosticLines, jsonReport, tableReport, targetsTable, type HardwareReport } from './report';
import { loadProjectConfig } from '../hardware/config';
import { findTarget, targetIds, TARGETS, type Target } from '../hardware/targets';
import { estimate } from '../hardware/roofline';
import { peakMemory } from '../hardware/memory';
import type { Analysis } from '../analysis/analyze';
import { cliFormulas } from '../formula/formula';
import { checkBudgets, parseBudgetFlags, resolveBudgets } from '../budget/cli';
import { cliSettings, netDiagnostics, onnxDocument, sarifReport } from './sarif';
import { compareMain } from './compare';

export const USAGE = `usage: netcost FILE [options]
       netcost compare OLD NEW [options]   (layer-by-layer deltas; netcost compare --help)
       netcost export FILE.net -o OUT.onnx (an ONNX model of the network; netcost export --help)
       netcost measure MODEL [options]     (run it with ONNX Runtime on the CPU, measured vs
                                           estimated per layer; netcost measure --help)
       netcost calibrate FILE... [options] (fit a local-cpu target to measurements; --help)

Prints each layer's output shape, params, MACs, FLOPs and memory access, and the totals.
FILE is a .net file or an ONNX model (.onnx: one row per node).

options:
  --format F             table | json | sarif: the report (default table); sarif: a SARIF 2.1.0 log
                         of every diagnostic, the lint rules' included (default rule settings,
                         judged for --target or t4)
  --json                 the same as --format json: machine-readable report (schema in README.md)
  --batch N              batch size (default 1; for ONNX: binds the inputs' leading dim)
  --dtype T              fp32 | fp16 | bf16 | int8: bytes per element (default fp32; ONNX: each
                         tensor's own dtype, T recounts the float tensors)
  --flops C              2macs | exact | macs: the convention of the FLOPs figures (default 2macs)
  --set NAME=VALUE       override a top-level variable of a .net file (repeatable)
  --formula VAR          the totals as exact formulas of VAR, a top-level variable or batch
                         (repeatable: several variables); --json adds a "formulas" object
  --dim NAME=N           bind a symbolic dimension of an ONNX model (repeatable)
  --blocks               one row per top-level block use or repeat instead of per layer
  --by-op                one row per op type (ONNX op type or .net kind), costliest first
  --top N                only the N costliest layers or nodes (by MACs, then memory)
  --target NAME          estimate latency (roofline + launch overheads), QPS and peak memory on a
                         hardware target: a latency column and a footer (docs/hardware.md)
  --targets              list the built-in targets and those of the project's netcost.json
  --budget NAME=VALUE    fail (exit 1) when a figure exceeds a budget (repeatable; also "budgets" in
                         netcost.json): params, macs, flops (K/M/G), weights, activations, memory
                         (KB/MB/GB, KiB/MiB/GiB), latency@TARGET (s/ms/us); e.g. macs=600M
  --limit NAME=N         raise or lower a limit against runaway inputs (repeatable): fileSize,
                         layers, repeat, iterations, depth (.net); onnxFileSize, nodes, tensors,
                         valueInfos, rank, subgraphDepth, stringBytes, listElements (ONNX);
                         defaults in docs/rules.md
  -h, --help             this help
  -v, --version          the version

exit codes: 0 no errors, 1 the file has errors or a budget is exceeded, 2 usage or I/O error`;

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** a progress reporter for a long analysis (bin.ts draws a bar on a terminal) */
  progress?(file: string): Progress;
}


function options(argv: string[]) {
  const parsed = parseFlags(argv, {
      json: { type: 'boolean' }, format: { type: 'string' }, blocks: { type: 'boolean' },
      batch: { type: 'string' }, dtype: { type: 'string' }, flops: { type: 'string' },
      set: { type: 'string', multiple: true }, dim: { type: 'string', multiple: true },
      'by-op': { type: 'boolean' }, top: { type: 'string' }, formula: { type: 'string', multiple: true },
      target: { type: 'string' }, targets: { type: 'boolean' }, limit: { type: 'string', multiple: true },
      budget: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' },
  });
  const v = parsed.values;
  const top = v.top === undefined ? undefined : wholeFlag('top', v.top, 0, 1);
  const dims = dimFlags(v.dim);
  const { batch, dtype, flops, overrides, limits } = commonOptions(v);
  const format = v.format ?? (v.json ? 'json' : 'table');
  if (!['table', 'json', 'sarif'].includes(format)) throw new UsageError(`--format: expected one of table, json, sarif, got '${v.format}'`);
  if (v.json && format !== 'json') throw new UsageError(`--json is --format json: it conflicts with --format ${format}`);
  const budgets = parseBudgetFlags(v.budget ?? []);
  if (typeof budgets === 'string') throw new UsageError(budgets);
  return { ...v, json: format === 'json', format, budgets, limits, batch, batchGiven: v.batch !== undefined, dtypeGiven: v.dtype !== undefined, dtype, flops, overrides, dims, top, byOp: v['by-op'] === true, files: parsed.positionals };
}

type Options = ReturnType<typeof options>;

/** The project's targets (netcost.json next to `dir` or above it); its problems are warnings on stderr. */
function projectTargets(dir: string, io: Io): Target[] {
  const c = loadProjectConfig(dir);
  for (const e of c.errors) io.err(`netcost: warning: ${e}\n`);
  return c.targets;
}

/** `--target NAME`: the target, or a usage error (exit 2) listing the known ids. */
function resolveTarget(name: string, user: Target[]): Target {
  const t = findTarget(name, user);
  if (t) return t;
  throw new UsageError(`--target: unknown target '${name}' (known: ${targetIds(user).join(', ')}; add your own in netcost.json, see docs/hardware.md)`);
}

const hardware = (a: Analysis, t: Target | null): HardwareReport | undefined => (t ? { estimate: estimate(a, t), memory: peakMemory(a) } : undefined);

/** `netcost model.onnx`: the same table and JSON; diagnostics point at the node's line of the listing and name the node. */
function onnx(file: string, o: Options, io: Io, target: Target | null, budgets: Exclude<ReturnType<typeof resolveBudgets>, string>): number {
  if (o.formula?.length) throw new UsageError('--formula fits the variables of a .net file, not of an ONNX model');
  if (Object.keys(o.overrides).length) throw new UsageError('--set overrides variables of a .net file; bind an ONNX model\'s symbolic dims with --dim NAME=N');
  if (!existsSync(file)) {
    io.err(`netcost: ${file}: no such file\n`);
    return 2;
  }
  const progress = io.progress?.(file);
  // SARIF: the editor's document analysis, whose diagnostics include the lint rules run on the listing
  const doc = o.format === 'sarif' ? onnxDocument(file, cliSettings(o, target, budgets), progress) : undefined;
  const a = doc?.analysis ?? analyzeOnnxFile(file, { batch: o.batchGiven ? o.batch : undefined, dims: o.dims, dtype: o.dtypeGiven ? o.dtype : undefined, limits: o.limits }, file, progress);
  progress?.('done', 1, 1);
  if (a.diagnostics.some((d) => d.code === 'onnx-io')) {
    io.err(`netcost: ${file}: ${a.diagnostics.find((d) => d.code === 'onnx-io')!.message}\n`);
    return 2;
  }
  const results = checkBudgets(a, budgets, o.flops, file, io.err);
  const hw = hardware(a, target);
  if (doc) io.out(sarifReport(file, doc.diagnostics, a));
  else if (o.json) io.out(JSON.stringify(jsonReport(a, { file, flops: o.flops, hardware: hw, budgets: results }), null, 2) + '\n');
  else {
    io.out(tableReport(a, { file, flops: o.flops, byOp: o.byOp, top: o.top, hardware: hw }));
    const lines = onnxDiagnosticLines(a, file);
    if (lines.length) io.err(lines.join('\n') + '\n');
  }
  return a.diagnostics.some((d) => d.severity === 'error') || results.some((r) => r.exceeded) ? 1 : 0;
}

/** `file: node 12 (/layer1/Conv): severity [code] message`, or `file: severity ...` for the model as a whole. */
function onnxDiagnosticLines(a: OnnxAnalysis, file: string): string[] {
  const byLine = new Map(a.layers.map((l) => [l.useRange.start.line, l]));
  return a.diagnostics.map((d) => {
    const l = byLine.get(d.range.start.line);
    return `${file}: ${l ? `node ${l.nodeIndex}${l.graphPath ? ` of ${l.graphPath}` : ''} (${l.onnxName || l.name}): ` : ''}${d.severity} [${d.code}] ${d.message}`;
  });
}

/** The whole CLI (bin.ts): `export`, `measure` and `calibrate` are async (ONNX Runtime's API is) and loaded
 *  on demand, so the encoder (onnx-proto) and the measuring code cost a plain report nothing at start-up. */
export function run(argv: string[], io: Io, version = '0.0.0'): number | Promise<number> {
  const rest = argv.slice(1);
  if (argv[0] === 'export') return import('./export').then((m) => m.exportMain(rest, io));
  if (argv[0] === 'measure') return import('./measure').then((m) => m.measureMain(rest, io));
  if (argv[0] === 'calibrate') return import('./calibrate').then((m) => m.calibrateMain(rest, io));
  return main(argv, io, version);
}

/** The synchronous commands: a report of one file, `compare`, `--targets`. */
export function main(argv: string[], io: Io, version = '0.0.0'): number {
  if (argv[0] === 'compare') return compareMain(argv.slice(1), io);
  try {
    const o = options(argv);
    if (o.help) { io.out(USAGE + '\n'); return 0; }
    if (o.version) { io.out(version + '\n'); return 0; }
    if (o.targets) {
      if (o.files.length > 1) throw new UsageError('--targets takes at most one FILE (its netcost.json is read)');
      io.out(targetsTable(TARGETS, projectTargets(o.files.length ? dirname(o.files[0]) : '.', io)));
      return 0;
    }
    if (o.files.length !== 1) throw new UsageError(o.files.length ? 'expected one FILE, got ' + o.files.length : 'missing FILE (try: netcost examples/resnet50.net)');
    const file = o.files[0];
    if (o.target === '') throw new UsageError('--target: expected a target id (netcost --targets lists them)');
    const target = o.target === undefined ? null : resolveTarget(o.target, projectTargets(dirname(file), io));
    const budgets = resolveBudgets(file, o.budgets);
    if (typeof budgets === 'string') throw new UsageError(budgets);
    if (/\.onnx$/i.test(file)) return onnx(file, o, io, target, budgets);
    if (Object.keys(o.dims).length) throw new UsageError('--dim binds dimensions of an ONNX model; a .net file sets its sizes with --set NAME=VALUE');
    const settings = { batch: o.batch, dtype: o.dtype, overrides: o.overrides, limits: o.limits };
    let text: string;
    let size = -1;
    try {
      // a file over the `fileSize` limit is not read: its analysis is the one limit error
      size = statSync(file).size;
      text = size > resolveLimits(o.limits).fileSize ? '' : readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
      io.err(`netcost: ${file}: ${why}\n`);
      return 2;
    }
    const a = size > resolveLimits(o.limits).fileSize ? tooLargeFile(size, settings) : analyze(text, settings);
    const missing = size > resolveLimits(o.limits).fileSize ? [] : Object.keys(o.overrides).filter((n) => !a.variables.some((v) => v.name === n));
    if (missing.length) {
      const names = a.variables.map((v) => v.name).join(', ') || 'none';
      throw new UsageError(`--set ${missing[0]}: ${file} has no top-level variable \`${missing[0]}\` (its variables: ${names})`);
    }
    const hw = hardware(a, target);
    const formulas = o.formula?.length ? cliFormulas(text, a, o.formula, o.flops) : undefined;
    if (formulas?.usage) throw new UsageError(formulas.usage);
    const results = checkBudgets(a, budgets, o.flops, file, io.err);
    // SARIF: the editor's diagnostics of this analysis, engine and lint (default rule settings, the active target)
    if (o.format === 'sarif') io.out(sarifReport(file, netDiagnostics(a, text, cliSettings(o, target, budgets))));
    else if (o.json) io.out(JSON.stringify({ ...jsonReport(a, { file, flops: o.flops, hardware: hw, budgets: results }), ...(formulas && { formulas: formulas.json }) }, null, 2) + '\n');
    else {
      io.out(tableReport(a, { file, flops: o.flops, blocks: o.blocks, byOp: o.byOp, top: o.top, hardware: hw }));
      if (formulas) io.out('\n' + formulas.text);
      const lines = diagnosticLines(a, file);
      if (lines.length) io.err(lines.join('\n') + '\n');
    }
    return a.diagnostics.some((d) => d.severity === 'error') || results.some((r) => r.exceeded) ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`netcost: ${e.message}\n${USAGE.split('\n')[0]}\n`);
      return 2;
    }
    throw e;
  }
}
