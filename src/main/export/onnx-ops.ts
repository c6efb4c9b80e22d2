/**
 * Small helpers the layers' `onnx` members share: one-output nodes, constants, the broadcast shape of
 * a per-axis operand, and (de)convolution geometry as Caffe resolves it.
 */
import type { Message } from '../caffe/message.js';
import type { OnnxAttribute, OnnxContext } from '../layers/types.js';

const asList = (v: unknown): number[] => (v === undefined ? [] : Array.isArray(v) ? v.map(Number) : [Number(v)]);

/** A one-output node; its output is `out` (e.g. `ctx.top(0)`) or a fresh name. */
export function op(ctx: OnnxContext, opType: string, inputs: readonly string[], attributes: Record<string, OnnxAttribute> = {}, out?: string): string {
  return ctx.node(opType, inputs, attributes, out === undefined ? 1 : [out])[0];
}

/** An element-wise layer that is one ONNX op on its bottom. */
export const unary = (ctx: OnnxContext, opType: string, attributes: Record<string, OnnxAttribute> = {}): string[] => [
  op(ctx, opType, [ctx.inputs[0]], attributes, ctx.top(0)),
];

export const f = (value: number): { float: number } => ({ float: value });

/** A float32 scalar (rank 0) constant. */
export const scalar = (ctx: OnnxContext, hint: string, value: number): string => ctx.constant(hint, [value], []);

/** A 1-D int64 constant (shapes, axes, sizes). */
export const int64s = (ctx: OnnxContext, hint: string, values: readonly number[]): string => ctx.constant(hint, values, [values.length], 'int64');

/**
 * The shape that makes an operand covering axes [axis, axis + operand.length) of a rank-`rank` tensor
 * broadcast the way Caffe applies it (numpy rules align on the right, so trailing 1s are added).
 */
export const broadcastShape = (operand: readonly number[], axis: number, rank: number): number[] =>
  operand.length === 0 ? [] : [...operand, ...new Array<number>(Math.max(0, rank - axis - operand.length)).fill(1)];

/** Caffe's `x * s` as a node, skipping it when s is 1 (Caffe's own `if (scale != 1)` checks). */
export const scaleBy = (ctx: OnnxContext, x: string, s: number, hint: string, out?: string): string =>
  s === 1 && out === undefined ? x : op(ctx, 'Mul', [x, scalar(ctx, hint, s)], {}, out);

export interface ConvGeometry {
  kernel: number[];
  stride: number[];
  pad: number[];
  dilation: number[];
  group: number;
  biasTerm: boolean;
}

/**
 * Kernel, stride, pad and dilation per spatial axis (base_conv_layer.cpp LayerSetUp): the repeated
 * fields once or once per axis, or the 2-D `_h`/`_w` forms. The shape pass has checked them; the kernel
 * is taken from the weight blob, which Caffe shapes from it.
 */
export function convGeometry(ctx: OnnxContext, weightShape: readonly number[]): ConvGeometry {
  const P = 'convolution_param';
  const p = ctx.param<Message & { group: number; bias_term: boolean; axis: number }>(P);
  const spatial = weightShape.length - 2;
  const axis = p.axis < 0 ? p.axis + ctx.bottoms[0].length : p.axis;
  if (axis !== 1) ctx.fail(`ONNX convolutions take channels on axis 1 (this layer has axis ${p.axis})`, `${P}.axis`);
  const perAxis = (name: 'stride' | 'pad', dflt: number): number[] => {
    if (ctx.has(P, `${name}_h`) || ctx.has(P, `${name}_w`)) return [Number(p[`${name}_h`]), Number(p[`${name}_w`])];
    const v = asList(p[name]);
    return Array.from({ length: spatial }, (_, i) => (v.length === 0 ? dflt : v[v.length === 1 ? 0 : i]));
  };
  const d = asList(p.dilation);
  return {
    kernel: weightShape.slice(2),
    stride: perAxis('stride', 1),
    pad: perAxis('pad', 0),
    dilation: Array.from({ length: spatial }, (_, i) => (d.length === 0 ? 1 : d[d.length === 1 ? 0 : i])),
    group: p.group,
    biasTerm: p.bias_term,
  };
}

/** A reshape that keeps axes [0, keep) (ONNX's 0 copies them, batch included) and gives the rest literally. */
export function reshapeKeeping(ctx: OnnxContext, x: string, keep: number, rest: readonly number[], out?: string): string {
  return op(ctx, 'Reshape', [x, int64s(ctx, 'shape', [...new Array<number>(keep).fill(0), ...rest])], {}, out);
}

/**
 * The operand of Scale/Bias (scale_layer.cpp, bias_layer.cpp) shaped to broadcast over the bottom: a
 * learned blob becomes a constant with trailing 1s, a second bottom gets them by Unsqueeze. A 0-axis
 * operand is a scalar.
 */
export function broadcastOperand(
  ctx: OnnxContext,
  axisParam: number,
  operand: { blob: { shape: readonly number[]; data: Float32Array }; hint: string } | { input: string; shape: readonly number[] },
): string {
  const rank = ctx.bottoms[0].length;
  const shape = 'blob' in operand ? operand.blob.shape : operand.shape;
  const axis = shape.length === 0 ? 0 : axisParam < 0 ? axisParam + rank : axisParam;
  if ('blob' in operand) return ctx.constant(operand.hint, operand.blob.data, broadcastShape(shape, axis, rank));
  const trailing = Math.max(0, rank - axis - shape.length);
  if (shape.length === 0 || trailing === 0) return operand.input;
  return op(ctx, 'Unsqueeze', [operand.input, int64s(ctx, 'axes', Array.from({ length: trailing }, (_, i) => shape.length + i))]);
}
