// Exact integer arithmetic for costs: every product and sum is checked against 2^53, so a figure is
// either exact or an error (`too-large`), never a silently rounded float.
import { AnalysisError, grouped } from './values';

function check(v: number, what: string): number {
  if (!Number.isSafeInteger(v)) {
    throw new AnalysisError('too-large', `${what} exceeds 2^53 (${grouped(Number.MAX_SAFE_INTEGER)}), beyond exact integer range; lower the batch size or the dimensions`);
  }
  return v;
}

/** Checked product of non-negative integers. */
export function mul(...xs: number[]): number {
  let p = 1;
  for (const x of xs) p = check(p * x, 'a product');
  return p;
}

/** Checked sum of integers. */
export function add(...xs: number[]): number {
  let s = 0;
  for (const x of xs) s = check(s + x, 'a sum');
  return s;
}

/** Checked product of two non-negative integers, without a rest-array (hot paths). */
export function mul2(a: number, b: number): number {
  const p = a * b;
  return Number.isSafeInteger(p) ? p : check(p, 'a product');
}

/** Checked sum of two integers, without the rest-array of `add` (it runs per layer on every edit). */
export function add2(a: number, b: number): number {
  const s = a + b;
  return Number.isSafeInteger(s) ? s : check(s, 'a sum');
}

export function elems(shape: number[]): number {
  let p = 1;
  for (let i = 0; i < shape.length; i++) p = mul2(p, shape[i]);
  return p;
}
