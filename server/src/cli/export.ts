// `netcost export FILE.net -o OUT.onnx`: the network as an ONNX model (export/export.ts) with deterministic
// pseudo-random weights, so a hand-written design can be run (netcost measure) or opened in any ONNX tool.
// Exit codes: 0 written; 1 the file has errors or a layer cannot be exported (nothing written); 2 usage or I/O error.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { analyze } from '../analysis/analyze';
import { grouped } from '../analysis/values';
import { diagnosticLines } from './report';
import type { Io } from './main';
import { commonOptions, parseFlags, UsageError, wholeFlag } from './flags';

export const EXPORT_USAGE = `usage: netcost export FILE.net -o OUT.onnx [options]

Writes the network as an ONNX model (opset 17, fp32, NCHW, the batch as a fixed leading dim) with
deterministic pseudo-random weights. Read back with \`netcost OUT.onnx\`, it gives the same per-layer
params, MACs and FLOPs (docs/measure.md, "Export").

options:
  -o, --output OUT.onnx  the model to write (required; never the input file)
  --seed N               seed of the weights (default 0): the same seed writes the same bytes
  --batch N              the model's batch size (default 1)
  --set NAME=VALUE       override a top-level variable (repeatable)
  --limit NAME=N         as for netcost FILE (repeatable)
  -h, --help             this help

exit codes: 0 written, 1 the file has errors or a layer cannot be exported (nothing written),
2 usage or I/O error`;

function options(argv: string[]) {
  const parsed = parseFlags(argv, {
      output: { type: 'string', short: 'o' }, seed: { type: 'string' }, batch: { type: 'string' },
      set: { type: 'string', multiple: true }, limit: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' },
  });
  const v = parsed.values;
  const seed = wholeFlag('seed', v.seed, 0, 0);
  return { help: v.help === true, output: v.output, seed, ...commonOptions(v), files: parsed.positionals };
}

/** `argv` without the leading `export`. */
export async function exportMain(argv: string[], io: Io): Promise<number> {
  try {
    const o = options(argv);
    if (o.help) { io.out(EXPORT_USAGE + '\n'); return 0; }
    if (o.files.length !== 1) throw new UsageError(`export: expected one FILE.net, got ${o.files.length} file(s)`);
    const file = o.files[0];
    if (!o.output) throw new UsageError('export: -o OUT.onnx is required');
    if (file.toLowerCase().endsWith('.onnx')) throw new UsageError(`export: ${file} is already an ONNX model; export reads a .net file`);
    if (resolve(o.output) === resolve(file)) throw new UsageError(`export: -o ${o.output} is the input file; refusing to overwrite it`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      io.err(`netcost: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 2;
    }
    const a = analyze(text, { batch: o.batch, dtype: 'fp32', overrides: o.overrides, limits: o.limits });
    const errors = diagnosticLines({ ...a, diagnostics: a.diagnostics.filter((d) => d.severity === 'error') }, file);
    if (errors.length) {
      io.err(errors.join('\n') + `\nnetcost: ${file} has errors; nothing written\n`);
      return 1;
    }
    // the encoder (onnx-proto) loads only here: `netcost FILE` starts without it
    const { exportAnalysis } = await import('../export/export');
    const x = exportAnalysis(a, { seed: o.seed });
    if (x.errors.length) {
      io.err(x.errors.map((e) => `${file}:${e.line}: error [export] ${e.layer}: ${e.message}`).join('\n') + `\nnetcost: ${x.errors.length} layer(s) cannot be exported; nothing written\n`);
      return 1;
    }
    const bytes = x.bytes();
    try {
      writeFileSync(o.output, bytes);
    } catch (e) {
      io.err(`netcost: cannot write ${o.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 2;
    }
    io.out(`wrote ${o.output}: ${grouped(x.model.graph.nodes.length)} nodes, ${grouped(a.totals.params)} params, ${grouped(bytes.length)} bytes\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) { io.err(`netcost: ${e.message}\n${EXPORT_USAGE.split('\n')[0]}\n`); return 2; }
    throw e;
  }
}
