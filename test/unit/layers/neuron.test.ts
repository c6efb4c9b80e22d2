import { describe, expect, it } from 'vitest';
import { expectShapeError, layer, shapesOf, topsOf } from './helpers.js';

// test_neuron_layer.cpp's bottom.
const B = [[2, 3, 4, 5]];

describe('element-wise (neuron) layers', () => {
  it.each(['ReLU', 'Sigmoid', 'TanH', 'ELU', 'AbsVal', 'BNLL', 'Power', 'Exp', 'Log', 'Dropout', 'Threshold', 'Swish'])(
    '%s keeps the bottom shape and has no learnable blobs',
    (type) => {
      expect(shapesOf(layer(type), B)).toEqual({ tops: [[2, 3, 4, 5]], blobs: [] });
      expect(topsOf(layer(type), [[7]])).toEqual([[7]]);
    },
  );

  it('Clip keeps the bottom shape once min and max are given', () => {
    expect(topsOf(layer('Clip', { clip_param: { min: -1, max: 1 } }), B)).toEqual(B);
  });

  it('allows ReLU in place', () => {
    expect(topsOf({ name: 'relu', type: 'ReLU', bottom: ['x'], top: ['x'] }, B)).toEqual(B);
  });

  it('fails like Caffe CHECKs, naming the layer and the field', () => {
    expectShapeError(() => shapesOf({ name: 'abs', type: 'AbsVal', bottom: ['x'], top: ['x'] }, B), 'top', /in-place/);
    expectShapeError(() => shapesOf(layer('Exp', { exp_param: { base: 0 } }), B), 'exp_param.base', /strictly positive/);
    expectShapeError(() => shapesOf(layer('Log', { log_param: { base: -2 } }), B), 'log_param.base', /strictly positive/);
    expectShapeError(() => shapesOf(layer('Log', { log_param: { base: 1 } }), B), 'log_param.base', /inf/);
    expectShapeError(() => shapesOf(layer('Clip', { clip_param: { min: 0 } }), B), 'clip_param.max', /required/);
    expectShapeError(() => shapesOf(layer('ReLU'), [[1], [1]]), 'bottom');
  });
});

describe('PReLU shape rule (prelu_layer.cpp)', () => {
  it('learns one slope per channel: blob [3] for (2,3,4,5) (TestPReLUParam)', () => {
    expect(shapesOf(layer('PReLU'), B)).toEqual({ tops: [[2, 3, 4, 5]], blobs: [[3]] });
  });

  it('learns a single slope as a 0-axis blob when channel_shared (vector<int>(0))', () => {
    expect(shapesOf(layer('PReLU', { prelu_param: { channel_shared: true } }), B).blobs).toEqual([[]]);
  });

  it('reads the channel axis of a 2-D blob: (1,128) gives [128] (MTCNN R-Net after fc)', () => {
    expect(shapesOf(layer('PReLU'), [[1, 128]]).blobs).toEqual([[128]]);
  });

  it('fails on fewer than 2 axes and, through the legacy channels() accessor, on more than 4', () => {
    expectShapeError(() => shapesOf(layer('PReLU'), [[5]]), 'bottom', />= 2/);
    expectShapeError(() => shapesOf(layer('PReLU'), [[1, 2, 3, 4, 5]]), 'bottom', /legacy/);
  });
});
