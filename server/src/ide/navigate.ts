// Names and where they are defined: every name in a `.net` file resolved through the scopes the engine
// uses, and the navigation built on that (go to definition, find references, rename). Pure: a parsed
// file (and an analysis, for the engine's default names) in, ranges and edits out; never throws.
import type { Analysis } from '../analysis/analyze';
import { findOp } from '../analysis/ops';
import { FUNCTIONS } from '../analysis/values';
import type { Expr, ParsedFile, Ref, Stmt } from '../syntax/ast';
import type { Pos, Range } from '../syntax/lexer';
import { KEYWORDS } from '../syntax/parser';

const before = (a: Pos, b: Pos) => a.line < b.line || (a.line === b.line && a.character <= b.character);
export const contains = (r: Range, p: Pos) => before(r.start, p) && before(p, r.end);
/** `length` characters from `start` on its line */
export const onLine = (start: Pos, length: number): Range => ({ start, end: { line: start.line, character: start.character + length } });

export const BUILTIN_FUNCTIONS = new Set(FUNCTIONS.map((f) => f.name));

/** What a name is looked up among: layer outputs, values (variables, parameters), functions, blocks;
 *  `op` marks a layer kind, which is no name at all. */
export type Space = 'layer' | 'value' | 'function' | 'block' | 'op';
export type NameKind = 'input' | 'layer' | 'repeat' | 'block' | 'variable' | 'function' | 'parameter' | 'index';

/**
 * A statement list's names, as the evaluator's scopes hold them. A repeat body and a `def` see the
 * names around them; a block body sees the file's values, functions and blocks but not its layers.
 */
export interface Scope {
  parent: Scope | null;
  /** false for a block body: a layer name not found there is not looked up outside */
  layersUp: boolean;
  /** the block whose body this is (or is inside) */
  block: string | null;
  names: Map<string, NameSymbol>;
}

export interface NameSymbol {
  name: string;
  kind: NameKind;
  space: Space;
  scope: Scope;
  /** where it is defined, in order; `from` is where it becomes visible (null: everywhere in its scope) */
  defs: { range: Range; from: Pos | null }[];
  /** why it cannot be renamed, or null */
  fixed: Fixed | null;
  /** a chain's interior op (`stem.conv`): the line name it is derived from */
  owner?: NameSymbol;
  /** a block: its body's scope, where its parameters live */
  body?: Scope;
}

export interface Occurrence {
  name: string;
  range: Range;
  space: Space;
  scope: Scope;
  /** what it names; null when unresolved (an unknown name, a word such as `same`, a built-in, a layer kind) */
  sym: NameSymbol | null;
  decl: boolean;
  /** a definition site that does not spell the name: the op of a default-named layer, the block name for `in` */
  implicit: boolean;
  /** resolved through another occurrence: the block of a keyword argument (`b(width=64)`), the full
   *  reference of a line name in `stem.conv` */
  via?: Occurrence;
}

export interface NameIndex {
  occurrences: Occurrence[];
  /** the name of each layer op and block use (`conv_3`, `stem`, `bottleneck_2`) and of each repeat */
  names: Map<object, string>;
}

const key = (space: Space, name: string) => `${space} ${name}`;

/** Names the engine makes up rather than reads: a default name (`conv_3`), a chain's interior op
 *  (`stem.conv`), a block's `in`, the unnamed input's `input`. */
type Fixed = 'default' | 'interior' | 'in' | 'input';
const FIXED: Record<Fixed, (sym: NameSymbol) => string> = {
  default: (s) => `\`${s.name}\` is a default name (the layer kind and its ordinal); name the layer to rename it`,
  interior: (s) => `\`${s.name}\` is named after its line: rename \`${s.owner?.name}\``,
  in: () => '`in` is the input of every block; it cannot be renamed',
  input: () => 'the unnamed input is called `input`; name it (`input NAME: ...`) to rename it',
};

/** The engine's local names of unnamed layers, block uses and repeats, by where their range starts. */
function engineNames(a: Analysis | undefined): Map<string, string> {
  const names = new Map<string, string>();
  const note = (r: Range, full: string) => {
    const local = full.slice(full.lastIndexOf('.') + 1);
    const at = `${r.start.line}:${r.start.character}`;
    // the first use stands for all; an iteration index (`layer1.0`) names no use
    if (!names.has(at) && !/^\d+$/.test(local)) names.set(at, local);
  };
  for (const l of a?.layers ?? []) note(l.range, l.name);
  for (const g of a?.groups ?? []) note(g.range, g.name);
  return names;
}

class IndexBuilder {
  readonly occurrences: Occurrence[] = [];
  readonly names = new Map<object, string>();
  private readonly file: Scope = { parent: null, layersUp: false, block: null, names: new Map() };

