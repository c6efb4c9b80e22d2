/**
 * Writes synthetic .caffemodel files straight in protobuf wire format, streaming, so tests and
 * benchmarks can make VGG-sized models (hundreds of MB) without holding them as JS number arrays.
 * Independent of src/main/caffe: it shares no code with the reader it is used to check.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';

export interface SyntheticBlob {
  shape: number[];
  /** Write num/channels/height/width (fields 1-4), right-aligned to 4 dims, instead of `shape`. */
  legacy?: boolean;
}

export interface SyntheticLayer {
  name: string;
  /** V2: the type string; V1: the V1LayerParameter.LayerType number; V0: the V0 type string ('conv'). */
  type: string | number;
  blobs: SyntheticBlob[];
}

/** The value stored at index i of the b-th blob of the whole file: cheap, deterministic, float32. */
export const syntheticValue = (blobIndex: number, i: number): number =>
  Math.fround(Math.sin(i * 0.0137 + blobIndex * 1.7) * 0.05);

const varintSize = (v: number): number => {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
};

class Bytes {
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
  string(field: number, s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  raw(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  toBuffer(): Buffer {
    return Buffer.from(this.parts);
  }
}

const count = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** BlobProto without its data payload (which is streamed after this header). */
function blobHeader(blob: SyntheticBlob): { header: Buffer; size: number } {
  const b = new Bytes();
  if (blob.legacy) {
    const dims = [1, 1, 1, 1, ...blob.shape].slice(-4);
    dims.forEach((d, i) => b.tag(i + 1, 0).varint(d));
  } else {
    const dims = new Bytes();
    for (const d of blob.shape) dims.varint(d);
    const shape = new Bytes().tag(1, 2).varint(dims.length).raw(dims.toBuffer());
    b.tag(7, 2).varint(shape.length).raw(shape.toBuffer());
  }
  const dataBytes = count(blob.shape) * 4;
  b.tag(5, 2).varint(dataBytes);
  return { header: b.toBuffer(), size: b.length + dataBytes };
}

/**
 * Writes `layers` as a V2 (`layer`, field 100), V1 (`layers`, field 2) or V0 (`layers { layer {...} }`) NetParameter to `path`
 * (via a temporary file, renamed at the end). Returns the file size.
 */
export function writeSyntheticCaffeModel(path: string, net: { name: string; format: 'V0' | 'V1' | 'V2'; layers: SyntheticLayer[] }): number {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  let written = 0;
  const put = (b: Uint8Array): void => {
    writeSync(fd, b);
    written += b.length;
  };
  try {
    put(new Bytes().string(1, net.name).toBuffer());
    let blobIndex = 0;
    const chunk = new Float32Array(1 << 20);
    for (const layer of net.layers) {
      const blobs = layer.blobs.map(blobHeader);
      const head = new Bytes();
      if (net.format === 'V2') head.string(1, layer.name).string(2, String(layer.type));
      else if (net.format === 'V1') head.string(4, layer.name).tag(5, 0).varint(Number(layer.type));
      else head.string(1, layer.name).string(2, String(layer.type));
      const blobField = { V2: 7, V1: 6, V0: 50 }[net.format];
      const body = head.length + blobs.reduce((n, b) => n + varintSize(blobField * 8 + 2) + varintSize(b.size) + b.size, 0);
      const open = new Bytes().tag(net.format === 'V2' ? 100 : 2, 2);
      // V0: the layer is V1LayerParameter.layer (field 1), a V0LayerParameter holding the blobs.
      if (net.format === 'V0') open.varint(varintSize(10) + varintSize(body) + body).tag(1, 2);
      put(open.varint(body).raw(head.toBuffer()).toBuffer());
      layer.blobs.forEach((blob, k) => {
        put(new Bytes().tag(blobField, 2).varint(blobs[k].size).raw(blobs[k].header).toBuffer());
        const n = count(blob.shape);
        for (let start = 0; start < n; start += chunk.length) {
          const len = Math.min(chunk.length, n - start);
          for (let i = 0; i < len; i++) chunk[i] = syntheticValue(blobIndex, start + i);
          put(new Uint8Array(chunk.buffer, 0, len * 4));
        }
        blobIndex++;
      });
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return written;
}
