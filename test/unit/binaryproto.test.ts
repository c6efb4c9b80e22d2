import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBinaryProto, readBinaryProto } from '../../src/main/caffe/binaryproto.js';
import { readMean, readMeanSync } from '../../src/main/caffe/mean.js';
import { encodeNpy } from '../../src/main/caffe/npy.js';
import { CaffeModelError, MeanFileError } from '../../src/shared/errors.js';
import { encode, encodeUnpackedBlob, tempFile } from '../helpers/caffe-bytes.js';
import { fixture } from '../helpers/fixtures.js';
import { decodeBlobWithProtobufjs, firstDifference } from '../helpers/protobuf-oracle.js';

const MEAN = fixture('labels', 'neuralcatdog_mean.binaryproto');

function thrown<T extends Error>(kind: new (...args: never[]) => T, fn: () => unknown): T {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(kind);
    return err as T;
  }
  throw new Error(`expected a ${kind.name}`);
}

describe('reading .binaryproto blobs', () => {
  it('reads the NeuralCatDog mean as protobufjs decodes it: legacy dims 1x3x256x256', () => {
    const blob = readBinaryProto(MEAN);
    const ref = decodeBlobWithProtobufjs(readFileSync(MEAN));
    expect(blob.shape).toEqual([1, 3, 256, 256]);
    expect(blob.legacy).toBe(true);
    expect(ref.shape).toEqual([1, 3, 256, 256]);
    expect(firstDifference(blob.data, ref.data)).toBe(-1);
  });

  it('reads a BlobProto with a shape, with double_data, and with unpacked data', () => {
    expect(parseBinaryProto(encode('BlobProto', { shape: { dim: [3] }, data: [1, 2, 3] }), 'a')).toEqual({ shape: [3], legacy: false, data: Float32Array.of(1, 2, 3) });
    expect(parseBinaryProto(encode('BlobProto', { shape: { dim: [2] }, double_data: [0.1, 0.2] }), 'b').data).toEqual(Float32Array.of(0.1, 0.2));
    expect(parseBinaryProto(encodeUnpackedBlob({ num: 1, channels: 2, height: 1, width: 1, data: [5, 6] }), 'c')).toEqual({ shape: [1, 2, 1, 1], legacy: true, data: Float32Array.of(5, 6) });
  });

  it('says a truncated .binaryproto is truncated', () => {
    const bytes = readFileSync(MEAN).subarray(0, 5000);
    const err = thrown(CaffeModelError, () => parseBinaryProto(bytes, 'mean.binaryproto'));
    expect(err.message).toBe('mean.binaryproto@11: field data declares 786432 bytes but only 4986 remain in the file (the file is truncated)');
  });

  it('says a caffemodel given as a .binaryproto looks like a caffemodel', () => {
    const err = thrown(CaffeModelError, () => readBinaryProto(fixture('models', 'lenet_mnist', 'weights.caffemodel')));
    expect(err.message).toMatch(/@0: is not a binary BlobProto \(\.binaryproto\) \(it looks like a caffemodel \(a NetParameter\)\)$/);
  });

  it('says a text file given as a .binaryproto looks like text', () => {
    const err = thrown(CaffeModelError, () => readBinaryProto(fixture('models', 'lenet_mnist', 'deploy.prototxt')));
    expect(err.message).toMatch(/@0: is not a binary BlobProto \(\.binaryproto\) \(it looks like text; /);
  });
});

describe('reading mean files', () => {
  it('reads the NeuralCatDog .binaryproto mean: 3x256x256, channel means about [106.33, 116.06, 124.44]', async () => {
    const mean = await readMean(MEAN);
    expect(mean.file).toBe(MEAN);
    expect(mean.shape).toEqual([3, 256, 256]);
    expect(mean.data).toHaveLength(3 * 256 * 256);
    expect(mean.channelMean).toHaveLength(3);
    [106.33, 116.06, 124.44].forEach((m, c) => expect(mean.channelMean[c]).toBeCloseTo(m, 2));
  });

  it('reads the ILSVRC 2012 .npy mean (float64 3x256x256): channel means about [104.007, 116.669, 122.679]', () => {
    const mean = readMeanSync(fixture('labels', 'ilsvrc_2012_mean.npy'));
    expect(mean.shape).toEqual([3, 256, 256]);
    [104.007, 116.669, 122.679].forEach((m, c) => expect(mean.channelMean[c]).toBeCloseTo(m, 3));
  });

  it('accepts (1,C,H,W), (C,) and (C,1,1) means', () => {
    const chw = Float32Array.of(1, 2, 3, 4, 10, 20, 30, 40);
    expect(readMeanSync(tempFile('nchw.npy', encodeNpy([1, 2, 2, 2], chw)))).toMatchObject({ shape: [2, 2, 2], channelMean: [2.5, 25] });
    expect(readMeanSync(tempFile('c.npy', encodeNpy([3], Float32Array.of(104, 117, 123))))).toMatchObject({ shape: [3, 1, 1], channelMean: [104, 117, 123] });
    expect(readMeanSync(tempFile('c11.npy', encodeNpy([3, 1, 1], Float32Array.of(1, 2, 3))))).toMatchObject({ shape: [3, 1, 1], channelMean: [1, 2, 3] });
    const proto = encode('BlobProto', { shape: { dim: [3] }, data: [104, 117, 123] });
    expect(readMeanSync(tempFile('c.binaryproto', proto))).toMatchObject({ shape: [3, 1, 1], channelMean: [104, 117, 123] });
  });

  it('refuses several mean images, other ranks and H,W,C means with a MeanFileError', () => {
    const four = thrown(MeanFileError, () => readMeanSync(tempFile('n2.npy', encodeNpy([2, 3, 1, 1], new Float32Array(6)))));
    expect(four.message).toMatch(/holds 2 mean images/);
    expect(thrown(MeanFileError, () => readMeanSync(tempFile('r2.npy', encodeNpy([3, 4], new Float32Array(12))))).message).toMatch(/has shape \(3, 4\); a mean must be/);
    expect(thrown(MeanFileError, () => readMeanSync(tempFile('hwc.npy', encodeNpy([8, 8, 3], new Float32Array(192))))).message).toMatch(/looks like H,W,C/);
  });

  it('reports a broken or foreign mean file as a MeanFileError with the reader’s location', () => {
    const cut = thrown(MeanFileError, () => readMeanSync(tempFile('cut.binaryproto', readFileSync(MEAN).subarray(0, 5000))));
    expect(cut.location?.offset).toBe(11);
    expect(cut.cause).toBeInstanceOf(CaffeModelError);
    expect(thrown(MeanFileError, () => readMeanSync(fixture('images', 'cat.jpg'))).message).toMatch(/it looks like a JPEG image/);
    expect(thrown(MeanFileError, () => readMeanSync(fixture('nope.npy'))).message).toMatch(/cannot read/);
  });
});
