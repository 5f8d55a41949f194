// The lazy ONNX reader: walks the protobuf wire format of an .onnx file (ModelProto) and builds the
// OnnxModel of model.ts without ever materializing weights. Initializers' dims, dtypes and names are
// read; their data (raw_data and the typed repeated fields) is skipped by position, except for small
// tensors (at most SMALL_TENSOR elements) whose values are decoded. Reads go through a ByteSource, a
// positioned reader over a 64 KiB window, so a 550 MB file costs about what its graph structure costs
// in time and a few hundred KiB in memory.
//
// Why a hand-written wire walker and not `onnx.ModelProto.decode` or protobufjs's `Reader`: decode
// materializes every bytes field (the weights), and `Reader` works on one in-memory buffer and throws
// on a length past its end, so it would need the whole file (or careful re-windowing at every message
// boundary). The wire format is small (varints, fixed32/64, length-delimited), and owning the walker
// gives exact byte offsets for diagnostics and a guarantee that no input throws or hangs: every loop
// advances by at least one byte, every length is checked against the enclosing message, recursion is
// bounded by the subgraph depth limit.
//
// Field numbers are those of onnx.proto (as in node_modules/onnx-proto/dist/onnx.js).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { grouped, LIMIT_DEFAULTS, raiseHint, type LimitName, type Limits } from '../analysis/limits';
import { DTYPES, SMALL_FLOAT_TENSOR, SMALL_TENSOR, type AttrValue, type Dim, type OnnxGraph, type OnnxModel, type OnnxNode, type ReaderDiagnostic, type TensorInfo, type ValueInfo } from './model';

/** Positioned reads of a file or buffer. `read` may return fewer bytes at the end; the returned bytes
 * may be a view of a reused buffer, valid until the next `read`. `read` may throw on an I/O error. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

/** Limits against hostile files; going past one gives an `onnx-limit` diagnostic naming it (by its name
 * in analysis/limits.ts: `depth` is `subgraphDepth`, `fileSize` is `onnxFileSize`) and how to raise it. */
export interface ReaderLimits {
  /** bytes of the file: above it, nothing is read */
  fileSize: number;
  /** subgraph nesting (an If branch inside a Loop body ...); the main graph is depth 0 */
  depth: number;
  /** nodes in all graphs together */
  nodes: number;
  /** initializers and tensor attributes in all graphs together */
  tensors: number;
  /** graph inputs, outputs and value_info entries in all graphs together */
  valueInfos: number;
  /** bytes of one string (a name, an op type, a string attribute) */
  stringBytes: number;
  /** dims of one tensor or shape */
  rank: number;
  /** elements of one list attribute (ints, floats, strings, tensors, graphs) or of a node's inputs / outputs */
  listElements: number;
  /** diagnostics reported; the rest are counted in one last diagnostic */
  diagnostics: number;
}

export const DEFAULT_LIMITS: ReaderLimits = readerLimits(LIMIT_DEFAULTS);

/** The reader's limits from the named ones (analysis/limits.ts). */
export function readerLimits(l: Readonly<Limits>): ReaderLimits {
  return {
    fileSize: l.onnxFileSize, depth: l.subgraphDepth, nodes: l.nodes, tensors: l.tensors, valueInfos: l.valueInfos,
    stringBytes: l.stringBytes, rank: l.rank, listElements: l.listElements, diagnostics: 100,
  };
}

/** the name a reader limit goes by in settings and flags */
const PUBLIC_NAME: Record<Exclude<keyof ReaderLimits, 'diagnostics'>, LimitName> = {
  fileSize: 'onnxFileSize', depth: 'subgraphDepth', nodes: 'nodes', tensors: 'tensors', valueInfos: 'valueInfos',
  stringBytes: 'stringBytes', rank: 'rank', listElements: 'listElements',
};

/** bytes of a file source's read window */
const WINDOW = 64 * 1024;
const EMPTY = new Uint8Array(0);

/** A ByteSource over bytes in memory (no copy). */
export function bytesSource(b: Uint8Array): ByteSource {
  return {
    size: b.length,
    read: (offset, length) => (offset >= b.length || length <= 0 || offset < 0 ? EMPTY : b.subarray(offset, Math.min(b.length, offset + length))),
  };
}

export type FileSource = ByteSource & {
  close(): void;
  /** bytes read from the file so far */
  readonly bytesRead: number;
  /** why the file could not be opened (then size is 0) */
  readonly error?: string;
};

/** A ByteSource over a file: positioned `readSync` into one reused 64 KiB window (a larger read
 * allocates a buffer of its size, once). Never throws on open: a failure sets `error`. */
