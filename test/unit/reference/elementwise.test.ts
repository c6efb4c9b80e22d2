import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import { expectClose, forward, random, tensor } from './helpers.js';

const neuron = (type: string, params: Message = {}): Message => ({ name: type.toLowerCase(), type, bottom: ['x'], top: ['y'], ...params });
const X = tensor([1, 2, 2, 2], [-3, -1, -0.5, 0, 0.25, 1, 2, 40]);
const xs = Array.from(X.data);
const run = (type: string, params: Message = {}): number[] => Array.from(forward(neuron(type, params), [X])[0].data);

describe('neuron layer references (test_neuron_layer.cpp, test_power_layer.cpp)', () => {
  it('ReLU keeps positives and zeroes negatives', () => {
    expect(run('ReLU')).toEqual(xs.map((x) => (x > 0 ? x : 0)));
  });

  it('ReLU with negative_slope 0.01 scales the negatives (TestReLUWithNegativeSlope)', () => {
    expectClose(run('ReLU', { relu_param: { negative_slope: 0.01 } }), xs.map((x) => (x > 0 ? x : 0.01 * x)));
  });

  it('ELU is x for x > 0 and alpha·(e^x - 1) below (alpha 0.5)', () => {
    expectClose(run('ELU', { elu_param: { alpha: 0.5 } }), xs.map((x) => (x > 0 ? x : 0.5 * (Math.exp(x) - 1))));
  });

  it('Sigmoid is 1 / (1 + e^-x)', () => {
    expectClose(run('Sigmoid'), xs.map((x) => 1 / (1 + Math.exp(-x))));
  });

  it('TanH is (e^2x - 1) / (e^2x + 1)', () => {
    expectClose(run('TanH'), xs.map((x) => (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1)));
  });

  it('AbsVal is |x|', () => {
    expect(run('AbsVal')).toEqual(xs.map((x) => Math.abs(x)));
  });

  it('BNLL is log(1 + e^x), computed without overflow for large x', () => {
    expectClose(run('BNLL'), xs.map((x) => (x > 0 ? x + Math.log(1 + Math.exp(-x)) : Math.log(1 + Math.exp(x)))));
  });

  it('Exp with base 2, scale 0.5, shift 1 is 2^(1 + 0.5·x)', () => {
    expectClose(run('Exp', { exp_param: { base: 2, scale: 0.5, shift: 1 } }), xs.map((x) => 2 ** (1 + 0.5 * x)));
  });

  it('Exp with the default base -1 is e^x', () => {
    expectClose(run('Exp'), xs.map((x) => Math.exp(x)));
  });

  it('Log with base 10, scale 2, shift 7 is log10(7 + 2x)', () => {
    expectClose(run('Log', { log_param: { base: 10, scale: 2, shift: 7 } }), xs.map((x) => Math.log10(7 + 2 * x)), 1e-6);
  });

  it('Threshold gives 1 strictly above the threshold and 0 elsewhere', () => {
    expect(run('Threshold', { threshold_param: { threshold: 0.25 } })).toEqual(xs.map((x) => (x > 0.25 ? 1 : 0)));
  });

  it('Clip bounds the values to [min, max]', () => {
    expect(run('Clip', { clip_param: { min: -1, max: 1.5 } })).toEqual(xs.map((x) => Math.min(1.5, Math.max(-1, x))));
  });

  it('Swish with beta 1.5 is x·sigmoid(1.5x)', () => {
    expectClose(run('Swish', { swish_param: { beta: 1.5 } }), xs.map((x) => x / (1 + Math.exp(-1.5 * x))));
  });

  it('Dropout passes the values through unchanged at test time (TestDropoutTestPhase)', () => {
    expect(run('Dropout', { dropout_param: { dropout_ratio: 0.3 } })).toEqual(xs);
  });

  it.each([
    ['0.37', 0.37, 0.83, -2.4],
    ['0 (TestPowerZero: 1 everywhere)', 0, 0.83, -2.4],
    ['1 (TestPowerOne: an affine map)', 1, 0.83, -2.4],
    ['2 (TestPowerTwo)', 2, 0.34, -2.4],
    ['2 with scale 0 (shift^power everywhere)', 2, 0, -2.4],
  ])('Power with power %s is (shift + scale·x)^power, NaN for a negative base and fractional power', (_, power, scale, shift) => {
    const expected = xs.map((x) => Math.pow(shift + scale * x, power));
    expectClose(run('Power', { power_param: { power, scale, shift } }), expected, 1e-6);
    if (power === 0.37) expect(expected.some(Number.isNaN)).toBe(true);
  });
});

