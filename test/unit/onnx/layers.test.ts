/**
 * Layer types the fixture models do not exercise, exported to ONNX and run by onnxruntime on inputs
 * small enough that Caffe's formula can be written out by hand.
 */
import { describe, expect, it } from 'vitest';
import type { Blob } from '../../../src/main/layers/types.js';
import { blob, runOnnx, tinyNet, withInput } from './helpers.js';

const close = (actual: Blob, shape: number[], expected: number[]): void => {
  expect(actual.shape).toEqual(shape);
  expected.forEach((e, i) => expect(actual.data[i], `value ${i}`).toBeCloseTo(e, 5));
};

const twoInputs = (a: number[], b: number[], layers: string): string =>
  `name: "t"\nlayer { name: "data" type: "Input" top: "data" top: "other" input_param { shape { ${a.map((d) => `dim: ${d}`).join(' ')} } shape { ${b.map((d) => `dim: ${d}`).join(' ')} } } }\n${layers}`;

describe('Caffe neuron layers through ONNX', () => {
  it('computes AbsVal, BNLL, Clip, ELU, Sigmoid, TanH, Swish, Threshold and a leaky ReLU', async () => {
    const net = await tinyNet(
      withInput([1, 4], `
      layer { name: "abs" type: "AbsVal" bottom: "data" top: "abs" }
      layer { name: "bnll" type: "BNLL" bottom: "data" top: "bnll" }
      layer { name: "clip" type: "Clip" bottom: "data" top: "clip" clip_param { min: -1 max: 0.5 } }
      layer { name: "elu" type: "ELU" bottom: "data" top: "elu" elu_param { alpha: 2 } }
      layer { name: "sig" type: "Sigmoid" bottom: "data" top: "sig" }
      layer { name: "tanh" type: "TanH" bottom: "data" top: "tanh" }
      layer { name: "swish" type: "Swish" bottom: "data" top: "swish" swish_param { beta: 2 } }
      layer { name: "thr" type: "Threshold" bottom: "data" top: "thr" threshold_param { threshold: 0.5 } }
      layer { name: "relu" type: "ReLU" bottom: "data" top: "relu" relu_param { negative_slope: 0.25 } }`),
    );
    const x = [-2, -0.5, 0.5, 100];
    const out = await runOnnx(net, { data: blob([1, 4], x) });
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    close(out.get('abs')![0], [1, 4], [2, 0.5, 0.5, 100]);
    // log(1 + e^x), without overflow at 100
    close(out.get('bnll')![0], [1, 4], [Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(-0.5)), 0.5 + Math.log1p(Math.exp(-0.5)), 100]);
    close(out.get('clip')![0], [1, 4], [-1, -0.5, 0.5, 0.5]);
    close(out.get('elu')![0], [1, 4], [2 * (Math.exp(-2) - 1), 2 * (Math.exp(-0.5) - 1), 0.5, 100]);
    close(out.get('sig')![0], [1, 4], x.map(sig));
    close(out.get('tanh')![0], [1, 4], x.map(Math.tanh));
    close(out.get('swish')![0], [1, 4], x.map((v) => v * sig(2 * v)));
    close(out.get('thr')![0], [1, 4], [0, 0, 0, 1]);
    close(out.get('relu')![0], [1, 4], [-0.5, -0.125, 0.5, 100]);
  });
});

