/**
 * Numeric kernels of the Caffe-semantics reference (the `reference` members of the layer files):
 * matrix products, im2col/col2im (de)convolution, pooling windows, axis broadcasting and transposes.
 * Everything works on Caffe's row-major layout (N,C,H,W) in plain JavaScript, but for the matrix
 * product's micro-kernel (WebAssembly SIMD, reference-gemm.ts), sharing no kernel with the TF.js or
 * onnxruntime engines the converted model runs on.
 */
import { asList, count } from './common.js';
import { gemm, MR, NR, type PackB } from './reference-gemm.js';
import type { Blob, ReferenceContext } from './types.js';

export { count };

/** -FLT_MAX, where Caffe starts a max. */
export const FLT_MAX = 3.4028234663852886e38;
/** Largest deconvolution column buffer, in floats: larger deconvolutions are done in slices of input positions. */
const COLUMN_BUDGET = 1 << 22;

/**
 * C[m×n] = A[m×k] · B, where B is [n×k] when `bTransposed`, else [k×n]. Sums in float64: independent
 * of every tfjs kernel the converted model may run on, and more exact than Caffe's own float32 GEMM.
 * From 8 rows of A on it is `gemm`'s packed, register-tiled product; below that (an InnerProduct at
 * batch 1, a GEMV bound by reading the weights once) four columns of C share each pass over A's row.
 */
export function matMul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, bTransposed: boolean): Float32Array {
  const out = new Float32Array(m * n);
  if (m === 0 || n === 0 || k === 0) return out;
  if (m >= 8) {
    gemm(m, k, n, { data: a, offset: 0, rowStride: k, colStride: 1 }, { data: b, offset: 0, rowStride: bTransposed ? 1 : n, colStride: bTransposed ? k : 1 }, out);
    return out;
  }
  if (bTransposed) {
    for (let i = 0; i < m; i++) {
      const ai = i * k;
      let j = 0;
      for (; j + 3 < n; j += 4) {
        const b0 = j * k - ai;
        const b1 = b0 + k;
        const b2 = b1 + k;
        const b3 = b2 + k;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let p = ai, e = ai + k; p < e; p++) {
          const av = a[p];
          s0 += av * b[b0 + p];
          s1 += av * b[b1 + p];
          s2 += av * b[b2 + p];
          s3 += av * b[b3 + p];
        }
        out[i * n + j] = s0;
        out[i * n + j + 1] = s1;
        out[i * n + j + 2] = s2;
        out[i * n + j + 3] = s3;
      }
      for (; j < n; j++) {
        let s = 0;
        for (let p = ai, bj = j * k - ai, e = ai + k; p < e; p++) s += a[p] * b[bj + p];
        out[i * n + j] = s;
      }
    }
    return out;
  }
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    const ai = i * k;
    let p = 0;
    for (; p + 3 < k; p += 4) {
      const a0 = a[ai + p];
      const a1 = a[ai + p + 1];
      const a2 = a[ai + p + 2];
      const a3 = a[ai + p + 3];
      const b0 = p * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      for (let j = 0; j < n; j++) acc[j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
    }
    for (; p < k; p++) {
      const av = a[ai + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) acc[j] += av * b[bp + j];
    }
    const row = i * n;
    for (let j = 0; j < n; j++) out[row + j] = acc[j];
  }
  return out;
}

/** Blob::CanonicalAxisIndex without the range check (the shape pass has made it). */
export const axisIndex = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

export const blob = (shape: readonly number[], data: Float32Array = new Float32Array(count(shape))): Blob => ({ shape: [...shape], data });

/** A top of the bottom's shape holding f(x) for every value. */
export function mapValues(x: Blob, f: (v: number, i: number) => number): Blob {
  const src = x.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i], i);
  return blob(x.shape, out);
}

/** Caffe's sigmoid (sigmoid_layer.cpp): 0.5·tanh(0.5·x) + 0.5. */
export const sigmoid = (x: number): number => 0.5 * Math.tanh(0.5 * x) + 0.5;

/**
 * Applies f(value, operand) where the operand blob (`dim` values) is broadcast over the bottom seen as
 * [outer, dim, inner], as Scale, Bias and PReLU do.
 */
