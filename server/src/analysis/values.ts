// Values of `.net` expressions and their evaluation: numbers, words (`same`, `bilinear`) and tuples
// (`3 x 224 x 224`). Pure: errors are thrown as AnalysisError and turned into diagnostics by the caller.
import type { Expr, Ident } from '../syntax/ast';
import type { Range } from '../syntax/lexer';

export type Value = number | string | number[];

export class AnalysisError extends Error {
  constructor(readonly code: string, message: string, readonly range: Range | null = null) { super(message); }
}

export interface FunctionDef { params: Ident[]; body: Expr; env: Env }

/** Undoable writes: the evaluator rolls the top-level state back to an earlier statement and resumes.
 *  The log is three parallel arrays (container, key, old value), not closures: it grows on every layer. */
const ABSENT = Symbol('absent');
export class Trail {
  private readonly where: (Map<unknown, unknown> | Set<unknown>)[] = [];
  private readonly keys: unknown[] = [];
  private readonly olds: unknown[] = [];
  get length() { return this.where.length; }
  set<K, V>(m: Map<K, V>, k: K, v: V) {
    this.where.push(m as Map<unknown, unknown>);
    this.keys.push(k);
    this.olds.push(m.has(k) ? m.get(k) : ABSENT);
    m.set(k, v);
  }
  add<T>(s: Set<T>, v: T) {
    if (s.has(v)) return;
    this.where.push(s as Set<unknown>);
    this.keys.push(v);
    this.olds.push(ABSENT);
    s.add(v);
  }
  undo(to: number) {
    for (let i = this.where.length - 1; i >= to; i--) {
      const w = this.where[i];
      const old = this.olds[i];
      if (w instanceof Set) w.delete(this.keys[i]);
      else if (old === ABSENT) w.delete(this.keys[i]);
      else w.set(this.keys[i], old);
    }
    this.where.length = this.keys.length = this.olds.length = to;
  }
}

/** A lexical environment: variables and functions, chained to its parent. */
export class Env {
  private readonly vars = new Map<string, Value>();
  private readonly fns = new Map<string, FunctionDef>();
  /** set on the file's root environment, whose writes must be undoable */
  trail: Trail | null = null;
  constructor(readonly parent: Env | null = null, readonly layerDim?: (name: string, range: Range, axis: number) => number) {}
  setVar(name: string, v: Value) { if (this.trail) this.trail.set(this.vars, name, v); else this.vars.set(name, v); }
  setFn(name: string, f: FunctionDef) { this.fns.set(name, f); }
  getVar(name: string): Value | undefined { return this.vars.get(name) ?? this.parent?.getVar(name); }
  getFn(name: string): FunctionDef | undefined { return this.fns.get(name) ?? this.parent?.getFn(name); }
  dimOf(name: string, range: Range, axis: number): number {
    for (let e: Env | null = this; e; e = e.parent) if (e.layerDim) return e.layerDim(name, range, axis);
    throw new AnalysisError('unknown-name', `\`dim\` needs a layer name; none is visible here`, range);
  }
}

export const fmtValue = (v: Value): string => (Array.isArray(v) ? v.join(' x ') : String(v));

/** Digits grouped by thousands: 924844032 -> "924,844,032". */
export function grouped(n: number): string {
  // not toLocaleString: its first call loads the ICU locale data, 16 ms of a CLI run
  if (!Number.isFinite(n)) return String(n);
  const [int, frac] = String(Math.abs(n)).split('.');
  const digits = int.includes('e') ? int : int.replace(/\B(?=(\d{3})+$)/g, ',');
  return `${n < 0 ? '-' : ''}${digits}${frac === undefined ? '' : `.${frac}`}`;
}

/** The MobileNet `_make_divisible`: nearest multiple of d, at least d, never more than 10% below v. */
export function makeDivisible(v: number, d = 8): number {
  const n = Math.max(d, Math.floor(v + d / 2) - (Math.floor(v + d / 2) % d));
  return n < 0.9 * v ? n + d : n;
}

const BUILTINS: Record<string, { arity: [number, number]; signature: string; doc: string; fn: (a: number[]) => number }> = {
  make_divisible: { arity: [1, 2], signature: 'make_divisible(v, d=8)', doc: 'nearest multiple of `d`, at least `d`, never more than 10 % below `v` (the MobileNet helper)', fn: (a) => makeDivisible(a[0], a[1] ?? 8) },
  round8: { arity: [1, 1], signature: 'round8(v)', doc: '`make_divisible(v, 8)`', fn: (a) => makeDivisible(a[0], 8) },
  int: { arity: [1, 1], signature: 'int(v)', doc: 'truncates toward zero', fn: (a) => Math.trunc(a[0]) },
  floor: { arity: [1, 1], signature: 'floor(v)', doc: 'rounds down', fn: (a) => Math.floor(a[0]) },
  ceil: { arity: [1, 1], signature: 'ceil(v)', doc: 'rounds up', fn: (a) => Math.ceil(a[0]) },
  round: { arity: [1, 1], signature: 'round(v)', doc: 'rounds to the nearest whole number', fn: (a) => Math.round(a[0]) },
  abs: { arity: [1, 1], signature: 'abs(v)', doc: 'absolute value', fn: (a) => Math.abs(a[0]) },
  min: { arity: [1, Infinity], signature: 'min(a, b, ...)', doc: 'the smallest argument', fn: (a) => Math.min(...a) },
  max: { arity: [1, Infinity], signature: 'max(a, b, ...)', doc: 'the largest argument', fn: (a) => Math.max(...a) },
  if: { arity: [3, 3], signature: 'if(cond, a, b)', doc: '`a` if `cond` is non-zero, else `b`', fn: (a) => (a[0] !== 0 ? a[1] : a[2]) },
};

