// Quick fixes for the lint diagnostics as plain data (LSP-shaped edits): round a literal channel count
// up to the lane multiple, move a batch norm before the activation that keeps it from folding, and
// silence a rule on its line with `# netcost-ignore: code`. Each fix carries the diagnostic it answers.
import type { Analysis, Layer } from '../analysis/analyze';
import { DEFAULT_CHANNEL_MULTIPLE, RULE_CODES } from '../lint/lint';
import { ACTIVATION_OPS, findOp, foldsBn } from '../analysis/ops';
import type { OpCall, Stmt } from '../syntax/ast';
import type { Range } from '../syntax/lexer';
import type { TextEdit } from './navigate';

export interface QuickFix<D> { title: string; kind: 'quickfix'; diagnostic: D; isPreferred: boolean; edits: TextEdit[] }

/** ops whose width is their first positional argument */
const WIDTH_OPS = new Set(['conv', 'pwconv', 'deconv', 'linear']);

const same = (r: Range, s: Range) =>
  r.start.line === s.start.line && r.start.character === s.start.character && r.end.line === s.end.line && r.end.character === s.end.character;

/**
 * The fixes for `diagnostics` (the editor's copies: their code, range and message are read) on the
 * analysed `text`. `channel-multiple` rounds to the multiple its message names (the active target's, or
 * the setting's override); `channelMultiple` is the fallback for a copy without its message (0: 16).
 */
export function quickFixes<D extends { range: Range; code?: string | number; message?: unknown }>(a: Analysis, text: string, diagnostics: D[], channelMultiple: number): QuickFix<D>[] {
  const lines = text.split(/\r\n|\r|\n/);
  const out: QuickFix<D>[] = [];
  for (const d of diagnostics) {
    const code = String(d.code);
    if (!(RULE_CODES as string[]).includes(code)) continue;
    const named = /not a multiple of (\d+)/.exec(typeof d.message === 'string' ? d.message : '');
    const fix = code === 'channel-multiple' ? roundWidth(a, d.range, named ? Number(named[1]) : channelMultiple > 0 ? channelMultiple : DEFAULT_CHANNEL_MULTIPLE)
      : code === 'unfoldable-batchnorm' ? moveBatchNorm(a, d.range, lines) : null;
    if (fix) out.push({ ...fix, kind: 'quickfix', diagnostic: d, isPreferred: true });
    out.push({ title: `Ignore \`${code}\` on this line`, kind: 'quickfix', diagnostic: d, isPreferred: false, edits: [ignore(lines, d.range.start.line, code)] });
  }
  return out;
}

/** The op call at exactly `r`, in any statement list (block bodies, repeats, `when`). */
function callAt(stmts: Stmt[], r: Range): OpCall | null {
  for (const s of stmts) {
    if (s.range.end.line < r.start.line || s.range.start.line > r.end.line) continue;
    const found = s.kind === 'layer' ? s.ops.find((c) => same(c.range, r))
      : s.kind === 'block' || s.kind === 'repeat' ? callAt(s.body, r)
      : s.kind === 'when' ? callAt([s.body], r) : null;
    if (found) return found;
  }
  return null;
}

/** `conv 24` -> `conv 32`: only a number written in the source; a width computed by an expression has no fix. */
function roundWidth(a: Analysis, at: Range, n: number) {
  const call = callAt(a.syntax.statements, at);
  const width = call && WIDTH_OPS.has(findOp(call.op.text)?.name ?? '') ? call.args.find((x) => !x.key)?.value : undefined;
  if (width?.kind !== 'num' || !Number.isInteger(width.value) || width.value % n === 0) return null;
  const padded = Math.ceil(width.value / n) * n;
  return { title: `Round ${width.value} up to ${padded}, a multiple of ${n}`, edits: [{ range: width.range, newText: String(padded) }] };
}

/**
 * `conv | relu | bn` -> `conv | bn | relu`, on one line or on consecutive lines: the two ops trade
 * places; names, `from`s, shape assertions and comments stay where they are, so every reader reads
 * the same point of the network. Offered only when the swap lets the batch norm fold in every use:
 * nothing but the activation reads the conv, nothing but the batch norm reads the activation.
 */
function moveBatchNorm(a: Analysis, at: Range, lines: string[]) {
  const byName = new Map(a.layers.map((l) => [l.name, l]));
  const readers = new Map<string, number>();
  for (const l of a.layers) for (const n of new Set(l.inputs)) readers.set(n, (readers.get(n) ?? 0) + 1);
  let act: Layer | undefined;
  let conv: Layer | undefined;
  for (const bn of a.layers) {
    if (bn.op !== 'bn' || !same(bn.range, at)) continue;
    const x = byName.get(bn.inputs[0]);
    const c = x && byName.get(x.inputs[0]);
    if (!x || !c || !ACTIVATION_OPS.has(x.op) || !foldsBn(c.op) || readers.get(x.name) !== 1 || readers.get(c.name) !== 1) return null;
    if (x.groups[0] !== bn.groups[0] || (act && !same(act.range, x.range))) return null; // the same instance, the same lines in every use
    act = x;
    conv = c;
  }
  if (!act || !conv) return null;
  const text = (r: Range) => lines[r.start.line].slice(r.start.character, r.end.character);
  return {
    title: `Move the batch norm before the ${act.op} so it folds into the ${conv.op}`,
    edits: [{ range: act.range, newText: text(at) }, { range: at, newText: text(act.range) }],
  };
}

/** `  # netcost-ignore: code` at the end of the line, or the code added to the line's directive or comment. */
function ignore(lines: string[], line: number, code: string): TextEdit {
  const t = lines[line] ?? '';
  const hash = t.indexOf('#');
  const directive = hash < 0 ? null : /(?:^|[^\w-])netcost-ignore\s*:\s*[\w-]+(?:\s*,\s*[\w-]+)*/.exec(t.slice(hash));
  const at = directive ? hash + directive.index + directive[0].length : t.length;
  const newText = directive ? `, ${code}` : hash < 0 ? `  # netcost-ignore: ${code}` : `  netcost-ignore: ${code}`;
  return { range: { start: { line, character: at }, end: { line, character: at } }, newText };
}
