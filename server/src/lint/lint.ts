// Hardware lint rules: design advice from the cost model (cost-model.md sections 2 to 4) turned into
// diagnostics with the measured figure in every message. Pure: an `Analysis`, the source text and the
// options (the active hardware target among them) in, diagnostics out. docs/rules.md ("Hardware lint
// rules") documents each rule, its source and its fix. Rules that need a target (roofline times, the
// launch overhead, kernel density, shuffle support) are skipped when no target is given.
import { DTYPE_BYTES, type Analysis, type Diagnostic, type Figures, type Layer, type Severity } from '../analysis/analyze';
import type { Range } from '../syntax/lexer';
import { ACTIVATION_OPS, foldsBn } from '../analysis/ops';
import { grouped } from '../analysis/values';
import { estimate, layerTime, type LayerTime } from '../hardware/roofline';
import { peakFor, type Target } from '../hardware/targets';
import { human } from '../ide/units';
import { ELEMENTWISE_OPS, Graph } from './graph';

export type RuleCode =
  | 'g1-unbalanced-pointwise' | 'channel-multiple' | 'unfoldable-batchnorm'
  | 'g2-group-conv' | 'g3-fragmentation' | 'g4-elementwise' | 'depthwise-memory-bound' | 'separable-low-channels'
  | 'large-kernel' | 'fc-dominant' | 'shuffle-unsupported' | 'hotspot';

export interface LintOptions {
  /** per rule: turn it off (`enabled: false`) or change its severity */
  rules?: Partial<Record<RuleCode, { enabled?: boolean; severity?: Severity }>>;
  /** the hardware the network runs on: thresholds and the target-dependent rules follow it; absent: those rules are skipped */
  target?: Target;
  /** `channel-multiple`: overrides the target's `channelMultiple` when given (a positive integer); with neither, 16 */
  channelMultiple?: number;
  /** `g1-unbalanced-pointwise`: report from this excess over the lower bound, in percent (default 10) */
  g1Threshold?: number;
  /** `g2-group-conv`: report from this excess over a one-group conv with the same MACs, in percent (default 20) */
  g2Threshold?: number;
  /** `g3-fragmentation`: report from this launch-overhead share of a block's estimated time, in percent (default 30) */
  g3Threshold?: number;
  /** `g4-elementwise`: report from this share of the network's memory access moved by unfused element-wise layers, in percent (default 20) */
  g4Threshold?: number;
  /** `fc-dominant`: report a linear layer from this share of the network's params, in percent (default 50) */
  fcThreshold?: number;
  /** `hotspot`: report a layer from this share of the network's estimated latency, in percent (default 25) */
  hotspotThreshold?: number;
}

/** The rules with their default severities; new rules are added at the end (the order of diagnostics on one range). */
export const RULES: Record<RuleCode, { severity: Severity; summary: string }> = {
  'g1-unbalanced-pointwise': {
    severity: 'info',
    summary: 'a 1x1 convolution whose input and output widths differ: more memory access than a balanced one with the same MACs (ShuffleNet V2, guideline G1)',
  },
  'channel-multiple': {
    severity: 'info',
    summary: "output channels (or features) that are not a multiple of the target's channel multiple: the hardware pads them and leaves lanes idle",
  },
  'unfoldable-batchnorm': {
    severity: 'warning',
    summary: 'a batch norm that folds into no neighbouring conv or linear layer: it costs its element-wise work and memory traffic at inference',
  },
  'g2-group-conv': {
    severity: 'info',
    summary: 'a group convolution with many groups: more memory access than a one-group conv with the same MACs (ShuffleNet V2, guideline G2)',
  },
  'g3-fragmentation': {
    severity: 'info',
    summary: "a block of many small operators: kernel launches take a large share of its estimated time on the target (ShuffleNet V2, guideline G3)",
  },
  'g4-elementwise': {
    severity: 'info',
    summary: "element-wise layers fused into no conv or linear layer move a large share of the network's memory access (ShuffleNet V2, guideline G4)",
  },
  'depthwise-memory-bound': {
    severity: 'info',
    summary: 'a depthwise convolution that is memory-bound on the target: its arithmetic intensity is below the ridge point',
  },
  'separable-low-channels': {
    severity: 'info',
    summary: 'a depthwise separable pair at low channel counts that one regular convolution would beat on the target (MobileDets)',
  },
  'large-kernel': {
    severity: 'info',
    summary: 'a 5x5 or 7x7 convolution on a target that computes 3x3 kernels at a higher density (RepVGG)',
  },
  'fc-dominant': {
    severity: 'info',
    summary: "a fully connected layer holding most of the network's parameters",
  },
  'shuffle-unsupported': {
    severity: 'warning',
    summary: 'a channel shuffle on a target whose usual runtime has no channel shuffle operator',
  },
  hotspot: {
    severity: 'info',
    summary: "a layer whose estimated time is a large share of the network's estimated latency on the target",
  },
};

