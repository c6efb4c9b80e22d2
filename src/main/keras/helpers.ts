/**
 * Pieces of the Keras mappings that several Caffe layer types share: 2-D convolution and pooling
 * geometry as Caffe resolves it, when Keras' own pooling is exact, and learned / second-bottom
 * Scale and Bias operands.
 */
import type { Message } from '../caffe/message.js';
import type { Blob, KerasContext, KTensor } from '../layers/types.js';
import { caffeOrder, identityPerm, memoryOrderAgrees, native, outputLike, permuteShape } from './layout.js';
import type { KerasWeight } from './spec.js';
import { transpose } from './weights.js';

type Pair = [number, number];

const list = (v: unknown): number[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(Number) : [Number(v)]);

/** `name_h`/`name_w` when set, else the repeated `name` (one value for both axes, or one each), else `dflt`. */
function pairOf(ctx: KerasContext, paramField: string, p: Message, name: string, repeated: string, dflt: number): Pair {
  if (ctx.has(paramField, `${name}_h`) || ctx.has(paramField, `${name}_w`)) return [Number(p[`${name}_h`]), Number(p[`${name}_w`])];
  const v = list(p[repeated]);
  if (v.length === 0) return [dflt, dflt];
  return v.length === 1 ? [v[0], v[0]] : [v[0], v[1]];
}

export interface Conv2DGeometry {
  kernel: Pair;
  stride: Pair;
  pad: Pair;
  dilation: Pair;
  group: number;
  numOutput: number;
  biasTerm: boolean;
}

/** convolution_param of a (De)Convolution on an N,C,H,W bottom (base_conv_layer.cpp's resolution). */
export function conv2dGeometry(ctx: KerasContext): Conv2DGeometry {
  const P = 'convolution_param';
  const p = ctx.param<Message>(P);
  const rank = ctx.inputs[0].caffeShape.length;
  const axis = Number(p.axis) < 0 ? Number(p.axis) + rank : Number(p.axis);
  if (rank !== 4 || axis !== 1)
    ctx.fail(`only 2-D convolutions (an N,C,H,W bottom, axis 1) map to Keras; this one has a ${rank}-D bottom and axis ${axis}`, `${P}.axis`);
  const dilation = list(p.dilation);
  return {
    kernel: pairOf(ctx, P, p, 'kernel', 'kernel_size', 1),
    stride: pairOf(ctx, P, p, 'stride', 'stride', 1),
    pad: pairOf(ctx, P, p, 'pad', 'pad', 0),
    dilation: dilation.length === 0 ? [1, 1] : dilation.length === 1 ? [dilation[0], dilation[0]] : [dilation[0], dilation[1]],
    group: Number(p.group),
    numOutput: Number(p.num_output),
    biasTerm: Boolean(p.bias_term),
  };
}

export interface PoolAxis {
  size: number;
  kernel: number;
  stride: number;
  pad: number;
  out: number;
}

/**
 * The standard Keras pooling that computes Caffe's windows exactly, if one does:
 *  'valid'  no padding and no window overhanging the input;
 *  'same'   TF's 'same' padding places the windows where Caffe does (same count, pad_top = Caffe's
 *           pad) and ignores the padded cells: exact for MAX, and for AVE without Caffe padding (Caffe
 *           then divides by the cells inside the input, as TF does);
 *  'pad'    AVE only: ZeroPadding2D then 'valid', when no window reaches past the padded input, so
 *           Caffe's divisor (padding included) is the full kernel everywhere.
 * null: no standard layer is exact (e.g. a ceil-rounded window overhanging a padded input).
 */
export function standardPooling(pool: 'MAX' | 'AVE', axes: readonly PoolAxis[]): 'valid' | 'same' | 'pad' | null {
  const valid = (a: PoolAxis): boolean => a.pad === 0 && a.size >= a.kernel && Math.floor((a.size - a.kernel) / a.stride) + 1 === a.out;
  const same = (a: PoolAxis): boolean =>
    (pool === 'MAX' || a.pad === 0) &&
    a.out === Math.ceil(a.size / a.stride) &&
    Math.floor(Math.max((a.out - 1) * a.stride + a.kernel - a.size, 0) / 2) === a.pad;
  const padded = (a: PoolAxis): boolean =>
    pool === 'AVE' && a.size + 2 * a.pad >= a.kernel && Math.floor((a.size + 2 * a.pad - a.kernel) / a.stride) + 1 === a.out;
  if (axes.every(valid)) return 'valid';
  if (axes.every(same)) return 'same';
  if (axes.every(padded)) return 'pad';
  return null;
}

