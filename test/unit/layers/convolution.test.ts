import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import { expectShapeError, layer, shapesOf, topsOf } from './helpers.js';

const conv = (convolution_param: Message, extra: Message = {}) =>
  layer('Convolution', { convolution_param, ...extra }, 'conv');
const deconv = (convolution_param: Message) => layer('Deconvolution', { convolution_param }, 'deconv');

describe('Convolution shape rule (base_conv_layer.cpp, conv_layer.cpp)', () => {
  // test_convolution_layer.cpp TestSetup: two bottoms of (2,3,6,4), kernel 3, stride 2.
  it('convolves two (2,3,6,4) bottoms with kernel 3, stride 2 into two (2,4,2,1) tops', () => {
    const two = { bottom: ['a', 'b'], top: ['x', 'y'] };
    const out = shapesOf(conv({ kernel_size: [3], stride: [2], num_output: 4 }, two), [[2, 3, 6, 4], [2, 3, 6, 4]]);
    expect(out.tops).toEqual([[2, 4, 2, 1], [2, 4, 2, 1]]);
    expect(out.blobs).toEqual([[4, 3, 3, 3], [4]]);
  });

  it('keeps the top shape with group 3 and stores weights as [O, C/group, kh, kw]', () => {
    const out = shapesOf(conv({ kernel_size: [3], stride: [2], num_output: 3, group: 3 }), [[2, 3, 6, 4]]);
    expect(out.tops).toEqual([[2, 3, 2, 1]]);
    expect(out.blobs).toEqual([[3, 1, 3, 3], [3]]);
  });

  it('treats axis 3 with no spatial axes as a per-position inner product (Test0DConvolution)', () => {
    const out = shapesOf(conv({ num_output: 3, axis: 3 }), [[2, 3, 6, 4]]);
    expect(out.tops).toEqual([[2, 3, 6, 3]]);
    expect(out.blobs).toEqual([[3, 4], [3]]);
  });

  it('convolves a 5-D (2,3,5,6,4) blob with kernel 3, stride 2 into (2,4,2,2,1) (TestSimple3DConvolution)', () => {
    const out = shapesOf(conv({ kernel_size: [3], stride: [2], num_output: 4 }), [[2, 3, 5, 6, 4]]);
    expect(out.tops).toEqual([[2, 4, 2, 2, 1]]);
    expect(out.blobs[0]).toEqual([4, 3, 3, 3, 3]);
  });

  it('uses the dilated kernel extent d(k-1)+1 in 2-D and 3-D (TestDilatedConvolution, TestDilated3DConvolution)', () => {
    expect(topsOf(conv({ kernel_size: [3], dilation: [2], num_output: 4 }), [[2, 3, 8, 7]])).toEqual([[2, 4, 4, 3]]);
    expect(topsOf(conv({ kernel_size: [3], dilation: [2], num_output: 4 }), [[2, 3, 6, 7, 8]])).toEqual([[2, 4, 2, 3, 4]]);
  });

  it('keeps the spatial size with a 1x1 kernel (Test1x1Convolution)', () => {
    expect(topsOf(conv({ kernel_size: [1], stride: [1], num_output: 4 }), [[2, 3, 6, 4]])).toEqual([[2, 4, 6, 4]]);
  });

  it('takes one kernel, stride, pad and dilation value per spatial axis', () => {
    const out = shapesOf(
      conv({ kernel_size: [3, 1], stride: [2, 1], pad: [1, 0], dilation: [1, 2], num_output: 2, bias_term: false }),
      [[1, 3, 10, 9]],
    );
    expect(out.tops).toEqual([[1, 2, 5, 9]]);
    expect(out.blobs).toEqual([[2, 3, 3, 1]]);
  });

  it('reads kernel_h/kernel_w, stride_h/stride_w and pad_h/pad_w for 2-D convolution', () => {
    const p = { kernel_h: 3, kernel_w: 1, stride_h: 2, stride_w: 1, pad_h: 1, pad_w: 0, num_output: 8 };
    const out = shapesOf(conv(p), [[1, 4, 11, 7]]);
    expect(out.tops).toEqual([[1, 8, 6, 7]]);
    expect(out.blobs).toEqual([[8, 4, 3, 1], [8]]);
  });

  it('gives a depthwise convolution (group = channels) weights of [C, 1, k, k]', () => {
    const out = shapesOf(conv({ kernel_size: [3], stride: [2], pad: [1], num_output: 32, group: 32, bias_term: false }), [[1, 32, 150, 150]]);
    expect(out.tops).toEqual([[1, 32, 75, 75]]);
    expect(out.blobs).toEqual([[32, 1, 3, 3]]);
  });

  it("truncates the output division toward zero as C++ does: a kernel overhanging by less than a stride still gives 1", () => {
    expect(topsOf(conv({ kernel_size: [3], stride: [2], num_output: 1 }), [[1, 1, 2, 2]])).toEqual([[1, 1, 1, 1]]);
  });

  it('fails like Caffe CHECKs, naming the layer and the field', () => {
    const b = [[2, 3, 6, 4]];
    expectShapeError(() => shapesOf(conv({ num_output: 4 }), b), 'convolution_param.kernel_size', /once per spatial dimension/);
    expectShapeError(() => shapesOf(conv({ kernel_size: [3, 3, 3], num_output: 4 }), b), 'convolution_param.kernel_size');
    expectShapeError(() => shapesOf(conv({ kernel_size: [3], kernel_h: 3, kernel_w: 3, num_output: 4 }), b), 'convolution_param.kernel_size', /not both/);
    expectShapeError(() => shapesOf(conv({ kernel_h: 3, kernel_w: 3, num_output: 4 }), [[2, 3, 6, 4, 4]]), 'convolution_param.kernel_h', /2D/);
    expectShapeError(() => shapesOf(conv({ kernel_h: 3, num_output: 4 }), b), 'convolution_param.kernel_size', /nonzero/);
    expectShapeError(() => shapesOf(conv({ kernel_size: [3], stride: [0], num_output: 4 }), b), 'convolution_param.stride', /nonzero/);
    expectShapeError(() => shapesOf(conv({ kernel_size: [3], stride: [1, 1, 1], num_output: 4 }), b), 'convolution_param.stride');
    expectShapeError(() => shapesOf(conv({ kernel_size: [3], pad_h: 1, pad: [1], num_output: 4 }), b), 'convolution_param.pad');
    expectShapeError(() => shapesOf(conv({ kernel_size: [3], dilation: [1, 1, 1], num_output: 4 }), b), 'convolution_param.dilation');
    expectShapeError(() => shapesOf(conv({ kernel_size: [3] }), b), 'convolution_param.num_output');
    expectShapeError(() => shapesOf(conv({ kernel_size: [3], num_output: 4, group: 2 }), b), 'convolution_param.group', /group 2/);
    expectShapeError(() => shapesOf(conv({ kernel_size: [1], num_output: 4, group: 3 }), b), 'convolution_param.group', /multiples of group/);
    expectShapeError(() => shapesOf(conv({ kernel_size: [3], num_output: 4, axis: 4 }), b), 'convolution_param.axis', /out of range/);
    expectShapeError(() => shapesOf(conv({ kernel_size: [7], num_output: 4 }), b), 'convolution_param.kernel_size', /empty output/);
    const two = { bottom: ['a', 'b'], top: ['x', 'y'] };
    expectShapeError(() => shapesOf(conv({ kernel_size: [3], num_output: 4 }, two), [[2, 3, 6, 4], [2, 3, 6, 5]]), 'bottom', /shape mismatch/);
    expectShapeError(() => shapesOf(conv({ kernel_size: [3], num_output: 4 }, two), [[2, 3, 6, 4]], 2), 'top', /one top blob/);
  });
});

