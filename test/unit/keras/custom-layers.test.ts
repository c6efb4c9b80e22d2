/** Portafilter's custom Keras layers on TF.js, on small cases worked out by hand from Caffe's formulas. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaffeArgMax, CaffeLRN, CaffeNeuron, CaffePooling, CaffeScale, CaffeSlice, CUSTOM_LAYERS } from '../../../src/main/keras/custom/index.js';
import { caffePooledSize } from '../../../src/main/keras/custom/caffe-pooling.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Applies a layer to concrete tensors and returns the values (one array per output). */
function apply(layer: { apply: (x: tf.Tensor | tf.Tensor[]) => unknown }, x: tf.Tensor | tf.Tensor[]): number[][] {
  const out = layer.apply(x) as tf.Tensor | tf.Tensor[];
  const outs = Array.isArray(out) ? out : [out];
  const values = outs.map((t) => Array.from(t.dataSync()));
  tf.dispose(outs);
  return values;
}

const close = (a: number[], b: number[]): void => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));
};

describe('CaffePooling', () => {
  it("computes Caffe's pooled sizes: ceil, and the last window starting inside image + pad", () => {
    expect(caffePooledSize(22, 3, 2, 0)).toBe(11);
    expect(caffePooledSize(24, 3, 2, 1)).toBe(13);
    expect(caffePooledSize(3, 2, 2, 1)).toBe(2); // ceil gives 3, but window 3 would start at 4 = H + pad
    expect(caffePooledSize(22, 3, 2, 0, 'floor')).toBe(10);
  });

  it('divides AVE windows by their size clipped to image + pad, padding included, overhang excluded', () => {
    // Column [1, 2, 3, 4], k 3, s 2, p 1: windows [-1, 2) -> (1+2)/3, [1, 4) -> (2+3+4)/3, [3, 5) -> 4/2.
    const layer = new CaffePooling({ mode: 'ave', poolSize: [3, 1], strides: [2, 1], padding: [1, 0], dataFormat: 'channels_last' });
    const x = tf.tensor4d([1, 2, 3, 4], [1, 4, 1, 1]);
    close(apply(layer, x)[0], [1, 3, 2]);
    expect(layer.computeOutputShape([null, 4, 1, 1])).toEqual([null, 3, 1, 1]);
  });

  it('lets padding never win a MAX window, even over negative values', () => {
    const layer = new CaffePooling({ mode: 'max', poolSize: [3, 1], strides: [2, 1], padding: [1, 0], dataFormat: 'channels_last' });
    close(apply(layer, tf.tensor4d([-1, -2, -3, -4], [1, 4, 1, 1]))[0], [-1, -2, -4]);
  });

  it('pools 3×3 with pad 1 to 2×2 windows the same in channels_first', () => {
    // 3×3 image 1..9, k 2, s 2, p 1 -> 2×2: [1]/4, [2+3]/4, [4+7]/4, [5+6+8+9]/4.
    const layer = new CaffePooling({ mode: 'ave', poolSize: [2, 2], strides: [2, 2], padding: [1, 1], dataFormat: 'channels_first' });
    close(apply(layer, tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]))[0], [0.25, 1.25, 2.75, 7]);
  });
});

describe('CaffeLRN', () => {
  it('normalises across channels: x / (k + alpha/n · Σ x²)^beta', () => {
    // x = [1, 2, 3], n 3, alpha 3, beta 1, k 1: scales 1+5, 1+14, 1+13.
    const layer = new CaffeLRN({ localSize: 3, alpha: 3, beta: 1, k: 1, normRegion: 'across_channels', dataFormat: 'channels_last' });
    close(apply(layer, tf.tensor4d([1, 2, 3], [1, 1, 1, 3]))[0], [1 / 6, 2 / 15, 3 / 14]);
  });

  it('normalises within a channel over n×n windows with zero padding and no k', () => {
    // All ones 3×3, n 3, alpha 9, beta 1: 1 + 9/9 · (cells of the window inside the image).
    const layer = new CaffeLRN({ localSize: 3, alpha: 9, beta: 1, k: 100, normRegion: 'within_channel', dataFormat: 'channels_first' });
    close(apply(layer, tf.ones([1, 1, 3, 3]))[0], [1 / 5, 1 / 7, 1 / 5, 1 / 7, 1 / 10, 1 / 7, 1 / 5, 1 / 7, 1 / 5]);
  });

  it('refuses an even local_size as Caffe does', () => {
    expect(() => new CaffeLRN({ localSize: 4, alpha: 1, beta: 1 })).toThrow(/odd/);
  });
});

