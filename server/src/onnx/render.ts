// Renders an ONNX model as a `.net` listing: one line per node, in inference order, under an
// identifier derived from its ONNX name. A node becomes a real `.net` kind when the language's
// semantics match it exactly (per-sample shapes, the batch dim dropped): the engine then computes the
// same shapes and costs from the text. Every other node is a generic `op "OpType"(refs) -> shape`
// line (zero cost). Nodes of If/Loop/Scan subgraphs are comment lines after their owner. Pure.
import { checkArg, findOp, OP_NAMES, type Args } from '../analysis/ops';
import type { Value } from '../analysis/values';
import { KEYWORDS } from '../syntax/parser';
import { dtypeName, type AttrValue, type Inference, type InferredNode, type OnnxGraph, type OnnxModel, type TensorType } from './model';

export interface Listing {
  text: string;
  /** per Inference.nodes index: the 0-based line of its node and the range of its op word on that line */
  nodeLines: number[];
  opRanges: { start: { line: number; character: number }; end: { line: number; character: number } }[];
  /** the .net identifier of each node (per Inference.nodes index) */
  names: string[];
  /** graph input name -> its line */
  inputLines: Map<string, number>;
}

type Shape = number[];

/** A `.net` layer kind chosen for a node: its arguments in source order. */
interface Kind { op: string; positional: Value[]; options: [string, Value][] }
/** A kind and which node inputs are its data inputs (the refs after `from`), in order. */
interface Mapped { kind: Kind; data: number[] }

// ---- names

/** names a layer cannot take: keywords, layer kinds and their aliases */
const RESERVED = new Set<string>([...KEYWORDS, ...OP_NAMES]);
/** longer names lose their leading scopes (the most specific part stays) */
const MAX_NAME = 48;

const isDigit = (c: string) => c >= '0' && c <= '9';
const isIdentChar = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || isDigit(c);

/** `layer1.0` -> `layer1_0`: non-identifier characters become `_`, runs of `_` collapse, none at the ends. */
function clean(s: string): string {
  let out = '';
  for (const c of s) {
    const d = isIdentChar(c) ? c : '_';
    if (d === '_' && (out === '' || out[out.length - 1] === '_')) continue;
    out += d;
  }
  return out.endsWith('_') ? out.slice(0, -1) : out;
}

/**
 * A `.net` identifier from an ONNX name: `/layer1/layer1.0/conv1/Conv` -> `layer1_0_conv1_Conv` (the
 * exporter's repeated parent scope `layer1` dropped), `123` -> `n_123`, a keyword or layer kind
 * (`add`) -> `n_add`. '' when the name has no usable character.
 */
export function identifierOf(raw: string): string {
  const segs = raw.split('/').filter((s) => s !== '');
  // PyTorch repeats the parent scope: `/layer1/layer1.0/...`
  const kept = segs.filter((s, i) => !(i + 1 < segs.length && segs[i + 1].startsWith(s + '.')));
  let parts = kept.map(clean).filter((p) => p !== '');
  while (parts.length > 2 && parts.join('_').length > MAX_NAME) parts = parts.slice(1);
  let name = parts.join('_');
  if (name === '') return '';
  if (isDigit(name[0]) || RESERVED.has(name)) name = `n_${name}`;
  return name;
}

/** `name`, else `name_2`, `name_3`, ...: the first one not taken (then taken). */
function unique(name: string, used: Set<string>): string {
  let out = name;
  for (let k = 2; used.has(out); k++) out = `${name}_${k}`;
  used.add(out);
  return out;
}

// ---- shapes

/** All dims known and positive: the full ONNX shape, else null. */
function known(t: TensorType | null | undefined): Shape | null {
  const s = t?.shape;
  if (!s) return null;
  for (const d of s) if (d === null || !Number.isSafeInteger(d) || d <= 0) return null;
  return s as Shape;
}

/** The shape a generic op declares for an output: per sample (batch dropped) from rank 2 on; a rank-1
 *  tensor (a shape or index vector, no batch) as it is; null when unknown or a scalar. */
