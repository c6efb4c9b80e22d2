import { int64s, op } from '../export/onnx-ops.js';
import { canonicalAxis, changed, count, label } from './common.js';
import { registerLayer } from './registry.js';
import { axisIndex, blob } from './reference-kernels.js';
import { caffeOrder, identityPerm, kerasAxis, memoryOrderAgrees, outputLike } from '../keras/layout.js';

registerLayer({
  type: 'ArgMax',
  meta: {
    category: 'other',
    keyParams: (p) => label(`top ${p.param<{ top_k: number }>('argmax_param').top_k}`, changed(p, 'argmax_param', 'axis'), p.param<{ out_max_val: boolean }>('argmax_param').out_max_val && 'values'),
  },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<{ out_max_val: boolean; top_k: number; axis: number }>('argmax_param');
    const bottom = ctx.bottoms[0];
    // argmax_layer.cpp: the top_k largest along `axis` (their indices as floats, or their values with
    // out_max_val), or per item over everything else, giving [N, 1 or 2, top_k, 1...]: indices, then values.
    // Ties: Caffe's partial_sort of (value, index) pairs lists the larger index first, ONNX TopK the smaller.
    const k = int64s(ctx, 'k', [p.top_k]);
    if (ctx.has('argmax_param', 'axis')) {
      const axis = p.axis < 0 ? p.axis + bottom.length : p.axis;
      const [values, indices] = ctx.node('TopK', [ctx.inputs[0], k], { axis, largest: 1, sorted: 1 }, p.out_max_val ? [ctx.top(0), 'indices'] : 2);
      return [p.out_max_val ? values : op(ctx, 'Cast', [indices], { to: 1 }, ctx.top(0))];
    }
    const flat = op(ctx, 'Flatten', [ctx.inputs[0]], { axis: 1 });
    const [values, indices] = ctx.node('TopK', [flat, k], { axis: 1, largest: 1, sorted: 1 }, 2);
    const index = op(ctx, 'Cast', [indices], { to: 1 });
    const rows = p.out_max_val ? op(ctx, 'Concat', [index, values], { axis: 1 }) : index;
    return [op(ctx, 'Reshape', [rows, int64s(ctx, 'shape', [-1, ...ctx.topShapes[0].slice(1)])], {}, ctx.top(0))];
  },
  reference(ctx) {
    const p = ctx.param<{ out_max_val: boolean; top_k: number; axis: number }>('argmax_param');
    const x = ctx.bottoms[0];
    const hasAxis = ctx.has('argmax_param', 'axis');
    const axis = hasAxis ? axisIndex(p.axis, x.shape.length) : 1;
    const dim = hasAxis ? x.shape[axis] : count(x.shape, 1);
    const stride = hasAxis ? count(x.shape, axis + 1) : 1;
    const k = p.top_k;
    const out = new Float32Array(count(ctx.topShapes[0]));
    const order = Array.from({ length: dim }, (_, j) => j);
    for (let i = 0, n = x.data.length / dim; i < n; i++) {
      const at = (j: number): number => (Math.floor(i / stride) * dim + j) * stride + (i % stride);
      // argmax_layer.cpp: std::partial_sort with std::greater on (value, index) pairs, so equal values rank the higher index first.
      order.sort((a, b) => x.data[at(b)] - x.data[at(a)] || b - a);
      for (let j = 0; j < k; j++) {
        const v = x.data[at(order[j])];
        const to = (Math.floor(i / stride) * k + j) * stride + (i % stride);
        if (!p.out_max_val) out[to] = order[j];
        else if (hasAxis) out[to] = v;
        else {
          out[2 * i * k + j] = order[j];
          out[2 * i * k + k + j] = v;
        }
      }
    }
    return [blob(ctx.topShapes[0], out)];
  },
  shapes(ctx) {
    const p = ctx.param<{ out_max_val: boolean; top_k: number; axis: number }>('argmax_param');
    const bottom = ctx.bottoms[0];
    if (!(p.top_k >= 1)) ctx.fail('top k must not be less than 1', 'argmax_param.top_k');
    if (ctx.has('argmax_param', 'axis')) {
      const axis = canonicalAxis(ctx, bottom, p.axis, 'argmax_param.axis');
      if (p.top_k > bottom[axis])
        ctx.fail(`top_k ${p.top_k} must be less than or equal to the dimension of the axis (${bottom[axis]})`, 'argmax_param.top_k');
      return { tops: [bottom.map((d, i) => (i === axis ? p.top_k : d))], blobs: [] };
    }
    if (bottom.length === 0) ctx.fail('ArgMax without axis needs a bottom with a batch axis', 'bottom');
    if (p.top_k > count(bottom, 1))
      ctx.fail(`top_k ${p.top_k} must be less than or equal to the dimension of the flattened bottom blob per instance`, 'argmax_param.top_k');
    // argmax_layer.cpp without axis: at least 3 axes, [N, 1 (2 with out_max_val), top_k, 1...].
    const top = new Array<number>(Math.max(bottom.length, 3)).fill(1);
    top[0] = bottom[0];
    top[1] = p.out_max_val ? 2 : 1;
    top[2] = p.top_k;
    return { tops: [top], blobs: [] };
  },
  keras(ctx) {
    // Keras has no top-k layer: the custom CaffeArgMax (indices as floats, Caffe's tie order).
    const p = ctx.param<{ out_max_val: boolean; top_k: number; axis: number }>('argmax_param');
    const x = ctx.inputs[0];
    const top = ctx.topShapes[0];
    if (ctx.has('argmax_param', 'axis')) {
      const k = kerasAxis(x, p.axis < 0 ? p.axis + x.caffeShape.length : p.axis);
      if (k === 0) ctx.fail('an ArgMax over the batch axis has no Keras mapping', 'argmax_param.axis');
      return ctx.add({ className: 'CaffeArgMax', config: { axis: k, top_k: p.top_k, out_max_val: p.out_max_val } }, [x], [outputLike(x, top)]);
    }
    // Without an axis the indices count each item's values in Caffe's C·H·W order.
    const t = memoryOrderAgrees(x) ? x : caffeOrder(ctx, x);
    return ctx.add({ className: 'CaffeArgMax', config: { axis: null, top_k: p.top_k, out_max_val: p.out_max_val } }, [t], [
      { caffeShape: top, perm: identityPerm(top.length) },
    ]);
  },
});
