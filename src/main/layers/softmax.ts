import { unary } from '../export/onnx-ops.js';
import { canonicalAxis, changed, label } from './common.js';
import { registerLayer } from './registry.js';
import { axisIndex, blob, count } from './reference-kernels.js';
import { kerasAxis, outputLike } from '../keras/layout.js';

registerLayer({
  type: 'Softmax',
  meta: { category: 'activation', keyParams: (p) => label(changed(p, 'softmax_param', 'axis')) },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const { axis } = ctx.param<{ axis: number }>('softmax_param');
    // softmax_layer.cpp: exp(x - max) / Σexp along `axis` alone: ONNX Softmax since opset 13.
    return unary(ctx, 'Softmax', { axis: axis < 0 ? axis + ctx.bottoms[0].length : axis });
  },
  reference(ctx) {
    const { axis } = ctx.param<{ axis: number }>('softmax_param');
    const x = ctx.bottoms[0];
    const a = axisIndex(axis, x.shape.length);
    const [outer, dim, inner] = [count(x.shape, 0, a), x.shape[a], count(x.shape, a + 1)];
    const out = new Float32Array(x.data.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * dim * inner + i;
        // softmax_layer.cpp: the maximum over the axis is subtracted before exp.
        let max = -Infinity;
        for (let d = 0; d < dim; d++) max = Math.max(max, x.data[base + d * inner]);
        let sum = 0;
        for (let d = 0; d < dim; d++) sum += Math.exp(x.data[base + d * inner] - max);
        for (let d = 0; d < dim; d++) out[base + d * inner] = Math.exp(x.data[base + d * inner] - max) / sum;
      }
    }
    return [blob(x.shape, out)];
  },
  shapes(ctx) {
    const { axis } = ctx.param<{ axis: number }>('softmax_param');
    canonicalAxis(ctx, ctx.bottoms[0], axis, 'softmax_param.axis');
    return { tops: [[...ctx.bottoms[0]]], blobs: [] };
  },
  keras(ctx) {
    const x = ctx.inputs[0];
    const { axis } = ctx.param<{ axis: number }>('softmax_param');
    const k = kerasAxis(x, axis < 0 ? axis + x.caffeShape.length : axis);
    if (k === 0) ctx.fail('a Softmax over the batch axis has no Keras mapping', 'softmax_param.axis');
    return ctx.add({ className: 'Softmax', config: { axis: k } }, [x], [outputLike(x)]);
  },
});
