/**
 * The blob-broadcast rule Scale and Bias share (scale_layer.cpp, bias_layer.cpp): a learned blob of
 * shape bottom[axis : axis+num_axes], or a second bottom whose shape must match that slice.
 */
import { canonicalAxis, fmt } from './common.js';
import type { Shape, ShapeContext } from './types.js';

/** LayerSetUp with one bottom: the learned blob's shape (num_axes -1 = through the last axis). */
export function learnedShape(ctx: ShapeContext, paramField: string, axis: number, numAxes: number, what: string): Shape {
  const bottom = ctx.bottoms[0];
  const a = canonicalAxis(ctx, bottom, axis, `${paramField}.axis`);
  if (numAxes < -1) ctx.fail('num_axes must be non-negative, or -1 to extend to the end of bottom[0]', `${paramField}.num_axes`);
  if (numAxes >= 0 && bottom.length < a + numAxes)
    ctx.fail(`${what} blob's shape extends past bottom[0]'s shape ${fmt(bottom)} when applied starting with bottom[0] axis = ${a}`, `${paramField}.num_axes`);
  return bottom.slice(a, numAxes === -1 ? undefined : a + numAxes);
}

/** Reshape: `operand` (blob or bottom[1]) must equal bottom[0] from `axis` on; a 0-axis operand fits anywhere. */
export function checkOperand(ctx: ShapeContext, paramField: string, axis: number, operand: Shape, what: string): void {
  const bottom = ctx.bottoms[0];
  const a = operand.length === 0 ? 0 : canonicalAxis(ctx, bottom, axis, `${paramField}.axis`);
  if (bottom.length < a + operand.length)
    ctx.fail(`${what} blob's shape ${fmt(operand)} extends past bottom[0]'s shape ${fmt(bottom)} when applied starting with bottom[0] axis = ${a}`, `${paramField}.axis`);
  operand.forEach((d, i) => {
    if (bottom[a + i] !== d)
      ctx.fail(`dimension mismatch between bottom[0]->shape(${a + i}) = ${bottom[a + i]} and ${what}->shape(${i}) = ${d}`, `${paramField}.axis`);
  });
}
