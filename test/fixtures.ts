// Test fixtures written in `.net` with the expected ranges marked inline, as rust-analyzer and
// TypeScript's fourslash tests do: `«` and `»` surround a range and are removed before analysis.
import type { Range } from '../server/src/syntax/lexer';

/** Strips the `«...»` markers; returns the text and the marked ranges (0-based lines, UTF-16 columns). */
export function marked(fixture: string): { text: string; ranges: Range[] } {
  const ranges: Range[] = [];
  const lines = fixture.split('\n').map((line, l) => {
    let out = '';
    let start = -1;
    for (const ch of line) {
      if (ch === '«') start = out.length;
      else if (ch === '»') ranges.push({ start: { line: l, character: start }, end: { line: l, character: out.length } });
      else out += ch;
    }
    return out;
  });
  return { text: lines.join('\n'), ranges };
}

/** A range on one line. */
export const span = (line: number, start: number, end: number): Range => ({ start: { line, character: start }, end: { line, character: end } });
