/**
 * The .caffemodel reader: one walk over Caffe's binary NetParameter that finds every blob's data and
 * reads it straight into a Float32Array, never through arrays of JS numbers, never holding the file twice.
 *
 * The message structure (tags, lengths, small fields) is read through a 64 KB window of positional
 * reads on a file descriptor; a blob's packed `data` is read directly into the buffer of its
 * Float32Array (by the async reader after the walk, several reads at once; see FileSource.flush), so
 * peak memory is about the size of the weights. Everything that is not a blob
 * (the layer's name, type, parameters, and the net's own fields) is validated in place, copied out as
 * raw bytes and decoded by protobufjs into our plain `Message` form.
 *
 * Strictness. Every length is checked against the end of its enclosing message before anything is
 * allocated, so a damaged file gives a `CaffeModelError` naming the file, the byte offset and the place
 * in the structure, never a RangeError or a huge allocation. We are stricter than protobufjs, on purpose:
 *   - a known field with the wrong wire type is an error (protobufjs ignores the wire type of known
 *     fields and reads garbage; C++ protobuf would skip the field as unknown: in a caffemodel both mean
 *     a damaged file);
 *   - field number 0 is an error (as in C++ protobuf; protobufjs skips it): zero bytes where a tag
 *     is expected are the usual sign of a zero-filled, interrupted download;
 *   - a tag or a length whose varint does not fit in 32 bits, or any varint longer than 10 bytes, is an
 *     error (protobufjs reads 5 bytes and skips 5 more unseen);
 *   - an unknown group must end with its own end-group tag (as C++ checks; protobufjs does not);
 *   - an empty file, a file that looks like text, and a net with no layers are errors (protobufjs decodes
 *     them as an empty NetParameter);
 *   - a blob must be loadable by Caffe's `Blob::FromProto`: at most 32 axes, no negative dimension or
 *     one above INT_MAX, and as many values as its shape holds (Caffe CHECK-fails otherwise).
 * Unknown fields are skipped per wire type, as protobuf does.
 *
 * Blob rules follow Caffe's `Blob<Dtype>::FromProto`: the legacy num/channels/height/width win when any
 * of them is present (unset ones are 0), else `shape.dim`; `double_data` wins over `data` when it is not
 * empty. A repeated `shape` sub-message is merged (its dims appended), as C++ protobuf does.
 * Layer and net parameters keep protobufjs' semantics (a repeated singular sub-message replaces the
 * earlier one; unknown fields are dropped, here before decoding).
 *
 * test/unit/caffemodel-fuzz.test.ts checks all of this against protobufjs on mutated real files.
 */
import { closeSync, read, readSync } from 'node:fs';
import protobuf from 'protobufjs';
import { CaffeModelError, PortafilterError } from '../../shared/errors.js';
import type { Message } from './message.js';
import { openInputFile } from './input-file.js';
import { decodeMessage, messageType } from './schema.js';

export interface WeightBlob {
  shape: number[];
  /** the blob used legacy num/channels/height/width dims; shape is then [num, channels, height, width] */
  legacy: boolean;
  data: Float32Array;
}

export interface CaffeModelLayer {
  name: string;
  /** V2 type string; for V1/V0 layers the V1 enum name (e.g. 'CONVOLUTION') or V0 type string, untouched */
  type: string;
  format: 'V2' | 'V1' | 'V0';
  /** the layer message without its blobs: LayerParameter (V2) or V1LayerParameter (V1, V0 with its `layer` sub-message minus blobs) */
  param: Message;
  blobs: WeightBlob[];
  /** byte offset of the layer message (its first byte after the tag and length) in the file */
  offset: number;
}

export interface CaffeModelFile {
  file: string;
  bytes: number;
  /** NetParameter fields other than layer/layers (name, input, input_dim, ...) */
  net: Message;
  layers: CaffeModelLayer[];
}

export interface ReadOptions {
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  signal?: AbortSignal;
}

/** What went wrong, machine-readable, in `CaffeModelError.details.kind`. */
export type CaffeModelFault =
  | 'io' // the file could not be opened or read
  | 'empty'
  | 'text' // looks like a text file (a prototxt?)
  | 'format' // another known binary format (JPEG, PNG, HDF5, npy, ...)
  | 'truncated' // a field runs past the end of the file
  | 'overrun' // a field runs past the end of its enclosing message
  | 'wire-type' // a known field with the wrong wire type, or wire type 6/7, or a stray end-group
  | 'varint' // a varint longer than 10 bytes, or a tag/length that does not fit in 32 bits
  | 'field-number' // field number 0
  | 'group' // an unknown group that does not end with its own end tag, or nests too deep
  | 'blob' // a blob Caffe could not load (shape vs data count, dims)
  | 'no-layers'
  | 'decode'; // protobufjs refused the (well-formed) layer parameters, e.g. a missing required field

export interface CaffeModelErrorDetails {
  kind: CaffeModelFault;
  /** where in the structure, e.g. `layer #3 'conv2' blob 1` ('' at the top level) */
  path: string;
}

// ---------------------------------------------------------------------------------------------------
// Byte sources: a file read through a window of positional reads, or bytes already in memory.

