// Scaling formulas (issue 9): a network's totals as exact polynomials of its top-level variables or the
// batch. The engine is evaluated at integer points, the Vandermonde system is solved exactly (Newton's
// divided differences over BigInt rationals, one axis at a time for several variables: a tensor product
// of monomials up to the degree bound), and the result is verified at fresh points not used to fit it.
// Strided sizes floor (floor(res / 2^k)), so a cost is often not a polynomial over all values: then the
// smallest lattice VAR = m*q on which it is one is searched and reported as such, honestly. Pure.
import { analyze, CostCache, Evaluator, type Analysis, type FlopsConvention, type Settings } from '../analysis/analyze';
import type { ParsedFile } from '../syntax/ast';

// ---- exact rationals
export interface Rat { n: bigint; d: bigint }
const gcd = (a: bigint, b: bigint): bigint => { a = a < 0n ? -a : a; b = b < 0n ? -b : b; while (b) [a, b] = [b, a % b]; return a; };
export function rat(n: bigint, d = 1n): Rat {
  if (d < 0n) { n = -n; d = -d; }
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}
const ZERO = rat(0n);
const add = (a: Rat, b: Rat) => rat(a.n * b.d + b.n * a.d, a.d * b.d);
const sub = (a: Rat, b: Rat) => rat(a.n * b.d - b.n * a.d, a.d * b.d);
const mul = (a: Rat, b: Rat) => rat(a.n * b.n, a.d * b.d);
const div = (a: Rat, b: Rat) => rat(a.n * b.d, a.d * b.n);
const eq = (a: Rat, b: Rat) => a.n === b.n && a.d === b.d;
const pow = (a: Rat, e: number) => { let r = rat(1n); for (let i = 0; i < e; i++) r = mul(r, a); return r; };

/** Monomial coefficients (low to high) of the polynomial through (xs[i], ys[i]): Newton's divided differences, exact. */
export function interpolate(xs: Rat[], ys: Rat[]): Rat[] {
  const n = xs.length;
  const dd = ys.slice();
  for (let j = 1; j < n; j++) for (let i = n - 1; i >= j; i--) dd[i] = div(sub(dd[i], dd[i - 1]), sub(xs[i], xs[i - j]));
  let c: Rat[] = [dd[n - 1]];
  for (let i = n - 2; i >= 0; i--) {
    const next: Rat[] = new Array(c.length + 1).fill(ZERO);
    for (let k = 0; k < c.length; k++) { next[k + 1] = add(next[k + 1], c[k]); next[k] = sub(next[k], mul(c[k], xs[i])); }
    next[0] = add(next[0], dd[i]);
    c = next;
  }
  return c;
}

// ---- polynomials in several variables
export interface Term { coef: Rat; exps: number[] }
export interface Poly { vars: string[]; terms: Term[] }

export function evalPoly(p: Poly, at: number[]): Rat {
  let s = ZERO;
  for (const t of p.terms) {
    let v = t.coef;
    t.exps.forEach((e, i) => { v = mul(v, pow(rat(BigInt(at[i])), e)); });
    s = add(s, v);
  }
  return s;
}

export const degree = (p: Poly) => Math.max(0, ...p.terms.map((t) => t.exps.reduce((a, b) => a + b, 0)));

