import { broadcastOperand, op } from '../export/onnx-ops.js';
import { checkOperand, learnedShape } from './broadcast.js';
import { registerLayer } from './registry.js';
import { broadcast, broadcastDims } from './reference-kernels.js';
import { broadcastBottom, learnedScaleBias } from '../keras/helpers.js';
import { outputLike } from '../keras/layout.js';
import { changed, label } from './common.js';

interface ScaleParam {
  axis: number;
  num_axes: number;
  bias_term: boolean;
}

registerLayer({
  type: 'Scale',
  meta: {
    category: 'normalization',
    keyParams: (p) => label(changed(p, 'scale_param', 'axis'), changed(p, 'scale_param', 'num_axes', 'axes'), p.param<ScaleParam>('scale_param').bias_term && 'bias'),
  },
  bottoms: { min: 1, max: 2 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<ScaleParam>('scale_param');
    // scale_layer.cpp: y = x·s (+ b), s and b spanning bottom axes [axis, axis + ndim) and repeated over the others.
    const learned = ctx.inputs.length === 1;
    const s = broadcastOperand(ctx, p.axis, learned ? { blob: ctx.blobs[0], hint: 'scale' } : { input: ctx.inputs[1], shape: ctx.bottoms[1] });
    const bias = p.bias_term ? ctx.blobs[learned ? 1 : 0] : undefined;
    const y = op(ctx, 'Mul', [ctx.inputs[0], s], {}, bias ? undefined : ctx.top(0));
    if (!bias) return [y];
    return [op(ctx, 'Add', [y, broadcastOperand(ctx, p.axis, { blob: bias, hint: 'bias' })], {}, ctx.top(0))];
  },
  reference(ctx) {
    const p = ctx.param<ScaleParam>('scale_param');
    const x = ctx.bottoms[0];
    const scale = ctx.bottoms[1] ?? ctx.blobs[0];
    const [outer, dim, inner] = broadcastDims(x.shape, scale.shape, p.axis);
    const top = broadcast(x, scale.data, outer, dim, inner, (v, s) => v * s);
    if (!p.bias_term) return [top];
    const bias = ctx.blobs[ctx.blobs.length - 1];
    return [broadcast(top, bias.data, ...broadcastDims(x.shape, bias.shape, p.axis), (v, b) => v + b)];
  },
  shapes(ctx) {
    const p = ctx.param<ScaleParam>('scale_param');
    const blobs = ctx.bottoms.length === 1 ? [learnedShape(ctx, 'scale_param', p.axis, p.num_axes, 'scale')] : [];
    checkOperand(ctx, 'scale_param', p.axis, ctx.bottoms[1] ?? blobs[0], 'scale');
    if (p.bias_term) {
      // scale_layer.cpp: the internal Bias layer gets num_axes = bottom[1]->num_axes() when the scale
      // is a second bottom, else scale_param.num_axes; its blob follows the scale blob, if any.
      const numAxes = ctx.bottoms.length > 1 ? ctx.bottoms[1].length : p.num_axes;
      blobs.push(learnedShape(ctx, 'scale_param', p.axis, numAxes, 'bias'));
    }
    return { tops: [[...ctx.bottoms[0]]], blobs };
  },
  keras(ctx) {
    const p = ctx.param<ScaleParam>('scale_param');
    const x = ctx.inputs[0];
    const axis = p.axis < 0 ? p.axis + x.caffeShape.length : p.axis;
    if (ctx.inputs.length === 1) return learnedScaleBias(ctx, x, axis, ctx.blobs[0], p.bias_term ? ctx.blobs[1] : undefined, 'scale_param.axis');
    // scale_layer.cpp with a second bottom: x·s (Keras Multiply, broadcasting), then the learned bias.
    const s = broadcastBottom(ctx, x, ctx.inputs[1], axis, 'scale_param.axis');
    const [y] = ctx.add({ className: 'Multiply', config: {}, suffix: p.bias_term ? 'multiply' : undefined }, [x, s], [outputLike(x)]);
    return p.bias_term ? learnedScaleBias(ctx, y, axis, undefined, ctx.blobs[0], 'scale_param.axis') : [y];
  },
});
