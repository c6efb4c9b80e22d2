import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import type { Blob } from '../../../src/main/layers/types.js';
import { EngineError } from '../../../src/shared/errors.js';
import { expectClose, forward, random, tensor } from './helpers.js';

interface Geometry {
  kernel: [number, number];
  stride?: [number, number];
  pad?: [number, number];
  dilation?: [number, number];
  group?: number;
}

/** caffe_conv of test_convolution_layer.cpp, written out: cross-correlation over zero padding, per group. */
function directConv(x: Blob, w: Blob, bias: Blob | undefined, g: Geometry): number[] {
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const [sh, sw] = g.stride ?? [1, 1];
  const [ph, pw] = g.pad ?? [0, 0];
  const [dh, dw] = g.dilation ?? [1, 1];
  const og = o / (g.group ?? 1);
  const oh = Math.floor((h + 2 * ph - (dh * (kh - 1) + 1)) / sh) + 1;
  const ow = Math.floor((wd + 2 * pw - (dw * (kw - 1) + 1)) / sw) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let f = 0; f < o; f++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let s = bias ? bias.data[f] : 0;
          const grp = Math.floor(f / og);
          for (let k = 0; k < cg; k++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const yi = y * sh - ph + i * dh;
                const xi = xx * sw - pw + j * dw;
                if (yi < 0 || yi >= h || xi < 0 || xi >= wd) continue;
                s += x.data[((b * c + grp * cg + k) * h + yi) * wd + xi] * w.data[((f * cg + k) * kh + i) * kw + j];
              }
          out.push(s);
        }
  return out;
}

/** The transposed convolution written out: every input value spreads w[c_in, o, i, j] into the top. */
function directDeconv(x: Blob, w: Blob, bias: Blob | undefined, g: Geometry, top: number[]): number[] {
  const [n, c, h, wd] = x.shape;
  const [, og, kh, kw] = w.shape;
  const [, o, oh, ow] = top;
  const [sh, sw] = g.stride ?? [1, 1];
  const [ph, pw] = g.pad ?? [0, 0];
  const [dh, dw] = g.dilation ?? [1, 1];
  const cg = c / (g.group ?? 1);
  const out = new Array<number>(n * o * oh * ow).fill(0);
  for (let b = 0; b < n; b++)
    for (let ci = 0; ci < c; ci++) {
      const grp = Math.floor(ci / cg);
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < wd; xx++)
          for (let f = 0; f < og; f++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const yo = y * sh - ph + i * dh;
                const xo = xx * sw - pw + j * dw;
                if (yo < 0 || yo >= oh || xo < 0 || xo >= ow) continue;
                out[((b * o + grp * og + f) * oh + yo) * ow + xo] += x.data[((b * c + ci) * h + y) * wd + xx] * w.data[((ci * og + f) * kh + i) * kw + j];
              }
    }
  if (bias) for (let i = 0; i < out.length; i++) out[i] += bias.data[Math.floor(i / (oh * ow)) % o];
  return out;
}

const conv = (type: string, convolution_param: Message, bottoms = ['x'], tops = ['y']): Message => ({
  name: 'conv',
  type,
  bottom: bottoms,
  top: tops,
  convolution_param,
});

