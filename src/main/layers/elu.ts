import { f, unary } from '../export/onnx-ops.js';
import { changed, label, registerNeuron } from './common.js';
import { mapValues } from './reference-kernels.js';
import { elementwise } from '../keras/layout.js';

registerNeuron('ELU', undefined, {
  meta: { category: 'activation', keyParams: (p) => label(changed(p, 'elu_param', 'alpha', 'α')) },
  onnx(ctx) {
    // elu_layer.cpp: max(x, 0) + α(exp(min(x, 0)) - 1): ONNX Elu.
    return unary(ctx, 'Elu', { alpha: f(ctx.param<{ alpha: number }>('elu_param').alpha) });
  },
  reference(ctx) {
    const { alpha } = ctx.param<{ alpha: number }>('elu_param');
    return [mapValues(ctx.bottoms[0], (x) => Math.max(x, 0) + alpha * (Math.exp(Math.min(x, 0)) - 1))];
  },
  keras: (ctx) => elementwise(ctx, 'ELU', { alpha: ctx.param<{ alpha: number }>('elu_param').alpha }),
});
