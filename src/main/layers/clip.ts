import { op, scalar } from '../export/onnx-ops.js';
import { num, registerNeuron } from './common.js';
import { mapValues } from './reference-kernels.js';
import { elementwise } from '../keras/layout.js';

registerNeuron('Clip', (ctx) => {
  // caffe.proto declares ClipParameter.min and .max `required`: Caffe refuses a net without them.
  for (const f of ['min', 'max']) {
    if (!ctx.has('clip_param', f)) ctx.fail(`clip_param.${f} is required`, `clip_param.${f}`);
  }
}, {
  meta: { category: 'activation', keyParams: (p) => `${num(p.param('clip_param').min)}..${num(p.param('clip_param').max)}` },
  onnx(ctx) {
    const { min, max } = ctx.param<{ min: number; max: number }>('clip_param');
    // clip_layer.cpp: max(min, min(x, max)), in that order (it matters only when min > max).
    const upper = op(ctx, 'Min', [ctx.inputs[0], scalar(ctx, 'max', max)]);
    return [op(ctx, 'Max', [upper, scalar(ctx, 'min', min)], {}, ctx.top(0))];
  },
  reference(ctx) {
    const { min, max } = ctx.param<{ min: number; max: number }>('clip_param');
    return [mapValues(ctx.bottoms[0], (x) => Math.max(min, Math.min(x, max)))];
  },
  keras(ctx) {
    const { min, max } = ctx.param<{ min: number; max: number }>('clip_param');
    // Clipping at 0 from below is Keras' ReLU(max_value); other bounds: CaffeNeuron 'clip'.
    if (min === 0 && max >= 0) return elementwise(ctx, 'ReLU', { max_value: max, negative_slope: 0, threshold: 0 });
    return elementwise(ctx, 'CaffeNeuron', { function: 'clip', min, max });
  },
});
