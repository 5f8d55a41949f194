// Completion as plain data. What may be typed at the cursor is read from the raw text of its line
// (a half-typed line does not parse); what is in scope (blocks, layer names, variables) comes from
// the analysis of the rest of the file.
import type { Analysis } from '../analysis/analyze';
import { findOp, GENERIC_SPEC, OPS, type OpSpec } from '../analysis/ops';
import { fmtValue, FUNCTIONS } from '../analysis/values';
import type { Stmt } from '../syntax/ast';
import { lex, type Pos, type Range, type Token } from '../syntax/lexer';
import { GENERIC_OP } from '../syntax/parser';
import { statementCosts } from './hints';

export type CompletionKind = 'op' | 'block' | 'keyword' | 'option' | 'value' | 'name' | 'variable' | 'function';

export interface Completion {
  label: string;
  kind: CompletionKind;
  detail?: string;
  /** markdown */
  documentation?: string;
  /** replaces the word before the cursor; with `snippet`, `${1:name}` marks the places to fill in */
  insertText: string;
  snippet: boolean;
  /** with `snippet`: the text for a client without snippet support, when it is more than the label (`op ""()`) */
  plainText?: string;
}

/** What a client without snippet support inserts: the plain text, the label for other snippets (`conv`). */
export const plainInsertText = (c: Completion): string => (c.snippet ? c.plainText ?? c.label : c.insertText);

/** The items, best first, and the range they replace: the word typed so far. */
export interface Completions { range: Range; items: Completion[] }

type Block = Extract<Stmt, { kind: 'block' }>;

/** Where the cursor stands, read from the tokens before the word being typed. */
type Context =
  | { kind: 'start'; keywords: string[] } // a layer kind or a block use comes here
  | { kind: 'args'; op: string; keys: string[]; positional: number } // an argument of `op`
  | { kind: 'value'; op: string; key: string } // after `key=`
  | { kind: 'names' } // a `from` list, `dim(`, the parentheses of `op "X"(`
  | { kind: 'expr' };

const START_KEYWORDS = ['input', 'block', 'def', 'repeat', 'when'];
/** statements the engine accepts only at the top level of the file */
const TOP_LEVEL_ONLY = new Set(['block', 'input']);
/** whether `line` is inside a block or repeat body */
const nested = (a: Analysis, line: number) =>
  a.syntax.statements.some((s) => (s.kind === 'block' || s.kind === 'repeat') && s.range.start.line < line && line <= s.range.end.line);
const OPERATOR_WORDS = new Set(['x', 'and', 'or', 'not']);
/** a token that ends a value: an operator or a separator must come next */
const isValue = (t: Token) => t.kind === 'num' || t.kind === ')' || t.kind === ']' || (t.kind === 'ident' && !OPERATOR_WORDS.has(t.text));

export function complete(a: Analysis, lineText: string, pos: Pos): Completions {
  const prefix = lineText.slice(0, pos.character);
  const word = /[A-Za-z_][\w.]*$/.exec(prefix)?.[0] ?? ''; // dotted: `from stem.conv`
  const before = prefix.slice(0, prefix.length - word.length);
  const range = { start: { line: pos.line, character: before.length }, end: pos };
  const tokens = lex(before).filter((t) => t.kind !== 'eof');
  const last = tokens[tokens.length - 1];
  // in a comment, inside a number (`64`, `1e`), or right after a value (`conv 64|`, `f(x)|`)
  if (prefix.includes('#') || /[\w.]$/.test(before) || (last && isValue(last) && !/\s$/.test(before))) return { range, items: [] };
  const context = statement(tokens, true);
  return { range, items: context ? items(a, context, pos.line, prefix) : [] };
}

// ---- the context

