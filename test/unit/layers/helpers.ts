/**
 * Runs one layer's shape rule the way the network's shape pass does: Caffe's bottom/top count check
 * first, then the rule itself.
 */
import { expect } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import { createShapeContext, layerDef, type LayerShapes, type Shape } from '../../../src/main/layers/index.js';
import { ShapeError } from '../../../src/shared/errors.js';

export function shapesOf(layer: Message, bottoms: Shape[], numTops?: number, given: (Shape | undefined)[] = []): LayerShapes {
  const type = String(layer.type);
  const def = layerDef(type);
  if (!def) throw new Error(`no layer definition for ${type}`);
  const tops = numTops ?? (Array.isArray(layer.top) ? layer.top.length : 1);
  const within = (n: number, r: { min: number; max?: number }): boolean => n >= r.min && (r.max === undefined || n <= r.max);
  if (!within(bottoms.length, def.bottoms) || !within(tops, def.tops))
    throw new ShapeError(`${type} takes ${JSON.stringify(def.bottoms)} bottoms and ${JSON.stringify(def.tops)} tops`, {
      layer: String(layer.name),
      field: within(bottoms.length, def.bottoms) ? 'top' : 'bottom',
    });
  return def.shapes(createShapeContext(layer, bottoms, tops, given));
}

/** The top shapes only. */
export const topsOf = (layer: Message, bottoms: Shape[], numTops?: number, given?: (Shape | undefined)[]): Shape[] =>
  shapesOf(layer, bottoms, numTops, given).tops;

/** A layer message with one bottom and one top named after it. */
export const layer = (type: string, params: Message = {}, name = type.toLowerCase()): Message => ({
  name,
  type,
  bottom: ['in'],
  top: [name],
  ...params,
});

/** Asserts the rule fails like a Caffe CHECK: a ShapeError naming the layer and the field. */
export function expectShapeError(run: () => unknown, field: string, message?: RegExp): ShapeError {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ShapeError);
  const err = caught as ShapeError;
  expect(err.code).toBe('ShapeError');
  expect(err.location?.layer).toBeTruthy();
  expect(err.location?.field).toBe(field);
  if (message) expect(err.reason).toMatch(message);
  return err;
}
