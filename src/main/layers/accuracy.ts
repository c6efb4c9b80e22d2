import { canonicalAxis, changed, count, fmt, label } from './common.js';
import { registerLayer } from './registry.js';

/** accuracy_layer.cpp: a scalar, and optionally one accuracy per class. */
registerLayer({
  type: 'Accuracy',
  meta: { category: 'loss', keyParams: (p) => label(changed(p, 'accuracy_param', 'top_k', 'top')) },
  role: 'loss',
  bottoms: { min: 2, max: 2 },
  tops: { min: 1, max: 2 },
  shapes(ctx) {
    const [pred, label] = ctx.bottoms;
    const p = ctx.param<{ top_k: number; axis: number }>('accuracy_param');
    const axis = canonicalAxis(ctx, pred, p.axis, 'accuracy_param.axis');
    if (p.top_k > count(pred) / Math.max(count(label), 1)) ctx.fail('top_k must be less than or equal to the number of classes', 'accuracy_param.top_k');
    if (count(pred, 0, axis) * count(pred, axis + 1) !== count(label))
      ctx.fail(`number of labels must match number of predictions (${fmt(pred)} vs labels ${fmt(label)})`, 'bottom');
    return { tops: ctx.numTops > 1 ? [[], [pred[axis]]] : [[]], blobs: [] };
  },
});
