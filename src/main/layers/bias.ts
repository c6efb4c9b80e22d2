import { broadcastOperand, op } from '../export/onnx-ops.js';
import { checkOperand, learnedShape } from './broadcast.js';
import { registerLayer } from './registry.js';
import { broadcast, broadcastDims } from './reference-kernels.js';
import { broadcastBottom, learnedScaleBias } from '../keras/helpers.js';
import { outputLike } from '../keras/layout.js';
import { changed, label } from './common.js';

registerLayer({
  type: 'Bias',
  meta: { category: 'normalization', keyParams: (p) => label(changed(p, 'bias_param', 'axis'), changed(p, 'bias_param', 'num_axes', 'axes')) },
  bottoms: { min: 1, max: 2 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<{ axis: number }>('bias_param');
    // bias_layer.cpp: y = x + b, b spanning bottom axes [axis, axis + ndim) and repeated over the others.
    const b = broadcastOperand(ctx, p.axis, ctx.inputs.length === 1 ? { blob: ctx.blobs[0], hint: 'bias' } : { input: ctx.inputs[1], shape: ctx.bottoms[1] });
    return [op(ctx, 'Add', [ctx.inputs[0], b], {}, ctx.top(0))];
  },
  reference(ctx) {
    const p = ctx.param<{ axis: number; num_axes: number }>('bias_param');
    const x = ctx.bottoms[0];
    const bias = ctx.bottoms[1] ?? ctx.blobs[0];
    return [broadcast(x, bias.data, ...broadcastDims(x.shape, bias.shape, p.axis), (v, b) => v + b)];
  },
  shapes(ctx) {
    const p = ctx.param<{ axis: number; num_axes: number }>('bias_param');
    const blobs = ctx.bottoms.length === 1 ? [learnedShape(ctx, 'bias_param', p.axis, p.num_axes, 'bias')] : [];
    checkOperand(ctx, 'bias_param', p.axis, ctx.bottoms[1] ?? blobs[0], 'bias');
    return { tops: [[...ctx.bottoms[0]]], blobs };
  },
  keras(ctx) {
    const p = ctx.param<{ axis: number; num_axes: number }>('bias_param');
    const x = ctx.inputs[0];
    const axis = p.axis < 0 ? p.axis + x.caffeShape.length : p.axis;
    if (ctx.inputs.length === 1) return learnedScaleBias(ctx, x, axis, undefined, ctx.blobs[0], 'bias_param.axis');
    const b = broadcastBottom(ctx, x, ctx.inputs[1], axis, 'bias_param.axis');
    return ctx.add({ className: 'Add', config: {} }, [x, b], [outputLike(x)]);
  },
});
