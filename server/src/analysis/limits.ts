// The named limits against runaway and hostile inputs: one catalogue for the `.net` engine and for the
// ONNX reader and inference. Each limit has a default, the editor setting `netcost.limits.<name>` and
// the CLI flag `--limit <name>=N`; a hit gives one diagnostic (`limit` for a .net file, `onnx-limit`
// for a model) that names the limit, the figure found and how to raise it. Limits are inputs of the
// analysis (Settings.limits, OnnxSettings.limits), never constants of a file. Pure data.
import { grouped } from './values';

export interface Limits {
  // ---- .net files
  /** bytes of a .net file (UTF-8); above it the file is not analysed */
  fileSize: number;
  /** layers of the whole network, block and repeat expansions included */
  layers: number;
  /** the count of one `repeat` */
  repeat: number;
  /** repeat iterations in all (nested repeats that build nothing still cost time) */
  iterations: number;
  /** blocks and repeats nested in use (a block used inside a repeat inside a block ...) */
  depth: number;
  // ---- ONNX models
  /** bytes of an .onnx file (only its structure is read: weights are skipped by position) */
  onnxFileSize: number;
  /** nodes in all graphs together */
  nodes: number;
  /** initializers and tensor attributes in all graphs together */
  tensors: number;
  /** graph inputs, outputs and value_info entries in all graphs together */
  valueInfos: number;
  /** dims of one tensor or declared shape */
  rank: number;
  /** subgraph nesting (an If branch inside a Loop body ...): read and inferred to this depth */
  subgraphDepth: number;
  /** bytes of one string (a name, an op type, a string attribute) */
  stringBytes: number;
  /** elements of one list attribute, or of a node's inputs or outputs */
  listElements: number;
}

export type LimitName = keyof Limits;

/**
 * The defaults. `nodes`: the full analysis of a model (read, inference, costs, listing, layers) holds
 * about 4 KB per node and peaks at about 7 KB per node (measured on chains of Conv/Relu/Add: 100,000
 * nodes 0.8 GB peak RSS, 300,000 nodes 2.2 GB and 1.2 GB of retained heap, about 20 s), so 300,000
 * nodes stays inside node's default heap on a machine with 8 GB and above every real export we know
 * (ResNet-50 has about 120 nodes, a 70B-parameter LLM export a few ten thousand).
 */
export const LIMIT_DEFAULTS: Readonly<Limits> = Object.freeze({
  fileSize: 5_000_000, layers: 200_000, repeat: 10_000, iterations: 200_000, depth: 64,
  onnxFileSize: 4_000_000_000, nodes: 300_000, tensors: 2_000_000, valueInfos: 2_000_000, rank: 64,
  subgraphDepth: 32, stringBytes: 1 << 20, listElements: 1_000_000,
});

export const LIMIT_NAMES = Object.keys(LIMIT_DEFAULTS) as LimitName[];

/** What each limit bounds, in a few words (the CLI's usage error, docs/rules.md, the settings). */
export const LIMIT_WHAT: Record<LimitName, string> = {
  fileSize: 'bytes of a .net file', layers: 'layers of a .net network', repeat: 'the count of one repeat',
  iterations: 'repeat iterations in all', depth: 'blocks and repeats nested in use',
  onnxFileSize: 'bytes of an .onnx file', nodes: 'ONNX nodes in all graphs', tensors: 'ONNX initializers and tensor attributes',
  valueInfos: 'ONNX graph inputs, outputs and value_info entries', rank: 'dims of one ONNX tensor or shape',
  subgraphDepth: 'ONNX subgraphs nested', stringBytes: 'bytes of one ONNX string', listElements: 'elements of one ONNX list',
};

export const isLimitName = (s: string): s is LimitName => Object.prototype.hasOwnProperty.call(LIMIT_DEFAULTS, s);

/** A limit value: a positive whole number. */
export const validLimit = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;

/** The limits in force: the defaults with the valid values of `given` (invalid ones are ignored). */
export function resolveLimits(given?: Partial<Limits>): Limits {
  if (!given) return LIMIT_DEFAULTS;
  const out: Limits = { ...LIMIT_DEFAULTS };
  for (const name of LIMIT_NAMES) if (validLimit(given[name])) out[name] = given[name] as number;
  return out;
}

/** How to raise a limit, the end of every limit diagnostic. */
export const raiseHint = (name: LimitName): string => `raise it with the setting netcost.limits.${name} or --limit ${name}=N`;

/** The `.net` engine's message: `more than 200,000 layers (limit \`layers\`; raise it with ...)`. */
export const limitMessage = (found: string, name: LimitName): string => `${found} (limit \`${name}\`; ${raiseHint(name)})`;

/** `--limit NAME=N`: the pair, or an error message that lists the names. */
export function parseLimitFlag(s: string): [LimitName, number] | string {
  const m = /^([A-Za-z]+)=(\d+)$/.exec(s.trim());
  const names = LIMIT_NAMES.join(', ');
  if (!m) return `expected NAME=N with N a positive whole number, got '${s}' (names: ${names})`;
  if (!isLimitName(m[1])) return `unknown limit '${m[1]}' (names: ${names})`;
  const n = Number(m[2]);
  if (!validLimit(n)) return `${m[1]}: expected a positive whole number, got '${m[2]}' (names: ${names})`;
  return [m[1], n];
}

/** UTF-8 bytes of `text` when they pass `max`, else -1 (cheap when the length alone decides). */
export function bytesOver(text: string, max: number): number {
  if (text.length * 3 <= max) return -1;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { bytes += 4; i++; }
    else bytes += 3;
  }
  return bytes > max ? bytes : -1;
}

export { grouped };
