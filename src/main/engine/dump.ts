import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../caffe/npy.js';
import type { RunResult } from './types.js';

/** A layer name as a file name: characters outside [A-Za-z0-9_.-] percent-encoded (the fixtures' convention). */
export const dumpFileName = (layer: string, top: number): string =>
  `${layer.replace(/[^A-Za-z0-9_.-]/g, (c) => [...new TextEncoder().encode(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''))}${top === 0 ? '' : `__${top}`}.npy`;

/**
 * Writes every layer's own output as DIR/<layer>.npy (further tops DIR/<layer>__<i>.npy), float32, in
 * Caffe's layout: an in-place ReLU `relu1` on blob `conv1` gives conv1.npy (before) and relu1.npy (after).
 */
export function writeDump(dir: string, run: RunResult): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const layer of run.layers) {
    layer.tops.forEach((top, i) => {
      const file = join(dir, dumpFileName(layer.layer, i));
      writeNpy(file, top.value.shape, top.value.data);
      written.push(file);
    });
  }
  return written;
}
