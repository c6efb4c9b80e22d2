import { canonicalAxis, fmt } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'Concat',
  bottoms: { min: 1 },
  tops: { min: 1, max: 1 },
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
});
