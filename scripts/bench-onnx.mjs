// The ONNX part of `npm run bench`: how NetCost's analysis of an .onnx file compares with reading the
// file and with reading + `onnx.ModelProto.decode`, on a ResNet-50-sized model (~100 MB) and a
// VGG-16-sized one (~550 MB), both with their weights in the file.
//
//   - checks that os.tmpdir() has 2 GB free (else skips, saying why);
//   - generates both models into a fresh temporary directory (removed afterwards, also on error): the
//     real layer structures (conv / batch norm / relu / add / gemm with the real dims, fp32 weights),
//     written streaming: the graph is encoded by onnx-proto without the initializers' data, and each
//     initializer's raw_data is written by hand in 1 MiB chunks, so 550 MB is never held in memory;
//   - reads each file once (page cache warm), then runs each mode in its own fresh node process, 3
//     times: (a) fs.readFileSync, (b) readFileSync + ModelProto.decode, (c) NetCost's analysis
//     (`analyzeCommand`); a preloaded probe prints the child's peak RSS (process.resourceUsage().maxRSS)
//     as it exits; the baseline is an empty node process with the same probe;
//   - reports per model and mode the median wall time (and the same minus the empty-process baseline,
//     i.e. node's own startup), the peak RSS and its growth over the baseline, and the two targets:
//     analysis time / (read + decode) time < 0.1 and analysis peak memory growth < 50 MB.
//
// `benchOnnx()` returns the result for scripts/bench.mjs; `printOnnx(result)` prints it. Run alone:
// `node scripts/bench-onnx.mjs` (the child processes run this same file with `--child MODE FILE`).
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), '..');
const require = createRequire(import.meta.url);

const RUNS = 3;
const MIN_FREE = 2 * 1024 ** 3;
const TARGET_RATIO = 0.1;
const TARGET_GROWTH_MB = 50;
const MB = 1024 * 1024;

// ---- what is timed as NetCost's analysis

/** The node arguments of NetCost's full analysis of `file`, I/O included: the real CLI (`netcost FILE --json`). */
export function analyzeCommand(file) {
  return [join(root, 'dist', 'cli.js'), file, '--json'];
}
const ANALYSIS_LABEL = 'NetCost full analysis: netcost FILE --json';
/** the reader alone, in-process time printed by the child: where the analysis time goes */
const READER_LABEL = '  of which: the lazy reader (readModelFile)';

// ---- the child processes

async function child(mode, file, bundle) {
  const t = performance.now();
  let detail = '';
  if (mode === 'read') {
    detail = `${readFileSync(file).length} bytes`;
  } else if (mode === 'decode') {
    const { onnx } = require('onnx-proto');
    const m = onnx.ModelProto.decode(readFileSync(file));
    detail = `${m.graph.node.length} nodes, ${m.graph.initializer.length} initializers`;
  } else if (mode === 'analyze') {
    const { readModelFile } = await import(pathToFileURL(bundle).href);
    const m = readModelFile(file);
    if (m.diagnostics.some((d) => d.severity === 'error')) throw new Error(JSON.stringify(m.diagnostics));
    detail = `${m.graph.nodes.length} nodes, ${m.graph.initializers.size} initializers`;
  } else if (mode !== 'baseline') throw new Error(`unknown mode ${mode}`);
  process.stdout.write(JSON.stringify({ ms: performance.now() - t, detail }) + '\n');
}

/** preloaded into every child: prints its peak RSS when it exits */
const PROBE = `process.on('exit', () => { process.stderr.write('\\nNETCOST_BENCH_MAXRSS ' + process.resourceUsage().maxRSS + '\\n'); });\n`;

/** runs `node --import probe ...args`; resolves { wallMs, maxRssKB, stdout, code } */
function run(args, probe) {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const p = spawn(process.execPath, ['--import', pathToFileURL(probe).href, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { if (out.length < 4096) out += d; });
    p.stderr.on('data', (d) => { err += d; if (err.length > 65536) err = err.slice(-4096); });
    p.on('error', reject);
    p.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
      const m = /NETCOST_BENCH_MAXRSS (\d+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`node ${args.join(' ')} exited with ${code}: ${err.replace(/NETCOST_BENCH_MAXRSS \d+/, '').trim().slice(0, 2000)}`));
      resolve({ wallMs, maxRssKB: Number(m[1]), stdout: out, code });
    });
  });
}

// ---- the models, written streaming

function varint(n) {
  const out = [];
  let v = n;
  while (v >= 128) { out.push((v % 128) | 0x80); v = Math.floor(v / 128); }
  out.push(v);
  return out;
}

