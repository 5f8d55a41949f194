// The fuzzers' seeded generator: mulberry32, so a case is a pure function of (seed, target, index) and a
// failure is replayed from the three numbers the run prints.

export interface Rng {
  /** a float in [0, 1) */
  (): number;
  /** an integer in [lo, hi] */
  int(lo: number, hi: number): number;
  /** true with probability p */
  chance(p: number): boolean;
  pick<T>(xs: readonly T[]): T;
  /** an index by weights */
  weighted(weights: readonly number[]): number;
}

export function rng(seed: number): Rng {
  let s = seed | 0;
  const next = (() => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Rng;
  next.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  next.chance = (p) => next() < p;
  next.pick = (xs) => xs[Math.floor(next() * xs.length)];
  next.weighted = (w) => {
    let x = next() * w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < w.length; i++) if ((x -= w[i]) < 0) return i;
    return w.length - 1;
  };
  return next;
}

/** The seed of one case: a hash of the run's seed, the target's name and the case index. */
export function caseSeed(seed: number, target: string, index: number): number {
  let h = 2166136261 ^ seed;
  for (const c of `${target}:${index}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) | 0;
}