export const RULE_CODES = Object.keys(RULES) as RuleCode[];

export const DEFAULT_CHANNEL_MULTIPLE = 16;
export const DEFAULTS = { g1Threshold: 10, g2Threshold: 20, g3Threshold: 30, g4Threshold: 20, fcThreshold: 50, hotspotThreshold: 25 } as const;
/** `g3-fragmentation`: a block (or a run of top-level layers) needs at least this many operators that launch */
export const G3_MIN_OPERATORS = 4;
/** `fc-dominant`: a linear layer under this many params is never reported (a small classifier head is no problem) */
export const FC_MIN_PARAMS = 1_000_000;
/** `hotspot`: networks with fewer launching layers are not reported (in a 3-layer file one layer always dominates) */
export const HOTSPOT_MIN_LAYERS = 10;

/** ops whose output channels `channel-multiple` checks (dim 0); `linear` is checked on its last dim */
const CHANNEL_OPS = new Set(['conv', 'dwconv', 'pwconv', 'deconv']);

/** 24.5, 25 (not 25.0), <0.1 for a small positive share */
export function percent(x: number): string {
  const s = x.toFixed(1).replace(/\.0$/, '');
  return s === '0' && x > 0 ? '<0.1' : s;
}

/** Three significant digits with a unit: 3.2e-5 -> "32 µs", 0.00125 -> "1.25 ms". */
export function duration(s: number): string {
  if (!(s > 0)) return '0 s';
  const [unit, scale] = s >= 1 ? ['s', 1] : s >= 1e-3 ? ['ms', 1e3] : s >= 1e-6 ? ['µs', 1e6] : ['ns', 1e9];
  return `${Number((s * scale).toPrecision(3))} ${unit}`;
}

const sig3 = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(3))) : '∞');
/** 8.1e12 -> "8.10 TFLOP/s" */
function rate(x: number): string {
  const h = human(Math.round(x));
  return /[A-Z]$/.test(h) ? `${h.slice(0, -1)} ${h.slice(-1)}FLOP/s` : `${h} FLOP/s`;
}

/**
 * One finding; `score` ranks the instances of a block-body line (higher is worse). `kind` says what
 * its range counts uses of: a layer's op, a block use or repeat (`group`), or nothing (`file`: a finding
 * about the whole network, made once).
 */
interface Finding { range: Range; useRange: Range; name: string; code: RuleCode; message: string; score: number; kind: 'layer' | 'group' | 'file' }

const onLayer = (layer: Layer, code: RuleCode, message: string, score: number): Finding =>
  ({ range: layer.range, useRange: layer.useRange, name: layer.name, code, message, score, kind: 'layer' });

/** What the rules share: the analysis, its graph, the target and the per-layer times on it. */
class Context {
  readonly graph: Graph;
  private times?: LayerTime[];
  constructor(readonly a: Analysis, readonly target: Target | undefined) { this.graph = new Graph(a.layers); }
  time(i: number): LayerTime {
    this.times ??= this.a.layers.map((l) => layerTime(l, this.target!, this.a.settings.dtype));
    return this.times[i];
  }
}

const threshold = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

