// Semantic tokens: every name coloured by what it names, from the syntax tree alone (no analysis),
// in the LSP's relative encoding.
import type { ParsedFile, Stmt } from '../syntax/ast';
import type { Range } from '../syntax/lexer';
import { BUILTIN_FUNCTIONS, nameIndex, type Occurrence } from './navigate';

/** The legend. Layer names (layers, inputs, repeats, `in`, `stem.conv`) are `variable`s; variables
 *  are `readonly` variables; block and function parameters and repeat indices are `parameter`s;
 *  blocks are `class`es; `def` functions are `function`s; layer kinds (`conv`) and built-in functions
 *  are `defaultLibrary` functions; the op type of `op "Erf"(x)` is a `string`. A definition has the
 *  `declaration` modifier. */
export const TOKEN_TYPES = ['class', 'function', 'parameter', 'variable', 'string'] as const;
export const TOKEN_MODIFIERS = ['declaration', 'readonly', 'defaultLibrary'] as const;

type TokenType = (typeof TOKEN_TYPES)[number];
type Modifier = (typeof TOKEN_MODIFIERS)[number];

/** What an occurrence is shown as; null for what is no name (a word such as `same`, an unknown name). */
function token(o: Occurrence): [TokenType, Modifier[]] | null {
  if (o.implicit || (o.via && o.space === 'layer')) return null; // not spelled there; `stem` of `stem.conv` is in its reference
  const decl: Modifier[] = o.decl ? ['declaration'] : [];
  switch (o.space) {
    case 'op': return ['function', ['defaultLibrary']];
    case 'layer': return ['variable', decl];
    case 'block': return o.sym ? ['class', decl] : null;
    case 'function': return o.sym ? ['function', decl] : BUILTIN_FUNCTIONS.has(o.name) ? ['function', ['defaultLibrary']] : null;
    case 'value': return !o.sym ? null : o.sym.kind === 'variable' ? ['variable', [...decl, 'readonly']] : ['parameter', decl];
  }
}

/** The string literals of the file: the op types of generic layers, in block and repeat bodies too. */
function strings(stmts: Stmt[], out: { range: Range; t: [TokenType, Modifier[]] }[]): void {
  for (const s of stmts) {
    if (s.kind === 'layer' && s.generic) out.push({ range: s.generic.typeRange, t: ['string', []] });
    else if (s.kind === 'block' || s.kind === 'repeat') strings(s.body, out);
    else if (s.kind === 'when') strings([s.body], out);
  }
}

/** The file's semantic tokens: five numbers per token (line delta, start delta, length, type, modifier bits). */
export function semanticTokens(file: ParsedFile): number[] {
  const data: number[] = [];
  const tokens: { range: Range; t: [TokenType, Modifier[]] }[] = [];
  for (const o of nameIndex(file).occurrences) {
    const t = token(o);
    if (t) tokens.push({ range: o.range, t });
  }
  strings(file.statements, tokens);
  tokens.sort((x, y) => x.range.start.line - y.range.start.line || x.range.start.character - y.range.start.character);
  let line = 0;
  let char = 0;
  for (const { range, t } of tokens) {
    const { start, end } = range;
    data.push(start.line - line, start.line === line ? start.character - char : start.character, end.character - start.character,
      TOKEN_TYPES.indexOf(t[0]), t[1].reduce((bits, m) => bits | (1 << TOKEN_MODIFIERS.indexOf(m)), 0));
    line = start.line;
    char = start.character;
  }
  return data;
}
