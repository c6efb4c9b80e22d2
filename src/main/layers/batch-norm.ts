import { f, op, scalar } from '../export/onnx-ops.js';
import type { Message } from '../caffe/message.js';
import { changed, fmt, label, list } from './common.js';
import { registerLayer } from './registry.js';
import { blob, count } from './reference-kernels.js';
import { kerasAxis, outputLike } from '../keras/layout.js';

registerLayer({
  type: 'BatchNorm',
  meta: { category: 'normalization', keyParams: (p) => label(changed(p, 'batch_norm_param', 'eps')) },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<{ use_global_stats: boolean; eps: number }>('batch_norm_param');
    const x = ctx.inputs[0];
    const rank = ctx.bottoms[0].length;
    const c = ctx.bottoms[0][1];
    // batch_norm_layer.cpp: use_global_stats defaults to phase == TEST.
    if (!ctx.has('batch_norm_param', 'use_global_stats') || p.use_global_stats) {
      // (x - mean/s) / sqrt(var/s + eps), s the stored moving-average factor (blob 2; 0 gives 0): ONNX
      // BatchNormalization with scale 1 and bias 0.
      const [mean, variance, factor] = ctx.blobs;
      const s = factor.data[0] === 0 ? 0 : Math.fround(1 / factor.data[0]);
      const scaled = (b: Float32Array): Float32Array => b.map((v) => Math.fround(v * s));
      const inputs = [
        x,
        ctx.constant('scale', new Float32Array(c).fill(1), [c]),
        ctx.constant('bias', new Float32Array(c), [c]),
        ctx.constant('mean', scaled(mean.data), [c]),
        ctx.constant('variance', scaled(variance.data), [c]),
      ];
      return [op(ctx, 'BatchNormalization', inputs, { epsilon: f(p.eps) }, ctx.top(0))];
    }
    // use_global_stats: false normalises with the batch's own statistics over every axis but the channels.
    const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
    const d = op(ctx, 'Sub', [x, op(ctx, 'ReduceMean', [x], { axes, keepdims: 1 })]);
    const variance = op(ctx, 'ReduceMean', [op(ctx, 'Mul', [d, d])], { axes, keepdims: 1 });
    return [op(ctx, 'Div', [d, op(ctx, 'Sqrt', [op(ctx, 'Add', [variance, scalar(ctx, 'eps', p.eps)])])], {}, ctx.top(0))];
  },
  reference(ctx) {
    const p = ctx.param<{ use_global_stats: boolean; eps: number }>('batch_norm_param');
    const x = ctx.bottoms[0];
    const [num, channels] = x.shape;
    const inner = count(x.shape, 2);
    let mean: Float32Array;
    let variance: Float32Array;
    // batch_norm_layer.cpp: use_global_stats defaults to true outside TRAIN; the stored mean and
    // variance are divided by the moving-average factor blobs[2] (a factor of 0 gives 0).
    if (!ctx.has('batch_norm_param', 'use_global_stats') || p.use_global_stats) {
      const factor = ctx.blobs[2].data[0];
      const s = factor === 0 ? 0 : 1 / factor;
      mean = ctx.blobs[0].data.map((v) => v * s);
      variance = ctx.blobs[1].data.map((v) => v * s);
    } else {
      mean = new Float32Array(channels);
      variance = new Float32Array(channels);
      const m = num * inner;
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let n = 0; n < num; n++) for (let i = (n * channels + c) * inner, e = i + inner; i < e; i++) sum += x.data[i];
        mean[c] = sum / m;
        let sq = 0;
        for (let n = 0; n < num; n++) for (let i = (n * channels + c) * inner, e = i + inner; i < e; i++) sq += (x.data[i] - mean[c]) ** 2;
        variance[c] = sq / m;
      }
    }
    const out = new Float32Array(x.data.length);
    for (let n = 0, i = 0; n < num; n++) {
      for (let c = 0; c < channels; c++) {
        const std = Math.sqrt(variance[c] + p.eps);
        for (let e = i + inner; i < e; i++) out[i] = (x.data[i] - mean[c]) / std;
      }
    }
    return [blob(x.shape, out)];
  },
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
  keras(ctx) {
    const p = ctx.param<{ use_global_stats: boolean; eps: number }>('batch_norm_param');
    if (ctx.has('batch_norm_param', 'use_global_stats') && !p.use_global_stats)
      ctx.fail('use_global_stats: false normalises with each batch\'s own statistics at inference; Keras inference uses the stored ones', 'batch_norm_param.use_global_stats');
    // batch_norm_layer.cpp: (x - mean/s) / sqrt(var/s + eps), s = blobs[2] (0 -> 0). Keras' BatchNormalization
    // without center/scale computes (x - moving_mean) / sqrt(moving_variance + epsilon).
    const x = ctx.inputs[0];
    const [mean, variance, factor] = ctx.blobs;
    const s = factor.data[0] === 0 ? 0 : Math.fround(1 / factor.data[0]);
    const scaled = (d: Float32Array): Float32Array => Float32Array.from(d, (v) => v * s);
    const c = x.caffeShape[1];
    return ctx.add(
      {
        className: 'BatchNormalization',
        config: { axis: kerasAxis(x, 1), momentum: 0.99, epsilon: p.eps, center: false, scale: false },
        weights: [
          { name: 'moving_mean', shape: [c], data: scaled(mean.data) },
          { name: 'moving_variance', shape: [c], data: scaled(variance.data) },
        ],
      },
      [x],
      [outputLike(x)],
    );
  },
});
