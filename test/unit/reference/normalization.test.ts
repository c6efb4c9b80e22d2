import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import { expectClose, forward, random, tensor } from './helpers.js';

const L = (type: string, params: Message): Message => ({ name: type.toLowerCase(), type, bottom: ['x'], top: ['y'], ...params });

describe('LRN reference (lrn_layer.cpp, test_lrn_layer.cpp ReferenceLRNForward)', () => {
  it('divides by (k + alpha/n · Σx²)^beta over the n channels centred on c, zero-padded at the ends (ACROSS_CHANNELS)', () => {
    const x = tensor([1, 4, 1, 1], [1, 2, 3, 4]);
    const [y] = forward(L('LRN', { lrn_param: { local_size: 3, alpha: 0.6, beta: 0.75, k: 2 } }), [x]);
    const sums = [1 + 4, 1 + 4 + 9, 4 + 9 + 16, 9 + 16];
    expectClose(y.data, [1, 2, 3, 4].map((v, c) => v * Math.pow(2 + (0.6 / 3) * sums[c], -0.75)));
  });

  it('uses (1 + alpha/n² · Σx²)^-beta over the n×n window, dividing by n² even at the border and ignoring k (WITHIN_CHANNEL)', () => {
    const x = tensor([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const [y] = forward(L('LRN', { lrn_param: { local_size: 3, alpha: 0.9, beta: 0.75, k: 5, norm_region: 'WITHIN_CHANNEL' } }), [x]);
    const at = (h: number, w: number): number => (h < 0 || h > 2 || w < 0 || w > 2 ? 0 : x.data[h * 3 + w]);
    const expected = Array.from(x.data, (v, i) => {
      const [h, w] = [Math.floor(i / 3), i % 3];
      let s = 0;
      for (let dh = -1; dh <= 1; dh++) for (let dw = -1; dw <= 1; dw++) s += at(h + dh, w + dw) ** 2;
      return v * Math.pow(1 + (0.9 / 9) * s, -0.75);
    });
    expectClose(y.data, expected);
  });
});

describe('Softmax reference (softmax_layer.cpp)', () => {
  it('normalises exp over channels at every spatial position (TestForward)', () => {
    const x = random([2, 5, 2, 3], 31);
    const [y] = forward(L('Softmax', {}), [x]);
    for (let n = 0; n < 2; n++)
      for (let s = 0; s < 6; s++) {
        const at = (c: number): number => (n * 5 + c) * 6 + s;
        const z = [0, 1, 2, 3, 4].reduce((acc, c) => acc + Math.exp(x.data[at(c)]), 0);
        for (let c = 0; c < 5; c++) expect(y.data[at(c)]).toBeCloseTo(Math.exp(x.data[at(c)]) / z, 6);
      }
  });

  it('works over any axis (axis 2, as UltraFace scores) and stays finite for large logits', () => {
    const x = tensor([1, 2, 2], [1000, 1001, -5, 5]);
    const [y] = forward(L('Softmax', { softmax_param: { axis: 2 } }), [x]);
    const e = Math.exp(-1);
    expectClose(y.data, [e / (1 + e), 1 / (1 + e), 1 / (1 + Math.exp(10)), 1 / (1 + Math.exp(-10))]);
  });
});

describe('Normalize reference (SSD normalize_layer.cpp)', () => {
  const x = tensor([1, 2, 1, 2], [3, 0, 4, 2]);

  it('divides by the L2 norm over C·H·W plus eps with across_spatial, then by the shared scale', () => {
    const [y] = forward(L('Normalize', { norm_param: { eps: 0 } }), [x], [tensor([], [10])]);
    const norm = Math.sqrt(9 + 16 + 4);
    expectClose(y.data, [30 / norm, 0, 40 / norm, 20 / norm]);
  });

  it('divides by the per-position norm over channels without across_spatial, and scales per channel', () => {
    const [y] = forward(L('Normalize', { norm_param: { across_spatial: false, channel_shared: false, eps: 0 } }), [x], [tensor([2], [1, 2])]);
    expectClose(y.data, [3 / 5, 0, 2 * (4 / 5), 2 * 1]);
  });

  it('adds eps to the sum of squares, under the square root', () => {
    const [y] = forward(L('Normalize', { norm_param: { eps: 0.71 } }), [x], [tensor([], [1])]);
    expectClose(y.data, Array.from(x.data, (v) => v / Math.sqrt(29.71)));
  });
});

describe('MVN reference (mvn_layer.cpp)', () => {
  const x = tensor([1, 2, 1, 4], [1, 2, 3, 6, -1, -1, -1, -1]);

  it('subtracts the mean and divides by (std + eps) per channel', () => {
    const [y] = forward(L('MVN', { mvn_param: { eps: 0.5 } }), [x]);
    const std = Math.sqrt((4 + 1 + 0 + 9) / 4);
    expectClose(y.data, [...[-2, -1, 0, 3].map((d) => d / (std + 0.5)), 0, 0, 0, 0]);
  });

  it('only subtracts the mean without normalize_variance, and pools channels with across_channels', () => {
    expectClose(forward(L('MVN', { mvn_param: { normalize_variance: false } }), [x])[0].data, [-2, -1, 0, 3, 0, 0, 0, 0]);
    expectClose(forward(L('MVN', { mvn_param: { normalize_variance: false, across_channels: true } }), [x])[0].data, [0, 1, 2, 5, -2, -2, -2, -2]);
  });
});