/** Random access to the bytes of a file or a buffer. After `ensure(pos, len)`, byte `pos + i` is `buf[pos - base + i]`. */
export interface ByteSource {
  readonly size: number;
  buf: Uint8Array;
  base: number;
  /** Makes bytes [pos, pos + len) available in `buf`; len ≤ 64 KB and pos + len ≤ size. */
  ensure(pos: number, len: number): void;
  /** Copies bytes [pos, pos + dst.length) into dst. */
  copy(pos: number, dst: Uint8Array): void;
  /**
   * Copies bytes [pos, pos + dst.length) into dst now, or queues the copy for `flush` when the source
   * defers big copies; nothing may read dst before then. The range is already checked to be in the file.
   */
  copyEventually(pos: number, dst: Uint8Array): void;
  close(): void;
}

export class BytesSource implements ByteSource {
  readonly size: number;
  base = 0;
  constructor(public buf: Uint8Array) {
    this.size = buf.length;
  }
  ensure(): void {}
  copy(pos: number, dst: Uint8Array): void {
    dst.set(this.buf.subarray(pos, pos + dst.length));
  }
  copyEventually(pos: number, dst: Uint8Array): void {
    this.copy(pos, dst);
  }
  close(): void {}
}

const WINDOW = 1 << 16;
/** Copies up to this size are served from the window (see FileSource.copy). */
const SMALL_COPY = WINDOW / 4;
/** Copies this big or bigger are worth queuing for parallel reads; smaller ones are read at once. */
const DEFERRED_MIN = 1 << 20;
const READ_PIECE = 8 << 20;
const READS_IN_FLIGHT = 4;

const readAt = (fd: number, dst: Uint8Array, offset: number, length: number, position: number): Promise<number> =>
  new Promise((resolve, reject) => read(fd, dst, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));

export class FileSource implements ByteSource {
  buf = new Uint8Array(WINDOW);
  base = 0;
  private filled = 0;
  private fd: number | undefined;

  private constructor(
    fd: number,
    readonly size: number,
    readonly file: string,
  ) {
    this.fd = fd;
  }

  /**
   * Opens a regular file (never a FIFO, device, folder, /proc or /sys file: see openInputFile);
   * anything else, and system errors, become CaffeModelError (kind 'io').
   */
  static open(file: string): FileSource {
    const { fd, size } = openInputFile(file, (reason, cause) => {
      const e = new CaffeModelError(reason, { file, offset: 0 }, { kind: 'io', path: '' } satisfies CaffeModelErrorDetails);
      if (cause !== undefined) e.cause = cause;
      return e;
    });
    return new FileSource(fd, size, file);
  }

  ensure(pos: number, len: number): void {
    if (pos >= this.base && pos + len <= this.base + this.filled) return;
    this.filled = 0;
    const n = Math.min(WINDOW, this.size - pos);
    this.readInto(pos, this.buf.subarray(0, n));
    this.base = pos;
    this.filled = n;
  }

  copy(pos: number, dst: Uint8Array): void {
    // Small copies (names, parameters, small blobs) come out of the window: one read per 64 KB rather than
    // one system call per field, which dominated nets of many small layers (10^6 layers: 25 s).
    if (dst.length <= SMALL_COPY) {
      this.ensure(pos, dst.length);
      dst.set(this.buf.subarray(pos - this.base, pos - this.base + dst.length));
    } else this.readInto(pos, dst);
  }

