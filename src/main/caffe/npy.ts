/**
 * NumPy .npy files (format versions 1.0, 2.0, 3.0), after numpy/lib/format.py:
 * magic "\x93NUMPY", major, minor, a little-endian header length (2 bytes in 1.0, 4 in 2.0/3.0),
 * then a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (3, 256, 256), }
 * (latin-1 in 1.0/2.0, UTF-8 in 3.0), padded with spaces and a newline, then the raw data.
 *
 * Reading allocates the typed array once and reads the data straight into its buffer. Numeric dtypes
 * of either byte order are supported (bool, int/uint 8-64, float 16/32/64); structured, complex and
 * object dtypes are refused. Writing is float32, C order, atomic (a temp file renamed over the target).
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { NpyError } from '../../shared/errors.js';
import { openInputFile } from './input-file.js';

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface NpyArray {
  shape: number[];
  /**
   * The values in file order (C or Fortran, see `fortranOrder`), in host byte order. Booleans are a
   * Uint8Array; float16 stays a Uint16Array of raw half-float bits (see `npyToFloat32`).
   */
  data: NpyData;
  /** The dtype as written in the file, e.g. '<f4', '>f8', '|u1', '|b1'. */
  dtype: string;
  fortranOrder: boolean;
  /** Format version [major, minor]. */
  version: [number, number];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy refuses headers above 10000 bytes by default (max_header_size); we allow more but not without bound. */
const MAX_HEADER = 1 << 20;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** True when the bytes start with the .npy magic. */
export const isNpy = (head: Uint8Array): boolean => MAGIC.every((b, i) => head[i] === b);

type Kind = 'b' | 'i' | 'u' | 'f';
interface DType {
  kind: Kind;
  size: 1 | 2 | 4 | 8;
  /** stored little-endian (true for one-byte types) */
  little: boolean;
}

function makeArray(t: DType, n: number): NpyData {
  switch (`${t.kind}${t.size}`) {
    case 'b1':
    case 'u1': return new Uint8Array(n);
    case 'i1': return new Int8Array(n);
    case 'i2': return new Int16Array(n);
    case 'u2': case 'f2': return new Uint16Array(n);
    case 'i4': return new Int32Array(n);
    case 'u4': return new Uint32Array(n);
    case 'f4': return new Float32Array(n);
    case 'i8': return new BigInt64Array(n);
    case 'u8': return new BigUint64Array(n);
    case 'f8': return new Float64Array(n);
  }
  throw new Error(`unreachable dtype ${t.kind}${t.size}`);
}

// ---------------------------------------------------------------------------------------------------
// The header: a Python literal

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** Parses the small subset of Python literals numpy writes: dicts, tuples, lists, strings, ints, booleans, None. */
function parsePython(text: string, fail: (reason: string) => never): PyValue {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (depth: number): PyValue => {
    if (depth > 32) fail('the header nests too deeply');
    ws();
    const c = text[i];
    if (c === '{' || c === '(' || c === '[') {
      const close = c === '{' ? '}' : c === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      const dict: { [key: string]: PyValue } = {};
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          break;
        }
        const v = value(depth + 1);
        if (c === '{') {
          if (typeof v !== 'string') fail('a header key is not a string');
          ws();
          if (text[i] !== ':') fail(`expected ':' after '${v}' in the header`);
          i++;
          dict[v] = value(depth + 1);
        } else items.push(v);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}' at character ${i} of the header`);
      }
      return c === '{' ? dict : items;
    }
    if (c === "'" || c === '"') {
      let s = '';
      for (i++; ; i++) {
        if (i >= text.length) fail('an unterminated string in the header');
        if (text[i] === c) break;
        if (text[i] === '\\') i++;
        s += text[i];
      }
      i++;
      return s;
    }
    const m = /^(-?\d+)L?|^(True|False|None)\b/.exec(text.slice(i));
    if (!m) fail(`unexpected '${text.slice(i, i + 12)}' in the header`);
    i += m[0].length;
    if (m[2]) return m[2] === 'True' ? true : m[2] === 'False' ? false : null;
    return Number(m[1]);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail(`unexpected '${text.slice(i, i + 12)}' after the header dict`);
  return v;
}

interface Header {
  dtype: string;
  type: DType;
  fortranOrder: boolean;
  shape: number[];
  count: number;
  version: [number, number];
  dataOffset: number;
}

