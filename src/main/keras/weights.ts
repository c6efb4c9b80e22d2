/**
 * Caffe blobs to Keras weights: pure transforms of row-major Float32Arrays with their shapes.
 *
 *  Convolution   (O, I/g, kh, kw)  -> Conv2D kernel            (kh, kw, I/g, O)
 *  depthwise     (C·m, 1, kh, kw)  -> DepthwiseConv2D kernel   (kh, kw, C, m)
 *  Deconvolution (I, O/g, kh, kw)  -> Conv2DTranspose kernel   (kh, kw, O, I)   (groups: block-diagonal)
 *  InnerProduct  (N, K) or (K, N)  -> Dense kernel             (K, N), rows in the Keras flatten order
 */
import type { Blob } from '../layers/types.js';
import { transposeData } from '../../shared/tensor.js';

export interface Array32 {
  shape: number[];
  data: Float32Array;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * The data of a blob whose values are not wanted (the workbench's view of a converted model, built
 * with shapesOnly): every transform below gives its output shape and NO_DATA again, without touching
 * a value, so a view of VGG16 costs nothing per weight. Compared by identity.
 */
export const NO_DATA: Float32Array = new Float32Array(0);
const shapeOnly = (x: Array32, shape: number[]): Array32 | undefined => (x.data === NO_DATA ? { shape, data: NO_DATA } : undefined);

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let n = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = n;
    n *= shape[i];
  }
  return s;
}

/**
 * For each flat index of transpose(x, perm) (row-major), the flat index in x it reads:
 * numpy's x.transpose(perm).ravel() == x.ravel()[gather].
 */
export function transposeIndex(shape: readonly number[], perm: readonly number[]): Int32Array {
  const src = strides(shape);
  const outShape = perm.map((a) => shape[a]);
  const outStrides = perm.map((a) => src[a]);
  const n = size(shape);
  const index = new Int32Array(n);
  const rank = outShape.length;
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    index[i] = offset;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      offset += outStrides[d];
      if (counter[d] < outShape[d]) break;
      offset -= outStrides[d] * outShape[d];
      counter[d] = 0;
    }
  }
  return index;
}

/** numpy's transpose(x, perm) as a new row-major array. */
export const transpose = (x: Array32, perm: readonly number[]): Array32 =>
  shapeOnly(x, perm.map((a) => x.shape[a])) ?? {
    shape: perm.map((a) => x.shape[a]),
    data: transposeData(x.data, x.shape, perm).slice(),
  };

/** Reverses axes 0 and 1 (kh, kw) of a Keras kernel: the 180° flip of true-convolution backends. */
export function flipKernel(k: Array32): Array32 {
  if (k.data === NO_DATA) return { shape: [...k.shape], data: NO_DATA };
  const [kh, kw] = k.shape;
  const inner = size(k.shape.slice(2));
  const data = new Float32Array(k.data.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const from = (i * kw + j) * inner;
      const to = ((kh - 1 - i) * kw + (kw - 1 - j)) * inner;
      data.set(k.data.subarray(from, from + inner), to);
    }
  return { shape: [...k.shape], data };
}

/**
 * A (kh, kw, ...) kernel with dilation folded in: (d_h(kh-1)+1, d_w(kw-1)+1, ...) with zeros between
 * the taps. Exact (the zeros add nothing); used where Keras/TF cannot combine dilation and stride.
 */
export function dilateKernel(k: Array32, dh: number, dw: number): Array32 {
  if (dh === 1 && dw === 1) return k;
  const [kh, kw, ...rest] = k.shape;
  const inner = size(rest);
  const eh = dh * (kh - 1) + 1;
  const ew = dw * (kw - 1) + 1;
  if (k.data === NO_DATA) return { shape: [eh, ew, ...rest], data: NO_DATA };
  const data = new Float32Array(eh * ew * inner);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const from = (i * kw + j) * inner;
      data.set(k.data.subarray(from, from + inner), (i * dh * ew + j * dw) * inner);
    }
  return { shape: [eh, ew, ...rest], data };
}

/** Convolution weights (O, I/g, kh, kw) -> Conv2D kernel (kh, kw, I/g, O). */
export function convKernel(w: Blob, flip = false): Array32 {
  if (w.shape.length !== 4) throw new Error(`convolution weights must be 4-D, got [${w.shape.join(', ')}]`);
  const k = transpose(w, [2, 3, 1, 0]);
  return flip ? flipKernel(k) : k;
}

/**
 * Depthwise convolution (group = C) weights (C·m, 1, kh, kw) -> DepthwiseConv2D kernel (kh, kw, C, m):
 * Caffe's group c owns outputs c·m .. c·m+m-1, which is Keras' depth_multiplier order.
 */
export function depthwiseKernel(w: Blob, channels: number, flip = false): Array32 {
  const [o, one, kh, kw] = w.shape;
  if (one !== 1 || o % channels !== 0) throw new Error(`depthwise weights [${w.shape.join(', ')}] do not fit ${channels} channels`);
  const k = transpose({ shape: [channels, o / channels, kh, kw], data: w.data }, [2, 3, 0, 1]);
  return flip ? flipKernel(k) : k;
}

/**
 * Deconvolution weights (I, O/g, kh, kw) -> Conv2DTranspose kernel (kh, kw, O, I). Keras'
 * Conv2DTranspose has no groups, so a grouped one becomes block-diagonal (zeros between groups: exact).
 */
export function deconvKernel(w: Blob, group = 1, flip = false): Array32 {
  const [inC, og, kh, kw] = w.shape;
  const outC = og * group;
  const ig = inC / group;
  const none = shapeOnly(w, [kh, kw, outC, inC]);
  if (none) return flip ? flipKernel(none) : none;
  const data = new Float32Array(kh * kw * outC * inC);
  for (let c = 0; c < inC; c++) {
    const g = Math.floor(c / ig);
    for (let oo = 0; oo < og; oo++) {
      const o = g * og + oo;
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) data[((i * kw + j) * outC + o) * inC + c] = w.data[((c * og + oo) * kh + i) * kw + j];
    }
  }
  const k = { shape: [kh, kw, outC, inC], data };
  return flip ? flipKernel(k) : k;
}

/**
 * For a blob of Caffe shape `shape` (batch excluded) laid out in Keras as `perm` (over those axes),
 * the Caffe flat index (C·H·W order) of each Keras flat index (e.g. H·W·C order in channels_last).
 */
export function flattenOrder(shape: readonly number[], perm: readonly number[]): Int32Array {
  return transposeIndex(shape, perm);
}

/**
 * InnerProduct weights -> Dense kernel (K, N). `w` is (N, K), or (K, N) with `transposed` (Caffe's
 * inner_product_param.transpose). `order[f]` is the Caffe input index feeding Dense input f (see
 * flattenOrder); without it the input is already in Caffe's order.
 */
export function denseKernel(w: Blob, transposed: boolean, order?: Int32Array): Array32 {
  const [a, b] = w.shape;
  const [n, k] = transposed ? [b, a] : [a, b];
  const none = shapeOnly(w, [k, n]);
  if (none) return none;
  const data = new Float32Array(k * n);
  for (let f = 0; f < k; f++) {
    const c = order ? order[f] : f;
    for (let j = 0; j < n; j++) data[f * n + j] = transposed ? w.data[c * n + j] : w.data[j * k + c];
  }
  return { shape: [k, n], data };
}
