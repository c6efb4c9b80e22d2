/**
 * Independent references for the caffemodel reader's tests, sharing no code with src/main/caffe/caffemodel.ts:
 *   - `decodeWithProtobufjs`: protobufjs' own full decode of a NetParameter / BlobProto, turned into the
 *     layers and blobs the reader should give (Caffe's Blob::FromProto rules applied to the decoded object);
 *   - `strictCheck`: a small, separate wire-format walker that says whether bytes protobufjs accepts are
 *     nevertheless malformed protobuf (or a blob Caffe cannot load), and why. protobufjs is lenient in a few
 *     documented ways (wire types of known fields, field number 0, over-long varints, empty input); these
 *     are the cases where the reader is allowed to be stricter than protobufjs.
 */
import protobuf from 'protobufjs';
import { messageType } from '../../src/main/caffe/schema.js';
import type { Message } from '../../src/main/caffe/message.js';

export interface RefBlob {
  shape: number[];
  legacy: boolean;
  data: Float32Array;
}
export interface RefLayer {
  name: string;
  type: string;
  format: 'V2' | 'V1' | 'V0';
  param: Message;
  blobs: RefBlob[];
}

const toObjectOptions = { enums: String, longs: Number, bytes: Uint8Array as unknown as StringConstructor };

interface DecodedBlob {
  num?: number;
  channels?: number;
  height?: number;
  width?: number;
  shape?: { dim?: number[] };
  data?: number[];
  double_data?: number[];
  hasOwnProperty(k: string): boolean;
}

/** Caffe's Blob::FromProto on a protobufjs-decoded BlobProto. */
export function refBlob(b: DecodedBlob): RefBlob {
  const has = (k: 'num' | 'channels' | 'height' | 'width') => Object.prototype.hasOwnProperty.call(b, k);
  const legacy = has('num') || has('channels') || has('height') || has('width');
  const shape = legacy ? [b.num ?? 0, b.channels ?? 0, b.height ?? 0, b.width ?? 0] : [...(b.shape?.dim ?? [])].map(Number);
  const values = b.double_data && b.double_data.length > 0 ? b.double_data : (b.data ?? []);
  return { shape, legacy, data: Float32Array.from(values) };
}

/** toObject of a decoded message with one repeated field emptied (the blobs, or the layers). */
function without(typeName: string, msg: protobuf.Message & Record<string, unknown>, ...keys: string[]): Message {
  const saved = keys.map((k) => msg[k]);
  for (const k of keys) msg[k] = [];
  const obj = messageType(typeName).toObject(msg, toObjectOptions) as Message;
  keys.forEach((k, i) => (msg[k] = saved[i]));
  return obj;
}

/** protobufjs' decode of a whole caffemodel; throws whatever protobufjs throws. */
export function decodeWithProtobufjs(bytes: Uint8Array): { net: Message; v2: RefLayer[]; v1: RefLayer[] } {
  const netType = messageType('NetParameter');
  const decoded = netType.decode(bytes) as protobuf.Message & { layer?: unknown[]; layers?: unknown[] };
  const v2: RefLayer[] = (decoded.layer ?? []).map((l) => {
    const layer = l as protobuf.Message & Record<string, unknown> & { blobs: DecodedBlob[]; name?: string; type?: string };
    return { name: layer.name ?? '', type: layer.type ?? '', format: 'V2', blobs: layer.blobs.map(refBlob), param: without('LayerParameter', layer, 'blobs') };
  });
  const v1: RefLayer[] = (decoded.layers ?? []).map((l) => {
    const layer = l as protobuf.Message & Record<string, unknown> & { blobs: DecodedBlob[]; layer?: protobuf.Message & Record<string, unknown> & { blobs: DecodedBlob[] } };
    const v0 = layer.layer !== undefined && layer.layer !== null;
    const blobs = v0 ? [...layer.layer!.blobs, ...layer.blobs] : layer.blobs;
    let param: Message;
    if (v0) {
      const inner = layer.layer!;
      const saved = inner.blobs;
      inner.blobs = [];
      param = without('V1LayerParameter', layer, 'blobs');
      inner.blobs = saved;
    } else param = without('V1LayerParameter', layer, 'blobs');
    const name = v0 ? ((param.layer as Message).name as string | undefined) ?? (param.name as string | undefined) ?? '' : ((param.name as string | undefined) ?? '');
    const type = v0 ? (((param.layer as Message).type as string | undefined) ?? '') : param.type === undefined ? 'NONE' : String(param.type);
    return { name, type, format: v0 ? 'V0' : 'V1', blobs: blobs.map(refBlob), param };
  });
  return { net: without('NetParameter', decoded as protobuf.Message & Record<string, unknown>, 'layer', 'layers'), v2, v1 };
}

/** protobufjs' decode of a .binaryproto. */
export function decodeBlobWithProtobufjs(bytes: Uint8Array): RefBlob {
  return refBlob(messageType('BlobProto').decode(bytes) as unknown as DecodedBlob);
}

// ---------------------------------------------------------------------------------------------------
// The strict walker

export type Violation =
  | 'empty'
  | 'text'
  | 'wire-type'
  | 'field-number'
  | 'varint'
  | 'group'
  | 'overrun'
  | 'blob'
  | 'no-layers'
  | 'shape-merge';

