import { canonicalAxis, count } from './common.js';
import { registerLayer } from './registry.js';

interface InnerProductParam {
  num_output: number;
  bias_term: boolean;
  axis: number;
  transpose: boolean;
}

registerLayer({
  type: 'InnerProduct',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const p = ctx.param<InnerProductParam>('inner_product_param');
    const bottom = ctx.bottoms[0];
    const axis = canonicalAxis(ctx, bottom, p.axis, 'inner_product_param.axis');
    // inner_product_layer.cpp: K = count(axis..end) flattens C·H·W in memory order; weights are
    // [N, K], or [K, N] with transpose.
    const n = p.num_output;
    const k = count(bottom, axis);
    const blobs = [p.transpose ? [k, n] : [n, k]];
    if (p.bias_term) blobs.push([n]);
    return { tops: [[...bottom.slice(0, axis), n]], blobs };
  },
});