export function lint(a: Analysis, text: string, options: LintOptions = {}): Diagnostic[] {
  const enabled = (code: RuleCode) => options.rules?.[code]?.enabled !== false && (!NEEDS_TARGET.has(code) || options.target !== undefined);
  const severity = (code: RuleCode) => options.rules?.[code]?.severity ?? RULES[code].severity;
  const multiple = positiveInteger(options.channelMultiple) ?? positiveInteger(options.target?.channelMultiple) ?? DEFAULT_CHANNEL_MULTIPLE;
  const th = (k: keyof typeof DEFAULTS) => threshold(options[k], DEFAULTS[k]);

  const ignores = suppressions(text);
  const ignored = (line: number, code: RuleCode) => {
    const s = ignores.get(line);
    return s !== undefined && (s === 'all' || s.has(code));
  };
  const silenced = (f: Pick<Finding, 'range' | 'useRange' | 'code'>) => ignored(f.range.start.line, f.code) || ignored(f.useRange.start.line, f.code);

  const cx = new Context(a, options.target);
  const findings: Finding[] = [];
  const push = (f: Finding | null) => { if (f) findings.push(f); };
  a.layers.forEach((layer, i) => {
    if (enabled('g1-unbalanced-pointwise')) push(g1(layer, th('g1Threshold')));
    if (enabled('channel-multiple')) push(channelMultiple(layer, i, cx.graph, multiple));
    if (enabled('unfoldable-batchnorm')) push(unfoldableBatchNorm(layer, i, cx.graph, a.totals.memoryBytes));
    if (enabled('g2-group-conv')) push(g2(layer, th('g2Threshold')));
    if (enabled('depthwise-memory-bound')) push(depthwiseMemoryBound(cx, layer, i));
    if (enabled('separable-low-channels')) push(separableLowChannels(cx, layer, i));
    if (enabled('large-kernel')) push(largeKernel(cx, layer));
    if (enabled('fc-dominant')) push(fcDominant(layer, a.totals.params, th('fcThreshold')));
    if (enabled('shuffle-unsupported')) push(shuffleUnsupported(cx, layer));
  });
  // (not `push(...list)`: a list of 100,000 findings passed as arguments overflows the stack)
  if (enabled('hotspot')) for (const f of hotspots(cx, th('hotspotThreshold'))) findings.push(f);
  if (enabled('g3-fragmentation')) for (const f of fragmentation(cx, text, th('g3Threshold'))) findings.push(f);
  if (enabled('g4-elementwise')) push(elementwise(cx, th('g4Threshold'), (l) => silenced({ ...l, code: 'g4-elementwise' })));

  // suppression: `# netcost-ignore` on the reported line, or on the top-level line that built it
  const kept = findings.filter((f) => !silenced(f));

  // one diagnostic per (source range, rule): a block-body line is reported once, for its worst use
  const uses = new Map<string, number>();
  const count = (key: string) => uses.set(key, (uses.get(key) ?? 0) + 1);
  for (const l of a.layers) count(`layer|${rangeKey(l.range)}`);
  for (const g of a.groups) count(`group|${rangeKey(g.range)}`);
  const byLine = new Map<string, Finding[]>();
  for (const f of kept) {
    const key = `${f.kind}|${rangeKey(f.range)}|${f.code}`;
    const list = byLine.get(key);
    if (list) list.push(f);
    else byLine.set(key, [f]);
  }
  const out: Diagnostic[] = [];
  for (const list of byLine.values()) {
    const worst = list.reduce((w, f) => (f.score > w.score ? f : w));
    const total = worst.kind === 'file' ? 1 : uses.get(`${worst.kind}|${rangeKey(worst.range)}`) ?? 1;
    let message = worst.message;
    if (total > 1) {
      const n = list.length === total ? `all ${total}` : `${list.length} of ${total}`;
      const differ = list.some((f) => f.message !== worst.message);
      message += ` (in ${n} uses${differ ? `; worst: ${worst.name}` : ''})`;
    }
    out.push({ range: worst.range, severity: severity(worst.code), code: worst.code, message });
  }
  return out.sort((x, y) =>
    x.range.start.line - y.range.start.line || x.range.start.character - y.range.start.character || RULE_CODES.indexOf(x.code as RuleCode) - RULE_CODES.indexOf(y.code as RuleCode));
}

/** rules that read the target's roofline, launch overhead, kernel density or operator support */
const NEEDS_TARGET = new Set<RuleCode>(['g3-fragmentation', 'depthwise-memory-bound', 'separable-low-channels', 'large-kernel', 'shuffle-unsupported', 'hotspot']);

