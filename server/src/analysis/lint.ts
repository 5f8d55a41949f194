// Hardware lint rules: design advice from the cost model (cost-model.md sections 3 and 4) turned into
// diagnostics with the measured figure in every message. Pure: an `Analysis` and the source text in,
// diagnostics out. docs/rules.md ("Hardware lint rules") documents each rule, its source and its fix.
import type { Analysis, Diagnostic, Layer, Severity } from './analyze';
import type { Range } from '../syntax/lexer';
import { ACTIVATION_OPS, foldsBn } from './ops';
import { grouped } from './values';

export type RuleCode = 'g1-unbalanced-pointwise' | 'channel-multiple' | 'unfoldable-batchnorm';

export interface LintOptions {
  /** per rule: turn it off (`enabled: false`) or change its severity */
  rules?: Partial<Record<RuleCode, { enabled?: boolean; severity?: Severity }>>;
  /** `channel-multiple`: the channel multiple the hardware computes in (default 16) */
  channelMultiple?: number;
  /** `g1-unbalanced-pointwise`: report from this excess over the lower bound, in percent (default 10) */
  g1Threshold?: number;
}

/** The rules with their default severities. */
export const RULES: Record<RuleCode, { severity: Severity; summary: string }> = {
  'g1-unbalanced-pointwise': {
    severity: 'info',
    summary: 'a 1x1 convolution whose input and output widths differ: more memory access than a balanced one with the same MACs (ShuffleNet V2, guideline G1)',
  },
  'channel-multiple': {
    severity: 'info',
    summary: 'output channels (or features) that are not a multiple of the hardware lane width: the hardware pads them and leaves lanes idle',
  },
  'unfoldable-batchnorm': {
    severity: 'warning',
    summary: 'a batch norm that folds into no neighbouring conv or linear layer: it costs its element-wise work and memory traffic at inference',
  },
};

export const RULE_CODES = Object.keys(RULES) as RuleCode[];

const DEFAULT_CHANNEL_MULTIPLE = 16;
const DEFAULT_G1_THRESHOLD = 10;

/** ops whose output channels `channel-multiple` checks (dim 0); `linear` is checked on its last dim */
const CHANNEL_OPS = new Set(['conv', 'dwconv', 'pwconv', 'deconv']);
/** what may follow a classifier's linear layer and still leave it the network's output */
const HEAD_OPS = new Set([...ACTIVATION_OPS, 'softmax', 'dropout', 'identity']);

/** 24.5, 25 (not 25.0), <0.1 for a small positive share */
function percent(x: number): string {
  const s = x.toFixed(1).replace(/\.0$/, '');
  return s === '0' && x > 0 ? '<0.1' : s;
}

/** One finding on one layer; `score` ranks the instances of a block-body line (higher is worse). */
interface Finding { layer: Layer; code: RuleCode; message: string; score: number }

export function lint(a: Analysis, text: string, options: LintOptions = {}): Diagnostic[] {
  const enabled = (code: RuleCode) => options.rules?.[code]?.enabled !== false;
  const severity = (code: RuleCode) => options.rules?.[code]?.severity ?? RULES[code].severity;
  const multiple = positiveInteger(options.channelMultiple) ?? DEFAULT_CHANNEL_MULTIPLE;
  const threshold = typeof options.g1Threshold === 'number' && Number.isFinite(options.g1Threshold) ? options.g1Threshold : DEFAULT_G1_THRESHOLD;

  const graph = new Graph(a.layers);
  const findings: Finding[] = [];
  a.layers.forEach((layer, i) => {
    if (enabled('g1-unbalanced-pointwise')) {
      const f = g1(layer, threshold);
      if (f) findings.push(f);
    }
    if (enabled('channel-multiple')) {
      const f = channelMultiple(layer, i, graph, multiple);
      if (f) findings.push(f);
    }
    if (enabled('unfoldable-batchnorm')) {
      const f = unfoldableBatchNorm(layer, i, graph, a.totals.memoryBytes);
      if (f) findings.push(f);
    }
  });

  // suppression: `# netcost-ignore` on the reported line, or on the top-level line that built the layer
  const ignores = suppressions(text);
  const ignored = (line: number, code: RuleCode) => {
    const s = ignores.get(line);
    return s !== undefined && (s === 'all' || s.has(code));
  };
  const kept = findings.filter((f) => !ignored(f.layer.range.start.line, f.code) && !ignored(f.layer.useRange.start.line, f.code));

  // one diagnostic per (source range, rule): a block-body line is reported once, for its worst use
  const uses = new Map<string, number>();
  for (const l of a.layers) uses.set(rangeKey(l.range), (uses.get(rangeKey(l.range)) ?? 0) + 1);
  const byLine = new Map<string, Finding[]>();
  for (const f of kept) {
    const key = `${rangeKey(f.layer.range)}|${f.code}`;
    const list = byLine.get(key);
    if (list) list.push(f);
    else byLine.set(key, [f]);
  }
  const out: Diagnostic[] = [];
  for (const list of byLine.values()) {
    const worst = list.reduce((w, f) => (f.score > w.score ? f : w));
    const total = uses.get(rangeKey(worst.layer.range)) ?? 1;
    let message = worst.message;
    if (total > 1) {
      const count = list.length === total ? `all ${total}` : `${list.length} of ${total}`;
      const differ = list.some((f) => f.message !== worst.message);
      message += ` (in ${count} uses${differ ? `; worst: ${worst.layer.name}` : ''})`;
    }
    out.push({ range: worst.layer.range, severity: severity(worst.code), code: worst.code, message });
  }
  return out.sort((x, y) =>
    x.range.start.line - y.range.start.line || x.range.start.character - y.range.start.character || RULE_CODES.indexOf(x.code as RuleCode) - RULE_CODES.indexOf(y.code as RuleCode));
}

