import { canonicalAxis, count, fmt, lossTop } from './common.js';
import { registerLayer } from './registry.js';

/** softmax_loss_layer.cpp: a scalar loss; a second top holds the softmax probabilities. */
registerLayer({
  type: 'SoftmaxWithLoss',
  meta: { category: 'loss', params: ['softmax_param', 'loss_param'] },
  role: 'loss',
  bottoms: { min: 2, max: 2 },
  tops: { min: 1, max: 2 },
  shapes(ctx) {
    const [pred, label] = ctx.bottoms;
    const loss = lossTop(ctx);
    const axis = canonicalAxis(ctx, pred, ctx.param<{ axis: number }>('softmax_param').axis, 'softmax_param.axis');
    if (count(pred, 0, axis) * count(pred, axis + 1) !== count(label))
      ctx.fail(`number of labels must match number of predictions (${fmt(pred)} vs labels ${fmt(label)})`, 'bottom');
    return { tops: ctx.numTops > 1 ? [loss, [...pred]] : [loss], blobs: [] };
  },
});
