import { int64s } from '../export/onnx-ops.js';
import { asList, canonicalAxis, fmt, label, num } from './common.js';
import { registerLayer } from './registry.js';
import { axisIndex, blob, count, sliceAlongAxis } from './reference-kernels.js';
import { kerasAxis, outputLike } from '../keras/layout.js';

registerLayer({
  type: 'Slice',
  meta: {
    category: 'shape',
    keyParams: (p) => {
      const s = p.param<{ axis: number; slice_dim: number; slice_point: number[] }>('slice_param');
      const points = asList(s.slice_point);
      return label(`axis ${num(p.has('slice_param', 'slice_dim') ? s.slice_dim : s.axis)}`, points.length > 0 && `at ${points.join(', ')}`);
    },
  },
  bottoms: { min: 1, max: 1 },
  tops: { min: 1 },
  onnx(ctx) {
    const p = ctx.param<{ axis: number; slice_dim: number }>('slice_param');
    const rank = ctx.bottoms[0].length;
    const axis = ctx.has('slice_param', 'slice_dim') ? p.slice_dim : p.axis < 0 ? p.axis + rank : p.axis;
    // slice_layer.cpp: one top shares the bottom; more tops are consecutive pieces along `axis`: ONNX Split.
    if (ctx.topShapes.length === 1) return [ctx.inputs[0]];
    const sizes = ctx.topShapes.map((s) => s[axis]);
    return ctx.node('Split', [ctx.inputs[0], int64s(ctx, 'split', sizes)], { axis }, ctx.topShapes.map((_, i) => ctx.top(i)));
  },
  reference(ctx) {
    const p = ctx.param<{ axis: number; slice_dim: number }>('slice_param');
    const x = ctx.bottoms[0];
    const axis = ctx.has('slice_param', 'slice_dim') ? p.slice_dim : axisIndex(p.axis, x.shape.length);
    let offset = 0;
    return ctx.topShapes.map((top) => {
      const data = sliceAlongAxis(x.data, count(x.shape, 0, axis), top[axis], x.shape[axis], count(x.shape, axis + 1), offset);
      offset += top[axis];
      return blob(top, data);
    });
  },
  shapes(ctx) {
    const p = ctx.param<{ axis: number; slice_dim: number; slice_point: number[] }>('slice_param');
    const hasAxis = ctx.has('slice_param', 'axis');
    const hasDim = ctx.has('slice_param', 'slice_dim');
    if (hasAxis && hasDim) ctx.fail('either axis or slice_dim should be specified; not both', 'slice_param.slice_dim');
    const bottom = ctx.bottoms[0];
    let axis: number;
    if (hasDim) {
      axis = p.slice_dim;
      if (axis >= bottom.length) ctx.fail(`slice_dim ${axis} out of range for ${bottom.length}-D bottom`, 'slice_param.slice_dim');
    } else {
      axis = canonicalAxis(ctx, bottom, p.axis, 'slice_param.axis');
    }
    const size = bottom[axis];
    const tops = ctx.numTops;
    let sizes: number[];
    if (p.slice_point.length > 0) {
      if (p.slice_point.length !== tops - 1)
        ctx.fail(`${p.slice_point.length} slice_point(s) need ${p.slice_point.length + 1} tops, found ${tops}`, 'slice_param.slice_point');
      if (tops > size) ctx.fail(`${tops} tops cannot slice axis ${axis} of bottom[0] ${fmt(bottom)}`, 'slice_param.slice_point');
      let prev = 0;
      sizes = p.slice_point.map((point) => {
        if (!(point > prev)) ctx.fail(`slice points must increase (${point} after ${prev})`, 'slice_param.slice_point');
        const s = point - prev;
        prev = point;
        return s;
      });
      // slice_layer.cpp: the last top takes what is left; a negative remainder fails Blob::Reshape.
      if (size - prev < 0) ctx.fail(`slice point ${prev} lies past axis ${axis} of size ${size}`, 'slice_param.slice_point');
      sizes.push(size - prev);
    } else {
      if (size % tops !== 0)
        ctx.fail(`number of top blobs (${tops}) should evenly divide input slice axis (${size})`, 'top');
      sizes = Array.from({ length: tops }, () => size / tops);
    }
    return { tops: sizes.map((s) => bottom.map((d, i) => (i === axis ? s : d))), blobs: [] };
  },
  keras(ctx) {
    const x = ctx.inputs[0];
    if (ctx.topShapes.length === 1) return [x];
    const p = ctx.param<{ axis: number; slice_dim: number }>('slice_param');
    const rank = x.caffeShape.length;
    const axis = ctx.has('slice_param', 'slice_dim') ? p.slice_dim : p.axis < 0 ? p.axis + rank : p.axis;
    const k = kerasAxis(x, axis);
    if (k === 0) ctx.fail('a Slice along the batch axis has no Keras mapping', 'slice_param.axis');
    // Keras has no slicing layer: the custom CaffeSlice, cutting the Keras axis holding Caffe's.
    const points: number[] = [];
    ctx.topShapes.slice(0, -1).reduce((at, s) => (points.push(at + s[axis]), at + s[axis]), 0);
    return ctx.add({ className: 'CaffeSlice', config: { axis: k, slice_points: points } }, [x], ctx.topShapes.map((s) => outputLike(x, s)));
  },
});
