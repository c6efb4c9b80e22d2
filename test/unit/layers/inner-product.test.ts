import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import { expectShapeError, layer, shapesOf } from './helpers.js';

const ip = (inner_product_param: Message) => layer('InnerProduct', { inner_product_param }, 'fc');

describe('InnerProduct shape rule (inner_product_layer.cpp)', () => {
  // test_inner_product_layer.cpp: bottom (2,3,4,5), num_output 10.
  it('maps (2,3,4,5) to (2,10) with weights [10, 60] and bias [10] (TestSetUp, TestSetUpTransposeFalse)', () => {
    expect(shapesOf(ip({ num_output: 10 }), [[2, 3, 4, 5]])).toEqual({ tops: [[2, 10]], blobs: [[10, 60], [10]] });
    expect(shapesOf(ip({ num_output: 10, transpose: false }), [[2, 3, 4, 5]]).blobs[0]).toEqual([10, 60]);
  });

  it('stores transposed weights as [60, 10] (TestSetUpTransposeTrue)', () => {
    expect(shapesOf(ip({ num_output: 10, transpose: true }), [[2, 3, 4, 5]]).blobs[0]).toEqual([60, 10]);
  });

  it('runs without a batch axis on (1,2,3,4) (TestForwardNoBatch)', () => {
    expect(shapesOf(ip({ num_output: 10 }), [[1, 2, 3, 4]]).tops).toEqual([[1, 10]]);
  });

  it('keeps the axes before `axis` and flattens the rest: (2,3,4,5) at axis 2 gives (2,3,7) with K = 20', () => {
    expect(shapesOf(ip({ num_output: 7, axis: 2, bias_term: false }), [[2, 3, 4, 5]])).toEqual({ tops: [[2, 3, 7]], blobs: [[7, 20]] });
    expect(shapesOf(ip({ num_output: 7, axis: -1 }), [[2, 3, 4, 5]]).tops).toEqual([[2, 3, 4, 7]]);
  });

  it('fails on an axis outside the bottom', () => {
    expectShapeError(() => shapesOf(ip({ num_output: 7, axis: 4 }), [[2, 3, 4, 5]]), 'inner_product_param.axis', /out of range/);
    expectShapeError(() => shapesOf(ip({ num_output: 7, axis: -5 }), [[2, 3, 4, 5]]), 'inner_product_param.axis');
  });
});
