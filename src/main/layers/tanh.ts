import { unary } from '../export/onnx-ops.js';
import { registerNeuron } from './common.js';
import { mapValues } from './reference-kernels.js';
import { elementwise } from '../keras/layout.js';

registerNeuron('TanH', undefined, {
  meta: { category: 'activation' },
  onnx: (ctx) => unary(ctx, 'Tanh'),
  reference: (ctx) => [mapValues(ctx.bottoms[0], Math.tanh)],
  keras: (ctx) => elementwise(ctx, 'Activation', { activation: 'tanh' }),
});