export function broadcast(x: Blob, operand: Float32Array, outer: number, dim: number, inner: number, f: (v: number, o: number) => number): Blob {
  const src = x.data;
  const out = new Float32Array(src.length);
  let i = 0;
  for (let n = 0; n < outer; n++) {
    for (let d = 0; d < dim; d++) {
      const o = operand[d];
      for (let end = i + inner; i < end; i++) out[i] = f(src[i], o);
    }
  }
  return blob(x.shape, out);
}

/** The blob's values in axis order `order` (numpy's transpose). */
export function transpose(x: Blob, order: readonly number[]): Blob {
  const rank = x.shape.length;
  const shape = order.map((o) => x.shape[o]);
  const out = new Float32Array(x.data.length);
  if (out.length === 0) return blob(shape, out);
  const strides = new Array<number>(rank);
  for (let k = rank - 1, s = 1; k >= 0; k--) {
    strides[k] = s;
    s *= x.shape[k];
  }
  const step = order.map((o) => strides[o]);
  const idx = new Array<number>(rank).fill(0);
  const src = x.data;
  let from = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = src[from];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) {
        from += step[k];
        break;
      }
      from -= (shape[k] - 1) * step[k];
      idx[k] = 0;
    }
  }
  return blob(shape, out);
}

/** Copies the [outer, size, inner] block of `src` into `dst` seen as [outer, total, inner] at `offset` along the middle axis. */
export function copyAlongAxis(src: Float32Array, dst: Float32Array, outer: number, size: number, total: number, inner: number, offset: number): void {
  for (let n = 0; n < outer; n++) dst.set(src.subarray(n * size * inner, (n + 1) * size * inner), (n * total + offset) * inner);
}

/** The [outer, size, inner] block of `src` seen as [outer, total, inner], from `offset` along the middle axis. */
export function sliceAlongAxis(src: Float32Array, outer: number, size: number, total: number, inner: number, offset: number): Float32Array {
  const out = new Float32Array(outer * size * inner);
  for (let n = 0; n < outer; n++) out.set(src.subarray((n * total + offset) * inner, (n * total + offset + size) * inner), n * size * inner);
  return out;
}

interface ConvParam {
  [field: string]: unknown;
  bias_term: boolean;
  group: number;
  axis: number;
}

/** A 2-D (de)convolution's geometry as base_conv_layer.cpp resolves it. */
export interface ConvGeometry {
  channelAxis: number;
  kernel: [number, number];
  stride: [number, number];
  pad: [number, number];
  dilation: [number, number];
  group: number;
  biasTerm: boolean;
}

export function convGeometry(ctx: ReferenceContext): ConvGeometry {
  const P = 'convolution_param';
  const p = ctx.param<ConvParam>(P);
  const rank = ctx.bottoms[0].shape.length;
  const channelAxis = axisIndex(p.axis, rank);
  const spatial = rank - channelAxis - 1;
  if (spatial !== 2)
    ctx.fail(`the reference computes 2-D ${ctx.type.toLowerCase()} only; this one has ${spatial} spatial axes`, `${P}.axis`);
  const pair = (name: string, repeatedName: string, dflt: number): [number, number] => {
    if (ctx.has(P, `${name}_h`) || ctx.has(P, `${name}_w`)) return [Number(p[`${name}_h`]), Number(p[`${name}_w`])];
    const v = asList(p[repeatedName]);
    if (v.length === 0) return [dflt, dflt];
    return v.length === 1 ? [v[0], v[0]] : [v[0], v[1]];
  };
  return {
    channelAxis,
    kernel: pair('kernel', 'kernel_size', 0),
    stride: pair('stride', 'stride', 1),
    pad: pair('pad', 'pad', 0),
    dilation: pair('dilation', 'dilation', 1),
    group: p.group,
    biasTerm: p.bias_term,
  };
}

/**
 * Im2col (im2col.cpp) of one image and group, straight into gemm's packed B: column p of the
 * [C/g·kh·kw × positions] matrix is output position p's (c, i, j) receptive field, zero where it falls
 * into the padding.
 */
