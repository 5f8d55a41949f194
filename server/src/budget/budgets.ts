// Budgets (issue 9): `macs=600M`, `weights=20MB`, `latency@t4=2ms` — a limit on one figure of a network,
// given with `--budget NAME=VALUE` or as `"budgets": { "macs": "600M" }` in the project's netcost.json.
// Parsing, the project-file section, evaluation against an Analysis (each budget: its value, whether it is
// exceeded, the 3 layers contributing most) and the editor's `budget-exceeded` diagnostics. Pure.
import { DTYPE_BYTES, type Analysis, type Diagnostic, type FlopsConvention, type Layer } from '../analysis/analyze';
import { estimate, launches } from '../hardware/roofline';
import { peakMemory } from '../hardware/memory';
import { findTarget, type Target } from '../hardware/targets';
import { grouped, human, humanBytes } from '../ide/units';
import { timeText } from '../ide/hardware-units';

export const BUDGET_FIGURES = ['params', 'macs', 'flops', 'weights', 'activations', 'memory', 'latency@TARGET'] as const;
export type FigureKind = 'params' | 'macs' | 'flops' | 'weights' | 'activations' | 'memory' | 'latency';
export type BudgetUnit = 'count' | 'bytes' | 'seconds';

const UNIT_OF: Record<FigureKind, BudgetUnit> = {
  params: 'count', macs: 'count', flops: 'count', weights: 'bytes', activations: 'bytes', memory: 'bytes', latency: 'seconds',
};
const COUNT: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9 };
const BYTES: Record<string, number> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 };
const SECONDS: Record<string, number> = { s: 1, ms: 1e-3, us: 1e-6 };
const SUFFIXES: Record<BudgetUnit, Record<string, number>> = { count: COUNT, bytes: BYTES, seconds: SECONDS };
export const UNITS_HELP = 'counts (params, macs, flops) take K/M/G (10^3, 10^6, 10^9); bytes (weights, activations, memory) take B, KB/MB/GB (10^3..) or KiB/MiB/GiB (2^10..); latency@TARGET takes s, ms or us';
const FIGURES_HELP = `figures: ${BUDGET_FIGURES.join(', ')}`;

export interface Budget {
  /** `macs`, `latency@t4`: the key budgets are merged by */
  figure: string;
  kind: FigureKind;
  /** the target id of a latency budget */
  target?: string;
  /** bytes, a count, or seconds */
  limit: number;
  unit: BudgetUnit;
  /** the value as written: `600M` */
  text: string;
}

/** `figure` (`macs`, `latency@t4`) and `value` (`600M`, `2ms`, or a number) as a Budget, or an error message. */
export function parseBudgetEntry(figure: string, value: unknown): Budget | string {
  const m = /^(params|macs|flops|weights|activations|memory|latency)(?:@(.*))?$/.exec(figure.trim());
  if (!m) return `unknown budget figure '${figure}' (${FIGURES_HELP})`;
  const kind = m[1] as FigureKind;
  if (kind === 'latency' && !m[2]) return `latency needs a target: latency@TARGET, e.g. latency@t4=2ms`;
  if (kind !== 'latency' && m[2] !== undefined) return `'${figure}': only latency takes @TARGET`;
  const unit = UNIT_OF[kind];
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const v = /^(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]*)$/.exec(text);
  const mult = v ? SUFFIXES[unit][v[2]] : undefined;
  if (!v || mult === undefined || (unit === 'seconds' && v[2] === '')) return `'${figure}=${text}': bad value (${UNITS_HELP})`;
  const n = Number(v[1]) * mult;
  const limit = unit === 'seconds' ? n : Math.round(n);
  if (!Number.isFinite(limit) || (unit !== 'seconds' && !Number.isSafeInteger(limit))) return `'${figure}=${text}': value out of range`;
  const canonical = kind === 'latency' ? `latency@${m[2]}` : kind;
  return { figure: canonical, kind, target: kind === 'latency' ? m[2] : undefined, limit, unit, text };
}

