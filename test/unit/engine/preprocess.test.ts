import { describe, expect, it } from 'vitest';
import { npyToFloat32, readNpy } from '../../../src/main/caffe/npy.js';
import { loadImage, resizeBilinear, transformImage, type TransformOptions } from '../../../src/main/engine/preprocess.js';
import { fixture } from '../../helpers/fixtures.js';

/** The fixtures' recipes (README "Inputs and preprocessing"): each .npy is an exact function of its PNG. */
const recipes: [string, string, Omit<TransformOptions, 'shape'>][] = [
  ['lenet_mnist', 'digit_3', { inputScale: 0.00390625 }],
  ['lenet_mnist', 'digit_0', { inputScale: 0.00390625 }],
  ['cifar10_quick', 'truck10', {}],
  ['mtcnn_pnet', 'face_12', { mean: { values: [127.5, 127.5, 127.5] }, inputScale: 0.0078125 }],
  ['mtcnn_onet', 'face_48', { mean: { values: [127.5, 127.5, 127.5] }, inputScale: 0.0078125 }],
  ['ultraface_slim320', 'sample_1', { bgr: false, mean: { values: [127, 127, 127] }, inputScale: 0.0078125 }],
];

describe("Caffe's Transformer steps", () => {
  it.each(recipes)('rebuilds %s/%s.npy bit for bit from its PNG', async (model, input, options) => {
    const expected = readNpy(fixture(`models/${model}/${input}.npy`));
    const img = await loadImage(fixture(`models/${model}/${input}.png`));
    const blob = await transformImage(img, { ...options, shape: expected.shape });
    expect(blob.shape).toEqual(expected.shape);
    expect(Buffer.from(blob.data.buffer).equals(Buffer.from(npyToFloat32(expected).buffer))).toBe(true);
  });

  it('subtracts a full mean image at the input size, else its per-channel mean', async () => {
    const img = { height: 2, width: 2, channels: 3 as const, data: new Float64Array(12).fill(1) };
    const perChannel = await transformImage(img, { shape: [1, 3, 2, 2], mean: { file: fixture('labels/neuralcatdog_mean.binaryproto') } });
    // 255 - the file's channel means [106.33, 116.06, 124.44] (README), in BGR order as the file is.
    expect(perChannel.data[0]).toBeCloseTo(255 - 106.33, 1);
    expect(perChannel.data[4]).toBeCloseTo(255 - 116.06, 1);
    expect(perChannel.data[8]).toBeCloseTo(255 - 124.44, 1);
  });

  it('swaps RGB to BGR by default and converts color to gray for one-channel nets', async () => {
    const rgb = { height: 1, width: 1, channels: 3 as const, data: Float64Array.from([1, 0.5, 0]) };
    expect([...(await transformImage(rgb, { shape: [1, 3, 1, 1] })).data]).toEqual([0, 127.5, 255]);
    expect([...(await transformImage(rgb, { shape: [1, 3, 1, 1], bgr: false })).data]).toEqual([255, 127.5, 0]);
    const gray = await transformImage(rgb, { shape: [1, 1, 1, 1], rawScale: 1 });
    expect(gray.data[0]).toBeCloseTo(0.2125 + 0.7154 * 0.5, 6);
  });

  it('resizes bilinearly with pixel centres aligned (2x2 -> 4x4 keeps the corners, interpolates between)', () => {
    const img = { height: 2, width: 2, channels: 1 as const, data: Float64Array.from([0, 1, 2, 3]) };
    const out = resizeBilinear(img, 4, 4);
    expect([...out.data]).toEqual([0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
  });
});