export function fileSource(path: string): FileSource {
  let fd = -1;
  let size = 0;
  let error: string | undefined;
  try {
    fd = openSync(path, 'r');
    const st = fstatSync(fd);
    if (!st.isFile()) error = `${path} is not a file`;
    else size = st.size;
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  if (error !== undefined && fd >= 0) { try { closeSync(fd); } catch { /* already failed */ } fd = -1; }
  const window = Buffer.allocUnsafe(WINDOW);
  let bytesRead = 0;
  return {
    size,
    error,
    get bytesRead() { return bytesRead; },
    read(offset, length) {
      const want = Math.min(length, size - offset);
      if (fd < 0 || want <= 0 || offset < 0) return EMPTY;
      const buf = want <= WINDOW ? window : Buffer.allocUnsafe(want);
      let n = 0;
      while (n < want) {
        const r = readSync(fd, buf, n, want - n, offset + n);
        if (r <= 0) break;
        n += r;
      }
      bytesRead += n;
      return buf.subarray(0, n);
    },
    close() { if (fd >= 0) { try { closeSync(fd); } catch { /* nothing to do */ } fd = -1; } },
  };
}

// ---- the cursor: positioned byte access through a window of the source

/** A parse problem at a position: caught by the message walk that owns the position. */
class Stop {
  constructor(readonly code: 'onnx-truncated' | 'onnx-malformed', readonly message: string, readonly offset: number) {}
}
/** An I/O failure of the source: ends the read. */
class IoFailure {
  constructor(readonly message: string) {}
}

const TWO32 = 4294967296;

class Cursor {
  pos = 0;
  /** the last varint / fixed64 read, as two uint32 halves */
  lo = 0;
  hi = 0;
  private buf: Uint8Array = EMPTY;
  private bufStart = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));

  constructor(private readonly src: ByteSource) {}

  private readSrc(at: number, length: number): Uint8Array {
    try {
      return this.src.read(at, length);
    } catch (e) {
      throw new IoFailure(e instanceof Error ? e.message : String(e));
    }
  }

  private fill(at: number, length: number): void {
    this.buf = this.readSrc(at, Math.max(length, WINDOW));
    this.bufStart = at;
  }

  /** the byte at pos (pos < end), advancing */
  byte(end: number): number {
    const p = this.pos;
    if (p >= end) throw new Stop('onnx-truncated', 'a value runs past the end of its message', p);
    let i = p - this.bufStart;
    if (i < 0 || i >= this.buf.length) {
      this.fill(p, WINDOW);
      i = 0;
      if (this.buf.length === 0) throw new Stop('onnx-truncated', 'the file ends inside a value', p);
    }
    this.pos = p + 1;
    return this.buf[i];
  }

  /** `length` bytes at `at` (all inside the source), a view valid until the next read */
  bytes(at: number, length: number): Uint8Array {
    if (length === 0) return EMPTY;
    const i = at - this.bufStart;
    if (i >= 0 && i + length <= this.buf.length) return this.buf.subarray(i, i + length);
    this.fill(at, length);
    if (this.buf.length >= length) return this.buf.subarray(0, length);
    // a source that returned a short read before the end: assemble the value
    const out = new Uint8Array(length);
    let n = 0;
    while (n < length) {
      const got = n === 0 ? this.buf : this.readSrc(at + n, length - n);
      if (got.length === 0) throw new Stop('onnx-truncated', 'the file ends inside a value', at + n);
      out.set(got.subarray(0, length - n), n);
      n += Math.min(got.length, length - n);
    }
    this.buf = out;
    this.bufStart = at;
    return out;
  }

  /** reads a varint (at most 10 bytes) into lo / hi */
  varint(end: number): void {
    // fast path: one byte (tags, small lengths) inside the window and the message
    const i = this.pos - this.bufStart;
    if (i >= 0 && i < this.buf.length && this.pos < end && this.buf[i] < 0x80) {
      this.lo = this.buf[i];
      this.hi = 0;
      this.pos++;
      return;
    }
    const start = this.pos;
    let lo = 0;
    let hi = 0;
    for (let k = 0; ; k++) {
      if (k >= 10) throw new Stop('onnx-malformed', 'a varint longer than 10 bytes', start);
      const b = this.byte(end);
      const bits = b & 0x7f;
      if (k < 4) lo |= bits << (7 * k);
      else if (k === 4) { lo |= (bits & 0x0f) << 28; hi |= bits >>> 4; }
      else hi |= bits << (7 * k - 32);
      if (b < 0x80) break;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  fixed32(end: number): void {
    if (end - this.pos < 4) throw new Stop('onnx-truncated', 'a fixed32 runs past the end of its message', this.pos);
    const b = this.bytes(this.pos, 4);
    this.lo = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
    this.hi = 0;
    this.pos += 4;
  }

  fixed64(end: number): void {
    if (end - this.pos < 8) throw new Stop('onnx-truncated', 'a fixed64 runs past the end of its message', this.pos);
    const b = this.bytes(this.pos, 8);
    this.lo = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
    this.hi = (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0;
    this.pos += 8;
  }

  floatOf(lo: number): number { this.scratch.setUint32(0, lo, true); return this.scratch.getFloat32(0, true); }
  doubleOf(lo: number, hi: number): number { this.scratch.setUint32(0, lo, true); this.scratch.setUint32(4, hi, true); return this.scratch.getFloat64(0, true); }
}

/** an int64 from its two's complement halves, as a JS number (rounded beyond 2^53) */
const int64 = (lo: number, hi: number): number =>
  hi & 0x80000000 ? -((~hi >>> 0) * TWO32 + (~lo >>> 0) + 1) : hi * TWO32 + lo;
const uint64 = (lo: number, hi: number): number => hi * TWO32 + lo;
/** a non-negative int64 that a JS number holds exactly (< 2^53), else null */
const safeDim = (lo: number, hi: number): number | null => (hi < 0x200000 ? hi * TWO32 + lo : null);

// ---- the reading state and the generic message walk

/** One field of a message: its number, wire type, and value (varint / fixed in lo, hi; bytes at [start, end)). */
interface Field { num: number; wt: number; lo: number; hi: number; start: number; end: number; truncated: boolean }

const utf8 = new TextDecoder('utf-8');

class Reading {
  readonly diagnostics: ReaderDiagnostic[] = [];
  private omitted = 0;
  private readonly truncatedAt = new Set<number>();
  private readonly limitHit = new Set<string>();
  nodes = 0;
  tensors = 0;
  valueInfos = 0;

  constructor(readonly c: Cursor, readonly limits: ReaderLimits) {}

  diag(severity: ReaderDiagnostic['severity'], code: string, message: string, offset?: number): void {
    if (this.diagnostics.length >= this.limits.diagnostics) { this.omitted++; return; }
    this.diagnostics.push(offset === undefined ? { severity, code, message } : { severity, code, message, offset });
  }

  /** a mark of the diagnostics so far: `since(mark)` tells whether any came after */
  mark(): number { return this.diagnostics.length + this.omitted; }
  since(mark: number): boolean { return this.mark() > mark; }

  /** counted limits passed: the diagnostic (to complete with the count) and the elements found */
  private readonly passed = new Map<'nodes' | 'tensors' | 'valueInfos', { d?: ReaderDiagnostic; found: number }>();
  private static readonly WHAT = { nodes: 'nodes in all graphs', tensors: 'initializers and tensor attributes', valueInfos: 'graph inputs, outputs and value_info entries' };

  /** one more element than the counted limit `name` allows: one diagnostic, whose count finish() completes */
  over(name: 'nodes' | 'tensors' | 'valueInfos', offset: number): void {
    const p = this.passed.get(name);
    if (p) { p.found++; return; }
    const before = this.diagnostics.length;
    this.limit(name, `more than ${grouped(this.limits[name])} ${Reading.WHAT[name]}, the rest are not read`, offset);
    this.passed.set(name, { d: this.diagnostics.length > before ? this.diagnostics[before] : undefined, found: this.limits[name] + 1 });
  }

  /** the diagnostics, with the count of omitted ones */
  finish(): ReaderDiagnostic[] {
    for (const [name, p] of this.passed) {
      if (p.d) p.d.message = `limit '${PUBLIC_NAME[name]}' (${grouped(this.limits[name])}) exceeded: ${grouped(p.found)} ${Reading.WHAT[name]}, only the first ${grouped(this.limits[name])} are read; ${raiseHint(PUBLIC_NAME[name])}`;
    }
    if (this.omitted > 0) this.diagnostics.push({ severity: 'info', code: 'onnx-limit', message: `limit 'diagnostics' (${this.limits.diagnostics}) reached: ${this.omitted} more reader diagnostics omitted` });
    return this.diagnostics;
  }

  /** reports a limit once per limit and place (what) */
  limit(name: Exclude<keyof ReaderLimits, 'diagnostics'>, what: string, offset?: number): void {
    const key = `${name}:${what}`;
    if (this.limitHit.has(key)) return;
    this.limitHit.add(key);
    const pub = PUBLIC_NAME[name];
    this.diag('error', 'onnx-limit', `limit '${pub}' (${grouped(this.limits[name])}) exceeded: ${what}; ${raiseHint(pub)}`, offset);
  }

  truncated(message: string, offset: number, end: number): void {
    if (this.truncatedAt.has(end)) return; // an inner message cut by the same end
    this.truncatedAt.add(end);
    this.diag('error', 'onnx-truncated', `${message} (at byte ${offset})`, offset);
  }

  /**
   * Walks the fields of a message in [c.pos, end), calling `onField` for each. A length past `end`
   * reports `onnx-truncated` and stops; the cut field is dropped, except field `partial`, which is
   * passed to `onField` with `truncated` set and its end clamped to `end` (read as far as it goes).
   * Returns false when the message was incomplete or malformed (a diagnostic says why).
   */
  walk(end: number, onField: (f: Field) => void, partial = -1): boolean {
    const c = this.c;
    const f: Field = { num: 0, wt: 0, lo: 0, hi: 0, start: 0, end: 0, truncated: false };
    while (c.pos < end) {
      const tagAt = c.pos;
      try {
        c.varint(end);
        const tag = c.lo;
        if (c.hi !== 0 || tag >>> 3 === 0) throw new Stop('onnx-malformed', `invalid field tag ${uint64(c.lo, c.hi)}`, tagAt);
        f.num = tag >>> 3;
        f.wt = tag & 7;
        f.truncated = false;
        switch (f.wt) {
          case 0: c.varint(end); break;
          case 1: c.fixed64(end); break;
          case 5: c.fixed32(end); break;
          case 2: {
            c.varint(end);
            const len = uint64(c.lo, c.hi);
            f.start = c.pos;
            if (len > end - c.pos) { f.truncated = true; f.end = end; }
            else f.end = c.pos + len;
            break;
          }
          default: throw new Stop('onnx-malformed', `invalid wire type ${f.wt} for field ${f.num}`, tagAt);
        }
        f.lo = c.lo;
        f.hi = c.hi;
        if (f.truncated) {
          this.truncated(`field ${f.num} claims ${uint64(c.lo, c.hi)} bytes, more than the ${end - f.start} left in its message`, tagAt, end);
          if (f.num === partial) onField(f);
          c.pos = end;
          return false;
        }
        onField(f);
        if (f.wt === 2) c.pos = f.end;
      } catch (e) {
        if (!(e instanceof Stop)) throw e;
        if (e.code === 'onnx-truncated') this.truncated(e.message, e.offset, end);
        else this.diag('error', e.code, `${e.message} (at byte ${e.offset})`, e.offset);
        c.pos = end;
        return false;
      }
    }
    return true;
  }

  /** a string field, '' (with a diagnostic) past the string limit */
  string(f: Field): string {
    if (f.wt !== 2) { this.wrongType(f); return ''; }
    const len = f.end - f.start;
    if (len > this.limits.stringBytes) { this.limit('stringBytes', `a string of ${grouped(len)} bytes, more than ${grouped(this.limits.stringBytes)}; it is read as ''`, f.start); return ''; }
    return utf8.decode(this.c.bytes(f.start, len));
  }

  /** a varint field as a signed int64 number */
  int(f: Field): number {
    if (f.wt === 0 || f.wt === 1) return int64(f.lo, f.hi);
    if (f.wt === 5) return f.lo | 0;
    this.wrongType(f);
    return 0;
  }

  wrongType(f: Field): void {
    this.diag('warning', 'onnx-malformed', `field ${f.num} has wire type ${f.wt}, not the one onnx.proto declares; ignored`, f.start);
  }

  /**
   * Each element of a repeated scalar field, packed (wire type 2) or not: varints (kind 'v'),
   * fixed32 ('f32') or fixed64 ('f64'), as lo / hi. At most `max` elements are visited; returns
   * the count (past `max`: the count visited, max + 1).
   */
  scalars(f: Field, kind: 'v' | 'f32' | 'f64', max: number, each: (lo: number, hi: number) => void): number {
    const c = this.c;
    if (f.wt !== 2) {
      const expect = kind === 'v' ? 0 : kind === 'f32' ? 5 : 1;
      if (f.wt !== expect) { this.wrongType(f); return 0; }
      if (max >= 1) each(f.lo, f.hi);
      return 1;
    }
    const save = c.pos;
    c.pos = f.start;
    let n = 0;
    while (c.pos < f.end) {
      if (n >= max) { n++; break; }
      if (kind === 'v') c.varint(f.end);
      else if (kind === 'f32') c.fixed32(f.end);
      else c.fixed64(f.end);
      each(c.lo, c.hi);
      n++;
    }
    c.pos = save;
    return n;
  }
}

// ---- the messages

function emptyGraph(name = ''): OnnxGraph {
  return { name, nodes: [], initializers: new Map(), inputs: [], outputs: [], valueInfo: [] };
}

/** OperatorSetIdProto: domain 1, version 2 */
function readOpset(r: Reading, end: number): [string, number] | null {
  let domain = '';
  let version = 0;
  const ok = r.walk(end, (f) => {
    if (f.num === 1) domain = r.string(f);
    else if (f.num === 2) version = r.int(f);
  });
  if (!ok) return null;
  return [domain === 'ai.onnx' ? '' : domain, version];
}

/** TensorShapeProto.Dimension: dim_value 1, dim_param 2 */
function readDim(r: Reading, end: number): Dim | undefined {
  let dim: Dim = null;
  const ok = r.walk(end, (f) => {
    if (f.num === 1 && f.wt === 0) {
      const v = safeDim(f.lo, f.hi);
      if (v === null) r.diag('warning', 'onnx-bad-dim', `a declared dim of ${int64(f.lo, f.hi)} (negative or beyond 2^53) is taken as unknown`, f.start);
      dim = v;
    } else if (f.num === 2) {
      const s = r.string(f);
      dim = s === '' ? null : s;
    }
  });
  return ok ? dim : undefined;
}

/** TensorShapeProto: dim 1 (repeated). null when the shape is unusable. */
function readShape(r: Reading, end: number): Dim[] | null {
  const dims: Dim[] = [];
  let bad = false;
  const ok = r.walk(end, (f) => {
    if (f.num !== 1 || f.wt !== 2 || bad) return;
    if (dims.length >= r.limits.rank) { r.limit('rank', `a declared shape of more than ${r.limits.rank} dims; its shape is unknown`, f.start); bad = true; return; }
    r.c.pos = f.start;
    const d = readDim(r, f.end);
    if (d === undefined) bad = true;
    else dims.push(d);
  });
  return ok && !bad ? dims : null;
}

/** TypeProto.Tensor / SparseTensor: elem_type 1, shape 2 */
function readTensorType(r: Reading, end: number): { dtype: number; shape: Dim[] | null } {
  let dtype = 0;
  let shape: Dim[] | null = null;
  r.walk(end, (f) => {
    if (f.num === 1) dtype = r.int(f);
    else if (f.num === 2 && f.wt === 2) { r.c.pos = f.start; shape = readShape(r, f.end); }
  });
  return { dtype, shape };
}

/** ValueInfoProto: name 1, type 2 (TypeProto: tensor_type 1, sparse_tensor_type 8; sequences, maps and optionals give dtype 0, shape null) */
function readValueInfo(r: Reading, end: number): ValueInfo | null {
  let name = '';
  let dtype = 0;
  let shape: Dim[] | null = null;
  const ok = r.walk(end, (f) => {
    if (f.num === 1) name = r.string(f);
    else if (f.num === 2 && f.wt === 2) {
      r.c.pos = f.start;
      r.walk(f.end, (t) => {
        if ((t.num === 1 || t.num === 8) && t.wt === 2) {
          r.c.pos = t.start;
          ({ dtype, shape } = readTensorType(r, t.end));
        }
      });
    }
  });
  return ok ? { name, dtype, shape } : null;
}

/** the typed data fields of TensorProto: float_data 4, int32_data 5, int64_data 7, double_data 10, uint64_data 11 */
const TYPED: Record<number, 'v' | 'f32' | 'f64'> = { 4: 'f32', 5: 'v', 7: 'v', 10: 'f64', 11: 'v' };

/** where a tensor's data is, to decode it afterwards if the tensor is small */
interface DataSpans {
  /** the last raw_data field */
  raw: { start: number; end: number } | null;
  /** typed data fields, in file order, capped */
  typed: Field[];
  typedField: number;
  overflow: boolean;
}

/** TensorProto: dims 1, data_type 2, name 8, raw_data 9, external_data 13, data_location 14, typed data (TYPED). Data is skipped. */
function readTensor(r: Reading, end: number): TensorInfo | null {
  const dims: number[] = [];
  let dtype = 0;
  let name = '';
  let location = 0;
  let externalEntries = false;
  let bad = false;
  const spans: DataSpans = { raw: null, typed: [], typedField: 0, overflow: false };
  const start = r.c.pos;
  const ok = r.walk(end, (f) => {
    switch (f.num) {
      case 1:
        if (bad) return;
        r.scalars(f, 'v', r.limits.rank + 1, (lo, hi) => {
          if (bad) return;
          if (dims.length >= r.limits.rank) { r.limit('rank', `a tensor of more than ${r.limits.rank} dims; the tensor is dropped`, f.start); bad = true; return; }
          const d = safeDim(lo, hi);
          if (d === null) { r.diag('error', 'onnx-bad-dim', `a tensor dim of ${int64(lo, hi)} (negative or beyond 2^53); the tensor is ignored`, f.start); bad = true; return; }
          dims.push(d);
        });
        return;
      case 2: dtype = r.int(f); return;
      case 8: name = r.string(f); return;
      case 9: if (f.wt === 2) spans.raw = { start: f.start, end: f.end }; return;
      case 13: externalEntries = true; return;
      case 14: location = r.int(f); return;
      default:
        if (TYPED[f.num] !== undefined) {
          if (spans.typedField !== 0 && spans.typedField !== f.num) return; // data in two typed fields: the first one counts
          spans.typedField = f.num;
          if (spans.typed.length > SMALL_TENSOR) spans.overflow = true;
          else spans.typed.push({ ...f });
        }
    }
  });
  if (!ok || bad) return null;
  const external = location === 1 || (externalEntries && spans.raw === null && spans.typed.length === 0);
  const t: TensorInfo = { name, dtype, dims, values: null, external };
  if (!external) t.values = smallValues(r, t, spans, start);
  return t;
}

/** product of dims (1 for a scalar, 0 with a 0 dim, possibly Infinity) */
const elementCount = (dims: number[]): number => (dims.includes(0) ? 0 : dims.reduce((a, d) => a * d, 1));

/** bytes per element of the dtypes whose raw_data is decoded */
const RAW_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };
/** bits of the dtypes whose raw_data size can be checked (sub-byte types packed) */
const BITS: Record<number, number> = { ...Object.fromEntries(Object.entries(RAW_BYTES).map(([k, v]) => [k, v * 8])), 14: 64, 15: 128, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4, 24: 8, 25: 2, 26: 2 };

function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >>> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
function bfloat(bits: number, c: Cursor): number { return c.floatOf((bits & 0xffff) << 16 >>> 0); }

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** the n elements of raw data through a typed array view (on a little-endian host), by dtype */
function rawArray(b: ArrayBuffer, n: number, dtype: number, c: Cursor): number[] | null {
  switch (dtype) {
    case 1: return Array.from(new Float32Array(b, 0, n));
    case 2: return Array.from(new Uint8Array(b, 0, n));
    case 3: return Array.from(new Int8Array(b, 0, n));
    case 4: return Array.from(new Uint16Array(b, 0, n));
    case 5: return Array.from(new Int16Array(b, 0, n));
    case 6: return Array.from(new Int32Array(b, 0, n));
    case 9: return Array.from(new Uint8Array(b, 0, n), (x) => (x ? 1 : 0));
    case 10: return Array.from(new Uint16Array(b, 0, n), half);
    case 11: return Array.from(new Float64Array(b, 0, n));
    case 12: return Array.from(new Uint32Array(b, 0, n));
    case 16: return Array.from(new Uint16Array(b, 0, n), (x) => bfloat(x, c));
    default: return null; // int64 / uint64: element by element
  }
}

/** one element of raw little-endian data */
function rawElement(b: Uint8Array, i: number, dtype: number, dv: DataView, c: Cursor): number {
  switch (dtype) {
    case 1: return dv.getFloat32(i * 4, true);
    case 2: return b[i];
    case 3: return (b[i] << 24) >> 24;
    case 4: return dv.getUint16(i * 2, true);
    case 5: return dv.getInt16(i * 2, true);
    case 6: return dv.getInt32(i * 4, true);
    case 7: return int64(dv.getUint32(i * 8, true), dv.getUint32(i * 8 + 4, true));
    case 9: return b[i] ? 1 : 0;
    case 10: return half(dv.getUint16(i * 2, true));
    case 11: return dv.getFloat64(i * 8, true);
    case 12: return dv.getUint32(i * 4, true);
    case 13: return uint64(dv.getUint32(i * 8, true), dv.getUint32(i * 8 + 4, true));
    case 16: return bfloat(dv.getUint16(i * 2, true), c);
    default: return NaN;
  }
}

/** the dtypes each typed data field holds (float16 / bfloat16 as bit patterns in int32_data); complex ones are not decoded */
const TYPED_DTYPES: Record<number, number[]> = { 4: [1], 5: [2, 3, 4, 5, 6, 9, 10, 16], 7: [7], 10: [11], 11: [12, 13] };

/** one element of a typed data field, by the tensor's dtype (one TYPED_DTYPES allows) */
function typedElement(field: number, lo: number, hi: number, dtype: number, c: Cursor): number {
  switch (field) {
    case 4: return c.floatOf(lo);
    case 5: return dtype === 10 ? half(lo & 0xffff) : dtype === 16 ? bfloat(lo, c) : lo | 0;
    case 7: return int64(lo, hi);
    case 10: return c.doubleOf(lo, hi);
    default: return uint64(lo, hi);
  }
}

/**
 * The values of a small tensor (at most SMALL_TENSOR elements), from raw_data or a typed field;
 * null for a large tensor, a tensor without data, or a dtype not decoded (strings, complex, float8,
 * 4-bit). A data size that does not match the dims gives `onnx-data-size` (checked from the lengths
 * alone for raw data, so large tensors are checked too without being read).
 */
function smallValues(r: Reading, t: TensorInfo, s: DataSpans, at: number): number[] | null {
  const n = elementCount(t.dims);
  const c = r.c;
  // a bias or a norm's scale: weights, never read; and no narrow type decoded past SMALL_FLOAT_TENSOR, so
  // that decoded values never take much more memory than their bytes in the file (int32/int64 at most 2x)
  const type = DTYPES[t.dtype];
  if ((type?.float || (type?.bits ?? 0) < 32) && n > SMALL_FLOAT_TENSOR) return null;
  if (s.raw !== null) {
    const len = s.raw.end - s.raw.start;
    const bits = BITS[t.dtype];
    if (bits !== undefined && Number.isFinite(n) && Math.ceil((n * bits) / 8) !== len) {
      r.diag('warning', 'onnx-data-size', `tensor '${t.name}': ${len} bytes of raw data for ${n} elements of its dtype`, at);
      return null;
    }
    const size = RAW_BYTES[t.dtype];
    if (n > SMALL_TENSOR || size === undefined || len !== n * size) return null;
    const copy = new Uint8Array(Math.max(8, len));
    copy.set(c.bytes(s.raw.start, len));
    const fast = LITTLE_ENDIAN ? rawArray(copy.buffer, n, t.dtype, c) : null;
    if (fast !== null) return fast;
    const dv = new DataView(copy.buffer);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(rawElement(copy, i, t.dtype, dv, c));
    return out;
  }
  if (s.typed.length === 0 || n > SMALL_TENSOR || !TYPED_DTYPES[s.typedField].includes(t.dtype)) return null;
  const out: number[] = [];
  let count = s.overflow ? SMALL_TENSOR + 1 : 0;
  for (const f of s.typed) {
    if (count > SMALL_TENSOR) break;
    count += r.scalars(f, TYPED[f.num], SMALL_TENSOR + 1 - count, (lo, hi) => out.push(typedElement(f.num, lo, hi, t.dtype, c)));
  }
  if (count !== n) {
    r.diag('warning', 'onnx-data-size', `tensor '${t.name}': ${count > SMALL_TENSOR ? `more than ${SMALL_TENSOR}` : count} data elements for ${n} elements`, at);
    return null;
  }
  return out;
}

/** SparseTensorProto: values 1 (a TensorProto: its name and dtype), dims 3. Data never read. */
function readSparse(r: Reading, end: number): TensorInfo | null {
  const got: { values: TensorInfo | null } = { values: null };
  const dims: number[] = [];
  let bad = false;
  const ok = r.walk(end, (f) => {
    if (f.num === 1 && f.wt === 2) { r.c.pos = f.start; got.values = readTensor(r, f.end); if (got.values === null) bad = true; }
    else if (f.num === 3 && !bad) {
      r.scalars(f, 'v', r.limits.rank + 1, (lo, hi) => {
        if (bad) return;
        if (dims.length >= r.limits.rank) { r.limit('rank', `a sparse tensor of more than ${r.limits.rank} dims; the tensor is dropped`, f.start); bad = true; return; }
        const d = safeDim(lo, hi);
        if (d === null) { r.diag('error', 'onnx-bad-dim', `a sparse tensor dim of ${int64(lo, hi)}; the tensor is ignored`, f.start); bad = true; return; }
        dims.push(d);
      });
    }
  });
  const v = got.values;
  if (!ok || bad || v === null) return null;
  return { name: v.name, dtype: v.dtype, dims, values: null, external: v.external };
}

/** counts a tensor against the limit; false past it */
function countTensor(r: Reading, at: number): boolean {
  if (r.tensors >= r.limits.tensors) { r.over('tensors', at); return false; }
  r.tensors++;
  return true;
}

/** AttributeProto.AttributeType */
const A = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12 } as const;

