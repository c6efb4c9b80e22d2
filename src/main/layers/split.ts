import { forbidInPlace } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'Split',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1 },
  shapes(ctx) {
    // split_layer.cpp: no top may be the bottom itself (each top keeps its own diff).
    forbidInPlace(ctx);
    return { tops: Array.from({ length: ctx.numTops }, () => [...ctx.bottoms[0]]), blobs: [] };
  },
});