function im2colPacked(x: Float32Array, xOff: number, channels: number, height: number, width: number, g: ConvGeometry, outW: number): PackB {
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.stride;
  const [ph, pw] = g.pad;
  const [dh, dw] = g.dilation;
  const plane = height * width;
  const k = channels * kh * kw;
  return (f, at, p0, p1) => {
    for (let p = p0; p < p1; p++) {
      const col = p - p0;
      let d = at + Math.floor(col / NR) * k * NR + (col % NR);
      const oh = Math.floor(p / outW);
      const h0 = oh * sh - ph;
      const w0 = (p - oh * outW) * sw - pw;
      for (let c = 0, base = xOff; c < channels; c++, base += plane) {
        for (let i = 0, h = h0; i < kh; i++, h += dh) {
          if (h < 0 || h >= height) {
            for (let j = 0; j < kw; j++, d += NR) f[d] = 0;
            continue;
          }
          const row = base + h * width;
          for (let j = 0, w = w0; j < kw; j++, w += dw, d += NR) f[d] = w >= 0 && w < width ? x[row + w] : 0;
        }
      }
    }
  };
}

/**
 * One output plane of a convolution, Σ over (c, i, j) in im2col's order of w(c, i, j)·x(c, h, w), in float64,
 * rounded into out[outAt..]. Taps falling into the padding are left out (im2col's zeros add nothing). Row by
 * row: the row of sums (`acc`, outW long) stays in L1 while every tap adds to it.
 */
function convolveDirect(
  x: Float32Array, xOff: number, channels: number, height: number, width: number, weight: Float32Array, wOff: number,
  g: ConvGeometry, outH: number, outW: number, acc: Float64Array, out: Float32Array, outAt: number,
): void {
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.stride;
  const [ph, pw] = g.pad;
  const [dh, dw] = g.dilation;
  // Tap column j reads input column ow·sw + shift[j], inside the image for ow in [first[j], last[j]).
  const shift = Int32Array.from({ length: kw }, (_, j) => j * dw - pw);
  const first = shift.map((s) => Math.max(0, Math.ceil(-s / sw)));
  const last = shift.map((s) => Math.min(outW, Math.floor((width - 1 - s) / sw) + 1));
  for (let oh = 0; oh < outH; oh++) {
    acc.fill(0);
    for (let c = 0; c < channels; c++) {
      const plane = xOff + c * height * width;
      for (let i = 0; i < kh; i++) {
        const h = oh * sh - ph + i * dh;
        if (h < 0 || h >= height) continue;
        const t = wOff + (c * kh + i) * kw;
        for (let j = 0; j < kw; j++) {
          const wv = weight[t + j];
          const row = plane + h * width + shift[j];
          for (let ow = first[j], e = last[j]; ow < e; ow++) acc[ow] += wv * x[row + ow * sw];
        }
      }
    }
    for (let ow = 0, o = outAt + oh * outW; ow < outW; ow++) out[o + ow] = acc[ow];
  }
}

/** Convolution (conv_layer.cpp): per image and group, weights [O/g, C/g·kh·kw] times the im2col columns. */
export function convolve2d(x: Blob, weight: Float32Array, g: ConvGeometry, top: readonly number[]): Float32Array {
  const a = g.channelAxis;
  const outer = count(x.shape, 0, a);
  const [channels, height, width] = x.shape.slice(a);
  const [outputs, outH, outW] = top.slice(a);
  const cg = channels / g.group;
  const og = outputs / g.group;
  const k = cg * g.kernel[0] * g.kernel[1];
  const positions = outH * outW;
  const out = new Float32Array(outer * outputs * positions);
  // Fewer outputs per group than gemm's 4-row tile (depthwise convolutions): summed straight from the input,
  // the same sums in the same order without the im2col copy. A non-finite weight times the padding's zeros is
  // NaN in Caffe's im2col GEMM, so such weights stay with gemm.
  const direct = og < MR && weight.every(Number.isFinite);
  const acc = direct ? new Float64Array(outW) : undefined;
  for (let n = 0; n < outer; n++) {
    for (let grp = 0; grp < g.group; grp++) {
      if (acc) {
        for (let o = 0; o < og; o++) convolveDirect(x.data, (n * channels + grp * cg) * height * width, cg, height, width, weight, (grp * og + o) * k, g, outH, outW, acc, out, ((n * outputs) + grp * og + o) * positions);
        continue;
      }
      const w = { data: weight, offset: grp * og * k, rowStride: k, colStride: 1 };
      const cols = im2colPacked(x.data, (n * channels + grp * cg) * height * width, cg, height, width, g, outW);
      gemm(og, k, positions, w, cols, out, (n * outputs + grp * og) * positions, positions);
    }
  }
  return out;
}