  private readInto(pos: number, dst: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.file} is closed`);
    for (let done = 0; done < dst.length; ) {
      let n: number;
      try {
        n = readSync(this.fd, dst, done, dst.length - done, pos + done);
      } catch (err) {
        const e = new CaffeModelError(`cannot read: ${(err as Error).message}`, { file: this.file, offset: pos + done }, { kind: 'io', path: '' });
        e.cause = err;
        throw e;
      }
      if (n === 0) {
        throw new CaffeModelError(`the file ended at byte ${pos + done} while reading it (was it changed meanwhile?)`, { file: this.file, offset: pos + done }, { kind: 'io', path: '' });
      }
      done += n;
    }
  }

  /** Copies queued by copyEventually once `deferCopies` is on: the blobs' data, read by `flush`. */
  private queued: { pos: number; dst: Uint8Array }[] | undefined;

  /** From now on, copyEventually queues copies of DEFERRED_MIN bytes or more for `flush`. */
  deferCopies(): void {
    this.queued ??= [];
  }

  /** Bytes queued so far (progress counts them as read only once `flush` has read them). */
  queuedBytes = 0;

  copyEventually(pos: number, dst: Uint8Array): void {
    if (this.queued && dst.length >= DEFERRED_MIN) {
      this.queued.push({ pos, dst });
      this.queuedBytes += dst.length;
    } else this.copy(pos, dst);
  }

  /**
   * Reads every queued copy, in pieces of READ_PIECE bytes, READS_IN_FLIGHT at a time on libuv's thread
   * pool: the kernel's copy into fresh pages then runs on every core, where one readSync runs on one
   * (0.19 s against 0.32 s for VGG16's 553 MB here). Reports the bytes read so far of all queued.
   */
  async flush(onBytes?: (done: number, total: number) => void, signal?: AbortSignal): Promise<void> {
    const queued = this.queued ?? [];
    this.queued = [];
    const pieces: { pos: number; dst: Uint8Array }[] = [];
    for (const { pos, dst } of queued)
      for (let k = 0; k < dst.length; k += READ_PIECE) pieces.push({ pos: pos + k, dst: dst.subarray(k, Math.min(k + READ_PIECE, dst.length)) });
    const total = pieces.reduce((n, p) => n + p.dst.length, 0);
    let done = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pieces.length) {
        signal?.throwIfAborted();
        const piece = pieces[next++];
        await this.readFully(piece.pos, piece.dst);
        done += piece.dst.length;
        onBytes?.(done, total);
      }
    };
    // Every read settles before this returns or throws: the caller closes the descriptor next.
    const settled = await Promise.allSettled(Array.from({ length: Math.min(READS_IN_FLIGHT, pieces.length) }, worker));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    signal?.throwIfAborted();
  }

  private async readFully(pos: number, dst: Uint8Array): Promise<void> {
    for (let done = 0; done < dst.length; ) {
      if (this.fd === undefined) throw new Error(`${this.file} is closed`);
      let n: number;
      try {
        n = await readAt(this.fd, dst, done, dst.length - done, pos + done);
      } catch (err) {
        const e = new CaffeModelError(`cannot read: ${(err as Error).message}`, { file: this.file, offset: pos + done }, { kind: 'io', path: '' });
        e.cause = err;
        throw e;
      }
      if (n === 0)
        throw new CaffeModelError(`the file ended at byte ${pos + done} while reading it (was it changed meanwhile?)`, { file: this.file, offset: pos + done }, { kind: 'io', path: '' });
      done += n;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Shared by every layer name: a decoder per name is garbage per layer. */
const textDecoder = new TextDecoder();

function swapBytes(bytes: Uint8Array, width: 4 | 8): void {
  for (let i = 0; i + width <= bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

// ---------------------------------------------------------------------------------------------------
// Schema knowledge: which wire types a known field accepts.

const W_VARINT = 0, W_I64 = 1, W_LEN = 2, W_SGROUP = 3, W_EGROUP = 4, W_I32 = 5;
const WIRE_NAMES = ['varint (0)', '64-bit (1)', 'length-delimited (2)', 'group start (3)', 'group end (4)', '32-bit (5)', 'invalid (6)', 'invalid (7)'];
/** Nesting limit for sub-messages and groups, as protobufjs and C++ protobuf (100). */
const MAX_DEPTH = 100;
/** Caffe's kMaxBlobAxes. */
const MAX_BLOB_AXES = 32;
const INT32_MAX = 0x7fffffff;
/** Bytes read between progress reports while filling one big blob. */
const CHUNK = 16 << 20;

interface FieldInfo {
  name: string;
  /** the wire type of one value */
  wire: number;
  /** packed encoding (wire type 2) also accepted */
  packable: boolean;
  message?: protobuf.Type;
}

const fieldCache = new WeakMap<protobuf.Type, Map<number, FieldInfo | null>>();

function fieldInfo(type: protobuf.Type, id: number): FieldInfo | undefined {
  let cache = fieldCache.get(type);
  if (!cache) fieldCache.set(type, (cache = new Map()));
  let info = cache.get(id);
  if (info === undefined) {
    const f = type.fieldsById[id];
    if (!f) info = null;
    else {
      f.resolve();
      if (f.resolvedType instanceof protobuf.Type) info = { name: f.name, wire: f.delimited ? W_SGROUP : W_LEN, packable: false, message: f.resolvedType };
      else {
        const basic = f.resolvedType instanceof protobuf.Enum ? W_VARINT : (protobuf.types.basic as Record<string, number>)[f.type];
        info = { name: f.name, wire: basic, packable: f.repeated && basic !== W_LEN };
      }
    }
    cache.set(id, info);
  }
  return info ?? undefined;
}

let types: { net: protobuf.Type; layer: protobuf.Type; v1: protobuf.Type; v0: protobuf.Type } | undefined;
const schemaTypes = () =>
  (types ??= {
    net: messageType('NetParameter'),
    layer: messageType('LayerParameter'),
    v1: messageType('V1LayerParameter'),
    v0: messageType('V0LayerParameter'),
  });

// ---------------------------------------------------------------------------------------------------
// The walker: a cursor over a source, with the structure path for error messages.

/** Raw pieces of a message: [start, end) spans of the source, or bytes built here. */
type Pieces = Array<number | Uint8Array>;

class Walker {
  pos = 0;
  /** where we are, e.g. `layer #3 'conv2' blob 1` */
  path = '';
  /** the enclosing message's name for "remain in the …" */
  scope = 'file';
  /** where the payload of the last length-delimited field starts */
  payload = 0;

  constructor(
    readonly src: ByteSource,
    readonly file: string,
  ) {}

  fail(reason: string, offset: number, kind: CaffeModelFault): never {
    const details: CaffeModelErrorDetails = { kind, path: this.path };
    throw new CaffeModelError(this.path ? `${this.path}: ${reason}` : reason, { file: this.file, offset }, details);
  }

  /** A fault in the outermost message (the file itself) means the file is cut short; deeper ones overrun their message. */
  private cutOff(what: string, start: number, end: number): never {
    if (this.scope === 'file') this.fail(`${what} is cut off by the end of the file (the file is truncated)`, start, 'truncated');
    this.fail(`${what} runs past the end of the ${this.scope} (at byte ${end})`, start, 'overrun');
  }