describe('Caffe broadcasting and normalisation layers through ONNX', () => {
  it('scales by a second bottom over the channel axis, and by a learned scale plus bias', async () => {
    const net = await tinyNet(
      twoInputs([1, 2, 1, 2], [2], `
      layer { name: "by_bottom" type: "Scale" bottom: "data" bottom: "other" top: "by_bottom" }
      layer { name: "learned" type: "Scale" bottom: "data" top: "learned" scale_param { bias_term: true } }
      layer { name: "bias_h" type: "Bias" bottom: "data" top: "bias_h" bias_param { axis: 3 } }`),
      { learned: [blob([2], [10, -1]), blob([2], [0.5, 2])], bias_h: [blob([2], [100, 200])] },
    );
    const x = [1, 2, 3, 4];
    const out = await runOnnx(net, { data: blob([1, 2, 1, 2], x), other: blob([2], [2, 3]) });
    close(out.get('by_bottom')![0], [1, 2, 1, 2], [2, 4, 9, 12]);
    close(out.get('learned')![0], [1, 2, 1, 2], [10.5, 20.5, -1, -2]);
    close(out.get('bias_h')![0], [1, 2, 1, 2], [101, 202, 103, 204]);
  });

  it('divides BatchNorm statistics by the stored factor, or uses the batch statistics when told', async () => {
    const net = await tinyNet(
      withInput([2, 1, 1, 2], `
      layer { name: "global" type: "BatchNorm" bottom: "data" top: "global" batch_norm_param { eps: 0 } }
      layer { name: "batch" type: "BatchNorm" bottom: "data" top: "batch" batch_norm_param { use_global_stats: false eps: 0 } }`),
      { global: [blob([1], [4]), blob([1], [8]), blob([1], [2])], batch: [blob([1], [0]), blob([1], [0]), blob([1], [1])] },
    );
    const out = await runOnnx(net, { data: blob([2, 1, 1, 2], [1, 3, 5, 7]) });
    // mean 4/2 = 2, variance 8/2 = 4: (x - 2) / 2
    close(out.get('global')![0], [2, 1, 1, 2], [-0.5, 0.5, 1.5, 2.5]);
    // batch mean 4, variance (9 + 1 + 1 + 9) / 4 = 5
    close(out.get('batch')![0], [2, 1, 1, 2], [-3, -1, 1, 3].map((d) => d / Math.sqrt(5)));
  });

  it('normalises with MVN (eps after the square root) and SSD Normalize (per place, per-channel scale)', async () => {
    const net = await tinyNet(
      withInput([1, 2, 1, 2], `
      layer { name: "mvn" type: "MVN" bottom: "data" top: "mvn" mvn_param { eps: 1 } }
      layer { name: "norm" type: "Normalize" bottom: "data" top: "norm" norm_param { across_spatial: false channel_shared: false eps: 0 } }`),
      { norm: [blob([2], [1, 10])] },
    );
    const out = await runOnnx(net, { data: blob([1, 2, 1, 2], [1, 3, 3, 4]) });
    // channel 0: mean 2, std 1 → (x - 2) / (1 + 1); channel 1: mean 3.5, std 0.5 → (x - 3.5) / 1.5
    close(out.get('mvn')![0], [1, 2, 1, 2], [-0.5, 0.5, -1 / 3, 1 / 3]);
    // place 0: |(1, 3)| = √10, place 1: |(3, 4)| = 5; channel 1 scaled by 10
    close(out.get('norm')![0], [1, 2, 1, 2], [1 / Math.sqrt(10), 3 / 5, (10 * 3) / Math.sqrt(10), (10 * 4) / 5]);
  });
});

