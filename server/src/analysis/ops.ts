// The layer catalogue: for each op, its arguments, its output shape and its cost (batch 1).
// Formulas follow ../shared/docs/cost-model.md; docs/costs.md states every convention used here.
// Pure: an impossible shape throws AnalysisError, which the evaluator reports on the layer's line.
import { AnalysisError, type Value, fmtValue, grouped } from './values';
import { add, elems, mul } from './exact';

/** Per-sample cost of one layer. Feature-map figures scale with the batch, weights do not. */
export interface Cost {
  outputs: number[][];
  /** learnable parameters in the inference graph (before batch-norm folding adjusts them) */
  params: number;
  /** parameters as the training graph counts them (an unfolded BN: gamma and beta) */
  trainingParams: number;
  /** weight elements read: params plus buffers (a BN's running mean and variance) */
  weights: number;
  macs: number;
  /** FLOPs in the `2*MACs` convention, element-wise operations included */
  flops2: number;
  /** FLOPs in the `exact` convention (n multiplies and n-1 adds per dot product of length n) */
  flopsExact: number;
  /** feature-map elements read and written */
  read: number;
  written: number;
  /** the MACs (or FLOPs) formula with the numbers substituted, for hovers (built only when asked) */
  formula: () => string;
}

export type ArgKind = 'count' | 'index' | 'int' | 'pair' | 'pad' | 'bool' | 'word' | 'shape';
export interface ArgSpec { name: string; kind: ArgKind; words?: string[]; doc: string }

export interface OpSpec {
  name: string;
  aliases: string[];
  /** number of inputs: exactly 1, or at least 2 (`from a, b, ...`) */
  inputs: 1 | 2;
  positional: ArgSpec[];
  /** the last positional argument may repeat (`split 58 58`, `transpose 1 0`) */
  variadic?: boolean;
  options: ArgSpec[];
  /** ops a following batch norm folds into */
  foldsBn?: boolean;
  /** at least this many positional arguments */
  required: number;
  doc: string;
  apply(a: Args, inputs: number[][]): Cost;
}

/** Validated arguments of one layer. */
export interface Args {
  get(name: string): Value | undefined;
  positional: Value[];
  /** true when `| bn` follows on the same line (a conv's bias then defaults to false) */
  bnFollows: boolean;
  /** every argument by name, for reports and lint rules (a variadic argument is a list) */
  attrs: Record<string, Value>;
}

// ---- helpers
const shapeStr = (s: number[]) => (s.length ? s.join(' x ') : 'scalar');

function pair(v: Value | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (Array.isArray(v)) return [v[0], v[1]];
  return [v as number, v as number];
}

function image(op: string, s: number[]): [number, number, number] {
  if (s.length !== 3) throw new AnalysisError('bad-rank', `${op} needs a C x H x W input, got ${shapeStr(s)}`);
  return [s[0], s[1], s[2]];
}

function bias(a: Args): boolean {
  const b = a.get('bias');
  return b === undefined ? !a.bnFollows : b === 'true';
}

/** The total padding `p=same` adds along one axis (ceil(size / s) outputs; the export puts the odd pixel at the end). */
export const samePadding = (size: number, k: number, s: number, d: number): number => Math.max((Math.ceil(size / s) - 1) * s + d * (k - 1) + 1 - size, 0);

/** Output size of a conv or pooling window along one axis; `pad` is per side, or `same`. */
function windowOut(op: string, size: number, k: number, s: number, pad: number | 'same', d: number, ceilMode = false): number {
  const total = pad === 'same' ? samePadding(size, k, s, d) : 2 * pad;
  const span = size + total - d * (k - 1) - 1;
  const out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (span < 0 || out <= 0)
    throw new AnalysisError('empty-output', `${op}: output size ${Math.min(out, 0)} (input ${size}, kernel ${k}, dilation ${d}, padding ${total}): the window is larger than the padded input`);
  return out;
}

/** Padding per axis from `p=1`, `p=1x2`, `p=same` or `p=valid`. */
function pads(v: Value | undefined): [number | 'same', number | 'same'] {
  if (v === 'same') return ['same', 'same'];
  if (v === 'valid') return [0, 0];
  return pair(v, 0);
}

