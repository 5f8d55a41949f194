// Random `.net` inputs: edits of the examples of the kinds people make while typing (characters, tokens,
// lines), hostile ones (huge numbers, deep nesting, unbalanced blocks, odd Unicode and line ends), and
// token soup. A case is a sequence of texts: each is fed to one IncrementalAnalyzer in turn.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from './prng';

const dir = join(__dirname, '..', '..', 'examples');
export const EXAMPLES: { name: string; text: string }[] = readdirSync(dir).filter((f) => f.endsWith('.net')).sort()
  .map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));

const KEYWORDS = ['input', 'block', 'end', 'repeat', 'as', 'from', 'def', 'when', 'and', 'or', 'not', 'in', 'op', 'if', 'dim'];
const OPS = ['conv', 'dwconv', 'pwconv', 'deconv', 'linear', 'fc', 'matmul', 'attention', 'mha', 'maxpool', 'avgpool', 'gap', 'gmp',
  'bn', 'ln', 'relu', 'relu6', 'sigmoid', 'hardsigmoid', 'hardswish', 'swish', 'gelu', 'tanh', 'softmax', 'add', 'mul', 'concat',
  'split', 'shuffle', 'flatten', 'reshape', 'transpose', 'upsample', 'dropout', 'identity', 'patch_embed', 'cls_token', 'pos_embed'];
const OPTIONS = ['k', 's', 'p', 'd', 'g', 'm', 'op', 'bias', 'dim', 'heads', 'mode', 'ceil', 'tb', 'same', 'valid', 'true', 'false', 'bilinear', 'nearest'];
const FUNCS = ['make_divisible', 'round8', 'int', 'floor', 'ceil', 'round', 'min', 'max', 'abs', 'if', 'dim'];
const PUNCT = [':', '=', '(', ')', ',', '|', '->', '[', ']', '.', '+', '-', '*', '/', '//', '%', '**', '==', '!=', '<', '<=', '>', '>=', 'x', '"', '#'];
export const HUGE = ['9007199254740993', '99999999999999999999999', '1e308', '1e309', '1e-320', '4294967296', '2147483648', '0', '-1', '1.5',
  '0.0000001', '65536', '1000000', '123456789012', '2 ** 62', '10 ** 400', '0x10', '1e', '.5', '00007', '1__0'];
const NAMES = ['x', 'y', 'in', 'stem', 'main', 'short', 'a', 'b', 'layer1', 'conv_1', 'relu_2', 'x[0]', 'x[1]', 'x[99999]', 'stem.conv', 'i', 'c', 'alpha'];
const ODD = ['\r', '\r\n', '\t', '\u0000', '\u00a0', '\ufeff', '\u2028', '😀', '\ud800', '\udc00', 'é', '\u200b', '\\', '"', '\'', '@', '$', '`', '~', '{', '}', ';', '&', '^', '?', '!'];

export const vocabulary = (r: Rng): string => {
  switch (r.int(0, 7)) {
    case 0: return r.pick(KEYWORDS);
    case 1: case 2: return r.pick(OPS);
    case 3: return `${r.pick(OPTIONS)}=${r.chance(0.7) ? r.int(0, 9) : r.pick(HUGE)}`;
    case 4: return r.pick(PUNCT);
    case 5: return r.chance(0.8) ? String(r.int(0, 512)) : r.pick(HUGE);
    case 6: return r.pick(NAMES);
    default: return r.chance(0.5) ? r.pick(FUNCS) : r.pick(ODD);
  }
};

const lineStarts = (t: string): number[] => {
  const out = [0];
  for (let i = 0; i < t.length; i++) if (t[i] === '\n') out.push(i + 1);
  return out;
};
const splice = (t: string, at: number, del: number, ins: string) => t.slice(0, at) + ins + t.slice(at + del);

/** A random token-ish run of the text: [start, end). */
function tokenAt(t: string, r: Rng): [number, number] | null {
  if (!t.length) return null;
  const re = /[A-Za-z_][A-Za-z_0-9]*|\d+(\.\d+)?|->|\/\/|\*\*|[^\sA-Za-z_0-9]/g;
  re.lastIndex = r.int(0, t.length - 1);
  const m = re.exec(t) ?? (re.lastIndex = 0, re.exec(t));
  return m ? [m.index, m.index + m[0].length] : null;
}

/**
 * Deep structure: nested repeats, nested blocks, deep parentheses, long chains. `heavy`: also files at
 * the engine's limits (nested `repeat 2` that reach the iteration limit: 100,000+ layers whose names are
 * hundreds of characters, about a second per analysis); without it (the test suite) the nesting that
 * multiplies stays small, and the depth limit is reached through `repeat 1`.
 */
