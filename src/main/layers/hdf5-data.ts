import { registerLayer } from './registry.js';
import { dataTops, num } from './common.js';

/** hdf5_data_layer.cpp: each top is a dataset of the HDF5 files its source lists, which Portafilter does not read. */
registerLayer({
  type: 'HDF5Data',
  meta: { category: 'data', keyParams: (p) => `batch ${num(p.param('hdf5_data_param').batch_size)}` },
  role: 'data',
  bottoms: { min: 0, max: 0 },
  tops: { min: 1 },
  shapes(ctx) {
    return { tops: dataTops(ctx, undefined, 'from the datasets of its HDF5 files', 'hdf5_data_param.source'), blobs: [] };
  },
});
