/** Caffe blobs to Keras weights, on tiny cases worked out by hand. */
import { describe, expect, it } from 'vitest';
import {
  convKernel,
  deconvKernel,
  denseKernel,
  depthwiseKernel,
  dilateKernel,
  flattenOrder,
  flipKernel,
  transpose,
} from '../../../src/main/keras/weights.js';
import { f32 } from './helpers.js';

const seq = (n: number, from = 1): Float32Array => Float32Array.from({ length: n }, (_, i) => i + from);

describe('Caffe to Keras weight transforms', () => {
  it('transposes like numpy', () => {
    // x = [[1, 2, 3], [4, 5, 6]]; x.T = [[1, 4], [2, 5], [3, 6]]
    expect(transpose({ shape: [2, 3], data: seq(6) }, [1, 0])).toEqual({ shape: [3, 2], data: f32(1, 4, 2, 5, 3, 6) });
  });

  it('turns convolution weights (O, I, kh, kw) into a Conv2D kernel (kh, kw, I, O)', () => {
    // W[0,0] = [[1, 2], [3, 4]], W[1,0] = [[5, 6], [7, 8]]: kernel[i, j, 0, o] = W[o, 0, i, j].
    const k = convKernel({ shape: [2, 1, 2, 2], data: seq(8) });
    expect(k.shape).toEqual([2, 2, 1, 2]);
    expect([...k.data]).toEqual([1, 5, 2, 6, 3, 7, 4, 8]);
  });

  it('flips a kernel by 180 degrees for true-convolution backends', () => {
    const k = convKernel({ shape: [2, 1, 2, 2], data: seq(8) }, true);
    // kernel[i, j] = original[1 - i, 1 - j]
    expect([...k.data]).toEqual([4, 8, 3, 7, 2, 6, 1, 5]);
    expect([...flipKernel(flipKernel({ shape: [2, 2, 1, 2], data: seq(8) })).data]).toEqual([...seq(8)]);
  });

  it('keeps the input channels of a grouped convolution per group (I/g)', () => {
    // group 2, O = 2, I = 4: W (2, 2, 1, 1) = [[1, 2], [3, 4]] -> kernel (1, 1, 2, 2), kernel[0, 0, c, o] = W[o, c].
    const k = convKernel({ shape: [2, 2, 1, 1], data: seq(4) });
    expect(k.shape).toEqual([1, 1, 2, 2]);
    expect([...k.data]).toEqual([1, 3, 2, 4]);
  });

  it('turns depthwise weights (C·m, 1, kh, kw) into a DepthwiseConv2D kernel (kh, kw, C, m)', () => {
    // C = 2, m = 2, 1×2 taps: W[o] = [2o+1, 2o+2]; kernel[0, j, c, k] = W[c·2 + k, 0, 0, j].
    const k = depthwiseKernel({ shape: [4, 1, 1, 2], data: seq(8) }, 2);
    expect(k.shape).toEqual([1, 2, 2, 2]);
    expect([...k.data]).toEqual([1, 3, 5, 7, 2, 4, 6, 8]);
  });

  it('turns deconvolution weights (I, O, kh, kw) into a Conv2DTranspose kernel (kh, kw, O, I)', () => {
    // W (2, 3, 1, 1) = [[1, 2, 3], [4, 5, 6]]: kernel[0, 0, o, c] = W[c, o].
    const k = deconvKernel({ shape: [2, 3, 1, 1], data: seq(6) });
    expect(k.shape).toEqual([1, 1, 3, 2]);
    expect([...k.data]).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('makes a grouped deconvolution kernel block-diagonal', () => {
    // group 2, I = 2, O = 2: W (2, 1, 1, 1) = [7, 9]: input 0 feeds output 0 only, input 1 output 1 only.
    const k = deconvKernel({ shape: [2, 1, 1, 1], data: f32(7, 9) }, 2);
    expect(k.shape).toEqual([1, 1, 2, 2]);
    expect([...k.data]).toEqual([7, 0, 0, 9]);
  });

  it('folds a dilation into the kernel with zeros between the taps', () => {
    const k = dilateKernel({ shape: [2, 2, 1, 1], data: seq(4) }, 2, 2);
    expect(k.shape).toEqual([3, 3, 1, 1]);
    expect([...k.data]).toEqual([1, 0, 2, 0, 0, 0, 3, 0, 4]);
  });

  describe('InnerProduct after a spatial blob', () => {
    // Caffe bottom (C=2, H=1, W=2) flattens C·H·W: index c·2 + w. W (N=1, K=4) = [10, 20, 30, 40].
    const w = { shape: [1, 4], data: f32(10, 20, 30, 40) };
    const x = { c0w0: 1, c0w1: 2, c1w0: 3, c1w1: 4 };
    const caffeFlat = [x.c0w0, x.c0w1, x.c1w0, x.c1w1];
    const kerasFlat = [x.c0w0, x.c1w0, x.c0w1, x.c1w1]; // H·W·C

    it('keeps the rows in C·H·W order when the tensor is laid out as Caffe (channels_first)', () => {
      const order = flattenOrder([2, 1, 2], [0, 1, 2]);
      expect([...order]).toEqual([0, 1, 2, 3]);
      expect([...denseKernel(w, false, order).data]).toEqual([10, 20, 30, 40]);
    });

    it('reorders the rows to H·W·C when the tensor is channels_last', () => {
      const order = flattenOrder([2, 1, 2], [1, 2, 0]);
      expect([...order]).toEqual([0, 2, 1, 3]);
      const k = denseKernel(w, false, order);
      expect(k.shape).toEqual([4, 1]);
      expect([...k.data]).toEqual([10, 30, 20, 40]);
      // Both give Caffe's dot product: 1·10 + 2·20 + 3·30 + 4·40 = 300.
      const dot = (a: number[], b: ArrayLike<number>): number => a.reduce((s, v, i) => s + v * b[i], 0);
      expect(dot(caffeFlat, w.data)).toBe(300);
      expect(dot(kerasFlat, k.data)).toBe(300);
    });

    it('reads transposed weights (K, N) with inner_product_param.transpose', () => {
      // W (K=4, N=2): row k = [k+1, 10(k+1)]
      const wt = { shape: [4, 2], data: f32(1, 10, 2, 20, 3, 30, 4, 40) };
      const k = denseKernel(wt, true, flattenOrder([2, 1, 2], [1, 2, 0]));
      expect(k.shape).toEqual([4, 2]);
      expect([...k.data]).toEqual([1, 10, 3, 30, 2, 20, 4, 40]);
    });

    it('turns (N, K) weights into a (K, N) kernel', () => {
      const k = denseKernel({ shape: [2, 3], data: seq(6) }, false);
      expect(k.shape).toEqual([3, 2]);
      expect([...k.data]).toEqual([1, 4, 2, 5, 3, 6]);
    });
  });
});