function statement(ts: Token[], lineStart: boolean): Context | null {
  const [t0, t1] = ts;
  if (!t0) return { kind: 'start', keywords: lineStart ? START_KEYWORDS : [] };
  if (t0.kind !== 'ident') return null;
  const colon = ts.findIndex((t) => t.kind === ':');
  switch (t0.text) {
    case 'input': return colon < 0 ? null : expression(ts.slice(colon + 1));
    case 'def': {
      const eq = ts.findIndex((t) => t.kind === '=');
      return eq < 0 ? null : expression(ts.slice(eq + 1));
    }
    case 'block': {
      // a parameter's default: after the `=` of the parameter being written
      const param = ts.map((t) => t.kind === ',' || t.kind === '(').lastIndexOf(true);
      const eq = ts.findIndex((t, i) => i > param && t.kind === '=');
      return colon >= 0 || eq < 0 ? null : expression(ts.slice(eq + 1));
    }
    case 'end': return null;
    case 'repeat': case 'when':
      if (colon >= 0) return statement(ts.slice(colon + 1), false);
      return ts.some((t) => t.kind === 'ident' && t.text === 'as') ? null : expression(ts.slice(1)); // after `as`: the index name
  }
  if (t1?.kind === '=') return expression(ts.slice(2));
  if (t1?.kind === ':') return ts.length === 2 ? { kind: 'start', keywords: ['repeat'] } : statement(ts.slice(2), false);
  return layer(ts);
}

/** Inside an expression: a name may start after an operator or an opening, never right after a value. */
function expression(ts: Token[]): Context | null {
  const last = ts[ts.length - 1];
  if (last && isValue(last)) return null;
  const callee = ts[ts.length - 2];
  return last?.kind === '(' && callee?.kind === 'ident' && callee.text === 'dim' ? { kind: 'names' } : { kind: 'expr' };
}

/** `op args [from refs] (| op args)* [-> shape]`: the segment after the last `|` decides. */
function layer(ts: Token[]): Context | null {
  const seg = ts.slice(ts.map((t) => t.kind).lastIndexOf('|') + 1);
  const op = seg[0];
  if (!op) return { kind: 'start', keywords: [] };
  if (op.kind !== 'ident') return null;
  if (op.text === GENERIC_OP && seg.length > 1) return generic(seg);
  const arrow = seg.findIndex((t) => t.kind === '->');
  if (arrow >= 0) return expression(seg.slice(arrow + 1));
  const last = seg[seg.length - 1];
  const keys = seg.filter((t, i) => t.kind === 'ident' && seg[i + 1]?.kind === '=').map((t) => t.text);
  if (last.kind === '=') {
    const key = seg[seg.length - 2];
    return key.kind === 'ident' ? { kind: 'value', op: op.text, key: key.text } : null;
  }
  const from = seg.findIndex((t) => t.kind === 'ident' && t.text === 'from');
  if (from >= 0) {
    if (last === seg[from] || last.kind === ',') return { kind: 'names' };
    return isValue(last) ? { kind: 'args', op: op.text, keys, positional: Infinity } : null; // options after the refs
  }
  // count the positional arguments: one starts after the op, after a value (a space), or after `,`
  const args = seg.slice(1);
  const call = args[0]?.kind === '(' && !args[0].spaceBefore; // `b(64, s=2)`
  let depth = 0;
  let state: 'start' | 'value' | 'operator' = 'start';
  let positional = 0;
  for (const [i, t] of (call ? args.slice(1) : args).entries()) {
    if (t.kind === '(') {
      if (depth === 0 && (state === 'start' || (state === 'value' && t.spaceBefore))) positional++;
      depth++;
    } else if (t.kind === ')') {
      if (--depth < 0) return null; // after the call's closing parenthesis
      if (depth === 0) state = 'value';
    } else if (depth > 0) {
      continue;
    } else if (t.kind === ',') {
      state = 'start';
    } else if (!isValue(t)) {
      if (state === 'start') positional++; // `-1`
      state = 'operator';
    } else {
      if (state !== 'operator' && args[call ? i + 2 : i + 1]?.kind !== '=') positional++;
      state = 'value';
    }
  }
  if (depth > 0) return expression(args);
  if (state === 'operator') return { kind: 'expr' };
  if (call && state === 'value') return null; // `b(64 |`: a `,` comes next
  return { kind: 'args', op: op.text, keys, positional };
}

/** `op "OpType"(refs) [-> shape, ...]`: the references in the parentheses, like a `from` list; the shapes after `->`. */
function generic(seg: Token[]): Context | null {
  const [, type, open] = seg;
  if (type.kind !== 'string' || open?.kind !== '(') return null; // in or right after the quotes
  const close = seg.findIndex((t) => t.kind === ')');
  if (close < 0) {
    const last = seg[seg.length - 1];
    return last.kind === '(' || last.kind === ',' ? { kind: 'names' } : null; // after a reference: `,` or `)` comes next
  }
  const arrow = seg.findIndex((t) => t.kind === '->');
  return arrow > close ? expression(seg.slice(arrow + 1)) : null; // after `)`: only `-> shape`
}

