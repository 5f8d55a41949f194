// Resilient parser for `.net`: always returns a tree plus diagnostics. A broken line is reported with
// an exact range and skipped up to its end, so the lines after it still parse (matklad's recipe:
// at/eat/expect primitives, recovery at newlines, and no loop that can stall without consuming input).
import { isTerminated, lex, stringValue, type Token, type TokenKind, type Range, type Pos } from './lexer';
import type { Arg, Expr, Ident, OpCall, ParsedFile, Param, Ref, Stmt, SyntaxDiagnostic } from './ast';

/** The keyword of the generic layer form `op "Erf"(x)`; a word only where a layer kind stands. */
export const GENERIC_OP = 'op';

export const KEYWORDS = new Set(['input', 'block', 'end', 'repeat', 'as', 'from', 'def', 'when', 'and', 'or', 'not']);

const MAX_NESTING = 64;
/** Expressions: nesting the parser recurses on (parentheses, calls, unary and `**` operands), and the depth
 *  of the tree (`1 + 1 + ... + 1` is as deep as it is long, and the walkers of the tree recurse). Fixed
 *  limits give the same result on every stack: a caught stack overflow depends on the caller's stack, so a
 *  reparsed line and a full parse of the same text could disagree. */
const MAX_EXPR_NESTING = 128;
const MAX_EXPR_DEPTH = 1000;

/** Thousands of nested parentheses exhaust the stack: a `limit` diagnostic, not a crash. */
export const isStackOverflow = (e: unknown) => e instanceof RangeError && /call stack/i.test(e.message);

class ParseError {
  constructor(readonly range: Range, readonly message: string, readonly code = 'syntax-error') {}
}

const unterminated = (t: Token) =>
  new ParseError(t.range, 'unterminated string: close it with `"` on the same line', 'unterminated-string');

const describe = (t: Token) =>
  t.kind === 'newline' ? 'the end of the line' : t.kind === 'eof' ? 'the end of the file' : `\`${t.text}\``;

export function parse(text: string, firstLine = 0): ParsedFile {
  return new Parser(lex(text, firstLine)).file();
}

class Parser {
  private i = 0;
  private diagnostics: SyntaxDiagnostic[] = [];
  private fuel: number; // tokens that failed searches for an `end` may rescan
  private depth = 0; // bodies being parsed, bounded so that no input can exhaust the stack
  private nesting = 0; // nested expressions being parsed (MAX_EXPR_NESTING)
  private readonly depthOf = new WeakMap<Expr, number>(); // depth of each expression tree built (MAX_EXPR_DEPTH)
  private readonly unclosed = new Map<number, { body: Stmt[]; end: number; diagnostics: SyntaxDiagnostic[] }>(); // bodies without `end`, by start
  constructor(private readonly toks: Token[]) { this.fuel = 8 * toks.length + 10_000; }

  file(): ParsedFile {
    const statements = this.statements();
    while (!this.at('eof')) {
      // Only a stray `end` stops the top-level loop.
      const t = this.advance();
      this.report(new ParseError(t.range, '`end` without a `block` or `repeat` to close', 'unmatched-end'));
      this.skipLine();
      for (const st of this.statements()) statements.push(st); // (no spread: 100,000s of arguments overflow the stack)
    }
    return { statements, diagnostics: this.diagnostics };
  }

  // ---- primitives
  private peek(k = 0): Token { return this.toks[Math.min(this.i + k, this.toks.length - 1)]; }
  private at(kind: TokenKind, text?: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === kind && (text === undefined || t.text === text);
  }
  private atKeyword(word: string, k = 0) { return this.at('ident', word, k); }
  private atLineEnd() { return this.at('newline') || this.at('eof'); }
  private advance(): Token { const t = this.peek(); if (t.kind !== 'eof') this.i++; return t; }
  private eat(kind: TokenKind, text?: string): Token | null { return this.at(kind, text) ? this.advance() : null; }
  private errorAt(t: Token, message: string, code = 'syntax-error'): ParseError {
    if (t.kind === 'string' && !isTerminated(t)) return unterminated(t);
    const range = t.kind === 'newline' || t.kind === 'eof' ? { start: t.range.start, end: t.range.start } : t.range;
    return new ParseError(range, message, code);
  }
  private expect(kind: TokenKind, what: string): Token {
    const t = this.peek();
    if (t.kind !== kind) throw this.errorAt(t, `expected ${what}, found ${describe(t)}`);
    return this.advance();
  }
  private prevEnd(): Pos { return this.toks[Math.max(this.i - 1, 0)].range.end; } // shared by every span ending at that token
  private span(start: Pos): Range { return { start, end: this.prevEnd() }; }
  private report(e: ParseError) { this.diagnostics.push({ range: e.range, code: e.code, message: e.message }); }
  private skipLine() { while (!this.atLineEnd()) this.advance(); }
  private skipNewlines() { while (this.eat('newline')); }

