import { canonicalAxis } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'Softmax',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const { axis } = ctx.param<{ axis: number }>('softmax_param');
    canonicalAxis(ctx, ctx.bottoms[0], axis, 'softmax_param.axis');
    return { tops: [[...ctx.bottoms[0]]], blobs: [] };
  },
});
