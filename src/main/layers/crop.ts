import { int64s, op } from '../export/onnx-ops.js';
import { asList, canonicalAxis, fmt, label, num } from './common.js';
import { registerLayer } from './registry.js';
import { axisIndex, crop } from './reference-kernels.js';
import { native } from '../keras/layout.js';

registerLayer({
  type: 'Crop',
  meta: {
    category: 'shape',
    // crop_layer.cpp: no offset crops from 0 on every axis.
    unsetRepeated: { 'crop_param.offset': '0' },
    keyParams: (p) => label(`axis ${num(p.param('crop_param').axis)}`, p.has('crop_param', 'offset') && `offset ${asList(p.param('crop_param').offset).join(', ')}`),
  },
  bottoms: { min: 2, max: 2 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    const p = ctx.param<{ axis: number; offset: number[] }>('crop_param');
    const [data, size] = ctx.bottoms;
    const start = p.axis < 0 ? p.axis + data.length : p.axis;
    // crop_layer.cpp: axes from `axis` on take bottom[1]'s size from their offset (one offset serves all):
    // an ONNX Slice; bottom[1] only lends its shape.
    const axes = Array.from({ length: data.length - start }, (_, i) => start + i);
    const offsets = axes.map((a) => (p.offset.length === 0 ? 0 : p.offset.length === 1 ? p.offset[0] : p.offset[a - start]));
    const inputs = [ctx.inputs[0], int64s(ctx, 'starts', offsets), int64s(ctx, 'ends', axes.map((a, i) => offsets[i] + size[a])), int64s(ctx, 'axes', axes)];
    return [op(ctx, 'Slice', inputs, {}, ctx.top(0))];
  },
  reference(ctx) {
    const p = ctx.param<{ axis: number; offset: number[] }>('crop_param');
    const x = ctx.bottoms[0];
    const start = axisIndex(p.axis, x.shape.length);
    const offsets = x.shape.map((_, i) => (i < start || p.offset.length === 0 ? 0 : p.offset[p.offset.length === 1 ? 0 : i - start]));
    return [crop(x, ctx.topShapes[0], offsets)];
  },
  shapes(ctx) {
    const p = ctx.param<{ axis: number; offset: number[] }>('crop_param');
    const [data, size] = ctx.bottoms;
    const start = canonicalAxis(ctx, data, p.axis, 'crop_param.axis');
    if (p.offset.length > 1 && start + p.offset.length !== data.length)
      ctx.fail(
        `number of offset values specified (${p.offset.length}) must be equal to the number of dimensions following axis ${start} of ${fmt(data)}`,
        'crop_param.offset',
      );
    if (size.length < data.length) ctx.fail(`bottom[1] ${fmt(size)} has fewer axes than bottom[0] ${fmt(data)}`, 'bottom');
    // crop_layer.cpp: axes from `axis` on take bottom[1]'s size; one offset serves every cropped axis.
    const top = data.map((d, i) => {
      if (i < start) return d;
      const offset = p.offset.length === 0 ? 0 : p.offset.length === 1 ? p.offset[0] : p.offset[i - start];
      if (d - offset < size[i])
        ctx.fail(`the crop for dimension ${i} is out-of-bounds with size ${size[i]} and offset ${offset} (bottom[0] ${fmt(data)})`, 'crop_param.offset');
      return size[i];
    });
    return { tops: [top], blobs: [] };
  },
  keras(ctx) {
    const p = ctx.param<{ axis: number; offset: number[] }>('crop_param');
    const x = ctx.inputs[0];
    const shape = x.caffeShape;
    const top = ctx.topShapes[0];
    const start = p.axis < 0 ? p.axis + shape.length : p.axis;
    const offset = (i: number): number => (i < start ? 0 : p.offset.length === 0 ? 0 : p.offset.length === 1 ? p.offset[0] : p.offset[i - start]);
    // Keras' Cropping2D crops height and width only.
    if (shape.length !== 4 || [0, 1].some((i) => offset(i) !== 0 || top[i] !== shape[i]))
      ctx.fail('only a crop of height and width (an N,C,H,W bottom, axis >= 2) maps to Keras (Cropping2D)', 'crop_param.axis');
    const cropping = [2, 3].map((i) => [offset(i), shape[i] - offset(i) - top[i]]);
    const xn = native(ctx, x);
    return ctx.add({ className: 'Cropping2D', config: { cropping, data_format: ctx.ordering } }, [xn], [{ caffeShape: top, perm: xn.perm }]);
  },
});
