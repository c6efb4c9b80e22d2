/**
 * Tiny nets for the ONNX tests: a prototxt written to a temporary file, loaded as Portafilter loads
 * any net, weights set by hand, and run through onnxruntime.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createOnnxEngine } from '../../../src/main/engine/onnx-engine.js';
import type { Ordering } from '../../../src/main/keras/spec.js';
import type { Blob } from '../../../src/main/layers/types.js';
import { loadCaffeNet, type CaffeNet } from '../../../src/main/net/model.js';

const dir = mkdtempSync(join(tmpdir(), 'portafilter-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Loads `prototxt` (V2 text) with `weights` by layer name (shapes as the prototxt implies). */
export async function tinyNet(prototxt: string, weights: Record<string, Blob[]> = {}): Promise<CaffeNet> {
  const file = join(dir, `net${files++}.prototxt`);
  writeFileSync(file, prototxt);
  const net = await loadCaffeNet({ prototxt: file });
  for (const [name, blobs] of Object.entries(weights)) net.weights.set(name, blobs.map((b) => ({ shape: b.shape, data: b.data })));
  return net;
}

/** One forward through onnxruntime; every layer's tops by layer name. */
export async function runOnnx(net: CaffeNet, inputs: Record<string, Blob>, ordering: Ordering = 'channels_first'): Promise<Map<string, Blob[]>> {
  const engine = createOnnxEngine(net, { ordering });
  try {
    const result = await engine.run(inputs);
    return new Map(result.layers.map((l) => [l.layer, l.tops.map((t) => t.value)]));
  } finally {
    engine.dispose();
  }
}

export const blob = (shape: number[], values: number[]): Blob => ({ shape, data: Float32Array.from(values) });

/** A net with one Input `data` of `shape` and the given layer text after it. */
export const withInput = (shape: number[], layers: string): string =>
  `name: "t"\nlayer { name: "data" type: "Input" top: "data" input_param { shape { ${shape.map((d) => `dim: ${d}`).join(' ')} } } }\n${layers}`;
