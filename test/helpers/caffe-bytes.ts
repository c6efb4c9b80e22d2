/**
 * Building caffemodel bytes for tests with protobufjs as the encoder (independent of the reader):
 * real-schema messages, plus test-local variants of BlobProto with unpacked repeated fields, and a few
 * raw wire-format helpers for deliberately broken files.
 */
import protobuf from 'protobufjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { messageType } from '../../src/main/caffe/schema.js';

/** protobufjs encode of a message of caffe.proto from a plain object. */
export function encode(typeName: string, obj: Record<string, unknown>): Uint8Array {
  const type = messageType(typeName);
  return type.encode(type.fromObject(obj)).finish();
}

const local = protobuf.parse(
  `syntax = "proto2";
   message UnpackedShape { repeated int64 dim = 1 [packed = false]; }
   message UnpackedBlob {
     optional int32 num = 1; optional int32 channels = 2; optional int32 height = 3; optional int32 width = 4;
     repeated float data = 5 [packed = false];
     repeated float diff = 6 [packed = false];
     optional UnpackedShape shape = 7;
     repeated double double_data = 8 [packed = false];
     repeated double double_diff = 9 [packed = false];
   }`,
  { keepCase: true },
).root;

/** A BlobProto whose repeated fields are written unpacked (one tag per value). */
export function encodeUnpackedBlob(obj: Record<string, unknown>): Uint8Array {
  const type = local.lookupType('UnpackedBlob');
  return type.encode(type.fromObject(obj)).finish();
}

/** `field` as a length-delimited field holding `body`, via protobufjs' Writer. */
export function lengthDelimited(field: number, body: Uint8Array): Uint8Array {
  return protobuf.Writer.create().uint32((field << 3) | 2).bytes(body).finish();
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Raw bytes from numbers (for hand-written wire format). */
export const raw = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);

let dir: string | undefined;
// registered while the importing test file is collected: its temporary folder goes when its tests are done
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Writes bytes to a file in the test file's temporary folder (removed after its tests) and returns its path. */
export function tempFile(name: string, bytes: Uint8Array | string): string {
  dir ??= mkdtempSync(join(tmpdir(), 'portafilter-caffe-bytes-'));
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