const none = (outputs: number[][], formula = 'no arithmetic'): Cost =>
  ({ outputs, params: 0, trainingParams: 0, weights: 0, macs: 0, flops2: 0, flopsExact: 0, read: 0, written: 0, formula: () => formula });

/** An element-wise op: `per` FLOPs per output element, reads every input, writes its output. */
function elementwise(out: number[], inputs: number[][], per: number, what: string): Cost {
  const n = elems(out);
  const flops = mul(per, n);
  return {
    outputs: [out], params: 0, trainingParams: 0, weights: 0, macs: 0, flops2: flops, flopsExact: flops,
    read: add(...inputs.map(elems)), written: n,
    formula: () => `${per} FLOP${per === 1 ? '' : 's'} (${what}) x ${grouped(n)} elements = ${grouped(flops)} FLOPs`,
  };
}

function broadcast(op: string, shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v !== 1 && d !== 1 && v !== d)
        throw new AnalysisError('shape-mismatch', `${op}: shapes ${shapes.map(shapeStr).join(' and ')} do not match (dim ${i}: ${d} vs ${v})`);
      if (v !== 1) d = v;
    }
    out.push(d);
  }
  return out;
}

function normDim(op: string, dim: number, rank: number): number {
  const d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= rank) throw new AnalysisError('bad-value', `${op}: dim ${dim} is out of range for a ${rank}-d per-sample shape (batch excluded)`);
  return d;
}

// ---- argument specs shared by several ops
const K: ArgSpec = { name: 'k', kind: 'pair', doc: 'kernel size, `3` or `1x7`' };
const S: ArgSpec = { name: 's', kind: 'pair', doc: 'stride' };
const P: ArgSpec = { name: 'p', kind: 'pad', words: ['same', 'valid'], doc: 'padding per side, or `same` / `valid` (default 0)' };
const D: ArgSpec = { name: 'd', kind: 'pair', doc: 'dilation' };
const G: ArgSpec = { name: 'g', kind: 'count', doc: 'groups' };
const BIAS: ArgSpec = { name: 'bias', kind: 'bool', words: ['true', 'false'], doc: 'adds a bias (default true; false when `| bn` follows on the line)' };
const DIM: ArgSpec = { name: 'dim', kind: 'int', doc: 'axis of the per-sample shape (batch excluded); negative counts from the end' };
const COUT: ArgSpec = { name: 'C_out', kind: 'count', doc: 'output channels' };

interface ConvGeom { cin: number; cout: number; kh: number; kw: number; g: number; ho: number; wo: number; bias: boolean }

function convCost(op: string, c: ConvGeom, read: number, outputs: number[][], inPixels?: number): Cost {
  const { cin, cout, kh, kw, g, ho, wo } = c;
  if (cin % g !== 0 || cout % g !== 0)
    throw new AnalysisError('bad-groups', `${op}: groups = ${g} must divide both C_in = ${cin} and C_out = ${cout}`);
  const outElems = mul(cout, ho, wo);
  const b = c.bias ? cout : 0;
  const params = add(mul(kh, kw, cin / g, cout), b);
  const biasFlops = c.bias ? outElems : 0;
  let macs: number, exact: number, formula: () => string;
  if (inPixels !== undefined) {
    // a transposed conv scatters every input pixel through the kernel
    macs = mul(kh, kw, cin / g, inPixels, cout);
    exact = add(mul(2, macs), -outElems, biasFlops);
    formula = () => `K_h x K_w x C_in/g x H_in x W_in x C_out = ${kh} x ${kw} x ${cin / g} x ${grouped(inPixels)} x ${cout} = ${grouped(macs)} MACs`;
  } else {
    macs = mul(kh, kw, cin / g, ho, wo, cout);
    exact = add(mul(add(mul(2, kh, kw, cin / g), -1), outElems), biasFlops);
    formula = () => `K_h x K_w x C_in/g x H_out x W_out x C_out = ${kh} x ${kw} x ${cin / g} x ${ho} x ${wo} x ${cout} = ${grouped(macs)} MACs`;
  }
  return {
    outputs, params, trainingParams: params, weights: params, macs,
    flops2: add(mul(2, macs), biasFlops), flopsExact: exact, read, written: elems(outputs[0]), formula,
  };
}