  /** A varint as a number (exact below 2^53; only lengths and tags use this). */
  varint(end: number, what: string): number {
    const start = this.pos;
    const avail = Math.min(10, end - start);
    if (avail <= 0) this.cutOff(what, start, end);
    const src = this.src;
    src.ensure(start, avail);
    const buf = src.buf;
    let i = start - src.base;
    let b = buf[i];
    if (b < 0x80) {
      this.pos = start + 1;
      return b;
    }
    let value = b & 0x7f;
    let mul = 128;
    for (let k = 1; k < avail; k++) {
      b = buf[++i];
      value += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = start + k + 1;
        return value;
      }
      mul *= 128;
    }
    if (avail === 10) this.fail(`${what} is a varint longer than 10 bytes`, start, 'varint');
    return this.cutOff(what, start, end);
  }

  /** A varint as two's complement 64 bits: [low 32 bits unsigned, high 32 bits signed]. */
  varint64(end: number, what: string): [number, number] {
    const start = this.pos;
    const avail = Math.min(10, end - start);
    if (avail <= 0) this.cutOff(what, start, end);
    this.src.ensure(start, avail);
    const buf = this.src.buf;
    const i0 = start - this.src.base;
    let lo = 0, hi = 0;
    for (let k = 0; k < avail; k++) {
      const b = buf[i0 + k];
      const bits = b & 0x7f;
      const shift = 7 * k;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (b < 0x80) {
        this.pos = start + k + 1;
        return [lo >>> 0, hi | 0];
      }
    }
    if (avail === 10) this.fail(`${what} is a varint longer than 10 bytes`, start, 'varint');
    return this.cutOff(what, start, end);
  }

  /** A tag: returns field number * 8 + wire type, after rejecting field 0 and wire types 6 and 7. */
  tag(end: number): number {
    const start = this.pos;
    const t = this.varint(end, 'a field tag');
    if (t > 0xffffffff) this.fail(`the field tag ${t} does not fit in 32 bits`, start, 'varint');
    if (t < 8) this.fail(`field number 0 is invalid (zero bytes where a field tag was expected: a damaged or zero-padded file?)`, start, 'field-number');
    const wire = t & 7;
    if (wire > 5) this.fail(`field ${Math.floor(t / 8)} has the invalid wire type ${wire}`, start, 'wire-type');
    return t;
  }

  /** A length-delimited field's length, checked against `end` before anyone allocates anything. */
  length(end: number, what: string): number {
    const start = this.pos;
    const n = this.varint(end, `the length of ${what}`);
    if (n > 0xffffffff) this.fail(`the length of ${what} (${n}) does not fit in 32 bits`, start, 'varint');
    const remain = end - this.pos;
    if (n > remain) {
      const cut = this.scope === 'file';
      this.fail(
        `${what} declares ${n} bytes but only ${remain} remain in the ${cut ? 'file (the file is truncated)' : this.scope}`,
        start,
        cut ? 'truncated' : 'overrun',
      );
    }
    this.payload = this.pos;
    return n;
  }

  /** Moves over n bytes of a fixed-size value. */
  fixed(n: number, end: number, what: string): void {
    if (this.pos + n > end) this.cutOff(what, this.pos, end);
    this.pos += n;
  }

  wireError(what: string, wire: number, expected: string, tagPos: number): never {
    return this.fail(`${what} has wire type ${WIRE_NAMES[wire]} but must be ${expected}`, tagPos, 'wire-type');
  }

  expectWire(what: string, wire: number, allowed: number, tagPos: number, alsoPacked = false): void {
    if (wire === allowed || (alsoPacked && wire === W_LEN)) return;
    this.wireError(what, wire, WIRE_NAMES[allowed] + (alsoPacked ? ` or ${WIRE_NAMES[W_LEN]} (packed)` : ''), tagPos);
  }

  /** Skips an unknown field's value (its tag already read). */
  skipUnknown(field: number, wire: number, end: number, tagPos: number, depth: number): void {
    const what = `unknown field ${field}`;
    switch (wire) {
      case W_VARINT:
        this.varint(end, what);
        return;
      case W_I64:
        return this.fixed(8, end, what);
      case W_I32:
        return this.fixed(4, end, what);
      case W_LEN:
        { const n = this.length(end, what); this.pos += n; }
        return;
      case W_SGROUP: {
        if (depth >= MAX_DEPTH) this.fail(`${what}: groups nest deeper than ${MAX_DEPTH}`, tagPos, 'group');
        for (;;) {
          if (this.pos >= end) this.cutOff(`the group ${what} (no end-group tag)`, tagPos, end);
          const p = this.pos;
          const t = this.tag(end);
          const f = Math.floor(t / 8), w = t & 7;
          if (w === W_EGROUP) {
            if (f !== field) this.fail(`the group ${what} ends with the end tag of field ${f}`, p, 'group');
            return;
          }
          this.skipUnknown(f, w, end, p, depth + 1);
        }
      }
      default: // end-group outside a group
        this.fail(`unexpected end-group tag of field ${field}`, tagPos, 'wire-type');
    }
  }

  /** Validates one field of a schema type in place (wire type, lengths, nested messages). */
  field(type: protobuf.Type, field: number, wire: number, end: number, tagPos: number, depth: number): void {
    const info = fieldInfo(type, field);
    if (!info) return this.skipUnknown(field, wire, end, tagPos, depth);
    const what = `field ${info.name}`;
    if (info.message) {
      this.expectWire(what, wire, W_LEN, tagPos);
      const len = this.length(end, what);
      this.message(info.message, this.pos, this.pos + len, depth + 1, info.name);
      return;
    }
    this.expectWire(what, wire, info.wire, tagPos, info.packable);
    if (wire === W_LEN && info.wire !== W_LEN) {
      // packed scalars
      const len = this.length(end, what);
      const stop = this.pos + len;
      if (info.wire === W_VARINT) {
        const scope = this.scope;
        this.scope = `packed field ${info.name}`;
        while (this.pos < stop) this.varint(stop, `a value of ${what}`);
        this.scope = scope;
      } else {
        const size = info.wire === W_I32 ? 4 : 8;
        if (len % size !== 0) this.fail(`packed ${what} is ${len} bytes long, not a multiple of ${size}`, tagPos, 'overrun');
        this.pos = stop;
      }
      return;
    }
    switch (wire) {
      case W_VARINT:
        this.varint(end, what);
        return;
      case W_I64:
        return this.fixed(8, end, what);
      case W_I32:
        return this.fixed(4, end, what);
      default: // strings, bytes
        { const n = this.length(end, what); this.pos += n; }
    }
  }

  /** Validates a whole message of a schema type spanning [start, end). */
  message(type: protobuf.Type, start: number, end: number, depth: number, name: string): void {
    if (depth > MAX_DEPTH) this.fail(`messages nest deeper than ${MAX_DEPTH}`, start, 'group');
    const scope = this.scope;
    this.scope = name;
    this.pos = start;
    while (this.pos < end) {
      const tagPos = this.pos;
      const t = this.tag(end);
      this.field(type, Math.floor(t / 8), t & 7, end, tagPos, depth);
    }
    this.scope = scope;
  }

  /** A short UTF-8 string at [start, end), for error context only. */
  text(start: number, end: number): string {
    const bytes = new Uint8Array(Math.min(end - start, 256));
    this.src.copy(start, bytes);
    return textDecoder.decode(bytes);
  }

  gather(pieces: Pieces): Uint8Array {
    let total = 0;
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      if (typeof p === 'number') total += (pieces[i + 1] as number) - p, i++;
      else total += p.length;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      if (typeof p === 'number') {
        const n = (pieces[i + 1] as number) - p;
        this.src.copy(p, out.subarray(at, at + n));
        at += n;
        i++;
      } else {
        out.set(p, at);
        at += p.length;
      }
    }
    return out;
  }

  decode(typeName: string, bytes: Uint8Array, offset: number): Message {
    try {
      return decodeMessage(typeName, bytes);
    } catch (err) {
      return this.fail(`cannot decode the ${typeName}: ${(err as Error).message}`, offset, 'decode');
    }
  }
}

