import { canonicalAxis, fmt } from './common.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'Crop',
  bottoms: { min: 2, max: 2 },
  tops: { min: 1, max: 1 },
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
});