/** `--budget NAME=VALUE` as a Budget, or an error message naming the allowed figures and units. */
export function parseBudget(spec: string): Budget | string {
  const i = spec.indexOf('=');
  if (i < 0) return `expected NAME=VALUE, got '${spec}' (${FIGURES_HELP}; ${UNITS_HELP})`;
  return parseBudgetEntry(spec.slice(0, i), spec.slice(i + 1));
}

/** The `budgets` object of a project configuration (`{ "macs": "600M", "latency@t4": "2ms" }`): budgets and one error per bad entry. */
export function parseBudgetsConfig(raw: unknown): { budgets: Budget[]; errors: string[] } {
  if (raw === undefined || raw === null) return { budgets: [], errors: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { budgets: [], errors: ['"budgets": expected an object such as { "macs": "600M" }'] };
  const budgets: Budget[] = [];
  const errors: string[] = [];
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const b = parseBudgetEntry(k, v);
    if (typeof b === 'string') errors.push(`"budgets": ${b}`);
    else budgets.push(b);
  }
  return { budgets, errors };
}

/** The file's budgets with `over`'s replacing those of the same figure (the CLI's flags override netcost.json's). */
export function mergeBudgets(base: Budget[], over: Budget[]): Budget[] {
  const by = new Map<string, Budget>();
  for (const b of [...base, ...over]) by.set(b.figure, b);
  return [...by.values()];
}

export interface Contributor { name: string; value: number }
export interface BudgetResult {
  figure: string;
  unit: BudgetUnit;
  /** the limit (bytes, count or seconds) */
  budget: number;
  budgetText: string;
  value: number;
  exceeded: boolean;
  /** the (up to) 3 layers contributing most, largest first (activations: the tensors alive at the peak) */
  top: Contributor[];
}

/** A figure for display: `4.09G`, `102 MB`, `1.23 ms`. */
export function budgetValueText(unit: BudgetUnit, v: number): string {
  return unit === 'bytes' ? humanBytes(v) : unit === 'seconds' ? timeText(v) : human(v);
}
/** The exact figure: `4,089,184,256`, `20,000,000 bytes`, `2.000 ms` */
function exactText(unit: BudgetUnit, v: number): string {
  return unit === 'bytes' ? `${grouped(v)} bytes` : unit === 'seconds' ? `${(v * 1e3).toFixed(3)} ms` : grouped(v);
}

const topOf = (items: Contributor[]): Contributor[] =>
  items.filter((c) => c.value > 0).sort((x, y) => y.value - x.value || (x.name < y.name ? -1 : 1)).slice(0, 3);

export interface EvaluateOptions { flops: FlopsConvention; userTargets?: Target[] }

/** Unknown targets of latency budgets (the CLI exits 2 naming them; the editor skips those budgets). */
export const unknownTargets = (budgets: Budget[], user: Target[] = []): string[] =>
  budgets.filter((b) => b.kind === 'latency' && !findTarget(b.target!, user)).map((b) => b.target!);

/** Each budget against the analysis, in the order given; a latency budget on an unknown target is left out. */
export function evaluateBudgets(a: Analysis, budgets: Budget[], o: EvaluateOptions): BudgetResult[] {
  const out: BudgetResult[] = [];
  const per = (f: (l: Layer) => number) => a.layers.map((l) => ({ name: l.name, value: f(l) }));
  for (const b of budgets) {
    let value: number;
    let items: Contributor[];
    switch (b.kind) {
      case 'params': value = a.totals.params; items = per((l) => l.params); break;
      case 'macs': value = a.totals.macs; items = per((l) => l.macs); break;
      case 'flops': value = a.totals.flops[o.flops]; items = per((l) => l.flops[o.flops]); break;
      case 'weights': value = a.totals.weightBytes; items = per((l) => l.weightBytes); break;
      case 'memory': value = a.totals.memoryBytes; items = per((l) => l.memoryBytes); break;
      case 'activations': {
        const m = peakMemory(a);
        value = m.peakBytes;
        items = m.live.map((name) => ({ name, value: tensorBytes(a, name) }));
        break;
      }
      case 'latency': {
        const t = findTarget(b.target!, o.userTargets ?? []);
        if (!t) continue;
        const e = estimate(a, t);
        value = e.seconds;
        items = a.layers.map((l, i) => ({ name: l.name, value: e.layers[i].seconds + (launches(l) ? t.launchOverhead : 0) }));
        break;
      }
    }
    out.push({ figure: b.figure, unit: b.unit, budget: b.limit, budgetText: b.text, value, exceeded: value > b.limit, top: topOf(items) });
  }
  return out;
}

