import { unary } from '../export/onnx-ops.js';
import { registerNeuron } from './common.js';
import { mapValues, sigmoid } from './reference-kernels.js';
import { elementwise } from '../keras/layout.js';

registerNeuron('Sigmoid', undefined, {
  meta: { category: 'activation' },
  // sigmoid_layer.cpp: 0.5·tanh(0.5x) + 0.5, the logistic function: ONNX Sigmoid.
  onnx: (ctx) => unary(ctx, 'Sigmoid'),
  reference: (ctx) => [mapValues(ctx.bottoms[0], sigmoid)],
  keras: (ctx) => elementwise(ctx, 'Activation', { activation: 'sigmoid' }),
});
