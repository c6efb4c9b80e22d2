import { registerLayer } from './registry.js';
import { dataTops, num } from './common.js';

/** image_data_layer.cpp: images resized to new_height x new_width (else the first image's size), then cropped. */
registerLayer({
  type: 'ImageData',
  meta: { category: 'data', params: ['image_data_param', 'transform_param'], keyParams: (p) => `batch ${num(p.param('image_data_param').batch_size)}` },
  role: 'data',
  bottoms: { min: 0, max: 0 },
  tops: { min: 1, max: 2 },
  shapes(ctx) {
    const p = ctx.param<{ batch_size: number; new_height: number; new_width: number; is_color: boolean }>('image_data_param');
    const { crop_size } = ctx.param<{ crop_size: number }>('transform_param');
    if ((p.new_height === 0) !== (p.new_width === 0))
      ctx.fail('new_height and new_width must be set together', 'image_data_param.new_height');
    const known =
      p.new_height > 0
        ? [p.batch_size, p.is_color ? 3 : 1, crop_size || p.new_height, crop_size || p.new_width]
        : undefined;
    if (known && crop_size > Math.min(p.new_height, p.new_width))
      ctx.fail(`crop_size ${crop_size} is larger than the ${p.new_height}x${p.new_width} images`, 'transform_param.crop_size');
    return { tops: dataTops(ctx, known, "from the first image of its list (new_height/new_width are not set)", 'image_data_param.new_height'), blobs: [] };
  },
});
