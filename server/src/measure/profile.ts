// ONNX Runtime's profile read and mapped back to the model: pure functions of the profile's events and
// of two graphs, the model as written (G) and the graph ONNX Runtime optimized it into (O, the file of
// `optimizedModelFilePath`). measure.ts does the IO.
//
//   parseProfile   chrome-trace events -> per kernel, the median over the profiled runs of its time
//   mapKernels     O's nodes (the kernels) -> the G nodes each computes: own, fused, inserted, and the G
//                  nodes no kernel computes (removed: constant-folded at load, identities)
//   attribute      kernel times -> layers: a fused kernel's time split among its layers by their estimate,
//                  an inserted kernel's time added to the kernel it is attributed to
//
// Names: a profile event is `<O node name>_kernel_time`; an O node without a name is profiled as
// `<opType>_<ORT's node index>`, so such kernels are matched to unnamed O nodes of the same op type in
// order. ONNX Runtime refuses models whose node names repeat, so names are otherwise unique.

/** One event of a chrome-trace profile (only the fields read here). */
export interface TraceEvent {
  cat?: string;
  name?: string;
  /** start and duration, microseconds */
  ts?: number;
  dur?: number;
  args?: Record<string, unknown>;
}

export interface ProfiledKernel {
  /** the profile's name without `_kernel_time` */
  name: string;
  opType: string;
  provider: string;
  /** median over the profiled runs (a run where it did not run counts 0), seconds */
  seconds: number;
}

export interface ProfileSummary {
  /** runs profiled (after the skipped warm-up runs) */
  runs: number;
  /** in the order of the first profiled run */
  kernels: ProfiledKernel[];
  /** median over the runs of the sum of the kernel times of a run, seconds */
  kernelSeconds: number;
  /** median over the runs of `model_run`'s duration, seconds */
  runSeconds: number;
  /** the intra-op thread pool's size read from the kernels' `thread_scheduling_stats` (1: no pool); null when absent */
  threads: number | null;
}

const KERNEL_SUFFIX = '_kernel_time';

export function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The nearest-rank percentile `p` (0-100) of xs. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** The pool size a kernel event's `thread_scheduling_stats` shows: the main thread plus its sub-threads; '' (no pool): 1. */
function poolSize(stats: unknown): number | null {
  if (stats === '') return 1;
  if (typeof stats !== 'object' || stats === null) return null;
  const sub = (stats as { sub_threads?: unknown }).sub_threads;
  return typeof sub === 'object' && sub !== null ? 1 + Object.keys(sub).length : 1;
}

/**
 * The kernels of a profile: each `model_run` session event is one run; kernel events (`cat: 'Node'`,
 * `..._kernel_time`) belong to the run whose interval contains their start. The first `skip` runs are
 * warm-up and dropped. A name that occurs twice in a run (it cannot, but a profile is input) is kept
 * as `name#2`. Malformed events are ignored; never throws.
 */
export function parseProfile(raw: unknown, skip = 0): ProfileSummary {
  const events: TraceEvent[] = Array.isArray(raw) ? raw.filter((e): e is TraceEvent => typeof e === 'object' && e !== null) : [];
  const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run' && num(e.ts) && num(e.dur))
    .sort((a, b) => a.ts! - b.ts!).slice(skip);
  const perRun: Map<string, number>[] = runs.map(() => new Map());
  const info = new Map<string, { opType: string; provider: string }>();
  let threads: number | null = null;
  for (const e of events) {
    if (e.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith(KERNEL_SUFFIX) || !num(e.ts) || !num(e.dur)) continue;
    const r = runs.findIndex((x) => e.ts! >= x.ts! && e.ts! <= x.ts! + x.dur!);
    if (r < 0) continue;
    const base = e.name.slice(0, -KERNEL_SUFFIX.length);
    const run = perRun[r];
    let name = base;
    for (let k = 2; run.has(name); k++) name = `${base}#${k}`;
    run.set(name, e.dur / 1e6);
    if (!info.has(name)) {
      const a = e.args ?? {};
      info.set(name, { opType: typeof a.op_name === 'string' ? a.op_name : '', provider: typeof a.provider === 'string' ? a.provider : '' });
    }
    threads ??= poolSize(e.args?.thread_scheduling_stats);
  }
  // order: as they ran in the first profiled run; a kernel first seen in a later run goes after
  const order = new Set<string>();
  for (const run of perRun) for (const n of run.keys()) order.add(n);
  const kernels = [...order].map((name) => ({ name, ...info.get(name)!, seconds: median(perRun.map((run) => run.get(name) ?? 0)) }));
  const sums = perRun.map((run) => [...run.values()].reduce((a, b) => a + b, 0));
  return { runs: runs.length, kernels, kernelSeconds: median(sums), runSeconds: median(runs.map((x) => x.dur! / 1e6)), threads };
}

