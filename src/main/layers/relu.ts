import { f, unary } from '../export/onnx-ops.js';
import { registerNeuron } from './common.js';
import { mapValues } from './reference-kernels.js';
import { elementwise } from '../keras/layout.js';

registerNeuron('ReLU', undefined, {
  onnx(ctx) {
    // relu_layer.cpp: max(x, 0) + slope·min(x, 0): ONNX Relu, or LeakyRelu with alpha = negative_slope.
    const slope = ctx.param<{ negative_slope: number }>('relu_param').negative_slope;
    return slope === 0 ? unary(ctx, 'Relu') : unary(ctx, 'LeakyRelu', { alpha: f(slope) });
  },
  reference(ctx) {
    const slope = ctx.param<{ negative_slope: number }>('relu_param').negative_slope;
    return [mapValues(ctx.bottoms[0], (x) => Math.max(x, 0) + slope * Math.min(x, 0))];
  },
  keras(ctx) {
    const slope = ctx.param<{ negative_slope: number }>('relu_param').negative_slope;
    return slope === 0
      ? elementwise(ctx, 'ReLU', { max_value: null, negative_slope: 0, threshold: 0 })
      : elementwise(ctx, 'LeakyReLU', { negative_slope: slope });
  },
});
