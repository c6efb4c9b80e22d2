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
    // data_layer.cpp DataLayerSetUp: top = DataTransformer::InferBlobShape(first datum) with N = batch_size.
    // The datum's channels are fixed without the database by force_color / force_gray, or by a mean_value
    // per channel (data_transformer.cpp CHECKs mean_values_.size() == 1 or == datum_channels); its
    // height and width by crop_size. Otherwise only the records know.
    const { batch_size } = ctx.param<{ batch_size: number }>('data_param');
    const t = ctx.param<{ crop_size: number; mean_value?: number[]; force_color: boolean; force_gray: boolean }>('transform_param');
    const means = t.mean_value?.length ?? 0;
    const channels = t.force_color ? 3 : t.force_gray ? 1 : means > 1 ? means : undefined;
    const known = t.crop_size > 0 && channels !== undefined && batch_size > 0 ? [batch_size, channels, t.crop_size, t.crop_size] : undefined;
    const why = t.crop_size > 0 ? 'from the records of its database (its channels: neither force_color, force_gray nor a mean_value per channel says them)' : 'from the records of its database';
    return { tops: dataTops(ctx, known, why, 'data_param.source'), blobs: [] };
  },
});
