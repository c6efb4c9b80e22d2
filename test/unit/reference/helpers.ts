/**
 * Runs one layer's Caffe-semantics reference the way the executor does: Caffe's shape pass for the
 * top and blob shapes, then the layer's `reference` op.
 */
import { expect } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import { createReferenceContext } from '../../../src/main/engine/reference.js';
import { layerDef } from '../../../src/main/layers/index.js';
import type { Blob } from '../../../src/main/layers/types.js';
import { mulberry32 } from '../../helpers/prng.js';
import { shapesOf } from '../layers/helpers.js';

/** A blob of `shape` holding `values` (row-major), or f(i) for each index. */
export function tensor(shape: number[], values: number[] | ((i: number) => number)): Blob {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = typeof values === 'function' ? Float32Array.from({ length: n }, (_, i) => values(i)) : Float32Array.from(values);
  if (data.length !== n) throw new Error(`${data.length} values for shape [${shape}]`);
  return { shape, data };
}

/** Seeded uniform values in [-1, 1). */
export function random(shape: number[], seed: number): Blob {
  const next = mulberry32(seed);
  return tensor(shape, () => next() * 2 - 1);
}

/** The layer's tops for these bottoms and learnable blobs. */
export function forward(layer: Message, bottoms: Blob[], blobs: Blob[] = []): Blob[] {
  const { tops, blobs: blobShapes } = shapesOf(layer, bottoms.map((b) => b.shape));
  expect(blobs.map((b) => b.shape)).toEqual(blobShapes);
  const def = layerDef(String(layer.type));
  if (!def?.reference) throw new Error(`${String(layer.type)} has no reference op`);
  const out = def.reference(createReferenceContext(layer, bottoms, blobs, tops));
  out.forEach((t, i) => expect(t.shape).toEqual(tops[i]));
  return out;
}

/** Element-wise |actual - expected| <= tol, with the first offending index in the message. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const ok = Number.isNaN(expected[i]) ? Number.isNaN(actual[i]) : Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i]));
    if (!ok) expect.fail(`index ${i}: ${actual[i]} where ${expected[i]} was expected (tolerance ${tol})`);
  }
}
