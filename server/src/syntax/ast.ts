// Syntax tree of a `.net` file. Every node keeps its source range; the parser never throws.
import type { Range } from './lexer';

export interface Ident { text: string; range: Range }

export type Expr =
  | { kind: 'num'; value: number; range: Range }
  | { kind: 'name'; name: string; range: Range }
  | { kind: 'unary'; op: '-' | '+' | 'not'; operand: Expr; range: Range }
  | { kind: 'binary'; op: string; left: Expr; right: Expr; range: Range }
  | { kind: 'call'; callee: Ident; args: Expr[]; range: Range }
  /** `a x b x c`: a shape or a per-axis value such as `k=1x7` */
  | { kind: 'tuple'; items: Expr[]; range: Range };

export interface Arg { key: Ident | null; value: Expr; range: Range }

export interface OpCall { op: Ident; args: Arg[]; range: Range }

/** `op "Erf"(a, b) -> shape`: an operator the language has no kind for. Its statement is a `layer`
 *  with one op call (the `op` keyword), the refs in the parentheses as `from` and the first declared
 *  shape as `expect` (a declaration there, not an assertion). */
export interface GenericOp {
  /** the operator type, without the quotes */
  type: string;
  /** the string literal, quotes included */
  typeRange: Range;
  /** the declared output shapes (`-> 3 x 4, 3 x 4` for two outputs); empty when none is given */
  shapes: Expr[];
}

/** A reference to a layer output: `name`, `stem.conv`, `parts[1]`. */
export interface Ref { name: string; index: number | null; range: Range }

export interface Param { name: Ident; default: Expr | null }

interface StmtBase { range: Range }

export type Stmt =
  | (StmtBase & { kind: 'var'; name: Ident; value: Expr })
  | (StmtBase & { kind: 'def'; name: Ident; params: Ident[]; body: Expr })
  | (StmtBase & { kind: 'input'; name: Ident | null; shape: Expr })
  | (StmtBase & { kind: 'layer'; name: Ident | null; ops: OpCall[]; from: Ref[] | null; expect: Expr | null; generic?: GenericOp })
  | (StmtBase & { kind: 'block'; name: Ident; params: Param[]; body: Stmt[]; header: Range })
  | (StmtBase & { kind: 'repeat'; name: Ident | null; count: Expr; index: Ident | null; body: Stmt[] })
  | (StmtBase & { kind: 'when'; cond: Expr; body: Stmt });

export interface SyntaxDiagnostic { range: Range; code: string; message: string }

export interface ParsedFile { statements: Stmt[]; diagnostics: SyntaxDiagnostic[] }
