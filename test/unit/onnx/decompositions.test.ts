/**
 * The places where ONNX's own op differs from Caffe and the export decomposes, on inputs small enough
 * to work out by hand from Caffe's definitions (pooling_layer.cpp, lrn_layer.cpp, eltwise_layer.cpp,
 * power_layer.cpp, exp_layer.cpp, log_layer.cpp).
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../helpers/prng.js';
import { blob, runOnnx, tinyNet, withInput } from './helpers.js';

const close = (actual: Float32Array, expected: number[]): void => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i], `value ${i}`).toBeCloseTo(e, 5));
};

const ORDERINGS = ['channels_first', 'channels_last'] as const;

describe.each(ORDERINGS)('Caffe pooling through ONNX (%s)', (ordering) => {
  it('divides an AVE window that overhangs image + pad by its part inside image + pad', async () => {
    // W = 6, kernel 3, stride 2, pad 1: ceil((6 + 2 - 3) / 2) + 1 = 4 windows starting at -1, 1, 3, 5.
    // Window 3 spans [5, 8) but Caffe clips its divisor at W + pad = 7: 2 cells, of which x5 is in the image.
    const net = await tinyNet(
      withInput([1, 1, 1, 6], `layer { name: "pool" type: "Pooling" bottom: "data" top: "pool"
        pooling_param { pool: AVE kernel_h: 1 kernel_w: 3 stride_h: 1 stride_w: 2 pad_h: 0 pad_w: 1 } }`),
    );
    const out = await runOnnx(net, { data: blob([1, 1, 1, 6], [1, 2, 3, 4, 5, 6]) }, ordering);
    const [top] = out.get('pool')!;
    expect(top.shape).toEqual([1, 1, 1, 4]);
    // (0 + 1 + 2) / 3, (2 + 3 + 4) / 3, (4 + 5 + 6) / 3, (6 + 0) / 2: the padding counts, the overhang does not.
    close(top.data, [1, 3, 5, 3]);
  });

  it('counts padding but not the ceil overhang in the AVE divisor, in 2-D', async () => {
    // 4×4 of ones, kernel 3, stride 2, pad 1: ceil((4 + 2 - 3) / 2) + 1 = 3 windows per axis, starting at
    // -1, 1, 3 ((3 - 1)·2 = 4 < 4 + 1 keeps the third). Per axis: image cells 2, 3, 1; Caffe's divisor
    // min(start + 3, 4 + 1) - start = 3, 3, 2. With ones, top = (cells_h·cells_w) / (divisor_h·divisor_w).
    const net = await tinyNet(
      withInput([1, 1, 4, 4], `layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 } }`),
    );
    const out = await runOnnx(net, { data: blob([1, 1, 4, 4], new Array(16).fill(1)) }, ordering);
    const [top] = out.get('pool')!;
    expect(top.shape).toEqual([1, 1, 3, 3]);
    close(top.data, [4 / 9, 6 / 9, 2 / 6, 6 / 9, 9 / 9, 3 / 6, 2 / 6, 3 / 6, 1 / 4]);
  });

  it('pools 6 to 3 with ceil rounding and keeps the last window clipped to the image', async () => {
    // W = 6, kernel 3, stride 2, no pad: ceil((6 - 3) / 2) + 1 = 3 (floor would give 2); window 2 is [4, 6).
    const net = await tinyNet(
      withInput([1, 1, 1, 6], `layer { name: "pool" type: "Pooling" bottom: "data" top: "pool"
        pooling_param { pool: MAX kernel_h: 1 kernel_w: 3 stride_h: 1 stride_w: 2 } }`),
    );
    const out = await runOnnx(net, { data: blob([1, 1, 1, 6], [-1, -2, -3, -4, -5, -6]) }, ordering);
    const [top] = out.get('pool')!;
    expect(top.shape).toEqual([1, 1, 1, 3]);
    close(top.data, [-1, -3, -5]);
  });

  it('drops a last MAX window that would start in the padding, and never lets padding win', async () => {
    // W = 5, kernel 2, stride 2, pad 1: ceil((5 + 2 - 2) / 2) + 1 = 4, but (4 - 1)·2 = 6 >= 5 + 1, so 3.
    // Windows [-1, 1), [1, 3), [3, 5); all values negative, so a zero from the padding would show.
    const net = await tinyNet(
      withInput([1, 1, 1, 5], `layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" top: "mask"
        pooling_param { pool: MAX kernel_h: 1 kernel_w: 2 stride_h: 1 stride_w: 2 pad_h: 0 pad_w: 1 } }`),
    );
    const out = await runOnnx(net, { data: blob([1, 1, 1, 5], [-1, -5, -2, -4, -3]) }, ordering);
    const [top, mask] = out.get('pool')!;
    expect(top.shape).toEqual([1, 1, 1, 3]);
    close(top.data, [-1, -2, -3]);
    // The mask holds each maximum's index h·W + w in the bottom plane.
    close(mask.data, [0, 2, 4]);
  });
});

describe('Caffe AVE pooling where the last window is kept at the padding edge', () => {
  it('pools a 3×3 of ones with kernel 2, stride 2, pad 1 into 2×2 of 1/4, 2/4, 2/4, 4/4', async () => {
    // ceil((3 + 2 - 2) / 2) + 1 = 3, and (3 - 1)·2 = 4 >= 3 + 1 drops the third: 2 windows per axis,
    // starting at -1 and 1. Window -1 covers {pad, 0}: 1 image cell of 2; window 1 covers {1, 2}: 2 of 2.
    const net = await tinyNet(
      withInput([1, 1, 3, 3], `layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { pool: AVE kernel_size: 2 stride: 2 pad: 1 } }`),
    );
    const out = await runOnnx(net, { data: blob([1, 1, 3, 3], new Array(9).fill(1)) });
    const [top] = out.get('pool')!;
    expect(top.shape).toEqual([1, 1, 2, 2]);
    close(top.data, [1 / 4, 2 / 4, 2 / 4, 1]);
  });
});

describe.each(ORDERINGS)('Caffe LRN through ONNX (%s)', (ordering) => {
  it('normalises WITHIN_CHANNEL by (1 + α·mean of x² over the padded n×n window)^-β, ignoring k', async () => {
    // 3×3 of ones, local_size 3: the 3×3 window around a corner holds 4 image cells, an edge 6, the centre 9;
    // the divisor is always 9 (padding counts), and k = 5 is not part of Caffe's WITHIN_CHANNEL formula.
    const net = await tinyNet(
      withInput([1, 1, 3, 3], `layer { name: "norm" type: "LRN" bottom: "data" top: "norm"
        lrn_param { local_size: 3 alpha: 2 beta: 0.75 k: 5 norm_region: WITHIN_CHANNEL } }`),
    );
    const out = await runOnnx(net, { data: blob([1, 1, 3, 3], new Array(9).fill(1)) }, ordering);
    const [top] = out.get('norm')!;
    const y = (cells: number): number => Math.pow(1 + (2 * cells) / 9, -0.75);
    close(top.data, [y(4), y(6), y(4), y(6), y(9), y(6), y(4), y(6), y(4)]);
  });

  it('normalises ACROSS_CHANNELS by (k + α/n·Σx²)^-β over the clipped channel window', async () => {
    // x = [1, 2, 3] over channels, n = 3, α = 3 (α/n = 1), β = 1, k = 2:
    // c0: 2 + 1 + 4 = 7, c1: 2 + 1 + 4 + 9 = 16, c2: 2 + 4 + 9 = 15.
    const net = await tinyNet(
      withInput([1, 3, 1, 1], `layer { name: "norm" type: "LRN" bottom: "data" top: "norm" lrn_param { local_size: 3 alpha: 3 beta: 1 k: 2 } }`),
    );
    const out = await runOnnx(net, { data: blob([1, 3, 1, 1], [1, 2, 3]) }, ordering);
    close(out.get('norm')![0].data, [1 / 7, 2 / 16, 3 / 15]);
  });
});

describe('Caffe LRN ACROSS_CHANNELS on a batch', () => {
  it('matches the formula written out, window clipped at both channel ends, for every item of a batch of 2', async () => {
    const [N, C, H, W, n, alpha, beta, k] = [2, 6, 2, 3, 5, 0.1, 0.75, 2];
    const random = mulberry32(7);
    const x = Array.from({ length: N * C * H * W }, () => (random() - 0.5) * 8);
    const net = await tinyNet(
      withInput([1, C, H, W], `layer { name: "norm" type: "LRN" bottom: "data" top: "norm" lrn_param { local_size: ${n} alpha: ${alpha} beta: ${beta} k: ${k} } }`),
    );
    const out = await runOnnx(net, { data: blob([N, C, H, W], x) });
    const at = (b: number, c: number, i: number): number => (b * C + c) * H * W + i;
    const expected = x.map((_, idx) => {
      const i = idx % (H * W);
      const c = Math.floor(idx / (H * W)) % C;
      const b = Math.floor(idx / (C * H * W));
      let sum = 0;
      for (let j = Math.max(0, c - 2); j <= Math.min(C - 1, c + 2); j++) sum += x[at(b, j, i)] ** 2;
      return x[idx] * Math.pow(k + (alpha / n) * sum, -beta);
    });
    close(out.get('norm')![0].data, expected);
  });
});

describe('Caffe element-wise layers through ONNX', () => {
  it('sums with Eltwise coefficients, raises with Power and keeps in-place values apart', async () => {
    const net = await tinyNet(
      withInput([1, 2, 1, 2], `
      layer { name: "split" type: "Slice" bottom: "data" top: "a" top: "b" slice_param { axis: 1 } }
      layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "sum" eltwise_param { operation: SUM coeff: 0.5 coeff: -2 } }
      layer { name: "power" type: "Power" bottom: "sum" top: "sum" power_param { power: 2 scale: 0.5 shift: 1 } }
      layer { name: "const" type: "Power" bottom: "a" top: "const" power_param { power: 3 scale: 0 shift: 2 } }`),
    );
    const out = await runOnnx(net, { data: blob([1, 2, 1, 2], [2, 4, 1, -1]) });
    // a = [2, 4], b = [1, -1]; sum = 0.5a - 2b = [-1, 4]; power: (1 + 0.5·sum)² = [0.25, 9].
    close(out.get('sum')![0].data, [-1, 4]);
    close(out.get('power')![0].data, [0.25, 9]);
    // scale 0: the constant shift^power = 8, whatever the input.
    close(out.get('const')![0].data, [8, 8]);
  });

  it('computes Exp and Log in other bases with scale and shift', async () => {
    const net = await tinyNet(
      withInput([1, 1, 1, 3], `
      layer { name: "exp" type: "Exp" bottom: "data" top: "exp" exp_param { base: 2 scale: 3 shift: 1 } }
      layer { name: "log" type: "Log" bottom: "data" top: "log" log_param { base: 10 scale: 10 shift: 0 } }`),
    );
    const out = await runOnnx(net, { data: blob([1, 1, 1, 3], [0, 1, 10]) });
    // 2^(1 + 3x) = 2, 16, 2^31; log10(10x) = -inf, 1, 2.
    close(out.get('exp')![0].data.slice(0, 2), [2, 16]);
    expect(out.get('exp')![0].data[2] / 2 ** 31).toBeCloseTo(1, 5);
    expect(out.get('log')![0].data[0]).toBe(-Infinity);
    close(out.get('log')![0].data.slice(1), [1, 2]);
  });
});
