import type { Message } from '../caffe/message.js';
import { registerLayer } from './registry.js';
import { blobShapeDims, checkBlobShape, list } from './common.js';

/** dummy_data_layer.cpp: one shape for all tops or one per top, as `shape` or legacy num/channels/height/width. */
registerLayer({
  type: 'DummyData',
  meta: { category: 'data' },
  role: 'data',
  bottoms: { min: 0, max: 0 },
  tops: { min: 1 },
  shapes(ctx) {
    const p = ctx.param('dummy_data_param');
    const shapes = list<Message>(p, 'shape');
    const legacy = ['num', 'channels', 'height', 'width'].map((f) => list<number>(p, f));
    const n = ctx.numTops;
    const oneOrN = (k: number): boolean => k === 1 || k === n;
    if (shapes.length > 0 && legacy.some((l) => l.length > 0))
      ctx.fail('give either shape or the legacy num/channels/height/width, not both', 'dummy_data_param.shape');
    if (shapes.length > 0 ? !oneOrN(shapes.length) : !legacy.every((l) => oneOrN(l.length)))
      ctx.fail(`must specify the shape once or once per top (${n} tops)`, 'dummy_data_param.shape');
    const tops = Array.from({ length: n }, (_, i) => {
      const given = ctx.givenShape(i);
      if (given) return [...given];
      const dims = shapes.length > 0 ? blobShapeDims(shapes[shapes.length === 1 ? 0 : i]) : legacy.map((l) => l[l.length === 1 ? 0 : i]);
      return checkBlobShape(ctx, dims, 'dummy_data_param.shape');
    });
    return { tops, blobs: [] };
  },
});
