import { registerLayer } from './registry.js';
import { dataTops, num } from './common.js';

/** data_layer.cpp: the shape of the first Datum in the LevelDB/LMDB, which Portafilter does not read. */
registerLayer({
  type: 'Data',
  meta: { category: 'data', params: ['data_param', 'transform_param'], keyParams: (p) => `batch ${num(p.param('data_param').batch_size)}` },
  role: 'data',
  bottoms: { min: 0, max: 0 },
  tops: { min: 1, max: 2 },
  shapes(ctx) {
    return { tops: dataTops(ctx, undefined, 'from the records of its database', 'data_param.source'), blobs: [] };
  },
});