  constructor(private readonly engine: Map<string, string>) {}

  build(statements: Stmt[]): NameIndex {
    this.statements(statements, this.file);
    for (const o of this.occurrences) if (!o.decl) o.sym = resolve(o);
    return { occurrences: this.occurrences, names: this.names };
  }

  private declare(scope: Scope, space: Space, kind: NameKind, name: string, range: Range, from: Pos | null, fixed: Fixed | null = null, implicit = false): NameSymbol {
    let sym = scope.names.get(key(space, name));
    if (!sym) scope.names.set(key(space, name), (sym = { name, kind, space, scope, defs: [], fixed }));
    sym.defs.push({ range, from });
    this.occurrences.push({ name, range, space, scope, sym, decl: true, implicit });
    return sym;
  }

  private use(scope: Scope, space: Space, name: string, range: Range, via?: Occurrence): Occurrence {
    const o: Occurrence = { name, range, space, scope, sym: null, decl: false, implicit: false, via };
    this.occurrences.push(o);
    return o;
  }

  private statements(list: Stmt[], scope: Scope) {
    const counters = new Map<string, number>(); // per-kind ordinals, as the engine counts them
    for (const s of list) this.statement(s, scope, counters);
  }

  private statement(s: Stmt, scope: Scope, counters: Map<string, number>) {
    const ordinal = (k: string) => { const n = (counters.get(k) ?? 0) + 1; counters.set(k, n); return n; };
    /** the engine's name where it has one, else the op or block and its ordinal */
    const defaultName = (r: Range, k: string, n: number) => this.engine.get(`${r.start.line}:${r.start.character}`) ?? `${k}_${n}`;
    switch (s.kind) {
      case 'var':
        this.expr(s.value, scope);
        this.declare(scope, 'value', 'variable', s.name.text, s.name.range, s.range.end);
        return;
      case 'def': {
        const inner: Scope = { parent: scope, layersUp: true, block: scope.block, names: new Map() };
        for (const p of s.params) this.declare(inner, 'value', 'parameter', p.text, p.range, null);
        this.expr(s.body, inner);
        // top-level functions are hoisted; one in a body exists from its line on
        this.declare(scope, 'function', 'function', s.name.text, s.name.range, scope === this.file ? null : s.range.end);
        return;
      }
      case 'input':
        this.expr(s.shape, scope);
        if (s.name) this.declare(scope, 'layer', 'input', s.name.text, s.name.range, s.range.end);
        else this.declare(scope, 'layer', 'input', 'input', onLine(s.range.start, 'input'.length), s.range.end, 'input', true);
        return;
      case 'layer': {
        for (const r of s.from ?? []) this.ref(r, scope);
        const owner = s.name && this.declare(scope, 'layer', 'layer', s.name.text, s.name.range, s.range.end);
        s.ops.forEach((call, i) => {
          const op = findOp(call.op.text)?.name;
          const k = op ?? call.op.text;
          const n = ordinal(k); // named layers count too
          if (op) this.use(scope, 'op', call.op.text, call.op.range);
          const block = op ? null : this.use(scope, 'block', call.op.text, call.op.range);
          for (const a of call.args) {
            if (a.key && block) this.use(scope, 'value', a.key.text, a.key.range, block);
            this.expr(a.value, scope);
          }
          if (owner && i === s.ops.length - 1) this.names.set(call, owner.name);
          else if (owner) {
            const sub = `${owner.name}.${k}`;
            this.declare(scope, 'layer', 'layer', sub, call.op.range, s.range.end, 'interior', true).owner = owner;
            this.names.set(call, sub);
          } else {
            const name = defaultName(call.range, k, n);
            // an unnamed block use is not bound to its name; an unnamed layer is
            if (op) this.declare(scope, 'layer', 'layer', name, call.op.range, s.range.end, 'default', true);
            this.names.set(call, name);
          }
        });
        // a generic op declares one shape per output (`-> a x b, c`); `expect` is the first of them
        for (const shape of s.generic?.shapes ?? (s.expect ? [s.expect] : [])) this.expr(shape, scope);
        return;
      }
      case 'block': {
        const body: Scope = { parent: scope, layersUp: false, block: s.name.text, names: new Map() };
        this.declare(scope, 'block', 'block', s.name.text, s.name.range, null).body = body;
        this.declare(body, 'layer', 'input', 'in', s.name.range, null, 'in', true);
        for (const p of s.params) {
          if (p.default) this.expr(p.default, body);
          this.declare(body, 'value', 'parameter', p.name.text, p.name.range, (p.default ?? p.name).range.end);
        }
        this.statements(s.body, body);
        return;
      }
      case 'repeat': {
        this.expr(s.count, scope);
        const body: Scope = { parent: scope, layersUp: true, block: scope.block, names: new Map() };
        if (s.index) this.declare(body, 'value', 'index', s.index.text, s.index.range, null);
        this.statements(s.body, body);
        if (s.name) this.declare(scope, 'layer', 'repeat', s.name.text, s.name.range, s.range.end);
        this.names.set(s, s.name?.text ?? defaultName(s.range, 'repeat', ordinal('repeat')));
        return;
      }
      case 'when':
        this.expr(s.cond, scope);
        this.statement(s.body, scope, counters);
        return;
    }
  }

