// `netcost calibrate FILE...`: measures each model on this machine (measure/measure.ts) or loads saved
// measurements (--from), fits a `local-cpu` target (measure/calibrate.ts), prints it with the
// leave-one-out table, and saves it into netcost.json's "targets" (the one thing this command writes,
// which is what it is for; --dry-run writes nothing).
// Exit codes: 0 fitted, 1 a file has errors or measuring failed, 2 usage or I/O error, 3 ONNX Runtime not available.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseFlags, UsageError, wholeFlag } from './flags';
import type { Io } from './main';
import { hostCpu } from '../hardware/host';
import { formatSeconds } from '../hardware/roofline';
import { parseTargets, type Target } from '../hardware/targets';
import { accuracy, accuracyTable, fitTarget, leaveOneOut, percentText, relError, type LeaveOneOutRow } from '../measure/calibrate';
import { measureFile, MeasureError } from '../measure/measure';
import type { Measurement } from '../measure/types';

export const CALIBRATE_USAGE = `usage: netcost calibrate FILE... [options]

Measures each FILE (.net or .onnx) with ONNX Runtime on this machine's CPU, as netcost measure does,
and fits a target to the measurements: effective fp32 peak, bandwidth, launch overhead and the
efficiency of each op class (conv, dwconv, linear, ...). Prints it with the leave-one-out table (each
model predicted by a target fitted on the others, before and after calibration), then saves it into
the "targets" of netcost.json, replacing a target of the same id and keeping everything else: later
estimates and lint rules use it with --target local-cpu (docs/measure.md, "Calibrate").

options:
  --runs N                  timed runs per model (default 20)
  --warmup N                untimed runs first (default 3)
  --threads T               ONNX Runtime intra-op threads (default: its own, one per physical core)
  --name ID                 the id of the fitted target (default local-cpu)
  --config PATH             the file to save it in (default ./netcost.json; created when absent)
  --from FILE.json          measurements saved by --save-measurements, or by netcost measure --json
                            (one or an array; repeatable; adds to the FILEs measured)
  --save-measurements OUT   write every measurement used, with the host-cpu target they start from,
                            to OUT (for --from)
  --dry-run                 fit and print, write no netcost.json
  --json                    the target, the leave-one-out rows, the accuracy and its markdown table
                            as JSON
  -h, --help                this help

exit codes: 0 fitted, 1 a file has errors or measuring failed, 2 usage or I/O error,
3 ONNX Runtime not available (netcost measure --help says how to get it)`;

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function options(argv: string[]) {
  const parsed = parseFlags(argv, {
      runs: { type: 'string' }, warmup: { type: 'string' }, threads: { type: 'string' }, name: { type: 'string' },
      config: { type: 'string' }, from: { type: 'string', multiple: true }, 'save-measurements': { type: 'string' },
      'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  const v = parsed.values;
  const name = v.name ?? 'local-cpu';
  if (!ID.test(name)) throw new UsageError(`--name: expected a name of letters, digits, '.', '_' or '-', got '${name}'`);
  return {
    runs: wholeFlag('runs', v.runs, 20, 1), warmup: wholeFlag('warmup', v.warmup, 3, 0), threads: v.threads === undefined ? undefined : wholeFlag('threads', v.threads, 0, 1),
    name, config: v.config ?? './netcost.json', from: v.from ?? [], save: v['save-measurements'], dryRun: v['dry-run'] === true,
    json: v.json === true, help: v.help === true, files: parsed.positionals,
  };
}

/** What --save-measurements writes: the measurements and the host-cpu target they were made on (the
 *  "before" of the leave-one-out table and the start of the fit: saved, so that the table can be made
 *  again from the file on any machine). */
export interface SavedMeasurements { version: 1; host: Target; measurements: Measurement[] }

/** Measurements from a saved file: one measurement, an array of them, or a SavedMeasurements (checked for the fields the fit reads). */
function loadMeasurements(path: string): { ms: Measurement[]; host?: Target } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--from ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  let host: Target | undefined;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'measurements' in raw) {
    const saved = raw as SavedMeasurements;
    if (saved.host !== undefined) {
      const { targets, errors } = parseTargets([saved.host]);
      if (errors.length) throw new UsageError(`--from ${path}: host: ${errors[0]}`);
      const { user: _, ...h } = targets[0];
      host = h;
    }
    raw = saved.measurements;
  }
  const list = Array.isArray(raw) ? raw : [raw];
  for (const [i, m] of list.entries()) {
    const ok = typeof m === 'object' && m !== null && m.version === 1 && typeof m.file === 'string' && Array.isArray(m.layers) &&
      typeof m.latency?.medianSeconds === 'number' && typeof m.runtime?.threads === 'number';
    if (!ok) throw new UsageError(`--from ${path}: entry ${i} is not a measurement of netcost measure --json (version 1)`);
  }
  return { ms: list as Measurement[], host };
}

