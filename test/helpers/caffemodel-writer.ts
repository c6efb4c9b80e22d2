/**
 * Writes synthetic .caffemodel files straight in protobuf wire format, streaming, so tests and
 * benchmarks can make VGG-sized models (hundreds of MB) without holding them as JS number arrays.
 * Independent of src/main/caffe: it shares no code with the reader it is used to check.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { mulberry32 } from './prng.js';

export interface SyntheticBlob {
  shape: number[];
  /** With `values: 'random'`: the values are uniform in [offset - scale, offset + scale] (default 0 ± 0.05). */
  scale?: number;
  offset?: number;
  /** Write num/channels/height/width (fields 1-4), right-aligned to 4 dims, instead of `shape`. */
  legacy?: boolean;
}

export interface SyntheticLayer {
  name: string;
  /** V2: the type string; V1: the V1LayerParameter.LayerType number; V0: the V0 type string ('conv'). */
  type: string | number;
  blobs: SyntheticBlob[];
  /** V2 only: wiring and encoded parameter fields (e.g. convolution_param), to look like a real model. */
  bottom?: string;
  top?: string;
  params?: Uint8Array;
}

export interface SyntheticNet {
  name: string;
  format: 'V0' | 'V1' | 'V2';
  layers: SyntheticLayer[];
  /** 'sin' (default): syntheticValue(b, i), checkable at any index; 'random': seeded uniform, for realistic activations. */
  values?: 'sin' | 'random';
}

/** The value stored at index i of the b-th blob of the whole file: cheap, deterministic, float32. */
export const syntheticValue = (blobIndex: number, i: number): number =>
  Math.fround(Math.sin(i * 0.0137 + blobIndex * 1.7) * 0.05);

export const varintSize = (v: number): number => {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
};

/** Small messages built in memory. */
export class Bytes {
  private parts: number[] = [];
  varint(v: number): this {
    while (v >= 128) {
      this.parts.push((v % 128) | 128);
      v = Math.floor(v / 128);
    }
    this.parts.push(v);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }
  /** A varint field. */
  uint(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    return this.raw(b);
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  /** A packed repeated varint field. */
  packed(field: number, values: number[]): this {
    const body = new Bytes();
    for (const v of values) body.varint(v);
    return this.bytes(field, body.finish());
  }
  raw(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const count = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** BlobProto without its data payload (which is streamed after this header), and its full size. */
function blobHeader(blob: SyntheticBlob): { header: Uint8Array; size: number } {
  const b = new Bytes();
  if (blob.legacy) [1, 1, 1, 1, ...blob.shape].slice(-4).forEach((d, i) => b.uint(i + 1, d));
  else b.bytes(7, new Bytes().packed(1, blob.shape).finish());
  const dataBytes = count(blob.shape) * 4;
  b.tag(5, 2).varint(dataBytes);
  return { header: b.finish(), size: b.length + dataBytes };
}

const BLOB_FIELD = { V2: 7, V1: 6, V0: 50 } as const;

/** The bytes that open one layer, up to its first blob, and the layer's total size on disk. */
function layerOpening(layer: SyntheticLayer, format: SyntheticNet['format']): { opening: Uint8Array; blobs: ReturnType<typeof blobHeader>[]; size: number } {
  const blobs = layer.blobs.map(blobHeader);
  const head = new Bytes();
  if (format === 'V2') {
    head.string(1, layer.name).string(2, String(layer.type));
    if (layer.bottom) head.string(3, layer.bottom);
    if (layer.top) head.string(4, layer.top);
    if (layer.params) head.raw(layer.params);
  } else if (format === 'V1') head.string(4, layer.name).uint(5, Number(layer.type));
  else head.string(1, layer.name).string(2, String(layer.type));
  const field = BLOB_FIELD[format];
  const body = head.length + blobs.reduce((n, b) => n + varintSize(field * 8 + 2) + varintSize(b.size) + b.size, 0);
  const open = new Bytes().tag(format === 'V2' ? 100 : 2, 2);
  // V0: the layer is V1LayerParameter.layer (field 1), a V0LayerParameter holding the blobs.
  if (format === 'V0') open.varint(varintSize(10) + varintSize(body) + body).tag(1, 2);
  open.varint(body).raw(head.finish());
  return { opening: open.finish(), blobs, size: open.length + body - head.length };
}

const netHeader = (net: SyntheticNet): Uint8Array => new Bytes().string(1, net.name).finish();

/** The size `writeSyntheticCaffeModel` will write, to tell whether a cached copy is complete. */
export const syntheticModelSize = (net: SyntheticNet): number =>
  net.layers.reduce((n, l) => n + layerOpening(l, net.format).size, netHeader(net).length);

/**
 * Writes the net as a V2 (`layer`, field 100), V1 (`layers`, field 2) or V0 (`layers { layer {...} }`)
 * NetParameter to `path`, via a temporary file renamed at the end. Returns the file size.
 */
export function writeSyntheticCaffeModel(path: string, net: SyntheticNet, onLayer?: (layer: SyntheticLayer, written: number) => void): number {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  let written = 0;
  const put = (b: Uint8Array): void => {
    for (let done = 0; done < b.length; ) done += writeSync(fd, b, done, b.length - done);
    written += b.length;
  };
  try {
    put(netHeader(net));
    let blobIndex = 0;
    const chunk = new Float32Array(1 << 20);
    const field = BLOB_FIELD[net.format];
    for (const layer of net.layers) {
      const { opening, blobs } = layerOpening(layer, net.format);
      put(opening);
      layer.blobs.forEach((blob, k) => {
        put(new Bytes().tag(field, 2).varint(blobs[k].size).raw(blobs[k].header).finish());
        const n = count(blob.shape);
        const random = net.values === 'random' ? mulberry32(0x5eed + blobIndex) : undefined;
        const scale = blob.scale ?? 0.05;
        const offset = blob.offset ?? 0;
        for (let start = 0; start < n; start += chunk.length) {
          const len = Math.min(chunk.length, n - start);
          if (random) for (let i = 0; i < len; i++) chunk[i] = offset + (random() * 2 - 1) * scale;
          else for (let i = 0; i < len; i++) chunk[i] = syntheticValue(blobIndex, start + i);
          put(new Uint8Array(chunk.buffer, 0, len * 4));
        }
        blobIndex++;
      });
      onLayer?.(layer, written);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return written;
}
