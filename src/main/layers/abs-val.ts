import { unary } from '../export/onnx-ops.js';
import { forbidInPlace, registerNeuron } from './common.js';
import { mapValues } from './reference-kernels.js';
import { elementwise } from '../keras/layout.js';

// absval_layer.cpp LayerSetUp: CHECK_NE(top[0], bottom[0]), unlike the other neuron layers.
registerNeuron('AbsVal', forbidInPlace, {
  meta: { category: 'activation' },
  onnx: (ctx) => unary(ctx, 'Abs'),
  reference: (ctx) => [mapValues(ctx.bottoms[0], Math.abs)],
  // Keras has no abs layer: CaffeNeuron 'abs'.
  keras: (ctx) => elementwise(ctx, 'CaffeNeuron', { function: 'abs' }),
});