/** The built-in functions with their signatures and docs (`dim` is evaluated apart: it reads a layer). */
export const FUNCTIONS: { name: string; signature: string; doc: string }[] = [
  ...Object.entries(BUILTINS).map(([name, b]) => ({ name, signature: b.signature, doc: b.doc })),
  { name: 'dim', signature: 'dim(NAME, axis)', doc: "a size of a layer's output shape (batch excluded): `dim(in, 0)` is the channels of a block's input" },
];

const MAX_CALL_DEPTH = 64;

export function evaluate(e: Expr, env: Env, depth = 0): Value {
  switch (e.kind) {
    case 'num': return e.value;
    case 'name': {
      const v = env.getVar(e.name);
      return v === undefined ? e.name : v; // an unknown name is a word; `num()` rejects it where a number is needed
    }
    case 'tuple': return e.items.map((item) => evalNumber(item, env, depth));
    case 'unary': {
      const v = evalNumber(e.operand, env, depth);
      return e.op === '-' ? -v : e.op === 'not' ? Number(v === 0) : v;
    }
    case 'binary': {
      const a = evalNumber(e.left, env, depth);
      const b = evalNumber(e.right, env, depth);
      let r: number;
      switch (e.op) {
        case '+': r = a + b; break;
        case '-': r = a - b; break;
        case '*': r = a * b; break;
        case '/': case '//': case '%':
          if (b === 0) throw new AnalysisError('bad-value', 'division by zero', e.range);
          r = e.op === '/' ? a / b : e.op === '//' ? Math.floor(a / b) : a - b * Math.floor(a / b);
          break;
        case '**': r = a ** b; break;
        case '==': r = Number(a === b); break;
        case '!=': r = Number(a !== b); break;
        case '<': r = Number(a < b); break;
        case '<=': r = Number(a <= b); break;
        case '>': r = Number(a > b); break;
        case '>=': r = Number(a >= b); break;
        case 'and': r = Number(a !== 0 && b !== 0); break;
        case 'or': r = Number(a !== 0 || b !== 0); break;
        default: throw new AnalysisError('syntax-error', `unknown operator ${e.op}`, e.range);
      }
      if (!Number.isFinite(r)) throw new AnalysisError('bad-value', `\`${e.op}\` gives a value that is not finite`, e.range);
      return r;
    }
    case 'call': return call(e, env, depth);
  }
}

function call(e: Extract<Expr, { kind: 'call' }>, env: Env, depth: number): number {
  const name = e.callee.text;
  if (depth > MAX_CALL_DEPTH) throw new AnalysisError('limit', `function calls nested deeper than ${MAX_CALL_DEPTH} (is \`${name}\` recursive?)`, e.range);
  const user = env.getFn(name);
  if (user) {
    if (e.args.length !== user.params.length)
      throw new AnalysisError('bad-arguments', `\`${name}\` takes ${user.params.length} argument(s), got ${e.args.length}`, e.range);
    const local = new Env(user.env);
    user.params.forEach((p, i) => local.setVar(p.text, evalNumber(e.args[i], env, depth)));
    return evalNumber(user.body, local, depth + 1);
  }
  if (name === 'dim') {
    const [ref, axis] = e.args;
    if (e.args.length !== 2 || ref.kind !== 'name')
      throw new AnalysisError('bad-arguments', '`dim` takes a layer name and an axis: `dim(in, 0)` is the channels of the input', e.range);
    return env.dimOf(ref.name, ref.range, evalNumber(axis, env, depth));
  }
  const b = BUILTINS[name];
  if (!b) throw new AnalysisError('unknown-name', `unknown function \`${name}\``, e.callee.range);
  const [lo, hi] = b.arity;
  if (e.args.length < lo || e.args.length > hi)
    throw new AnalysisError('bad-arguments', `\`${name}\` takes ${lo === hi ? lo : `${lo} to ${hi === Infinity ? 'any' : hi}`} argument(s), got ${e.args.length}`, e.range);
  return b.fn(e.args.map((a) => evalNumber(a, env, depth)));
}

export function evalNumber(e: Expr, env: Env, depth = 0): number {
  const v = evaluate(e, env, depth);
  if (typeof v === 'number') return v;
  if (typeof v === 'string') throw new AnalysisError('unknown-name', `unknown name \`${v}\``, e.range);
  throw new AnalysisError('bad-value', `expected a single value, got the shape ${fmtValue(v)}`, e.range);
}
