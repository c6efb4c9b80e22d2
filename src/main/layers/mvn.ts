import { legacyDim } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'MVN',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const b = ctx.bottoms[0];
    // mvn_layer.cpp Reshape: top is (num, channels, height, width) through the legacy accessors, so a
    // bottom of fewer than 4 axes gives a 4-D top padded with 1s, and more than 4 axes fail.
    const top = [0, 1, 2, 3].map((i) => legacyDim(ctx, b, i, 'bottom'));
    return { tops: [top], blobs: [] };
  },
});
