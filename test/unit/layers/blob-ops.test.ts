import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import { expectShapeError, layer, shapesOf, topsOf } from './helpers.js';

const named = (type: string, bottom: string[], top: string[], params: Message = {}) => ({
  name: type.toLowerCase(),
  type,
  bottom,
  top,
  ...params,
});

describe('Eltwise shape rule (eltwise_layer.cpp)', () => {
  const three = (eltwise_param: Message) => named('Eltwise', ['a', 'b', 'c'], ['sum'], { eltwise_param });
  const B = [2, 3, 4, 5];

  it('combines bottoms of one shape, with one coefficient per bottom for SUM', () => {
    expect(shapesOf(three({ operation: 'SUM', coeff: [1, -0.5, 2] }), [B, B, B])).toEqual({ tops: [B], blobs: [] });
    expect(topsOf(three({ operation: 'PROD' }), [B, B, B])).toEqual([B]);
  });

  it('accepts (and ignores) coefficients with MAX, as Caffe only refuses them with PROD', () => {
    expect(topsOf(three({ operation: 'MAX', coeff: [1, 1, 1] }), [B, B, B])).toEqual([B]);
  });

  it('fails like Caffe CHECKs, naming the layer and the field', () => {
    expectShapeError(() => shapesOf(three({ coeff: [1, 1] }), [B, B, B]), 'eltwise_param.coeff', /one coefficient per bottom/);
    expectShapeError(() => shapesOf(three({ operation: 'PROD', coeff: [1, 1, 1] }), [B, B, B]), 'eltwise_param.coeff', /summation/);
    expectShapeError(() => shapesOf(three({}), [B, B, [2, 3, 4, 6]]), 'bottom', /same shape/);
  });
});

