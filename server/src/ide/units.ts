// Human-readable figures: 924,844,032 -> "925M", 73,728 -> "73.7K". Decimal (SI) prefixes for counts
// and bytes alike (1 MB = 10^6 bytes); exact integers stay in JSON, rounding happens only here.
import type { Analysis } from '../analysis/analyze';

const PREFIXES = ['', 'K', 'M', 'G', 'T', 'P', 'E'];

/** Three significant digits with a K/M/G/T suffix: 924844032 -> "925M", 999 -> "999". */
export function human(n: number): string {
  if (Math.abs(n) < 1000) return String(n);
  let i = 0;
  let v = Math.abs(n);
  while (v >= 999.5 && i < PREFIXES.length - 1) { v /= 1000; i++; }
  const digits = v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2;
  return `${n < 0 ? '-' : ''}${v.toFixed(digits)}${PREFIXES[i]}`;
}

/** Bytes with a unit: 9928704 -> "9.93 MB". */
export function humanBytes(n: number): string {
  const h = human(n);
  return /[A-Z]$/.test(h) ? `${h.slice(0, -1)} ${h.slice(-1)}B` : `${h} B`;
}

export { grouped } from '../analysis/values';

/** A share as a percentage with one decimal: 1, 4 -> "25.0%"; "-" when the whole is 0. */
export const percentOf = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-');

/** A per-sample shape with the batch in front: [128, 56, 56], 1 -> "1x128x56x56". */
export const shapeWithBatch = (shape: number[], batch: number): string => [batch, ...shape].join('x');

/** A layer's output shape as shown: `.net` shapes are per sample (the batch goes in front), ONNX shapes
 *  already hold it (an unknown dim shows as `?`). */
export const displayShape = (a: Pick<Analysis, 'settings' | 'onnx'>, shape: number[]): string =>
  a.onnx === undefined ? shapeWithBatch(shape, a.settings.batch) : onnxShape(shape);
/** An ONNX shape: `1x64x56x56`, `?` for an unknown dim. */
export const onnxShape = (shape: number[]): string => (shape.length ? shape.map((d) => (d < 0 ? '?' : String(d))).join('x') : 'scalar');

/** The bytes per element behind the memory figures: `fp16`, or for a model `each tensor at its own dtype`. */
export const dtypeText = (a: Pick<Analysis, 'settings' | 'onnx'>): string =>
  a.onnx ? (a.onnx.dtypeOverride ? `float tensors as ${a.onnx.dtypeOverride}` : 'each tensor at its own dtype') : a.settings.dtype;
