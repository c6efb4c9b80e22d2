/**
 * A folder of `.npy` weights in the seed's layout, read in place of a .caffemodel: W_<layer>.npy
 * (blob 0) and b_<layer>.npy (blob 1) in Caffe's shapes, blob<k>_<layer>.npy for further blobs
 * (BatchNorm's variance and scale factor, ...), layer names percent-encoded where they hold
 * characters outside [A-Za-z0-9_.-]. mean_image.npy (C,H,W), when present, is the mean image.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CaffeModelError } from '../../shared/errors.js';
import type { CaffeModelFile, CaffeModelLayer } from './caffemodel.js';
import { npyToFloat32, readNpy } from './npy.js';

export const MEAN_IMAGE = 'mean_image.npy';

/** The file name of blob `index` of `layer`. */
export function npyWeightFile(layer: string, index: number): string {
  const name = layer.replace(/[^A-Za-z0-9_.-]/g, (c) => [...new TextEncoder().encode(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
  return `${index === 0 ? 'W' : index === 1 ? 'b' : `blob${index}`}_${name}.npy`;
}

const PATTERN = /^(W|b|blob(\d+))_(.+)\.npy$/;

export const isNpyWeightFolder = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();

/**
 * Reads the folder's weights. Each W_/b_/blob<k>_ file is read by readNpy, which opens regular files only
 * (a FIFO or a device named W_conv1.npy is refused at once with an NpyError naming it).
 */
export function readNpyWeights(dir: string): CaffeModelFile {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    const e = new CaffeModelError(`cannot read the folder of .npy weights: ${(err as Error).message}`, { file: dir }, { kind: 'io', path: '' });
    e.cause = err;
    throw e;
  }
  const byLayer = new Map<string, Map<number, string>>();
  for (const f of entries) {
    const m = PATTERN.exec(f);
    if (!m) continue;
    const index = m[1] === 'W' ? 0 : m[1] === 'b' ? 1 : Number(m[2]);
    let layer: string;
    try {
      layer = decodeURIComponent(m[3]);
    } catch {
      throw new CaffeModelError(`'${f}' has a badly percent-encoded layer name`, { file: dir });
    }
    if (!byLayer.has(layer)) byLayer.set(layer, new Map());
    byLayer.get(layer)!.set(index, join(dir, f));
  }
  if (byLayer.size === 0)
    throw new CaffeModelError('holds no W_<layer>.npy / b_<layer>.npy weights (the folder layout `portafilter convert --format npy` writes)', { file: dir });
  const layers: CaffeModelLayer[] = [...byLayer].map(([name, files]) => {
    const count = Math.max(...files.keys()) + 1;
    const blobs = Array.from({ length: count }, (_, i) => {
      const file = files.get(i);
      if (!file) throw new CaffeModelError(`layer '${name}' has blob ${count - 1} but no ${npyWeightFile(name, i)}`, { file: dir, layer: name });
      const npy = readNpy(file);
      return { shape: npy.shape, legacy: false, data: npyToFloat32(npy) };
    });
    return { name, type: '', format: 'V2', param: { name }, blobs, offset: 0 };
  });
  return { file: dir, bytes: 0, net: {}, layers };
}