// ---- the items

function items(a: Analysis, c: Context, line: number, prefix: string): Completion[] {
  const blocks = a.syntax.statements.filter((s): s is Block => s.kind === 'block');
  switch (c.kind) {
    case 'start':
      return [
        ...blocks.map(blockItem),
        ...OPS.map((op) => (op === GENERIC_SPEC ? genericItem() : opItem(op))),
        ...OPS.flatMap((op) => op.aliases.map((alias) => opItem(op, alias))),
        ...c.keywords.filter((k) => !TOP_LEVEL_ONLY.has(k) || !nested(a, line))
          .map((k): Completion => ({ label: k, kind: 'keyword', insertText: k, snippet: false })),
      ];
    case 'args': {
      const spec = findOp(c.op);
      const block = spec ? undefined : blocks.find((b) => b.name.text === c.op);
      const options: Completion[] = spec
        ? spec.options.map((o) => ({ label: `${o.name}=`, kind: 'option', detail: o.doc, insertText: `${o.name}=`, snippet: false }))
        : (block?.params ?? []).map((p) => ({
          label: `${p.name.text}=`, kind: 'option', detail: `parameter of block ${c.op}${p.default ? ' (has a default)' : ''}`, insertText: `${p.name.text}=`, snippet: false,
        }));
      const count = spec ? (spec.variadic ? Infinity : spec.positional.length) : block?.params.length ?? 0;
      const given = [...c.keys, ...(block?.params.slice(0, c.positional).map((p) => p.name.text) ?? [])]; // a block's parameters also by position
      const free = options.filter((o) => !given.includes(o.label.slice(0, -1)));
      return c.keys.length === 0 && c.positional < count ? [...free, ...expressionItems(a, line, prefix)] : free;
    }
    case 'value': {
      const option = findOp(c.op)?.options.find((o) => o.name === c.key);
      const words = (option?.words ?? []).map((w): Completion => ({ label: w, kind: 'value', insertText: w, snippet: false }));
      return option?.kind === 'bool' || option?.kind === 'word' ? words : [...words, ...expressionItems(a, line, prefix)];
    }
    case 'names':
      return [...scopeAt(a, line).names]
        .sort(([, x], [, y]) => y.line - x.line) // the nearest first
        .map(([name, n]) => ({ label: name, kind: 'name', detail: n.detail, insertText: name, snippet: false }));
    case 'expr':
      return expressionItems(a, line, prefix);
  }
}

const placeholders = (names: string[]) => names.map((n, i) => `\${${i + 1}:${n}}`);

/** A layer kind with its required positional arguments as placeholders: `conv ${1:C_out}`. */
function opItem(op: OpSpec, label = op.name): Completion {
  const required = op.positional.slice(0, op.required).map((p) => p.name);
  const signature = [label, ...op.positional.map((p) => p.name + (op.variadic && p === op.positional[op.positional.length - 1] ? ' ...' : '')), ...op.options.map((o) => `${o.name}=`)];
  const docs = [`\`${signature.join(' ')}\``, '', op.doc + (op.inputs === 2 ? ' (reads two or more inputs: `from a, b`)' : '')];
  if (op.positional.length || op.options.length) docs.push('', ...[...op.positional, ...op.options.map((o) => ({ ...o, name: `${o.name}=` }))].map((p) => `- \`${p.name}\` ${p.doc}`));
  return {
    label, kind: 'op', detail: label === op.name ? op.doc : `alias of ${op.name}: ${op.doc}`, documentation: docs.join('\n'),
    insertText: [label, ...placeholders(required)].join(' '), snippet: required.length > 0,
  };
}

/** The generic layer form with its operator type and first input as placeholders: `op "${1:OpType}"(${2:x})`. */
function genericItem(): Completion {
  return {
    label: GENERIC_OP, kind: 'op', detail: GENERIC_SPEC.doc,
    documentation: [
      `\`${GENERIC_OP} "OpType"(x, ...) -> shape, ...\``, '', `${GENERIC_SPEC.doc}; a whole line (no \`|\` chain)`, '',
      '- `"OpType"` the operator type, in double quotes (`"Erf"`, `"TopK"`)',
      '- `(x, ...)` the inputs, references like those of `from`; `()` for none',
      '- `-> shape, ...` the output shapes, one per output (`NAME[i]`); without it, the shape of the first input',
    ].join('\n'),
    insertText: `${GENERIC_OP} "\${1:OpType}"(\${2:x})`, snippet: true, plainText: `${GENERIC_OP} ""()`,
  };
}