/**
 * AttributeProto: name 1, f 2, i 3, s 4, t 5, g 6, floats 7, ints 8, strings 9, tensors 10, graphs 11,
 * type 20, sparse_tensor 22, sparse_tensors 23. The value is chosen by `type`, or (old exporters omit
 * it) by the field that is set. Returns null when the attribute is broken (its node is dropped),
 * 'skip' for one with no value NetCost represents (type protos, a subgraph past the depth limit).
 */
function readAttribute(r: Reading, end: number, depth: number): [string, AttrValue] | null | 'skip' {
  let name = '';
  let type = 0;
  let f: number | undefined;
  let i: number | undefined;
  let s: string | undefined;
  let t: TensorInfo | undefined;
  let g: OnnxGraph | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  const tensors: TensorInfo[] = [];
  const graphs: OnnxGraph[] = [];
  let broken = false;
  let tooDeep = false;
  const c = r.c;
  const list = (n: number, at: number): boolean => {
    if (n < r.limits.listElements) return true;
    r.limit('listElements', `attribute '${name}' has more than ${grouped(r.limits.listElements)} elements; its node is dropped`, at);
    broken = true;
    return false;
  };
  const subgraph = (fl: Field): OnnxGraph | undefined => {
    if (depth + 1 > r.limits.depth) { r.limit('depth', `subgraphs nested more than ${r.limits.depth} deep, the deeper ones are ignored`, fl.start); tooDeep = true; return undefined; }
    c.pos = fl.start;
    return readGraph(r, fl.end, depth + 1);
  };
  const tensorAt = (fl: Field, sparse: boolean): TensorInfo | undefined => {
    if (!countTensor(r, fl.start)) { broken = true; return undefined; }
    c.pos = fl.start;
    const v = sparse ? readSparse(r, fl.end) : readTensor(r, fl.end);
    if (v === null) { broken = true; return undefined; }
    return v;
  };
  const ok = r.walk(end, (fl) => {
    if (broken || tooDeep) return;
    switch (fl.num) {
      case 1: name = r.string(fl); return;
      case 20: type = r.int(fl); return;
      case 2: if (fl.wt === 5) f = c.floatOf(fl.lo); else r.wrongType(fl); return;
      case 3: i = r.int(fl); return;
      case 4: s = r.string(fl); return;
      case 5: if (fl.wt === 2) t = tensorAt(fl, false); return;
      case 22: if (fl.wt === 2) t = tensorAt(fl, true); return;
      case 6: if (fl.wt === 2) g = subgraph(fl); return;
      case 7: if (list(floats.length, fl.start)) list(floats.length + r.scalars(fl, 'f32', r.limits.listElements - floats.length, (lo) => floats.push(c.floatOf(lo))) - 1, fl.start); return;
      case 8: if (list(ints.length, fl.start)) list(ints.length + r.scalars(fl, 'v', r.limits.listElements - ints.length, (lo, hi) => ints.push(int64(lo, hi))) - 1, fl.start); return;
      case 9: if (list(strings.length, fl.start)) strings.push(r.string(fl)); return;
      case 10: case 23: if (fl.wt === 2 && list(tensors.length, fl.start)) { const v = tensorAt(fl, fl.num === 23); if (v) tensors.push(v); } return;
      case 11: if (fl.wt === 2 && list(graphs.length, fl.start)) { const v = subgraph(fl); if (v) graphs.push(v); } return;
    }
  });
  if (!ok || broken) return null;
  if (tooDeep) return 'skip';
  const byType = (): AttrValue | undefined => {
    switch (type) {
      case A.FLOAT: return f;
      case A.INT: return i;
      case A.STRING: return s;
      case A.TENSOR: case A.SPARSE_TENSOR: return t;
      case A.GRAPH: return g;
      case A.FLOATS: return floats;
      case A.INTS: return ints;
      case A.STRINGS: return strings;
      case A.TENSORS: case A.SPARSE_TENSORS: return tensors;
      case A.GRAPHS: return graphs;
      default: return undefined;
    }
  };
  const bySetField = (): AttrValue | undefined =>
    f ?? i ?? s ?? t ?? g ??
    (floats.length ? floats : ints.length ? ints : strings.length ? strings : tensors.length ? tensors : graphs.length ? graphs : undefined);
  if (type === 13 || type === 14) return 'skip'; // TYPE_PROTO(S): only in functions / training graphs
  const value = type !== 0 ? byType() : bySetField();
  if (value === undefined) {
    if (type === 0) return [name, []]; // nothing set, no type: an empty list
    r.diag('warning', 'onnx-malformed', `attribute '${name}' of type ${type} has no value; ignored`, end);
    return 'skip';
  }
  return [name, value];
}

/** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7 */
function readNode(r: Reading, end: number, depth: number): Omit<OnnxNode, 'index'> | null {
  const node: Omit<OnnxNode, 'index'> = { name: '', opType: '', domain: '', inputs: [], outputs: [], attrs: {} };
  let broken = false;
  const ok = r.walk(end, (f) => {
    if (broken) return;
    switch (f.num) {
      case 1: if (node.inputs.length >= r.limits.listElements) { r.limit('listElements', `a node with more than ${grouped(r.limits.listElements)} inputs; the node is dropped`, f.start); broken = true; } else node.inputs.push(r.string(f)); return;
      case 2: if (node.outputs.length >= r.limits.listElements) { r.limit('listElements', `a node with more than ${grouped(r.limits.listElements)} outputs; the node is dropped`, f.start); broken = true; } else node.outputs.push(r.string(f)); return;
      case 3: node.name = r.string(f); return;
      case 4: node.opType = r.string(f); return;
      case 7: { const d = r.string(f); node.domain = d === 'ai.onnx' ? '' : d; return; }
      case 5: {
        if (f.wt !== 2) { r.wrongType(f); return; }
        r.c.pos = f.start;
        const a = readAttribute(r, f.end, depth);
        if (a === null) broken = true;
        else if (a !== 'skip') node.attrs[a[0]] = a[1];
        return;
      }
    }
  });
  return ok && !broken ? node : null;
}

