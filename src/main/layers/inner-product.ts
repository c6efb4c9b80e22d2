import { int64s, op } from '../export/onnx-ops.js';
import { canonicalAxis, changed, checkInt, count, label, num } from './common.js';
import { registerLayer } from './registry.js';
import { addChannelBias, axisIndex, blob, matMul } from './reference-kernels.js';
import { caffeOrder, identityPerm } from '../keras/layout.js';
import { denseKernel, flattenOrder } from '../keras/weights.js';
import type { KTensor } from './types.js';

interface InnerProductParam {
  num_output: number;
  bias_term: boolean;
  axis: number;
  transpose: boolean;
}

registerLayer({
  type: 'InnerProduct',
  meta: { category: 'dense', keyParams: (p) => label(num(p.param('inner_product_param').num_output), changed(p, 'inner_product_param', 'axis')) },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<InnerProductParam>('inner_product_param');
    const bottom = ctx.bottoms[0];
    const axis = p.axis < 0 ? p.axis + bottom.length : p.axis;
    const [w, b] = ctx.blobs;
    // inner_product_layer.cpp: top = x·Wᵀ + b, x the bottom flattened from `axis` on in memory (C·H·W) order:
    // ONNX Flatten(axis) then Gemm (transB, unless `transpose` stores the weights as [K, N]).
    const x = axis === 1 && bottom.length === 2 ? ctx.inputs[0] : op(ctx, 'Flatten', [ctx.inputs[0]], { axis });
    const inputs = [x, ctx.constant('weight', w.data, w.shape), ...(p.bias_term ? [ctx.constant('bias', b.data, b.shape)] : [])];
    if (axis === 1) return [op(ctx, 'Gemm', inputs, { transB: p.transpose ? 0 : 1 }, ctx.top(0))];
    // Other axes: Gemm's [outer, N] back to Caffe's bottom[:axis] + [N].
    const y = op(ctx, 'Gemm', inputs, { transB: p.transpose ? 0 : 1 });
    const shape = axis === 0 ? [p.num_output] : [-1, ...bottom.slice(1, axis), p.num_output];
    return [op(ctx, 'Reshape', [y, int64s(ctx, 'shape', shape)], {}, ctx.top(0))];
  },
  reference(ctx) {
    const p = ctx.param<InnerProductParam>('inner_product_param');
    const x = ctx.bottoms[0];
    const axis = axisIndex(p.axis, x.shape.length);
    const m = count(x.shape, 0, axis);
    const k = count(x.shape, axis);
    const out = matMul(x.data, ctx.blobs[0].data, m, k, p.num_output, !p.transpose);
    if (p.bias_term) addChannelBias(out, ctx.blobs[1].data, m, p.num_output, 1);
    return [blob(ctx.topShapes[0], out)];
  },
  shapes(ctx) {
    const p = ctx.param<InnerProductParam>('inner_product_param');
    const bottom = ctx.bottoms[0];
    const axis = canonicalAxis(ctx, bottom, p.axis, 'inner_product_param.axis');
    // inner_product_layer.cpp: K = count(axis..end) flattens C·H·W in memory order; weights are
    // [N, K], or [K, N] with transpose.
    const n = p.num_output;
    // inner_product_layer.cpp keeps num_output in an int, and LayerSetUp fills the [N, K] weights,
    // whose fillers CHECK a non-empty blob (filler.hpp: CHECK(blob->count())).
    checkInt(ctx, n, 'inner_product_param.num_output');
    if (!(n > 0)) ctx.fail('num_output must be greater than 0 (Caffe fills the weights at set-up, and an empty blob fails the filler)', 'inner_product_param.num_output');
    const k = count(bottom, axis);
    const blobs = [p.transpose ? [k, n] : [n, k]];
    if (p.bias_term) blobs.push([n]);
    return { tops: [[...bottom.slice(0, axis), n]], blobs };
  },
  keras(ctx) {
    const p = ctx.param<InnerProductParam>('inner_product_param');
    const input = ctx.inputs[0];
    const shape = input.caffeShape;
    const axis = p.axis < 0 ? p.axis + shape.length : p.axis;
    if (axis === 0) ctx.fail('an InnerProduct over the batch axis (axis 0) has no Keras mapping', 'inner_product_param.axis');
    const [w, b] = ctx.blobs;
    const top = ctx.topShapes[0];
    const k = count(shape, axis);
    const dense = (x: KTensor, order?: Int32Array): KTensor[] =>
      ctx.add(
        {
          className: 'Dense',
          config: { units: p.num_output, activation: 'linear', use_bias: p.bias_term },
          weights: [{ name: 'kernel', ...denseKernel(w, p.transpose, order) }, ...(p.bias_term ? [{ name: 'bias', shape: [p.num_output], data: b.data }] : [])],
        },
        [x],
        [{ caffeShape: top, perm: identityPerm(top.length) }],
      );
    if (axis === 1) {
      if (shape.length === 2) return dense(input);
      // inner_product_layer.cpp reads the bottom in C·H·W order; Flatten reads the Keras tensor in its own
      // order (H·W·C in channels_last), so the Dense rows are reordered instead of permuting the data.
      const [flat] = ctx.add({ className: 'Flatten', config: { data_format: 'channels_last' }, suffix: 'flatten' }, [input], [
        { caffeShape: [shape[0], k], perm: [0, 1] },
      ]);
      return dense(flat, flattenOrder(shape.slice(1), input.perm.slice(1).map((a) => a - 1)));
    }
    // A later axis: Dense acts on the last axis, so fold axes axis.. (in Caffe's order) into one.
    let x = caffeOrder(ctx, input);
    if (axis < shape.length - 1)
      [x] = ctx.add({ className: 'Reshape', config: { target_shape: [...shape.slice(1, axis), k] }, suffix: 'reshape' }, [x], [
        { caffeShape: [...shape.slice(0, axis), k], perm: identityPerm(axis + 1) },
      ]);
    return dense(x);
  },
});
