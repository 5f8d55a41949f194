// `netcost measure`: a model run with ONNX Runtime on this machine's CPU, its kernel times mapped back
// to the layers and set beside their estimates. The IO half (runtime.ts loads ONNX Runtime; profile.ts
// and report.ts are pure):
//
//   1. analyse the file (.net: the engine, then an ONNX export to a temporary directory; .onnx: the ONNX
//      pipeline, its weights filled with pseudo-random ones when the file has none);
//   2. session 1, profiling off: `warmup` runs, then `runs` runs timed with performance.now() around
//      session.run: the latency (median, p90) and throughput;
//   3. session 2, profiling on, writing its optimized graph: one warm-up run, then `profileRuns` runs:
//      each kernel's median time; the optimized graph maps kernels to the model's nodes (profile.ts);
//   4. the layers' estimates on the target (roofline.ts `estimate`, launch overheads included).
// The temporary directory is removed afterwards, on error too.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { analyze, type Analysis, type Layer } from '../analysis/analyze';
import { analyzeOnnxFile, type OnnxLayer } from '../onnx/analyze';
import { dtypeBytes, dtypeName, type OnnxGraph, type OnnxModel } from '../onnx/model';
import { readModelFile } from '../onnx/reader';
import { exportAnalysis } from '../export/export';
import { encodeModel } from '../onnx/write';
import { loadProjectConfig, type ProjectConfig } from '../hardware/config';
import { findTarget, targetIds, type Target } from '../hardware/targets';
import { HOST_CPU, hostCpu, hostSpecs } from '../hardware/host';
import { estimate, launches } from '../hardware/roofline';
import { opClass } from '../hardware/opclass';
import { attribute, mapKernels, median, parseProfile, percentile, type GraphLite } from './profile';
import { loadRuntime, RuntimeBroken, RuntimeMissing, type OrtModule } from './runtime';
import type { MeasuredLayer, MeasuredNode, Measurement, OpClassTotal } from './types';

export interface MeasureOptions {
  /** timed runs (profiling off) */
  runs: number;
  /** untimed runs before them */
  warmup: number;
  /** intra-op threads; absent: ONNX Runtime's default (one per physical core) */
  threads?: number;
  /** profiled runs (after one warm-up run of the profiling session); default min(runs, 10) */
  profileRuns?: number;
  /** batch size (.net: the analysis' batch; ONNX: binds the inputs' leading dim) */
  batch?: number;
  /** ONNX: symbolic dims by name */
  dims?: Record<string, number>;
  /** .net: top-level variable overrides */
  set?: Record<string, number>;
  /** the estimate's target id; default: the `local-cpu` user target, else `host-cpu` */
  target?: string;
  /** seed of the pseudo-random weights (an export, a weight-stripped model) */
  seed?: number;
  /** told of each stage: analyze, export, load, warmup, run, profile, map, then done */
  onProgress?(stage: string, done: number, total: number): void;
  /** where NETCOST_ONNXRUNTIME is read (default process.env) */
  env?: Record<string, string | undefined>;
}

/** A measurement that could not be made; `exitCode` is the CLI's: 1 the file has errors, 2 I/O or usage, 3 no ONNX Runtime, 4 ONNX Runtime failed. */
export class MeasureError extends Error {
  constructor(readonly exitCode: 1 | 2 | 3 | 4, message: string) {
    super(message);
  }
}

// ---- inputs

type Feed = { name: string; dtype: number; shape: number[] };

/** The model's inputs (graph inputs that are not initializers) with concrete shapes: the analysis' own when it has
 *  the input (ONNX: bound dims, batch included; .net: batch + per-sample shape), else the graph's dims, symbolic
 *  ones bound to `batch` (the leading one), `dims[name]`, else 1. */
function feedsOf(g: OnnxGraph, a: Analysis, batch: number, dims: Record<string, number>): Feed[] {
  return g.inputs.filter((v) => !g.initializers.has(v.name)).map((v) => {
    const known = a.inputs.find((i) => i.name === v.name);
    let shape: number[];
    if (known && a.onnx) shape = known.shape.map((d) => (d > 0 ? d : 1));
    else if (known && v.shape?.length === known.shape.length + 1) shape = [batch, ...known.shape];
    else shape = (v.shape ?? []).map((d, k) => (typeof d === 'number' && d > 0 ? d : typeof d === 'string' && dims[d] ? dims[d] : k === 0 ? batch : 1));
    return { name: v.name, dtype: v.dtype, shape };
  });
}