function positiveInteger(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

const rangeKey = (r: Range) => `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;

// ---- layer geometry

const isOne = (v: unknown) => v === 1 || (Array.isArray(v) && v.length > 0 && v.every((x) => x === 1));

/** kh, kw of a conv-like layer (conv and pwconv default to 1, dwconv to 3) */
function kernelOf(l: Layer): [number, number] {
  const k = l.attrs.k;
  if (typeof k === 'number') return [k, k];
  if (Array.isArray(k) && k.length === 2 && k.every((x) => typeof x === 'number')) return [k[0] as number, k[1] as number];
  return l.op === 'dwconv' ? [3, 3] : [1, 1];
}

/** the groups of a conv, pwconv or dwconv; 0 for other ops */
function groupsOf(l: Layer): number {
  if (l.op === 'dwconv') return l.inputShapes[0]?.[0] ?? 0;
  if (l.op !== 'conv' && l.op !== 'pwconv') return 0;
  return typeof l.attrs.g === 'number' ? l.attrs.g : 1;
}

/** a 2-D conv on C x H x W: its channels, sizes, kernel and groups */
function convGeometry(l: Layer) {
  const g = groupsOf(l);
  const input = l.inputShapes[0];
  if (!g || !input || input.length !== 3 || l.outputShape.length !== 3) return null;
  const [c1, hIn, wIn] = input;
  const [c2, h, w] = l.outputShape;
  const [kh, kw] = kernelOf(l);
  return { c1, hIn, wIn, c2, h, w, kh, kw, g, depthwise: g > 1 && g === c1 };
}

const spatial = (hIn: number, wIn: number, h: number, w: number) => (hIn === h && wIn === w ? `${h}x${w}` : `${hIn}x${wIn} -> ${h}x${w}`);

// ---- g1-unbalanced-pointwise (Ma et al. 2018, ShuffleNet V2, guideline G1; cost-model.md section 3)

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
  let message = `1x1 conv ${c1} -> ${c2} on ${spatial(hIn, wIn, h, w)}: memory access cost ${percent(excess)}% above the lower bound for its MACs (${grouped(measured)} vs ${grouped(Math.round(bound))} elements)`;
  if (pIn !== pOut) message += `; its input and output feature maps differ in size (${grouped(pIn * c1)} vs ${grouped(pOut * c2)} elements)`;
  return onLayer(l, 'g1-unbalanced-pointwise', message, excess);
}

// ---- g2-group-conv (ShuffleNet V2, guideline G2; cost-model.md section 3)

function g2(l: Layer, threshold: number): Finding | null {
  const c = convGeometry(l);
  if (!c || c.g <= 1 || c.depthwise || c.g >= c.c1) return null;
  // per sample, in elements, weights without bias: MAC_g = P_in*c1 + P_out*c2 + kh*kw*c1*c2/g, for
  // B = kh*kw*P_out*c1*c2/g MACs. A one-group conv with the same c1 and the same B writes c2/g channels:
  // MAC_1 = P_in*c1 + P_out*c2/g + kh*kw*c1*c2/g (section 3: MAC = h*w*c1 + B*g/c1 + B/(h*w) grows with g)
  const pIn = c.hIn * c.wIn;
  const pOut = c.h * c.w;
  const weights = (c.kh * c.kw * c.c1 * c.c2) / c.g;
  const measured = pIn * c.c1 + pOut * c.c2 + weights;
  const one = pIn * c.c1 + (pOut * c.c2) / c.g + weights;
  const excess = ((measured - one) * 100) / one;
  if (!(excess >= threshold)) return null;
  return onLayer(l, 'g2-group-conv',
    `${c.kh}x${c.kw} group conv ${c.c1} -> ${c.c2} with ${c.g} groups on ${spatial(c.hIn, c.wIn, c.h, c.w)}: memory access cost ${percent(excess)}% above a one-group conv with the same MACs (${grouped(measured)} vs ${grouped(Math.round(one))} elements)`,
    excess);
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
  return onLayer(l, 'channel-multiple', `${c} ${what}, not a multiple of ${n}: hardware pads to ${padded}, ${percent(idle)}% of the lanes idle`, idle);
}

// ---- unfoldable-batchnorm (cost-model.md section 2; docs/costs.md, "Batch-norm folding")

function unfoldableBatchNorm(l: Layer, i: number, graph: Graph, totalBytes: number): Finding | null {
  if (l.op !== 'bn' || l.foldedInto !== null) return null;
  const share = totalBytes > 0 ? (l.memoryBytes / totalBytes) * 100 : 0;
  const figures = `batch norm not folded: ${grouped(l.flops['2macs'])} FLOPs and ${grouped(l.memoryBytes)} bytes of memory access (${percent(share)}% of the network's)`;
  return onLayer(l, 'unfoldable-batchnorm', `${figures}: ${whyUnfolded(l, i, graph)}`, l.memoryBytes);
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

// ---- depthwise-memory-bound (cost-model.md section 4: depthwise convolution on GPUs is mostly memory-bound)

function depthwiseMemoryBound(cx: Context, l: Layer, i: number): Finding | null {
  const c = convGeometry(l);
  if (!c || !c.depthwise) return null;
  const t = cx.target!;
  const lt = cx.time(i);
  if (lt.bound !== 'memory' || !(lt.seconds > 0)) return null;
  // the peak its class reaches (a calibrated target's compute efficiency; 1 otherwise), so the ridge is its class's
  const peak = peakFor(t, cx.a.settings.dtype) * lt.efficiency;
  const ridge = peak / t.bandwidth;
  return onLayer(l, 'depthwise-memory-bound',
    `depthwise ${c.kh}x${c.kw} conv, ${c.c1} channels on ${spatial(c.hIn, c.wIn, c.h, c.w)}: memory-bound on ${t.name}, ${sig3(lt.intensity)} FLOP/byte against a ridge point of ${sig3(ridge)}; it reaches ${rate(lt.attainable)} of ${rate(peak)} (${percent((lt.attainable / peak) * 100)}%), an estimated ${duration(lt.seconds)}`,
    ridge / Math.max(lt.intensity, 1e-12));
}

// ---- separable-low-channels (MobileDets, Xiong et al. 2021; cost-model.md section 4)

/** the pointwise conv a depthwise layer feeds, through folded batch norms and fused activations only */
function pointwiseAfter(cx: Context, i: number): number | null {
  const g = cx.graph;
  let j = i;
  for (let step = 0; step < 6; step++) {
    const rs = g.readerIndices(j);
    if (rs.length !== 1) return null;
    const r = cx.a.layers[rs[0]];
    const rc = convGeometry(r);
    if (rc && rc.g === 1 && rc.kh === 1 && rc.kw === 1) return rs[0];
    if (!((r.op === 'bn' && r.foldedInto !== null) || (ELEMENTWISE_OPS.has(r.op) && g.fused[rs[0]]))) return null;
    j = rs[0];
  }
  return null;
}

function separableLowChannels(cx: Context, l: Layer, i: number): Finding | null {
  const d = convGeometry(l);
  if (!d || !d.depthwise || d.c2 !== d.c1) return null;
  const pi = pointwiseAfter(cx, i);
  if (pi === null) return null;
  const p = cx.a.layers[pi];
  const [cOut, ho, wo] = p.outputShape;
  const t = cx.target!;
  const { batch, dtype } = cx.a.settings;
  const pair = cx.time(i).seconds + cx.time(pi).seconds + 2 * t.launchOverhead;
  // one regular KxK conv c_in -> c_out with the depthwise layer's stride (cost-model.md section 2, no bias)
  const macs = d.kh * d.kw * d.c1 * cOut * ho * wo * batch;
  const bytes = (batch * (d.c1 * d.hIn * d.wIn + cOut * ho * wo) + d.kh * d.kw * d.c1 * cOut) * DTYPE_BYTES[dtype];
  const regular = layerTime({ flops: { '2macs': 2 * macs } as Figures['flops'], memoryBytes: bytes }, t, dtype).seconds + t.launchOverhead;
  if (!(regular < pair)) return null;
  const k = `${d.kh}x${d.kw}`;
  return onLayer(l, 'separable-low-channels',
    `depthwise separable ${k} conv ${d.c1} -> ${cOut} on ${spatial(d.hIn, d.wIn, ho, wo)}: an estimated ${duration(pair)} on ${t.name} (depthwise ${duration(cx.time(i).seconds)} + 1x1 ${duration(cx.time(pi).seconds)} + 2 launches of ${duration(t.launchOverhead)}); one regular ${k} conv ${d.c1} -> ${cOut} would take ${duration(regular)} (${grouped(macs)} MACs, 1 launch)`,
    pair / regular);
}

// ---- large-kernel (RepVGG, Ding et al. 2021; cost-model.md section 4)

function largeKernel(cx: Context, l: Layer): Finding | null {
  const c = convGeometry(l);
  if (!c || c.depthwise) return null;
  const k = Math.max(c.kh, c.kw);
  if (k < 5) return null;
  const t = cx.target!;
  const density = t.kernelDensity?.[k];
  const base = t.kernelDensity?.[3] ?? 1;
  if (density === undefined || !(density < base)) return null;
  const rel = (density / base) * 100;
  const stack = Math.ceil((k - 1) / 2);
  return onLayer(l, 'large-kernel',
    `${c.kh}x${c.kw} conv ${c.c1} -> ${c.c2}: ${t.name} computes ${k}x${k} kernels at ${percent(rel)}% of the density of 3x3 ones (${grouped(l.macs)} MACs); ${stack} stacked 3x3 convs cover the same ${k}x${k} receptive field`,
    100 - rel);
}

// ---- fc-dominant (cost-model.md section 2: a classifier on a flattened feature map)

function fcDominant(l: Layer, totalParams: number, threshold: number): Finding | null {
  if (l.op !== 'linear' || l.params < FC_MIN_PARAMS || !(totalParams > 0)) return null;
  const share = (l.params / totalParams) * 100;
  if (!(share >= threshold)) return null;
  const input = l.inputShapes[0] ?? [];
  const features = input.length === 3 || input.length === 0 ? input.reduce((x, y) => x * y, 1) : input[input.length - 1];
  return onLayer(l, 'fc-dominant',
    `fully connected ${grouped(features)} -> ${grouped(l.outputShape[l.outputShape.length - 1])} holds ${grouped(l.params)} params, ${percent(share)}% of the network's ${grouped(totalParams)}`,
    share);
}

// ---- shuffle-unsupported (cost-model.md section 2: some inference frameworks lack the operator)

function shuffleUnsupported(cx: Context, l: Layer): Finding | null {
  const t = cx.target!;
  if (l.op !== 'shuffle' || t.shuffle !== false) return null;
  return onLayer(l, 'shuffle-unsupported',
    `channel shuffle (${l.attrs.g} groups) of ${l.outputShape.join('x')}: the usual runtime of ${t.name} has no channel shuffle, so it runs as a gather or falls back to the CPU, moving ${grouped(l.memoryBytes)} bytes`,
    l.memoryBytes);
}

// ---- hotspot (cost-model.md section 4: the roofline estimate per layer)

function hotspots(cx: Context, threshold: number): Finding[] {
  const { a, graph } = cx;
  const t = cx.target!;
  const launching = a.layers.map((_l, i) => i).filter((i) => graph.launches(i));
  if (launching.length < HOTSPOT_MIN_LAYERS) return [];
  const total = estimate(a, t).seconds;
  if (!(total > 0)) return [];
  const out: Finding[] = [];
  for (const i of launching) {
    const lt = cx.time(i);
    const share = (lt.seconds / total) * 100;
    if (!(share >= threshold)) continue;
    out.push(onLayer(a.layers[i], 'hotspot',
      `hotspot: an estimated ${duration(lt.seconds)} of the network's ${duration(total)} on ${t.name} (${percent(share)}%), ${lt.bound}-bound`, share));
  }
  return out;
}

// ---- g3-fragmentation (ShuffleNet V2, guideline G3)

function fragmentation(cx: Context, text: string, threshold: number): Finding[] {
  const { a, graph } = cx;
  const t = cx.target!;
  const lines = text.split(/\r\n|\r|\n/);
  const out: Finding[] = [];
  const measure = (members: number[]) => {
    const launched = members.filter((i) => graph.launches(i));
    const work = launched.reduce((s, i) => s + cx.time(i).seconds, 0);
    const overhead = launched.length * t.launchOverhead;
    const total = work + overhead;
    return { ops: launched.length, total, overhead, share: total > 0 ? (overhead / total) * 100 : 0 };
  };
  const figures = (m: ReturnType<typeof measure>) =>
    `launch overhead ${percent(m.share)}% of its estimated ${duration(m.total)} on ${t.name} (${m.ops} launches of ${duration(t.launchOverhead)})`;

  // blocks and repeats that hold no other block or repeat. Not quadratic: a file of nested repeats has
  // 100,000 groups, with names of hundreds of characters (sorted once, each looked up by binary search)
  const sorted = a.groups.map((g) => g.name).sort();
  const holdsAnother = (name: string) => {
    const key = `${name}.`;
    let lo = 0, hi = sorted.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid] < key) lo = mid + 1; else hi = mid; }
    return lo < sorted.length && sorted[lo].startsWith(key);
  };
  const membersOf = new Map<string, number[]>();
  a.layers.forEach((l, i) => {
    for (const n of l.groups) {
      const m = membersOf.get(n);
      if (!m) membersOf.set(n, [i]);
      else if (m[m.length - 1] !== i) m.push(i);
    }
  });
  for (const g of a.groups) {
    if (holdsAnother(g.name)) continue;
    const members = membersOf.get(g.name) ?? [];
    if (!members.length) continue;
    const m = measure(members);
    if (m.ops < G3_MIN_OPERATORS || !(m.share >= threshold)) continue;
    const inside = new Set(members.map((i) => a.layers[i].name));
    const branches = members.filter((i) => a.layers[i].inputs.some((n) => !inside.has(n))).length;
    const header = g.range.start.line;
    const range = g.range.end.line === header ? g.range : { start: g.range.start, end: { line: header, character: (lines[header] ?? '').length } };
    const what = g.kind === 'repeat' ? `repeat \`${g.name}\`` : `block use \`${g.name}\` (${g.kind})`;
    out.push({
      range, useRange: a.layers[members[0]].useRange, name: g.name, code: 'g3-fragmentation', kind: 'group', score: m.share,
      message: `${what}: ${m.ops} operators${branches > 1 ? ` in ${branches} parallel branches` : ''}, ${figures(m)}`,
    });
  }

  // a run of top-level layers (an ONNX listing has no blocks): consecutive launching layers each shorter than a launch
  let run: number[] = [];
  const flush = () => {
    if (run.length >= G3_MIN_OPERATORS) {
      const m = measure(run);
      const first = a.layers[run[0]];
      if (m.share >= threshold)
        out.push({ ...onLayer(first, 'g3-fragmentation', `${m.ops} consecutive small operators (\`${first.name}\` to \`${a.layers[run[run.length - 1]].name}\`): ${figures(m)}`, m.share) });
    }
    run = [];
  };
  a.layers.forEach((l, i) => {
    if (l.groups.length) return flush();
    if (!graph.launches(i)) return; // folded, fused or a view: neither part of the run nor a break
    if (cx.time(i).seconds < t.launchOverhead) run.push(i);
    else flush();
  });
  flush();
  return out;
}

