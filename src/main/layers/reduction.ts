import { canonicalAxis } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'Reduction',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const { axis } = ctx.param<{ axis: number }>('reduction_param');
    // reduction_layer.cpp: every axis from `axis` on is reduced away; axis 0 (default) gives a 0-axis scalar.
    const a = canonicalAxis(ctx, ctx.bottoms[0], axis, 'reduction_param.axis');
    return { tops: [ctx.bottoms[0].slice(0, a)], blobs: [] };
  },
});
