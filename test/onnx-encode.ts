// The fixture builder of the ONNX tests: the encoder itself lives in server/src/onnx/write.ts (what `netcost export`
// writes with) and is re-exported here, with test-only helpers: writeModel, and hand-built protobuf bytes
// (varint, ld, str) for malformed files the encoder cannot make.
import { writeFileSync } from 'node:fs';
import type { OnnxModel } from '../server/src/onnx/model';
import { encodeModel, type EncodeOptions } from '../server/src/onnx/write';

export { encodeModel, encodeGraph, modelProto, rawBytes, randomBytes, toHalf, toBfloat, FLOAT_ATTRS, type EncodeOptions } from '../server/src/onnx/write';

export function writeModel(path: string, m: OnnxModel, opts: EncodeOptions = {}): Uint8Array {
  const bytes = encodeModel(m, opts);
  writeFileSync(path, bytes);
  return bytes;
}

// ---- hand-built protobuf bytes, for malformed files the encoder cannot make

/** a protobuf varint */
export function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
/** a length-delimited field */
export const ld = (num: number, payload: number[] | Uint8Array): number[] => [...varint((num << 3) | 2), ...varint(payload.length), ...payload];
export const str = (s: string): number[] => [...new TextEncoder().encode(s)];
