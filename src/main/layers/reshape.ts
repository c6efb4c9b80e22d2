import { int64s, op } from '../export/onnx-ops.js';
import { blobShapeDims, changed, checkInt, count, fmt, forbidInPlace, label } from './common.js';
import type { Message } from '../caffe/message.js';
import { registerLayer } from './registry.js';
import { blob } from './reference-kernels.js';
import { caffeOrder, identityPerm, memoryOrderAgrees } from '../keras/layout.js';

registerLayer({
  type: 'Reshape',
  meta: {
    category: 'shape',
    // The target dims as the prototxt gives them: 0 copies the bottom's dim, -1 is inferred.
    keyParams: (p) => label(fmt(blobShapeDims(p.param<{ shape?: Message }>('reshape_param').shape)), changed(p, 'reshape_param', 'axis'), changed(p, 'reshape_param', 'num_axes', 'axes')),
  },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<{ shape?: Message; axis: number; num_axes: number }>('reshape_param');
    const dims = blobShapeDims(p.shape);
    const bottom = ctx.bottoms[0];
    const start = p.axis >= 0 ? p.axis : bottom.length + p.axis + 1;
    const end = p.num_axes === -1 ? bottom.length : start + p.num_axes;
    // reshape_layer.cpp: 0 copies the bottom dim at the same place and -1 is inferred, as in ONNX Reshape
    // (allowzero 0), so Caffe's dims go through unchanged; axes before `axis` are copied (0), and axes
    // after axis + num_axes are kept (literally, or from the input's shape when they include the batch).
    const x = ctx.inputs[0];
    const head = [...new Array<number>(start).fill(0), ...dims];
    const shape =
      end === 0 && bottom.length > 0
        ? op(ctx, 'Concat', [int64s(ctx, 'shape_head', head), op(ctx, 'Shape', [x])], { axis: 0 })
        : int64s(ctx, 'shape', [...head, ...bottom.slice(end)]);
    return [op(ctx, 'Reshape', [x, shape], {}, ctx.top(0))];
  },
  reference: (ctx) => [blob(ctx.topShapes[0], ctx.bottoms[0].data)],
  shapes(ctx) {
    forbidInPlace(ctx);
    const p = ctx.param<{ shape?: Message; axis: number; num_axes: number }>('reshape_param');
    const dims = blobShapeDims(p.shape);
    // reshape_layer.cpp reads each int64 dim into an int: 2^32 would become 0, a copied axis.
    checkInt(ctx, dims, 'reshape_param.shape');
    const bottom = ctx.bottoms[0];
    const copyAxes: number[] = [];
    let inferred = -1;
    let constant = 1;
    dims.forEach((d, i) => {
      if (d === 0) copyAxes.push(i);
      else if (d === -1) {
        if (inferred !== -1) ctx.fail('new shape contains multiple -1 dims; at most a single (1) value of -1 may be specified', 'reshape_param.shape');
        inferred = i;
      } else if (d < -1) ctx.fail(`new shape ${fmt(dims)} has a negative dimension other than -1`, 'reshape_param.shape');
      else constant *= d;
    });
    // reshape_layer.cpp: axis may be negative (-1 = after the last axis); num_axes -1 replaces the
    // rest, 0 inserts the new dims; 0 dims copy the bottom dim at the same position from axis on.
    const start = p.axis >= 0 ? p.axis : bottom.length + p.axis + 1;
    if (start < 0 || start > bottom.length) ctx.fail(`axis ${p.axis} out of range for ${bottom.length}-D input blob`, 'reshape_param.axis');
    if (p.num_axes < -1) ctx.fail('num_axes must be >= 0, or -1 for all', 'reshape_param.num_axes');
    const end = p.num_axes === -1 ? bottom.length : start + p.num_axes;
    if (end > bottom.length) ctx.fail(`end_axis = axis + num_axes = ${end} is out of range for ${fmt(bottom)}`, 'reshape_param.num_axes');
    const top = [...bottom.slice(0, start), ...dims, ...bottom.slice(end)];
    for (const i of copyAxes) {
      if (start + i >= bottom.length)
        ctx.fail('new shape contains a 0, but there was no corresponding bottom axis to copy', 'reshape_param.shape');
      top[start + i] = bottom[start + i];
    }
    if (inferred >= 0) {
      let explicit = constant * count(bottom, 0, start) * count(bottom, end);
      for (const i of copyAxes) explicit *= top[start + i];
      if (explicit === 0 || count(bottom) % explicit !== 0)
        ctx.fail(`bottom count (${count(bottom)}) must be divisible by the product of the specified dimensions (${explicit})`, 'reshape_param.shape');
      top[start + inferred] = count(bottom) / explicit;
    }
    if (count(top) !== count(bottom))
      ctx.fail(`output count must match input count: ${fmt(top)} vs. bottom ${fmt(bottom)}`, 'reshape_param.shape');
    return { tops: [top], blobs: [] };
  },
  keras(ctx) {
    const x = ctx.inputs[0];
    const top = ctx.topShapes[0];
    if (top.length === 0 || top[0] !== x.caffeShape[0])
      ctx.fail('a Reshape that changes the batch axis has no Keras mapping (Keras reshapes each item)', 'reshape_param.shape');
    // reshape_layer.cpp keeps Caffe's memory order: Keras' Reshape of the tensor in Caffe's order.
    const t = memoryOrderAgrees(x) ? x : caffeOrder(ctx, x);
    return ctx.add({ className: 'Reshape', config: { target_shape: top.slice(1) } }, [t], [{ caffeShape: top, perm: identityPerm(top.length) }]);
  },
});
