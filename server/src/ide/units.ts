// Human-readable figures: 924,844,032 -> "925M", 73,728 -> "73.7K". Decimal (SI) prefixes for counts
// and bytes alike (1 MB = 10^6 bytes); exact integers stay in JSON, rounding happens only here.

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
