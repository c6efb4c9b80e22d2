/** The `.npy` weights export: the seed's layout (caffe/npy-weights.ts), in Caffe's shapes. */
import { join } from 'node:path';
import { readMean } from '../caffe/mean.js';
import { MEAN_IMAGE, npyWeightFile } from '../caffe/npy-weights.js';
import { writeNpy } from '../caffe/npy.js';
import { placeExport } from './atomic.js';
import type { ExportContext, ExportResult } from './types.js';

export async function writeNpyWeights(ctx: ExportContext, meanFile?: string): Promise<ExportResult> {
  const { model, options } = ctx;
  const mean = meanFile ? await readMean(meanFile) : undefined;
  const layers = [...model.weights];
  const placed = await placeExport({ out: options.out, kind: 'dir', format: 'npy', force: options.force }, async (staging) => {
    const names: string[] = [];
    layers.forEach(([layer, blobs], i) => {
      ctx.checkCancelled();
      ctx.progress('writing weights', i / layers.length);
      blobs.forEach((blob, k) => {
        const name = npyWeightFile(layer, k);
        writeNpy(join(staging.dir, name), blob.shape, blob.data);
        names.push(name);
      });
    });
    if (mean) {
      writeNpy(join(staging.dir, MEAN_IMAGE), mean.shape, mean.data);
      names.push(MEAN_IMAGE);
    }
    return { value: undefined, files: names };
  });
  return {
    format: 'npy',
    files: placed.files,
    customLayers: [],
    notes: [`${layers.length} layers' weights in Caffe's shapes; load the folder in place of the caffemodel`, ...placed.notes],
  };
}
