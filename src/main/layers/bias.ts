import { checkOperand, learnedShape } from './broadcast.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'Bias',
  bottoms: { min: 1, max: 2 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const p = ctx.param<{ axis: number; num_axes: number }>('bias_param');
    const blobs = ctx.bottoms.length === 1 ? [learnedShape(ctx, 'bias_param', p.axis, p.num_axes, 'bias')] : [];
    checkOperand(ctx, 'bias_param', p.axis, ctx.bottoms[1] ?? blobs[0], 'bias');
    return { tops: [[...ctx.bottoms[0]]], blobs };
  },
});
