import { int64s, op, scalar } from '../export/onnx-ops.js';
import { label, legacyDim } from './common.js';
import { registerLayer } from './registry.js';
import { blob } from './reference-kernels.js';

registerLayer({
  type: 'MVN',
  meta: {
    category: 'normalization',
    keyParams: (p) => {
      const m = p.param<{ normalize_variance: boolean; across_channels: boolean }>('mvn_param');
      return label(m.across_channels && 'across channels', !m.normalize_variance && 'mean only');
    },
  },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<{ normalize_variance: boolean; across_channels: boolean; eps: number }>('mvn_param');
    const top = ctx.topShapes[0];
    // mvn_layer.cpp: the top is the bottom as (num, channels, height, width); each item (across_channels) or
    // each channel of it loses its mean; with normalize_variance it is divided by sqrt(E[(x-mean)²]) + eps.
    const x = ctx.bottoms[0].length === 4 ? ctx.inputs[0] : op(ctx, 'Reshape', [ctx.inputs[0], int64s(ctx, 'shape', [0, ...top.slice(1)])]);
    const axes = p.across_channels ? [1, 2, 3] : [2, 3];
    const d = op(ctx, 'Sub', [x, op(ctx, 'ReduceMean', [x], { axes, keepdims: 1 })], {}, p.normalize_variance ? undefined : ctx.top(0));
    if (!p.normalize_variance) return [d];
    const std = op(ctx, 'Sqrt', [op(ctx, 'ReduceMean', [op(ctx, 'Mul', [d, d])], { axes, keepdims: 1 })]);
    return [op(ctx, 'Div', [d, op(ctx, 'Add', [std, scalar(ctx, 'eps', p.eps)])], {}, ctx.top(0))];
  },
  reference(ctx) {
    const p = ctx.param<{ normalize_variance: boolean; across_channels: boolean; eps: number }>('mvn_param');
    const x = ctx.bottoms[0];
    const top = ctx.topShapes[0];
    const groups = p.across_channels ? top[0] : top[0] * top[1];
    const dim = x.data.length / groups;
    const out = new Float32Array(x.data.length);
    for (let g = 0; g < groups; g++) {
      const base = g * dim;
      let sum = 0;
      for (let i = 0; i < dim; i++) sum += x.data[base + i];
      const mean = sum / dim;
      for (let i = 0; i < dim; i++) out[base + i] = x.data[base + i] - mean;
      if (!p.normalize_variance) continue;
      let sq = 0;
      for (let i = 0; i < dim; i++) sq += out[base + i] ** 2;
      // mvn_layer.cpp: eps is added to the standard deviation, after the square root.
      const std = Math.sqrt(sq / dim) + p.eps;
      for (let i = 0; i < dim; i++) out[base + i] /= std;
    }
    return [blob(top, out)];
  },
  shapes(ctx) {
    const b = ctx.bottoms[0];
    // mvn_layer.cpp Reshape: top is (num, channels, height, width) through the legacy accessors, so a
    // bottom of fewer than 4 axes gives a 4-D top padded with 1s, and more than 4 axes fail.
    const top = [0, 1, 2, 3].map((i) => legacyDim(ctx, b, i, 'bottom'));
    return { tops: [top], blobs: [] };
  },
});
