import { unary } from '../export/onnx-ops.js';
import { registerLayer } from './registry.js';
import { transpose } from './reference-kernels.js';
import { invertPerm } from '../keras/layout.js';
import { asList } from './common.js';

registerLayer({
  type: 'Permute',
  meta: { category: 'shape', keyParams: (p) => asList(p.param('permute_param').order).join(', ') },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const { order } = ctx.param<{ order: number[] }>('permute_param');
    const perm = [...order];
    for (let i = 0; i < ctx.bottoms[0].length; i++) if (!perm.includes(i)) perm.push(i);
    // permute_layer.cpp (SSD): top axis i is bottom axis order[i], unlisted axes after in order: ONNX Transpose.
    return unary(ctx, 'Transpose', { perm });
  },
  reference(ctx) {
    const { order } = ctx.param<{ order: number[] }>('permute_param');
    const x = ctx.bottoms[0];
    const orders = [...order];
    for (let i = 0; i < x.shape.length; i++) if (!orders.includes(i)) orders.push(i);
    return [transpose(x, orders)];
  },
  shapes(ctx) {
    const { order } = ctx.param<{ order: number[] }>('permute_param');
    const bottom = ctx.bottoms[0];
    const orders: number[] = [];
    for (const o of order) {
      if (o >= bottom.length) ctx.fail(`order ${o} should be less than the input dimension ${bottom.length}`, 'permute_param.order');
      if (orders.includes(o)) ctx.fail(`there are duplicate orders (${o})`, 'permute_param.order');
      orders.push(o);
    }
    // permute_layer.cpp (SSD): axes the order leaves out follow, in their original order.
    for (let i = 0; i < bottom.length; i++) if (!orders.includes(i)) orders.push(i);
    return { tops: [orders.map((o) => bottom[o])], blobs: [] };
  },
  keras(ctx) {
    const x = ctx.inputs[0];
    const { order } = ctx.param<{ order: number[] }>('permute_param');
    const full = [...order];
    for (let i = 0; i < x.caffeShape.length; i++) if (!full.includes(i)) full.push(i);
    if (full[0] !== 0) ctx.fail('a Permute that moves the batch axis has no Keras mapping', 'permute_param.order');
    // top = transpose(bottom, order) holds the same values: the Keras tensor serves as it is, read through
    // the layout perm[i] -> inverse(order)[perm[i]]; a later layer permutes only if it needs another layout.
    const inverse = invertPerm(full);
    return [{ layer: x.layer, index: x.index, caffeShape: [...ctx.topShapes[0]], perm: x.perm.map((a) => inverse[a]) }];
  },
});