/** The config with `t` in its "targets" (the entry of the same id replaced, else appended); every other key kept. */
export function withTarget(configText: string | null, t: Target, path: string): string {
  let config: Record<string, unknown> = {};
  if (configText !== null) {
    try {
      config = JSON.parse(configText);
    } catch (e) {
      throw new UsageError(`${path}: ${(e as Error).message.split('\n')[0]} (not overwritten)`);
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new UsageError(`${path}: expected a JSON object (not overwritten)`);
    if (config.targets !== undefined && !Array.isArray(config.targets)) throw new UsageError(`${path}: "targets" is not an array (not overwritten)`);
  }
  const entry = { ...t } as Partial<Target>;
  delete entry.user;
  const targets = [...((config.targets as unknown[] | undefined) ?? [])];
  const at = targets.findIndex((x) => typeof x === 'object' && x !== null && (x as { id?: unknown }).id === t.id);
  if (at >= 0) targets[at] = entry;
  else targets.push(entry);
  return JSON.stringify({ ...config, targets }, null, 2) + '\n';
}

const rate = (x: number, unit: string) => `${(x / 1e9).toPrecision(4)} G${unit}/s`;

function targetText(t: Target): string {
  const lines = [
    `target ${t.id}: ${t.name}`,
    `  peak fp32        ${rate(t.peak.fp32!, 'FLOP')}`,
    `  bandwidth        ${rate(t.bandwidth, 'B')}`,
    `  launch overhead  ${formatSeconds(t.launchOverhead)}`,
    '  efficiency       (fraction of the peak each op class computes at)',
  ];
  for (const [k, v] of Object.entries(t.efficiency ?? {})) lines.push(`    ${k.padEnd(14)} ${v}`);
  return lines.join('\n') + '\n';
}

function looText(rows: LeaveOneOutRow[], a: ReturnType<typeof accuracy>, base: Target): string {
  const w = Math.max(7, ...rows.map((r) => r.file.length));
  const lines = [`leave-one-out (each model predicted by a target fitted on the others; before: ${base.id}):`,
    `  ${'network'.padEnd(w)}  ${'measured'.padStart(9)}  ${'before'.padStart(9)}  ${'error'.padStart(7)}  ${'after'.padStart(9)}  ${'error'.padStart(7)}`];
  for (const r of rows) {
    lines.push(`  ${r.file.padEnd(w)}  ${formatSeconds(r.measuredSeconds).padStart(9)}  ${formatSeconds(r.beforeSeconds).padStart(9)}  ${percentText(relError(r.beforeSeconds, r.measuredSeconds)).padStart(7)}  ${formatSeconds(r.afterSeconds).padStart(9)}  ${percentText(relError(r.afterSeconds, r.measuredSeconds)).padStart(7)}`);
  }
  lines.push(`  median absolute error: ${(a.before.medianAbsError * 100).toFixed(1)}% before, ${(a.after.medianAbsError * 100).toFixed(1)}% after`);
  lines.push(`  worst factor: ${a.before.worstFactor.toFixed(2)}x before, ${a.after.worstFactor.toFixed(2)}x after`);
  return lines.join('\n') + '\n';
}

/** `argv` without the leading `calibrate`. */
export async function calibrateMain(argv: string[], io: Io): Promise<number> {
  let o;
  try {
    o = options(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`netcost calibrate: ${e.message}\n${CALIBRATE_USAGE.split('\n')[0]}\n`);
    return 2;
  }
  if (o.help) { io.out(CALIBRATE_USAGE + '\n'); return 0; }
  try {
    if (!o.files.length && !o.from.length) throw new UsageError('expected at least one FILE to measure, or --from FILE.json');
    const ms: Measurement[] = [];
    let savedHost: Target | undefined;
    for (const f of o.from) {
      const got = loadMeasurements(f);
      ms.push(...got.ms);
      savedHost ??= got.host;
    }
    for (const [i, file] of o.files.entries()) {
      if (!o.json) io.err(`measuring ${file} (${i + 1}/${o.files.length}) ...\n`);
      // the estimate that splits fused kernels among their layers: host-cpu, whatever local-cpu says now
      ms.push(await measureFile(file, { runs: o.runs, warmup: o.warmup, threads: o.threads, target: 'host-cpu' }));
    }
    const threads = new Set(ms.map((m) => m.runtime.threads));
    if (threads.size > 1) throw new UsageError(`the measurements ran with different thread counts (${[...threads].join(', ')}): a target holds for one`);
    // the base: host-cpu at the threads measured, as saved with the measurements when they come from a file
    const base = savedHost ?? hostCpu(ms[0].runtime.threads);
    if (o.save) {
      const saved: SavedMeasurements = { version: 1, host: base, measurements: ms };
      writeFileSync(o.save, JSON.stringify(saved, null, 2) + '\n');
      if (!o.json) io.err(`saved ${ms.length} measurement${ms.length === 1 ? '' : 's'} to ${o.save}\n`);
    }
    const rows = ms.length >= 2 ? leaveOneOut(ms, base) : null;
    const acc = rows && accuracy(rows);
    const t = fitTarget(ms, base, { id: o.name });
    if (acc) t.calibration!.leaveOneOut = { ...acc.after };
    if (o.json) io.out(JSON.stringify({ target: t, base, leaveOneOut: rows, accuracy: acc, table: rows ? accuracyTable(rows) : null }, null, 2) + '\n');
    else {
      io.out(targetText(t));
      io.out(rows && acc ? looText(rows, acc, base) : 'leave-one-out needs at least 2 models: fitted on 1, not checked\n');
    }
    if (!o.dryRun) {
      const text = withTarget(existsSync(o.config) ? readFileSync(o.config, 'utf8') : null, t, o.config);
      writeFileSync(o.config, text);
      (o.json ? io.err : io.out)(`saved target ${t.id} to ${o.config} (use it with --target ${t.id}; --dry-run writes nothing)\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) { io.err(`netcost calibrate: ${e.message}\n`); return 2; }
    if (e instanceof MeasureError) { io.err(`netcost calibrate: ${e.message}\n`); return e.exitCode === 4 ? 1 : e.exitCode; }
    if ((e as NodeJS.ErrnoException).code && (e as NodeJS.ErrnoException).syscall) { io.err(`netcost calibrate: ${(e as Error).message}\n`); return 2; }
    throw e;
  }
}
