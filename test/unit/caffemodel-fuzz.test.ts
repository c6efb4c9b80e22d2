/**
 * Seeded fuzzing of the binary readers against protobufjs: truncations and byte flips of the real
 * fixture caffemodels and of the mean .binaryproto.
 *
 * For each mutated file:
 *   - protobufjs throws                      -> we must throw CaffeModelError;
 *   - protobufjs decodes it, and the separate strict walker (test/helpers/protobuf-oracle.ts) finds it
 *     well-formed and loadable by Caffe     -> we must give the same layers, names, types, params,
 *     blob shapes and data (bit for bit);
 *   - protobufjs decodes it but the strict walker names a violation -> we must throw CaffeModelError.
 *     These are the documented cases where we are stricter than protobufjs (see caffemodel.ts):
 *     'wire-type' (protobufjs ignores the wire type of known fields), 'field-number' (field 0),
 *     'varint' (tags/lengths beyond 32 bits, varints beyond 10 bytes), 'group' (mismatched end-group),
 *     'overrun', 'empty', 'text', 'no-layers', and 'blob' (a blob Caffe's Blob::FromProto CHECK-fails on:
 *     data count ≠ shape, negative dims, > 32 axes), and 'shape-merge' (a repeated `shape`, which C++
 *     protobuf merges and protobufjs replaces; we merge, so we may differ from protobufjs there).
 * Every case must finish in under 2 s (a hang guard: the readers never loop without advancing).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBinaryProto } from '../../src/main/caffe/binaryproto.js';
import { parseCaffeModel, readCaffeModelSync, type CaffeModelFile, type CaffeModelLayer, type WeightBlob } from '../../src/main/caffe/caffemodel.js';
import { CaffeModelError } from '../../src/shared/errors.js';
import { tempFile } from '../helpers/caffe-bytes.js';
import { hashString, mulberry32 } from '../helpers/prng.js';
import { FIXTURE_MODELS, fixture } from '../helpers/fixtures.js';
import { decodeBlobWithProtobufjs, decodeWithProtobufjs, firstDifference, strictCheck, type RefBlob, type RefLayer, type Violation } from '../helpers/protobuf-oracle.js';

// PORTAFILTER_FUZZ_SEED / PORTAFILTER_FUZZ_CASES run other or longer campaigns; PORTAFILTER_FUZZ_VERBOSE prints tallies.
const SEED = Number(process.env.PORTAFILTER_FUZZ_SEED ?? 0x5eed_cafe);
const CASES_PER_FILE = Number(process.env.PORTAFILTER_FUZZ_CASES ?? 150);


interface Mutation {
  bytes: Uint8Array;
  what: string;
}

/** A truncation or 1-3 byte flips; half land on or just after structure bytes (tags, lengths), the rest anywhere. */
function mutate(original: Uint8Array, structure: number[], random: () => number): Mutation {
  const int = (n: number) => Math.floor(random() * n);
  const position = () => {
    if (structure.length > 0 && random() < 0.5) return Math.min(original.length - 1, structure[int(structure.length)] + int(3));
    return int(original.length);
  };
  if (random() < 0.4) {
    const cut = random() < 0.6 ? position() : int(original.length);
    return { bytes: original.slice(0, cut), what: `truncated to ${cut} bytes` };
  }
  const bytes = original.slice();
  const flips: string[] = [];
  for (let k = 1 + int(3); k > 0; k--) {
    const at = position();
    const x = 1 + int(255);
    bytes[at] ^= x;
    flips.push(`byte ${at} ^= 0x${x.toString(16)}`);
  }
  return { bytes, what: flips.join(', ') };
}

function sameBlobs(ours: WeightBlob[], ref: RefBlob[], where: string): void {
  expect(ours.map((b) => [b.shape, b.legacy]), where).toEqual(ref.map((b) => [b.shape, b.legacy]));
  ours.forEach((b, j) => expect(firstDifference(b.data, ref[j].data), `${where} blob ${j}`).toBe(-1));
}

function sameLayers(ours: CaffeModelLayer[], ref: RefLayer[], where: string): void {
  expect(ours.map((l) => [l.name, l.type, l.format]), where).toEqual(ref.map((l) => [l.name, l.type, l.format]));
  ours.forEach((l, i) => {
    expect(l.param, `${where} layer #${i} param`).toEqual(ref[i].param);
    sameBlobs(l.blobs, ref[i].blobs, `${where} layer #${i}`);
  });
}

const sameModel = (a: CaffeModelFile, b: CaffeModelFile, where: string) => {
  expect(a.layers.map((l) => [l.name, l.type, l.format, l.offset]), where).toEqual(b.layers.map((l) => [l.name, l.type, l.format, l.offset]));
  a.layers.forEach((l, i) => sameBlobs(l.blobs, b.layers[i].blobs, where));
};

