import { count, fmt, lossTop } from './common.js';
import { registerLayer } from './registry.js';

/** sigmoid_cross_entropy_loss_layer.cpp */
registerLayer({
  type: 'SigmoidCrossEntropyLoss',
  meta: { category: 'loss', params: ['loss_param'] },
  role: 'loss',
  bottoms: { min: 2, max: 2 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const [a, b] = ctx.bottoms;
    const loss = lossTop(ctx);
    if (count(a) !== count(b)) ctx.fail(`inputs must have the same count (${fmt(a)} vs ${fmt(b)})`, 'bottom');
    return { tops: [loss], blobs: [] };
  },
});