const groupedBig = (v: bigint) => (v < 0n ? '-' : '') + (v < 0n ? -v : v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
export const ratText = (r: Rat) => (r.d === 1n ? groupedBig(r.n) : `${groupedBig(r.n)}/${groupedBig(r.d)}`);

/** `3,840*resolution^2 + 12,288*resolution + 1,000` (grouped digits; `plain`: `3840*resolution^2 + ...`) */
export function polyText(p: Poly, plain = false): string {
  if (!p.terms.length) return '0';
  const num = (r: Rat) => (plain ? (r.d === 1n ? r.n.toString() : `${r.n}/${r.d}`) : ratText(r));
  return p.terms.map((t, i) => {
    const mono = t.exps.map((e, k) => (e === 0 ? '' : e === 1 ? p.vars[k] : `${p.vars[k]}^${e}`)).filter(Boolean).join('*');
    const neg = t.coef.n < 0n;
    const abs = rat(neg ? -t.coef.n : t.coef.n, t.coef.d);
    const body = mono ? (eq(abs, rat(1n)) ? mono : `${num(abs)}*${mono}`) : num(abs);
    return i === 0 ? (neg ? '-' : '') + body : `${neg ? ' - ' : ' + '}${body}`;
  }).join('');
}

// ---- fitting
export type FigureName = 'params' | 'macs' | 'flops' | 'memory';
export const FIGURES: FigureName[] = ['params', 'macs', 'flops', 'memory'];
export const FIGURE_LABEL: Record<FigureName, string> = { params: 'params', macs: 'MACs', flops: 'FLOPs', memory: 'memory' };
export type Sample = Record<FigureName, number>;
/** the totals at a point (variable -> value), or null where the network is not valid there */
export type Evaluate = (point: Record<string, number>) => Sample | null;

export interface FigureFormula {
  figure: FigureName;
  label: string;
  /** `polynomial`: one polynomial for all whole values; `lattice`: a polynomial valid on the lattice only; `none`: no fit */
  kind: 'polynomial' | 'lattice' | 'none';
  poly: Poly | null;
  /** per variable, the step q of the lattice VAR = m*q where the polynomial holds (1: all whole values) */
  lattice: Record<string, number>;
  /** `MACs = ...` with grouped digits, and the validity in words */
  text: string;
  note: string;
  /** the fresh points (not used to fit) at which the polynomial was checked against the engine */
  verifiedAt: Record<string, number>[];
}

export interface FormulaReport { variables: string[]; base: Record<string, number>; degreeBound: number; figures: FigureFormula[] }

export interface FitOptions { maxDegree?: number; figures?: FigureName[]; maxStep?: number }

/** q candidates for a variable of value `base`: its divisors and the powers of 2, ascending, up to maxStep */
function steps(base: number, maxStep: number): number[] {
  const b = Math.max(1, Math.round(base));
  const s = new Set<number>();
  for (let q = 1; q <= maxStep; q *= 2) s.add(q);
  for (let q = 1; q <= Math.min(maxStep, b); q++) if (b % q === 0) s.add(q);
  return [...s].sort((x, y) => x - y);
}

const FRESH = [1, 2, 4, 9, 16, 31, 46, 67];

export function fitFormulas(vars: string[], base: Record<string, number>, evaluate: Evaluate, opts: FitOptions = {}): FormulaReport {
  const D = opts.maxDegree ?? 4;
  const figures = opts.figures ?? FIGURES;
  const cache = new Map<string, Sample | null>();
  const at = (point: Record<string, number>): Sample | null => {
    const key = vars.map((v) => point[v]).join(',');
    if (!cache.has(key)) {
      const s = evaluate({ ...point });
      cache.set(key, s && figures.every((f) => Number.isSafeInteger(s[f])) ? s : null);
    }
    return cache.get(key)!;
  };
  const start = (v: string, q: number) => Math.max(1, Math.round(base[v] / q));

  /** Fit figure `f` on the grid m0..m0+D per variable (steps qs), verify at fresh points; null when it fails. */
  const fit = (f: FigureName, qs: number[], only?: number): { poly: Poly; verified: Record<string, number>[] } | null => {
    const axes = vars.map((_, i) => (only === undefined || only === i ? D + 1 : 1));
    const m0 = vars.map((v, i) => start(v, qs[i]));
    const point = (ms: number[]) => Object.fromEntries(vars.map((v, i) => [v, only !== undefined && only !== i ? base[v] : ms[i] * qs[i]]));
    const total = axes.reduce((a, b) => a * b, 1);
    const vals: Rat[] = [];
    for (let flat = 0; flat < total; flat++) {
      const ms: number[] = [];
      let r = flat;
      for (let i = vars.length - 1; i >= 0; i--) { ms[i] = m0[i] + (r % axes[i]); r = Math.floor(r / axes[i]); }
      const s = at(point(ms));
      if (!s) return null;
      vals[flat] = rat(BigInt(s[f]));
    }
    // one axis at a time: each line along the axis becomes its monomial coefficients
    let stride = 1;
    for (let i = vars.length - 1; i >= 0; i--) {
      const n = axes[i];
      if (n > 1) {
        const xs = Array.from({ length: n }, (_, k) => rat(BigInt((m0[i] + k) * qs[i])));
        for (let flat = 0; flat < total; flat++) {
          if (Math.floor(flat / stride) % n !== 0) continue;
          const idx = Array.from({ length: n }, (_, k) => flat + k * stride);
          const c = interpolate(xs, idx.map((j) => vals[j]));
          idx.forEach((j, k) => { vals[j] = c[k]; });
        }
      }
      stride *= n;
    }
    const terms: Term[] = [];
    for (let flat = 0; flat < total; flat++) {
      if (vals[flat].n === 0n) continue;
      const exps: number[] = [];
      let r = flat;
      for (let i = vars.length - 1; i >= 0; i--) { exps[i] = r % axes[i]; r = Math.floor(r / axes[i]); }
      terms.push({ coef: vals[flat], exps });
    }
    const sum = (e: number[]) => e.reduce((a, b) => a + b, 0);
    terms.sort((a, b) => sum(b.exps) - sum(a.exps) || b.exps.join(',').localeCompare(a.exps.join(',')));
    const poly: Poly = { vars, terms };
    // verification at fresh points: beyond the grid (each variable at a different offset) and below it
    const verified: Record<string, number>[] = [];
    const fresh = FRESH.map((_, j) => vars.map((_v, i) => (only !== undefined && only !== i ? null : m0[i] + D + FRESH[(j + i) % FRESH.length])));
    if (only !== undefined || vars.length === 1) for (const o of [1, 3]) if (m0[only ?? 0] - o >= 1) fresh.push(vars.map((_, i) => (i === (only ?? 0) ? m0[i] - o : null)));
    for (const ms of fresh) {
      const p = Object.fromEntries(vars.map((v, i) => [v, ms[i] === null ? base[v] : ms[i]! * qs[i]]));
      const s = at(p);
      if (!s) continue;
      if (!eq(evalPoly(poly, vars.map((v) => p[v])), rat(BigInt(s[f])))) return null;
      verified.push(p);
    }
    return verified.length >= 3 ? { poly, verified } : null;
  };

  // per figure and variable, the smallest step q on which it is a polynomial (other variables at their values)
  const q: Record<FigureName, (number | null)[]> = { params: [], macs: [], flops: [], memory: [] };
  vars.forEach((v, i) => {
    const left = new Set(figures);
    for (const step of steps(base[v], opts.maxStep ?? 128)) {
      if (!left.size) break;
      const qs = vars.map((_, k) => (k === i ? step : 1));
      for (const f of [...left]) if (fit(f, qs, i)) { q[f][i] = step; left.delete(f); }
    }
    for (const f of left) q[f][i] = null;
  });

  const out: FigureFormula[] = figures.map((f) => {
    const label = FIGURE_LABEL[f];
    const qs = q[f];
    const none = (why: string): FigureFormula => ({ figure: f, label, kind: 'none', poly: null, lattice: {}, verifiedAt: [], note: why, text: `${label}: ${why}` });
    const bad = vars.filter((_, i) => qs[i] === null);
    if (bad.length) return none(`not a polynomial of degree <= ${D} in ${bad.join(', ')}, not even on multiples of a step up to ${opts.maxStep ?? 128} (verified at fresh points)`);
    const r = vars.length === 1 ? fit(f, qs as number[], 0) : fit(f, qs as number[]);
    if (!r) return none(`no polynomial of degree <= ${D} per variable in ${vars.join(', ')} holds at the fresh points`);
    const lattice = Object.fromEntries(vars.map((v, i) => [v, qs[i]!]));
    const strided = vars.filter((_, i) => qs[i]! > 1);
    const note = strided.length
      ? `exact only for ${strided.map((v) => `${v} a multiple of ${lattice[v]}`).join(' and ')}: not a polynomial in ${strided.join(', ')} over all values ` +
        `(strided sizes floor, so between multiples the figure is piecewise and this is an approximation)`
      : `exact: a polynomial in ${vars.join(', ')} (verified at ${r.verified.length} fresh points)`;
    return { figure: f, label, kind: strided.length ? 'lattice' : 'polynomial', poly: r.poly, lattice, verifiedAt: r.verified, note, text: `${label} = ${polyText(r.poly)}` };
  });
  return { variables: vars, base, degreeBound: D, figures: out };
}

// ---- the .net engine as an Evaluate

/** Errors that make a point invalid: any but a shape assertion written for the file's own values. */
const valid = (a: Analysis) => !a.diagnostics.some((d) => d.severity === 'error' && d.code !== 'shape-assertion');

const sample = (a: Analysis, flops: FlopsConvention): Sample =>
  ({ params: a.totals.params, macs: a.totals.macs, flops: a.totals.flops[flops], memory: a.totals.memoryBytes });

/** `batch` is the analysis batch; any other name overrides the top-level variable. */
export function netEvaluator(source: string | ParsedFile, settings: Settings, flops: FlopsConvention = '2macs'): Evaluate {
  const cache = new CostCache();
  return (point) => {
    const { batch, ...vars } = point;
    const s: Settings = { ...settings, batch: batch ?? settings.batch, overrides: { ...settings.overrides, ...vars } };
    const a = typeof source === 'string' ? analyze(source, s, cache) : new Evaluator(source, s, cache).run();
    return valid(a) ? sample(a, flops) : null;
  };
}

/** The current values of `vars` in an analysis (`batch` included); a string is the error for a usage message. */
export function baseValues(a: Analysis, vars: string[]): Record<string, number> | string {
  const base: Record<string, number> = {};
  for (const v of vars) {
    if (v === 'batch') { base[v] = a.settings.batch; continue; }
    const x = a.variables.find((w) => w.name === v);
    if (!x) return `no top-level variable \`${v}\` (its variables: ${a.variables.map((w) => w.name).join(', ') || 'none'}; or \`batch\`)`;
    if (typeof x.value !== 'number') return `\`${v}\` is not a number`;
    base[v] = x.value;
  }
  return base;
}

/** The formulas of a .net text's totals in `vars`. */
export function netFormulas(text: string, a: Analysis, vars: string[], flops: FlopsConvention = '2macs', opts: FitOptions = {}): FormulaReport | string {
  const base = baseValues(a, vars);
  if (typeof base === 'string') return base;
  if (!valid(a)) return 'the file has errors: no formula is fitted';
  return fitFormulas(vars, base, netEvaluator(text, a.settings, flops), opts);
}

/** Plain text for the CLI: one line per figure, then its validity. */
export function formulasText(r: FormulaReport): string {
  const lines = [`Scaling formulas in ${r.variables.join(', ')} (fitted exactly from the engine, degree <= ${r.degreeBound} per variable, verified at fresh points):`];
  for (const f of r.figures) lines.push(`  ${f.text}`, `      ${f.kind === 'none' ? 'no formula' : f.note}`);
  return lines.join('\n') + '\n';
}

/** The `formulas` object of `--json`: coefficients as exact strings (`"3840"`, `"9/256"`). */
export function formulasJson(r: FormulaReport) {
  return {
    variables: r.variables,
    at: r.base,
    degreeBound: r.degreeBound,
    figures: Object.fromEntries(r.figures.map((f) => [f.figure, {
      formula: f.poly ? polyText(f.poly, true) : null,
      polynomial: f.kind === 'polynomial',
      lattice: f.lattice,
      terms: f.poly ? f.poly.terms.map((t) => ({ coefficient: t.coef.d === 1n ? t.coef.n.toString() : `${t.coef.n}/${t.coef.d}`, powers: Object.fromEntries(t.exps.map((e, i) => [r.variables[i], e]).filter(([, e]) => e)) })) : [],
      note: f.note,
      verifiedAt: f.verifiedAt,
    }])),
  };
}

// ---- the hover: MACs in the file's size variable, computed on hover and remembered per analysis
export const HOVER_VARIABLES = ['resolution', 'tokens', 'seq'];
const hoverMemo = new WeakMap<Analysis, string | null>();

export function hoverFormula(a: Analysis, flops: FlopsConvention = '2macs'): string | null {
  if (hoverMemo.has(a)) return hoverMemo.get(a)!;
  let md: string | null = null;
  const v = a.onnx ? undefined : a.variables.find((x) => HOVER_VARIABLES.includes(x.name) && typeof x.value === 'number');
  if (v && valid(a)) {
    const r = fitFormulas([v.name], { [v.name]: v.value as number }, netEvaluator(a.syntax, a.settings, flops), { figures: ['macs'] });
    const f = r.figures[0];
    md = f.kind === 'none' ? `**scaling** MACs in \`${v.name}\`: ${f.note}` : `**scaling** \`${f.text}\`\n\n${f.note}`;
  }
  hoverMemo.set(a, md);
  return md;
}

/** `netcost FILE --formula VAR ...`: a usage error (unknown variable), or the text and the JSON `formulas` object. */
export function cliFormulas(text: string, a: Analysis, vars: string[], flops: FlopsConvention): { usage?: string; text: string; json: unknown } {
  const names = [...new Set(vars)];
  if (names.length > 3) return { usage: '--formula: at most 3 variables', text: '', json: null };
  const base = baseValues(a, names);
  if (typeof base === 'string') return { usage: `--formula: ${base}`, text: '', json: null };
  const r = netFormulas(text, a, names, flops);
  if (typeof r === 'string') return { text: `Scaling formulas: ${r}\n`, json: { variables: names, error: r } };
  return { text: formulasText(r), json: formulasJson(r) };
}
