import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import { expectClose, forward, tensor } from './helpers.js';

const pool = (pooling_param: Message, tops = ['pool']): Message => ({ name: 'pool', type: 'Pooling', bottom: ['x'], top: tops, pooling_param });

/** `plane` repeated for each of `planes` (num × channels) planes. */
const repeat = (plane: number[], planes: number): number[] => Array.from({ length: planes }, () => plane).flat();

// test_pooling_layer.cpp's hand-written inputs and outputs.
const SQUARE_IN = [1, 2, 5, 2, 3, 9, 4, 1, 4, 8, 1, 2, 5, 2, 3];
const MAGIC6 = [35, 1, 6, 26, 19, 24, 3, 32, 7, 21, 23, 25, 31, 9, 2, 22, 27, 20, 8, 28, 33, 17, 10, 15, 30, 5, 34, 12, 14, 16, 4, 36, 29, 13, 18, 11];

describe('Pooling reference (pooling_layer.cpp, test_pooling_layer.cpp)', () => {
  it('max-pools 2x2 over 3x5 planes to [9 5 5 8; 9 5 5 8] with the mask [5 2 2 9; 5 12 12 9] (TestForwardSquare, TestForwardMaxTopMask)', () => {
    const [top, mask] = forward(pool({ kernel_size: 2, pool: 'MAX' }, ['pool', 'mask']), [tensor([2, 2, 3, 5], repeat(SQUARE_IN, 4))]);
    expect(Array.from(top.data)).toEqual(repeat([9, 5, 5, 8, 9, 5, 5, 8], 4));
    expect(Array.from(mask.data)).toEqual(repeat([5, 2, 2, 9, 5, 12, 12, 9], 4));
  });

  it('max-pools magic(6) with a 3x2 kernel to the expected 4x5 values and mask (TestForwardRectHigh)', () => {
    const [top, mask] = forward(pool({ kernel_h: 3, kernel_w: 2, pool: 'MAX' }, ['pool', 'mask']), [tensor([2, 2, 6, 6], repeat(MAGIC6, 4))]);
    expect(Array.from(top.data)).toEqual(repeat([35, 32, 26, 27, 27, 32, 33, 33, 27, 27, 31, 34, 34, 27, 27, 36, 36, 34, 18, 18], 4));
    expect(Array.from(mask.data)).toEqual(repeat([0, 7, 3, 16, 16, 7, 20, 20, 16, 16, 12, 26, 26, 16, 16, 31, 31, 26, 34, 34], 4));
  });

  it('max-pools magic(6) with a 2x3 kernel to the expected 5x4 values and mask (TestForwardRectWide)', () => {
    const [top, mask] = forward(pool({ kernel_h: 2, kernel_w: 3, pool: 'MAX' }, ['pool', 'mask']), [tensor([2, 2, 6, 6], repeat(MAGIC6, 4))]);
    expect(Array.from(top.data)).toEqual(repeat([35, 32, 26, 26, 32, 32, 27, 27, 33, 33, 33, 27, 34, 34, 34, 17, 36, 36, 34, 18], 4));
    expect(Array.from(mask.data)).toEqual(repeat([0, 7, 3, 3, 7, 7, 16, 16, 20, 20, 20, 16, 26, 26, 26, 21, 31, 31, 26, 34], 4));
  });

  it('ignores the padding in MAX pooling: 3x3 kernel, stride 2, pad 2 gives [1 4 4; 4 4 4; 4 4 1] (TestForwardMaxPadded)', () => {
    const [top] = forward(pool({ kernel_size: 3, stride: 2, pad: 2, pool: 'MAX' }), [tensor([1, 1, 3, 3], [1, 2, 4, 2, 3, 2, 4, 2, 1])]);
    expect(Array.from(top.data)).toEqual([1, 4, 4, 4, 4, 4, 4, 4, 1]);
  });

  it('keeps negative maxima where a window reaches into the padding or past the image (ceil mode)', () => {
    const [top] = forward(pool({ kernel_size: 3, stride: 2, pad: 1, pool: 'MAX' }), [tensor([1, 1, 4, 4], (i) => -1 - i)]);
    // 4 → ceil((4 + 2 - 3) / 2) + 1 = 3 windows per axis, starting at -1, 1, 3.
    expect(Array.from(top.data)).toEqual([-1, -2, -4, -5, -6, -8, -13, -14, -16]);
  });

  it('averages a constant 2 over 3x3 windows with pad 1 to 8/9 at corners, 4/3 at edges and 2 inside (TestForwardAve)', () => {
    const [top] = forward(pool({ kernel_size: 3, stride: 1, pad: 1, pool: 'AVE' }), [tensor([1, 1, 3, 3], () => 2)]);
    expectClose(top.data, [8 / 9, 4 / 3, 8 / 9, 4 / 3, 2, 4 / 3, 8 / 9, 4 / 3, 8 / 9], 1e-6);
  });

  it('divides AVE by the window clipped to image + pad, not counting the ceil-mode overhang past the padding', () => {
    // 6 wide, kernel 3, stride 2, pad 1: windows start at -1, 1, 3, 5 and the last one, [5, 8), is clipped to
    // image + pad = 7, so it counts 2 rows (the image's last row and one padded row), not 3 and not 1.
    const [top] = forward(pool({ kernel_size: 3, stride: 2, pad: 1, pool: 'AVE' }), [tensor([1, 1, 6, 6], () => 1)]);
    const axis = [2 / 3, 1, 1, 1 / 2];
    expectClose(top.data, axis.flatMap((r) => axis.map((c) => r * c)), 1e-6);
  });

  it('pools the whole plane with global_pooling (MAX and AVE)', () => {
    const x = tensor([1, 2, 2, 3], [1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6]);
    expect(Array.from(forward(pool({ global_pooling: true, pool: 'MAX' }), [x])[0].data)).toEqual([6, -1]);
    expectClose(forward(pool({ global_pooling: true, pool: 'AVE' }), [x])[0].data, [3.5, -3.5]);
  });

  it('computes STOCHASTIC pooling at test time as Σx² / Σx over the window (pooling_layer.cu StoPoolForwardTest)', () => {
    const [top] = forward(pool({ kernel_size: 2, stride: 2, pool: 'STOCHASTIC' }), [tensor([1, 1, 2, 2], [1, 2, 3, 4])]);
    expectClose(top.data, [30 / 10]);
  });
});
