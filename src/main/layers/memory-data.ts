import { registerLayer } from './registry.js';
import { dataTops, num } from './common.js';

/** memory_data_layer.cpp: data [batch_size, channels, height, width] and labels [batch_size]. */
registerLayer({
  type: 'MemoryData',
  meta: {
    category: 'data',
    params: ['memory_data_param', 'transform_param'],
    keyParams: (p) => ['batch_size', 'channels', 'height', 'width'].map((f) => num(p.param('memory_data_param')[f] ?? 0)).join('×'),
  },
  role: 'data',
  bottoms: { min: 0, max: 0 },
  tops: { min: 2, max: 2 },
  shapes(ctx) {
    const p = ctx.param<{ batch_size?: number; channels?: number; height?: number; width?: number }>('memory_data_param');
    const dims = [p.batch_size ?? 0, p.channels ?? 0, p.height ?? 0, p.width ?? 0];
    if (!ctx.givenShape(0) && dims.some((d) => d <= 0))
      ctx.fail('batch_size, channels, height, and width must be specified and positive in memory_data_param', 'memory_data_param');
    return { tops: dataTops(ctx, dims, 'from memory_data_param', 'memory_data_param'), blobs: [] };
  },
});
