import { canonicalAxis, count, forbidInPlace } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'Flatten',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    forbidInPlace(ctx);
    const p = ctx.param<{ axis: number; end_axis: number }>('flatten_param');
    const bottom = ctx.bottoms[0];
    const start = canonicalAxis(ctx, bottom, p.axis, 'flatten_param.axis');
    const end = canonicalAxis(ctx, bottom, p.end_axis, 'flatten_param.end_axis');
    // flatten_layer.cpp: count(start, end + 1) needs start <= end + 1; start == end + 1 inserts a 1.
    if (start > end + 1) ctx.fail(`flatten axis ${start} lies after end_axis ${end}`, 'flatten_param.end_axis');
    return { tops: [[...bottom.slice(0, start), count(bottom, start, end + 1), ...bottom.slice(end + 1)]], blobs: [] };
  },
});