function lengthPrefixed(field: number, body: Uint8Array): Uint8Array {
  const head: number[] = [];
  for (let v = field * 8 + W_LEN; ; v = Math.floor(v / 128)) {
    if (v < 128) { head.push(v); break; }
    head.push((v & 0x7f) | 0x80);
  }
  for (let v = body.length; ; v = Math.floor(v / 128)) {
    if (v < 128) { head.push(v); break; }
    head.push((v & 0x7f) | 0x80);
  }
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Blobs

interface BlobScan {
  legacy: boolean;
  dims: [number, number, number, number];
  shape: number[];
  floats: number;
  doubles: number;
}

interface BlobFill {
  out: Float32Array;
  /** fill from double_data rather than data */
  doubles: boolean;
  at: number;
}

const f32Scratch = new Float32Array(1);
const f32ScratchBytes = new Uint8Array(f32Scratch.buffer);
const f64Scratch = new Float64Array(WINDOW / 8);
const f64ScratchBytes = new Uint8Array(f64Scratch.buffer);

/**
 * One walk over a BlobProto in [start, end). Without `fill` it validates and counts; with `fill` (a
 * second walk over an already validated blob) it copies the chosen values into `fill.out`.
 * Yields the file position while copying big data, for progress and cancel.
 */
function* walkBlob(w: Walker, start: number, end: number, fill: BlobFill | null): Generator<number, BlobScan> {
  const scan: BlobScan = { legacy: false, dims: [0, 0, 0, 0], shape: [], floats: 0, doubles: 0 };
  const src = w.src;
  w.pos = start;
  while (w.pos < end) {
    const tagPos = w.pos;
    const t = w.tag(end);
    const field = Math.floor(t / 8), wire = t & 7;
    switch (field) {
      case 1: case 2: case 3: case 4: {
        const name = ['num', 'channels', 'height', 'width'][field - 1];
        w.expectWire(`field ${name}`, wire, W_VARINT, tagPos);
        const valuePos = w.pos;
        const v = w.varint64(end, `field ${name}`)[0] | 0; // int32: the low 32 bits
        if (!fill && v < 0) w.fail(`field ${name} is negative (${v})`, valuePos, 'blob');
        scan.legacy = true;
        scan.dims[field - 1] = v;
        break;
      }
      case 7: {
        w.expectWire('field shape', wire, W_LEN, tagPos);
        const len = w.length(end, 'field shape');
        if (fill) { w.pos += len; break; }
        readShape(w, w.pos, w.pos + len, scan.shape);
        break;
      }
      case 5: case 6: case 8: case 9: {
        const wide = field === 8 || field === 9;
        const name = ['data', 'diff', '', 'double_data', 'double_diff'][field - 5];
        const size = wide ? 8 : 4;
        w.expectWire(`field ${name}`, wire, wide ? W_I64 : W_I32, tagPos, true);
        let n: number, valuePos: number;
        if (wire === W_LEN) {
          const len = w.length(end, `field ${name}`);
          if (len % size !== 0) w.fail(`packed field ${name} is ${len} bytes long, not a multiple of ${size}`, tagPos, 'blob');
          n = len / size;
          valuePos = w.pos;
          w.pos += len;
        } else {
          valuePos = w.pos;
          w.fixed(size, end, `field ${name}`);
          n = 1;
        }
        if (field === 6 || field === 9) break; // diffs are skipped, never read
        if (!fill) {
          if (wide) scan.doubles += n;
          else scan.floats += n;
          break;
        }
        if (wide !== fill.doubles) break;
        if (!wide) {
          if (n === 1 && wire !== W_LEN) {
            src.ensure(valuePos, 4);
            f32ScratchBytes.set(src.buf.subarray(valuePos - src.base, valuePos - src.base + 4));
            if (!LITTLE_ENDIAN) f32ScratchBytes.reverse();
            fill.out[fill.at++] = f32Scratch[0];
            break;
          }
          const bytes = new Uint8Array(fill.out.buffer, fill.out.byteOffset + fill.at * 4, n * 4);
          if (LITTLE_ENDIAN) src.copyEventually(valuePos, bytes);
          else for (let k = 0; k < bytes.length; k += CHUNK) {
            const part = bytes.subarray(k, Math.min(k + CHUNK, bytes.length));
            src.copy(valuePos + k, part);
            if (!LITTLE_ENDIAN) swapBytes(part, 4);
            if (bytes.length > CHUNK) yield valuePos + k + part.length;
          }
          fill.at += n;
        } else {
          // doubles: through an aligned scratch buffer, converted to float32
          for (let k = 0; k < n; ) {
            const m = Math.min(n - k, f64Scratch.length);
            const part = f64ScratchBytes.subarray(0, m * 8);
            src.copy(valuePos + k * 8, part);
            if (!LITTLE_ENDIAN) swapBytes(part, 8);
            for (let j = 0; j < m; j++) fill.out[fill.at++] = f64Scratch[j];
            k += m;
          }
        }
        break;
      }
      default:
        w.skipUnknown(field, wire, end, tagPos, 0);
    }
  }
  return scan;
}

/** BlobShape { repeated int64 dim = 1 [packed] }: appends its dims (a repeated shape merges, as C++ does). */
function readShape(w: Walker, start: number, end: number, dims: number[]): void {
  const scope = w.scope;
  w.scope = 'shape';
  w.pos = start;
  const one = (stop: number) => {
    const p = w.pos;
    const [lo, hi] = w.varint64(stop, 'a dim of the shape');
    if (hi < 0) w.fail(`the shape has a negative dimension`, p, 'blob');
    if (hi !== 0 || lo > INT32_MAX) w.fail(`the shape has a dimension above ${INT32_MAX} (${hi * 2 ** 32 + lo})`, p, 'blob');
    if (dims.length >= MAX_BLOB_AXES) w.fail(`the shape has more than ${MAX_BLOB_AXES} axes (Caffe's kMaxBlobAxes)`, p, 'blob');
    dims.push(lo);
  };
  while (w.pos < end) {
    const tagPos = w.pos;
    const t = w.tag(end);
    const field = Math.floor(t / 8), wire = t & 7;
    if (field !== 1) {
      w.skipUnknown(field, wire, end, tagPos, 0);
      continue;
    }
    w.expectWire('field dim', wire, W_VARINT, tagPos, true);
    if (wire === W_VARINT) one(end);
    else {
      const n = w.length(end, 'field dim');
      const stop = w.pos + n;
      w.scope = 'packed field dim';
      while (w.pos < stop) one(stop);
      w.scope = 'shape';
    }
  }
  w.scope = scope;
}

/** Reads one BlobProto spanning [start, end): validate and count, allocate once, fill. */
function* blob(w: Walker, start: number, end: number, scope = 'blob'): Generator<number, WeightBlob> {
  const outer = w.scope;
  w.scope = scope;
  const scan = yield* walkBlob(w, start, end, null);
  const shape = scan.legacy ? [...scan.dims] : scan.shape;
  const doubles = scan.doubles > 0;
  const count = doubles ? scan.doubles : scan.floats;
  // Blob::FromProto reshapes first, and Blob::Reshape (blob.cpp) CHECKs, axis by axis,
  // shape[i] <= INT_MAX / count: "blob size exceeds INT_MAX".
  let expected = 1;
  for (const d of shape) {
    if (expected !== 0 && d > Math.floor(INT32_MAX / expected))
      w.fail(
        `its ${scan.legacy ? 'legacy num/channels/height/width' : 'shape'} [${shape.join(', ')}] holds more than INT_MAX (${INT32_MAX}) values, ` +
          `more than a Caffe blob can (Blob::Reshape: blob size exceeds INT_MAX)`,
        start,
        'blob',
      );
    expected *= d;
  }
  if (expected !== count) {
    const which = doubles ? 'double_data' : 'data';
    w.fail(
      `its ${scan.legacy ? 'legacy num/channels/height/width' : 'shape'} [${shape.join(', ')}] holds ${expected} values but ${which} has ${count}`,
      start,
      'blob',
    );
  }
  const out = new Float32Array(count);
  if (count > 0) yield* walkBlob(w, start, end, { out, doubles, at: 0 });
  w.pos = end;
  w.scope = outer;
  return { shape, legacy: scan.legacy, data: out };
}

// ---------------------------------------------------------------------------------------------------
// Layers and the net

function* layer(w: Walker, format: 'V2' | 'V1', index: number, start: number, end: number): Generator<number, CaffeModelLayer> {
  const T = schemaTypes();
  const v2 = format === 'V2';
  const type = v2 ? T.layer : T.v1;
  const blobField = v2 ? 7 : 6;
  const nameField = v2 ? 1 : 4;
  const path = `layer #${index}`;
  const setPath = (name: string | undefined) => (w.path = name === undefined ? path : `${path} '${name}'`);
  let name: string | undefined;
  setPath(undefined);
  w.scope = 'layer';
  const pieces: Pieces = [];
  const blobs: WeightBlob[] = [];
  let v0 = false;
  w.pos = start;
  while (w.pos < end) {
    const tagPos = w.pos;
    const t = w.tag(end);
    const field = Math.floor(t / 8), wire = t & 7;
    if (field === blobField) {
      w.expectWire('field blobs', wire, W_LEN, tagPos);
      const len = w.length(end, 'field blobs');
      const layerPath = w.path;
      w.path = `${layerPath} blob ${blobs.length}`;
      blobs.push(yield* blob(w, w.pos, w.pos + len));
      w.path = layerPath;
    } else if (!v2 && field === 1) {
      // V0: the V1LayerParameter wraps a V0LayerParameter whose blobs are field 50
      w.expectWire('field layer', wire, W_LEN, tagPos);
      const len = w.length(end, 'field layer');
      const subEnd = w.pos + len;
      const sub: Pieces = [];
      w.scope = 'V0 layer';
      while (w.pos < subEnd) {
        const p = w.pos;
        const st = w.tag(subEnd);
        const f = Math.floor(st / 8), sw = st & 7;
        if (f === 50) {
          w.expectWire('field blobs', sw, W_LEN, p);
          const n = w.length(subEnd, 'field blobs');
          const layerPath = w.path;
          w.path = `${layerPath} blob ${blobs.length}`;
          blobs.push(yield* blob(w, w.pos, w.pos + n));
          w.path = layerPath;
        } else {
          w.field(T.v0, f, sw, subEnd, p, 1);
          if (fieldInfo(T.v0, f)) sub.push(p, w.pos); // unknown fields are validated, not kept
          if (f === 1 && sw === W_LEN && name === undefined) setPath((name = w.text(w.payload, w.pos)));
        }
      }
      w.scope = 'layer';
      pieces.push(lengthPrefixed(1, w.gather(sub)));
      v0 = true;
    } else {
      w.field(type, field, wire, end, tagPos, 0);
      if (fieldInfo(type, field)) pieces.push(tagPos, w.pos);
      if (field === nameField && wire === W_LEN) setPath((name = w.text(w.payload, w.pos)));
    }
  }
  const param = w.decode(v2 ? 'LayerParameter' : 'V1LayerParameter', w.gather(pieces), start);
  let layerName: string, layerType: string;
  if (v2) {
    layerName = (param.name as string | undefined) ?? '';
    layerType = (param.type as string | undefined) ?? '';
  } else if (v0) {
    const sub = param.layer as Message;
    layerName = (sub.name as string | undefined) ?? (param.name as string | undefined) ?? '';
    layerType = (sub.type as string | undefined) ?? '';
  } else {
    layerName = (param.name as string | undefined) ?? '';
    layerType = param.type === undefined ? 'NONE' : String(param.type);
  }
  w.path = '';
  w.scope = 'file';
  return { name: layerName, type: layerType, format: v0 ? 'V0' : format, param, blobs, offset: start };
}

function* net(w: Walker): Generator<number, CaffeModelFile> {
  const T = schemaTypes();
  const end = w.src.size;
  const pieces: Pieces = [];
  const layers: CaffeModelLayer[] = [];
  while (w.pos < end) {
    const tagPos = w.pos;
    const t = w.tag(end);
    const field = Math.floor(t / 8), wire = t & 7;
    if (field === 100 || field === 2) {
      const what = field === 100 ? `layer #${layers.length}` : `layer #${layers.length} (field layers)`;
      w.expectWire(what, wire, W_LEN, tagPos);
      const len = w.length(end, what);
      const start = w.pos;
      layers.push(yield* layer(w, field === 100 ? 'V2' : 'V1', layers.length, start, start + len));
      w.pos = start + len;
      yield w.pos;
    } else {
      w.field(T.net, field, wire, end, tagPos, 0);
      if (fieldInfo(T.net, field)) pieces.push(tagPos, w.pos);
    }
  }
  if (layers.length === 0) w.fail('holds no layers (is it a caffemodel?)', 0, 'no-layers');
  const netMsg = w.decode('NetParameter', w.gather(pieces), 0);
  return { file: w.file, bytes: end, net: netMsg, layers };
}

// ---------------------------------------------------------------------------------------------------
// Recognising files that are not protobuf at all

/** True when the bytes read as text: printable ASCII, tabs, newlines, and well-formed UTF-8. */
export function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  for (let i = 0; i < head.length; i++) {
    const b = head[i];
    if (b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f)) continue;
    const extra = b >= 0xf0 && b < 0xf5 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 && b < 0xe0 ? 1 : -1;
    if (extra < 0 || b >= 0xf5) return false;
    for (let k = 1; k <= extra; k++) {
      if (i + k >= head.length) return true; // a character cut by the end of the sample
      if ((head[i + k] & 0xc0) !== 0x80) return false;
    }
    i += extra;
  }
  return true;
}

