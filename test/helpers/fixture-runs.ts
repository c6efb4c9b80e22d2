/**
 * The fixture models' runs as the engine tests use them: each model's expected/<input> cases, the
 * net loaded at that input's shape, and a comparison of a run with every stored layer under the
 * fixtures README's tolerances.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { npyToFloat32, readNpy } from '../../src/main/caffe/npy.js';
import type { RunResult } from '../../src/main/engine/types.js';
import type { Blob } from '../../src/main/layers/types.js';
import { loadCaffeNet, type CaffeNet } from '../../src/main/net/model.js';
import { withinTolerance } from './compare.js';
import { fixture } from './fixtures.js';

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

/** Per run: how many stored tops were compared, and the ones outside the tolerance. */
export function compareWithFixture(c: FixtureCase, result: RunResult): { compared: number; stored: number; failures: string[] } {
  const failures: string[] = [];
  let compared = 0;
  for (const layer of result.layers) {
    layer.tops.forEach((top, i) => {
      const ref = expectedTop(c, layer.layer, i);
      if (!ref) return;
      compared++;
      if (ref.shape.join() !== top.value.shape.join()) {
        failures.push(`${layer.layer}[${i}]: shape [${top.value.shape}] vs expected [${ref.shape}]`);
        return;
      }
      const final = c.index.final.includes(layer.layer);
      const r = withinTolerance(top.value.data, ref.data, { final });
      if (!r.ok) failures.push(`${layer.layer}[${i}] (${layer.type}${final ? ', final' : ''}): max |diff| ${r.maxAbs} at ${r.worstIndex}`);
    });
  }
  // UltraFace stores only some layers; every stored file must have been compared.
  const stored = Object.values(c.index.layers).reduce((n, l) => n + l.files.length, 0);
  return { compared, stored, failures };
}
