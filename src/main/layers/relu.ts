import { f, unary } from '../export/onnx-ops.js';
import { changed, label, registerNeuron } from './common.js';
import { mapValues } from './reference-kernels.js';
import { elementwise, outputLike } from '../keras/layout.js';

registerNeuron('ReLU', undefined, {
  meta: { category: 'activation', keyParams: (p) => label(changed(p, 'relu_param', 'negative_slope', 'slope')) },
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
    if (slope === 0) return elementwise(ctx, 'ReLU', { max_value: null, negative_slope: 0, threshold: 0 });
    if (slope > 0) return elementwise(ctx, 'LeakyReLU', { negative_slope: slope });
    // Keras refuses a negative slope in ReLU and LeakyReLU; a PReLU whose one alpha is the slope is the same function.
    const x = ctx.inputs[0];
    const axes = x.perm.map((_, i) => i).slice(1);
    return ctx.add(
      { className: 'PReLU', config: { shared_axes: axes.length > 0 ? axes : null }, weights: [{ name: 'alpha', shape: axes.map(() => 1), data: Float32Array.of(slope) }] },
      [x],
      [outputLike(x, ctx.topShapes[0])],
    );
  },
});
