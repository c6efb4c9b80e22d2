import { fmt, legacyDim } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'Normalize',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const bottom = ctx.bottoms[0];
    if (bottom.length < 2) ctx.fail(`number of axes of bottom blob must be >= 2, got ${fmt(bottom)}`, 'bottom');
    const { channel_shared } = ctx.param<{ channel_shared: boolean }>('norm_param');
    // normalize_layer.cpp (SSD): the scale blob is vector<int>(0), a 0-axis scalar, when channel_shared
    // (the default), else [channels()] read through the legacy accessor (so at most 4 axes).
    const channels = legacyDim(ctx, bottom, 1, 'bottom');
    return { tops: [[...bottom]], blobs: [channel_shared ? [] : [channels]] };
  },
});