describe('PReLU reference (prelu_layer.cpp)', () => {
  const x = tensor([2, 3, 1, 2], [-1, 2, -3, 4, -5, 6, 1, -2, 3, -4, 5, -6]);
  const channel = (i: number): number => Math.floor(i / 2) % 3;

  it('scales the negatives of channel c by slope c (TestPReLUForward)', () => {
    const slopes = [0.1, 0.2, 0.3];
    const [y] = forward(neuron('PReLU'), [x], [tensor([3], slopes)]);
    expectClose(y.data, Array.from(x.data, (v, i) => (v > 0 ? v : slopes[channel(i)] * v)));
  });

  it('uses one slope for every channel with channel_shared (TestPReLUForwardChannelShared)', () => {
    const [y] = forward(neuron('PReLU', { prelu_param: { channel_shared: true } }), [x], [tensor([], [0.25])]);
    expectClose(y.data, Array.from(x.data, (v) => (v > 0 ? v : 0.25 * v)));
  });

  it('works on a 2-D (N, C) blob, as after an InnerProduct (MTCNN R-Net prelu4)', () => {
    const [y] = forward(neuron('PReLU'), [tensor([2, 2], [-1, -1, -2, 2])], [tensor([2], [0.5, 2])]);
    expect(Array.from(y.data)).toEqual([-0.5, -2, -1, 2]);
  });
});

describe('Eltwise reference (eltwise_layer.cpp, test_eltwise_layer.cpp)', () => {
  const a = tensor([1, 2, 1, 2], [1, -2, 3, 0.5]);
  const b = tensor([1, 2, 1, 2], [2, 4, -1, 0.5]);
  const c = tensor([1, 2, 1, 2], [-3, 1, 2, 8]);
  const elt = (eltwise_param: Message): Message => ({ name: 'elt', type: 'Eltwise', bottom: ['a', 'b', 'c'], top: ['y'], eltwise_param });
  const get = (p: Message): number[] => Array.from(forward(elt(p), [a, b, c])[0].data);

  it('multiplies with PROD (TestProd)', () => {
    expect(get({ operation: 'PROD' })).toEqual([-6, -8, -6, 2]);
  });

  it('adds with SUM, the default (TestSum)', () => {
    expect(get({})).toEqual([0, 3, 4, 9]);
  });

  it('weights SUM by the coefficients 1, -0.5, 2 (TestSumCoeff)', () => {
    expect(get({ operation: 'SUM', coeff: [1, -0.5, 2] })).toEqual([-6, -2, 7.5, 16.25]);
  });

  it('takes the element-wise maximum with MAX (TestMax)', () => {
    expect(get({ operation: 'MAX' })).toEqual([2, 4, 3, 8]);
  });
});