function deep(r: Rng, heavy: boolean): string {
  const n = r.pick([20, 65, 100, 300, 2000, 20000]);
  switch (r.int(0, 6)) {
    case 0: return `x = ${'('.repeat(n)}1${')'.repeat(r.chance(0.7) ? n : r.int(0, n))}\n`;
    case 1: {
      const depth = Math.min(n, 400);
      // lite: only the innermost 8 levels multiply, to at most 512 layers (every level above multiplies
      // the number of groups, whose names grow with the depth)
      let product = 1;
      const count = (i: number) => {
        const c = r.pick([1, 2, 2, 3]);
        if (!heavy && (i < depth - 8 || product * c > 512)) return 1;
        product *= c;
        return c;
      };
      return `${Array.from({ length: depth }, (_, i) => `${'  '.repeat(i)}repeat ${count(i)}:`).join('\n')}\n relu\n${'end\n'.repeat(r.int(0, depth))}`;
    }
    case 2: { // blocks calling one another in a chain (or a cycle)
      const k = Math.min(n, 300);
      let s = '';
      for (let i = 0; i < k; i++) s += `block b${i}(c):\n  b${r.chance(0.1) ? r.int(0, k) : i + 1}(c)\nend\n`;
      return s + `block b${k}(c):\n  relu\nend\nb0(8)\n`;
    }
    case 3: return `relu${' | relu'.repeat(Math.min(n, 5000))}\n`;
    case 4: return `y = ${Array.from({ length: Math.min(n, 3000) }, () => r.pick(['1', 'alpha', '2'])).join(r.pick([' + ', ' * ', ' ** ', ' - ', ' // ']))}\n`;
    case 5: return `x = ${'-'.repeat(n)}1\nz = ${'not '.repeat(Math.min(n, 5000))}1\n`;
    default: return `def f(a) = ${'f('.repeat(Math.min(n, 2000))}a${')'.repeat(Math.min(n, 2000))}\nconv f(3)\n`;
  }
}

/** One edit of `t`. */
export function mutate(t: string, r: Rng, heavy = true): string {
  const at = r.int(0, t.length);
  const lines = t.split('\n');
  const li = r.int(0, Math.max(0, lines.length - 1));
  switch (r.weighted([14, 8, 6, 10, 8, 5, 5, 5, 4, 6, 4, 4, 3, 3, 3, 2, 3])) {
    case 0: { // a number changed, as while typing
      const m = /\d+/g;
      m.lastIndex = at;
      const hit = m.exec(t) ?? /\d+/.exec(t);
      return hit ? splice(t, hit.index, hit[0].length, r.chance(0.8) ? String(r.int(0, 300)) : r.pick(HUGE)) : t;
    }
    case 1: return splice(t, at, r.int(1, 4), ''); // delete characters
    case 2: return splice(t, at, 0, String.fromCharCode(r.int(32, 126)));
    case 3: return splice(t, at, 0, vocabulary(r) + (r.chance(0.5) ? ' ' : ''));
    case 4: { const k = tokenAt(t, r); return k ? splice(t, k[0], k[1] - k[0], r.chance(0.3) ? '' : vocabulary(r)) : t; }
    case 5: { const k = tokenAt(t, r); return k ? splice(t, k[0], 0, t.slice(k[0], k[1]) + ' ') : t; } // duplicate a token
    case 6: lines.splice(li, 0, lines[li] ?? ''); return lines.join('\n'); // duplicate a line
    case 7: { const j = r.int(0, lines.length - 1); [lines[li], lines[j]] = [lines[j], lines[li]]; return lines.join('\n'); }
    case 8: lines.splice(li, r.int(1, 5)); return lines.join('\n'); // cut lines
    case 9: return splice(t, at, 0, r.chance(0.5) ? '\n' : r.pick(['block b(c):\n', 'end\n', 'repeat 3:\n', 'repeat 2 as i: ', 'when 1: ', 'from x ', 'input q: 3 x 8 x 8\n', 'def g(a) = a\n', ' -> 1 x 2 x 3', ':', 'op "Erf"(x) ']));
    case 10: return splice(t, at, 0, r.pick(ODD)); // odd characters, line ends, lone surrogates
    case 11: return splice(t, at, 0, ` ${r.pick(HUGE)} `);
    case 12: return splice(t, lineStarts(t)[li] ?? 0, 0, deep(r, heavy));
    case 13: return r.chance(0.5) ? t.replace(/\nend\b/, '\n') : t + r.pick(['\nend', '\nend\nend\n', '\nblock', '\nrepeat 4:', '\nblock z(:\n']); // unbalanced blocks
    case 14: lines[li] = (lines[li] ?? '').slice(0, r.int(0, (lines[li] ?? '').length)); return lines.join('\n'); // a line cut mid-way
    case 15: return t.replace(/\n/g, r.pick(['\r\n', '\r', '\n\n', ' \n']));
    default: { // move a run of lines elsewhere
      const k = r.int(1, 6);
      const moved = lines.splice(li, k);
      lines.splice(r.int(0, lines.length), 0, ...moved);
      return lines.join('\n');
    }
  }
}

/** Random token soup: vocabulary words with spaces and line ends. */
export function soup(r: Rng): string {
  const n = r.int(1, 300);
  let s = r.chance(0.5) ? 'input i: 3 x 32 x 32\n' : '';
  for (let i = 0; i < n; i++) s += vocabulary(r) + (r.chance(0.15) ? '\n' : r.chance(0.1) ? '' : ' ');
  return s;
}

/** The sequence of texts of one case: a base (an example, a soup, or empty) and edits of it. Bounded in size. */
export function netCase(r: Rng, heavy = true): string[] {
  const base = r.chance(0.85) ? r.pick(EXAMPLES).text : r.chance(0.8) ? soup(r) : '';
  const texts = [base];
  let t = base;
  const steps = r.int(1, 12);
  for (let i = 0; i < steps; i++) {
    const k = r.chance(0.3) ? r.int(2, 6) : 1; // several edits between two analyses, as a fast typist's
    for (let j = 0; j < k; j++) t = mutate(t, r, heavy);
    if (t.length > 400_000) t = t.slice(0, 400_000);
    texts.push(t);
  }
  return texts;
}
