import { unary } from '../export/onnx-ops.js';
import { registerNeuron } from './common.js';
import { mapValues } from './reference-kernels.js';
import { elementwise } from '../keras/layout.js';

registerNeuron('BNLL', undefined, {
  meta: { category: 'activation' },
  // bnll_layer.cpp: log(1 + eˣ) computed stably: ONNX Softplus (onnxruntime's is stable too).
  onnx: (ctx) => unary(ctx, 'Softplus'),
  reference: (ctx) => [mapValues(ctx.bottoms[0], (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))))],
  // log(1 + eˣ) is Keras' softplus.
  keras: (ctx) => elementwise(ctx, 'Activation', { activation: 'softplus' }),
});
