import { int64s, op } from '../export/onnx-ops.js';
import { canonicalAxis, num } from './common.js';
import { registerLayer } from './registry.js';
import { axisIndex, blob, count } from './reference-kernels.js';

registerLayer({
  type: 'Tile',
  meta: { category: 'shape', keyParams: (p) => `×${num(p.param('tile_param').tiles)} on axis ${num(p.param('tile_param').axis)}` },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<{ axis: number; tiles: number }>('tile_param');
    const rank = ctx.bottoms[0].length;
    const axis = p.axis < 0 ? p.axis + rank : p.axis;
    // tile_layer.cpp: the bottom repeated `tiles` times along `axis`, whole blocks at a time: ONNX Tile.
    const repeats = Array.from({ length: rank }, (_, i) => (i === axis ? p.tiles : 1));
    return [op(ctx, 'Tile', [ctx.inputs[0], int64s(ctx, 'repeats', repeats)], {}, ctx.top(0))];
  },
  reference(ctx) {
    const p = ctx.param<{ axis: number; tiles: number }>('tile_param');
    const x = ctx.bottoms[0];
    const axis = axisIndex(p.axis, x.shape.length);
    const inner = count(x.shape, axis);
    const out = new Float32Array(count(ctx.topShapes[0]));
    for (let o = 0, to = 0, outer = count(x.shape, 0, axis); o < outer; o++) {
      const block = x.data.subarray(o * inner, (o + 1) * inner);
      for (let t = 0; t < p.tiles; t++, to += inner) out.set(block, to);
    }
    return [blob(ctx.topShapes[0], out)];
  },
  shapes(ctx) {
    const p = ctx.param<{ axis: number; tiles: number }>('tile_param');
    const bottom = ctx.bottoms[0];
    const axis = canonicalAxis(ctx, bottom, p.axis, 'tile_param.axis');
    if (!ctx.has('tile_param', 'tiles')) ctx.fail('number of tiles must be specified', 'tile_param.tiles');
    if (!(p.tiles > 0)) ctx.fail(`number of tiles must be positive (got ${p.tiles})`, 'tile_param.tiles');
    return { tops: [bottom.map((d, i) => (i === axis ? d * p.tiles : d))], blobs: [] };
  },
});
