/**
 * Writing HDF5 with h5wasm (the HDF5 C library compiled to WebAssembly) the way h5py writes what
 * Keras saves: float32 datasets, ASCII byte-string attributes (numpy `S` arrays / `bytes`, which
 * Keras decodes), groups created one level at a time.
 *
 * Two things h5wasm does differently from h5py, handled here:
 * - Its default format bounds are (v108, v200). The files are written with both bounds at v108, the
 *   HDF5 1.8 format every h5py/HDF5 since 2008 reads (and which still stores attributes over 64 KiB,
 *   such as a large model's `model_config`).
 * - Some HDF5 errors are only printed, not thrown (a dataset under a missing group, an attribute the
 *   format bounds cannot hold). So every writer reads its file back (`verifyHdf5`) and fails unless
 *   each group, attribute and dataset is there with the intended shape and bytes.
 */
import { fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm, { type Dataset, type File, type Group } from 'h5wasm/node';
import { PortafilterError } from '../../shared/errors.js';

export type H5Group = Group;
export type H5File = File;

/** A float32 array with its shape, as the Keras weights are held. */
export interface Array32 {
  shape: readonly number[];
  data: Float32Array;
}

export interface H5Expectation {
  groups: string[];
  /** Attribute values: a string is a scalar, an array a 1-D array of strings. */
  attributes: { path: string; name: string; value: string | string[] }[];
  datasets: { path: string; shape: readonly number[]; data: Float32Array }[];
}

/**
 * HDF5 prints its error stack (thousands of lines for a read-only or full disk) on the WebAssembly
 * side's stderr, which h5wasm writes straight to file descriptor 2. That stream is pointed at an
 * unlinked temporary file instead: nothing is printed, and `withHdf5` reads what a failing call said.
 */
let diagnostics: number | undefined;

function captureDiagnostics(module: unknown): void {
  const FS = (h5wasm as unknown as { FS?: { getStream(fd: number): { nfd?: number } | null } }).FS ?? (module as { FS?: { getStream(fd: number): { nfd?: number } | null } }).FS;
  const stderr = FS?.getStream(2);
  if (!stderr || typeof stderr.nfd !== 'number') return; // another h5wasm build: its messages stay where they go
  const file = join(tmpdir(), `portafilter-hdf5-${process.pid}-${Date.now().toString(36)}.log`);
  diagnostics = openSync(file, 'w+');
  unlinkSync(file);
  stderr.nfd = diagnostics;
}

/** The h5wasm module, once its WebAssembly is ready. */
export async function hdf5(): Promise<typeof h5wasm> {
  const module = await h5wasm.ready;
  if (diagnostics === undefined) captureDiagnostics(module);
  return h5wasm;
}

/** HDF5's own words for the system error under its last failure ("error message = 'Read-only file system'"). */
function lastHdf5Error(from: number): string | undefined {
  if (diagnostics === undefined) return undefined;
  const size = fstatSync(diagnostics).size;
  if (size <= from) return undefined;
  const bytes = Buffer.alloc(Math.min(size - from, 1 << 20));
  readSync(diagnostics, bytes, 0, bytes.length, size - bytes.length);
  const text = bytes.toString('utf8');
  const system = [...text.matchAll(/error message = '([^']+)'/g)].at(-1)?.[1];
  return system ?? /#\d+: [^\n]* in (\w+\(\)): ([^\n]+)/.exec(text)?.slice(1).join(': ');
}

/**
 * Runs HDF5 work; a failure comes out as an Error carrying HDF5's reason (`hdf5Error`, which
 * atomic.ts' writeFailure turns into the user's words), not h5wasm's bare or empty message.
 */
export function withHdf5<T>(work: () => T): T {
  const from = diagnostics === undefined ? 0 : fstatSync(diagnostics).size;
  try {
    return work();
  } catch (e) {
    const reason = e instanceof PortafilterError ? undefined : lastHdf5Error(from);
    if (!reason) throw e;
    throw Object.assign(new Error(`HDF5: ${reason}`, { cause: e }), { hdf5Error: reason });
  }
}

/** Creates (truncates) an HDF5 file in the HDF5 1.8 format. Call `hdf5()` first. */
export const createHdf5 = (path: string): File => new h5wasm.File(path, 'w', { libver: ['v108', 'v108'] });

/** The group at `path` below `parent` ('a/b/c'), creating each missing level. */
export function ensureGroup(parent: Group, path: string): Group {
  let g = parent;
  for (const part of path.split('/').filter((p) => p !== '')) {
    const existing = g.get(part);
    if (existing === null) g = g.create_group(part);
    else if (existing instanceof h5wasm.Group) g = existing;
    else throw new Error(`HDF5: '${g.path}/${part}' exists and is not a group`);
  }
  return g;
}

/** A little-endian float32 dataset at `path` below `parent`, its parent groups created as needed. */
export function writeFloat32(parent: Group, path: string, value: Array32): void {
  const cut = path.lastIndexOf('/');
  const group = cut < 0 ? parent : ensureGroup(parent, path.slice(0, cut));
  const n = value.shape.reduce((a, d) => a * d, 1);
  if (n !== value.data.length) throw new Error(`HDF5 dataset ${path}: ${value.data.length} values for shape [${value.shape.join(', ')}]`);
  group.create_dataset({ name: path.slice(cut + 1), data: value.data, shape: [...value.shape], dtype: '<f4' });
}

function ascii(text: string, what: string): string {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Error(`HDF5 attribute ${what}: '${text.slice(0, 40)}' is not printable ASCII`);
  return text;
}

/** A scalar fixed-length ASCII string attribute (what h5py writes for `bytes`; Keras decodes it). */
export function writeStringAttr(target: Group | Dataset, name: string, value: string): void {
  ascii(value, name);
  target.create_attribute(name, value, null, `A${Math.max(1, value.length)}`);
}

/** A 1-D fixed-length ASCII string array attribute (what h5py writes for a list of `bytes`). */
export function writeStringsAttr(target: Group | Dataset, name: string, values: readonly string[]): void {
  values.forEach((v) => ascii(v, name));
  const width = Math.max(1, ...values.map((v) => v.length));
  target.create_attribute(name, [...values], [values.length], `A${width}`);
}

const sameBytes = (a: ArrayBufferView, b: ArrayBufferView): boolean => {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
};

const asText = (v: unknown): unknown => (Array.isArray(v) ? v.map(asText) : v instanceof Uint8Array ? new TextDecoder().decode(v) : v);

/**
 * Reads `file` back and throws unless it holds every expected group, attribute (value included) and
 * float32 dataset (shape and bytes). `onDataset` reports progress and may throw to cancel.
 */
export function verifyHdf5(file: string, expected: H5Expectation, onDataset?: (i: number, n: number) => void): void {
  const f = new h5wasm.File(file, 'r');
  const fail = (what: string): never => {
    throw new Error(`the written HDF5 file ${file} is not as intended: ${what}`);
  };
  try {
    const at = (path: string): Group | Dataset => {
      const obj = path === '/' || path === '' ? f : f.get(path);
      if (!(obj instanceof h5wasm.Group) && !(obj instanceof h5wasm.Dataset)) return fail(`'${path}' is missing`);
      return obj;
    };
    for (const g of expected.groups) if (!(at(g) instanceof h5wasm.Group)) fail(`'${g}' is not a group`);
    for (const a of expected.attributes) {
      const attrs = at(a.path).attrs;
      if (!(a.name in attrs)) fail(`attribute '${a.name}' of '${a.path}' is missing`);
      const got = asText(attrs[a.name].value);
      const want = a.value;
      const same = Array.isArray(want) ? Array.isArray(got) && got.length === want.length && want.every((v, i) => got[i] === v) : got === want;
      if (!same) fail(`attribute '${a.name}' of '${a.path}' holds ${JSON.stringify(got).slice(0, 80)}`);
    }
    expected.datasets.forEach((d, i) => {
      onDataset?.(i, expected.datasets.length);
      const ds = at(d.path);
      if (!(ds instanceof h5wasm.Dataset)) return fail(`'${d.path}' is not a dataset`);
      const shape = ds.shape ?? [];
      if (shape.length !== d.shape.length || shape.some((v, k) => v !== d.shape[k])) fail(`'${d.path}' has shape [${shape.join(', ')}], not [${d.shape.join(', ')}]`);
      if (ds.dtype !== '<f' && ds.dtype !== '<f4') fail(`'${d.path}' has dtype ${String(ds.dtype)}, not float32`);
      const value = ds.value;
      if (!(value instanceof Float32Array) || !sameBytes(value, d.data)) fail(`'${d.path}' does not hold the intended values`);
    });
  } finally {
    f.close();
  }
}
