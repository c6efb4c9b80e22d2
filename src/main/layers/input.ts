import type { Message } from '../caffe/message.js';
import { blobShapeDims, checkBlobShape, list } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'Input',
  meta: { category: 'data', keyParams: (p) => list<Message>(p.param('input_param'), 'shape').map((s) => blobShapeDims(s).join('×')).join(', ') },
  role: 'data',
  bottoms: { min: 0, max: 0 },
  tops: { min: 1 },
  shapes(ctx) {
    const shapes = list<Message>(ctx.param('input_param'), 'shape');
    const n = shapes.length;
    if (n !== 0 && n !== 1 && n !== ctx.numTops)
      ctx.fail(`must specify 'shape' once, once per top blob, or not at all: ${ctx.numTops} tops vs. ${n} shapes`, 'input_param.shape');
    // input_layer.cpp: with no shape the tops stay unshaped (0 axes) until the caller reshapes them.
    const tops = Array.from(
      { length: ctx.numTops },
      (_, i) => ctx.givenShape(i) ?? (n === 0 ? [] : checkBlobShape(ctx, blobShapeDims(shapes[n === 1 ? 0 : i]), 'input_param.shape')),
    );
    return { tops, blobs: [] };
  },
});
