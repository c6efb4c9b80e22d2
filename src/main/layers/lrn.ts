import { fmt } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'LRN',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const { local_size } = ctx.param<{ local_size: number }>('lrn_param');
    if (local_size % 2 !== 1) ctx.fail(`LRN only supports odd values for local_size (got ${local_size})`, 'lrn_param.local_size');
    const bottom = ctx.bottoms[0];
    if (bottom.length !== 4)
      ctx.fail(`input must have 4 axes, corresponding to (num, channels, height, width); got ${fmt(bottom)}`, 'bottom');
    return { tops: [[...bottom]], blobs: [] };
  },
});
