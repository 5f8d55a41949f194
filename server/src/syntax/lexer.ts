// Lexer for the `.net` language: turns source text into tokens that keep their exact ranges.
// It never fails: an unexpected character becomes an `error` token that the parser reports.

export interface Pos { line: number; character: number } // 0-based; character in UTF-16 units (as LSP)
export interface Range { start: Pos; end: Pos }

/** Orders things with ranges (diagnostics) by where they start. */
export const byStart = (a: { range: Range }, b: { range: Range }): number =>
  a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;

export type TokenKind =
  | 'num' | 'ident' | 'string' | 'newline' | 'eof' | 'error'
  | ':' | '=' | '(' | ')' | ',' | '|' | '->' | '[' | ']' | '.'
  | '+' | '-' | '*' | '/' | '//' | '%' | '**'
  | '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A token; its range object is built on first use (most newline and punctuation tokens never need one). */
export class Token {
  private r: Range | undefined;
  constructor(
    readonly kind: TokenKind,
    readonly text: string,
    readonly line: number,
    readonly start: number,
    readonly end: number,
    /** true when whitespace (or line start) precedes the token */
    readonly spaceBefore: boolean,
  ) {}
  get range(): Range {
    return (this.r ??= { start: { line: this.line, character: this.start }, end: { line: this.line, character: this.end } });
  }
}

const PUNCT: TokenKind[] = ['->', '//', '**', '==', '!=', '<=', '>=', ':', '=', '(', ')', ',', '|', '[', ']', '.', '+', '-', '*', '/', '%', '<', '>'];

// Character classes by code, without regular expressions: the lexer runs on every keystroke.
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined) => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isIdentChar = (c: string | undefined) => isIdentStart(c) || isDigit(c);
/** punctuation by first character, longest first */
const PUNCT_BY_CHAR = new Map<string, TokenKind[]>();
for (const p of PUNCT) PUNCT_BY_CHAR.set(p[0], [...(PUNCT_BY_CHAR.get(p[0]) ?? []), p]);

/** Whether a `string` token has its closing quote (`"Erf"`, not `"Erf`). */
export function isTerminated(t: Token): boolean {
  const s = t.text;
  if (s.length < 2 || s[s.length - 1] !== '"') return false;
  let slashes = 0; // `"a\"` ends with an escaped quote
  for (let j = s.length - 2; j > 0 && s[j] === '\\'; j--) slashes++;
  return slashes % 2 === 0;
}

/** The value of a string token: its text without the quotes, `\"` read as `"` and `\\` as `\`. */
export function stringValue(t: Token): string {
  const s = t.text;
  const body = s.slice(1, isTerminated(t) ? -1 : s.length);
  let out = '';
  for (let j = 0; j < body.length; j++) out += body[j] === '\\' && (body[j + 1] === '"' || body[j + 1] === '\\') ? body[++j] : body[j];
  return out;
}

/** `firstLine`: the line number of the text's first line (a region of a larger document). */
export function lex(text: string, firstLine = 0): Token[] {
  const tokens: Token[] = [];
  let line = firstLine;
  let lineStart = 0;
  let i = 0;
  let spaceBefore = true;
  const push = (kind: TokenKind, start: number, end: number) => {
    // punctuation and line ends are their kind: no substring for them
    const t = kind === 'num' || kind === 'ident' || kind === 'string' || kind === 'error' ? text.slice(start, end) : kind === 'newline' ? '\n' : kind === 'eof' ? '' : kind;
    tokens.push(new Token(kind, t, line, start - lineStart, end - lineStart, spaceBefore));
    spaceBefore = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n' || c === '\r') {
      const end = c === '\r' && text[i + 1] === '\n' ? i + 2 : i + 1;
      push('newline', i, i + 1);
      i = end;
      line++;
      lineStart = i;
      spaceBefore = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\f' || c === '\v' || c === '\u00a0' || c === '\ufeff') { i++; spaceBefore = true; continue; }
    if (c === '#') { while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++; spaceBefore = true; continue; }
    const start = i;
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1]))) {
      while (isDigit(text[i])) i++;
      if (text[i] === '.' && isDigit(text[i + 1])) { i++; while (isDigit(text[i])) i++; }
      if ((text[i] === 'e' || text[i] === 'E') && (isDigit(text[i + 1]) || ((text[i + 1] === '-' || text[i + 1] === '+') && isDigit(text[i + 2])))) {
        i += 2;
        while (isDigit(text[i])) i++;
      }
      push('num', start, i);
      continue;
    }
    if (isIdentStart(c)) {
      // `x` between a value and a digit is the shape separator of `3x224x224`: emit it alone (`x1` is a name).
      const prev = tokens[tokens.length - 1];
      if (c === 'x' && isDigit(text[i + 1]) && !spaceBefore && (prev?.kind === 'num' || prev?.kind === ')')) { push('ident', i, i + 1); i++; continue; }
      while (i < text.length && isIdentChar(text[i])) i++;
      push('ident', start, i);
      continue;
    }
    if (c === '"') {
      // a string ends at its closing quote or, unterminated, at the end of the line (the parser reports it)
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== '\n' && text[i] !== '\r') i += text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\') ? 2 : 1;
      if (text[i] === '"') i++;
      push('string', start, i);
      continue;
    }
    const p = PUNCT_BY_CHAR.get(c)?.find((t) => text.startsWith(t, i));
    if (p) { push(p, i, i + p.length); i += p.length; continue; }
    // One error token per run of unexpected characters (a surrogate pair stays whole).
    while (i < text.length && !/[\s#"A-Za-z0-9_:=(),|\[\].+\-*/%<>!]/.test(text[i])) i++;
    if (i === start) i++;
    push('error', start, i);
  }
  push('eof', i, i);
  return tokens;
}