describe('Convolution reference (conv_layer.cpp, im2col.cpp)', () => {
  it('sums the 3x3x3 window of an all-ones input with all-ones weights: 27 + bias inside, 12 + bias at corners with pad 1', () => {
    const x = tensor([1, 3, 4, 4], () => 1);
    const w = tensor([2, 3, 3, 3], () => 1);
    const b = tensor([2], [0.1, -0.1]);
    const [y] = forward(conv('Convolution', { num_output: 2, kernel_size: [3], pad: [1] }), [x], [w, b]);
    const plane = [12, 18, 18, 12, 18, 27, 27, 18, 18, 27, 27, 18, 12, 18, 18, 12];
    expectClose(y.data, [...plane.map((v) => v + 0.1), ...plane.map((v) => v - 0.1)]);
  });

  it('is a cross-correlation, not a convolution: the kernel is not flipped', () => {
    const x = tensor([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = tensor([1, 1, 2, 2], [1, 0, 0, 0]);
    const [y] = forward(conv('Convolution', { num_output: 1, kernel_size: [2], bias_term: false }), [x], [w]);
    expect(Array.from(y.data)).toEqual([1, 2, 4, 5]);
  });

  it.each([
    ['stride 2, pad 1', { kernel: [3, 3], stride: [2, 2], pad: [1, 1] }, { kernel_size: [3], stride: [2], pad: [1] }],
    ['rectangular kernel_h/kernel_w with stride_h/stride_w', { kernel: [3, 2], stride: [2, 1], pad: [0, 1] }, { kernel_h: 3, kernel_w: 2, stride_h: 2, stride_w: 1, pad_h: 0, pad_w: 1 }],
    ['2 groups', { kernel: [3, 3], pad: [1, 1], group: 2 }, { kernel_size: [3], pad: [1], group: 2 }],
    ['depthwise (group = channels)', { kernel: [3, 3], pad: [1, 1], group: 4 }, { kernel_size: [3], pad: [1], group: 4 }],
    ['dilation 2', { kernel: [3, 3], pad: [2, 2], dilation: [2, 2] }, { kernel_size: [3], pad: [2], dilation: [2] }],
    ['dilation 3 on one axis', { kernel: [3, 3], pad: [3, 1], dilation: [3, 1] }, { kernel_size: [3], pad: [3, 1], dilation: [3, 1] }],
  ] as [string, Geometry, Message][])('matches a direct convolution with %s (caffe_conv)', (_, g, param) => {
    const group = g.group ?? 1;
    const x = random([2, 4, 9, 8], 1);
    const w = random([8, 4 / group, g.kernel[0], g.kernel[1]], 2);
    const b = random([8], 3);
    const [y] = forward(conv('Convolution', { num_output: 8, ...param }), [x], [w, b]);
    expectClose(y.data, directConv(x, w, b, g), 1e-5);
  });

  it('convolves each of several bottoms into its own top with the same weights', () => {
    const x1 = random([1, 2, 5, 5], 4);
    const x2 = random([1, 2, 5, 5], 5);
    const w = random([3, 2, 3, 3], 6);
    const b = random([3], 7);
    const [y1, y2] = forward(conv('Convolution', { num_output: 3, kernel_size: [3] }, ['a', 'b'], ['c', 'd']), [x1, x2], [w, b]);
    expectClose(y1.data, directConv(x1, w, b, { kernel: [3, 3] }), 1e-5);
    expectClose(y2.data, directConv(x2, w, b, { kernel: [3, 3] }), 1e-5);
  });

  it('computes large convolutions in slices of output positions with the same result', () => {
    const x = random([1, 64, 72, 72], 8);
    const w = random([2, 64, 3, 3], 9);
    const [y] = forward(conv('Convolution', { num_output: 2, kernel_size: [3], pad: [1], bias_term: false }), [x], [w]);
    expectClose(y.data, directConv(x, w, undefined, { kernel: [3, 3], pad: [1, 1] }), 1e-5);
  });

  it('fails clearly, naming the layer, on a 3-D convolution', () => {
    const x = random([1, 1, 3, 3, 3], 10);
    const w = random([1, 1, 2, 2, 2], 11);
    let caught: unknown;
    try {
      forward(conv('Convolution', { num_output: 1, kernel_size: [2], bias_term: false }), [x], [w]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(EngineError);
    expect((caught as EngineError).location?.layer).toBe('conv');
    expect((caught as EngineError).message).toMatch(/2-D .* 3 spatial axes/);
  });
});

describe('Deconvolution reference (deconv_layer.cpp: convolution backward-data)', () => {
  it('accumulates overlapping all-ones 3x3/2 filters: 3.1, +3 on one overlapping axis, +9 on both (TestSimpleDeconvolution)', () => {
    const x = tensor([2, 3, 6, 4], () => 1);
    const w = tensor([3, 4, 3, 3], () => 1);
    const b = tensor([4], () => 0.1);
    const [y] = forward(conv('Deconvolution', { num_output: 4, kernel_size: [3], stride: [2] }), [x], [w, b]);
    expect(y.shape).toEqual([2, 4, 13, 9]);
    const expected: number[] = [];
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 4; c++)
        for (let h = 0; h < 13; h++)
          for (let v = 0; v < 9; v++) {
            const hOverlap = h % 2 === 0 && h > 0 && h < 12;
            const wOverlap = v % 2 === 0 && v > 0 && v < 8;
            expected.push(3.1 + (hOverlap && wOverlap ? 9 : hOverlap || wOverlap ? 3 : 0));
          }
    expectClose(y.data, expected, 1e-4);
  });

  it.each([
    ['stride 2, pad 1, kernel 4 (2x upsampling)', { kernel: [4, 4], stride: [2, 2], pad: [1, 1] }, { kernel_size: [4], stride: [2], pad: [1] }, 1],
    ['2 groups', { kernel: [3, 3], stride: [2, 2], group: 2 }, { kernel_size: [3], stride: [2], group: 2 }, 2],
    ['dilation 2', { kernel: [3, 3], dilation: [2, 2] }, { kernel_size: [3], dilation: [2] }, 1],
  ] as [string, Geometry, Message, number][])('matches a direct transposed convolution with weights (C_in, C_out/g, kh, kw) and %s', (_, g, param, group) => {
    const x = random([2, 4, 5, 6], 12);
    const w = random([4, 6 / group, g.kernel[0], g.kernel[1]], 13);
    const b = random([6], 14);
    const [y] = forward(conv('Deconvolution', { num_output: 6, ...param }), [x], [w, b]);
    expectClose(y.data, directDeconv(x, w, b, g, y.shape), 1e-5);
  });
});

describe('InnerProduct reference (inner_product_layer.cpp)', () => {
  const ip = (inner_product_param: Message): Message => ({ name: 'ip', type: 'InnerProduct', bottom: ['x'], top: ['y'], inner_product_param });

  it('computes W·x + b over the C·H·W flattening of each item', () => {
    const x = tensor([2, 1, 1, 3], [1, 2, 3, -1, 0, 1]);
    const w = tensor([2, 3], [1, 0, 1, 0, 1, 0]);
    const b = tensor([2], [0.5, -1]);
    const [y] = forward(ip({ num_output: 2 }), [x], [w, b]);
    expect(y.shape).toEqual([2, 2]);
    expectClose(y.data, [4.5, 1, 0.5, -1]);
  });

  it('reads (K, N) weights with transpose and gives the same result', () => {
    const x = random([3, 2, 2, 2], 15);
    const w = random([5, 8], 16);
    const wT = tensor([8, 5], (i) => w.data[(i % 5) * 8 + Math.floor(i / 5)]);
    const [plain] = forward(ip({ num_output: 5, bias_term: false }), [x], [w]);
    const [transposed] = forward(ip({ num_output: 5, bias_term: false, transpose: true }), [x], [wT]);
    expectClose(transposed.data, plain.data, 1e-6);
  });

  it('keeps the axes before `axis`: (2,3,4) with axis 2 gives (2,3,N)', () => {
    const x = tensor([2, 3, 4], (i) => i);
    const w = tensor([1, 4], [1, 1, 1, 1]);
    const [y] = forward(ip({ num_output: 1, axis: 2, bias_term: false }), [x], [w]);
    expect(y.shape).toEqual([2, 3, 1]);
    expectClose(y.data, [6, 22, 38, 54, 70, 86]);
  });
});
