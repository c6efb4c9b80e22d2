/**
 * Caffe's 2-D MAX and AVE pooling (pooling_layer.cpp) in ONNX, exactly.
 *
 * Caffe's geometry: the output count comes from the shape pass (ceil by default, and with padding the
 * last window must start inside image + pad). Window i spans [i·s - p, i·s - p + k):
 * - MAX takes the maximum over the part inside the image (padding never wins);
 * - AVE sums the part inside the image and divides by the part inside image + pad, so the padding
 *   counts in the divisor but a ceil overhang past image + pad does not.
 *
 * ONNX's ceil_mode is not used: its output-size rule differs between the spec's shape inference
 * (plain ceil) and onnxruntime's kernel (which drops a window starting in the end padding, as Caffe
 * does). Instead the end pads are set so that ONNX's floor rule gives Caffe's count:
 * end = (out - 1)·s + k - in - p (at least 0), i.e. the overhang becomes explicit padding.
 * - MAX: MaxPool with those pads is exact (pads never win).
 * - AVE: AveragePool with count_include_pad=1 divides every window by k_h·k_w (all windows now lie
 *   inside the padded extent); where Caffe's divisor is smaller (windows reaching past image + pad) a
 *   constant [out_h, out_w] map multiplies by k_h·k_w / divisor.
 */
import type { OnnxContext } from '../layers/types.js';
import { op } from './onnx-ops.js';

export interface PoolGeometry {
  kernel: [number, number];
  stride: [number, number];
  pad: [number, number];
  /** Bottom height and width. */
  input: [number, number];
  /** Caffe's pooled height and width (from the shape pass). */
  output: [number, number];
}

/** Caffe's AVE divisor for window `i` along one axis: its part inside [-pad, in + pad). */
export function aveDivisor(i: number, kernel: number, stride: number, pad: number, input: number): number {
  const start = i * stride - pad;
  return Math.min(start + kernel, input + pad) - start;
}

/**
 * Pools `x` (N, C, H, W). `mask` asks for MAX pooling's second top (Caffe's argmax mask: the index
 * h·W + w inside the bottom plane, as a float). Returns [top] or [top, mask].
 */
export function caffePool(ctx: OnnxContext, x: string, pool: 'MAX' | 'AVE', g: PoolGeometry, top: string, mask?: string): string[] {
  const end = [0, 1].map((a) => Math.max(0, (g.output[a] - 1) * g.stride[a] + g.kernel[a] - g.input[a] - g.pad[a]));
  [0, 1].forEach((a) => {
    if (g.pad[a] >= g.kernel[a] || end[a] >= g.kernel[a])
      ctx.fail(`a pooling window along ${a === 0 ? 'height' : 'width'} lies entirely in the padding (kernel ${g.kernel[a]}, stride ${g.stride[a]}, pad ${g.pad[a]}, input ${g.input[a]})`, 'pooling_param');
    const floor = Math.floor((g.input[a] + g.pad[a] + end[a] - g.kernel[a]) / g.stride[a]) + 1;
    if (floor !== g.output[a]) throw new Error(`pooling geometry: ONNX would give ${floor} outputs, Caffe ${g.output[a]}`);
  });
  const attributes = { kernel_shape: g.kernel, strides: g.stride, pads: [...g.pad, ...end] };
  if (pool === 'MAX') {
    if (mask === undefined) return [op(ctx, 'MaxPool', [x], attributes, top)];
    const [y, indices] = ctx.node('MaxPool', [x], attributes, [top, 'indices']);
    // ONNX's indices count over the whole N·C·H·W tensor (padding not counted); Caffe's over one plane.
    const plane = ctx.constant('plane', [g.input[0] * g.input[1]], [], 'int64');
    return [y, op(ctx, 'Cast', [op(ctx, 'Mod', [indices, plane])], { to: 1 }, mask)];
  }
  const factors = (a: number): number[] =>
    Array.from({ length: g.output[a] }, (_, i) => g.kernel[a] / aveDivisor(i, g.kernel[a], g.stride[a], g.pad[a], g.input[a]));
  const [fh, fw] = [factors(0), factors(1)];
  if (fh.every((v) => v === 1) && fw.every((v) => v === 1)) return [op(ctx, 'AveragePool', [x], { ...attributes, count_include_pad: 1 }, top)];
  const avg = op(ctx, 'AveragePool', [x], { ...attributes, count_include_pad: 1 });
  const correction = new Float32Array(g.output[0] * g.output[1]);
  fh.forEach((a, i) => fw.forEach((b, j) => (correction[i * g.output[1] + j] = a * b)));
  return [op(ctx, 'Mul', [avg, ctx.constant('divisor_correction', correction, [g.output[0], g.output[1]])], {}, top)];
}