function conv(op: string, a: Args, input: number[], cout: number, g: number, dflt: { k: number }): Cost {
  const [cin, h, w] = image(op, input);
  const [kh, kw] = pair(a.get('k'), dflt.k);
  const [sh, sw] = pair(a.get('s'), 1);
  const [dh, dw] = pair(a.get('d'), 1);
  const [ph, pw] = pads(a.get('p'));
  const ho = windowOut(op, h, kh, sh, ph, dh);
  const wo = windowOut(op, w, kw, sw, pw, dw);
  return convCost(op, { cin, cout, kh, kw, g, ho, wo, bias: bias(a) }, elems(input), [[cout, ho, wo]]);
}

function pool(op: string, a: Args, input: number[]): Cost {
  const [c, h, w] = image(op, input);
  const [kh, kw] = pair(a.get('k'), 1);
  const [sh, sw] = pair(a.get('s') ?? a.get('k'), 1);
  const [dh, dw] = pair(a.get('d'), 1);
  const [ph, pw] = pads(a.get('p'));
  const ceilMode = a.get('ceil') === 'true';
  const ho = windowOut(op, h, kh, sh, ph, dh, ceilMode);
  const wo = windowOut(op, w, kw, sw, pw, dw, ceilMode);
  const flops = mul(kh, kw, c, ho, wo);
  return {
    outputs: [[c, ho, wo]], params: 0, trainingParams: 0, weights: 0, macs: 0, flops2: flops, flopsExact: flops,
    read: elems(input), written: mul(c, ho, wo),
    formula: () => `K_h x K_w x C x H_out x W_out = ${kh} x ${kw} x ${c} x ${ho} x ${wo} = ${grouped(flops)} FLOPs (one per window element)`,
  };
}

const ACTIVATIONS: [string, string[], number, string][] = [
  ['relu', [], 1, 'max'],
  ['relu6', [], 2, 'min, max'],
  ['sigmoid', [], 4, 'negate, exp, add, divide'],
  ['hardsigmoid', ['hsigmoid'], 3, 'add, clip, scale'],
  ['hardswish', ['hswish'], 4, 'hard-sigmoid, multiply'],
  ['swish', ['silu'], 5, 'sigmoid, multiply'],
  ['gelu', [], 8, 'tanh form'],
  ['tanh', [], 5, 'exp-based'],
];

function unary(name: string, aliases: string[], doc: string, apply: (a: Args, x: number[]) => Cost, options: ArgSpec[] = []): OpSpec {
  return { name, aliases, inputs: 1, positional: [], options, required: 0, doc, apply: (a, [x]) => apply(a, x) };
}

/** Zero cost of an operator the language has no kind for (`op "Erf"(x)`): no params, arithmetic or traffic counted. */
export function genericCost(type: string, outputs: number[][]): Cost {
  return none(outputs, `\`${type}\` has no kind in the .net language: its cost is counted as zero`);
}

/** `op "OpType"(a, b, ...) [-> shape, ...]`: the generic layer form (the evaluator builds it from the
 *  statement, not through `apply`). */
export const GENERIC_SPEC: OpSpec = {
  name: 'op', aliases: [], inputs: 1, positional: [], options: [], required: 0,
  doc: 'an operator the language has no kind for: `op "Erf"(x, y) -> shape`, counted as zero cost',
  apply: (_a, inputs) => genericCost('op', [inputs[0] ?? []]),
};