/** A graph under construction: nodes (onnx-proto objects) and initializers (name, dims). */
class Net {
  constructor(name) { this.name = name; this.nodes = []; this.inits = []; this.n = 0; }
  init(name, dims) { this.inits.push({ name, dims }); return name; }
  node(opType, inputs, attrs = [], name = `${opType.toLowerCase()}_${this.n}`) {
    const out = `${name}_out`;
    this.nodes.push({ name, opType, input: inputs, output: [out], attribute: attrs });
    this.n++;
    return out;
  }
  conv(x, cin, cout, k, stride, pad, name, bias) {
    const w = this.init(`${name}.weight`, [cout, cin, k, k]);
    const inputs = bias ? [x, w, this.init(`${name}.bias`, [cout])] : [x, w];
    return this.node('Conv', inputs, [ints('kernel_shape', [k, k]), ints('strides', [stride, stride]), ints('pads', [pad, pad, pad, pad]), ints('dilations', [1, 1]), int('group', 1)], name);
  }
  bn(x, c, name) {
    return this.node('BatchNormalization', [x, ...['weight', 'bias', 'running_mean', 'running_var'].map((p) => this.init(`${name}.${p}`, [c]))], [float('epsilon', 1e-5), float('momentum', 0.9)], name);
  }
  gemm(x, i, j, name) {
    return this.node('Gemm', [x, this.init(`${name}.weight`, [j, i]), this.init(`${name}.bias`, [j])], [float('alpha', 1), float('beta', 1), int('transB', 1)], name);
  }
}
const ints = (name, v) => ({ name, type: 7, ints: v });
const int = (name, v) => ({ name, type: 2, i: v });
const float = (name, v) => ({ name, type: 1, f: v });

/** torchvision's resnet50 (v1.5: stride on the 3x3 conv): 25,557,032 params + 53,120 BN running stats */
export function resnet50() {
  const g = new Net('resnet50');
  let x = g.node('Relu', [g.bn(g.conv('input', 3, 64, 7, 2, 3, 'conv1', false), 64, 'bn1')], [], 'relu');
  x = g.node('MaxPool', [x], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])], 'maxpool');
  let cin = 64;
  [[3, 64, 1], [4, 128, 2], [6, 256, 2], [3, 512, 2]].forEach(([blocks, width, stride], s) => {
    for (let b = 0; b < blocks; b++) {
      const p = `layer${s + 1}.${b}`;
      const st = b === 0 ? stride : 1;
      let y = g.node('Relu', [g.bn(g.conv(x, cin, width, 1, 1, 0, `${p}.conv1`, false), width, `${p}.bn1`)], [], `${p}.relu1`);
      y = g.node('Relu', [g.bn(g.conv(y, width, width, 3, st, 1, `${p}.conv2`, false), width, `${p}.bn2`)], [], `${p}.relu2`);
      y = g.bn(g.conv(y, width, width * 4, 1, 1, 0, `${p}.conv3`, false), width * 4, `${p}.bn3`);
      const id = b === 0 ? g.bn(g.conv(x, cin, width * 4, 1, st, 0, `${p}.downsample.0`, false), width * 4, `${p}.downsample.1`) : x;
      x = g.node('Relu', [g.node('Add', [y, id], [], `${p}.add`)], [], `${p}.relu3`);
      cin = width * 4;
    }
  });
  x = g.node('Flatten', [g.node('GlobalAveragePool', [x], [], 'avgpool')], [int('axis', 1)], 'flatten');
  g.gemm(x, 2048, 1000, 'fc');
  return g;
}

/** torchvision's vgg16: 138,357,544 params */
export function vgg16() {
  const g = new Net('vgg16');
  let x = 'input';
  let cin = 3;
  let i = 0;
  for (const v of [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M']) {
    if (v === 'M') x = g.node('MaxPool', [x], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])], `features.${i++}`);
    else {
      x = g.node('Relu', [g.conv(x, cin, v, 3, 1, 1, `features.${i++}`, true)], [], `features.${i++}`);
      cin = v;
    }
  }
  x = g.node('Flatten', [g.node('AveragePool', [x], [ints('kernel_shape', [1, 1])], 'avgpool')], [int('axis', 1)], 'flatten');
  x = g.node('Relu', [g.gemm(x, 25088, 4096, 'classifier.0')], [], 'classifier.1');
  x = g.node('Relu', [g.gemm(x, 4096, 4096, 'classifier.3')], [], 'classifier.4');
  g.gemm(x, 4096, 1000, 'classifier.6');
  return g;
}