/** Parses the preamble and header from the first bytes of a file of `size` bytes. */
function parseHeader(head: Uint8Array, size: number, fail: (reason: string, offset: number) => never, more: (n: number) => Uint8Array): Header {
  if (size === 0) fail('is empty (0 bytes), not a .npy file', 0);
  if (!isNpy(head)) fail('is not a .npy file (no \\x93NUMPY magic at its start)', 0);
  if (size < 10) fail(`is truncated: ${size} bytes, shorter than the .npy preamble`, 0);
  const major = head[6], minor = head[7];
  if (major < 1 || major > 3) fail(`has .npy format version ${major}.${minor}; versions 1.0, 2.0 and 3.0 are supported`, 6);
  const lenBytes = major === 1 ? 2 : 4;
  if (size < 8 + lenBytes) fail('is truncated inside the .npy preamble', 8);
  const pre = more(8 + lenBytes);
  const dv = new DataView(pre.buffer, pre.byteOffset, pre.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataOffset = 8 + lenBytes + headerLen;
  if (dataOffset > size) fail(`declares a ${headerLen}-byte header but the file has only ${size - 8 - lenBytes} bytes after the preamble`, 8);
  if (headerLen > MAX_HEADER) fail(`declares a ${headerLen}-byte header; more than ${MAX_HEADER} bytes is not a real .npy header`, 8);
  const bytes = more(dataOffset).subarray(8 + lenBytes);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(major >= 3 ? 'utf8' : 'latin1');
  const headerFail = (reason: string): never => fail(`has a malformed .npy header: ${reason}`, 8 + lenBytes);
  const dict = parsePython(text, headerFail);
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) return headerFail('it is not a dict');
  const { descr, fortran_order: fortran, shape } = dict as Record<string, PyValue>;
  if (typeof descr !== 'string') return fail(`has a structured or missing dtype (${JSON.stringify(descr)}); only plain numeric dtypes are supported`, 8 + lenBytes);
  if (typeof fortran !== 'boolean') return headerFail("'fortran_order' is not True or False");
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0))
    return headerFail(`'shape' is not a tuple of non-negative integers (${JSON.stringify(shape)})`);
  const m = /^([<>|=])([biuf])(\d+)$/.exec(descr);
  const size1 = m ? Number(m[3]) : 0;
  const kind = m?.[2] as Kind | undefined;
  const ok = kind && (kind === 'b' ? size1 === 1 : kind === 'f' ? [2, 4, 8].includes(size1) : [1, 2, 4, 8].includes(size1));
  if (!m || !ok) return fail(`has the dtype '${descr}'; supported are bool, int8-64, uint8-64, float16/32/64 in either byte order`, 8 + lenBytes);
  const order = m[1];
  const type: DType = { kind: kind!, size: size1 as DType['size'], little: size1 === 1 || order === '<' || order === '|' || (order === '=' && LITTLE_ENDIAN) };
  let count = 1;
  for (const d of shape as number[]) count *= d;
  const available = size - dataOffset;
  if (count * type.size > available)
    fail(`is truncated: shape (${(shape as number[]).join(', ')}) of ${descr} needs ${count * type.size} data bytes but only ${available} follow the header`, dataOffset);
  return { dtype: descr, type, fortranOrder: fortran, shape: shape as number[], count, version: [major, minor], dataOffset };
}

function swap(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i + width <= bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

function finish(h: Header, data: NpyData): NpyArray {
  if (h.type.little !== LITTLE_ENDIAN) swap(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), h.type.size);
  return { shape: h.shape, data, dtype: h.dtype, fortranOrder: h.fortranOrder, version: h.version };
}