/**
 * GraphProto: node 1, name 2, initializer 5, doc 10, input 11, output 12, value_info 13,
 * sparse_initializer 15. A container: what was read is kept when it is cut or malformed; a broken
 * element (a node, a tensor, a value info) is dropped with a diagnostic.
 */
function readGraph(r: Reading, end: number, depth: number): OnnxGraph {
  const g = emptyGraph();
  const c = r.c;
  const element = (f: Field): boolean => {
    if (f.wt !== 2) { r.wrongType(f); return false; }
    c.pos = f.start;
    return true;
  };
  /** an element that could not be read is dropped; its own diagnostic says why (or this one) */
  const dropped = (what: string, at: number, mark: number): void => {
    if (!r.since(mark)) r.diag('error', 'onnx-malformed', `a ${what} that could not be read was dropped`, at);
  };
  const valueInfo = (f: Field, into: ValueInfo[], what: string): void => {
    if (!element(f)) return;
    if (r.valueInfos >= r.limits.valueInfos) { r.over('valueInfos', f.start); return; }
    r.valueInfos++;
    const mark = r.mark();
    const v = readValueInfo(r, f.end);
    if (v === null) dropped(what, f.start, mark);
    else into.push(v);
  };
  r.walk(end, (f) => {
    switch (f.num) {
      case 1: {
        if (!element(f)) return;
        if (r.nodes >= r.limits.nodes) { r.over('nodes', f.start); return; }
        r.nodes++;
        const mark = r.mark();
        const n = readNode(r, f.end, depth);
        if (n === null) dropped('node', f.start, mark);
        else g.nodes.push({ index: g.nodes.length, ...n });
        return;
      }
      case 2: g.name = r.string(f); return;
      case 5: case 15: {
        if (!element(f) || !countTensor(r, f.start)) return;
        const mark = r.mark();
        const t = f.num === 5 ? readTensor(r, f.end) : readSparse(r, f.end);
        if (t === null) dropped('initializer', f.start, mark);
        else g.initializers.set(t.name, t);
        return;
      }
      case 11: valueInfo(f, g.inputs, 'graph input'); return;
      case 12: valueInfo(f, g.outputs, 'graph output'); return;
      case 13: valueInfo(f, g.valueInfo, 'value_info entry'); return;
    }
  });
  return g;
}

