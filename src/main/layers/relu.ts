import { f, unary } from '../export/onnx-ops.js';
import { changed, label, registerNeuron } from './common.js';
import { blob } from './reference-kernels.js';
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
    // relu_layer.cpp: max(x, 0) + slope·min(x, 0), as written (so 0·-∞ is NaN there and here). For finite x,
    // max(x, 0) = (x + |x|)/2 and min(x, 0) = (x - |x|)/2 exactly in float64, without the branch Math.max takes
    // (a misprediction for every other value of a zero-centred blob).
    const x = ctx.bottoms[0];
    const out = new Float32Array(x.data.length);
    for (let i = 0, src = x.data; i < src.length; i++) {
      const v = src[i];
      const abs = Math.abs(v);
      out[i] = v - v === 0 ? 0.5 * (v + abs) + slope * (0.5 * (v - abs)) : Math.max(v, 0) + slope * Math.min(v, 0);
    }
    return [blob(x.shape, out)];
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
