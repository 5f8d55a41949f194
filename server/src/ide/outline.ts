// A file's structure for the editor's outline and folding: document symbols (inputs, variables,
// functions, blocks with their bodies, layers under the engine's names, repeats) and folding ranges.
import type { Analysis } from '../analysis/analyze';
import { findOp } from '../analysis/ops';
import { fmtValue } from '../analysis/values';
import type { ParsedFile, Stmt } from '../syntax/ast';
import type { Range } from '../syntax/lexer';
import { nameIndex, onLine } from './navigate';

/** LSP `SymbolKind` values: blocks are classes, block uses objects, layers fields, repeats arrays,
 *  inputs interfaces (what the network takes). */
export const SYMBOL_KIND = { class: 5, field: 8, interface: 11, function: 12, variable: 13, object: 19, array: 18 } as const;

export interface DocumentSymbol {
  name: string;
  detail?: string;
  kind: (typeof SYMBOL_KIND)[keyof typeof SYMBOL_KIND];
  range: Range;
  selectionRange: Range;
  children?: DocumentSymbol[];
}

const key = (r: Range) => `${r.start.line}:${r.start.character}`;
const shapeOf = (s: number[] | undefined) => (s?.length ? ` · ${s.join('x')}` : '');

/** The outline: one symbol per statement, named as the engine names it (`conv_3` for an unnamed conv,
 *  `bottleneck_2` for an unnamed block use); a layer's detail is its ops and output shape. */
export function documentSymbols(a: Analysis): DocumentSymbol[] {
  const { names } = nameIndex(a.syntax, a);
  // output shapes by where the layer or group starts (inside a block body: its first use)
  const shapes = new Map<string, number[]>();
  const note = (r: Range, shape: number[]) => { if (!shapes.has(key(r))) shapes.set(key(r), shape); };
  for (const i of a.inputs) note(i.range, i.shape);
  for (const l of a.layers) note(l.range, l.outputShape);
  for (const g of a.groups) note(g.range, g.outputShape);
  const values = new Map(a.variables.map((v) => [key(v.range), v.value]));

  const symbol = (s: Stmt, range: Range): DocumentSymbol => {
    switch (s.kind) {
      case 'var': {
        const v = values.get(key(s.range));
        return { name: s.name.text, detail: v === undefined ? undefined : `= ${fmtValue(v)}`, kind: SYMBOL_KIND.variable, range, selectionRange: s.name.range };
      }
      case 'def':
        return { name: s.name.text, detail: `(${s.params.map((p) => p.text).join(', ')})`, kind: SYMBOL_KIND.function, range, selectionRange: s.name.range };
      case 'input':
        return { name: s.name?.text ?? 'input', detail: `input${shapeOf(shapes.get(key(s.range)))}`, kind: SYMBOL_KIND.interface, range, selectionRange: s.name?.range ?? onLine(s.range.start, 'input'.length) };
      case 'layer': {
        const last = s.ops[s.ops.length - 1];
        return {
          name: names.get(last) ?? last.op.text,
          detail: s.ops.map((o) => o.op.text).join(' | ') + shapeOf(shapes.get(key(last.range))),
          kind: findOp(last.op.text) ? SYMBOL_KIND.field : SYMBOL_KIND.object, range, selectionRange: s.name?.range ?? last.op.range,
        };
      }
      case 'block':
        return { name: s.name.text, detail: `(${s.params.map((p) => p.name.text).join(', ')})`, kind: SYMBOL_KIND.class, range, selectionRange: s.name.range, children: list(s.body) };
      case 'repeat':
        return {
          name: names.get(s) ?? 'repeat', detail: `repeat${shapeOf(shapes.get(key(s.range)))}`, kind: SYMBOL_KIND.array, range,
          selectionRange: s.name?.range ?? onLine(s.range.start, 'repeat'.length), children: list(s.body),
        };
      case 'when':
        return symbol(s.body, range); // the statement it guards, spanning the condition
    }
  };
  const list = (stmts: Stmt[]) => stmts.map((s) => symbol(s, s.range));
  return list(a.syntax.statements);
}

export interface FoldingRange { startLine: number; endLine: number; kind?: 'comment' }

/** Folding: every multi-line block and repeat (down to its `end`), and every run of two or more comment lines. */
export function foldingRanges(file: ParsedFile, text: string): FoldingRange[] {
  const out: FoldingRange[] = [];
  const walk = (stmts: Stmt[]) => {
    for (const s of stmts) {
      if ((s.kind === 'block' || s.kind === 'repeat') && s.range.end.line > s.range.start.line) out.push({ startLine: s.range.start.line, endLine: s.range.end.line });
      if (s.kind === 'block' || s.kind === 'repeat') walk(s.body);
      if (s.kind === 'when') walk([s.body]);
    }
  };
  walk(file.statements);
  let run = -1; // first line of the current run of comment lines
  text.split(/\r?\n|\r/).forEach((line, i, lines) => {
    const comment = /^\s*#/.test(line);
    if (comment && run < 0) run = i;
    if (run >= 0 && (!comment || i === lines.length - 1)) {
      const end = comment ? i : i - 1;
      if (end > run) out.push({ startLine: run, endLine: end, kind: 'comment' });
      run = -1;
    }
  });
  return out.sort((x, y) => x.startLine - y.startLine);
}