export interface StrictResult {
  /** the first reason the bytes are not a loadable Caffe binary although protobufjs may accept them */
  violation?: Violation;
  /** offsets of tags and length prefixes seen before any violation (where mutations are interesting) */
  structure: number[];
}

class Stop extends Error {
  constructor(readonly violation: Violation) {
    super(violation);
  }
}

const INT32_MAX = 2147483647;

/** Validates `bytes` as `typeName` (and blob rules), independently of the reader under test. */
export function strictCheck(bytes: Uint8Array, typeName: 'NetParameter' | 'BlobProto'): StrictResult {
  const structure: number[] = [];
  if (bytes.length === 0) return { violation: 'empty', structure };
  const headLen = Math.min(bytes.length, 1024);
  let text = true;
  for (let i = 0; i < headLen; i++) {
    const b = bytes[i];
    if (!(b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127))) text = false;
  }
  if (text) return { violation: 'text', structure };

  let pos = 0;
  const varint = (end: number): bigint => {
    let v = 0n;
    for (let k = 0; k < 10; k++) {
      if (pos >= end) throw new Stop('overrun');
      const b = bytes[pos++];
      v |= BigInt(b & 0x7f) << BigInt(7 * k);
      if (b < 0x80) return v;
    }
    throw new Stop('varint');
  };
  const len = (end: number): number => {
    structure.push(pos);
    const n = varint(end);
    if (n > 0xffffffffn) throw new Stop('varint');
    if (Number(n) > end - pos) throw new Stop('overrun');
    return Number(n);
  };
  const skip = (wire: number, field: number, end: number, depth: number): void => {
    if (wire === 0) varint(end);
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos + n > end) throw new Stop('overrun');
      pos += n;
    } else if (wire === 2) {
      const n = len(end); // (not `pos += len(end)`: that would add to the position before the length)
      pos += n;
    } else if (wire === 3) {
      if (depth > 100) throw new Stop('group');
      for (;;) {
        const [f, w] = tag(end);
        if (w === 4) {
          if (f !== field) throw new Stop('group');
          return;
        }
        skip(w, f, end, depth + 1);
      }
    } else throw new Stop('wire-type');
  };
  const tag = (end: number): [number, number] => {
    structure.push(pos);
    const t = varint(end);
    if (t > 0xffffffffn) throw new Stop('varint');
    const field = Number(t >> 3n), wire = Number(t & 7n);
    if (field === 0) throw new Stop('field-number');
    if (wire > 5) throw new Stop('wire-type');
    return [field, wire];
  };
  const walk = (type: protobuf.Type, end: number, depth: number): void => {
    if (depth > 100) throw new Stop('group');
    let shapes = 0;
    while (pos < end) {
      const [field, wire] = tag(end);
      const f = type.fieldsById[field];
      if (!f) {
        skip(wire, field, end, depth);
        continue;
      }
      f.resolve();
      if (f.resolvedType instanceof protobuf.Type) {
        if (wire !== 2) throw new Stop('wire-type');
        if (type.name === 'BlobProto' && f.name === 'shape' && ++shapes > 1) throw new Stop('shape-merge');
        const n = len(end);
        const stop = pos + n;
        walk(f.resolvedType, stop, depth + 1);
        continue;
      }
      const basic = f.resolvedType instanceof protobuf.Enum ? 0 : (protobuf.types.basic as Record<string, number>)[f.type];
      if (wire === basic) {
        skip(wire, field, end, depth);
        continue;
      }
      if (wire !== 2 || !f.repeated || basic === 2) throw new Stop('wire-type');
      const n = len(end);
      const stop = pos + n;
      if (basic === 0) while (pos < stop) varint(stop);
      else if (n % (basic === 5 ? 4 : 8) !== 0) throw new Stop('overrun');
      pos = stop;
    }
  };
  try {
    walk(messageType(typeName), bytes.length, 0);
  } catch (e) {
    if (e instanceof Stop) return { violation: e.violation, structure };
    throw e;
  }
  // Caffe's rules on the decoded values
  const blobOk = (b: DecodedBlob): boolean => {
    const r = refBlob(b);
    const dims = r.shape;
    if (!r.legacy && dims.length > 32) return false;
    if (dims.some((d) => !(d >= 0 && d <= INT32_MAX))) return false;
    return dims.reduce((a, d) => a * d, 1) === r.data.length;
  };
  if (typeName === 'BlobProto') {
    const b = messageType('BlobProto').decode(bytes) as unknown as DecodedBlob;
    return { violation: blobOk(b) ? undefined : 'blob', structure };
  }
  const net = messageType('NetParameter').decode(bytes) as unknown as {
    layer?: Array<{ blobs: DecodedBlob[] }>;
    layers?: Array<{ blobs: DecodedBlob[]; layer?: { blobs: DecodedBlob[] } }>;
  };
  const all = [...(net.layer ?? []).flatMap((l) => l.blobs), ...(net.layers ?? []).flatMap((l) => [...(l.layer?.blobs ?? []), ...l.blobs])];
  if ((net.layer ?? []).length + (net.layers ?? []).length === 0) return { violation: 'no-layers', structure };
  return { violation: all.every(blobOk) ? undefined : 'blob', structure };
}

/** Index of the first element whose float32 bits differ (NaNs of any payload count as equal), or -1. */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}
