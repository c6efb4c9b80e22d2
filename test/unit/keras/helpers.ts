/** Loading the shared fixture models and tiny hand-written nets for the Keras conversion tests. */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npyToFloat32, readNpy } from '../../../src/main/caffe/npy.js';
import type { Blob } from '../../../src/main/layers/types.js';
import { loadCaffeNet, type CaffeNet } from '../../../src/main/net/model.js';
import { fixture } from '../../helpers/fixtures.js';

export interface FixtureIndex {
  input: { name: string; shape: number[]; file: string };
  final: string[];
  order: string[];
  layers: Record<string, { type: string; files: string[] }>;
}

export interface FixtureCase {
  model: string;
  /** The expected/<input> folder name. */
  input: string;
  dir: string;
  index: FixtureIndex;
}

/** Every expected/<input>/ folder of a fixture model. */
export function fixtureCases(model: string): FixtureCase[] {
  const root = fixture('models', model, 'expected');
  return readdirSync(root)
    .sort()
    .map((input) => {
      const dir = join(root, input);
      return { model, input, dir, index: JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as FixtureIndex };
    });
}

export const loadFixtureNet = (c: FixtureCase): Promise<CaffeNet> =>
  loadCaffeNet({
    prototxt: fixture('models', c.model, 'deploy.prototxt'),
    caffemodel: fixture('models', c.model, 'weights.caffemodel'),
    inputShapes: { [c.index.input.name]: c.index.input.shape },
  });

export function readBlob(path: string): Blob {
  const npy = readNpy(path);
  return { shape: npy.shape, data: npyToFloat32(npy) };
}

export const fixtureInput = (c: FixtureCase): Blob => readBlob(fixture(c.index.input.file));

/** The expected value of top `top` of `layer`, or undefined when the fixture does not store it. */
export function expectedTop(c: FixtureCase, layer: string, top: number): Blob | undefined {
  const file = top === 0 ? `${layer}.npy` : `${layer}__${top}.npy`;
  if (!c.index.layers[layer]?.files.includes(file)) return undefined;
  return readBlob(join(c.dir, file));
}

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