/** writes the model with its fp32 weights, streaming; returns { bytes, params, nodes } */
export function writeNet(g, file) {
  const { onnx } = require('onnx-proto');
  const last = g.nodes[g.nodes.length - 1].output[0];
  const graphHead = onnx.GraphProto.encode({
    name: g.name, node: g.nodes,
    input: [{ name: 'input', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 3 }, { dimValue: 224 }, { dimValue: 224 }] } } } }],
    output: [{ name: last, type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 1000 }] } } } }],
  }).finish();
  const inits = g.inits.map(({ name, dims }) => {
    const elements = dims.reduce((a, d) => a * d, 1);
    const raw = elements * 4;
    const t = onnx.TensorProto.encode({ name, dims, dataType: 1 }).finish();
    const rawHead = Uint8Array.from([0x4a, ...varint(raw)]); // raw_data, field 9
    const len = t.length + rawHead.length + raw;
    return { elements, raw, head: Uint8Array.from([0x2a, ...varint(len), ...t, ...rawHead]) }; // initializer, field 5
  });
  const graphLen = graphHead.length + inits.reduce((a, x) => a + x.head.length + x.raw, 0);
  const modelHead = onnx.ModelProto.encode({ irVersion: 8, producerName: 'netcost-bench', producerVersion: '1' }).finish();
  const opsets = onnx.ModelProto.encode({ opsetImport: [{ domain: '', version: 17 }] }).finish();
  // weights: small float32 values, not zeros, in a 1 MiB chunk written again and again
  const chunk = Buffer.alloc(MB);
  for (let k = 0; k < MB / 4; k++) chunk.writeFloatLE(((k * 7919) % 2001 - 1000) / 10000, k * 4);
  const fd = openSync(file, 'w');
  let bytes = 0;
  const put = (b) => { let o = 0; while (o < b.length) o += writeSync(fd, b, o, b.length - o); bytes += b.length; };
  try {
    put(modelHead);
    put(Uint8Array.from([0x3a, ...varint(graphLen)])); // graph, field 7
    put(graphHead);
    for (const x of inits) {
      put(x.head);
      for (let left = x.raw; left > 0; left -= chunk.length) put(left >= chunk.length ? chunk : chunk.subarray(0, left));
    }
    put(opsets); // after the graph, as exporters order the fields
  } finally { closeSync(fd); }
  const params = inits.reduce((a, x) => a + x.elements, 0);
  return { bytes, params, nodes: g.nodes.length };
}

/** reads the file once in 8 MiB chunks, so the timed runs find it in the page cache */
function warm(file) {
  const fd = openSync(file, 'r');
  const b = Buffer.allocUnsafe(8 * MB);
  try { let pos = 0; let n; while ((n = readSync(fd, b, 0, b.length, pos)) > 0) pos += n; } finally { closeSync(fd); }
}

// ---- the benchmark

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function timed(args, probe) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await run(args, probe));
  /** the operation's own time, when the child printed it (this script's children do; the CLI does not) */
  const inChild = runs.map((r) => { try { return JSON.parse(r.stdout.split('\n')[0]).ms; } catch { return undefined; } });
  return {
    wallMs: median(runs.map((r) => r.wallMs)), maxRssMB: Math.max(...runs.map((r) => r.maxRssKB)) / 1024,
    opMs: inChild.every((x) => typeof x === 'number') ? median(inChild) : null,
  };
}

/**
 * Runs the benchmark. Returns { skipped } (a reason) or { rows, checks, baseline, notes }: a row per
 * model and mode with the median wall time, the same minus the empty node process, the peak RSS and
 * its growth over the empty process; a check per model and target.
 */
