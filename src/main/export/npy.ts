/** The `.npy` weights export: the seed's layout (caffe/npy-weights.ts), in Caffe's shapes. */
import { join } from 'node:path';
import { readMean } from '../caffe/mean.js';
import { MEAN_IMAGE, npyWeightFile } from '../caffe/npy-weights.js';
import { writeNpy } from '../caffe/npy.js';
import { writeAtomically } from './atomic.js';
import type { ExportContext, ExportResult } from './types.js';

export async function writeNpyWeights(ctx: ExportContext, meanFile?: string): Promise<ExportResult> {
  const { model, options } = ctx;
  const mean = meanFile ? await readMean(meanFile) : undefined;
  const layers = [...model.weights];
  const files = await writeAtomically(options.out, 'dir', async (tmp) => {
    const names: string[] = [];
    layers.forEach(([layer, blobs], i) => {
      ctx.checkCancelled();
      ctx.progress('writing weights', i / layers.length);
      blobs.forEach((blob, k) => {
        const name = npyWeightFile(layer, k);
        writeNpy(join(tmp, name), blob.shape, blob.data);
        names.push(name);
      });
    });
    if (mean) {
      writeNpy(join(tmp, MEAN_IMAGE), mean.shape, mean.data);
      names.push(MEAN_IMAGE);
    }
    return names;
  });
  return {
    format: 'npy',
    files: files.map((f) => join(options.out, f)),
    customLayers: [],
    notes: [`${layers.length} layers' weights in Caffe's shapes; load the folder in place of the caffemodel`],
  };
}