/** An ONNX Runtime tensor of small deterministic values (floats in [-0.5, 0.5), integers and booleans 0). */
function tensorOf(ort: OrtModule, f: Feed) {
  const n = f.shape.reduce((p, d) => p * d, 1);
  const type = dtypeName(f.dtype);
  switch (type) {
    case 'float32': {
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = ((i * 7919) % 1000) / 1000 - 0.5;
      return new ort.Tensor('float32', x, f.shape);
    }
    case 'int64': return new ort.Tensor('int64', new BigInt64Array(n), f.shape);
    case 'int32': return new ort.Tensor('int32', new Int32Array(n), f.shape);
    case 'bool': return new ort.Tensor('bool', new Uint8Array(n), f.shape);
    case 'uint8': return new ort.Tensor('uint8', new Uint8Array(n), f.shape);
    case 'int8': return new ort.Tensor('int8', new Int8Array(n), f.shape);
    case 'float64': return new ort.Tensor('float64', new Float64Array(n), f.shape);
    default: throw new MeasureError(4, `input '${f.name}' has dtype ${type}, which netcost measure cannot feed (float32, int64, int32, bool, uint8, int8, float64)`);
  }
}

// ---- weights

/** True when the file cannot hold its weights: their bytes exceed the file's size (weight-stripped files, as the
 *  test fixtures are; their initializers have no data and ONNX Runtime refuses them). */
function stripped(m: OnnxModel): boolean {
  let bytes = 0;
  for (const t of m.graph.initializers.values()) if (!t.external && t.values === null) bytes += dtypeBytes(t.dtype, t.dims.reduce((p, d) => p * d, 1));
  return bytes > m.fileBytes;
}

/** The model with pseudo-random weights in the file (external ones too). */
function filled(m: OnnxModel, seed: number): Uint8Array {
  const initializers = new Map([...m.graph.initializers].map(([k, t]) => [k, { ...t, external: false }]));
  return encodeModel({ ...m, graph: { ...m.graph, initializers } }, { weightBytes: 'random', seed });
}

// ---- graphs for the mapping

const lite = (g: OnnxGraph): GraphLite => ({
  nodes: g.nodes, inputs: g.inputs.map((v) => v.name), initializers: [...g.initializers.keys()],
});

/** Per node of G, the index of the layer it computes: ONNX: the main graph's node with that index. */
function onnxLayerOf(a: Analysis, g: OnnxGraph): number[] {
  const byNode = new Map<number, number>();
  (a.layers as OnnxLayer[]).forEach((l, i) => { if (l.graphPath === '') byNode.set(l.nodeIndex, i); });
  return g.nodes.map((_, i) => byNode.get(i) ?? -1);
}

/** .net: the exporter's node -> layer names; a node of no layer (a helper the export added) takes its producer's layer, else its consumer's. */
function netLayerOf(a: Analysis, g: OnnxGraph, layerOf: Map<string, string>): number[] {
  const index = new Map(a.layers.map((l, i) => [l.name, i]));
  const out = g.nodes.map((n) => index.get(layerOf.get(n.name) ?? '') ?? -1);
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((t) => producer.set(t, i)));
  for (let i = 0; i < g.nodes.length; i++) {
    if (out[i] >= 0) continue;
    const p = g.nodes[i].inputs.map((t) => producer.get(t)).find((j) => j !== undefined && out[j] >= 0);
    if (p !== undefined) out[i] = out[p];
  }
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    if (out[i] >= 0) continue;
    const c = g.nodes.findIndex((n, j) => out[j] >= 0 && n.inputs.some((t) => g.nodes[i].outputs.includes(t)));
    if (c >= 0) out[i] = out[c];
  }
  return out;
}

/** ONNX ops that only reinterpret their input: a layer exported as a view and a computing node has its estimate on the latter's kernel */
const VIEWS = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

// ---- the target

/** --target, else the `local-cpu` user target, else host-cpu; host-cpu is taken at the threads measured. */
function targetFor(c: ProjectConfig, id: string | undefined, threads: number): { target: Target; notes: string[] } {
  const notes = c.errors.map((e) => `netcost.json: ${e}`);
  if (id !== undefined) {
    // host-cpu at the threads measured (findTarget's is at ONNX Runtime's default)
    const t = id === HOST_CPU && !c.targets.some((u) => u.id === id) ? hostCpu(threads) : findTarget(id, c.targets);
    if (!t) throw new MeasureError(2, `--target: unknown target '${id}' (known: ${targetIds(c.targets).join(', ')})`);
    return { target: t, notes };
  }
  return { target: c.targets.find((t) => t.id === 'local-cpu') ?? hostCpu(threads), notes };
}

