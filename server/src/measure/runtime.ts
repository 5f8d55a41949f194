// onnxruntime-node, loaded on demand: it is an optional peer dependency (a native package of tens of MB
// that most users of the analysis never need), so nothing imports it at module load and the bundles do
// not contain it. `createRequire` with a module name held in a variable keeps esbuild from following it.
//
// Where it is looked for, in order:
//   1. NETCOST_ONNXRUNTIME: directories of onnxruntime-node packages, separated by the path delimiter
//      (`:`; `;` on Windows); the entry `none` ends the search there (NETCOST_ONNXRUNTIME=none: never
//      found, which is how the tests see the absent case);
//   2. normal module resolution from the directory of this code (dist/ of an installed netcost, or the
//      source tree), then from the current directory.
import { createRequire } from 'node:module';
import { delimiter, join, resolve } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { devDependencies } from '../../../package.json';

export type OrtModule = typeof Ort;

export const ORT_PACKAGE = 'onnxruntime-node';
/** the version netcost is tested with: package.json's devDependency, the one pin */
export const ORT_VERSION: string = devDependencies[ORT_PACKAGE];

/** How to get it, for the message of a missing runtime. */
export const INSTALL_HINT = [
  `ONNX Runtime is not installed. netcost measure runs models with the npm package ${ORT_PACKAGE} (its CPU build ships inside the package):`,
  `  npm install ${ORT_PACKAGE}@${ORT_VERSION} --onnxruntime-node-install=skip`,
  'next to netcost (the flag skips the optional CUDA download), or point NETCOST_ONNXRUNTIME at an installed',
  `${ORT_PACKAGE} package directory. In VS Code: the command "NetCost: Install ONNX Runtime".`,
].join('\n');

/** onnxruntime-node was not found (exit code 3). */
export class RuntimeMissing extends Error {
  constructor(readonly tried: string[]) {
    super(`${INSTALL_HINT}\n(looked in: ${tried.join(', ') || 'nowhere: NETCOST_ONNXRUNTIME=none'})`);
  }
}

/** onnxruntime-node was found but does not load (a broken install, a binary for another platform): exit code 3. */
export class RuntimeBroken extends Error {}

export interface Runtime {
  ort: OrtModule;
  version: string;
  /** the package's directory (or the resolved entry file) */
  from: string;
}

let cached: { key: string; runtime: Runtime } | undefined;

/** The directory this code runs from: dist/ once bundled (CommonJS), the source file's under tsx. */
function here(): string {
  return typeof __filename === 'string' ? __filename : join(process.cwd(), 'netcost.js');
}

/**
 * onnxruntime-node, loaded once per process (per NETCOST_ONNXRUNTIME value). Throws RuntimeMissing when
 * no candidate resolves, RuntimeBroken when one resolves but fails to load.
 */
export function loadRuntime(env: Record<string, string | undefined> = process.env): Runtime {
  const setting = env.NETCOST_ONNXRUNTIME ?? '';
  if (cached?.key === setting) return cached.runtime;
  // candidates: [a require function, the request, what to print]
  const candidates: [NodeJS.Require, string, string][] = [];
  let stop = false;
  for (const entry of setting.split(delimiter).map((s) => s.trim()).filter(Boolean)) {
    if (entry === 'none') { stop = true; break; }
    const dir = resolve(entry);
    candidates.push([createRequire(join(dir, 'noop.js')), dir, dir]);
  }
  if (!stop) {
    const name = ORT_PACKAGE; // a variable: bundlers leave the request alone
    candidates.push([createRequire(here()), name, `${name} from ${here()}`]);
    candidates.push([createRequire(join(process.cwd(), 'noop.js')), name, `${name} from ${process.cwd()}`]);
  }
  const tried: string[] = [];
  for (const [req, request, label] of candidates) {
    let entry: string;
    try {
      entry = req.resolve(request);
    } catch {
      tried.push(label);
      continue;
    }
    let ort: OrtModule;
    try {
      ort = req(entry) as OrtModule;
    } catch (e) {
      throw new RuntimeBroken(`${ORT_PACKAGE} at ${entry} failed to load: ${(e as Error).message.split('\n')[0]}\n${INSTALL_HINT.split('\n').slice(1).join('\n')}`);
    }
    if (typeof ort?.InferenceSession?.create !== 'function') throw new RuntimeBroken(`${entry} is not ${ORT_PACKAGE} (no InferenceSession.create)`);
    const version = ort.env?.versions?.node ?? ort.env?.versions?.common ?? 'unknown';
    const runtime = { ort, version, from: entry };
    cached = { key: setting, runtime };
    return runtime;
  }
  throw new RuntimeMissing(tried);
}