/** The bytes of one tensor alive at the peak (hardware/memory.ts's rules): a network input or a layer's output. */
function tensorBytes(a: Analysis, name: string): number {
  const l = a.layers.find((x) => x.name === name) as (Layer & { writtenBytes?: number }) | undefined;
  if (l) return a.onnx ? l.writtenBytes ?? 0 : l.activations * DTYPE_BYTES[a.settings.dtype];
  const x = a.inputs.find((i) => i.name === name);
  if (!x || a.onnx) return 0; // ONNX inputs: their dtype is the reader's business; they rank last
  return x.shape.reduce((p, d) => p * d, 1) * a.settings.batch * DTYPE_BYTES[a.settings.dtype];
}

/** `budget exceeded: macs 4,089,184,256 > 4,000,000,000 (4.09G > 4G, budget 4G); most from: fc (…), …` */
export function budgetMessage(r: BudgetResult): string {
  const top = r.top.map((c) => `${c.name} (${budgetValueText(r.unit, c.value)})`).join(', ');
  return `budget exceeded: ${r.figure} ${exactText(r.unit, r.value)} > ${exactText(r.unit, r.budget)} ` +
    `(${budgetValueText(r.unit, r.value)} > budget ${r.budgetText})${top ? `; most from: ${top}` : ''}`;
}

/** The JSON `budgets` entry. */
export const budgetJson = (r: BudgetResult) => ({ figure: r.figure, budget: r.budget, value: r.value, exceeded: r.exceeded, top: r.top });

/** One `budget-exceeded` warning per exceeded budget, on the network's first input line (line 1 without inputs). */
export function budgetDiagnostics(a: Analysis, results: BudgetResult[], lineText = ''): Diagnostic[] {
  const range = a.inputs[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: lineText.length } };
  return results.filter((r) => r.exceeded).map((r) => ({ range, severity: 'warning' as const, code: 'budget-exceeded', message: `${budgetMessage(r)} (budgets: netcost.json)` }));
}

/** The short label of a figure in the status bar: `MACs`, `T4 latency`. */
export function budgetLabel(figure: string): string {
  const names: Record<string, string> = { params: 'params', macs: 'MACs', flops: 'FLOPs', weights: 'weights', activations: 'activations', memory: 'memory' };
  return names[figure] ?? figure.replace(/^latency@(.*)$/, 'latency@$1');
}

/** The settings carry the project's budgets (ide/settings.ts EditorSettings.budgets); the LSP server adds them per document. */
export function withProjectBudgets<S extends object>(s: S, project: { raw: Record<string, unknown> | null } | null): S & { budgets?: Budget[] } {
  const raw = project?.raw?.budgets;
  if (raw === undefined) return s;
  return { ...s, budgets: parseBudgetsConfig(raw).budgets };
}

const editorCache = new WeakMap<Analysis, { budgets: Budget[]; results: BudgetResult[] }>();
/** The editor's budgets (settings.budgets, from netcost.json) on a document's analysis, once per analysis and budgets. */
export function editorBudgets(a: Analysis, s: { budgets?: Budget[]; flopsConvention: FlopsConvention; userTargets: Target[] }): BudgetResult[] {
  if (!s.budgets?.length) return [];
  const known = editorCache.get(a);
  if (known && known.budgets === s.budgets) return known.results;
  const results = evaluateBudgets(a, s.budgets, { flops: s.flopsConvention, userTargets: s.userTargets });
  editorCache.set(a, { budgets: s.budgets, results });
  return results;
}