describe('Deconvolution shape rule (deconv_layer.cpp)', () => {
  // test_deconvolution_layer.cpp TestSetup: (2,3,6,4), kernel 3, stride 2: s(in-1) + k.
  it('upsamples (2,3,6,4) with kernel 3, stride 2 to (2,4,13,9) with weights [C_in, O, k, k]', () => {
    const out = shapesOf(deconv({ kernel_size: [3], stride: [2], num_output: 4 }), [[2, 3, 6, 4]]);
    expect(out.tops).toEqual([[2, 4, 13, 9]]);
    expect(out.blobs).toEqual([[3, 4, 3, 3], [4]]);
  });

  it('keeps (2,3,13,9) with group 3 and stores weights as [C_in, O/group, k, k]', () => {
    const out = shapesOf(deconv({ kernel_size: [3], stride: [2], num_output: 3, group: 3 }), [[2, 3, 6, 4]]);
    expect(out.tops).toEqual([[2, 3, 13, 9]]);
    expect(out.blobs).toEqual([[3, 1, 3, 3], [3]]);
  });

  it('subtracts twice the pad and adds the dilated extent: s(in-1) + d(k-1)+1 - 2p', () => {
    expect(topsOf(deconv({ kernel_size: [4], stride: [2], pad: [1], num_output: 21, bias_term: false }), [[1, 21, 13, 13]])).toEqual([
      [1, 21, 26, 26],
    ]);
    expect(topsOf(deconv({ kernel_size: [3], stride: [1], dilation: [2], num_output: 1 }), [[1, 1, 5, 5]])).toEqual([[1, 1, 9, 9]]);
  });

  it('fails when the pad swallows the whole output', () => {
    expectShapeError(() => shapesOf(deconv({ kernel_size: [1], pad: [1], num_output: 1 }), [[1, 1, 1, 1]]), 'convolution_param.kernel_size');
  });
});