/** Reads a .npy file (a regular file only: see openInputFile); the data is read straight into the returned typed array. */
export function readNpy(path: string): NpyArray {
  const fail = (reason: string, offset?: number): never => {
    throw new NpyError(reason, { file: path, offset });
  };
  const { fd, size } = openInputFile(path, (reason, cause) => {
    const e = new NpyError(reason, { file: path });
    if (cause !== undefined) e.cause = cause;
    return e;
  });
  try {
    const read = (pos: number, dst: Uint8Array): void => {
      for (let done = 0; done < dst.length; ) {
        const n = readSync(fd, dst, done, dst.length - done, pos + done);
        if (n === 0) fail(`the file ended at byte ${pos + done} while reading it (was it changed meanwhile?)`, pos + done);
        done += n;
      }
    };
    const more = (n: number) => {
      const b = new Uint8Array(Math.min(n, size));
      read(0, b);
      return b;
    };
    const h = parseHeader(more(16), size, fail, more);
    const data = makeArray(h.type, h.count);
    read(h.dataOffset, new Uint8Array(data.buffer, 0, data.byteLength));
    return finish(h, data);
  } catch (err) {
    if (err instanceof NpyError) throw err;
    const e = new NpyError(`cannot read: ${(err as Error).message}`, { file: path });
    e.cause = err;
    throw e;
  } finally {
    closeSync(fd);
  }
}

/** Parses a .npy already in memory (the data is copied into an aligned typed array). */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const fail = (reason: string, offset?: number): never => {
    throw new NpyError(reason, { file, offset });
  };
  const h = parseHeader(bytes.subarray(0, 16), bytes.length, fail, (n) => bytes.subarray(0, n));
  const data = makeArray(h.type, h.count);
  new Uint8Array(data.buffer).set(bytes.subarray(h.dataOffset, h.dataOffset + data.byteLength));
  return finish(h, data);
}

/** IEEE 754 half-precision bits to a number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The array's values as float32 in C (row-major) order, whatever its dtype and order (a float32 C-order array is returned as is, not copied). */
export function npyToFloat32(npy: NpyArray): Float32Array {
  const src = npy.data;
  const n = src.length;
  const kind = npy.dtype[1];
  let flat: Float32Array;
  if (src instanceof Float32Array) flat = src;
  else {
    flat = new Float32Array(n);
    if (kind === 'f' && src instanceof Uint16Array) for (let i = 0; i < n; i++) flat[i] = halfToFloat(src[i]);
    else if (src instanceof BigInt64Array || src instanceof BigUint64Array) for (let i = 0; i < n; i++) flat[i] = Number(src[i]);
    else flat.set(src as ArrayLike<number>);
  }
  if (!npy.fortranOrder || npy.shape.length < 2) return flat;
  return fortranToC(flat, npy.shape);
}

/** Reorders column-major values to row-major. */
function fortranToC(src: Float32Array, shape: number[]): Float32Array {
  const out = new Float32Array(src.length);
  if (src.length === 0) return out;
  const nd = shape.length;
  const fstride = new Array<number>(nd);
  for (let k = 0, s = 1; k < nd; k++) {
    fstride[k] = s;
    s *= shape[k];
  }
  const idx = new Array<number>(nd).fill(0);
  let f = 0;
  for (let c = 0; c < out.length; c++) {
    out[c] = src[f];
    // increment the C-order multi-index (last axis fastest), tracking the Fortran offset
    for (let k = nd - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) {
        f += fstride[k];
        break;
      }
      f -= (shape[k] - 1) * fstride[k];
      idx[k] = 0;
    }
  }
  return out;
}

/** A float32 C-order array encoded as .npy (version 1.0, or 2.0 when the header needs it). */
export function encodeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new NpyError(`cannot write shape (${shape.join(', ')}): dimensions must be non-negative integers`);
    count *= d;
  }
  if (count !== data.length) throw new NpyError(`cannot write shape (${shape.join(', ')}) holding ${count} values with ${data.length} values`);
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  // numpy pads so that the data starts at a multiple of 64 bytes, the header ending with '\n'
  let major = 1;
  let pre = 10;
  let total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  if (total - pre > 0xffff) {
    major = 2;
    pre = 12;
    total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  }
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, total - pre, true);
  else dv.setUint32(8, total - pre, true);
  const header = dict.padEnd(total - pre - 1, ' ') + '\n';
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  const body = out.subarray(total);
  body.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (!LITTLE_ENDIAN) swap(body, 4);
  return out;
}

/** Writes a float32 C-order .npy atomically: a temp file in the same folder, synced, then renamed over `path`. */
export function writeNpy(path: string, shape: readonly number[], data: Float32Array): void {
  const bytes = encodeNpy(shape, data);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    const e = new NpyError(`cannot write: ${(err as Error).message}`, { file: path });
    e.cause = err;
    throw e;
  }
}
