import { canonicalAxis } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'Tile',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const p = ctx.param<{ axis: number; tiles: number }>('tile_param');
    const bottom = ctx.bottoms[0];
    const axis = canonicalAxis(ctx, bottom, p.axis, 'tile_param.axis');
    if (!ctx.has('tile_param', 'tiles')) ctx.fail('number of tiles must be specified', 'tile_param.tiles');
    if (!(p.tiles > 0)) ctx.fail(`number of tiles must be positive (got ${p.tiles})`, 'tile_param.tiles');
    return { tops: [bottom.map((d, i) => (i === axis ? d * p.tiles : d))], blobs: [] };
  },
});