describe('Caffe shape layers through ONNX', () => {
  it('crops, tiles, flattens a middle range, reshapes part of the axes and permutes', async () => {
    const net = await tinyNet(
      twoInputs([1, 1, 4, 4], [1, 1, 2, 2], `
      layer { name: "crop" type: "Crop" bottom: "data" bottom: "other" top: "crop" crop_param { axis: 2 offset: 1 } }
      layer { name: "tile" type: "Tile" bottom: "crop" top: "tile" tile_param { axis: 3 tiles: 2 } }
      layer { name: "flat" type: "Flatten" bottom: "data" top: "flat" flatten_param { axis: 2 } }
      layer { name: "reshape" type: "Reshape" bottom: "flat" top: "reshape" reshape_param { axis: 2 num_axes: 1 shape { dim: 2 dim: -1 } } }
      layer { name: "perm" type: "Permute" bottom: "crop" top: "perm" permute_param { order: 0 order: 3 } }`),
    );
    const x = Array.from({ length: 16 }, (_, i) => i);
    const out = await runOnnx(net, { data: blob([1, 1, 4, 4], x), other: blob([1, 1, 2, 2], [0, 0, 0, 0]) });
    close(out.get('crop')![0], [1, 1, 2, 2], [5, 6, 9, 10]);
    close(out.get('tile')![0], [1, 1, 2, 4], [5, 6, 5, 6, 9, 10, 9, 10]);
    close(out.get('flat')![0], [1, 1, 16], x);
    close(out.get('reshape')![0], [1, 1, 2, 8], x);
    // order (0, 3) then the rest in order: (0, 3, 1, 2)
    close(out.get('perm')![0], [1, 2, 1, 2], [5, 9, 6, 10]);
  });

  it('reduces from an axis with SUM, ASUM, SUMSQ and MEAN times coeff, and takes the top 2 with ArgMax', async () => {
    const net = await tinyNet(
      withInput([2, 3], `
      layer { name: "sum" type: "Reduction" bottom: "data" top: "sum" reduction_param { axis: 1 coeff: 2 } }
      layer { name: "asum" type: "Reduction" bottom: "data" top: "asum" reduction_param { operation: ASUM axis: 1 } }
      layer { name: "sumsq" type: "Reduction" bottom: "data" top: "sumsq" reduction_param { operation: SUMSQ axis: 1 } }
      layer { name: "mean" type: "Reduction" bottom: "data" top: "mean" reduction_param { operation: MEAN axis: 1 coeff: 3 } }
      layer { name: "all" type: "Reduction" bottom: "data" top: "all" }
      layer { name: "argmax" type: "ArgMax" bottom: "data" top: "argmax" argmax_param { top_k: 2 out_max_val: true } }
      layer { name: "argmax_axis" type: "ArgMax" bottom: "data" top: "argmax_axis" argmax_param { axis: 0 } }`),
    );
    const out = await runOnnx(net, { data: blob([2, 3], [1, -5, 3, 0, 2, -1]) });
    close(out.get('sum')![0], [2], [-2, 2]);
    close(out.get('asum')![0], [2], [9, 3]);
    close(out.get('sumsq')![0], [2], [35, 5]);
    close(out.get('mean')![0], [2], [-1, 1]);
    close(out.get('all')![0], [], [0]);
    // per item: indices of the 2 largest, then their values
    close(out.get('argmax')![0], [2, 2, 2], [2, 0, 3, 1, 1, 0, 2, 0]);
    close(out.get('argmax_axis')![0], [1, 3], [0, 1, 0]);
  });

  it('applies an InnerProduct from axis 2 with transposed weights, and a strided Deconvolution', async () => {
    const net = await tinyNet(
      withInput([1, 2, 1, 2], `
      layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 axis: 2 transpose: true } }
      layer { name: "deconv" type: "Deconvolution" bottom: "data" top: "deconv" convolution_param { num_output: 1 kernel_size: 2 stride: 2 bias_term: false } }`),
      {
        // weights [K = 2, N = 3] with transpose; bias [3]
        ip: [blob([2, 3], [1, 2, 3, 4, 5, 6]), blob([3], [0, 0, 100])],
        // [C_in = 2, O = 1, 2, 2]: channel 0 spreads ones, channel 1 spreads tens
        deconv: [blob([2, 1, 2, 2], [1, 1, 1, 1, 10, 10, 10, 10])],
      },
    );
    const out = await runOnnx(net, { data: blob([1, 2, 1, 2], [1, 2, 3, 4]) });
    // rows (1, 2) and (3, 4) times [[1, 2, 3], [4, 5, 6]] + (0, 0, 100)
    close(out.get('ip')![0], [1, 2, 3], [9, 12, 115, 19, 26, 133]);
    // each input cell becomes a 2×2 block: 1 + 30 = 31, 2 + 40 = 42
    close(out.get('deconv')![0], [1, 1, 2, 4], [31, 31, 42, 42, 31, 31, 42, 42]);
  });

  it('gives SSD priors as a constant: min_size box, sqrt(min·max) box, and min_size·√ar boxes', async () => {
    const net = await tinyNet(
      withInput([1, 1, 1, 1], `layer { name: "prior" type: "PriorBox" bottom: "data" top: "prior"
        prior_box_param { min_size: 4 max_size: 9 aspect_ratio: 2 flip: false img_size: 10 variance: 0.1 variance: 0.1 variance: 0.2 variance: 0.2 } }`),
    );
    const out = await runOnnx(net, { data: blob([1, 1, 1, 1], [0]) });
    // one place, centre (0.5·10, 0.5·10) = (5, 5) on a 10×10 image
    const box = (w: number, h: number): number[] => [(5 - w / 2) / 10, (5 - h / 2) / 10, (5 + w / 2) / 10, (5 + h / 2) / 10];
    const priors = [...box(4, 4), ...box(6, 6), ...box(4 * Math.SQRT2, 4 / Math.SQRT2)];
    close(out.get('prior')![0], [1, 2, 12], [...priors, 0.1, 0.1, 0.2, 0.2, 0.1, 0.1, 0.2, 0.2, 0.1, 0.1, 0.2, 0.2]);
  });
});