function declared(t: TensorType | null | undefined): Shape | null {
  const s = known(t);
  if (!s || s.length === 0) return null;
  return s.length === 1 ? s : s.slice(1);
}

const sameShape = (a: Shape | undefined, b: Shape | undefined) => !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);
const shapeText = (s: Shape) => s.join(' x ');

// ---- attributes

const isGraph = (v: unknown): v is OnnxGraph => typeof v === 'object' && v !== null && !Array.isArray(v) && 'nodes' in v && 'initializers' in v;
const int = (v: AttrValue | undefined, dflt: number): number => (typeof v === 'number' ? v : dflt);
const ints = (v: AttrValue | undefined): number[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : null);
const str = (v: AttrValue | undefined, dflt: string): string => (typeof v === 'string' ? v : dflt);
/** one value, or `H x W` when the two differ */
const pairValue = (h: number, w: number): Value => (h === w ? h : [h, w]);

/** Symmetric 2-D padding as a `p=` value (`same` for SAME_UPPER/LOWER), or null (asymmetric, not 2-D). */
function padding(attrs: Record<string, AttrValue>): Value | null {
  const auto = str(attrs.auto_pad, 'NOTSET');
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') return 'same';
  if (auto === 'VALID') return 0;
  if (auto !== 'NOTSET') return null;
  const p = ints(attrs.pads) ?? [0, 0, 0, 0];
  if (p.length !== 4 || p[0] !== p[2] || p[1] !== p[3]) return null;
  return pairValue(p[0], p[1]);
}

const isZero = (v: Value) => v === 0 || (Array.isArray(v) && v.every((x) => x === 0));
const isOne = (v: Value) => v === 1 || (Array.isArray(v) && v.every((x) => x === 1));

// ---- the renderer

/** ONNX input names of the weights commonly seen, for the trailing comment */
const WEIGHT_ROLES: Record<string, string[]> = {
  Conv: ['X', 'W', 'B'], ConvTranspose: ['X', 'W', 'B'], Gemm: ['A', 'B', 'C'], MatMul: ['A', 'B'],
  BatchNormalization: ['X', 'scale', 'B', 'mean', 'var'], LayerNormalization: ['X', 'scale', 'B'],
  InstanceNormalization: ['X', 'scale', 'B'], GroupNormalization: ['X', 'scale', 'B'], Add: ['A', 'B'], Mul: ['A', 'B'],
  Reshape: ['data', 'shape'], Clip: ['X', 'min', 'max'], Resize: ['X', 'roi', 'scales', 'sizes'], Gather: ['data', 'indices'],
};

