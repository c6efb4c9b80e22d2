/**
 * A .caffemodel for a prototxt that ships without one (VGG_CNN_S, ResNet-152 …), so views that need
 * weights can be looked at on nets outside the fixtures. The blob shapes come from the shape pass;
 * the values are seeded uniform noise (He-scaled per blob: what a trained net's spread looks like
 * to a histogram). Written streaming and only when missing or of the wrong size.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadCaffeNet } from '../../src/main/net/model.js';
import { syntheticModelSize, writeSyntheticCaffeModel, type SyntheticNet } from './caffemodel-writer.js';

export async function ensureSyntheticWeights(prototxt: string, caffemodel: string): Promise<{ bytes: number; blobs: number }> {
  const model = await loadCaffeNet({ prototxt });
  const layers = model.graph.layers
    .map((layer) => {
      const shapes = model.shapes.layers[layer.index].blobShapes;
      return {
        name: layer.name,
        type: layer.type,
        blobs: shapes.map((shape) => {
          // Fan-in of a weight blob (all axes but the first); biases get a small spread.
          const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, d) => a * d, 1) : 0;
          return { shape, scale: fanIn > 0 ? Math.sqrt(6 / fanIn) : 0.01 };
        }),
      };
    })
    .filter((l) => l.blobs.length > 0);
  const net: SyntheticNet = { name: model.graph.name || 'synthetic', format: 'V2', layers, values: 'random' };
  const bytes = syntheticModelSize(net);
  if (!existsSync(caffemodel) || statSync(caffemodel).size !== bytes) {
    mkdirSync(dirname(caffemodel), { recursive: true });
    writeSyntheticCaffeModel(caffemodel, net);
  }
  return { bytes, blobs: layers.reduce((n, l) => n + l.blobs.length, 0) };
}
