import { canonicalAxis, count } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'ArgMax',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const p = ctx.param<{ out_max_val: boolean; top_k: number; axis: number }>('argmax_param');
    const bottom = ctx.bottoms[0];
    if (!(p.top_k >= 1)) ctx.fail('top k must not be less than 1', 'argmax_param.top_k');
    if (ctx.has('argmax_param', 'axis')) {
      const axis = canonicalAxis(ctx, bottom, p.axis, 'argmax_param.axis');
      if (p.top_k > bottom[axis])
        ctx.fail(`top_k ${p.top_k} must be less than or equal to the dimension of the axis (${bottom[axis]})`, 'argmax_param.top_k');
      return { tops: [bottom.map((d, i) => (i === axis ? p.top_k : d))], blobs: [] };
    }
    if (bottom.length === 0) ctx.fail('ArgMax without axis needs a bottom with a batch axis', 'bottom');
    if (p.top_k > count(bottom, 1))
      ctx.fail(`top_k ${p.top_k} must be less than or equal to the dimension of the flattened bottom blob per instance`, 'argmax_param.top_k');
    // argmax_layer.cpp without axis: at least 3 axes, [N, 1 (2 with out_max_val), top_k, 1...].
    const top = new Array<number>(Math.max(bottom.length, 3)).fill(1);
    top[0] = bottom[0];
    top[1] = p.out_max_val ? 2 : 1;
    top[2] = p.top_k;
    return { tops: [top], blobs: [] };
  },
});
