import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import { expectClose, forward, tensor } from './helpers.js';

const L = (type: string, params: Message, bottom = ['x'], top = ['y']): Message => ({ name: type.toLowerCase(), type, bottom, top, ...params });
const iota = (shape: number[]) => tensor(shape, (i) => i);
const values = (b: { data: Float32Array }): number[] => Array.from(b.data);

describe('Concat and Slice references (concat_layer.cpp, slice_layer.cpp)', () => {
  const a = iota([2, 1, 2]);
  const b = tensor([2, 2, 2], (i) => 100 + i);

  it('concatenates along channels by default, item by item (TestForwardChannels)', () => {
    const [y] = forward(L('Concat', {}, ['a', 'b']), [a, b]);
    expect(y.shape).toEqual([2, 3, 2]);
    expect(values(y)).toEqual([0, 1, 100, 101, 102, 103, 2, 3, 104, 105, 106, 107]);
  });

  it('concatenates along the batch with axis 0 and along the last axis with axis -1', () => {
    expect(values(forward(L('Concat', { concat_param: { axis: 0 } }, ['a', 'b']), [a, a])[0])).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    const [y] = forward(L('Concat', { concat_param: { axis: -1 } }, ['a', 'b']), [a, iota([2, 1, 1])]);
    expect(values(y)).toEqual([0, 1, 0, 2, 3, 1]);
  });

  it('slices at slice_points along the axis, the last top taking the rest (TestSliceAcrossChannels)', () => {
    const [p, q] = forward(L('Slice', { slice_param: { axis: 1, slice_point: [1] } }, ['x'], ['p', 'q']), [b]);
    expect(values(p)).toEqual([100, 101, 104, 105]);
    expect(values(q)).toEqual([102, 103, 106, 107]);
  });

  it('splits the axis evenly without slice_points, and reads the legacy slice_dim', () => {
    const tops = forward(L('Slice', { slice_param: { slice_dim: 2 } }, ['x'], ['p', 'q']), [b]);
    expect(tops.map(values)).toEqual([
      [100, 102, 104, 106],
      [101, 103, 105, 107],
    ]);
  });
});

describe('copying and reshaping references', () => {
  const x = iota([2, 3, 2, 2]);

  it('Split gives every top the bottom values', () => {
    const tops = forward(L('Split', {}, ['x'], ['a', 'b', 'c']), [x]);
    for (const t of tops) expect(values(t)).toEqual(values(x));
  });

  it('Flatten keeps Caffe C·H·W memory order: (2,3,2,2) to (2,12)', () => {
    const [y] = forward(L('Flatten', {}), [x]);
    expect(y.shape).toEqual([2, 12]);
    expect(values(y)).toEqual(values(x));
  });

  it('Reshape with [0, -1, 2] copies the batch, infers the middle and keeps the memory order', () => {
    const [y] = forward(L('Reshape', { reshape_param: { shape: { dim: [0, -1, 2] } } }), [x]);
    expect(y.shape).toEqual([2, 6, 2]);
    expect(values(y)).toEqual(values(x));
  });

  it('Permute (0,2,3,1) moves channels last, as SSD heads do', () => {
    const [y] = forward(L('Permute', { permute_param: { order: [0, 2, 3, 1] } }), [x]);
    expect(y.shape).toEqual([2, 2, 2, 3]);
    expect(values(y).slice(0, 6)).toEqual([0, 4, 8, 1, 5, 9]);
  });

  it('Permute appends the axes its order leaves out: order [1] of (2,3,4) is (3,2,4)', () => {
    const [y] = forward(L('Permute', { permute_param: { order: [1] } }), [iota([2, 3, 4])]);
    expect(y.shape).toEqual([3, 2, 4]);
    expect(values(y).slice(0, 8)).toEqual([0, 1, 2, 3, 12, 13, 14, 15]);
  });

  it("Crop takes bottom[1]'s size from axis 2 on, at one offset for every cropped axis", () => {
    const big = iota([1, 1, 4, 5]);
    const [y] = forward(L('Crop', { crop_param: { offset: [1] } }, ['x', 'ref']), [big, iota([1, 1, 2, 3])]);
    expect(y.shape).toEqual([1, 1, 2, 3]);
    expect(values(y)).toEqual([6, 7, 8, 11, 12, 13]);
  });

  it('Crop uses one offset per axis from `axis` on', () => {
    const big = iota([2, 3, 4, 5]);
    const [y] = forward(L('Crop', { crop_param: { axis: 1, offset: [1, 2, 3] } }, ['x', 'ref']), [big, iota([2, 2, 1, 2])]);
    expect(values(y)).toEqual([33, 34, 53, 54, 93, 94, 113, 114]);
  });

  it('Tile repeats the blocks from `axis` on: (2,2) tiled 3 times on axis 1 is (2,6)', () => {
    const [y] = forward(L('Tile', { tile_param: { axis: 1, tiles: 3 } }), [iota([2, 2])]);
    expect(values(y)).toEqual([0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3]);
  });

  it('Silence produces no top', () => {
    expect(forward({ name: 'silence', type: 'Silence', bottom: ['x'], top: [] }, [x])).toEqual([]);
  });
});

describe('Reduction reference (reduction_layer.cpp)', () => {
  const x = tensor([2, 3], [1, -2, 3, -4, 5, -6]);
  it.each([
    ['SUM', [2, -5]],
    ['ASUM', [6, 15]],
    ['SUMSQ', [14, 77]],
    ['MEAN', [2 / 3, -5 / 3]],
  ] as const)('reduces every axis from `axis` on with %s, times coeff', (operation, expected) => {
    const [y] = forward(L('Reduction', { reduction_param: { operation, axis: 1, coeff: 2 } }), [x]);
    expect(y.shape).toEqual([2]);
    expectClose(y.data, expected.map((v) => 2 * v));
  });

  it('reduces the whole blob to a 0-axis scalar with axis 0 (the default)', () => {
    const [y] = forward(L('Reduction', {}), [x]);
    expect(y.shape).toEqual([]);
    expect(values(y)).toEqual([-3]);
  });
});

describe('ArgMax reference (argmax_layer.cpp)', () => {
  const x = tensor([2, 4], [1, 3, 3, 2, -1, -5, 0, -2]);

  it('gives the index of the maximum per item as (N, 1, 1)', () => {
    const [y] = forward(L('ArgMax', {}), [x]);
    expect(y.shape).toEqual([2, 1, 1]);
    expect(values(y)).toEqual([2, 2]);
  });

  it('ranks equal values with the higher index first (std::greater on (value, index) pairs) and adds the values with out_max_val', () => {
    const [y] = forward(L('ArgMax', { argmax_param: { top_k: 2, out_max_val: true } }), [x]);
    expect(y.shape).toEqual([2, 2, 2]);
    expect(values(y)).toEqual([2, 1, 3, 3, 2, 0, 0, -1]);
  });

  it('works along `axis`, giving values instead of indices with out_max_val', () => {
    const z = tensor([2, 3], [1, 9, 2, 8, 0, 7]);
    expect(values(forward(L('ArgMax', { argmax_param: { axis: 0 } }), [z])[0])).toEqual([1, 0, 1]);
    expect(values(forward(L('ArgMax', { argmax_param: { axis: 1, out_max_val: true } }), [z])[0])).toEqual([9, 8]);
  });
});
