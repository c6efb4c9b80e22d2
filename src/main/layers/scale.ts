import { checkOperand, learnedShape } from './broadcast.js';
import { registerLayer } from './registry.js';

interface ScaleParam {
  axis: number;
  num_axes: number;
  bias_term: boolean;
}

registerLayer({
  type: 'Scale',
  bottoms: { min: 1, max: 2 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const p = ctx.param<ScaleParam>('scale_param');
    const blobs = ctx.bottoms.length === 1 ? [learnedShape(ctx, 'scale_param', p.axis, p.num_axes, 'scale')] : [];
    checkOperand(ctx, 'scale_param', p.axis, ctx.bottoms[1] ?? blobs[0], 'scale');
    if (p.bias_term) {
      // scale_layer.cpp: the internal Bias layer gets num_axes = bottom[1]->num_axes() when the scale
      // is a second bottom, else scale_param.num_axes; its blob follows the scale blob, if any.
      const numAxes = ctx.bottoms.length > 1 ? ctx.bottoms[1].length : p.num_axes;
      blobs.push(learnedShape(ctx, 'scale_param', p.axis, numAxes, 'bias'));
    }
    return { tops: [[...ctx.bottoms[0]]], blobs };
  },
});
