import { op, scalar } from '../export/onnx-ops.js';
import { fmt, label, legacyDim } from './common.js';
import { registerLayer } from './registry.js';
import { blob } from './reference-kernels.js';

registerLayer({
  type: 'Normalize',
  meta: {
    category: 'normalization',
    keyParams: (p) => {
      const m = p.param<{ across_spatial: boolean; channel_shared: boolean }>('norm_param');
      return label(m.across_spatial ? 'across spatial' : 'per position', m.channel_shared && 'shared scale');
    },
  },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<{ across_spatial: boolean; channel_shared: boolean; eps: number }>('norm_param');
    const rank = ctx.bottoms[0].length;
    const x = ctx.inputs[0];
    // normalize_layer.cpp (SSD): x / sqrt(Σx² + eps), the sum over each item (across_spatial: x times the
    // reciprocal) or over the channels at each place (x divided), then times the scale (one, or per channel).
    const axes = p.across_spatial ? Array.from({ length: rank - 1 }, (_, i) => i + 1) : [1];
    const norm = op(ctx, 'Sqrt', [op(ctx, 'Add', [op(ctx, 'ReduceSumSquare', [x], { axes, keepdims: 1 }), scalar(ctx, 'eps', p.eps)])]);
    const normed = p.across_spatial ? op(ctx, 'Mul', [x, op(ctx, 'Reciprocal', [norm])]) : op(ctx, 'Div', [x, norm]);
    const [scale] = ctx.blobs;
    const shape = scale.shape.length === 0 ? [] : [scale.shape[0], ...new Array<number>(rank - 2).fill(1)];
    return [op(ctx, 'Mul', [normed, ctx.constant('scale', scale.data, shape)], {}, ctx.top(0))];
  },
  reference(ctx) {
    const p = ctx.param<{ across_spatial: boolean; channel_shared: boolean; eps: number }>('norm_param');
    const x = ctx.bottoms[0];
    const [num, channels, height, width] = [0, 1, 2, 3].map((i) => (i < x.shape.length ? x.shape[i] : 1));
    const dim = x.data.length / num;
    const spatial = height * width;
    const scale = ctx.blobs[0].data;
    const out = new Float32Array(x.data.length);
    for (let n = 0; n < num; n++) {
      const base = n * dim;
      // normalize_layer.cpp (SSD): eps is added to the sum of squares before the square root.
      if (p.across_spatial) {
        let sum = 0;
        for (let i = 0; i < dim; i++) sum += x.data[base + i] ** 2;
        const inv = 1 / Math.sqrt(sum + p.eps);
        for (let i = 0; i < dim; i++) out[base + i] = x.data[base + i] * inv;
      } else {
        for (let s = 0; s < spatial; s++) {
          let sum = p.eps;
          for (let c = 0; c < channels; c++) sum += x.data[base + c * spatial + s] ** 2;
          const norm = Math.sqrt(sum);
          for (let c = 0; c < channels; c++) out[base + c * spatial + s] = x.data[base + c * spatial + s] / norm;
        }
      }
      for (let c = 0; c < channels; c++) {
        const f = p.channel_shared ? scale[0] : scale[c];
        for (let i = base + c * spatial, e = i + spatial; i < e; i++) out[i] *= f;
      }
    }
    return [blob(x.shape, out)];
  },
  shapes(ctx) {
    const bottom = ctx.bottoms[0];
    if (bottom.length < 2) ctx.fail(`number of axes of bottom blob must be >= 2, got ${fmt(bottom)}`, 'bottom');
    const { channel_shared } = ctx.param<{ channel_shared: boolean }>('norm_param');
    // normalize_layer.cpp (SSD): the scale blob is vector<int>(0), a 0-axis scalar, when channel_shared
    // (the default), else [channels()] read through the legacy accessor (so at most 4 axes).
    const channels = legacyDim(ctx, bottom, 1, 'bottom');
    return { tops: [[...bottom]], blobs: [channel_shared ? [] : [channels]] };
  },
});