  /** `from x`, `from stem.conv`, `from parts[1]`: the name without the index; `stem` in `stem.conv` names the line. */
  private ref(r: Ref, scope: Scope) {
    const full = this.use(scope, 'layer', r.name, r.index === null ? r.range : onLine(r.range.start, r.name.length));
    const dot = r.name.indexOf('.');
    if (dot > 0) this.use(scope, 'layer', r.name.slice(0, dot), onLine(r.range.start, dot), full);
  }

  /** Walks an expression with an explicit stack, in source order: `1 + 1 + ... + 1` is a tree as deep
   *  as it is long, and a recursive walk would overflow the stack on a few thousand terms. */
  private expr(root: Expr, scope: Scope) {
    const todo: (Expr | { layer: Expr & { kind: 'name' } })[] = [root];
    while (todo.length) {
      const e = todo.pop()!;
      if ('layer' in e) { this.use(scope, 'layer', e.layer.name, e.layer.range); continue; }
      switch (e.kind) {
        case 'num': break;
        case 'name': this.use(scope, 'value', e.name, e.range); break;
        case 'unary': todo.push(e.operand); break;
        case 'binary': todo.push(e.right, e.left); break;
        case 'tuple': for (let i = e.items.length - 1; i >= 0; i--) todo.push(e.items[i]); break;
        case 'call':
          this.use(scope, 'function', e.callee.text, e.callee.range);
          for (let i = e.args.length - 1; i >= 0; i--) {
            const x = e.args[i];
            // `dim(NAME, axis)` reads a layer
            todo.push(i === 0 && x.kind === 'name' && e.callee.text === 'dim' ? { layer: x } : x);
          }
      }
    }
  }
}

/** Looks `name` up from `scope` outwards: the nearest definition visible at `at`, else (a forward
 *  reference, an error the engine reports) the nearest definition at all. `renamed` pretends that
 *  one symbol already has its new name. */
function lookup(scope: Scope, space: Space, name: string, at: Pos, renamed?: { sym: NameSymbol; to: string }): NameSymbol | null {
  let fallback: NameSymbol | null = null;
  for (let s: Scope | null = scope; s; s = space === 'layer' && !s.layersUp ? null : s.parent) {
    const sym = renamed?.sym.scope === s && renamed.sym.space === space && renamed.to === name ? renamed.sym : s.names.get(key(space, name));
    if (!sym) continue;
    if (sym.defs.some((d) => d.from === null || before(d.from, at))) return sym;
    fallback ??= sym;
  }
  return fallback;
}

function resolve(o: Occurrence): NameSymbol | null {
  if (!o.via) return lookup(o.scope, o.space, o.name, o.range.start);
  const v = o.via.sym;
  return o.via.space === 'block' ? v?.body?.names.get(key('value', o.name)) ?? null : v?.owner ?? null;
}

/** Indices already built, by the analysis or file they were built from (whose names and ranges never change): the
 *  requests on one document version share one. */
const built = new WeakMap<object, NameIndex>();

/** Every name of the file with what it refers to. `a` (the file's analysis) supplies the engine's default names. */
export function nameIndex(file: ParsedFile, a?: Analysis): NameIndex {
  let ix = built.get(a ?? file);
  if (!ix) built.set(a ?? file, (ix = new IndexBuilder(engineNames(a)).build(file.statements)));
  return ix;
}

/** The occurrence under the cursor: the narrowest (`stem` in `stem.conv`), the first on a tie (a layer kind). */
export function nameAt(ix: NameIndex, pos: Pos): Occurrence | null {
  let best: Occurrence | null = null;
  for (const o of ix.occurrences) {
    if (contains(o.range, pos) && (!best || o.range.end.character - o.range.start.character < best.range.end.character - best.range.start.character)) best = o;
  }
  return best;
}

/** The definition a use reads: the last one visible at the use (a variable assigned twice), or the first. */
function definitionOf(o: Occurrence, sym: NameSymbol): Range {
  if (o.decl) return o.range;
  const visible = sym.defs.filter((d) => d.from !== null && before(d.from, o.range.start));
  return (visible.length ? visible[visible.length - 1] : sym.defs[0]).range;
}