// ---- g4-elementwise (ShuffleNet V2, guideline G4)

function elementwise(cx: Context, threshold: number, silenced: (l: Layer) => boolean): Finding | null {
  const { a, graph } = cx;
  const total = a.totals.memoryBytes;
  if (!(total > 0)) return null;
  // the unfused element-wise layers nobody silenced, per source range
  const lines = new Map<string, Layer[]>();
  a.layers.forEach((l, i) => {
    if (!ELEMENTWISE_OPS.has(l.op) || !graph.launches(i) || silenced(l)) return;
    const key = rangeKey(l.range);
    const list = lines.get(key);
    if (list) list.push(l);
    else lines.set(key, [l]);
  });
  const all = [...lines.values()].flat();
  const moved = all.reduce((s, l) => s + l.memoryBytes, 0);
  const share = (moved / total) * 100;
  if (!all.length || !(share >= threshold)) return null;
  const bytesOf = (ls: Layer[]) => ls.reduce((s, l) => s + l.memoryBytes, 0);
  const heaviest = [...lines.values()].reduce((w, ls) => (bytesOf(ls) > bytesOf(w) ? ls : w));
  const byOp = new Map<string, number>();
  for (const l of all) byOp.set(l.op, (byOp.get(l.op) ?? 0) + 1);
  const ops = [...byOp].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([op, n]) => `${n} ${op}`).join(', ');
  const here = heaviest.length > 1 ? `this line's ${heaviest[0].op} (${heaviest.length} uses)` : `this ${heaviest[0].op}`;
  const first = heaviest[0];
  return {
    range: first.range, useRange: first.useRange, name: first.name, code: 'g4-elementwise', kind: 'file', score: share,
    message: `element-wise layers fused into no conv or linear layer move ${percent(share)}% of the network's memory access (${grouped(moved)} of ${grouped(total)} bytes, ${all.length} layer${all.length > 1 ? 's' : ''}: ${ops}); the heaviest, ${here}, moves ${percent((bytesOf(heaviest) / total) * 100)}%`,
  };
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
