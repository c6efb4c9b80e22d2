import { count, fmt, lossTop } from './common.js';
import { registerLayer } from './registry.js';

/** euclidean_loss_layer.cpp */
registerLayer({
  type: 'EuclideanLoss',
  meta: { category: 'loss', params: ['loss_param'] },
  role: 'loss',
  bottoms: { min: 2, max: 2 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const [a, b] = ctx.bottoms;
    const loss = lossTop(ctx);
    if (count(a, 1) !== count(b, 1)) ctx.fail(`inputs must have the same dimension (${fmt(a)} vs ${fmt(b)})`, 'bottom');
    return { tops: [loss], blobs: [] };
  },
});
