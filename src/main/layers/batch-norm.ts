import type { Message } from '../caffe/message.js';
import { fmt, list } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'BatchNorm',
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const bottom = ctx.bottoms[0];
    // batch_norm_layer.cpp Reshape reads shape(1) whenever num_axes >= 1, so blobs of fewer than 2
    // axes fail despite LayerSetUp's channels = 1 case for 1-D input.
    if (bottom.length < 2) ctx.fail(`BatchNorm needs a bottom with a channel axis, got ${fmt(bottom)}`, 'bottom');
    // batch_norm_layer.cpp LayerSetUp: the three statistics blobs may not be learned (lr_mult 0);
    // UpgradeNetBatchNorm has already pinned them when a layer declares exactly three.
    list<Message>(ctx.layer, 'param')
      .slice(0, 3)
      .forEach((spec) => {
        if ((spec.lr_mult ?? 1) !== 0) ctx.fail('cannot configure batch normalization statistics as layer parameters', 'param.lr_mult');
      });
    const c = bottom[1];
    return { tops: [[...bottom]], blobs: [[c], [c], [1]] };
  },
});