/** ModelProto fields and their wire types: what the first field of a model can be */
const MODEL_FIELDS: Record<number, number> = { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2 };

/** true when the first bytes are a ModelProto field tag */
function looksLikeModel(c: Cursor, size: number): boolean {
  try {
    c.pos = 0;
    c.varint(Math.min(size, 10));
    const ok = c.hi === 0 && MODEL_FIELDS[c.lo >>> 3] === (c.lo & 7);
    c.pos = 0;
    return ok;
  } catch (e) {
    if (e instanceof Stop) return false;
    throw e;
  }
}

/** ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8 */
function readModelProto(r: Reading, m: OnnxModel, size: number): void {
  let graphFound = false;
  r.walk(size, (f) => {
    switch (f.num) {
      case 1: m.irVersion = r.int(f); return;
      case 2: m.producer = r.string(f); return;
      case 3: m.producerVersion = r.string(f); return;
      case 8: {
        if (f.wt !== 2) return;
        r.c.pos = f.start;
        const o = readOpset(r, f.end);
        if (o) m.opsets.set(o[0], o[1]);
        return;
      }
      case 7:
        if (f.wt !== 2) { r.wrongType(f); return; }
        r.c.pos = f.start; // a cut graph is read as far as it goes
        m.graph = readGraph(r, f.end, 0);
        graphFound = true;
        return;
    }
  }, 7);
  if (!graphFound) r.diag('error', 'onnx-not-a-model', 'no graph found: this is not an ONNX model (or it is cut before its graph)');
  else if (m.opsets.size === 0) r.diag('warning', 'onnx-no-opset', 'the model imports no opset (opset_import is missing): operator versions are unknown');
}