const byPosition = (a: Range, b: Range) => a.start.line - b.start.line || a.start.character - b.start.character;

/** Go to definition: where the name under the cursor is defined (itself on a definition); [] for no name. */
export function definition(a: Analysis, pos: Pos): Range[] {
  const o = nameAt(nameIndex(a.syntax, a), pos);
  return o?.sym ? [definitionOf(o, o.sym)] : [];
}

/** Find references: every use of the name under the cursor, and its definitions if asked, in file order. */
export function references(a: Analysis, pos: Pos, includeDeclaration: boolean): Range[] {
  const ix = nameIndex(a.syntax, a);
  const sym = nameAt(ix, pos)?.sym;
  if (!sym) return [];
  return ix.occurrences.filter((o) => o.sym === sym && (includeDeclaration || !o.decl)).map((o) => o.range).sort(byPosition);
}

export interface Refusal { error: string }
export interface TextEdit { range: Range; newText: string }

/** The renameable symbol under the cursor, or why there is none. */
function renameTarget(ix: NameIndex, pos: Pos): { o: Occurrence; sym: NameSymbol } | Refusal {
  const o = nameAt(ix, pos);
  if (!o) return { error: 'there is no name here: only layers, blocks, variables, functions and parameters can be renamed' };
  if (o.space === 'op') return { error: `\`${o.name}\` is a layer kind, not a name` };
  if (!o.sym) return { error: o.space === 'function' && BUILTIN_FUNCTIONS.has(o.name) ? `\`${o.name}\` is a built-in function` : `\`${o.name}\` is not defined in this file` };
  return o.sym.fixed ? { error: FIXED[o.sym.fixed](o.sym) } : { o, sym: o.sym };
}

/** prepareRename: the range of the name under the cursor and its text, or why it cannot be renamed. */
export function prepareRename(a: Analysis, pos: Pos): { range: Range; placeholder: string } | Refusal {
  const t = renameTarget(nameIndex(a.syntax, a), pos);
  return 'error' in t ? t : { range: t.o.range, placeholder: t.o.name };
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const lineOf = (sym: NameSymbol) => sym.defs[0].range.start.line + 1;

/** Why `to` cannot be the new name of `sym`, or null. */
function refuseName(ix: NameIndex, sym: NameSymbol, to: string): string | null {
  if (!IDENT.test(to)) return `\`${to}\` is not a name: a name starts with a letter or \`_\` and goes on with letters, digits and \`_\``;
  if (KEYWORDS.has(to)) return `\`${to}\` is a keyword`;
  if (findOp(to)) return `\`${to}\` is a layer kind`;
  if (to === 'x' && (sym.space === 'value' || sym.space === 'function')) return '`x` separates the sizes of a shape (`3 x 224 x 224`)';
  if (sym.space === 'function' && BUILTIN_FUNCTIONS.has(to)) return `\`${to}\` is a built-in function`;
  const clash = sym.scope.names.get(key(sym.space, to));
  if (clash) return `\`${to}\` is already defined in this scope (line ${lineOf(clash)})`;
  // no use may change what it refers to: a use of `sym` caught by a nearer `to`, or a use of another `to` caught by `sym`
  for (const o of ix.occurrences) {
    if (o.decl || o.via || !o.sym || o.space !== sym.space || (o.sym !== sym && o.name !== to)) continue;
    const now = lookup(o.scope, o.space, to, o.range.start, { sym, to });
    if (now === o.sym) continue;
    const line = o.range.start.line + 1;
    return o.sym === sym
      ? `the \`${sym.name}\` on line ${line} would then refer to ${now ? `the \`${to}\` defined on line ${lineOf(now)}` : 'nothing'}`
      : `the \`${to}\` on line ${line} would then refer to the renamed \`${sym.name}\` instead of the one on line ${lineOf(o.sym)}`;
  }
  return null;
}

/** Rename: the edits that rename the symbol under the cursor everywhere (definitions, uses, `stem` in
 *  `stem.conv`, `width` in `b(width=64)`), or why they would break the file. */
export function rename(a: Analysis, pos: Pos, to: string): TextEdit[] | Refusal {
  const ix = nameIndex(a.syntax, a);
  const t = renameTarget(ix, pos);
  if ('error' in t) return t;
  const why = to === t.sym.name ? null : refuseName(ix, t.sym, to);
  if (why) return { error: `cannot rename \`${t.sym.name}\` to \`${to}\`: ${why}` };
  return ix.occurrences.filter((o) => o.sym === t.sym).map((o) => ({ range: o.range, newText: to })).sort((x, y) => byPosition(x.range, y.range));
}
