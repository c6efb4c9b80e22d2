import { op } from '../export/onnx-ops.js';
import { fmt, label, legacyDim } from './common.js';
import { registerLayer } from './registry.js';
import { broadcast, count } from './reference-kernels.js';
import { kerasAxis, kerasShape, outputLike } from '../keras/layout.js';

registerLayer({
  type: 'PReLU',
  meta: { category: 'activation', keyParams: (p) => label(p.param<{ channel_shared: boolean }>('prelu_param').channel_shared && 'shared') },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const [slope] = ctx.blobs;
    const rank = ctx.bottoms[0].length;
    // prelu_layer.cpp: max(x, 0) + a_c·min(x, 0), one slope per channel (axis 1) or one for all: ONNX PRelu
    // with the slopes shaped [C, 1, ...] to broadcast over the axes after the channels.
    const shape = slope.shape.length === 0 ? [1] : [slope.shape[0], ...new Array<number>(rank - 2).fill(1)];
    return [op(ctx, 'PRelu', [ctx.inputs[0], ctx.constant('slope', slope.data, shape)], {}, ctx.top(0))];
  },
  reference(ctx) {
    const x = ctx.bottoms[0];
    const { channel_shared } = ctx.param<{ channel_shared: boolean }>('prelu_param');
    const channels = x.shape[1];
    const slopes = channel_shared ? new Float32Array(channels).fill(ctx.blobs[0].data[0]) : ctx.blobs[0].data;
    return [broadcast(x, slopes, x.shape[0], channels, count(x.shape, 2), (v, a) => Math.max(v, 0) + a * Math.min(v, 0))];
  },
  shapes(ctx) {
    const bottom = ctx.bottoms[0];
    if (bottom.length < 2) ctx.fail(`number of axes of bottom blob must be >= 2, got ${fmt(bottom)}`, 'bottom');
    const { channel_shared } = ctx.param<{ channel_shared: boolean }>('prelu_param');
    // prelu_layer.cpp: the slope blob is vector<int>(0), a 0-axis scalar, when channel_shared, else
    // [channels()] through the legacy accessor (so at most 4 axes).
    const channels = legacyDim(ctx, bottom, 1, 'bottom');
    return { tops: [[...bottom]], blobs: [channel_shared ? [] : [channels]] };
  },
  keras(ctx) {
    // Keras PReLU: one alpha per non-shared axis; Caffe's slopes are per channel (axis 1) or shared by all.
    const x = ctx.inputs[0];
    const { channel_shared } = ctx.param<{ channel_shared: boolean }>('prelu_param');
    const channel = kerasAxis(x, 1);
    const sharedAxes = x.perm.map((_, i) => i).filter((i) => i > 0 && (channel_shared || i !== channel));
    const shape = kerasShape(x).slice(1).map((d, i) => (sharedAxes.includes(i + 1) ? 1 : d));
    const [slope] = ctx.blobs;
    return ctx.add(
      { className: 'PReLU', config: { shared_axes: sharedAxes.length > 0 ? sharedAxes : null }, weights: [{ name: 'alpha', shape, data: slope.data }] },
      [x],
      [outputLike(x)],
    );
  },
});