/**
 * Learned Scale/Bias blobs spanning bottom axes [axis, axis + n): y = x·scale + bias. Per channel on a
 * 4-D blob this is a 1×1 DepthwiseConv2D (one multiply and one add per value, as Caffe); otherwise
 * the custom CaffeScale with the blobs laid out to broadcast over the Keras tensor.
 */
export function learnedScaleBias(ctx: KerasContext, x: KTensor, axis: number, scale: Blob | undefined, bias: Blob | undefined, field: string, suffix?: string): KTensor[] {
  const span = (scale ?? bias)!.shape;
  const rank = x.caffeShape.length;
  const start = span.length === 0 ? 0 : axis;
  if (rank === 4 && start === 1 && span.length === 1) {
    const xn = native(ctx, x);
    const c = x.caffeShape[1];
    const weights: KerasWeight[] = [{ name: 'kernel', shape: [1, 1, c, 1], data: scale ? scale.data : new Float32Array(c).fill(1) }];
    if (bias) weights.push({ name: 'bias', shape: [c], data: bias.data });
    const config = {
      kernel_size: [1, 1],
      strides: [1, 1],
      padding: 'valid',
      depth_multiplier: 1,
      data_format: ctx.ordering,
      dilation_rate: [1, 1],
      activation: 'linear',
      use_bias: Boolean(bias),
    };
    return ctx.add({ className: 'DepthwiseConv2D', config, weights, suffix }, [xn], [outputLike(xn)]);
  }
  if (span.length > 0 && start === 0) ctx.fail('a learned blob spanning the batch axis (axis 0) has no Keras mapping', field);
  const covered = (a: number): boolean => a >= start && a < start + span.length;
  const shape = x.perm.slice(1).map((a) => (covered(a) ? x.caffeShape[a] : 1));
  // The blob is in Caffe's order over the covered axes; the Keras tensor may order them differently.
  const order = x.perm.filter(covered).map((a) => a - start);
  const laidOut = (b: Blob): Float32Array => (span.length === 0 ? new Float32Array(shape.reduce((n, d) => n * d, 1)).fill(b.data[0]) : transpose(b, order).data);
  const weights: KerasWeight[] = [];
  if (scale) weights.push({ name: 'scale', shape, data: laidOut(scale) });
  if (bias) weights.push({ name: 'bias', shape, data: laidOut(bias) });
  return ctx.add({ className: 'CaffeScale', config: { shape, use_scale: Boolean(scale), use_bias: Boolean(bias) }, weights, suffix }, [x], [outputLike(x)]);
}

/**
 * A second bottom `s` (shape bottom[axis : axis + n]) laid out to broadcast against `x` in a Keras
 * Multiply/Add: only when it starts at the batch axis, the one axis both Keras tensors share.
 */
export function broadcastBottom(ctx: KerasContext, x: KTensor, s: KTensor, axis: number, field: string): KTensor {
  const rank = x.caffeShape.length;
  if (axis !== 0 && s.caffeShape.length > 0)
    ctx.fail('a second bottom that does not start at the batch axis (axis 0) has no Keras mapping (Keras tensors all have a batch axis)', field);
  if (s.caffeShape.length === rank) return ctx.relayout(s, x.perm);
  // Fewer axes: append 1s (a Reshape of the values in Caffe's order), then lay it out as x.
  const full = [...s.caffeShape, ...new Array<number>(rank - s.caffeShape.length).fill(1)];
  const [t] = ctx.add({ className: 'Reshape', config: { target_shape: full.slice(1) }, suffix: 'broadcast' }, [memoryOrderAgrees(s) ? s : caffeOrder(ctx, s)], [
    { caffeShape: full, perm: identityPerm(rank) },
  ]);
  return ctx.relayout(t, x.perm);
}

/** The Keras shape of a tensor without its batch axis. */
export const featureShape = (t: KTensor): number[] => permuteShape(t.caffeShape, t.perm).slice(1);