/** A block use with its parameters without a default as placeholders: `bottleneck(${1:width})`. */
function blockItem(b: Block): Completion {
  const name = b.name.text;
  const required = b.params.filter((p) => !p.default).map((p) => p.name.text);
  return {
    label: name, kind: 'block', detail: `block ${name}(${b.params.map((p) => p.name.text + (p.default ? '=…' : '')).join(', ')})`,
    insertText: required.length ? `${name}(${placeholders(required).join(', ')})` : name, snippet: required.length > 0,
  };
}

/** Variables (top-level ones above the line, block parameters, repeat indices, `def` parameters) and functions. */
function expressionItems(a: Analysis, line: number, prefix: string): Completion[] {
  const { vars } = scopeAt(a, line);
  const index = /\brepeat\b[^:]*\bas\s+([A-Za-z_]\w*)\s*:/.exec(prefix); // `repeat 4 as i: b(if(i == 0, 2, 1))`
  if (index) vars.set(index[1], 'repeat index');
  const def = /^\s*def\s+\w+\s*\(([^)]*)\)\s*=/.exec(prefix);
  for (const p of def?.[1].split(',') ?? []) if (p.trim()) vars.set(p.trim(), 'parameter');
  const defs = a.syntax.statements.filter((s): s is Extract<Stmt, { kind: 'def' }> => s.kind === 'def');
  return [
    ...[...vars].map(([name, detail]): Completion => ({ label: name, kind: 'variable', detail, insertText: name, snippet: false })),
    ...defs.map((d): Completion => ({ label: d.name.text, kind: 'function', detail: `def ${d.name.text}(${d.params.map((p) => p.text).join(', ')})`, insertText: `${d.name.text}($1)`, snippet: true })),
    ...FUNCTIONS.map((f): Completion => ({ label: f.name, kind: 'function', detail: f.signature, documentation: f.doc, insertText: `${f.name}($1)`, snippet: true })),
  ];
}

// ---- what is in scope on a line

/** The names a statement defines explicitly. */
function definedNames(s: Stmt): string[] {
  if (s.kind === 'input') return [s.name?.text ?? 'input'];
  if (s.kind === 'layer' || s.kind === 'repeat') return s.name ? [s.name.text] : [];
  return s.kind === 'when' ? definedNames(s.body) : [];
}

/**
 * Layer names and variables visible on `line`: the statements above it in its statement list and in
 * the enclosing repeats; a block body sees only its own names, `in` and its parameters. At the top
 * level the analysis adds default names (`conv_2`) and shapes.
 */
function scopeAt(a: Analysis, line: number): { names: Map<string, { line: number; detail?: string }>; vars: Map<string, string> } {
  const names = new Map<string, { line: number; detail?: string }>();
  const vars = new Map<string, string>();
  for (const v of a.variables) if (v.range.start.line < line) vars.set(v.name, `= ${fmtValue(v.value)}`);
  let stmts = a.syntax.statements;
  let topEnd = line; // the top-level statements that end above this line are visible
  let inBlock = false;
  for (let top = true; ; top = false) {
    for (const s of stmts) if (s.range.end.line < line) for (const n of definedNames(s)) names.set(n, { line: s.range.start.line });
    const outer = stmts.find((s): s is Block | Extract<Stmt, { kind: 'repeat' }> =>
      (s.kind === 'block' || s.kind === 'repeat') && s.range.start.line < line && line <= s.range.end.line);
    if (!outer) break;
    if (top) topEnd = outer.range.start.line;
    if (outer.kind === 'block') {
      inBlock = true;
      names.clear();
      names.set('in', { line: outer.range.start.line, detail: "the block's input" });
      for (const p of outer.params) vars.set(p.name.text, `parameter of block ${outer.name.text}`);
    } else if (outer.index) vars.set(outer.index.text, 'repeat index');
    stmts = outer.body;
  }
  if (!inBlock) {
    for (const i of a.inputs) if (i.range.start.line < topEnd) names.set(i.name, { line: i.range.start.line, detail: `input ${i.shape.join('x')}` });
    for (const s of statementCosts(a, 0, topEnd - 1)) names.set(s.name, { line: s.line, detail: s.outputShape.join('x') });
  }
  return { names, vars };
}
