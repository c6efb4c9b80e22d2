import { int64s, op, unary } from '../export/onnx-ops.js';
import { canonicalAxis, changed, count, forbidInPlace, label } from './common.js';
import { registerLayer } from './registry.js';
import { blob } from './reference-kernels.js';
import { caffeOrder, identityPerm, memoryOrderAgrees } from '../keras/layout.js';

registerLayer({
  type: 'Flatten',
  meta: { category: 'shape', keyParams: (p) => label(changed(p, 'flatten_param', 'axis'), changed(p, 'flatten_param', 'end_axis', 'to')) },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<{ axis: number; end_axis: number }>('flatten_param');
    const bottom = ctx.bottoms[0];
    const start = p.axis < 0 ? p.axis + bottom.length : p.axis;
    const end = p.end_axis < 0 ? p.end_axis + bottom.length : p.end_axis;
    // flatten_layer.cpp: the same data, axes start..end merged in memory order (C·H·W).
    if (start === 1 && end === bottom.length - 1) return unary(ctx, 'Flatten', { axis: 1 });
    const shape = [...new Array<number>(start).fill(0), start <= end ? -1 : 1, ...bottom.slice(end + 1)];
    return [op(ctx, 'Reshape', [ctx.inputs[0], int64s(ctx, 'shape', shape)], {}, ctx.top(0))];
  },
  reference: (ctx) => [blob(ctx.topShapes[0], ctx.bottoms[0].data)],
  shapes(ctx) {
    forbidInPlace(ctx);
    const p = ctx.param<{ axis: number; end_axis: number }>('flatten_param');
    const bottom = ctx.bottoms[0];
    const start = canonicalAxis(ctx, bottom, p.axis, 'flatten_param.axis');
    const end = canonicalAxis(ctx, bottom, p.end_axis, 'flatten_param.end_axis');
    // flatten_layer.cpp: count(start, end + 1) needs start <= end + 1; start == end + 1 inserts a 1.
    if (start > end + 1) ctx.fail(`flatten axis ${start} lies after end_axis ${end}`, 'flatten_param.end_axis');
    return { tops: [[...bottom.slice(0, start), count(bottom, start, end + 1), ...bottom.slice(end + 1)]], blobs: [] };
  },
  keras(ctx) {
    const p = ctx.param<{ axis: number; end_axis: number }>('flatten_param');
    const x = ctx.inputs[0];
    const rank = x.caffeShape.length;
    const start = p.axis < 0 ? p.axis + rank : p.axis;
    const end = p.end_axis < 0 ? p.end_axis + rank : p.end_axis;
    if (start === 0) ctx.fail('a Flatten including the batch axis has no Keras mapping', 'flatten_param.axis');
    // flatten_layer.cpp keeps Caffe's memory order (C·H·W): bring the tensor to it first (a Permute,
    // unless only size-1 axes are out of place), then Keras' Flatten (or Reshape for a partial flatten).
    const t = memoryOrderAgrees(x) ? x : caffeOrder(ctx, x);
    const top = ctx.topShapes[0];
    const out = [{ caffeShape: top, perm: identityPerm(top.length) }];
    if (start === 1 && end === rank - 1) return ctx.add({ className: 'Flatten', config: { data_format: 'channels_last' } }, [t], out);
    return ctx.add({ className: 'Reshape', config: { target_shape: top.slice(1) } }, [t], out);
  },
});