const FILES: Array<{ name: string; path: string; kind: 'NetParameter' | 'BlobProto' }> = [
  ...FIXTURE_MODELS.map((m) => ({ name: m, path: fixture('models', m, 'weights.caffemodel'), kind: 'NetParameter' as const })),
  { name: 'neuralcatdog_mean', path: fixture('labels', 'neuralcatdog_mean.binaryproto'), kind: 'BlobProto' },
];

const STRICTER: Violation[] = ['wire-type', 'field-number', 'varint', 'group', 'overrun', 'empty', 'text', 'no-layers', 'blob', 'shape-merge'];

describe('fuzzing the binary readers against protobufjs', () => {
  for (const { name, path, kind } of FILES) {
    it(`agrees with protobufjs on ${CASES_PER_FILE} seeded truncations and byte flips of ${basename(dirname(path))}/${basename(path)}`, () => {
      const original = new Uint8Array(readFileSync(path));
      const { structure, violation } = strictCheck(original, kind);
      expect(violation).toBeUndefined();
      const random = mulberry32(SEED ^ hashString(name));
      const tally = { same: 0, bothRefused: 0, stricter: 0 };
      const stricterKinds: Record<string, number> = {};
      const ourKinds: Record<string, number> = {};
      for (let n = 0; n < CASES_PER_FILE; n++) {
        const { bytes, what } = mutate(original, structure, random);
        const where = `${name} case ${n} (${what})`;
        const file = `fuzz-${name}.bin`;

        const t0 = performance.now();
        let ours: CaffeModelFile | WeightBlob | undefined, oursError: unknown;
        try {
          ours = kind === 'NetParameter' ? parseCaffeModel(bytes, file) : parseBinaryProto(bytes, file);
        } catch (err) {
          oursError = err;
        }
        expect(performance.now() - t0, `${where} took too long`).toBeLessThan(2000);
        if (oursError !== undefined) {
          if (!(oursError instanceof CaffeModelError)) throw new Error(`${where}: threw ${String(oursError)}`, { cause: oursError });
          expect(oursError.location?.file, where).toBe(file);
          expect(oursError.location?.offset, where).toBeGreaterThanOrEqual(0);
          expect(oursError.location?.offset, where).toBeLessThanOrEqual(bytes.length);
          const k = (oursError.details as { kind: string }).kind;
          ourKinds[k] = (ourKinds[k] ?? 0) + 1;
        }

        let ref: ReturnType<typeof decodeWithProtobufjs> | RefBlob | undefined;
        try {
          ref = kind === 'NetParameter' ? decodeWithProtobufjs(bytes) : decodeBlobWithProtobufjs(bytes);
        } catch {
          expect(oursError, `${where}: protobufjs refuses it, so must we`).toBeInstanceOf(CaffeModelError);
          tally.bothRefused++;
          continue;
        }
        const strict = strictCheck(bytes, kind);
        if (strict.violation) {
          expect(STRICTER).toContain(strict.violation);
          expect(oursError, `${where}: protobufjs accepts it but it is not valid (${strict.violation})`).toBeInstanceOf(CaffeModelError);
          tally.stricter++;
          stricterKinds[strict.violation] = (stricterKinds[strict.violation] ?? 0) + 1;
          continue;
        }
        if (oursError) throw new Error(`${where}: protobufjs accepts it and it is well-formed, but we refused it: ${(oursError as Error).message}`);
        tally.same++;
        if (kind === 'BlobProto') {
          sameBlobs([ours as WeightBlob], [ref as RefBlob], where);
          continue;
        }
        const model = ours as CaffeModelFile;
        const refModel = ref as ReturnType<typeof decodeWithProtobufjs>;
        expect(model.net, where).toEqual(refModel.net);
        sameLayers(model.layers.filter((l) => l.format === 'V2'), refModel.v2, where);
        sameLayers(model.layers.filter((l) => l.format !== 'V2'), refModel.v1, where);
        // now and then, the file path (64 KB window, positional reads) must give the same result
        if (n % 10 === 0) sameModel(readCaffeModelSync(tempFile(file, bytes)), model, `${where} from a file`);
      }
      if (process.env.PORTAFILTER_FUZZ_VERBOSE) console.log(name, JSON.stringify({ ...tally, stricterKinds, ourKinds }));
      // the mutations must exercise both outcomes
      expect(tally.same).toBeGreaterThan(10);
      expect(tally.bothRefused + tally.stricter).toBeGreaterThan(10);
    }, 30_000 + CASES_PER_FILE * 300);
  }
});
