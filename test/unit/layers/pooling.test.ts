import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import { expectShapeError, layer, shapesOf, topsOf } from './helpers.js';

const pool = (pooling_param: Message, extra: Message = {}) =>
  layer('Pooling', { pooling_param, ...extra }, 'pool');
// test_pooling_layer.cpp's bottom.
const B = [[2, 3, 6, 5]];

describe('Pooling shape rule (pooling_layer.cpp)', () => {
  it('pools (2,3,6,5) with kernel 3, stride 2 to (2,3,3,2) (TestSetup)', () => {
    const out = shapesOf(pool({ kernel_size: 3, stride: 2 }), B);
    expect(out).toEqual({ tops: [[2, 3, 3, 2]], blobs: [] });
  });

  it('pools (2,3,6,5) with kernel 3, stride 2, pad 1 to (2,3,4,3) (TestSetupPadded)', () => {
    expect(topsOf(pool({ kernel_size: 3, stride: 2, pad: 1, pool: 'AVE' }), B)).toEqual([[2, 3, 4, 3]]);
  });

  it('pools globally to (2,3,1,1) (TestSetupGlobalPooling)', () => {
    expect(topsOf(pool({ global_pooling: true, pool: 'AVE' }), B)).toEqual([[2, 3, 1, 1]]);
  });

  it('pools the test forward cases: 3x5 by 2 to 2x4, 6x6 by 3x2 to 4x5 and by 2x3 to 5x4 (TestForwardMax)', () => {
    expect(topsOf(pool({ kernel_size: 2 }), [[2, 2, 3, 5]])).toEqual([[2, 2, 2, 4]]);
    expect(topsOf(pool({ kernel_h: 3, kernel_w: 2 }), [[2, 2, 6, 6]])).toEqual([[2, 2, 4, 5]]);
    expect(topsOf(pool({ kernel_h: 2, kernel_w: 3 }), [[2, 2, 6, 6]])).toEqual([[2, 2, 5, 4]]);
  });

  it('pools 3x3 with kernel 3, stride 2, pad 2 to 3x3 and with stride 1, pad 1 to 3x3 (TestForwardMaxPadded, TestForwardAve)', () => {
    expect(topsOf(pool({ kernel_size: 3, stride: 2, pad: 2 }), [[1, 1, 3, 3]])).toEqual([[1, 1, 3, 3]]);
    expect(topsOf(pool({ kernel_size: 3, stride: 1, pad: 1, pool: 'AVE' }), [[1, 1, 3, 3]])).toEqual([[1, 1, 3, 3]]);
  });

  it('pools 109x109 to 37x37 with Caffe ceil rounding, and to 36x36 with round_mode FLOOR', () => {
    expect(topsOf(pool({ kernel_size: 3, stride: 3 }), [[1, 8, 109, 109]])).toEqual([[1, 8, 37, 37]]);
    expect(topsOf(pool({ kernel_size: 3, stride: 3, round_mode: 'FLOOR' }), [[1, 8, 109, 109]])).toEqual([[1, 8, 36, 36]]);
  });

  it('pools 22x22 with a 3x3/2 window to 11x11 where floor would give 10 (MTCNN R-Net)', () => {
    expect(topsOf(pool({ kernel_size: 3, stride: 2 }), [[1, 28, 22, 22]])).toEqual([[1, 28, 11, 11]]);
  });

  it('drops a last window that would start in the padding: 5 wide, kernel 2, stride 2, pad 1 gives 3, not 4', () => {
    expect(topsOf(pool({ kernel_size: 2, stride: 2, pad: 1 }), [[1, 1, 5, 5]])).toEqual([[1, 1, 3, 3]]);
  });

  it('yields one window when the kernel overhangs the input by less than a stride', () => {
    expect(topsOf(pool({ kernel_size: 3, stride: 2 }), [[1, 1, 2, 2]])).toEqual([[1, 1, 1, 1]]);
  });

  it('gives MAX pooling an optional second top, the mask, of the same shape', () => {
    expect(topsOf(pool({ kernel_size: 3, stride: 2 }, { top: ['pool', 'mask'] }), B)).toEqual([
      [2, 3, 3, 2],
      [2, 3, 3, 2],
    ]);
  });

  it('fails like Caffe CHECKs, naming the layer and the field', () => {
    expectShapeError(() => shapesOf(pool({ kernel_size: 3, pool: 'AVE' }, { top: ['a', 'b'] }), B), 'top', /at most 1 top/);
    expectShapeError(() => shapesOf(pool({ kernel_size: 3 }), [[2, 3, 6]]), 'bottom', /4 axes/);
    expectShapeError(() => shapesOf(pool({}), B), 'pooling_param.kernel_size', /kernel_size OR kernel_h/);
    expectShapeError(() => shapesOf(pool({ kernel_h: 3 }), B), 'pooling_param.kernel_size');
    expectShapeError(() => shapesOf(pool({ global_pooling: true, kernel_size: 3 }), B), 'pooling_param.kernel_size', /global_pooling/);
    expectShapeError(() => shapesOf(pool({ global_pooling: true, stride: 2 }), B), 'pooling_param.global_pooling', /stride = 1/);
    expectShapeError(() => shapesOf(pool({ global_pooling: true, pad: 1 }), B), 'pooling_param.global_pooling', /pad = 0/);
    expectShapeError(() => shapesOf(pool({ kernel_size: 0 }), B), 'pooling_param.kernel_size', /cannot be zero/);
    expectShapeError(() => shapesOf(pool({ kernel_size: 3, pad: 1, pad_h: 1 }), B), 'pooling_param.pad');
    expectShapeError(() => shapesOf(pool({ kernel_size: 3, stride: 2, stride_h: 2 }), B), 'pooling_param.stride');
    expectShapeError(() => shapesOf(pool({ kernel_size: 3, pad: 3 }), B), 'pooling_param.pad', /smaller than the kernel/);
    expectShapeError(() => shapesOf(pool({ kernel_size: 3, pad: 1, pool: 'STOCHASTIC' }), B), 'pooling_param.pad', /average and max/);
    expectShapeError(() => shapesOf(pool({ kernel_size: 9 }), B), 'pooling_param.kernel_size', /empty output/);
  });
});
