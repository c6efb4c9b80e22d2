import { op, scaleBy } from '../export/onnx-ops.js';
import { changed, label, registerNeuron } from './common.js';
import { mapValues, sigmoid } from './reference-kernels.js';
import { elementwise } from '../keras/layout.js';

registerNeuron('Swish', undefined, {
  meta: { category: 'activation', keyParams: (p) => label(changed(p, 'swish_param', 'beta', 'β')) },
  onnx(ctx) {
    // swish_layer.cpp: x·sigmoid(β·x).
    const x = ctx.inputs[0];
    const beta = ctx.param<{ beta: number }>('swish_param').beta;
    return [op(ctx, 'Mul', [x, op(ctx, 'Sigmoid', [scaleBy(ctx, x, beta, 'beta')])], {}, ctx.top(0))];
  },
  reference(ctx) {
    const { beta } = ctx.param<{ beta: number }>('swish_param');
    return [mapValues(ctx.bottoms[0], (x) => x * sigmoid(beta * x))];
  },
  keras(ctx) {
    const { beta } = ctx.param<{ beta: number }>('swish_param');
    // β = 1 is Keras' silu (alias swish).
    return beta === 1 ? elementwise(ctx, 'Activation', { activation: 'silu' }) : elementwise(ctx, 'CaffeNeuron', { function: 'swish', beta });
  },
});
