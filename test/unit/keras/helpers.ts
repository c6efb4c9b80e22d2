/** Loading the shared fixture models and tiny hand-written nets for the Keras conversion tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCaffeNet, type CaffeNet } from '../../../src/main/net/model.js';

export { expectedTop, fixtureCases, fixtureInput, loadFixtureNet, readBlob, type FixtureCase, type FixtureIndex } from '../../helpers/fixture-runs.js';

/**
 * Loads a prototxt given as text (written to a temporary file), with `weights` by layer name in
 * Caffe's shapes (zeros for weighted layers not given).
 */
export async function tinyNet(text: string, weights: Record<string, Float32Array[]> = {}): Promise<CaffeNet> {
  const dir = mkdtempSync(join(tmpdir(), 'portafilter-keras-'));
  try {
    const file = join(dir, 'net.prototxt');
    writeFileSync(file, text);
    const net = await loadCaffeNet({ prototxt: file });
    for (const layer of net.graph.layers) {
      const shapes = net.shapes.layers[layer.index].blobShapes;
      if (shapes.length === 0) continue;
      const given = weights[layer.name];
      net.weights.set(
        layer.name,
        shapes.map((shape, i) => {
          const n = shape.reduce((a, d) => a * d, 1);
          const data = given?.[i] ?? new Float32Array(n);
          if (data.length !== n) throw new Error(`test weights ${layer.name}[${i}]: ${data.length} values for [${shape.join(', ')}]`);
          return { shape, data };
        }),
      );
    }
    return net;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const f32 = (...v: number[]): Float32Array => Float32Array.from(v);

/** The index of the largest value. */
export const argmax = (v: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
};