// ---- graphs

/** A node as the mapping needs it (OnnxNode of onnx/model.ts fits). */
export interface GraphNode { name: string; opType: string; domain: string; inputs: string[]; outputs: string[] }
/** A graph as the mapping needs it: its nodes in order, the names of its inputs and of its initializers. */
export interface GraphLite { nodes: GraphNode[]; inputs: string[]; initializers: string[] }

export interface KernelMap {
  /** the kernel's name as profiled */
  kernel: string;
  /** its node in O, -1 when the profile names a kernel O does not have */
  node: number;
  opType: string;
  domain: string;
  /** own: one G node; fused: several; inserted: none */
  kind: 'own' | 'fused' | 'inserted';
  /** the G nodes it computes (indices into G's nodes) */
  covers: number[];
  /** an inserted kernel: the kernel its time goes to (the producer of its input, else the consumer of its output) */
  attributedTo: string | null;
}

export interface GraphMapping {
  /** per O node (in O's order) */
  kernels: KernelMap[];
  /** G nodes no kernel computes: removed by ONNX Runtime */
  removed: number[];
}

/** Element-wise ops ONNX Runtime fuses into the kernel of their producer (NCHWc Conv: Sum and activation). */
const FUSED_AFTER = new Set(['Add', 'Sum', 'Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'LeakyRelu', 'Tanh']);

/** Ops ONNX Runtime removes when they do nothing at inference (their consumers read the input instead). */
const NO_OPS = new Set(['Identity', 'Dropout']);

/**
 * Which nodes of G each node of O computes. For each O node, in order, its "original outputs": its
 * outputs that are tensors of G; else, when it is named `X_nchwc` and X is a tensor of G (ONNX Runtime's
 * NCHWc convolutions take the name of the original output of the last node they fuse), [X]; else, when
 * its name is a G node's name, that node's outputs. None, or all already claimed by an earlier O node:
 * it computes nothing of G (a layout conversion it inserted). Otherwise the walk goes backward in G from
 * the unclaimed original outputs through producers, stopping at claimed tensors, graph inputs,
 * initializers and constant subgraphs (folded at load: Constant, Shape of a static shape, and nodes of
 * only such inputs); every G node visited and not yet covered is computed by this O node, except
 * no-ops (Identity, Dropout), which ONNX Runtime removes. The covered nodes' outputs are claimed. Then
 * forward: an element-wise consumer of what it computed (Add, Relu, Clip, ...) whose output O no longer has,
 * whose name is no O node's and whose other inputs are ready, was fused into it too (an NCHWc Conv takes
 * the residual Add after it as its `Sum` input but keeps the name of the conv's output).
 */
export function mapGraphs(g: GraphLite, o: GraphLite): { covers: number[][]; removed: number[] } {
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((t) => { if (t) producer.set(t, i); }));
  const gTensors = new Set<string>([...g.inputs, ...g.initializers, ...producer.keys()]);
  const gByName = new Map<string, number>();
  g.nodes.forEach((n, i) => { if (n.name && !gByName.has(n.name)) gByName.set(n.name, i); });
  const stops = new Set<string>([...g.inputs, ...g.initializers]);
  // constant subgraphs: nodes whose inputs are all static (initializers, outputs of static nodes), Constant, Shape
  const isStatic = new Set<string>(g.initializers);
  const staticNode = g.nodes.map(() => false);
  g.nodes.forEach((n, i) => {
    const ins = n.inputs.filter((x) => x !== '');
    if (n.opType === 'Constant' || n.opType === 'Shape' || (ins.length > 0 && ins.every((x) => isStatic.has(x)))) {
      staticNode[i] = true;
      n.outputs.forEach((t) => isStatic.add(t));
    }
  });
  const consumers = new Map<string, number[]>();
  g.nodes.forEach((n, i) => n.inputs.forEach((t) => { if (t) (consumers.get(t) ?? consumers.set(t, []).get(t)!).push(i); }));
  const oNames = new Set(o.nodes.map((n) => n.name).filter(Boolean));
  const oTensors = new Set<string>(o.nodes.flatMap((n) => [...n.inputs, ...n.outputs]));
  const claimed = new Set<string>();
  const covered = g.nodes.map(() => false);
  const covers: number[][] = [];
  for (const n of o.nodes) {
    let originals = n.outputs.filter((t) => t && gTensors.has(t));
    if (!originals.length && n.name.endsWith('_nchwc') && gTensors.has(n.name.slice(0, -6))) originals = [n.name.slice(0, -6)];
    if (!originals.length && gByName.has(n.name)) originals = g.nodes[gByName.get(n.name)!].outputs.filter((t) => t);
    const mine: number[] = [];
    const stack = originals.filter((t) => !claimed.has(t));
    const seen = new Set<number>();
    while (stack.length) {
      const t = stack.pop()!;
      if (claimed.has(t) || stops.has(t)) continue;
      const p = producer.get(t);
      if (p === undefined || seen.has(p) || covered[p] || staticNode[p]) continue;
      seen.add(p);
      if (!NO_OPS.has(g.nodes[p].opType)) mine.push(p);
      for (const x of g.nodes[p].inputs) if (x) stack.push(x);
    }
    // a static node O computes by name or output (Shape of a dynamic shape): its own
    if (!mine.length) for (const t of originals) {
      const p = producer.get(t);
      if (!claimed.has(t) && p !== undefined && !covered[p] && staticNode[p] && !mine.includes(p)) mine.push(p);
    }
    for (const p of mine) { covered[p] = true; g.nodes[p].outputs.forEach((x) => claimed.add(x)); }
    for (const t of originals) claimed.add(t);
    // forward: element-wise nodes fused into this kernel after its original output (an NCHWc Conv's `Sum` input is
    // the Add that follows it; the kernel keeps the conv's name), recognised by their output being gone from O
    if (mine.length) {
      const frontier = mine.flatMap((p) => g.nodes[p].outputs).concat(originals);
      while (frontier.length) {
        const t = frontier.pop()!;
        for (const c of consumers.get(t) ?? []) {
          const x = g.nodes[c];
          const ready = x.inputs.every((i) => !i || claimed.has(i) || stops.has(i) || isStatic.has(i));
          if (covered[c] || !FUSED_AFTER.has(x.opType) || oNames.has(x.name) || x.outputs.some((y) => oTensors.has(y)) || !ready) continue;
          covered[c] = true;
          mine.push(c);
          x.outputs.forEach((y) => { claimed.add(y); frontier.push(y); });
        }
      }
    }
    mine.sort((a, b) => a - b);
    covers.push(mine);
  }
  return { covers, removed: g.nodes.map((_, i) => i).filter((i) => !covered[i]) };
}

/**
 * The kernels of a profile mapped to G through O. Each profiled kernel is matched to its O node by name
 * (unnamed O nodes: by op type, in order); a kernel that computes no G node is `inserted`, its time
 * attributed to the kernel producing its first input that has a producer, else to the first kernel
 * consuming its output (an attribution to an inserted kernel is followed to where that one's goes).
 * Kernels are returned in profile order; O nodes that were never profiled are left out.
 */
export function mapKernels(g: GraphLite, o: GraphLite, kernels: { name: string; opType: string }[]): GraphMapping {
  const { covers, removed } = mapGraphs(g, o);
  // profile name -> O node
  const byName = new Map<string, number>();
  o.nodes.forEach((n, i) => { if (n.name) byName.set(n.name, i); });
  const unnamed = o.nodes.map((n, i) => ({ n, i })).filter((x) => !x.n.name);
  const nodeOf = new Map<string, number>();
  for (const k of kernels) {
    let i = byName.get(k.name);
    if (i === undefined) {
      const u = unnamed.findIndex((x) => x.n.opType === k.opType);
      if (u >= 0) i = unnamed.splice(u, 1)[0].i;
    }
    nodeOf.set(k.name, i ?? -1);
  }
  const kernelOfNode = new Map<number, string>();
  for (const [k, i] of nodeOf) if (i >= 0) kernelOfNode.set(i, k);
  const oProducer = new Map<string, number>();
  o.nodes.forEach((n, i) => n.outputs.forEach((t) => { if (t) oProducer.set(t, i); }));
  const out: KernelMap[] = kernels.map((k) => {
    const i = nodeOf.get(k.name)!;
    const n = i >= 0 ? o.nodes[i] : undefined;
    const c = i >= 0 ? covers[i] : [];
    return { kernel: k.name, node: i, opType: n?.opType ?? k.opType, domain: n?.domain ?? '', kind: c.length === 0 ? 'inserted' : c.length === 1 ? 'own' : 'fused', covers: c, attributedTo: null };
  });
  const byKernel = new Map(out.map((k) => [k.kernel, k]));
  // inserted kernels: the producer of an input, else a consumer of an output (O nodes that were profiled)
  for (const k of out) {
    if (k.kind !== 'inserted' || k.node < 0) continue;
    const n = o.nodes[k.node];
    const from = n.inputs.map((t) => oProducer.get(t)).find((p) => p !== undefined && kernelOfNode.has(p));
    const to = from === undefined ? o.nodes.findIndex((m, j) => j !== k.node && kernelOfNode.has(j) && m.inputs.some((t) => t && n.outputs.includes(t))) : -1;
    const target = from ?? (to >= 0 ? to : undefined);
    k.attributedTo = target === undefined ? null : kernelOfNode.get(target)!;
  }
  // follow chains of inserted kernels (ReorderInput -> ReorderOutput -> ...) to one that computes something
  const direct = new Map(out.map((k) => [k.kernel, k.attributedTo]));
  for (const k of out) {
    const seen = new Set([k.kernel]);
    let t = direct.get(k.kernel) ?? null;
    while (t !== null && byKernel.get(t)?.kind === 'inserted' && !seen.has(t)) { seen.add(t); t = direct.get(t) ?? null; }
    k.attributedTo = t !== null && byKernel.get(t)?.kind !== 'inserted' ? t : null;
  }
  return { kernels: out, removed };
}

// ---- attribution

export interface Attribution {
  /** per kernel (the mapping's order): its layers (indices, sorted) and its estimate (its share of each layer's estimate) */
  kernels: { layers: number[]; estimatedSeconds: number }[];
  /** per layer: measured seconds, and the kernel that computed it (the first in profile order; null: removed or unmapped) */
  layers: { measuredSeconds: number; kernel: string | null }[];
  /** seconds of kernels attributed to no layer */
  unattributedSeconds: number;
}

/**
 * Kernel times to layers. `layerOfNode[g]` is the layer index of G node g (-1: none); `estimates[l]` is
 * layer l's estimate. A layer computed by several kernels (an export of one layer as several ONNX nodes)
 * has its estimate split among them by the weight of its nodes each computes (`nodeWeight[g]`, default 1;
 * 0 for a view such as Flatten, so a Gemm's kernel gets its layer's estimate, not half of it). A kernel's
 * time, plus the time of the inserted kernels attributed to it, is split among its layers in proportion to
 * their shares of its estimate (evenly when they are all 0).
 */
export function attribute(m: GraphMapping, seconds: Map<string, number>, layerOfNode: number[], estimates: number[], nodeWeight: number[] = []): Attribution {
  const w = (g: number) => nodeWeight[g] ?? 1;
  // per kernel, per layer: the weight of the layer's nodes it computes, and how many of them
  const parts = m.kernels.map((k) => {
    const by = new Map<number, { weight: number; nodes: number }>();
    for (const g of k.covers) {
      const l = layerOfNode[g];
      if (l < 0) continue;
      const p = by.get(l) ?? by.set(l, { weight: 0, nodes: 0 }).get(l)!;
      p.weight += w(g);
      p.nodes++;
    }
    return by;
  });
  const layerWeight = new Map<number, { weight: number; nodes: number }>();
  for (const by of parts) for (const [l, p] of by) {
    const t = layerWeight.get(l) ?? layerWeight.set(l, { weight: 0, nodes: 0 }).get(l)!;
    t.weight += p.weight;
    t.nodes += p.nodes;
  }
  /** kernel i's share of layer l's estimate */
  const share = (i: number, l: number) => {
    const p = parts[i].get(l)!;
    const t = layerWeight.get(l)!;
    return estimates[l] * (t.weight > 0 ? p.weight / t.weight : p.nodes / t.nodes);
  };
  // each kernel's own time goes to itself when it computes a layer, else to the kernel it is attributed to
  const total = new Map<string, number>();
  let unattributedSeconds = 0;
  m.kernels.forEach((k, i) => {
    const s = seconds.get(k.kernel) ?? 0;
    const to = parts[i].size ? k.kernel : k.attributedTo;
    if (to === null) unattributedSeconds += s;
    else total.set(to, (total.get(to) ?? 0) + s);
  });
  const layers = estimates.map(() => ({ measuredSeconds: 0, kernel: null as string | null }));
  const kernels = m.kernels.map((k, i) => {
    const ls = [...parts[i].keys()].sort((a, b) => a - b);
    const est = ls.reduce((a, l) => a + share(i, l), 0);
    const t = total.get(k.kernel) ?? 0;
    for (const l of ls) {
      layers[l].measuredSeconds += est > 0 ? (t * share(i, l)) / est : t / ls.length;
      layers[l].kernel ??= k.kernel;
    }
    // a kernel covering G nodes of no layer: the inserted kernels' time given to it is unattributed too (its own already is)
    if (!ls.length) unattributedSeconds += t;
    return { layers: ls, estimatedSeconds: est };
  });
  return { kernels, layers, unattributedSeconds };
}