describe('CaffeNeuron', () => {
  const run = (args: ConstructorParameters<typeof CaffeNeuron>[0], x: number[]): number[] => apply(new CaffeNeuron(args), tf.tensor1d(x))[0];

  it('computes Power (shift + scale·x)^power, and the constant when power or scale is 0', () => {
    close(run({ function: 'power', power: 2, scale: 0.5, shift: 1 }, [1, 2]), [2.25, 4]);
    close(run({ function: 'power', power: 3, scale: 0, shift: 2 }, [5, NaN]), [8, 8]);
    close(run({ function: 'power', power: 0, scale: 1, shift: 0 }, [5, -1]), [1, 1]);
  });

  it('computes Exp and Log in any base', () => {
    close(run({ function: 'exp', base: 2, scale: 1, shift: 1 }, [0, 1]), [2, 4]);
    close(run({ function: 'exp', base: -1, scale: 2, shift: 0 }, [0.5]), [Math.E]);
    close(run({ function: 'log', base: 10, scale: 1, shift: 0 }, [10, 100]), [1, 2]);
    close(run({ function: 'log', base: -1, scale: 2, shift: 1 }, [0]), [0]);
  });

  it('computes AbsVal, Threshold, Clip and Swish', () => {
    close(run({ function: 'abs' }, [-2, 3]), [2, 3]);
    close(run({ function: 'threshold', threshold: 0.5 }, [0.5, 0.6]), [0, 1]);
    close(run({ function: 'clip', min: -1, max: 1 }, [-2, 0.5, 3]), [-1, 0.5, 1]);
    close(run({ function: 'swish', beta: 2 }, [0, 1]), [0, 1 / (1 + Math.exp(-2))]);
  });
});

describe('CaffeScale', () => {
  it('multiplies by scale and adds bias, broadcast over the axes of size 1', () => {
    const layer = new CaffeScale({ shape: [2, 1], useScale: true, useBias: true });
    layer.apply(tfl.input({ batchShape: [null, 2, 3] }));
    layer.setWeights([tf.tensor([[2], [10]]), tf.tensor([[1], [-1]])]);
    close(apply(layer, tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 2, 3]))[0], [3, 5, 7, 39, 49, 59]);
  });
});

describe('CaffeSlice', () => {
  it('cuts one axis at the slice points into one output each', () => {
    const layer = new CaffeSlice({ axis: 1, slicePoints: [1, 3] });
    const [a, b, c] = apply(layer, tf.tensor2d([[1, 2, 3, 4]]));
    expect([a, b, c]).toEqual([[1], [2, 3], [4]]);
    expect(layer.computeOutputShape([null, 4])).toEqual([
      [null, 1],
      [null, 2],
      [null, 1],
    ]);
  });
});

describe('CaffeArgMax', () => {
  it("ranks equal values larger index first, as Caffe's std::greater on (value, index)", () => {
    const layer = new CaffeArgMax({ axis: null, topK: 2, outMaxVal: true });
    // [3, 1, 3, 2]: (3, 2) then (3, 0); output (N, 2, top_k): indices then values.
    expect(apply(layer, tf.tensor2d([[3, 1, 3, 2]]))[0]).toEqual([2, 0, 3, 3]);
    expect(layer.computeOutputShape([null, 4])).toEqual([null, 2, 2]);
  });

  it('gives the top index along an axis', () => {
    const layer = new CaffeArgMax({ axis: 1, topK: 1, outMaxVal: false });
    // Along axis 1 of [[1, 9], [5, 2], [0, 7]]: column maxima at rows 1 and 0.
    expect(apply(layer, tf.tensor3d([1, 9, 5, 2, 0, 7], [1, 3, 2]))[0]).toEqual([1, 0]);
  });
});

describe('custom layer registration', () => {
  it('registers every custom layer for TF.js (de)serialisation, with a config that rebuilds it', () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    for (const name of Object.keys(CUSTOM_LAYERS)) expect(map[name], name).toBeDefined();
    const lrn = new CaffeLRN({ localSize: 5, alpha: 1e-4, beta: 0.75, k: 2, normRegion: 'within_channel', dataFormat: 'channels_first' });
    const config = lrn.getConfig();
    expect(config).toMatchObject({ localSize: 5, alpha: 1e-4, beta: 0.75, k: 2, normRegion: 'withinChannel', dataFormat: 'channelsFirst' });
    const copy = tf.serialization.SerializationMap.getMap().classNameMap.CaffeLRN[1](CaffeLRN, config) as CaffeLRN;
    expect(copy.getConfig()).toEqual(config);
  });
});