// ---- running

const ortMessage = (e: unknown) => (e instanceof Error ? e.message : String(e)).trim();

/** Measure a .net file or an ONNX model. Throws MeasureError (with the CLI's exit code) when it cannot. */
export async function measureFile(file: string, opts: MeasureOptions): Promise<Measurement> {
  const progress = opts.onProgress ?? (() => {});
  const batch = opts.batch ?? 1;
  const seed = opts.seed ?? 0;
  const profileRuns = opts.profileRuns ?? Math.max(1, Math.min(opts.runs, 10));
  const isOnnx = /\.onnx$/i.test(file);
  if (!existsSync(file) || !statSync(file).isFile()) throw new MeasureError(2, `${file}: no such file`);
  const notes: string[] = [];
  const config = loadProjectConfig(dirname(file));
  if (opts.target !== undefined) targetFor(config, opts.target, 1); // an unknown id is a usage error before anything runs

  // 1. the analysis, the model to run, the layer of each of its nodes
  progress('analyze', 0, 1);
  let a: Analysis;
  let model: OnnxModel;
  let layerOfNode: number[];
  let bytes: Uint8Array | null = null; // the model to run when not the file itself
  let weights: 'file' | 'filled' = 'file';
  if (isOnnx) {
    const oa = analyzeOnnxFile(file, { batch: opts.batch, dims: opts.dims });
    const io = oa.diagnostics.find((d) => d.code === 'onnx-io');
    if (io) throw new MeasureError(2, `${file}: ${io.message}`);
    errorsOf(oa, file);
    a = oa;
    model = oa.onnx.model;
    layerOfNode = onnxLayerOf(a, model.graph);
    if (stripped(model)) {
      bytes = filled(model, seed);
      weights = 'filled';
      notes.push(`the file has no weight data (stripped): pseudo-random weights were written (seed ${seed}); times do not depend on weight values`);
    }
    progress('analyze', 1, 1);
  } else {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new MeasureError(2, `${file}: ${(e as Error).message}`);
    }
    a = analyze(text, { batch, dtype: 'fp32', overrides: opts.set ?? {} });
    const missing = Object.keys(opts.set ?? {}).filter((n) => !a.variables.some((v) => v.name === n));
    if (missing.length) throw new MeasureError(2, `--set ${missing[0]}: ${file} has no top-level variable \`${missing[0]}\``);
    errorsOf(a, file);
    progress('analyze', 1, 1);
    progress('export', 0, 1);
    const x = exportAnalysis(a, { seed });
    if (x.errors.length) throw new MeasureError(1, x.errors.map((e) => `${file}:${e.line}: error [export] ${e.layer}: ${e.message}`).join('\n'));
    bytes = x.bytes();
    model = x.model;
    layerOfNode = netLayerOf(a, model.graph, x.layerOf);
    progress('export', 1, 1);
  }

  // 2-3. ONNX Runtime
  let runtime;
  try {
    runtime = loadRuntime(opts.env);
  } catch (e) {
    if (e instanceof RuntimeMissing || e instanceof RuntimeBroken) throw new MeasureError(3, e.message);
    throw e;
  }
  const { ort } = runtime;
  const dir = mkdtempSync(join(tmpdir(), 'netcost-measure-'));
  try {
    let path = file;
    if (bytes) {
      path = join(dir, isOnnx ? 'filled.onnx' : 'export.onnx');
      writeFileSync(path, bytes);
    }
    const feeds: Record<string, InstanceType<OrtModule['Tensor']>> = {};
    for (const f of feedsOf(model.graph, a, batch, opts.dims ?? {})) feeds[f.name] = tensorOf(ort, f);
    const base = {
      executionProviders: ['cpu'], graphOptimizationLevel: 'all' as const, logSeverityLevel: 3 as const,
      ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
    };
    const total = 2;
    progress('load', 0, total);
    let sessionSeconds = 0;
    const create = async (options: object) => {
      const t = performance.now();
      try {
        const s = await ort.InferenceSession.create(path, { ...base, ...options });
        return { s, seconds: (performance.now() - t) / 1000 };
      } catch (e) {
        // an initializer whose data lives in a side file that is not there: fill it and try again
        if (isOnnx && weights === 'file' && [...model.graph.initializers.values()].some((x) => x.external)) {
          path = join(dir, 'filled.onnx');
          writeFileSync(path, filled(model, seed));
          weights = 'filled';
          notes.push(`ONNX Runtime could not load the weights (${ortMessage(e).split('\n')[0]}): pseudo-random weights were written instead (seed ${seed})`);
          return create(options);
        }
        throw new MeasureError(4, `ONNX Runtime could not load ${isOnnx ? file : `the export of ${file}`}: ${ortMessage(e)}`);
      }
    };
    const run = async (s: { run(feeds: object): Promise<unknown> }) => {
      try {
        await s.run(feeds);
      } catch (e) {
        throw new MeasureError(4, `ONNX Runtime failed to run ${file}: ${ortMessage(e)}`);
      }
    };

    // session 1: latency, profiling off
    const first = await create({});
    sessionSeconds = first.seconds;
    progress('load', 1, total);
    const samples: number[] = [];
    try {
      for (let i = 0; i < opts.warmup; i++) { progress('warmup', i, opts.warmup); await run(first.s); }
      progress('warmup', opts.warmup, opts.warmup);
      for (let i = 0; i < opts.runs; i++) {
        progress('run', i, opts.runs);
        const t = performance.now();
        await run(first.s);
        samples.push((performance.now() - t) / 1000);
      }
      progress('run', opts.runs, opts.runs);
    } finally {
      await first.s.release();
    }

    // session 2: kernel times, profiling on, the optimized graph written
    const optimized = join(dir, 'optimized.onnx');
    const second = await create({ enableProfiling: true, profileFilePrefix: join(dir, 'profile'), optimizedModelFilePath: optimized });
    progress('load', 2, total);
    try {
      for (let i = 0; i <= profileRuns; i++) { progress('profile', i, profileRuns + 1); await run(second.s); }
      progress('profile', profileRuns + 1, profileRuns + 1);
      second.s.endProfiling();
    } finally {
      await second.s.release();
    }
    const profileFile = readdirSync(dir).filter((n) => n.startsWith('profile') && n.endsWith('.json')).sort().pop();
    if (!profileFile) throw new MeasureError(4, 'ONNX Runtime wrote no profile');
    let events: unknown;
    try {
      events = JSON.parse(readFileSync(join(dir, profileFile), 'utf8'));
    } catch (e) {
      throw new MeasureError(4, `ONNX Runtime's profile is not readable: ${(e as Error).message}`);
    }
    const profile = parseProfile(events, 1);

    // 4. mapping, estimates, attribution
    progress('map', 0, 1);
    const o = existsSync(optimized) ? readModelFile(optimized) : null;
    if (!o) notes.push('ONNX Runtime did not write its optimized graph: kernels are mapped by name only');
    const g = lite(model.graph);
    const mapping = mapKernels(g, o ? lite(o.graph) : g, profile.kernels);
    const threads = opts.threads ?? profile.threads ?? hostSpecs().physicalCores;
    const { target, notes: targetNotes } = targetFor(config, opts.target, threads);
    notes.push(...targetNotes);
    const e = estimate(a, target);
    const est = a.layers.map((l, i) => e.layers[i].seconds + (launches(l) ? target.launchOverhead : 0));
    const seconds = new Map(profile.kernels.map((k) => [k.name, k.seconds]));
    const att = attribute(mapping, seconds, layerOfNode, est, model.graph.nodes.map((n) => (VIEWS.has(n.opType) ? 0 : 1)));
    progress('map', 1, 1);

    const nodes: MeasuredNode[] = mapping.kernels.map((k, i) => {
      const ls = att.kernels[i].layers;
      return {
        name: k.kernel, opType: k.opType, domain: k.domain, layers: ls.map((l) => a.layers[l].name),
        kind: ls.length === 0 ? 'inserted' : ls.length === 1 ? 'own' : 'fused', attributedTo: ls.length ? null : k.attributedTo,
        measuredSeconds: seconds.get(k.kernel) ?? 0, estimatedSeconds: att.kernels[i].estimatedSeconds,
      };
    });
    const layers: MeasuredLayer[] = a.layers.map((l, i) => ({
      name: l.name, line: l.range.start.line, op: l.op, opClass: opClass(l as Layer & { opType?: string }),
      flops: l.flops['2macs'], memoryBytes: l.memoryBytes, launches: launches(l),
      node: att.layers[i].kernel, measuredSeconds: att.layers[i].measuredSeconds, estimatedSeconds: est[i],
    }));
    notes.push(...mappingNotes(a, nodes, mapping.kernels.map((k) => k.node), layers, att.unattributedSeconds));
    if (target.calibration && target.calibration.threads !== threads) {
      notes.push(`${target.id} was calibrated with ${target.calibration.threads} thread(s); this run used ${threads}: its estimate may not apply`);
    }
    const median_ = median(samples);
    return {
      version: 1,
      file,
      model: { path, exported: !isOnnx, weights },
      runtime: { name: 'onnxruntime-node', version: runtime.version, executionProvider: 'cpu', threads, graphOptimizationLevel: 'all' },
      batch: a.settings.batch,
      dtype: a.onnx ? 'own' : a.settings.dtype,
      warmup: opts.warmup,
      runs: opts.runs,
      profiledRuns: profile.runs,
      latency: { medianSeconds: median_, p90Seconds: percentile(samples, 90), minSeconds: Math.min(...samples), maxSeconds: Math.max(...samples), samples },
      throughput: median_ > 0 ? a.settings.batch / median_ : 0,
      sessionSeconds,
      kernelSeconds: profile.kernelSeconds,
      target: { id: target.id, name: target.name },
      estimate: { seconds: e.seconds, launches: e.launches },
      nodes,
      layers,
      byOpClass: byOpClass(layers),
      notes,
    };
  } finally {
    progress('done', 1, 1);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The file's errors (exit code 1): `file:line:col: error [code] message` lines. */
function errorsOf(a: Analysis, file: string): void {
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new MeasureError(1, errors.map((d) => `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: error [${d.code}] ${d.message}`).join('\n'));
}

const list = (xs: string[], n = 5) => xs.slice(0, n).join(', ') + (xs.length > n ? `, ... (${xs.length} in all)` : '');

/** What the mapping could not do: kernels of no layer, layers of no kernel. */
function mappingNotes(a: Analysis, nodes: MeasuredNode[], oNode: number[], layers: MeasuredLayer[], unattributed: number): string[] {
  const notes: string[] = [];
  const unknown = nodes.filter((_, i) => oNode[i] < 0);
  if (unknown.length) notes.push(`${unknown.length} kernel(s) of the profile are not in ONNX Runtime's optimized graph: ${list(unknown.map((n) => n.name))}`);
  const lost = nodes.filter((n) => n.kind === 'inserted' && n.attributedTo === null);
  if (lost.length) notes.push(`${lost.length} kernel(s) compute no layer and follow no kernel that does: ${list(lost.map((n) => `${n.name} (${n.opType})`))}; their time is in no layer`);
  if (unattributed > 0 && !lost.length) notes.push(`kernel time attributed to no layer: ${(unattributed * 1e6).toFixed(1)} us`);
  const removed = layers.filter((l) => l.node === null);
  const sub = a.onnx ? (a.layers as OnnxLayer[]).filter((l) => l.graphPath !== '').length : 0;
  const working = removed.filter((l) => l.launches && l.estimatedSeconds > 0);
  if (removed.length) {
    notes.push(`${removed.length} layer(s) ran in no kernel (removed by ONNX Runtime: folded at load, identities, or inside subgraphs): measured 0` +
      (working.length ? `; of them, estimated to take time: ${list(working.map((l) => l.name))}` : ''));
  }
  if (sub) notes.push(`${sub} node(s) inside subgraphs (If, Loop, Scan) are timed as part of their control-flow node's kernel, not one by one`);
  return notes;
}

function byOpClass(layers: MeasuredLayer[]): OpClassTotal[] {
  const by = new Map<string, OpClassTotal>();
  for (const l of layers) {
    let t = by.get(l.opClass);
    if (!t) by.set(l.opClass, (t = { opClass: l.opClass, layers: 0, measuredSeconds: 0, estimatedSeconds: 0 }));
    t.layers++;
    t.measuredSeconds += l.measuredSeconds;
    t.estimatedSeconds += l.estimatedSeconds;
  }
  return [...by.values()].sort((x, y) => y.measuredSeconds - x.measuredSeconds || y.estimatedSeconds - x.estimatedSeconds || (x.opClass < y.opClass ? -1 : 1));
}
