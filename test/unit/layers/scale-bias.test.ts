import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import { expectShapeError, layer, shapesOf } from './helpers.js';

// test_scale_layer.cpp / test_bias_layer.cpp: bottom (2,3,4,5), second bottoms (2,3,4,5), (2,3),
// (3,4), (4,5) and a 0-axis scalar.
const B = [2, 3, 4, 5];
const two = (type: string, param: Message) => ({
  name: type.toLowerCase(),
  type,
  bottom: ['x', 'operand'],
  top: [type.toLowerCase()],
  ...param,
});

describe.each([
  ['Scale', 'scale_param'],
  ['Bias', 'bias_param'],
])('%s shape rule', (type, P) => {
  it.each([
    ['an element-wise (2,3,4,5) operand at axis 0 (TestForwardEltwise)', 0, [2, 3, 4, 5]],
    ['a (2,3) operand at axis 0 (TestForwardBroadcastBegin)', 0, [2, 3]],
    ['a (3,4) operand at axis 1 (TestForwardBroadcastMiddle)', 1, [3, 4]],
    ['a (4,5) operand at axis 2 (TestForwardBroadcastEnd)', 2, [4, 5]],
    ['a 0-axis scalar operand at the default axis', undefined, []],
    ['a 0-axis scalar operand at axis 2, whatever the axis', 2, []],
  ])('takes %s as the second bottom, keeping (2,3,4,5) and learning nothing', (_what, axis, operand) => {
    const l = two(type, axis === undefined ? {} : { [P]: { axis } });
    expect(shapesOf(l, [B, operand as number[]])).toEqual({ tops: [B], blobs: [] });
  });

  it('learns a blob of bottom[axis : axis+num_axes]: (3,4) for axis 1, num_axes 2 (TestForwardBroadcastMiddleWithParam)', () => {
    expect(shapesOf(layer(type, { [P]: { axis: 1, num_axes: 2 } }), [B])).toEqual({ tops: [B], blobs: [[3, 4]] });
  });

  it('learns the whole shape with num_axes -1 (TestForwardEltwiseWithParam) and a scalar with num_axes 0', () => {
    expect(shapesOf(layer(type, { [P]: { axis: 0, num_axes: -1 } }), [B]).blobs).toEqual([[2, 3, 4, 5]]);
    expect(shapesOf(layer(type, { [P]: { num_axes: 0 } }), [B]).blobs).toEqual([[]]);
  });

  it('learns one value per channel by default', () => {
    expect(shapesOf(layer(type), [[1, 32, 150, 150]]).blobs).toEqual([[32]]);
  });

  it('fails like Caffe CHECKs, naming the layer and the field', () => {
    expectShapeError(() => shapesOf(two(type, { [P]: { axis: 1 } }), [B, [4, 5]]), `${P}.axis`, /dimension mismatch/);
    expectShapeError(() => shapesOf(two(type, { [P]: { axis: 3 } }), [B, [5, 1]]), `${P}.axis`, /extends past/);
    expectShapeError(() => shapesOf(layer(type, { [P]: { axis: 3, num_axes: 2 } }), [B]), `${P}.num_axes`, /extends past/);
    expectShapeError(() => shapesOf(layer(type, { [P]: { num_axes: -2 } }), [B]), `${P}.num_axes`, /non-negative/);
    expectShapeError(() => shapesOf(layer(type, { [P]: { axis: 4 } }), [B]), `${P}.axis`, /out of range/);
  });
});

describe('Scale with bias_term (scale_layer.cpp)', () => {
  it('follows the learned scale [C] with a bias of the same shape, the BatchNorm + Scale pattern', () => {
    expect(shapesOf(layer('Scale', { scale_param: { bias_term: true } }), [[1, 32, 150, 150]]).blobs).toEqual([[32], [32]]);
  });

  it('shapes the bias like the learned scale for axis 1, num_axes 2 (TestForwardBroadcastMiddleWithParamAndBias)', () => {
    expect(shapesOf(layer('Scale', { scale_param: { axis: 1, num_axes: 2, bias_term: true } }), [B]).blobs).toEqual([[3, 4], [3, 4]]);
  });

  it("learns only the bias, shaped by the second bottom's axes, when the scale is a second bottom", () => {
    expect(shapesOf(two('Scale', { scale_param: { bias_term: true } }), [B, []]).blobs).toEqual([[]]);
    expect(shapesOf(two('Scale', { scale_param: { axis: 1, bias_term: true } }), [B, [3, 4]]).blobs).toEqual([[3, 4]]);
  });
});