  private ident(what: string): Ident {
    const t = this.peek();
    if (t.kind === 'error') throw this.errorAt(t, `unexpected character \`${t.text}\``, 'bad-character');
    if (t.kind !== 'ident') throw this.errorAt(t, `expected ${what}, found ${describe(t)}`);
    if (KEYWORDS.has(t.text)) throw this.errorAt(t, `\`${t.text}\` is a keyword and cannot be used as ${what}`, 'reserved-word');
    this.advance();
    return { text: t.text, range: t.range };
  }

  // ---- statements
  /** Statements up to the end of the file or (inside a block or repeat) the next `end`. */
  private statements(indent = -1): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.at('eof') || this.atKeyword('end')) return out;
      if (this.peek().start <= indent) return out; // recovery: a body without `end` stops at a dedent
      const before = this.i;
      try {
        const s = this.statement();
        // a line with trailing garbage is left out whole (a multi-line block or repeat is kept)
        if (s && (this.atLineEnd() || s.range.start.line !== s.range.end.line)) out.push(s);
        if (!this.atLineEnd()) {
          const t = this.peek();
          throw t.kind === 'error'
            ? this.errorAt(t, `unexpected character \`${t.text}\``, 'bad-character')
            : this.errorAt(t, `unexpected ${describe(t)}: expected the end of the line`);
        }
      } catch (e) {
        const err = isStackOverflow(e) ? this.errorAt(this.toks[before], 'this line is nested too deeply to parse', 'limit') : e;
        if (!(err instanceof ParseError)) throw err;
        this.report(err);
        this.skipLine();
      }
      if (this.i === before) this.advance(); // fuel: every iteration consumes input
    }
  }

  private statement(): Stmt | null {
    const t = this.peek();
    if (t.kind === 'error') throw this.errorAt(t, `unexpected character \`${t.text}\``, 'bad-character');
    if (t.kind !== 'ident') throw this.errorAt(t, `expected a statement (a layer, \`input\`, a variable or a block), found ${describe(t)}`);
    const start = t.range.start;
    switch (t.text) {
      case 'block': return this.blockDef();
      case 'def': return this.def();
      case 'input': return this.input();
      case 'repeat': return this.repeat(null, start);
      case 'when': return this.when(start);
    }
    if (this.at('=', undefined, 1)) {
      const name = this.ident('a variable name');
      this.advance();
      return { kind: 'var', name, value: this.shapeExpr(), range: this.span(start) };
    }
    let name: Ident | null = null;
    if (this.at(':', undefined, 1)) {
      name = this.ident('a layer name');
      this.advance();
      if (this.atKeyword('repeat')) return this.repeat(name, start);
      if (this.atLineEnd()) throw this.errorAt(this.peek(), `expected a layer after \`${name.text}:\`, found ${describe(this.peek())}`, 'missing-op');
    }
    return this.atKeyword(GENERIC_OP) ? this.generic(name, start) : this.layer(name, start);
  }

  private layer(name: Ident | null, start: Pos): Stmt {
    const ops: OpCall[] = [this.opCall()];
    let from = this.fromRefs(ops[0]); // `conv 8 from x | bn`, or at the end: `conv 8 | bn from x`
    while (this.eat('|')) {
      if (this.atKeyword(GENERIC_OP))
        throw this.errorAt(this.peek(), '`op "..."(...)` is a line on its own: it cannot be chained with `|`; write it on the next line with its inputs in the parentheses');
      ops.push(this.opCall());
    }
    from ??= this.fromRefs(ops[ops.length - 1]);
    let expect: Expr | null = null;
    if (this.eat('->')) expect = this.shapeExpr();
    return { kind: 'layer', name, ops, from, expect, range: this.span(start) };
  }

  /** `op "Erf"(a, b) [-> shape, ...]`: the whole line; the inputs are the refs in the parentheses. */
  private generic(name: Ident | null, start: Pos): Stmt {
    const kw = this.advance();
    const t = this.peek();
    if (t.kind !== 'string') throw this.errorAt(t, `expected the operator type in quotes after \`op\` (\`op "Erf"(x)\`), found ${describe(t)}`);
    if (!isTerminated(t)) throw unterminated(t);
    this.advance();
    const type = stringValue(t);
    if (type.trim() === '') throw this.errorAt(t, 'expected an operator type between the quotes (`op "Erf"(x)`)');
    this.expect('(', `\`(\` and the inputs of \`${type}\` (\`op "${type}"(x, y)\`, \`()\` for none)`);
    const from: Ref[] = [];
    if (!this.at(')')) {
      from.push(this.ref());
      while (this.eat(',')) from.push(this.ref());
    }
    this.expect(')', '`,` or `)` to close the inputs');
    const call: OpCall = { op: { text: kw.text, range: kw.range }, args: [], range: this.span(kw.range.start) };
    const shapes: Expr[] = [];
    if (this.eat('->')) {
      shapes.push(this.shapeExpr());
      while (this.eat(',')) shapes.push(this.shapeExpr()); // one shape per output
    }
    if (this.at('|'))
      throw this.errorAt(this.peek(), '`op "..."(...)` is a line on its own: it cannot be chained with `|`; write the next op on its own line (it reads this one)');
    if (this.atKeyword('from'))
      throw this.errorAt(this.peek(), `the inputs of \`op "${type}"\` go in its parentheses: \`op "${type}"(x, y)\`, not \`from\``);
    return { kind: 'layer', name, ops: [call], from, expect: shapes[0] ?? null, generic: { type, typeRange: t.range, shapes }, range: this.span(start) };
  }

  /** `from a, b`, and the options of `op` that may follow it (`concat from a, b dim=1`). */
  private fromRefs(op: OpCall): Ref[] | null {
    if (!this.eat('ident', 'from')) return null;
    const refs = [this.ref()];
    while (this.eat(',')) refs.push(this.ref());
    while (this.at('ident') && this.at('=', undefined, 1)) op.args.push(this.arg());
    return refs;
  }

  private opCall(): OpCall {
    const op = this.ident('a layer kind');
    const args: Arg[] = [];
    if (this.at('(') && !this.peek().spaceBefore) {
      this.advance();
      if (!this.at(')')) {
        args.push(this.arg());
        while (this.eat(',')) args.push(this.arg());
      }
      this.expect(')', '`,` or `)` to close the arguments');
    } else {
      while (!this.atLineEnd() && !this.at('|') && !this.at('->') && !this.atKeyword('from')) {
        if (this.at(',') && args.length > 0) { this.advance(); continue; }
        args.push(this.arg());
      }
    }
    return { op, args, range: this.span(op.range.start) };
  }

  private arg(): Arg {
    const start = this.peek().range.start;
    if (this.at('ident') && this.at('=', undefined, 1)) {
      const key = this.ident('an option name');
      this.advance();
      if (this.atLineEnd() || this.at(',') || this.at(')'))
        throw this.errorAt(this.peek(), `expected a value for \`${key.text}=\`, found ${describe(this.peek())}`, 'missing-value');
      return { key, value: this.shapeExpr(), range: this.span(start) };
    }
    return { key: null, value: this.shapeExpr(), range: this.span(start) };
  }

  private ref(): Ref {
    // an unnamed input is called `input`: the keyword is a valid reference
    const first: Ident = this.at('ident', 'input') ? this.advance() : this.ident('the name of a layer');
    let name = first.text;
    while (this.at('.') && !this.peek().spaceBefore) {
      this.advance();
      const t = this.peek();
      if (t.kind !== 'ident' && t.kind !== 'num') throw this.errorAt(t, `expected a name after \`.\`, found ${describe(t)}`);
      this.advance();
      name += '.' + t.text;
    }
    let index: number | null = null;
    if (this.eat('[')) {
      const t = this.expect('num', 'an output index');
      index = Number(t.text);
      if (!Number.isInteger(index)) throw this.errorAt(t, `an output index is a whole number, not ${t.text}`);
      this.expect(']', '`]`');
    }
    return { name, index, range: this.span(first.range.start) };
  }

  private input(): Stmt {
    const start = this.advance().range.start;
    let name: Ident | null = null;
    if (this.at('ident')) name = this.ident('an input name');
    this.expect(':', '`:` and the input shape (e.g. `input image: 3 x 224 x 224`)');
    if (this.atLineEnd()) throw this.errorAt(this.peek(), 'expected the input shape (e.g. `3 x 224 x 224`), found ' + describe(this.peek()), 'missing-value');
    return { kind: 'input', name, shape: this.shapeExpr(), range: this.span(start) };
  }

  private def(): Stmt {
    const start = this.advance().range.start;
    const name = this.ident('a function name');
    this.expect('(', '`(` and the parameter list');
    const params: Ident[] = [];
    if (!this.at(')')) {
      params.push(this.ident('a parameter name'));
      while (this.eat(',')) params.push(this.ident('a parameter name'));
    }
    this.expect(')', '`,` or `)`');
    this.expect('=', '`=` and the function body');
    return { kind: 'def', name, params, body: this.expr(), range: this.span(start) };
  }

  private when(start: Pos): Stmt {
    this.advance();
    const cond = this.expr();
    this.expect(':', '`:` after the condition');
    const body = this.statement();
    if (!body) throw this.errorAt(this.peek(), 'expected a statement after `when ...:`');
    return { kind: 'when', cond, body, range: this.span(start) };
  }

  private repeat(name: Ident | null, start: Pos): Stmt {
    this.advance();
    const count = this.expr();
    let index: Ident | null = null;
    if (this.eat('ident', 'as')) index = this.ident('an index name');
    this.expect(':', '`:` after the repeat count');
    if (!this.atLineEnd()) {
      const body = this.statement();
      return { kind: 'repeat', name, count, index, body: body ? [body] : [], range: this.span(start) };
    }
    const headerEnd = this.prevEnd();
    const body = this.bodyUpToEnd({ start, end: headerEnd }, 'this `repeat` has no `end`');
    return { kind: 'repeat', name, count, index, body, range: this.span(start) };
  }

  private blockDef(): Stmt | null {
    const start = this.advance().range.start;
    let name: Ident | null = null;
    const params: Param[] = [];
    try {
      name = this.ident('a block name');
      if (this.eat('(')) {
        if (!this.at(')')) {
          params.push(this.param());
          while (this.eat(',')) params.push(this.param());
        }
        this.expect(')', '`,` or `)` to close the parameters');
      }
      this.expect(':', '`:` at the end of the block header');
      if (!this.atLineEnd()) throw this.errorAt(this.peek(), `unexpected ${describe(this.peek())}: the block body starts on the next line`);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.report(e); // keep going: the body still parses, so its own errors show and `end` matches
      this.skipLine();
    }
    const header = { start, end: this.prevEnd() };
    const body = this.bodyUpToEnd(header, `block \`${name?.text ?? '?'}\` has no \`end\``);
    if (!name) return null;
    return { kind: 'block', name, params, body, header, range: this.span(start) };
  }

  /** The body of a block or multi-line repeat and its `end`. Without an `end`, the body is reparsed as
   * the lines indented deeper than the header, so a forgotten `end` does not swallow the rest of the file. */
  private bodyUpToEnd(header: Range, message: string): Stmt[] {
    if (this.depth >= MAX_NESTING) throw new ParseError(header, `blocks and repeats nested deeper than ${MAX_NESTING}`, 'limit');
    this.depth++;
    try { return this.bodyOrRecovery(header, message); } finally { this.depth--; }
  }

  private bodyOrRecovery(header: Range, message: string): Stmt[] {
    const at = this.i;
    const known = this.unclosed.get(at); // memo: nested unclosed bodies are not reparsed again and again
    if (known) {
      for (const d of known.diagnostics) this.diagnostics.push(d);
      this.i = known.end;
      return known.body;
    }
    const reported = this.diagnostics.length;
    if (this.fuel > 0) { // fuel: many unclosed bodies fall back to indentation instead of rescanning
      const body = this.statements();
      if (this.eat('ident', 'end')) return body;
      this.fuel -= this.i - at;
      this.i = at;
      this.diagnostics.length = reported;
    }
    this.report(new ParseError(header, message, 'missing-end'));
    let first = at; // the header line's first token: its column is the header's indentation
    while (first > 0 && this.toks[first - 1].kind !== 'newline') first--;
    const recovered = this.statements(this.toks[first].range.start.character);
    while (this.i > 0 && this.toks[this.i - 1].kind === 'newline') this.i--; // stop at the body's last line end
    this.unclosed.set(at, { body: recovered, end: this.i, diagnostics: this.diagnostics.slice(reported) });
    return recovered;
  }

  private param(): Param {
    const name = this.ident('a parameter name');
    return { name, default: this.eat('=') ? this.expr() : null };
  }

  // ---- expressions
  /** `a x b x c`: the separator is the identifier `x` between two values. */
  shapeExpr(): Expr {
    const first = this.expr();
    if (!this.atKeyword('x')) return first;
    const items = [first];
    while (this.eat('ident', 'x')) items.push(this.expr());
    return this.built({ kind: 'tuple', items, range: { start: first.range.start, end: this.prevEnd() } }, items);
  }

  private expr(): Expr { return this.binary(0); }

  /** A nested expression (in parentheses, a call's arguments, a unary or `**` operand), at most MAX_EXPR_NESTING deep. */
  private nested<T>(at: Token, f: () => T): T {
    if (this.nesting >= MAX_EXPR_NESTING) throw this.errorAt(at, `this expression is nested deeper than ${MAX_EXPR_NESTING} levels`, 'limit');
    this.nesting++;
    try { return f(); } finally { this.nesting--; }
  }

  /** `e`, made of `children`: refused when its tree is deeper than MAX_EXPR_DEPTH. */
  private built<T extends Expr>(e: T, children: Expr[]): T {
    let d = 0;
    for (const c of children) d = Math.max(d, this.depthOf.get(c) ?? 1);
    if (d >= MAX_EXPR_DEPTH) throw new ParseError(e.range, `this expression is nested deeper than ${MAX_EXPR_DEPTH} levels`, 'limit');
    this.depthOf.set(e, d + 1);
    return e;
  }

  private static readonly LEVELS: string[][] = [
    ['or'], ['and'], ['==', '!=', '<', '<=', '>', '>='], ['+', '-'], ['*', '/', '//', '%'],
  ];

  private atOp(ops: string[]): string | null {
    const t = this.peek();
    if ((t.kind === 'ident' && (t.text === 'and' || t.text === 'or')) || (t.kind !== 'ident' && t.kind !== 'num'))
      return ops.includes(t.text) ? t.text : null;
    return null;
  }

  private binary(level: number): Expr {
    if (level >= Parser.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (let op = this.atOp(Parser.LEVELS[level]); op; op = this.atOp(Parser.LEVELS[level])) {
      this.advance();
      const right = this.binary(level + 1);
      left = this.built({ kind: 'binary', op, left, right, range: { start: left.range.start, end: right.range.end } }, [left, right]);
    }
    return left;
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.kind === '-' || t.kind === '+' || (t.kind === 'ident' && t.text === 'not')) {
      this.advance();
      const operand = this.nested(t, () => this.unary());
      return this.built({ kind: 'unary', op: t.text as '-' | '+' | 'not', operand, range: { start: t.range.start, end: operand.range.end } }, [operand]);
    }
    return this.power();
  }

  private power(): Expr {
    const base = this.primary();
    if (!this.at('**')) return base;
    const op = this.advance();
    const exp = this.nested(op, () => this.unary()); // right-associative
    return this.built({ kind: 'binary', op: '**', left: base, right: exp, range: { start: base.range.start, end: exp.range.end } }, [base, exp]);
  }

  private primary(): Expr {
    const t = this.peek();
    if (t.kind === 'num') {
      this.advance();
      return { kind: 'num', value: Number(t.text), range: t.range };
    }
    if (t.kind === 'ident' && !KEYWORDS.has(t.text)) {
      this.advance();
      if (this.at('(') && !this.peek().spaceBefore) {
        this.advance();
        const args: Expr[] = [];
        this.nested(t, () => {
          if (!this.at(')')) {
            args.push(this.expr());
            while (this.eat(',')) args.push(this.expr());
          }
        });
        this.expect(')', '`,` or `)` to close the call');
        return this.built({ kind: 'call', callee: { text: t.text, range: t.range }, args, range: this.span(t.range.start) }, args);
      }
      return { kind: 'name', name: t.text, range: t.range };
    }
    if (t.kind === '(') {
      this.advance();
      const inner = this.nested(t, () => this.shapeExpr());
      this.expect(')', '`)`');
      return inner;
    }
    if (t.kind === 'error') throw this.errorAt(t, `unexpected character \`${t.text}\``, 'bad-character');
    throw this.errorAt(t, `expected a value, found ${describe(t)}`, t.kind === 'newline' || t.kind === 'eof' ? 'missing-value' : 'syntax-error');
  }
}
