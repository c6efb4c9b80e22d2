import { forbidInPlace } from './common.js';
import { registerLayer } from './registry.js';
import { blob } from './reference-kernels.js';

registerLayer({
  type: 'Split',
  meta: { category: 'shape' },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1 },
  // split_layer.cpp: every top shares the bottom's data.
  onnx: (ctx) => ctx.topShapes.map(() => ctx.inputs[0]),
  reference: (ctx) => ctx.topShapes.map((top) => blob(top, ctx.bottoms[0].data)),
  shapes(ctx) {
    // split_layer.cpp: no top may be the bottom itself (each top keeps its own diff).
    forbidInPlace(ctx);
    return { tops: Array.from({ length: ctx.numTops }, () => [...ctx.bottoms[0]]), blobs: [] };
  },
  // Every top is the bottom itself.
  keras: (ctx) => ctx.topShapes.map(() => ctx.inputs[0]),
});
