import { registerLayer } from './registry.js';

registerLayer({
  type: 'Permute',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
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
});