describe('BatchNorm reference (batch_norm_layer.cpp)', () => {
  const bn = (batch_norm_param: Message = {}): Message => ({ name: 'bn', type: 'BatchNorm', bottom: ['x'], top: ['x'], batch_norm_param });
  const x = tensor([1, 2, 1, 2], [3, 5, -1, 1]);

  it('divides the stored mean and variance by the moving-average factor blobs[2] and adds eps to the variance', () => {
    const [y] = forward(bn({ eps: 0.5 }), [x], [tensor([2], [4, -2]), tensor([2], [6, 1]), tensor([1], [2])]);
    // mean [2, -1], variance [3, 0.5]; (x - mean) / sqrt(variance + 0.5)
    expectClose(y.data, [1 / Math.sqrt(3.5), 3 / Math.sqrt(3.5), 0, 2]);
  });

  it('uses mean 0 and variance 0 when the factor is 0, leaving x / sqrt(eps)', () => {
    const [y] = forward(bn({ eps: 0.25 }), [x], [tensor([2], [4, -2]), tensor([2], [6, 1]), tensor([1], [0])]);
    expectClose(y.data, [6, 10, -2, 2]);
  });

  it('normalises with the batch statistics when use_global_stats is false (TestForward: zero mean, unit variance)', () => {
    const r = random([3, 2, 4, 5], 21);
    const [y] = forward(bn({ use_global_stats: false, eps: 0 }), [r], [tensor([2], [0, 0]), tensor([2], [0, 0]), tensor([1], [0])]);
    for (let c = 0; c < 2; c++) {
      const v = Array.from(y.data).filter((_, i) => Math.floor(i / 20) % 2 === c);
      const mean = v.reduce((s, q) => s + q, 0) / v.length;
      const variance = v.reduce((s, q) => s + (q - mean) ** 2, 0) / v.length;
      expect(mean).toBeCloseTo(0, 5);
      expect(variance).toBeCloseTo(1, 4);
    }
  });
});

describe('Scale and Bias references (scale_layer.cpp, bias_layer.cpp, test_scale_layer.cpp)', () => {
  const x = tensor([2, 3, 2], (i) => i + 1);
  const scale = (scale_param: Message, bottoms = ['x']): Message => ({ name: 'scale', type: 'Scale', bottom: bottoms, top: ['y'], scale_param });
  const bias = (bias_param: Message, bottoms = ['x']): Message => ({ name: 'bias', type: 'Bias', bottom: bottoms, top: ['y'], bias_param });

  it('multiplies channel c by the learned scale[c] (axis 1)', () => {
    const [y] = forward(scale({}), [x], [tensor([3], [1, 10, 100])]);
    expect(Array.from(y.data)).toEqual([1, 2, 30, 40, 500, 600, 7, 8, 90, 100, 1100, 1200]);
  });

  it('adds the learned bias after the scale with bias_term', () => {
    const [y] = forward(scale({ bias_term: true }), [x], [tensor([3], [2, 2, 2]), tensor([3], [0.5, 0, -0.5])]);
    expect(Array.from(y.data)).toEqual([2.5, 4.5, 6, 8, 9.5, 11.5, 14.5, 16.5, 18, 20, 21.5, 23.5]);
  });

  it('multiplies everything by a 0-axis scalar with num_axes 0', () => {
    const [y] = forward(scale({ num_axes: 0 }), [x], [tensor([], [-2])]);
    expect(Array.from(y.data)).toEqual(Array.from(x.data, (v) => -2 * v));
  });

  it('takes the scale from a second bottom spanning the trailing axes (as TestForwardBroadcastEnd)', () => {
    const s = tensor([3, 2], [1, 2, 3, 4, 5, 6]);
    const [y] = forward(scale({}, ['x', 's']), [x, s]);
    expect(Array.from(y.data)).toEqual([1, 4, 9, 16, 25, 36, 7, 16, 27, 40, 55, 72]);
  });

  it('broadcasts a learned scale over the first axis with axis 0, num_axes 1 (as TestForwardBroadcastBegin)', () => {
    const [y] = forward(scale({ axis: 0, num_axes: 1 }), [x], [tensor([2], [1, -1])]);
    expect(Array.from(y.data)).toEqual([1, 2, 3, 4, 5, 6, -7, -8, -9, -10, -11, -12]);
  });

  it('adds a learned per-channel bias, and a second-bottom bias over the last axis (axis -1)', () => {
    expect(Array.from(forward(bias({}), [x], [tensor([3], [1, 2, 3])])[0].data)).toEqual([2, 3, 5, 6, 8, 9, 8, 9, 11, 12, 14, 15]);
    const b = tensor([2], [100, 200]);
    expect(Array.from(forward(bias({ axis: -1 }, ['x', 'b']), [x, b])[0].data)).toEqual(Array.from(x.data, (v, i) => v + (i % 2 ? 200 : 100)));
  });
});