export async function benchOnnx({ log = () => {} } = {}) {
  const tmp = os.tmpdir();
  let free = Infinity;
  try { const s = statfsSync(tmp); free = s.bavail * s.bsize; } catch { /* statfs unsupported: try anyway */ }
  if (free < MIN_FREE) return { skipped: `only ${(free / 1024 ** 3).toFixed(1)} GB free in ${tmp}; the ONNX benchmark needs 2 GB` };
  const dir = mkdtempSync(join(tmp, 'netcost-bench-onnx-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const onSignal = (sig) => { cleanup(); process.kill(process.pid, sig); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, PROBE);
    const readerBundle = join(dir, 'reader.mjs');
    const { build } = await import('esbuild');
    await build({ entryPoints: [join(root, 'server', 'src', 'onnx', 'reader.ts')], bundle: true, platform: 'node', target: 'node20', format: 'esm', outfile: readerBundle, logLevel: 'warning' });
    log('baseline: an empty node process ...');
    const base = await timed(['-e', ''], probe);
    const rows = [];
    const checks = [];
    const notes = [];
    for (const [label, make] of [['ResNet-50', resnet50], ['VGG-16', vgg16]]) {
      const file = join(dir, `${label.toLowerCase()}.onnx`);
      log(`generating ${label} ...`);
      const info = writeNet(make(), file);
      notes.push(`${label}: ${(info.bytes / MB).toFixed(1)} MiB, ${info.params.toLocaleString('en-US')} weight elements (fp32, in the file), ${info.nodes} nodes`);
      warm(file);
      const modes = [
        ['read the whole file (fs.readFileSync)', [self, '--child', 'read', file]],
        ['read + onnx.ModelProto.decode', [self, '--child', 'decode', file]],
        [ANALYSIS_LABEL, analyzeCommand(file)],
        [READER_LABEL, [self, '--child', 'analyze', file, readerBundle]],
      ];
      const got = [];
      for (const [mode, args] of modes) {
        log(`${label}: ${mode} ...`);
        const r = await timed(args, probe);
        const row = { model: label, mode, fileMB: info.bytes / MB, wallMs: r.wallMs, netMs: Math.max(0, r.wallMs - base.wallMs), opMs: r.opMs, maxRssMB: r.maxRssMB, growthMB: r.maxRssMB - base.maxRssMB };
        rows.push(row);
        got.push(row);
      }
      const [, decode, analysis] = got;
      const ratio = analysis.netMs / Math.max(decode.netMs, 1e-9);
      checks.push({ model: label, what: `analysis time / (read + decode) time < ${TARGET_RATIO}`, value: ratio.toFixed(3), met: ratio < TARGET_RATIO });
      checks.push({ model: label, what: `analysis peak memory growth < ${TARGET_GROWTH_MB} MB`, value: `${analysis.growthMB.toFixed(1)} MB`, met: analysis.growthMB < TARGET_GROWTH_MB });
      rmSync(file, { force: true });
    }
    return { rows, checks, notes, baseline: { wallMs: base.wallMs, maxRssMB: base.maxRssMB } };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
}

/** prints a benchOnnx() result */
export function printOnnx(res, print = console.log) {
  if (res.skipped) { print(`ONNX benchmark skipped: ${res.skipped}`); return; }
  print(`ONNX models with their weights in the file; each mode in its own fresh node process, median of ${RUNS} runs, page cache warm (each file read once before timing)`);
  for (const n of res.notes) print(`  ${n}`);
  print(`  baseline: an empty node process, ${res.baseline.wallMs.toFixed(1)} ms, peak RSS ${res.baseline.maxRssMB.toFixed(1)} MB ("net" and "growth" are over it)`);
  print('');
  print('  wall: spawn to exit; net: wall minus the empty process; in child: the operation alone, timed by the child (module loading included)');
  print(`${'model'.padEnd(10)} ${'mode'.padEnd(44)} ${'wall'.padStart(10)} ${'net'.padStart(10)} ${'in child'.padStart(10)} ${'peak RSS'.padStart(11)} ${'growth'.padStart(11)}`);
  for (const r of res.rows) {
    const op = r.opMs === null ? '-' : `${r.opMs.toFixed(1)} ms`;
    print(`${r.model.padEnd(10)} ${r.mode.padEnd(44)} ${`${r.wallMs.toFixed(1)} ms`.padStart(10)} ${`${r.netMs.toFixed(1)} ms`.padStart(10)} ${op.padStart(10)} ${`${r.maxRssMB.toFixed(1)} MB`.padStart(11)} ${`${r.growthMB.toFixed(1)} MB`.padStart(11)}`);
  }
  print('');
  for (const c of res.checks) print(`${c.model.padEnd(10)} ${c.what.padEnd(56)} ${String(c.value).padStart(10)}  ${c.met ? 'met' : 'MISSED'}`);
}

// ---- entry points

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  await child(argv[1], argv[2], argv[3]);
} else if (process.argv[1] && resolve(process.argv[1]) === self) {
  console.log(`node ${process.version}, ${os.platform()} ${os.arch()}, ${os.cpus()[0]?.model ?? 'unknown cpu'} x ${os.cpus().length}`);
  printOnnx(await benchOnnx({ log: (s) => process.stderr.write(`${s}\n`) }));
}
