import { op, scalar } from '../export/onnx-ops.js';
import { num, registerNeuron } from './common.js';
import { mapValues } from './reference-kernels.js';
import { elementwise } from '../keras/layout.js';

registerNeuron('Threshold', undefined, {
  meta: { category: 'activation', keyParams: (p) => `> ${num(p.param('threshold_param').threshold)}` },
  onnx(ctx) {
    // threshold_layer.cpp: 1 where x > threshold, else 0.
    const { threshold } = ctx.param<{ threshold: number }>('threshold_param');
    return [op(ctx, 'Cast', [op(ctx, 'Greater', [ctx.inputs[0], scalar(ctx, 'threshold', threshold)])], { to: 1 }, ctx.top(0))];
  },
  reference(ctx) {
    const { threshold } = ctx.param<{ threshold: number }>('threshold_param');
    return [mapValues(ctx.bottoms[0], (x) => (x > threshold ? 1 : 0))];
  },
  keras: (ctx) => elementwise(ctx, 'CaffeNeuron', { function: 'threshold', threshold: ctx.param<{ threshold: number }>('threshold_param').threshold }),
});
