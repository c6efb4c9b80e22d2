import { caffePool } from '../export/onnx-pool.js';
import { int64s, op, scaleBy, scalar } from '../export/onnx-ops.js';
import { checkInt, fmt, label, num } from './common.js';
import { registerLayer } from './registry.js';
import { avePool, blob } from './reference-kernels.js';
import { native, outputLike } from '../keras/layout.js';

registerLayer({
  type: 'LRN',
  meta: {
    category: 'normalization',
    keyParams: (p) => label(`size ${num(p.param('lrn_param').local_size)}`, p.param('lrn_param').norm_region === 'WITHIN_CHANNEL' && 'within channel'),
  },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<{ local_size: number; alpha: number; beta: number; k: number; norm_region: string }>('lrn_param');
    const n = p.local_size;
    const x = ctx.inputs[0];
    const [, c, h, w] = ctx.bottoms[0];
    const half = (n - 1) / 2;
    if (p.norm_region !== 'WITHIN_CHANNEL') {
      // lrn_layer.cpp ACROSS_CHANNELS: x·(k + α/n·Σx²)^-β over the n channels centred on c, clipped at the
      // ends. ONNX LRN is the same formula (its alpha is divided by size too, the window is the same for odd
      // n): exported files use it.
      if (!ctx.fastPaths) return ctx.node('LRN', [x], { size: n, alpha: { float: p.alpha }, beta: { float: p.beta }, bias: { float: p.k } }, [ctx.top(0)]);
      // onnxruntime's LRN kernel takes a scalar pow per element on one thread (175 of 490 ms in a batch-8
      // VGG_CNN_S forward), so the engine's graph spells it out: Σx²/n over the channel window is a 3-D AveragePool
      // of x² seen as [N, 1, C, H, W] (zero padding, counted: Caffe's clipped sum over n), then
      // y = x·exp(-β·ln(k + α·mean)), or for β = 0.75 (every BVLC model) x / (√s·√√s), s = k + α·mean.
      const squares = op(ctx, 'Reshape', [op(ctx, 'Mul', [x, x]), int64s(ctx, 'shape_5d', [0, 1, c, h, w])]);
      const mean5 = op(ctx, 'AveragePool', [squares], { kernel_shape: [n, 1, 1], pads: [half, 0, 0, half, 0, 0], count_include_pad: 1 });
      const mean = op(ctx, 'Reshape', [mean5, int64s(ctx, 'shape_4d', [0, c, h, w])]);
      const base = op(ctx, 'Add', [scaleBy(ctx, mean, p.alpha, 'alpha'), scalar(ctx, 'k', p.k)]);
      if (Math.fround(p.beta) === Math.fround(0.75)) {
        const root = op(ctx, 'Sqrt', [base]);
        return [op(ctx, 'Div', [x, op(ctx, 'Mul', [root, op(ctx, 'Sqrt', [root])])], {}, ctx.top(0))];
      }
      const power = op(ctx, 'Exp', [scaleBy(ctx, op(ctx, 'Log', [base]), -p.beta, 'minus_beta')]);
      return [op(ctx, 'Mul', [x, power], {}, ctx.top(0))];
    }
    // WITHIN_CHANNEL is Caffe's own decomposition (lrn_layer.cpp LayerSetUp): x² → AVE pool n×n, pad (n-1)/2,
    // stride 1 (divisor n², padding counted) → Power(shift 1, scale α, power -β) → times x. k is not used.
    const geometry = { kernel: [n, n] as [number, number], stride: [1, 1] as [number, number], pad: [half, half] as [number, number], input: [h, w] as [number, number], output: [h, w] as [number, number] };
    const [avg] = caffePool(ctx, op(ctx, 'Mul', [x, x]), 'AVE', geometry, 'pool');
    const base = op(ctx, 'Add', [scaleBy(ctx, avg, p.alpha, 'alpha'), scalar(ctx, 'one', 1)]);
    return [op(ctx, 'Mul', [x, op(ctx, 'Pow', [base, scalar(ctx, 'power', -p.beta)])], {}, ctx.top(0))];
  },
  reference(ctx) {
    const p = ctx.param<{ local_size: number; alpha: number; beta: number; k: number; norm_region: 'ACROSS_CHANNELS' | 'WITHIN_CHANNEL' }>('lrn_param');
    const x = ctx.bottoms[0];
    const [num, channels, height, width] = x.shape;
    const size = p.local_size;
    const pre = (size - 1) / 2;
    const plane = height * width;
    if (p.norm_region === 'WITHIN_CHANNEL') {
      // lrn_layer.cpp: WITHIN_CHANNEL is x · (1 + alpha · AVE-pool(x², size, pad (size-1)/2))^-beta, so padded
      // cells count in the size² divisor and k is not used.
      const squares = x.data.map((v) => v * v);
      const avg = avePool(squares, num * channels, height, width, height, width, { kernel: [size, size], stride: [1, 1], pad: [pre, pre] });
      return [blob(x.shape, x.data.map((v, i) => v * Math.pow(1 + p.alpha * avg[i], -p.beta)))];
    }
    // lrn_layer.cpp ACROSS_CHANNELS: x / (k + alpha/size · Σ x²)^beta over the size channels centred on c, zero-padded.
    // As CrossChannelForward_cpu does, the window sum runs along the channels (add the square entering, drop the one
    // leaving), here in float64 for a whole plane at a time.
    const out = new Float32Array(x.data.length);
    const src = x.data;
    const sum = new Float64Array(plane);
    const scale = p.alpha / size;
    const { k } = p;
    const power = -p.beta;
    for (let n = 0; n < num; n++) {
      const image = n * channels * plane;
      sum.fill(0);
      for (let c = 0; c < Math.min(pre, channels); c++) {
        for (let s = 0, i = image + c * plane; s < plane; s++, i++) sum[s] += src[i] * src[i];
      }
      for (let c = 0; c < channels; c++) {
        const at = image + c * plane;
        if (c + pre < channels) {
          for (let s = 0, i = at + pre * plane; s < plane; s++, i++) sum[s] += src[i] * src[i];
        }
        if (c - pre - 1 >= 0) {
          for (let s = 0, i = at - (pre + 1) * plane; s < plane; s++, i++) sum[s] -= src[i] * src[i];
        }
        if (power === -0.75) {
          // β = 0.75 (every BVLC model): b^-0.75 = 1 / (√b·√√b), a float64 ulp or so from Math.pow, ten times as fast.
          for (let s = 0, i = at; s < plane; s++, i++) {
            const root = Math.sqrt(k + scale * sum[s]);
            out[i] = src[i] / (root * Math.sqrt(root));
          }
        } else {
          for (let s = 0, i = at; s < plane; s++, i++) out[i] = src[i] * Math.pow(k + scale * sum[s], power);
        }
      }
    }
    return [blob(x.shape, out)];
  },
  shapes(ctx) {
    const { local_size } = ctx.param<{ local_size: number }>('lrn_param');
    // lrn_layer.cpp keeps local_size in an int: 2^31 + 1 would be negative there, and fail its oddness CHECK.
    checkInt(ctx, local_size, 'lrn_param.local_size');
    if (local_size % 2 !== 1) ctx.fail(`LRN only supports odd values for local_size (got ${local_size})`, 'lrn_param.local_size');
    const bottom = ctx.bottoms[0];
    if (bottom.length !== 4)
      ctx.fail(`input must have 4 axes, corresponding to (num, channels, height, width); got ${fmt(bottom)}`, 'bottom');
    return { tops: [[...bottom]], blobs: [] };
  },
  keras(ctx) {
    // Keras has no LRN: the custom CaffeLRN (see src/main/keras/custom/caffe-lrn.ts for its exact math).
    const p = ctx.param<{ local_size: number; alpha: number; beta: number; k: number; norm_region: string }>('lrn_param');
    const x = native(ctx, ctx.inputs[0]);
    const config = {
      local_size: p.local_size,
      alpha: p.alpha,
      beta: p.beta,
      k: p.k,
      norm_region: p.norm_region === 'WITHIN_CHANNEL' ? 'within_channel' : 'across_channels',
      data_format: ctx.ordering,
    };
    return ctx.add({ className: 'CaffeLRN', config }, [x], [outputLike(x)]);
  },
});