const MAGICS: Array<[number[], string]> = [
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x42, 0x4d], 'a BMP image'],
  [[0x89, 0x48, 0x44, 0x46], 'an HDF5 file (a Keras .h5?)'],
  [[0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 'a NumPy .npy file'],
  [[0x50, 0x4b, 0x03, 0x04], 'a zip archive'],
  [[0x1f, 0x8b], 'a gzip archive'],
  [[0x42, 0x5a, 0x68], 'a bzip2 archive'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a], 'an xz archive'],
  [[0x7f, 0x45, 0x4c, 0x46], 'an executable'],
];

/** What another well-known binary format the head looks like, if any. */
export function sniffFormat(head: Uint8Array): string | undefined {
  for (const [magic, what] of MAGICS) if (magic.every((b, i) => head[i] === b)) return what;
  return undefined;
}

function head(src: ByteSource): Uint8Array {
  const out = new Uint8Array(Math.min(src.size, 1024));
  src.copy(0, out);
  return out;
}

/**
 * Runs a reader over a source with the checks every Caffe binary gets: empty, text, and on failure
 * a hint when the bytes are another known format. `what` names the expected format for messages.
 */
function* checkedRead<T>(
  w: Walker,
  what: string,
  textHint: string,
  body: (w: Walker) => Generator<number, T>,
  otherwise?: (src: ByteSource, file: string) => string | undefined,
): Generator<number, T> {
  const fail = (reason: string, kind: CaffeModelFault): never => {
    throw new CaffeModelError(reason, { file: w.file, offset: 0 }, { kind, path: '' } satisfies CaffeModelErrorDetails);
  };
  if (w.src.size === 0) fail(`is empty (0 bytes), not ${what}`, 'empty');
  const start = head(w.src);
  if (looksLikeText(start)) fail(`is not ${what} (it looks like text; ${textHint})`, 'text');
  try {
    return yield* body(w);
  } catch (err) {
    if (!(err instanceof PortafilterError) || (err.details as CaffeModelErrorDetails | undefined)?.kind === 'io') throw err;
    const format = sniffFormat(start) ?? otherwise?.(w.src, w.file);
    if (format) fail(`is not ${what} (it looks like ${format})`, 'format');
    throw err;
  }
}