describe('Concat shape rule (concat_layer.cpp)', () => {
  // test_concat_layer.cpp: (2,3,6,5), (2,5,6,5), (5,3,6,5).
  const [b0, b1, b2] = [[2, 3, 6, 5], [2, 5, 6, 5], [5, 3, 6, 5]];
  const cat = (concat_param?: Message) => named('Concat', ['a', 'b'], ['cat'], concat_param ? { concat_param } : {});

  it('stacks (2,3,6,5) and (5,3,6,5) on axis 0 into (7,3,6,5) (TestSetupNum)', () => {
    expect(topsOf(cat({ axis: 0 }), [b0, b2])).toEqual([[7, 3, 6, 5]]);
  });

  it('stacks (2,3,6,5) and (2,5,6,5) on channels into (2,8,6,5), also as axis -3 (TestSetupChannels, ...NegativeIndexing)', () => {
    expect(topsOf(cat(), [b0, b1])).toEqual([[2, 8, 6, 5]]);
    expect(topsOf(cat({ axis: -3 }), [b0, b1])).toEqual([[2, 8, 6, 5]]);
  });

  it('passes one bottom through (TestForwardTrivial) and reads the legacy concat_dim', () => {
    expect(topsOf(named('Concat', ['a'], ['cat']), [b0])).toEqual([b0]);
    expect(topsOf(cat({ concat_dim: 0 }), [b0, b2])).toEqual([[7, 3, 6, 5]]);
  });

  it('fails like Caffe CHECKs, naming the layer and the field', () => {
    expectShapeError(() => shapesOf(cat({ axis: 1, concat_dim: 1 }), [b0, b1]), 'concat_param.concat_dim', /not both/);
    expectShapeError(() => shapesOf(cat({ concat_dim: 4 }), [b0, b1]), 'concat_param.concat_dim', /out of range/);
    expectShapeError(() => shapesOf(cat({ axis: 4 }), [b0, b1]), 'concat_param.axis', /out of range/);
    expectShapeError(() => shapesOf(cat(), [b0, b2]), 'bottom', /same shape, except at concat_axis/);
    expectShapeError(() => shapesOf(cat(), [b0, [2, 3, 30]]), 'bottom', /#axes/);
  });
});

describe('Slice shape rule (slice_layer.cpp)', () => {
  // test_slice_layer.cpp: bottom (6,12,2,3).
  const B = [6, 12, 2, 3];
  it('splits (6,12,2,3) evenly on axis 0 into three (2,12,2,3) (TestSetupNum)', () => {
    const l = named('Slice', ['x'], ['a', 'b', 'c'], { slice_param: { axis: 0 } });
    expect(topsOf(l, [B])).toEqual([[2, 12, 2, 3], [2, 12, 2, 3], [2, 12, 2, 3]]);
  });

  it('cuts channels at 3 into (6,3,2,3) and (6,9,2,3) (TestSetupChannels)', () => {
    const l = named('Slice', ['x'], ['a', 'b'], { slice_param: { slice_point: [3] } });
    expect(topsOf(l, [B])).toEqual([[6, 3, 2, 3], [6, 9, 2, 3]]);
  });

  it('cuts channels at 2 and 8 into 2, 6 and 4 channels (TestSliceAcrossChannels)', () => {
    const l = named('Slice', ['x'], ['a', 'b', 'c'], { slice_param: { slice_point: [2, 8] } });
    expect(topsOf(l, [B]).map((s) => s[1])).toEqual([2, 6, 4]);
  });

  it('passes one top through (TestTrivialSlice) and reads the legacy slice_dim', () => {
    expect(topsOf(named('Slice', ['x'], ['a']), [B])).toEqual([B]);
    expect(topsOf(named('Slice', ['x'], ['a', 'b'], { slice_param: { slice_dim: 0 } }), [B])).toEqual([
      [3, 12, 2, 3],
      [3, 12, 2, 3],
    ]);
  });

  it('fails like Caffe CHECKs, naming the layer and the field', () => {
    const two = (slice_param: Message) => named('Slice', ['x'], ['a', 'b'], { slice_param });
    expectShapeError(() => shapesOf(two({ axis: 1, slice_dim: 1 }), [B]), 'slice_param.slice_dim', /not both/);
    expectShapeError(() => shapesOf(two({ slice_point: [3, 6] }), [B]), 'slice_param.slice_point');
    expectShapeError(() => shapesOf(named('Slice', ['x'], ['a', 'b', 'c'], { slice_param: { slice_point: [6, 3] } }), [B]), 'slice_param.slice_point', /increase/);
    expectShapeError(() => shapesOf(two({ slice_point: [13] }), [B]), 'slice_param.slice_point', /past axis/);
    expectShapeError(() => shapesOf(named('Slice', ['x'], ['a', 'b', 'c', 'd', 'e']), [B]), 'top', /evenly divide/);
    expectShapeError(() => shapesOf(named('Slice', ['x'], ['a', 'b', 'c'], { slice_param: { axis: 2, slice_point: [1, 2] } }), [B]), 'slice_param.slice_point');
    expectShapeError(() => shapesOf(two({ slice_dim: 4 }), [B]), 'slice_param.slice_dim', /out of range/);
  });
});

describe('Split shape rule (split_layer.cpp)', () => {
  it('copies the bottom shape to every top', () => {
    expect(shapesOf(named('Split', ['x'], ['x_0', 'x_1', 'x_2']), [[1, 2, 3]])).toEqual({ tops: [[1, 2, 3], [1, 2, 3], [1, 2, 3]], blobs: [] });
  });

  it('fails when a top is the bottom itself', () => {
    expectShapeError(() => shapesOf(named('Split', ['x'], ['y', 'x']), [[1, 2, 3]]), 'top', /in-place/);
  });
});

describe('Flatten shape rule (flatten_layer.cpp)', () => {
  // test_flatten_layer.cpp: bottom (2,3,6,5).
  const B = [2, 3, 6, 5];
  it('flattens (2,3,6,5) to (2,90) (TestSetup)', () => {
    expect(shapesOf(layer('Flatten'), [B])).toEqual({ tops: [[2, 90]], blobs: [] });
  });
  it('flattens from axis 2 to (2,3,30) (TestSetupWithAxis)', () => {
    expect(topsOf(layer('Flatten', { flatten_param: { axis: 2 } }), [B])).toEqual([[2, 3, 30]]);
  });
  it('flattens to end_axis -2 giving (2,18,5) (TestSetupWithEndAxis)', () => {
    expect(topsOf(layer('Flatten', { flatten_param: { end_axis: -2 } }), [B])).toEqual([[2, 18, 5]]);
  });
  it('flattens axis 0 to end_axis -2 giving (36,5) (TestSetupWithStartAndEndAxis)', () => {
    expect(topsOf(layer('Flatten', { flatten_param: { axis: 0, end_axis: -2 } }), [B])).toEqual([[36, 5]]);
  });
  it('inserts a 1 when axis is end_axis + 1, as count(start, end+1) of an empty range', () => {
    expect(topsOf(layer('Flatten', { flatten_param: { axis: 2, end_axis: 1 } }), [B])).toEqual([[2, 3, 1, 6, 5]]);
  });
  it('fails in place, with axes out of range, and with axis past end_axis + 1', () => {
    expectShapeError(() => shapesOf(named('Flatten', ['x'], ['x']), [B]), 'top', /in-place/);
    expectShapeError(() => shapesOf(layer('Flatten', { flatten_param: { axis: 4 } }), [B]), 'flatten_param.axis', /out of range/);
    expectShapeError(() => shapesOf(layer('Flatten', { flatten_param: { end_axis: -5 } }), [B]), 'flatten_param.end_axis');
    expectShapeError(() => shapesOf(layer('Flatten', { flatten_param: { axis: 3, end_axis: 1 } }), [B]), 'flatten_param.end_axis');
  });
});

describe('Reshape shape rule (reshape_layer.cpp)', () => {
  // test_reshape_layer.cpp: bottom (2,3,6,5).
  const B = [2, 3, 6, 5];
  const reshape = (dim: number[], extra: Message = {}) => layer('Reshape', { reshape_param: { shape: { dim }, ...extra } });

  it('reshapes with 0 and -1 to (2,90,1,1) (TestFlattenOutputSizes)', () => {
    expect(shapesOf(reshape([0, -1, 1, 1]), [B])).toEqual({ tops: [[2, 90, 1, 1]], blobs: [] });
  });
  it('copies every dimension given as 0 (TestCopyDimensions)', () => {
    expect(topsOf(reshape([0, 0, 0, 0]), [B])).toEqual([B]);
  });
  it('infers the -1 dimension as 3 in (2,3,10,-1) (TestInferenceOfUnspecified)', () => {
    expect(topsOf(reshape([0, 3, 10, -1]), [B])).toEqual([[2, 3, 10, 3]]);
  });
  it('infers -1 after axis 1 (TestInferenceOfUnspecifiedWithStartAxis)', () => {
    expect(topsOf(reshape([3, 10, -1], { axis: 1 }), [B])).toEqual([[2, 3, 10, 3]]);
  });
  it('inserts singleton axes at the start, middle and end with num_axes 0 (TestInsertSingletonAxes*)', () => {
    expect(topsOf(reshape([1, 1, 1], { axis: 0, num_axes: 0 }), [B])).toEqual([[1, 1, 1, 2, 3, 6, 5]]);
    expect(topsOf(reshape([1, 1, 1], { axis: 2, num_axes: 0 }), [B])).toEqual([[2, 3, 1, 1, 1, 6, 5]]);
    expect(topsOf(reshape([1, 1, 1], { axis: -1, num_axes: 0 }), [B])).toEqual([[2, 3, 6, 5, 1, 1, 1]]);
  });
  it('flattens the middle two axes with axis 1, num_axes 2 and -1 into (2,18,5) (TestFlattenMiddle)', () => {
    expect(topsOf(reshape([-1], { axis: 1, num_axes: 2 }), [B])).toEqual([[2, 18, 5]]);
  });
  it('reshapes to an explicit (6,2,3,5) (TestForward) and a flat 1-D bottom back', () => {
    expect(topsOf(reshape([6, 2, 3, 5]), [B])).toEqual([[6, 2, 3, 5]]);
    expect(topsOf(reshape([6, 2, 3, 5]), [[180]])).toEqual([[6, 2, 3, 5]]);
  });
  it('reshapes an UltraFace head (1,30,40,6) into [1,-1,2] = (1,3600,2)', () => {
    expect(topsOf(reshape([1, -1, 2]), [[1, 30, 40, 6]])).toEqual([[1, 3600, 2]]);
  });
  it('fails like Caffe CHECKs, naming the layer and the field', () => {
    expectShapeError(() => shapesOf({ ...reshape([0, -1]), top: ['in'] }, [B]), 'top', /in-place/);
    expectShapeError(() => shapesOf(reshape([-1, -1]), [B]), 'reshape_param.shape', /multiple -1/);
    expectShapeError(() => shapesOf(reshape([7, -1]), [B]), 'reshape_param.shape', /divisible/);
    expectShapeError(() => shapesOf(reshape([2, 3]), [B]), 'reshape_param.shape', /count must match/);
    expectShapeError(() => shapesOf(reshape([0, 0, 0, 0, 0]), [B]), 'reshape_param.shape', /no corresponding bottom axis/);
    expectShapeError(() => shapesOf(reshape([1], { axis: 5 }), [B]), 'reshape_param.axis', /out of range/);
    expectShapeError(() => shapesOf(reshape([1], { axis: -6 }), [B]), 'reshape_param.axis', /out of range/);
    expectShapeError(() => shapesOf(reshape([1], { num_axes: -2 }), [B]), 'reshape_param.num_axes');
    expectShapeError(() => shapesOf(reshape([1], { axis: 2, num_axes: 3 }), [B]), 'reshape_param.num_axes', /out of range/);
    expectShapeError(() => shapesOf(reshape([-2, -90]), [B]), 'reshape_param.shape', /negative/);
  });
});

describe('Permute shape rule (SSD permute_layer.cpp)', () => {
  it('moves channels last with order 0,2,3,1: (1,12,19,19) becomes (1,19,19,12)', () => {
    expect(shapesOf(layer('Permute', { permute_param: { order: [0, 2, 3, 1] } }), [[1, 12, 19, 19]])).toEqual({
      tops: [[1, 19, 19, 12]],
      blobs: [],
    });
  });
  it('appends the axes the order leaves out, in their original order', () => {
    expect(topsOf(layer('Permute', { permute_param: { order: [2] } }), [[1, 2, 3, 4]])).toEqual([[3, 1, 2, 4]]);
    expect(topsOf(layer('Permute'), [[1, 2, 3, 4]])).toEqual([[1, 2, 3, 4]]);
  });
  it('fails on an order past the last axis and on a repeated order', () => {
    expectShapeError(() => shapesOf(layer('Permute', { permute_param: { order: [0, 4] } }), [[1, 2, 3, 4]]), 'permute_param.order', /less than/);
    expectShapeError(() => shapesOf(layer('Permute', { permute_param: { order: [0, 2, 2] } }), [[1, 2, 3, 4]]), 'permute_param.order', /duplicate/);
  });
});

describe('Crop shape rule (crop_layer.cpp)', () => {
  // test_crop_layer.cpp: bottom[0] (2,4,5,4), bottom[1] (2,3,4,2).
  const [data, size] = [[2, 4, 5, 4], [2, 3, 4, 2]];
  const crop = (crop_param?: Message) => named('Crop', ['data', 'size'], ['crop'], crop_param ? { crop_param } : {});
  it('crops every axis to (2,3,4,2) from axis 0 (TestSetupShapeAll)', () => {
    expect(shapesOf(crop({ axis: 0 }), [data, size])).toEqual({ tops: [[2, 3, 4, 2]], blobs: [] });
  });
  it('crops the last two axes by default to (2,4,4,2) (TestSetupShapeDefault)', () => {
    expect(topsOf(crop(), [data, size])).toEqual([[2, 4, 4, 2]]);
  });
  it('crops the last axis for axis -1 to (2,4,5,2) (TestSetupShapeNegativeIndexing)', () => {
    expect(topsOf(crop({ axis: -1 }), [data, size])).toEqual([[2, 4, 5, 2]]);
  });
  it('ignores uncropped axes of bottom[1], even larger ones (TestDimensionsCheck)', () => {
    expect(topsOf(crop(), [data, [2, 5, 4, 2]])).toEqual([[2, 4, 4, 2]]);
  });
  it('takes one offset per cropped axis (TestCropAllOffset, TestCrop5D)', () => {
    expect(topsOf(crop({ axis: 0, offset: [0, 1, 1, 2] }), [data, size])).toEqual([[2, 3, 4, 2]]);
    expect(topsOf(crop({ axis: 2, offset: [1, 2, 0] }), [[2, 4, 5, 4, 2], [2, 3, 4, 2, 1]])).toEqual([[2, 4, 4, 2, 1]]);
  });
  it('fails on an offset count that does not match the cropped axes and on a crop out of bounds', () => {
    expectShapeError(() => shapesOf(crop({ axis: 1, offset: [1, 1] }), [data, size]), 'crop_param.offset', /number of offset/);
    expectShapeError(() => shapesOf(crop({ offset: [2] }), [data, size]), 'crop_param.offset', /out-of-bounds/);
    expectShapeError(() => shapesOf(crop({ axis: 4 }), [data, size]), 'crop_param.axis', /out of range/);
  });
});

describe('Tile, Reduction, Softmax, Silence and Input shape rules', () => {
  it('Tile multiplies one axis by tiles (tile_layer.cpp)', () => {
    expect(shapesOf(layer('Tile', { tile_param: { tiles: 3 } }), [[2, 3, 4, 5]])).toEqual({ tops: [[2, 9, 4, 5]], blobs: [] });
    expect(topsOf(layer('Tile', { tile_param: { axis: -1, tiles: 2 } }), [[2, 3, 4, 5]])).toEqual([[2, 3, 4, 10]]);
  });
  it('Tile fails without tiles and with tiles 0', () => {
    expectShapeError(() => shapesOf(layer('Tile'), [[2, 3]]), 'tile_param.tiles', /specified/);
    expectShapeError(() => shapesOf(layer('Tile', { tile_param: { tiles: 0 } }), [[2, 3]]), 'tile_param.tiles', /positive/);
  });
  it('Reduction keeps the axes before `axis`: a 0-axis scalar for axis 0, (2) for 1, (2,3) for 2 (test_reduction_layer.cpp)', () => {
    expect(topsOf(layer('Reduction'), [[2, 3, 4, 5]])).toEqual([[]]);
    expect(topsOf(layer('Reduction', { reduction_param: { axis: 1 } }), [[2, 3, 4, 5]])).toEqual([[2]]);
    expect(topsOf(layer('Reduction', { reduction_param: { axis: 2, operation: 'MEAN' } }), [[2, 3, 4, 5]])).toEqual([[2, 3]]);
    expectShapeError(() => shapesOf(layer('Reduction', { reduction_param: { axis: 4 } }), [[2, 3, 4, 5]]), 'reduction_param.axis');
  });
  it('Softmax keeps the shape over any valid axis and fails outside it', () => {
    expect(topsOf(layer('Softmax', { softmax_param: { axis: 2 } }), [[1, 4420, 2]])).toEqual([[1, 4420, 2]]);
    expectShapeError(() => shapesOf(layer('Softmax', { softmax_param: { axis: 3 } }), [[1, 4420, 2]]), 'softmax_param.axis');
  });
  it('Silence consumes its bottoms and produces nothing', () => {
    expect(shapesOf(named('Silence', ['a', 'b'], []), [[1], [2, 3]])).toEqual({ tops: [], blobs: [] });
  });
  it('Input gives each top its shape, or one shape to every top', () => {
    const shape = [{ dim: [1, 3, 224, 224] }, { dim: [1, 2] }];
    expect(shapesOf(named('Input', [], ['data', 'im_info'], { input_param: { shape } }), [])).toEqual({
      tops: [[1, 3, 224, 224], [1, 2]],
      blobs: [],
    });
    expect(topsOf(named('Input', [], ['a', 'b'], { input_param: { shape: [shape[0]] } }), [])).toEqual([[1, 3, 224, 224], [1, 3, 224, 224]]);
  });
  it('Input leaves its tops unshaped (0 axes) when no shape is given, as Caffe does', () => {
    expect(topsOf(named('Input', [], ['data']), [])).toEqual([[]]);
  });
  it('Input fails on a shape count that is neither 1 nor one per top, and on negative dims', () => {
    const shape = [{ dim: [1] }, { dim: [2] }];
    expectShapeError(() => shapesOf(named('Input', [], ['a', 'b', 'c'], { input_param: { shape } }), []), 'input_param.shape', /once per top/);
    expectShapeError(() => shapesOf(named('Input', [], ['a'], { input_param: { shape: [{ dim: [1, -3] }] } }), []), 'input_param.shape', /negative/);
  });
});

describe('ArgMax shape rule (argmax_layer.cpp)', () => {
  // test_argmax_layer.cpp: bottom (10,10,20,20).
  const B = [10, 10, 20, 20];
  const argmax = (argmax_param?: Message) => layer('ArgMax', argmax_param ? { argmax_param } : {});
  it('gives (10,1,1,1) without axis (TestSetup) and (10,2,1,1) with out_max_val (TestSetupMaxVal)', () => {
    expect(topsOf(argmax(), [B])).toEqual([[10, 1, 1, 1]]);
    expect(topsOf(argmax({ out_max_val: true }), [B])).toEqual([[10, 2, 1, 1]]);
  });
  it('puts top_k on axis 2 of at least 3 axes without axis: (10,1,5,1), and (4,1,3) for a (4,10) bottom', () => {
    expect(topsOf(argmax({ top_k: 5 }), [B])).toEqual([[10, 1, 5, 1]]);
    expect(topsOf(argmax({ top_k: 3, out_max_val: true }), [[4, 10]])).toEqual([[4, 2, 3]]);
  });
  it('replaces the chosen axis by top_k (TestSetupAxis, TestSetupAxisNegativeIndexing, TestSetupAxisMaxVal)', () => {
    expect(topsOf(argmax({ axis: 0 }), [B])).toEqual([[1, 10, 20, 20]]);
    expect(topsOf(argmax({ axis: -2 }), [B])).toEqual([[10, 10, 1, 20]]);
    expect(topsOf(argmax({ axis: 2, out_max_val: true }), [B])).toEqual([[10, 10, 1, 20]]);
    expect(topsOf(argmax({ axis: 2, top_k: 5 }), [B])).toEqual([[10, 10, 5, 20]]);
  });
  it('fails on top_k 0, on top_k above the axis or the instance size, and on an axis out of range', () => {
    expectShapeError(() => shapesOf(argmax({ top_k: 0 }), [B]), 'argmax_param.top_k', /less than 1/);
    expectShapeError(() => shapesOf(argmax({ axis: 1, top_k: 11 }), [B]), 'argmax_param.top_k', /dimension of the axis/);
    expectShapeError(() => shapesOf(argmax({ top_k: 11 }), [[2, 10]]), 'argmax_param.top_k', /per instance/);
    expectShapeError(() => shapesOf(argmax({ axis: 4 }), [B]), 'argmax_param.axis', /out of range/);
  });
});
