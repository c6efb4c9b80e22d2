import { int64s, op, scaleBy } from '../export/onnx-ops.js';
import { canonicalAxis, changed, label } from './common.js';
import { registerLayer } from './registry.js';
import { blob, count } from './reference-kernels.js';

registerLayer({
  type: 'Reduction',
  meta: { category: 'other', keyParams: (p) => label(String(p.param('reduction_param').operation), changed(p, 'reduction_param', 'axis'), changed(p, 'reduction_param', 'coeff')) },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<{ operation: 'SUM' | 'ASUM' | 'SUMSQ' | 'MEAN'; axis: number; coeff: number }>('reduction_param');
    const rank = ctx.bottoms[0].length;
    const a = p.axis < 0 ? p.axis + rank : p.axis;
    const axes = Array.from({ length: rank - a }, (_, i) => a + i);
    const x = ctx.inputs[0];
    // reduction_layer.cpp: every axis from `axis` on is reduced (SUM, ASUM = Σ|x|, SUMSQ = Σx²; MEAN is SUM
    // with coeff / count), then scaled by coeff unless it is 1.
    const count = ctx.bottoms[0].slice(a).reduce((m, d) => m * d, 1);
    const coeff = p.operation === 'MEAN' ? Math.fround(p.coeff / count) : p.coeff;
    const last = coeff === 1 ? ctx.top(0) : undefined;
    const reduced =
      p.operation === 'SUM' || p.operation === 'MEAN'
        ? op(ctx, 'ReduceSum', [x, int64s(ctx, 'axes', axes)], { keepdims: 0 }, last)
        : op(ctx, p.operation === 'ASUM' ? 'ReduceL1' : 'ReduceSumSquare', [x], { axes, keepdims: 0 }, last);
    return [coeff === 1 ? reduced : scaleBy(ctx, reduced, coeff, 'coeff', ctx.top(0))];
  },
  reference(ctx) {
    const p = ctx.param<{ operation: 'SUM' | 'ASUM' | 'SUMSQ' | 'MEAN'; axis: number; coeff: number }>('reduction_param');
    const x = ctx.bottoms[0];
    const top = ctx.topShapes[0];
    const groups = count(top);
    const dim = groups === 0 ? 0 : x.data.length / groups;
    const f = p.operation === 'ASUM' ? Math.abs : p.operation === 'SUMSQ' ? (v: number) => v * v : (v: number) => v;
    // reduction_layer.cpp Reshape: MEAN is SUM with coeff divided by the reduced count.
    const coeff = p.operation === 'MEAN' ? p.coeff / dim : p.coeff;
    const out = new Float32Array(groups);
    for (let g = 0; g < groups; g++) {
      let s = 0;
      for (let i = g * dim, e = i + dim; i < e; i++) s += f(x.data[i]);
      out[g] = s * coeff;
    }
    return [blob(top, out)];
  },
  shapes(ctx) {
    const { axis } = ctx.param<{ axis: number }>('reduction_param');
    // reduction_layer.cpp: every axis from `axis` on is reduced away; axis 0 (default) gives a 0-axis scalar.
    const a = canonicalAxis(ctx, ctx.bottoms[0], axis, 'reduction_param.axis');
    return { tops: [ctx.bottoms[0].slice(0, a)], blobs: [] };
  },
});