const UNARY: Record<string, string> = {
  Relu: 'relu', Sigmoid: 'sigmoid', HardSigmoid: 'hardsigmoid', HardSwish: 'hardswish', Tanh: 'tanh', Gelu: 'gelu',
  Dropout: 'identity', Identity: 'identity',
};

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');
const quoted = (s: string) => `"${oneLine(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

class Renderer {
  private readonly nodes: InferredNode[];
  readonly names: string[];
  /** tensor name -> the main-graph node and output that produce it */
  private readonly producer = new Map<string, { node: number; out: number }>();
  /** the same over every node, subgraphs included (for comment lines) */
  private readonly anyProducer = new Map<string, { node: number; out: number }>();
  /** graph input name -> its `.net` name and the per-sample shape its line declares */
  private readonly inputRefs = new Map<string, { ref: string; shape: Shape }>();
  /** per node: the shapes the `.net` engine will compute for its outputs (null: the line is a comment) */
  private readonly engine: (Shape[] | null)[];
  /** per node: the highest output index that a main-graph node reads */
  private readonly maxUsed: number[];
  private readonly used = new Set<string>();

  constructor(private readonly model: OnnxModel, private readonly inf: Inference) {
    this.nodes = inf.nodes;
    this.names = new Array<string>(this.nodes.length);
    this.engine = new Array<Shape[] | null>(this.nodes.length).fill(null);
    this.maxUsed = new Array<number>(this.nodes.length).fill(-1);
  }

  render(header: string[], file: string): Listing {
    const lines: string[] = header.map((h) => (h.trimStart().startsWith('#') ? oneLine(h) : `# ${oneLine(h)}`));
    const m = this.model;
    const opset = m.opsets.get('') ?? m.opsets.get('ai.onnx');
    const producer = `${m.producer} ${m.producerVersion}`.trim() || 'unknown';
    lines.push(oneLine(`# model: ${file}, ir ${m.irVersion}, opset ${opset ?? '?'}, producer ${producer}`), '');
    const inputLines = new Map<string, number>();
    for (const x of this.inf.inputs) {
      inputLines.set(x.name, lines.length);
      lines.push(this.inputLine(x.name, x.type));
    }
    // names first: a node may be read before its line in a malformed graph, and comments name outputs
    this.nodes.forEach((n, i) => {
      const base = identifierOf(n.node.name) || identifierOf(n.node.outputs[0] ?? '') || `n_${i}`;
      this.names[i] = unique(base, this.used);
      n.node.outputs.forEach((t, out) => {
        if (t === '') return;
        if (!this.anyProducer.has(t)) this.anyProducer.set(t, { node: i, out });
        if (n.graphPath === '' && !this.producer.has(t)) this.producer.set(t, { node: i, out });
      });
    });
    for (const n of this.nodes) {
      if (n.graphPath !== '') continue;
      for (const t of n.node.inputs) {
        const p = this.producer.get(t);
        if (p) this.maxUsed[p.node] = Math.max(this.maxUsed[p.node], p.out);
      }
    }
    const nodeLines = new Array<number>(this.nodes.length).fill(0);
    const opRanges: Listing['opRanges'] = new Array(this.nodes.length);
    const body: { code: string; comment: string; node: number; op: [number, number] }[] = [];
    for (const [i, depth] of this.order()) {
      const line = depth === 0 && this.nodes[i].graphPath === '' ? this.nodeLine(i) : this.subgraphLine(i, Math.max(depth, 1));
      body.push({ ...line, node: i });
    }
    let width = 0; // comments aligned (no spread: a model may have 100k nodes)
    for (const b of body) width = Math.max(width, Math.min(56, b.code.length));
    for (const b of body) {
      const line = lines.length;
      nodeLines[b.node] = line;
      opRanges[b.node] = { start: { line, character: b.op[0] }, end: { line, character: b.op[1] } };
      lines.push(`${b.code.padEnd(width)}   # ${b.comment}`);
    }
    return { text: lines.join('\n') + '\n', nodeLines, opRanges, names: this.names, inputLines };
  }

  /** `input NAME: C x H x W   # ONNX name (dtype, N x C x H x W)`; an input called `input` stays unnamed. */
  private inputLine(raw: string, t: TensorType): string {
    const base = identifierOf(raw);
    const unnamed = clean(raw) === 'input' && !this.used.has('input');
    const ref = unnamed ? unique('input', this.used) : unique(base || `input_${this.inputRefs.size + 1}`, this.used);
    const full = t.shape;
    const perSample = full && full.length >= 2 ? full.slice(1) : [];
    const shape = perSample.length ? perSample.map((d) => (d !== null && Number.isSafeInteger(d) && d > 0 ? d : 1)) : [1];
    this.inputRefs.set(raw, { ref, shape });
    const onnx = full ? full.map((d) => (d === null ? '?' : String(d))).join(' x ') || 'scalar' : 'unknown shape';
    const note = sameShape(shape, perSample as Shape) ? '' : ', per-sample shape not known: written as 1';
    return oneLine(`${unnamed ? 'input' : `input ${ref}`}: ${shapeText(shape)}   # ${raw} (${dtypeName(t.dtype)}, ${onnx}${note})`);
  }

  /** Node indices in line order with their subgraph depth: each owner followed by its subgraphs' nodes
   *  (one level deeper); a subgraph node whose owner is not found follows the node above it. */
  private order(): [number, number][] {
    const owners = new Map<string, number>();
    this.nodes.forEach((n, j) => {
      for (const [attr, v] of Object.entries(n.node.attrs)) {
        if (!isGraph(v) && !(Array.isArray(v) && v.length > 0 && isGraph(v[0]))) continue;
        for (const label of [n.node.name, n.node.outputs[0] ?? '']) {
          if (label === '') continue;
          owners.set(`${label}/${attr}`, j);
          if (n.graphPath) owners.set(`${n.graphPath}/${label}/${attr}`, j);
        }
      }
    });
    /** per node: the nodes listed after it, and whether each is one level deeper (owned) */
    const children = this.nodes.map((): [number, boolean][] => []);
    const roots: number[] = [];
    this.nodes.forEach((n, i) => {
      if (n.graphPath === '') { roots.push(i); return; }
      const owner = owners.get(n.graphPath);
      if (owner !== undefined && owner !== i) children[owner].push([i, true]);
      else if (i > 0) children[i - 1].push([i, false]);
      else roots.push(i);
    });
    const out: [number, number][] = [];
    const seen = new Uint8Array(this.nodes.length);
    // depth-first without recursion: a long chain of subgraph nodes cannot exhaust the stack
    const stack: [number, number][] = roots.slice().reverse().map((i) => [i, 0]);
    while (stack.length) {
      const [i, depth] = stack.pop()!;
      if (seen[i]) continue;
      seen[i] = 1;
      out.push([i, depth]);
      for (let k = children[i].length - 1; k >= 0; k--) {
        const [c, owned] = children[i][k];
        stack.push([c, owned ? depth + 1 : Math.max(depth, 1)]);
      }
    }
    this.nodes.forEach((_, i) => { if (!seen[i]) out.push([i, 1]); }); // a cycle of owners: still a line
    return out;
  }

  // ---- inputs of a node

  /** The initializer or stored constant input `k` reads, with its dims, or null. */
  private weightDims(n: InferredNode, k: number): number[] | null {
    const t = n.node.inputs[k];
    if (t === undefined || t === '') return null;
    return n.weights[k]?.dims ?? this.model.graph.initializers.get(t)?.dims ?? null;
  }

  /** A constant input: a weight, an initializer, a Constant node's output or a folded value. */
  private isConstant(n: InferredNode, k: number): boolean {
    const t = n.node.inputs[k];
    if (this.weightDims(n, k)) return true;
    const p = this.producer.get(t);
    return (p !== undefined && this.nodes[p.node].node.opType === 'Constant') || n.inputs[k]?.value !== undefined;
  }

  /** The `.net` reference of input `k` (`conv1`, `split_1[1]`, a graph input), or null (a weight, omitted, missing). */
  private ref(n: InferredNode, k: number): string | null {
    const t = n.node.inputs[k];
    if (t === undefined || t === '') return null;
    const p = this.producer.get(t);
    if (p) return p.out > 0 ? `${this.names[p.node]}[${p.out}]` : this.names[p.node];
    return this.inputRefs.get(t)?.ref ?? null;
  }

  /** The shape the engine computes for input `k` (a producer's line or an input's), or null. */
  private engineShape(n: InferredNode, k: number): Shape | null {
    const t = n.node.inputs[k];
    const p = this.producer.get(t);
    if (p) return this.engine[p.node]?.[p.out] ?? null;
    return this.inputRefs.get(t)?.shape ?? null;
  }

  /** Data input `k` is an activation the kind can read exactly: a ref, not constant, known, batched like `batch`, and
   *  the engine's shape of its ref equal to its per-sample shape. */
  private exactInput(n: InferredNode, k: number, batch: number): Shape | null {
    if (this.isConstant(n, k) || this.ref(n, k) === null) return null;
    const s = known(n.inputs[k]);
    if (!s || s.length < 2 || s[0] !== batch) return null;
    const per = s.slice(1);
    return sameShape(this.engineShape(n, k) ?? undefined, per) ? per : null;
  }

  // ---- lines

  /** `NAME: conv 64 k=3 p=1 from x`, or the generic form. */
  private nodeLine(i: number): { code: string; comment: string; op: [number, number] } {
    const n = this.nodes[i];
    const name = this.names[i];
    const prefix = `${name}: `;
    const m = this.mapped(n, i);
    if (m) {
      const refs = m.data.map((k) => this.ref(n, k)!);
      const args = [...m.kind.positional.map((v) => this.value(v, ' x ')), ...m.kind.options.map(([k, v]) => `${k}=${this.value(v, 'x')}`)];
      const code = `${prefix}${[m.kind.op, ...args].join(' ')} from ${refs.join(', ')}`;
      return { code, comment: this.comment(n), op: [prefix.length, prefix.length + m.kind.op.length] };
    }
    const g = this.generic(n, i);
    return { code: prefix + g.text, comment: this.comment(n), op: [prefix.length + g.op[0], prefix.length + g.op[1]] };
  }

  /** `#   NAME: op "X"(refs) -> shape`: a node of a subgraph, not a statement of the file. */
  private subgraphLine(i: number, depth: number): { code: string; comment: string; op: [number, number] } {
    const n = this.nodes[i];
    const refs = n.node.inputs.map((t, k) => (t === '' || this.weightDims(n, k) ? null : this.subgraphRef(t))).filter((r): r is string => r !== null);
    const shape = declared(n.outputs[0]);
    const prefix = `#${'  '.repeat(depth)} ${this.names[i]}: `;
    const type = quoted(n.node.opType);
    const code = `${prefix}op ${type}(${refs.join(', ')})${shape ? ` -> ${shapeText(shape)}` : ''}`;
    const where = n.perIteration ? 'per iteration' : `in ${oneLine(n.graphPath)}`;
    return { code, comment: `${this.comment(n)}, ${where}`, op: [prefix.length, prefix.length + 3 + type.length] };
  }

  private subgraphRef(t: string): string | null {
    const p = this.anyProducer.get(t);
    if (p) return p.out > 0 ? `${this.names[p.node]}[${p.out}]` : this.names[p.node];
    return this.inputRefs.get(t)?.ref ?? (identifierOf(t) || null); // a subgraph's own input: its name
  }

  /** `op "Erf"(a, b) -> 4 x 8`: refs to every input a line produces; the declared output shapes. */
  private generic(n: InferredNode, i: number): { text: string; op: [number, number] } {
    const refs = n.node.inputs.map((_, k) => this.ref(n, k)).filter((r): r is string => r !== null);
    const count = Math.max(1, this.maxUsed[i] + 1);
    const shapes: Shape[] = [];
    let decl: string[] = [];
    if (count === 1) {
      const s = declared(n.outputs[0]);
      if (s) decl = [shapeText(s)];
      const firstRef = n.node.inputs.findIndex((_, k) => this.ref(n, k) !== null);
      shapes.push(s ?? (firstRef >= 0 ? this.engineShape(n, firstRef) ?? [] : []));
    } else {
      for (let j = 0; j < count; j++) {
        const s = declared(n.outputs[j]) ?? [1]; // a read output must be declared: unknown ones as 1
        shapes.push(s);
        decl.push(shapeText(s));
      }
    }
    this.engine[i] = shapes;
    const type = quoted(n.node.opType);
    return { text: `op ${type}(${refs.join(', ')})${decl.length ? ` -> ${decl.join(', ')}` : ''}`, op: [0, 3 + type.length] };
  }

  private value(v: Value, sep: string): string {
    return Array.isArray(v) ? v.join(sep) : String(v);
  }

  /** `/conv1/Conv (Conv, W 64x3x7x7, B 64)` */
  private comment(n: InferredNode): string {
    const parts: string[] = [n.node.domain && n.node.domain !== 'ai.onnx' ? `${n.node.opType}, domain ${n.node.domain}` : n.node.opType];
    const roles = WEIGHT_ROLES[n.node.opType];
    let shown = 0;
    n.node.inputs.forEach((t, k) => {
      const dims = this.weightDims(n, k);
      if (!dims) {
        if (t !== '' && !this.producer.has(t) && !this.inputRefs.has(t) && n.graphPath === '') parts.push(`missing input ${t}`);
        return;
      }
      if (++shown > 6) { if (shown === 7) parts.push('...'); return; }
      parts.push(`${roles?.[k] ?? `in${k}`} ${dims.length ? dims.join('x') : 'scalar'}`);
    });
    const who = n.node.name || `unnamed, output ${n.node.outputs[0] ?? '?'}`;
    return oneLine(`${who} (${parts.join(', ')})`);
  }

  // ---- real kinds

  /** The `.net` kind of a main-graph node when its semantics match exactly (checked against the engine's own op). */
  private mapped(n: InferredNode, idx: number): Mapped | null {
    if (n.node.domain !== '' && n.node.domain !== 'ai.onnx') return null;
    const m = this.build(n);
    if (!m) return null;
    const outputs = m.kind.op === 'split' ? n.outputs : n.outputs.slice(0, 1);
    if (m.kind.op !== 'split' && this.maxUsed[idx] > 0) return null; // another output is read: only a generic line has several
    const out = outputs.map(known);
    if (out.length === 0 || out.some((s) => !s || s.length < 2) || m.data.length === 0) return null; // (a node may have no outputs)
    const batch = out[0]![0];
    const ins: Shape[] = [];
    for (const k of m.data) {
      const s = this.exactInput(n, k, batch);
      if (!s) return null;
      ins.push(s);
    }
    if (out.some((s) => s![0] !== batch)) return null;
    const want = out.map((s) => s!.slice(1));
    if (!engineAgrees(m.kind, ins, want)) return null;
    this.engine[idx] = want;
    return m;
  }

  private build(n: InferredNode): Mapped | null {
    const a = n.node.attrs;
    const op = n.node.opType;
    const kind = (name: string, positional: Value[] = [], options: [string, Value][] = []): Kind => ({ op: name, positional, options });
    const first = [0];
    if (UNARY[op]) return { kind: kind(UNARY[op]), data: first };
    const rank = n.inputs[0]?.shape?.length ?? 0;
    switch (op) {
      case 'Conv': case 'ConvTranspose': return this.conv(n);
      case 'BatchNormalization':
        return [1, 2, 3, 4].every((k) => this.weightDims(n, k)) ? { kind: kind('bn'), data: first } : null;
      case 'LayerNormalization': {
        const axis = int(a.axis, -1);
        if ((axis < 0 ? axis + rank : axis) !== rank - 1 || !this.weightDims(n, 1) || !this.weightDims(n, 2)) return null;
        return { kind: kind('ln'), data: first };
      }
      case 'Softmax': {
        const old = this.opset() < 13; // before opset 13: a softmax over the dims from `axis` on, flattened
        const axis = int(a.axis, old ? 1 : -1);
        const d = axis < 0 ? axis + rank : axis;
        if (d < 1 || (old && d !== rank - 1)) return null;
        return { kind: kind('softmax', [], d - 1 === rank - 2 ? [] : [['dim', d - 1]]), data: first };
      }
      case 'Clip': {
        const lo = this.scalar(n, 1) ?? (typeof a.min === 'number' ? a.min : null);
        const hi = this.scalar(n, 2) ?? (typeof a.max === 'number' ? a.max : null);
        return lo === 0 && hi === 6 ? { kind: kind('relu6'), data: first } : null;
      }
      case 'Add': case 'Mul': case 'Sum': {
        const data = n.node.inputs.map((_, k) => k);
        if (data.length < 2 || (op !== 'Sum' && data.length !== 2)) return null;
        return { kind: kind(op === 'Mul' ? 'mul' : 'add'), data };
      }
      case 'Concat': {
        const axis = int(a.axis, 1);
        const d = axis < 0 ? axis + rank : axis;
        if (d < 1 || n.node.inputs.length < 2) return null;
        return { kind: kind('concat', [], d - 1 === 0 ? [] : [['dim', d - 1]]), data: n.node.inputs.map((_, k) => k) };
      }
      case 'MaxPool': case 'AveragePool': {
        const k = ints(a.kernel_shape);
        const s = ints(a.strides) ?? [1, 1];
        const d = ints(a.dilations) ?? [1, 1];
        const p = padding(a);
        if (!k || k.length !== 2 || s.length !== 2 || d.length !== 2 || p === null) return null;
        const name = op === 'MaxPool' ? 'maxpool' : 'avgpool';
        if (name === 'avgpool' && (d[0] !== 1 || d[1] !== 1)) return null;
        const options: [string, Value][] = [];
        if (!(s[0] === k[0] && s[1] === k[1])) options.push(['s', pairValue(s[0], s[1])]); // the engine's stride defaults to k
        if (!isZero(p)) options.push(['p', p]);
        if (!isOne(pairValue(d[0], d[1]))) options.push(['d', pairValue(d[0], d[1])]);
        if (int(a.ceil_mode, 0) === 1) options.push(['ceil', 'true']);
        return { kind: kind(name, [], [['k', pairValue(k[0], k[1])], ...options]), data: first };
      }
      case 'GlobalAveragePool': return { kind: kind('gap'), data: first };
      case 'GlobalMaxPool': return { kind: kind('gmp'), data: first };
      case 'Flatten': return int(a.axis, 1) === 1 ? { kind: kind('flatten'), data: first } : null;
      case 'Gemm': {
        const w = this.weightDims(n, 1);
        if (!w || w.length !== 2 || int(a.transA, 0) !== 0 || (a.alpha !== undefined && a.alpha !== 1)) return null;
        const j = int(a.transB, 0) === 1 ? w[0] : w[1];
        const c = n.node.inputs[2] !== undefined && n.node.inputs[2] !== '';
        if (c) {
          const b = this.weightDims(n, 2);
          if (!b || b.reduce((p, x) => p * x, 1) !== j || (a.beta !== undefined && a.beta !== 1)) return null;
        }
        return { kind: kind('linear', [j], c ? [] : [['bias', 'false']]), data: first };
      }
      case 'MatMul': {
        const w = this.weightDims(n, 1);
        if (w) return w.length === 2 ? { kind: kind('linear', [w[1]], [['bias', 'false']]), data: first } : null;
        return { kind: kind('matmul'), data: [0, 1] };
      }
      case 'Reshape': {
        const out = known(n.outputs[0]);
        if (!out || out.length < 2) return null;
        const per = out.slice(1);
        return { kind: kind('reshape', [per.length === 1 ? per[0] : per]), data: first };
      }
      case 'Transpose': {
        const perm = ints(a.perm) ?? Array.from({ length: rank }, (_, k) => rank - 1 - k);
        if (perm[0] !== 0 || perm.length < 2) return null;
        return { kind: kind('transpose', perm.slice(1).map((p) => p - 1)), data: first };
      }
      case 'Resize': case 'Upsample': {
        const mode = str(a.mode, 'nearest');
        const x = known(n.inputs[0]);
        const y = known(n.outputs[0]);
        if (!x || !y || x.length !== 4 || y.length !== 4 || (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear')) return null;
        const s = y[2] / x[2];
        if (!Number.isInteger(s) || s < 1 || y[3] !== s * x[3]) return null;
        return { kind: kind('upsample', [], [['s', s], ...(mode === 'nearest' ? [] : [['mode', 'bilinear'] as [string, Value]])]), data: first };
      }
      case 'Split': {
        const axis = int(a.axis, 0);
        const d = axis < 0 ? axis + rank : axis;
        const outs = n.outputs.map(known);
        if (d < 1 || outs.some((s) => !s || s.length !== rank)) return null;
        const sizes = outs.map((s) => s![d]);
        const equal = sizes.every((x) => x === sizes[0]);
        return { kind: kind('split', equal ? [sizes.length] : sizes, d - 1 === 0 ? [] : [['dim', d - 1]]), data: first };
      }
    }
    return null;
  }

  /** `conv C_out k= s= p= d= g= bias=` or `deconv ...`, 2-D with symmetric padding, weights from the file. */
  private conv(n: InferredNode): Mapped | null {
    const a = n.node.attrs;
    const w = this.weightDims(n, 1);
    if (!w || w.length !== 4) return null;
    const hasBias = n.node.inputs[2] !== undefined && n.node.inputs[2] !== '';
    if (hasBias && !this.weightDims(n, 2)) return null;
    const k = ints(a.kernel_shape) ?? w.slice(2);
    const s = ints(a.strides) ?? [1, 1];
    const d = ints(a.dilations) ?? [1, 1];
    const g = int(a.group, 1);
    if (k.length !== 2 || s.length !== 2 || d.length !== 2) return null;
    const transposed = n.node.opType === 'ConvTranspose';
    let p: Value | null;
    const options: [string, Value][] = [['k', pairValue(k[0], k[1])]];
    if (!isOne(pairValue(s[0], s[1]))) options.push(['s', pairValue(s[0], s[1])]);
    if (transposed) {
      if (a.output_shape !== undefined || str(a.auto_pad, 'NOTSET') !== 'NOTSET') return null;
      p = padding(a);
      const op = ints(a.output_padding) ?? [0, 0];
      if (p === null || op.length !== 2) return null;
      if (!isZero(p)) options.push(['p', p]);
      if (!isZero(pairValue(op[0], op[1]))) options.push(['op', pairValue(op[0], op[1])]);
    } else {
      p = padding(a);
      if (p === null) return null;
      if (!isZero(p)) options.push(['p', p]);
    }
    if (!isOne(pairValue(d[0], d[1]))) options.push(['d', pairValue(d[0], d[1])]);
    if (g !== 1) options.push(['g', g]);
    if (!hasBias) options.push(['bias', 'false']);
    const cout = transposed ? w[1] * g : w[0];
    return { kind: { op: transposed ? 'deconv' : 'conv', positional: [cout], options }, data: [0] };
  }

  /** The single value of constant input `k` (Clip's min and max), or null. */
  private scalar(n: InferredNode, k: number): number | null {
    const v = n.weights[k]?.values ?? n.inputs[k]?.value;
    return v && v.length === 1 ? v[0] : null;
  }

  private opset(): number {
    return this.model.opsets.get('') ?? this.model.opsets.get('ai.onnx') ?? 21;
  }
}

/** Whether the `.net` engine's own op, given these arguments and per-sample input shapes, produces `want`. */
function engineAgrees(kind: Kind, ins: Shape[], want: Shape[]): boolean {
  const spec = findOp(kind.op);
  if (!spec) return false;
  if (spec.inputs === 1 ? ins.length !== 1 : ins.length < 2) return false;
  try {
    const options: Record<string, Value> = {};
    for (const [k, v] of kind.options) {
      const o = spec.options.find((x) => x.name === k);
      if (!o) return false;
      options[k] = checkArg(o, v, spec.name);
    }
    if (kind.positional.length > spec.positional.length && !spec.variadic) return false;
    kind.positional.forEach((v, j) => checkArg(spec.positional[Math.min(j, spec.positional.length - 1)], v, spec.name));
    if (kind.positional.length < spec.required) return false;
    const args: Args = { positional: kind.positional, bnFollows: false, attrs: {}, get: (k) => options[k] };
    const cost = spec.apply(args, ins);
    return cost.outputs.length >= want.length && want.every((s, j) => sameShape(cost.outputs[j], s));
  } catch {
    return false;
  }
}

/**
 * The model as a `.net` listing: the `header` lines, a `# model:` line, one `input` line per graph
 * input (per-sample shape), then one line per node of `inf.nodes` (see the file comment).
 */
export function renderListing(model: OnnxModel, inf: Inference, opts: { file: string; header: string[] }): Listing {
  return new Renderer(model, inf).render(opts.header, opts.file);
}
