/**
 * A tiny streaming protobuf writer for benchmark inputs: message sizes are computed up front, so a
 * caffemodel of hundreds of MB is written in one pass through a 1 MB buffer, never held in memory.
 * Independent of src/main/caffe (it is used to produce what the reader is measured on).
 */
import { closeSync, openSync, writeSync } from 'node:fs';

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
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  /** field as a varint */
  uint(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }
  /** repeated int64, packed */
  packed(field: number, values: number[]): this {
    const body = new Bytes();
    for (const v of values) body.varint(v);
    return this.bytes(field, body.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** Buffered sequential writes to a file. */
export class FileWriter {
  private fd: number;
  private buf = new Uint8Array(1 << 20);
  private used = 0;
  written = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  write(bytes: Uint8Array): void {
    if (bytes.length > this.buf.length - this.used) this.flush();
    if (bytes.length >= this.buf.length) {
      for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done);
    } else {
      this.buf.set(bytes, this.used);
      this.used += bytes.length;
    }
    this.written += bytes.length;
  }
  varint(v: number): void {
    this.write(new Bytes().varint(v).finish());
  }
  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }
  flush(): void {
    for (let done = 0; done < this.used; ) done += writeSync(this.fd, this.buf, done, this.used - done);
    this.used = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
