// Times, rates and target names as the editor prints them (`12.3 us`, `8.14 TFLOP/s`, `T4`): no
// hardware code, so the VS Code client can import it through summary.ts.
import { human } from './units';

/** Three significant digits, as human() does: 12.34 -> "12.3", 1.2 -> "1.20", 123.4 -> "123". */
const sig3 = (v: number) => v.toFixed(v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2);

const TIME_UNITS: [string, number][] = [['ns', 1e-9], ['us', 1e-6], ['ms', 1e-3], ['s', 1]];

/** A duration: `850 ns`, `12.3 us`, `1.20 ms`, `2.50 s`; `0 us` for nothing. */
export function timeText(seconds: number): string {
  if (!(seconds > 0)) return '0 us';
  if (!Number.isFinite(seconds)) return '∞';
  let i = 0;
  while (i < TIME_UNITS.length - 1 && seconds / TIME_UNITS[i][1] >= 999.5) i++;
  return `${sig3(seconds / TIME_UNITS[i][1])} ${TIME_UNITS[i][0]}`;
}

/** A throughput: `8.14 TFLOP/s` (decimal prefixes). */
export const rateText = (perSecond: number): string => {
  const h = human(Math.round(perSecond));
  return /[A-Z]$/.test(h) ? `${h.slice(0, -1)} ${h.slice(-1)}FLOP/s` : `${h} FLOP/s`;
};

/** Samples per second: `812`, `8.12K`, `0.50`. */
export const qpsText = (qps: number): string => (!Number.isFinite(qps) ? '∞' : qps >= 999.5 ? human(Math.round(qps)) : sig3(qps));

/** A FLOP/byte figure: two decimals. */
export const intensityText = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '∞');

/** The label of a target in the status bar: its name without a leading all-capitals vendor word (`NVIDIA T4` -> `T4`). */
export const shortName = (t: { name: string }): string => t.name.replace(/^[A-Z][A-Z]+\s+(?=\S)/, '');