function positiveInteger(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

const rangeKey = (r: Range) => `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;

/** Readers of every layer, from the `inputs` names. */
class Graph {
  private readonly index = new Map<string, number>();
  private readonly readers: number[][];
  /** the layer is a network output: nothing reads it, or only element-wise / softmax / dropout heads */
  readonly isOutput: boolean[];
  constructor(readonly layers: Layer[]) {
    layers.forEach((l, i) => this.index.set(l.name, i));
    this.readers = layers.map(() => []);
    layers.forEach((l, i) => {
      for (const n of new Set(l.inputs)) {
        const j = this.index.get(n);
        if (j !== undefined && j !== i) this.readers[j].push(i);
      }
    });
    // producers come before their readers: decide from the last layer backwards
    this.isOutput = layers.map(() => false);
    for (let i = layers.length - 1; i >= 0; i--)
      this.isOutput[i] = this.readers[i].every((j) => j > i && HEAD_OPS.has(layers[j].op) && this.isOutput[j]);
  }
  producer(l: Layer): Layer | null {
    const j = l.inputs.length ? this.index.get(l.inputs[0]) : undefined;
    return j === undefined ? null : this.layers[j];
  }
  readersOf(i: number): Layer[] { return this.readers[i].map((j) => this.layers[j]); }
  readersOfLayer(l: Layer): Layer[] {
    const i = this.index.get(l.name);
    return i === undefined ? [] : this.readersOf(i);
  }
}

// ---- g1-unbalanced-pointwise (Ma et al. 2018, ShuffleNet V2, guideline G1; cost-model.md section 3)

const isOne = (v: unknown) => v === 1 || (Array.isArray(v) && v.length > 0 && v.every((x) => x === 1));

function g1(l: Layer, threshold: number): Finding | null {
  if (l.op !== 'conv' && l.op !== 'pwconv') return null;
  if (l.op === 'conv' && l.attrs.k !== undefined && !isOne(l.attrs.k)) return null;
  if (l.attrs.g !== undefined && l.attrs.g !== 1) return null;
  const input = l.inputShapes[0];
  const output = l.outputShape;
  if (!input || input.length !== 3 || output.length !== 3) return null;
  const [c1, hIn, wIn] = input;
  const [c2, h, w] = output;
  if (c1 === c2) return null;
  // the memory access cost in elements, input and output as the layer really reads and writes them
  // (a stride or padding makes them differ in size), weights c1*c2 (no bias, as in the paper)
  const pIn = hIn * wIn;
  const pOut = h * w;
  const measured = pIn * c1 + pOut * c2 + c1 * c2;
  // the lower bound for the same MACs B = pOut*c1*c2 (AM-GM): 2*sqrt(pIn*B) + B/pOut, reached when the
  // input and output feature maps are the same size (pIn*c1 = pOut*c2); with pIn = pOut = h*w it is the
  // paper's 2*sqrt(h*w*B) + B/(h*w)
  const bound = 2 * Math.sqrt(pIn * pOut * c1 * c2) + c1 * c2;
  const excess = ((measured - bound) * 100) / bound;
  if (!(excess >= threshold)) return null;
  const figures = `${percent(excess)}% above the ${pIn === pOut ? 'balanced width' : 'lower bound for its MACs'} (${grouped(measured)} vs ${grouped(Math.round(bound))} elements)`;
  const message = pIn === pOut
    ? `1x1 conv ${c1} -> ${c2}: c_in != c_out raises memory access cost ${figures}`
    : `1x1 conv ${c1} -> ${c2}, ${hIn}x${wIn} -> ${h}x${w}: its input and output feature maps differ in size (${grouped(pIn * c1)} vs ${grouped(pOut * c2)} elements), which raises memory access cost ${figures}`;
  return { layer: l, code: 'g1-unbalanced-pointwise', message, score: excess };
}

// ---- channel-multiple (hardware vendors' guidance; cost-model.md section 4)

function channelMultiple(l: Layer, i: number, graph: Graph, n: number): Finding | null {
  let c: number;
  let what: string;
  if (CHANNEL_OPS.has(l.op)) {
    c = l.outputShape[0];
    what = 'output channels';
  } else if (l.op === 'linear') {
    if (graph.isOutput[i]) return null; // a classifier's 1000 classes are a fact of the task
    c = l.outputShape[l.outputShape.length - 1];
    what = 'output features';
  } else return null;
  if (c === undefined || c % n === 0) return null;
  const padded = Math.ceil(c / n) * n;
  const idle = ((padded - c) / padded) * 100;
  return {
    layer: l, code: 'channel-multiple', score: idle,
    message: `${c} ${what}, not a multiple of ${n}: hardware pads to ${padded}, ${percent(idle)}% of the lanes idle`,
  };
}

// ---- unfoldable-batchnorm (cost-model.md section 2; docs/costs.md, "Batch-norm folding")

function unfoldableBatchNorm(l: Layer, i: number, graph: Graph, totalBytes: number): Finding | null {
  if (l.op !== 'bn' || l.foldedInto !== null) return null;
  const share = totalBytes > 0 ? (l.memoryBytes / totalBytes) * 100 : 0;
  const figures = `batch norm not folded: ${grouped(l.flops['2macs'])} FLOPs and ${grouped(l.memoryBytes)} bytes of memory access (${percent(share)}% of the network's)`;
  return { layer: l, code: 'unfoldable-batchnorm', score: l.memoryBytes, message: `${figures}: ${whyUnfolded(l, i, graph)}` };
}

function whyUnfolded(bn: Layer, i: number, graph: Graph): string {
  const prod = graph.producer(bn);
  const readers = graph.readersOf(i);
  const others = prod ? graph.readersOfLayer(prod).filter((r) => r !== bn).map((r) => `\`${r.name}\``) : [];
  const beforeActivation = prod && ACTIVATION_OPS.has(prod.op) ? graph.producer(prod) : null;
  let back: string;
  if (!prod) {
    back = `it reads the network input \`${bn.inputs[0]}\`, not a conv or linear layer; normalize the input in preprocessing, or move the batch norm after the first conv`;
  } else if (foldsBn(prod.op)) {
    back = others.length
      ? `\`${prod.name}\` is also read by ${others.join(', ')}, so the batch norm cannot fold into it; let ${others.length > 1 ? 'those layers' : 'that layer'} read the batch norm instead`
      : `it does not fold into \`${prod.name}\``; // the engine's folding rules changed: say no more than we know
  } else if (beforeActivation && foldsBn(beforeActivation.op)) {
    back = `an activation (${prod.op}) stands between it and the ${beforeActivation.op} \`${beforeActivation.name}\`; move it before the activation so it folds`;
  } else {
    back = `it reads ${/^[aeiou]/.test(prod.op) ? 'an' : 'a'} ${prod.op} (\`${prod.name}\`), not a conv or linear layer`;
  }
  // why it does not fold forward either (only when it could have)
  let forward = '';
  if (readers.length > 1) forward = `; ${readers.length} layers read it, so it cannot fold forward either`;
  else if (readers.length === 1 && foldsBn(readers[0].op)) {
    const p = readers[0].attrs.p;
    const pads = p !== undefined && p !== 'valid' && p !== 0 && !(Array.isArray(p) && p.every((v) => v === 0));
    if (pads) forward = `; the ${readers[0].op} after it (\`${readers[0].name}\`) pads its input (p=${Array.isArray(p) ? p.join('x') : p}), so it cannot fold forward either`;
  }
  return back + forward;
}

// ---- suppression comments

/** Line -> the rules `# netcost-ignore` turns off there (`all`, or the codes after the colon). */
export function suppressions(text: string): Map<number, 'all' | Set<string>> {
  const out = new Map<number, 'all' | Set<string>>();
  text.split(/\r\n|\r|\n/).forEach((line, n) => {
    const hash = line.indexOf('#'); // the language has no strings: `#` always starts a comment
    if (hash < 0) return;
    const m = /(?:^|[^\w-])netcost-ignore(?![\w-])(?:\s*:\s*([\w-]+(?:\s*,\s*[\w-]+)*))?/.exec(line.slice(hash + 1));
    if (!m) return;
    out.set(n, m[1] ? new Set(m[1].split(',').map((c) => c.trim())) : 'all');
  });
  return out;
}
