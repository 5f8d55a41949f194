// Cases by number: the input of case `index` of target `target` under run seed `seed` is a pure function
// of the three, so a failure printed as `net seed=7 index=123` is replayed by generating it again. A
// failure found once is kept as a fixture file (test/fuzz/fixtures/): the input itself, so it stays
// reproducible when the generators change.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { NetCaseInput, OnnxRunInput } from './check';
import { netCase } from './net-gen';
import { onnxCase } from './onnx-gen';
import { caseSeed, rng } from './prng';

export type Target = 'net' | 'onnx';
export const TARGETS: Target[] = ['net', 'onnx'];
export const FIXTURES = join(__dirname, 'fixtures');

export type CaseInput = { target: 'net'; input: NetCaseInput } | { target: 'onnx'; input: OnnxRunInput };

/** `heavy`: also inputs at the engine's limits, about a second per analysis (the long run); the suite runs without */
export function generate(target: Target, seed: number, index: number, heavy = true): CaseInput {
  const r = rng(caseSeed(seed, target, index));
  if (target === 'net') {
    const texts = netCase(r, heavy);
    return { target, input: { texts, probe: r.int(0, 2 ** 31 - 1) } };
  }
  const c = onnxCase(r);
  return { target, input: { ...c, probe: r.int(0, 2 ** 31 - 1) } };
}

/** A fixture file: the input and where it came from. */
export interface Fixture {
  target: Target;
  seed: number;
  index: number;
  /** what failed when it was found */
  found: string;
  /** `.net`: the versions of the document */
  texts?: string[];
  /** ... or, for large repetitive ones, JSON of them gzipped, base64 */
  textsGz?: string;
  /** `.onnx`: the file, base64 */
  bytes?: string;
  batch?: number;
  dims?: Record<string, number>;
  dtype?: 'fp16' | 'int8';
  probe: number;
}

export function fixtureInput(f: Fixture): CaseInput {
  if (f.target === 'net') {
    const texts = f.textsGz ? (JSON.parse(gunzipSync(Buffer.from(f.textsGz, 'base64')).toString('utf8')) as string[]) : f.texts ?? [];
    return { target: 'net', input: { texts, probe: f.probe } };
  }
  return { target: 'onnx', input: { bytes: new Uint8Array(Buffer.from(f.bytes ?? '', 'base64')), batch: f.batch, dims: f.dims, dtype: f.dtype, probe: f.probe } };
}

export function saveFixture(target: Target, seed: number, index: number, found: string, heavy = true, dir = FIXTURES): string {
  const c = generate(target, seed, index, heavy);
  const f: Fixture = c.target === 'net'
    ? { target, seed, index, found, texts: c.input.texts, probe: c.input.probe }
    : { target, seed, index, found, bytes: Buffer.from(c.input.bytes).toString('base64'), batch: c.input.batch, dims: c.input.dims, dtype: c.input.dtype, probe: c.input.probe };
  const path = join(dir, `${target}-${seed}-${index}.json`);
  writeFileSync(path, JSON.stringify(f, null, 1) + '\n');
  return path;
}

export const fixtureFiles = (dir = FIXTURES): string[] => readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));
export const readFixture = (path: string): Fixture => JSON.parse(readFileSync(path, 'utf8')) as Fixture;
