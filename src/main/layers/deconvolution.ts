import { convGeometry, op } from '../export/onnx-ops.js';
import { CONV_UNSET_REPEATED, convKeyParams, convShapes } from './conv-geometry.js';
import { registerLayer } from './registry.js';
import { convolutionReference } from './reference-kernels.js';
import { conv2dGeometry } from '../keras/helpers.js';
import { native } from '../keras/layout.js';
import { deconvKernel, dilateKernel } from '../keras/weights.js';

registerLayer({
  type: 'Deconvolution',
  meta: { category: 'convolution', keyParams: convKeyParams, params: ['convolution_param'], unsetRepeated: CONV_UNSET_REPEATED },
  bottoms: { min: 1 },
  tops: { min: 1 },
  onnx(ctx) {
    // deconv_layer.cpp: the weights are [C_in, O/g, k...] and out = s(in-1) + d(k-1)+1 - 2p: ONNX ConvTranspose's
    // layout and rule (output_padding 0, pads p at both ends).
    const [w, b] = ctx.blobs;
    const g = convGeometry(ctx, w.shape);
    const weights = [ctx.constant('weight', w.data, w.shape), ...(g.biasTerm ? [ctx.constant('bias', b.data, b.shape)] : [])];
    const attributes = { kernel_shape: g.kernel, strides: g.stride, pads: [...g.pad, ...g.pad], dilations: g.dilation, group: g.group };
    return ctx.inputs.map((x, i) => op(ctx, 'ConvTranspose', [x, ...weights], attributes, ctx.top(i)));
  },
  // deconv_layer.cpp: out = s(in-1) + d(k-1)+1 - 2p; reverse_dimensions() makes weights [C_in, O/g, k...].
  reference: (ctx) => convolutionReference(ctx, true),
  shapes: (ctx) =>
    convShapes(
      ctx,
      true,
      (input, kernel, stride, pad, dilation) => stride * (input - 1) + dilation * (kernel - 1) + 1 - 2 * pad,
      (input, kernel, stride, pad, dilation) => {
        const extent = dilation * (kernel - 1) + 1;
        return [dilation * (kernel - 1), extent, stride * (input - 1), stride * (input - 1) + extent, 2 * pad];
      },
    ),
  keras(ctx) {
    // deconv_layer.cpp: conv's backward-data pass, i.e. Keras' Conv2DTranspose. Keras 'valid' gives
    // (in-1)·s + max(k, s); Caffe's pad p crops p at the start, and the rest at the end (Cropping2D).
    // Groups become a block-diagonal kernel and dilation zeros between the taps (both exact).
    const g = conv2dGeometry(ctx);
    const [w, b] = ctx.blobs;
    const kernel = dilateKernel(deconvKernel(w, g.group, ctx.flipKernels), g.dilation[0], g.dilation[1]);
    const [kh, kw] = kernel.shape;
    const [sh, sw] = g.stride;
    const config = {
      filters: g.numOutput,
      kernel_size: [kh, kw],
      strides: g.stride,
      padding: 'valid',
      output_padding: null,
      data_format: ctx.ordering,
      dilation_rate: [1, 1],
      activation: 'linear',
      use_bias: g.biasTerm,
    };
    const weights = [{ name: 'kernel', ...kernel }, ...(g.biasTerm ? [{ name: 'bias', shape: [g.numOutput], data: b.data }] : [])];
    return ctx.inputs.map((input, i) => {
      const x = native(ctx, input);
      const tag = i === 0 ? '' : `top${i}`;
      const [n, , h, wd] = input.caffeShape;
      const top = ctx.topShapes[i];
      const full = [(h - 1) * sh + Math.max(kh, sh), (wd - 1) * sw + Math.max(kw, sw)];
      const cropping = [
        [g.pad[0], full[0] - g.pad[0] - top[2]],
        [g.pad[1], full[1] - g.pad[1] - top[3]],
      ];
      const crop = cropping.flat().some((v) => v !== 0);
      const [y] = ctx.add({ className: 'Conv2DTranspose', config, weights, suffix: crop ? (tag ? `${tag}_transpose` : 'transpose') : tag || undefined }, [x], [
        { caffeShape: [n, g.numOutput, full[0], full[1]], perm: x.perm },
      ]);
      if (!crop) return y;
      return ctx.add({ className: 'Cropping2D', config: { cropping, data_format: ctx.ordering }, suffix: tag || undefined }, [y], [{ caffeShape: top, perm: x.perm }])[0];
    });
  },
});
