import { op } from '../export/onnx-ops.js';
import { canonicalAxis, fmt, num } from './common.js';
import { registerLayer } from './registry.js';
import { axisIndex, blob, copyAlongAxis, count } from './reference-kernels.js';
import { kerasAxis, outputLike } from '../keras/layout.js';

registerLayer({
  type: 'Concat',
  meta: {
    category: 'merge',
    // concat_layer.cpp: the legacy concat_dim wins when set.
    keyParams: (p) => `axis ${p.has('concat_param', 'concat_dim') ? num(p.param('concat_param').concat_dim) : num(p.param('concat_param').axis)}`,
  },
  bottoms: { min: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<{ axis: number; concat_dim: number }>('concat_param');
    const rank = ctx.bottoms[0].length;
    const axis = ctx.has('concat_param', 'concat_dim') ? p.concat_dim : p.axis < 0 ? p.axis + rank : p.axis;
    // concat_layer.cpp: a single bottom is shared, not copied.
    if (ctx.inputs.length === 1) return [ctx.inputs[0]];
    return [op(ctx, 'Concat', ctx.inputs, { axis }, ctx.top(0))];
  },
  reference(ctx) {
    const p = ctx.param<{ axis: number; concat_dim: number }>('concat_param');
    const top = ctx.topShapes[0];
    const axis = ctx.has('concat_param', 'concat_dim') ? p.concat_dim : axisIndex(p.axis, top.length);
    const out = new Float32Array(count(top));
    let offset = 0;
    for (const b of ctx.bottoms) {
      copyAlongAxis(b.data, out, count(top, 0, axis), b.shape[axis], top[axis], count(top, axis + 1), offset);
      offset += b.shape[axis];
    }
    return [blob(top, out)];
  },
  shapes(ctx) {
    const p = ctx.param<{ axis: number; concat_dim: number }>('concat_param');
    const hasAxis = ctx.has('concat_param', 'axis');
    const hasDim = ctx.has('concat_param', 'concat_dim');
    if (hasAxis && hasDim) ctx.fail('either axis or concat_dim should be specified; not both', 'concat_param.concat_dim');
    const first = ctx.bottoms[0];
    let axis: number;
    if (hasDim) {
      // concat_layer.cpp: the legacy concat_dim is a uint32 and may not count from the end.
      axis = p.concat_dim;
      if (axis >= first.length) ctx.fail(`concat_dim ${axis} out of range for ${first.length}-D bottom`, 'concat_param.concat_dim');
    } else {
      axis = canonicalAxis(ctx, first, p.axis, 'concat_param.axis');
    }
    const top = [...first];
    ctx.bottoms.slice(1).forEach((b, i) => {
      if (b.length !== first.length) ctx.fail(`all inputs must have the same #axes: bottom[0] ${fmt(first)}, bottom[${i + 1}] ${fmt(b)}`, 'bottom');
      b.forEach((d, j) => {
        if (j !== axis && d !== first[j])
          ctx.fail(`all inputs must have the same shape, except at concat_axis ${axis}: bottom[0] ${fmt(first)}, bottom[${i + 1}] ${fmt(b)}`, 'bottom');
      });
      top[axis] += b[axis];
    });
    return { tops: [top], blobs: [] };
  },
  keras(ctx) {
    const first = ctx.inputs[0];
    if (ctx.inputs.length === 1) return [first];
    const p = ctx.param<{ axis: number; concat_dim: number }>('concat_param');
    const rank = first.caffeShape.length;
    const axis = ctx.has('concat_param', 'concat_dim') ? p.concat_dim : p.axis < 0 ? p.axis + rank : p.axis;
    const xs = ctx.inputs.map((t) => ctx.relayout(t, first.perm));
    const k = kerasAxis(first, axis);
    if (k === 0) ctx.fail('a Concat along the batch axis has no Keras mapping', 'concat_param.axis');
    return ctx.add({ className: 'Concatenate', config: { axis: k } }, xs, [outputLike(first, ctx.topShapes[0])]);
  },
});