export const OPS: OpSpec[] = [
  {
    name: 'conv', aliases: [], inputs: 1, positional: [COUT], options: [K, S, P, D, G, BIAS], required: 1, foldsBn: true,
    doc: 'convolution (standard or grouped)',
    apply: (a, [x]) => conv('conv', a, x, a.positional[0] as number, (a.get('g') as number) ?? 1, { k: 1 }),
  },
  {
    name: 'dwconv', aliases: ['depthwise'], inputs: 1, positional: [], required: 0, foldsBn: true,
    options: [K, S, P, D, { name: 'm', kind: 'count', doc: 'depth multiplier: C_out = m * C_in' }, BIAS],
    doc: 'depthwise convolution (groups = C_in)',
    apply: (a, [x]) => conv('dwconv', a, x, mul(x[0] ?? 1, (a.get('m') as number) ?? 1), x[0] ?? 1, { k: 3 }),
  },
  {
    name: 'pwconv', aliases: ['pointwise'], inputs: 1, positional: [COUT], options: [G, BIAS], required: 1, foldsBn: true,
    doc: 'pointwise (1x1) convolution',
    apply: (a, [x]) => conv('pwconv', a, x, a.positional[0] as number, (a.get('g') as number) ?? 1, { k: 1 }),
  },
  {
    name: 'deconv', aliases: ['convtranspose', 'conv_transpose'], inputs: 1, positional: [COUT], required: 1, foldsBn: true,
    options: [K, S, { name: 'p', kind: 'pair', doc: 'padding per side' }, { name: 'op', kind: 'pair', doc: 'output padding' }, D, G, BIAS],
    doc: 'transposed convolution',
    apply: (a, [x]) => {
      const [cin, h, w] = image('deconv', x);
      const cout = a.positional[0] as number;
      const [kh, kw] = pair(a.get('k'), 1);
      const [sh, sw] = pair(a.get('s'), 1);
      const [ph, pw] = pair(a.get('p'), 0);
      const [oh, ow] = pair(a.get('op'), 0);
      const [dh, dw] = pair(a.get('d'), 1);
      const ho = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1;
      const wo = (w - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1;
      if (ho <= 0 || wo <= 0) throw new AnalysisError('empty-output', `deconv: output size ${ho} x ${wo} is not positive`);
      const g = (a.get('g') as number) ?? 1;
      return convCost('deconv', { cin, cout, kh, kw, g, ho, wo, bias: bias(a) }, elems(x), [[cout, ho, wo]], mul(h, w));
    },
  },
  {
    name: 'linear', aliases: ['fc', 'dense', 'gemm'], inputs: 1, positional: [{ name: 'J', kind: 'count', doc: 'output features' }], options: [BIAS], required: 1, foldsBn: true,
    doc: 'fully connected layer (a C x H x W input is flattened; on L x D it acts per token)',
    apply: (a, [x]) => {
      const j = a.positional[0] as number;
      const flat = x.length === 3 || x.length === 0;
      const i = flat ? elems(x) : x[x.length - 1];
      const lead = flat ? [] : x.slice(0, -1);
      const t = elems(lead);
      const b = bias(a);
      const params = add(mul(i, j), b ? j : 0);
      const macs = mul(t, i, j);
      const outElems = mul(t, j);
      const biasFlops = b ? outElems : 0;
      return {
        outputs: [[...lead, j]], params, trainingParams: params, weights: params, macs,
        flops2: add(mul(2, macs), biasFlops), flopsExact: add(mul(add(mul(2, i), -1), outElems), biasFlops),
        read: elems(x), written: outElems,
        formula: () => `${t > 1 ? 'L x ' : ''}I x J = ${t > 1 ? `${t} x ` : ''}${i} x ${j} = ${grouped(macs)} MACs`,
      };
    },
  },
  {
    name: 'matmul', aliases: ['bmm'], inputs: 2, positional: [], required: 0,
    options: [{ name: 'tb', kind: 'bool', words: ['true', 'false'], doc: 'transpose the second operand' }],
    doc: 'matrix product [.., M, K] x [.., K, N]',
    apply: (a, inputs) => {
      if (inputs.length !== 2) throw new AnalysisError('bad-inputs', `matmul takes exactly 2 inputs, got ${inputs.length}`);
      const [x, y0] = inputs;
      if (x.length < 2 || y0.length < 2) throw new AnalysisError('bad-rank', `matmul needs operands of rank >= 2, got ${shapeStr(x)} and ${shapeStr(y0)}`);
      const y = a.get('tb') === 'true' ? [...y0.slice(0, -2), y0[y0.length - 1], y0[y0.length - 2]] : y0;
      const [m, k] = x.slice(-2);
      const [k2, n] = y.slice(-2);
      if (k !== k2) throw new AnalysisError('shape-mismatch', `matmul: inner dims differ: ${shapeStr(x)} x ${shapeStr(y)} (${k} vs ${k2})`);
      const batch = broadcast('matmul', [x.slice(0, -2), y.slice(0, -2)]);
      const b = elems(batch);
      const macs = mul(b, m, k, n);
      return {
        outputs: [[...batch, m, n]], params: 0, trainingParams: 0, weights: 0, macs,
        flops2: mul(2, macs), flopsExact: mul(b, m, n, 2 * k - 1), read: add(elems(x), elems(y)), written: mul(b, m, n),
        formula: () => `batch x M x K x N = ${b} x ${m} x ${k} x ${n} = ${grouped(macs)} MACs`,
      };
    },
  },
  {
    name: 'attention', aliases: ['mha'], inputs: 1, positional: [], required: 0,
    options: [{ name: 'heads', kind: 'count', doc: 'number of heads (default 1)' }, BIAS],
    doc: 'multi-head self-attention on L x D, with Q/K/V and output projections',
    apply: (a, [x]) => {
      if (x.length !== 2) throw new AnalysisError('bad-rank', `attention needs an L x D input, got ${shapeStr(x)}`);
      const [l, d] = x;
      const h = (a.get('heads') as number) ?? 1;
      if (d % h !== 0) throw new AnalysisError('bad-groups', `attention: heads = ${h} must divide D = ${d}`);
      const b = a.get('bias') !== 'false';
      const params = add(mul(4, d, d), b ? 4 * d : 0);
      const proj = mul(4, l, d, d);
      const scores = mul(l, l, d);
      const macs = add(proj, scores, scores);
      const biasFlops = b ? mul(4, l, d) : 0;
      const hll = mul(h, l, l);
      const softmaxAndScale = mul(6, hll); // softmax 5 per score, scale by 1/sqrt(d_head) 1 per score
      return {
        outputs: [[l, d]], params, trainingParams: params, weights: params, macs,
        flops2: add(mul(2, macs), biasFlops, softmaxAndScale),
        flopsExact: add(mul(4, l, d, 2 * d - 1), biasFlops, mul(hll, 2 * (d / h) - 1), mul(l, d, 2 * l - 1), softmaxAndScale),
        read: elems(x), written: elems(x),
        formula: () => `4 x L x D x D + 2 x L x L x D = 4 x ${l} x ${d} x ${d} + 2 x ${l} x ${l} x ${d} = ${grouped(macs)} MACs`,
      };
    },
  },
  unary('maxpool', [], 'max pooling', (a, x) => pool('maxpool', a, x), [K, S, P, D, { name: 'ceil', kind: 'bool', words: ['true', 'false'], doc: 'ceil mode' }]),
  unary('avgpool', [], 'average pooling', (a, x) => pool('avgpool', a, x), [K, S, P, { name: 'ceil', kind: 'bool', words: ['true', 'false'], doc: 'ceil mode' }]),
  ...(['gap', 'gmp'] as const).map((name) =>
    unary(name, name === 'gap' ? ['globalavgpool'] : ['globalmaxpool'], `global ${name === 'gap' ? 'average' : 'max'} pooling to C x 1 x 1`, (_a, x) => {
      const [c, h, w] = image(name, x);
      const n = elems(x);
      return { ...elementwise([c, 1, 1], [x], 1, 'per input element'), flops2: n, flopsExact: n, written: c, formula: () => `C x H x W = ${c} x ${h} x ${w} = ${grouped(n)} FLOPs` };
    })),
  unary('bn', ['batchnorm'], 'batch normalization (folds into a neighbouring conv or linear layer)', (_a, x) => {
    const c = x[0] ?? 1;
    return { ...elementwise(x, [x], 2, 'scale, shift'), params: mul(2, c), trainingParams: mul(2, c), weights: mul(4, c) };
  }),
  unary('ln', ['layernorm'], 'layer normalization over the last dim', (_a, x) => {
    const d = x[x.length - 1] ?? 1;
    return { ...elementwise(x, [x], 8, 'layer norm'), params: mul(2, d), trainingParams: mul(2, d), weights: mul(2, d) };
  }),
  ...ACTIVATIONS.map(([name, aliases, per, what]) => unary(name, aliases, `activation, ${per} FLOP(s) per element`, (_a, x) => elementwise(x, [x], per, what))),
  unary('softmax', [], 'softmax, 5 FLOPs per element', (a, x) => {
    if (x.length) normDim('softmax', (a.get('dim') as number) ?? -1, x.length);
    return elementwise(x, [x], 5, 'max, subtract, exp, sum, divide');
  }, [DIM]),
  ...(['add', 'mul'] as const).map((name): OpSpec => ({
    name, aliases: name === 'add' ? ['sum'] : [], inputs: 2, positional: [], options: [], required: 0,
    doc: `element-wise ${name === 'add' ? 'sum' : 'product'} of its inputs, with broadcasting`,
    apply: (_a, inputs) => elementwise(broadcast(name, inputs), inputs, inputs.length - 1, name),
  })),
  {
    name: 'concat', aliases: ['cat'], inputs: 2, positional: [], options: [DIM], required: 0,
    doc: 'concatenation (free: producers write into the joint buffer)',
    apply: (a, inputs) => {
      const rank = inputs[0].length;
      const dim = normDim('concat', (a.get('dim') as number) ?? 0, rank);
      for (const s of inputs) {
        if (s.length !== rank || s.some((v, i) => i !== dim && v !== inputs[0][i]))
          throw new AnalysisError('shape-mismatch', `concat along dim ${dim}: shapes ${inputs.map(shapeStr).join(', ')} differ outside that dim`);
      }
      const out = [...inputs[0]];
      out[dim] = add(...inputs.map((s) => s[dim]));
      return none([out], 'no arithmetic; producers write into the joint buffer');
    },
  },
  {
    name: 'split', aliases: ['chunk'], inputs: 1, positional: [{ name: 'n', kind: 'count', doc: 'number of equal parts, or the sizes' }], variadic: true, options: [DIM], required: 1,
    doc: 'split into parts (views, no cost); read part i as NAME[i]',
    apply: (a, [x]) => {
      const dim = normDim('split', (a.get('dim') as number) ?? 0, x.length);
      const sizes = a.positional as number[];
      let parts: number[];
      if (sizes.length === 1) {
        if (x[dim] % sizes[0] !== 0) throw new AnalysisError('shape-mismatch', `split: ${x[dim]} does not divide into ${sizes[0]} equal parts`);
        parts = Array(sizes[0]).fill(x[dim] / sizes[0]);
      } else {
        parts = sizes;
        const total = add(...sizes);
        if (total !== x[dim]) throw new AnalysisError('shape-mismatch', `split: sizes ${sizes.join(' + ')} = ${total}, but dim ${dim} is ${x[dim]}`);
      }
      return none(parts.map((p) => x.map((v, i) => (i === dim ? p : v))), 'no arithmetic (views)');
    },
  },
  {
    name: 'shuffle', aliases: ['channel_shuffle'], inputs: 1, positional: [{ name: 'g', kind: 'count', doc: 'groups' }], options: [], required: 1,
    doc: 'channel shuffle (moves the whole tensor)',
    apply: (a, [x]) => {
      const g = a.positional[0] as number;
      if (!x.length || x[0] % g !== 0) throw new AnalysisError('bad-groups', `shuffle: groups = ${g} must divide the ${x[0] ?? 0} channels`);
      return { ...none([x], 'no arithmetic; reads and writes the whole tensor'), read: elems(x), written: elems(x) };
    },
  },
  unary('flatten', [], 'flatten to one dim (a view)', (_a, x) => none([[elems(x)]], 'no arithmetic (a view)')),
  {
    name: 'reshape', aliases: ['view'], inputs: 1, positional: [{ name: 'shape', kind: 'shape', doc: 'target shape, one -1 allowed' }], options: [], required: 1,
    doc: 'reshape (a view)',
    apply: (a, [x]) => {
      const v = a.positional[0];
      const target = Array.isArray(v) ? [...v] : [v as number];
      const n = elems(x);
      const free = target.filter((d) => d === -1).length;
      if (free > 1 || target.some((d) => d === 0 || d < -1)) throw new AnalysisError('bad-value', `reshape: ${target.join(' x ')}: dims are positive, with at most one -1`);
      const known = elems(target.filter((d) => d !== -1));
      const asked = target.join(' x ');
      if (free) target[target.indexOf(-1)] = n / known;
      if (!Number.isInteger(n / known) || elems(target) !== n)
        throw new AnalysisError('shape-mismatch', `reshape: ${shapeStr(x)} has ${grouped(n)} elements, ${asked} has ${free ? `no whole -1 (${grouped(n)} / ${grouped(known)})` : grouped(elems(target))}`);
      return none([target], 'no arithmetic (a view)');
    },
  },
  {
    name: 'transpose', aliases: ['permute'], inputs: 1, positional: [{ name: 'perm', kind: 'index', doc: 'a permutation of the per-sample dims' }], variadic: true, options: [], required: 1,
    doc: 'permutes dims (moves the whole tensor)',
    apply: (a, [x]) => {
      const perm = a.positional as number[];
      if (perm.length !== x.length || [...perm].sort((p, q) => p - q).some((p, i) => p !== i))
        throw new AnalysisError('bad-value', `transpose: ${perm.join(' ')} is not a permutation of the ${x.length} dims of ${shapeStr(x)}`);
      return { ...none([perm.map((p) => x[p])], 'no arithmetic; reads and writes the whole tensor'), read: elems(x), written: elems(x) };
    },
  },
  unary('upsample', ['resize'], 'upsampling by an integer scale; nearest: 0 FLOPs, bilinear: 7 per output element', (a, x) => {
    const [c, h, w] = image('upsample', x);
    const [sh, sw] = pair(a.get('s'), 2);
    const out = [c, mul(h, sh), mul(w, sw)];
    const per = a.get('mode') === 'bilinear' ? 7 : 0;
    return { ...elementwise(out, [x], per, a.get('mode') === 'bilinear' ? 'bilinear: 4 multiplies, 3 adds' : 'nearest: a copy') };
  }, [{ ...S, doc: 'scale factor (default 2)' }, { name: 'mode', kind: 'word', words: ['nearest', 'bilinear'], doc: 'interpolation (default nearest)' }]),
  unary('dropout', [], 'identity at inference', (_a, x) => none([x], 'no cost at inference')),
  unary('identity', [], 'no-op', (_a, x) => none([x], 'no cost')),
  {
    name: 'patch_embed', aliases: [], inputs: 1, positional: [{ name: 'P', kind: 'count', doc: 'patch size' }, { name: 'D', kind: 'count', doc: 'embedding width' }], options: [BIAS], required: 2,
    doc: 'ViT patch embedding: a P x P conv with stride P to D channels, flattened to (H/P)*(W/P) tokens',
    apply: (a, [x]) => {
      const [cin, h, w] = image('patch_embed', x);
      const [p, d] = a.positional as number[];
      const ho = windowOut('patch_embed', h, p, p, 0, 1);
      const wo = windowOut('patch_embed', w, p, p, 0, 1);
      const c = convCost('patch_embed', { cin, cout: d, kh: p, kw: p, g: 1, ho, wo, bias: a.get('bias') !== 'false' }, elems(x), [[d, ho, wo]]);
      return { ...c, outputs: [[mul(ho, wo), d]] };
    },
  },
  unary('cls_token', [], 'prepends a learnable class token (D params)', (_a, x) => {
    if (x.length !== 2) throw new AnalysisError('bad-rank', `cls_token needs an L x D input, got ${shapeStr(x)}`);
    return { ...none([[x[0] + 1, x[1]]], 'no arithmetic; the token is written into the sequence buffer'), params: x[1], trainingParams: x[1], weights: x[1] };
  }),
  unary('pos_embed', [], 'adds a learnable position embedding (L*D params)', (_a, x) => {
    if (x.length !== 2) throw new AnalysisError('bad-rank', `pos_embed needs an L x D input, got ${shapeStr(x)}`);
    const n = elems(x);
    return { ...elementwise(x, [x], 1, 'add'), params: n, trainingParams: n, weights: n };
  }),
  {
    name: 'take', aliases: ['select'], inputs: 1, positional: [{ name: 'i', kind: 'index', doc: 'index to take' }], options: [DIM], required: 1,
    doc: 'takes one index out of a dim, removing it (the class token: `take 0`)',
    apply: (a, [x]) => {
      const dim = normDim('take', (a.get('dim') as number) ?? 0, x.length);
      const i = a.positional[0] as number;
      if (i >= x[dim]) throw new AnalysisError('bad-value', `take: index ${i} is out of range for dim ${dim} of size ${x[dim]}`);
      return none([x.filter((_v, j) => j !== dim)], 'no arithmetic (a view)');
    },
  },
  GENERIC_SPEC,
];


const BY_NAME = new Map<string, OpSpec>();
for (const op of OPS) for (const n of [op.name, ...op.aliases]) BY_NAME.set(n, op);

export const findOp = (name: string): OpSpec | undefined => BY_NAME.get(name);
/** the single-input activation kinds */
export const ACTIVATION_OPS = new Set(ACTIVATIONS.map(([name]) => name));
/** whether a batch norm folds into a layer of this kind */
export const foldsBn = (op: string): boolean => findOp(op)?.foldsBn === true;
export const OP_NAMES = [...BY_NAME.keys()];

const intHint = (n: number) => (Number.isInteger(n) ? '' : ` (${n} is not a whole number: use int(), round() or make_divisible())`);
const badArg = (spec: ArgSpec, v: Value, op: string, what: string) =>
  new AnalysisError('bad-value', `${op} ${spec.name}: expected ${what}, got ${fmtValue(v)}`);
const wholeAtLeast = (n: number, min: number) => Number.isInteger(n) && n >= min;

/** Validates one argument value against its spec; returns the value or throws. (Runs for every
 *  argument of every layer: no closures or arrays on the path that succeeds.) */
export function checkArg(spec: ArgSpec, v: Value, op: string): Value {
  if (typeof v === 'string') {
    if (spec.words?.includes(v)) return v;
    throw spec.words
      ? new AnalysisError('unknown-name', `${op} ${spec.name}: \`${v}\` is neither a variable nor one of ${spec.words.join(', ')}`)
      : new AnalysisError('unknown-name', `unknown name \`${v}\``);
  }
  switch (spec.kind) {
    case 'count': case 'index': case 'int': {
      if (Array.isArray(v)) throw badArg(spec, v, op, 'a single value');
      const min = spec.kind === 'count' ? 1 : spec.kind === 'index' ? 0 : -Infinity;
      if (!wholeAtLeast(v, min)) throw badArg(spec, v, op, `${spec.kind === 'count' ? 'a positive' : spec.kind === 'index' ? 'a non-negative' : 'a'} whole number${intHint(v)}`);
      return v;
    }
    case 'pair': case 'pad': {
      const min = spec.kind === 'pad' || spec.name === 'op' || spec.name === 'p' ? 0 : 1;
      const ok = Array.isArray(v) ? v.length <= 2 && v.every((n) => wholeAtLeast(n, min)) : wholeAtLeast(v, min);
      if (!ok) throw badArg(spec, v, op, `${min ? 'a positive' : 'a non-negative'} whole number or \`H x W\`${Array.isArray(v) ? '' : intHint(v)}`);
      return v;
    }
    case 'shape': {
      if (Array.isArray(v) ? !v.every((n) => Number.isInteger(n)) : !Number.isInteger(v)) throw badArg(spec, v, op, 'whole numbers');
      return v;
    }
    case 'bool': case 'word':
      throw badArg(spec, v, op, `one of ${spec.words!.join(', ')}`);
  }
}

export const formatShape = shapeStr;