const MODEL = 'a binary caffemodel';
const MODEL_HINT = 'did you swap the prototxt and the caffemodel?';

/** A caffemodel that fails to parse but is a valid BlobProto is most likely a mean file. */
function blobInstead(src: ByteSource, file: string): string | undefined {
  try {
    const b = runSync(blob(new Walker(src, file), 0, src.size, 'file'));
    return `a single BlobProto of shape [${b.shape.join(', ')}], e.g. a mean .binaryproto`;
  } catch {
    return undefined;
  }
}

function modelReader(w: Walker): Generator<number, CaffeModelFile> {
  return checkedRead(w, MODEL, MODEL_HINT, net, blobInstead);
}

// ---------------------------------------------------------------------------------------------------
// Public API

/**
 * How long the walk runs between yields to the event loop. A yield after every layer (a setImmediate
 * each) doubled the time of reading a net of 10^5 small layers; 10 ms keeps progress and cancel prompt.
 */
const YIELD_EVERY_MS = 10;

/**
 * Reads a caffemodel. Progress is reported at the start, then each time the walk yields to the event
 * loop (every YIELD_EVERY_MS), while the blobs' data is read, and at the end; the signal is checked
 * after each report and each yield.
 */
export async function readCaffeModel(path: string, options: ReadOptions = {}): Promise<CaffeModelFile> {
  const { onProgress, signal } = options;
  signal?.throwIfAborted();
  const src = FileSource.open(path);
  try {
    onProgress?.(0, src.size);
    signal?.throwIfAborted();
    // The walk checks the structure and queues the blobs' data; flush then reads it in parallel.
    src.deferCopies();
    const gen = modelReader(new Walker(src, path));
    let due = performance.now() + YIELD_EVERY_MS;
    for (let r = gen.next(); ; r = gen.next()) {
      if (r.done) {
        const unqueued = src.size - src.queuedBytes;
        await src.flush((done) => onProgress?.(unqueued + done, src.size), signal);
        onProgress?.(src.size, src.size);
        return r.value;
      }
      if (performance.now() < due) continue;
      onProgress?.(r.value - src.queuedBytes, src.size);
      await new Promise<void>((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
      due = performance.now() + YIELD_EVERY_MS;
    }
  } finally {
    src.close();
  }
}

function runSync<T>(gen: Generator<number, T>): T {
  for (let r = gen.next(); ; r = gen.next()) if (r.done) return r.value;
}

export function readCaffeModelSync(path: string): CaffeModelFile {
  const src = FileSource.open(path);
  try {
    return runSync(modelReader(new Walker(src, path)));
  } finally {
    src.close();
  }
}

/** Parses a caffemodel already in memory (the blobs' data is copied out of `bytes`). */
export function parseCaffeModel(bytes: Uint8Array, file: string): CaffeModelFile {
  return runSync(modelReader(new Walker(new BytesSource(bytes), file)));
}

/**
 * Reads a whole source holding one BlobProto (a .binaryproto), with the empty / text / other-format checks.
 * `what` names the expected file in messages, `textHint` says what to do about a text file.
 */
export function readBlobProto(
  src: ByteSource,
  file: string,
  what = 'a binary BlobProto (.binaryproto)',
  textHint = 'a .binaryproto is the binary output of compute_image_mean',
): WeightBlob {
  return runSync(checkedRead(new Walker(src, file), what, textHint, (w) => blob(w, 0, src.size, 'file'), netInstead));
}

/** A BlobProto that fails to parse but starts like a NetParameter (a name, a V2 `layer` or V1 `layers` field). */
function netInstead(src: ByteSource): string | undefined {
  const b = head(src);
  return b[0] === 0x0a || b[0] === 0x12 || (b[0] === 0xa2 && b[1] === 0x06) ? 'a caffemodel (a NetParameter)' : undefined;
}
