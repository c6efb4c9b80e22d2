import { num, registerNeuron } from './common.js';
import { blob } from './reference-kernels.js';
import { elementwise } from '../keras/layout.js';

registerNeuron('Dropout', undefined, {
  meta: { category: 'other', keyParams: (p) => `p ${num(p.param('dropout_param').dropout_ratio)}` },
  // dropout_layer.cpp: outside TRAIN the top is the bottom.
  onnx: (ctx) => [ctx.inputs[0]],
  // dropout_layer.cpp Forward_cpu: outside TRAIN the top is a copy of the bottom.
  reference: (ctx) => [blob(ctx.bottoms[0].shape, ctx.bottoms[0].data)],
  // Keras' Dropout is the identity at inference too, and keeps the layer in the model.
  keras: (ctx) => elementwise(ctx, 'Dropout', { rate: ctx.param<{ dropout_ratio: number }>('dropout_param').dropout_ratio }),
});
