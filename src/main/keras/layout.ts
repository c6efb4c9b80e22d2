/**
 * Layouts of the Keras tensors that hold Caffe blobs. A tensor carries `perm` with
 * keras = transpose(caffe, perm) (numpy's transpose: Keras axis i is Caffe axis perm[i]); the batch
 * axis always stays first. Helpers the layer files' Keras mappings share live here too.
 */
import type { KerasContext, KTensor, Shape } from '../layers/types.js';
import { invertPerm } from '../../shared/tensor.js';
import type { Ordering } from './spec.js';

export const identityPerm = (rank: number): number[] => Array.from({ length: rank }, (_, i) => i);

export { isIdentityPerm as isIdentity, invertPerm } from '../../shared/tensor.js';

export const samePerm = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);


/** True when `perm` holds each of 0..n-1 once. */
export const isPerm = (perm: readonly number[]): boolean =>
  perm.every((a) => Number.isInteger(a) && a >= 0 && a < perm.length) && new Set(perm).size === perm.length;

/** The Keras shape of a Caffe shape laid out as `perm`. */
export const permuteShape = (shape: readonly number[], perm: readonly number[]): number[] => perm.map((a) => shape[a]);

/** The Keras shape of a tensor (batch included). */
export const kerasShape = (t: KTensor): number[] => permuteShape(t.caffeShape, t.perm);

/** Channels-last puts Caffe's axis 1 last for 4-D blobs (N,H,W,C); everything else keeps Caffe's order. */
export function nativePermFor(ordering: Ordering, rank: number): number[] {
  return ordering === 'channels_last' && rank === 4 ? [0, 2, 3, 1] : identityPerm(rank);
}

/**
 * The `dims` of a Keras Permute layer (1-based, batch excluded) turning a tensor laid out as `from`
 * into one laid out as `to`: output axis i is input axis inverse(from)[to[i]].
 */
export function permuteDims(from: readonly number[], to: readonly number[]): number[] {
  const inv = invertPerm(from);
  return to.slice(1).map((a) => inv[a]);
}

/** The Keras axis holding Caffe axis `caffeAxis`. */
export const kerasAxis = (t: KTensor, caffeAxis: number): number => t.perm.indexOf(caffeAxis);

/** `t` in this ordering's native layout (N,H,W,C for a 4-D blob in channels_last). */
export const native = (ctx: KerasContext, t: KTensor): KTensor => ctx.relayout(t, ctx.nativePerm(t.caffeShape.length));

/** `t` in Caffe's own layout. */
export const caffeOrder = (ctx: KerasContext, t: KTensor): KTensor => ctx.relayout(t, identityPerm(t.caffeShape.length));

/**
 * True when the Keras tensor's memory order is Caffe's: the axes of size > 1 appear in Caffe's order
 * (e.g. N,1,1,C in channels_last). A Flatten or Reshape of it needs no Permute first.
 */
export const memoryOrderAgrees = (t: KTensor): boolean => {
  const axes = t.perm.filter((a) => t.caffeShape[a] !== 1);
  return axes.every((a, i) => i === 0 || a > axes[i - 1]);
};

/** An output with Caffe shape `caffeShape` laid out like `like`. */
export const outputLike = (like: KTensor, caffeShape: Shape = like.caffeShape): { caffeShape: Shape; perm: readonly number[] } => ({
  caffeShape,
  perm: like.perm,
});

/** One Keras layer applied element-wise to the single bottom, keeping its layout. */
export function elementwise(ctx: KerasContext, className: string, config: Record<string, unknown>): KTensor[] {
  const x = ctx.inputs[0];
  return ctx.add({ className, config }, [x], [outputLike(x, ctx.topShapes[0])]);
}

/** The Keras data_format of a 4-D tensor laid out natively. */
export const dataFormat = (ctx: KerasContext): Ordering => ctx.ordering;