/**
 * Deconvolution (deconv_layer.cpp): convolution's backward-data pass. Weights are [C_in, O/g, kh, kw];
 * per image and group the columns W_gᵀ·x are scattered into the top by col2im (im2col.cpp), with the
 * top playing the convolution's input and the bottom its output grid.
 */
export function deconvolve2d(x: Blob, weight: Float32Array, g: ConvGeometry, top: readonly number[]): Float32Array {
  const a = g.channelAxis;
  const outer = count(x.shape, 0, a);
  const [channels, height, width] = x.shape.slice(a);
  const [outputs, outH, outW] = top.slice(a);
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.stride;
  const [ph, pw] = g.pad;
  const [dh, dw] = g.dilation;
  const cg = channels / g.group;
  const og = outputs / g.group;
  const kc = og * kh * kw;
  const positions = height * width;
  const outPlane = outH * outW;
  const out = new Float32Array(outer * outputs * outPlane);
  const slice = Math.max(1, Math.min(positions, Math.floor(COLUMN_BUDGET / Math.max(1, kc))));
  for (let n = 0; n < outer; n++) {
    for (let grp = 0; grp < g.group; grp++) {
      const xOff = (n * channels + grp * cg) * positions;
      const base = (n * outputs + grp * og) * outPlane;
      // W_gᵀ: A(i, p) = W_g[p, i], W_g being [C/g, O/g·kh·kw].
      const wT = { data: weight, offset: grp * cg * kc, rowStride: 1, colStride: kc };
      for (let p0 = 0; p0 < positions; p0 += slice) {
        const p1 = Math.min(positions, p0 + slice);
        const np = p1 - p0;
        const col = new Float32Array(kc * np);
        gemm(kc, cg, np, wT, { data: x.data, offset: xOff + p0, rowStride: positions, colStride: 1 }, col);
        const y0 = Math.floor(p0 / width);
        const x0 = p0 - y0 * width;
        for (let c = 0, row = 0; c < og; c++) {
          const plane = base + c * outPlane;
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++, row++) {
              for (let q = row * np, e = q + np, y = y0, xi = x0; q < e; q++) {
                const h = y * sh - ph + i * dh;
                const w = xi * sw - pw + j * dw;
                if (h >= 0 && h < outH && w >= 0 && w < outW) out[plane + h * outW + w] += col[q];
                if (++xi === width) {
                  xi = 0;
                  y++;
                }
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/** Adds bias[c] to every value of channel c of a [outer, channels, inner] array. */
export function addChannelBias(out: Float32Array, bias: Float32Array, outer: number, channels: number, inner: number): void {
  let i = 0;
  for (let n = 0; n < outer; n++) {
    for (let c = 0; c < channels; c++) {
      const b = bias[c];
      for (let end = i + inner; i < end; i++) out[i] += b;
    }
  }
}

export interface PoolWindow {
  kernel: [number, number];
  stride: [number, number];
  pad: [number, number];
}

/**
 * MAX pooling (pooling_layer.cpp): the window is clipped to the image, so padding never wins; the
 * first maximum in row-major order is kept and its index h·W + w is the mask.
 */
export function maxPool(x: Float32Array, planes: number, height: number, width: number, outH: number, outW: number, win: PoolWindow, mask?: Float32Array): Float32Array {
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.stride;
  const [ph, pw] = win.pad;
  const out = new Float32Array(planes * outH * outW);
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * height * width;
    for (let y = 0; y < outH; y++) {
      const hs = Math.max(y * sh - ph, 0);
      const he = Math.min(y * sh - ph + kh, height);
      for (let xo = 0; xo < outW; xo++, o++) {
        const ws = Math.max(xo * sw - pw, 0);
        const we = Math.min(xo * sw - pw + kw, width);
        let best = -FLT_MAX;
        let at = -1;
        for (let h = hs; h < he; h++) {
          for (let w = ws; w < we; w++) {
            const v = x[base + h * width + w];
            if (v > best) {
              best = v;
              at = h * width + w;
            }
          }
        }
        out[o] = best;
        if (mask) mask[o] = at;
      }
    }
  }
  return out;
}

/**
 * AVE pooling (pooling_layer.cpp): the divisor is the window clipped to image + pad (padded cells
 * count, the ceil-mode overhang past the padding does not); the sum is over the cells inside the image.
 */
export function avePool(x: Float32Array, planes: number, height: number, width: number, outH: number, outW: number, win: PoolWindow): Float32Array {
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.stride;
  const [ph, pw] = win.pad;
  const out = new Float32Array(planes * outH * outW);
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * height * width;
    for (let y = 0; y < outH; y++) {
      let hs = y * sh - ph;
      let he = Math.min(hs + kh, height + ph);
      const rowsCounted = he - hs;
      hs = Math.max(hs, 0);
      he = Math.min(he, height);
      for (let xo = 0; xo < outW; xo++, o++) {
        let ws = xo * sw - pw;
        let we = Math.min(ws + kw, width + pw);
        const size = rowsCounted * (we - ws);
        ws = Math.max(ws, 0);
        we = Math.min(we, width);
        let sum = 0;
        for (let h = hs; h < he; h++) for (let w = ws; w < we; w++) sum += x[base + h * width + w];
        out[o] = sum / size;
      }
    }
  }
  return out;
}

/**
 * STOCHASTIC pooling at test time: Caffe's CPU forward is NOT_IMPLEMENTED, its GPU kernel
 * (pooling_layer.cu StoPoolForwardTest) gives Σx² / (FLT_MIN + Σx) over the unpadded window.
 */
export function stochasticPool(x: Float32Array, planes: number, height: number, width: number, outH: number, outW: number, win: PoolWindow): Float32Array {
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.stride;
  const out = new Float32Array(planes * outH * outW);
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * height * width;
    for (let y = 0; y < outH; y++) {
      const hs = y * sh;
      const he = Math.min(hs + kh, height);
      for (let xo = 0; xo < outW; xo++, o++) {
        const ws = xo * sw;
        const we = Math.min(ws + kw, width);
        let sum = 1.1754943508222875e-38;
        let squares = 0;
        for (let h = hs; h < he; h++) {
          for (let w = ws; w < we; w++) {
            const v = x[base + h * width + w];
            sum += v;
            squares += v * v;
          }
        }
        out[o] = squares / sum;
      }
    }
  }
  return out;
}

/** Convolution and Deconvolution: one top per bottom with the same weights, plus the bias per output channel. */
export function convolutionReference(ctx: ReferenceContext, reverse: boolean): Blob[] {
  const g = convGeometry(ctx);
  return ctx.bottoms.map((bottom, i) => {
    const top = ctx.topShapes[i];
    const data = (reverse ? deconvolve2d : convolve2d)(bottom, ctx.blobs[0].data, g, top);
    const a = g.channelAxis;
    if (g.biasTerm) addChannelBias(data, ctx.blobs[1].data, count(top, 0, a), top[a], count(top, a + 1));
    return blob(top, data);
  });
}

/** The window of `top` inside `x`, starting at `offsets` on every axis (crop_layer.cpp). */
export function crop(x: Blob, top: readonly number[], offsets: readonly number[]): Blob {
  const rank = top.length;
  const out = new Float32Array(count(top));
  if (out.length === 0) return blob(top, out);
  if (rank === 0) return blob(top, x.data.slice(0, 1));
  const strides = new Array<number>(rank);
  for (let k = rank - 1, s = 1; k >= 0; k--) {
    strides[k] = s;
    s *= x.shape[k];
  }
  const row = top[rank - 1];
  const idx = new Array<number>(rank - 1).fill(0);
  for (let o = 0; o < out.length; o += row) {
    let from = offsets[rank - 1];
    for (let k = 0; k < rank - 1; k++) from += (idx[k] + offsets[k]) * strides[k];
    out.set(x.data.subarray(from, from + row), o);
    for (let k = rank - 2; k >= 0; k--) {
      if (++idx[k] < top[k]) break;
      idx[k] = 0;
    }
  }
  return blob(top, out);
}

/**
 * Scale and Bias broadcasting (scale_layer.cpp, bias_layer.cpp): the operand covers the bottom's axes
 * [axis, axis + its rank), and a 0-axis operand is one scalar for the whole bottom. [outer, dim, inner].
 */
export function broadcastDims(shape: readonly number[], operand: readonly number[], axis: number): [number, number, number] {
  const a = operand.length === 0 ? 0 : axisIndex(axis, shape.length);
  return [count(shape, 0, a), count(operand), count(shape, a + operand.length)];
}