function emptyModel(fileBytes: number): OnnxModel {
  return { irVersion: 0, opsets: new Map(), producer: '', producerVersion: '', graph: emptyGraph(), diagnostics: [], fileBytes };
}

/** Reads an ONNX model from a byte source without materializing weights. Never throws. */
export function readModel(src: ByteSource, limits: Partial<ReaderLimits> = {}): OnnxModel {
  let size = 0;
  try { size = Math.max(0, Math.floor(Number(src.size)) || 0); } catch { size = 0; }
  const m = emptyModel(size);
  const r = new Reading(new Cursor(src), { ...DEFAULT_LIMITS, ...limits });
  try {
    if (size === 0) r.diag('error', 'onnx-not-a-model', 'the file is empty: not an ONNX model');
    else if (size > r.limits.fileSize) r.limit('fileSize', `the file has ${grouped(size)} bytes, more than ${grouped(r.limits.fileSize)}: it is not read`);
    else if (!looksLikeModel(r.c, size)) r.diag('error', 'onnx-not-a-model', 'the file does not start like an ONNX model (a protobuf ModelProto)', 0);
    else readModelProto(r, m, size);
  } catch (e) {
    if (e instanceof IoFailure) r.diag('error', 'onnx-io', `reading failed: ${e.message}`);
    else r.diag('error', 'onnx-malformed', `the reader stopped: ${e instanceof Error ? e.message : String(e)}`);
  }
  m.diagnostics = r.finish();
  return m;
}

/** Reads an ONNX model from a file, by positioned reads. Never throws: an I/O error is an `onnx-io` diagnostic. */
export function readModelFile(path: string, limits: Partial<ReaderLimits> = {}): OnnxModel {
  const src = fileSource(path);
  try {
    if (src.error !== undefined) {
      const m = emptyModel(0);
      m.diagnostics.push({ severity: 'error', code: 'onnx-io', message: `cannot read ${path}: ${src.error}` });
      return m;
    }
    return readModel(src, limits);
  } finally {
    src.close();
  }
}
