import { convGeometry, op } from '../export/onnx-ops.js';
import { CONV_UNSET_REPEATED, convKeyParams, convShapes } from './conv-geometry.js';
import { registerLayer } from './registry.js';
import { convolutionReference } from './reference-kernels.js';
import { conv2dGeometry } from '../keras/helpers.js';
import { native } from '../keras/layout.js';
import { convKernel, depthwiseKernel, dilateKernel } from '../keras/weights.js';

registerLayer({
  type: 'Convolution',
  meta: { category: 'convolution', keyParams: convKeyParams, unsetRepeated: CONV_UNSET_REPEATED },
  bottoms: { min: 1 },
  tops: { min: 1 },
  onnx(ctx) {
    // conv_layer.cpp: out = (in + 2p - (d(k-1)+1)) / s + 1, weights [O, C/g, k...]: ONNX Conv with pads p at both ends.
    const [w, b] = ctx.blobs;
    const g = convGeometry(ctx, w.shape);
    const weights = [ctx.constant('weight', w.data, w.shape), ...(g.biasTerm ? [ctx.constant('bias', b.data, b.shape)] : [])];
    const attributes = { kernel_shape: g.kernel, strides: g.stride, pads: [...g.pad, ...g.pad], dilations: g.dilation, group: g.group };
    // Several bottom/top pairs share the weights.
    return ctx.inputs.map((x, i) => op(ctx, 'Conv', [x, ...weights], attributes, ctx.top(i)));
  },
  reference: (ctx) => convolutionReference(ctx, false),
  shapes: (ctx) =>
    convShapes(ctx, false, (input, kernel, stride, pad, dilation) => {
      // conv_layer.cpp compute_output_shape: C++ int division (truncates toward zero), so a kernel that
      // overhangs the padded input by less than one stride still yields one output.
      const extent = dilation * (kernel - 1) + 1;
      return Math.trunc((input + 2 * pad - extent) / stride) + 1;
    }, (input, kernel, stride, pad, dilation) => {
      const extent = dilation * (kernel - 1) + 1;
      return [dilation * (kernel - 1), extent, 2 * pad, input + 2 * pad, input + 2 * pad - extent];
    }),
  keras(ctx) {
    // im2col.cpp: cross-correlation over zero padding, as Keras' Conv2D; Caffe's symmetric pad becomes
    // ZeroPadding2D + 'valid'. group = C is a DepthwiseConv2D (depth_multiplier O/C), other groups Conv2D(groups).
    const g = conv2dGeometry(ctx);
    const [w, b] = ctx.blobs;
    const channels = ctx.inputs[0].caffeShape[1];
    const depthwise = g.group > 1 && g.group === channels;
    let kernel = depthwise ? depthwiseKernel(w, channels, ctx.flipKernels) : convKernel(w, ctx.flipKernels);
    // Keras (and TF) refuse dilation together with stride: fold the dilation into the kernel (zeros between taps, exact).
    const fold = (g.dilation[0] > 1 || g.dilation[1] > 1) && (g.stride[0] > 1 || g.stride[1] > 1);
    if (fold) kernel = dilateKernel(kernel, g.dilation[0], g.dilation[1]);
    const common = {
      kernel_size: kernel.shape.slice(0, 2),
      strides: g.stride,
      padding: 'valid',
      data_format: ctx.ordering,
      dilation_rate: fold ? [1, 1] : g.dilation,
      activation: 'linear',
      use_bias: g.biasTerm,
    };
    const config = depthwise ? { ...common, depth_multiplier: g.numOutput / channels } : { filters: g.numOutput, ...common, groups: g.group };
    const weights = [{ name: 'kernel', ...kernel }, ...(g.biasTerm ? [{ name: 'bias', shape: [g.numOutput], data: b.data }] : [])];
    const [ph, pw] = g.pad;
    // Several bottom/top pairs share the weights: one Keras layer each.
    return ctx.inputs.map((input, i) => {
      let x = native(ctx, input);
      const tag = i === 0 ? '' : `top${i}`;
      if (ph > 0 || pw > 0) {
        const [n, c, h, wd] = input.caffeShape;
        [x] = ctx.add({ className: 'ZeroPadding2D', config: { padding: [[ph, ph], [pw, pw]], data_format: ctx.ordering }, suffix: tag ? `${tag}_pad` : 'pad' }, [x], [
          { caffeShape: [n, c, h + 2 * ph, wd + 2 * pw], perm: x.perm },
        ]);
      }
      const className = depthwise ? 'DepthwiseConv2D' : 'Conv2D';
      return ctx.add({ className, config, weights, suffix: tag || undefined }, [x], [{ caffeShape: ctx.topShapes[i], perm: x.perm }])[0];
    });
  },
});
