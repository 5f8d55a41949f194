// Incremental reparsing: after an edit that keeps the number of lines, only the top-level statements
// on the changed lines are parsed again; every other statement keeps its identity (the evaluator
// reuses its work up to the first changed statement). Anything structural (a line added or removed,
// a block, a multi-line repeat, an `end`) falls back to a full parse, which is always correct.
import type { ParsedFile, Stmt } from './ast';
import { byStart } from './lexer';
import { parse } from './parser';

const STRUCTURAL = /^[ \t]*(block\b|end\b|([A-Za-z_][A-Za-z0-9_]*[ \t]*:[ \t]*)?repeat\b[^#\n]*:[ \t]*(#.*)?$)/m;

function countLines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

const lineEnd = (text: string, from: number) => { const nl = text.indexOf('\n', from); return nl === -1 ? text.length : nl; };

export interface Reparse { file: ParsedFile; /** lines parsed again, or null after a full parse */ region: [number, number] | null }

export function reparse(oldText: string, old: ParsedFile, text: string): Reparse {
  if (text === oldText) return { file: old, region: [0, -1] };
  const full = (): Reparse => ({ file: parse(text), region: null });
  // the changed span: common prefix and suffix
  const max = Math.min(oldText.length, text.length);
  let p = 0;
  while (p < max && oldText.charCodeAt(p) === text.charCodeAt(p)) p++;
  let q = 0;
  while (q < max - p && oldText.charCodeAt(oldText.length - 1 - q) === text.charCodeAt(text.length - 1 - q)) q++;
  const oldChanged = oldText.slice(p, oldText.length - q);
  const newChanged = text.slice(p, text.length - q);
  if (oldChanged.includes('\n') || newChanged.includes('\n') || oldChanged.includes('\r') || newChanged.includes('\r')) return full();
  const line = countLines(text, p);
  // the statements on that line (a statement spanning lines means a block or repeat: parse it all)
  const stmts = old.statements;
  let lo = 0;
  let hi = stmts.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (stmts[mid].range.end.line < line) lo = mid + 1; else hi = mid; }
  let end = lo;
  while (end < stmts.length && stmts[end].range.start.line <= line) end++;
  if (stmts.slice(lo, end).some((s: Stmt) => s.range.start.line !== s.range.end.line)) return full();
  // a syntax error elsewhere may come from a broken block around this line: parse it all
  if (old.diagnostics.some((d) => d.range.start.line !== line)) return full();
  const from = p === 0 ? 0 : text.lastIndexOf('\n', p - 1) + 1; // the same offset in both texts
  const eol = lineEnd(text, from);
  const lineText = text.slice(from, eol);
  if (STRUCTURAL.test(lineText) || STRUCTURAL.test(oldText.slice(from, lineEnd(oldText, from)))) return full();
  const region = parse(text.slice(from, eol + 1), line); // with its line break: `found the end of the line`
  if (region.statements.some((s) => s.range.start.line !== line || s.range.end.line !== line)) return full();
  const onLine = (d: { range: { start: { line: number } } }) => d.range.start.line === line;
  const diagnostics = [...old.diagnostics.filter((d) => !onLine(d)), ...region.diagnostics]
    .sort(byStart);
  return { file: { statements: [...stmts.slice(0, lo), ...region.statements, ...stmts.slice(end)], diagnostics }, region: [line, line] };
}
