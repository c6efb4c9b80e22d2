import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import type { Blob } from '../../../src/main/layers/types.js';
import { gemm, gemmKernel, type Matrix } from '../../../src/main/layers/reference-gemm.js';
import { matMul } from '../../../src/main/layers/reference-kernels.js';
import { expectClose, forward, random, tensor } from './helpers.js';

/** Σ_p A(i, p)·B(p, j) summed from p = 0 up in float64, then rounded to float32: what gemm promises, bit for bit. */
function naive(m: number, k: number, n: number, a: Matrix, b: Matrix): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a.data[a.offset + i * a.rowStride + p * a.colStride] * b.data[b.offset + p * b.rowStride + j * b.colStride];
      out[i * n + j] = s;
    }
  return out;
}

const rowMajor = (data: Float32Array, cols: number, offset = 0): Matrix => ({ data, offset, rowStride: cols, colStride: 1 });
const colMajor = (data: Float32Array, rows: number, offset = 0): Matrix => ({ data, offset, rowStride: 1, colStride: rows });

describe('gemm, the reference matrix product (float64 sums, packed and register-tiled)', () => {
  afterEach(() => {
    gemmKernel('wasm');
  });

  it('runs on WebAssembly SIMD here', () => {
    expect(gemmKernel()).toBe('wasm');
  });

  // MR = NR = 4, KC = 128 deep, 64 B panels (256 columns) per pass: sizes on both sides of every edge.
  it.each([
    [1, 1, 1],
    [3, 5, 7],
    [4, 4, 4],
    [5, 128, 9],
    [13, 129, 11],
    [7, 300, 257],
    [9, 3, 613],
  ])('equals the float64 triple loop exactly for m=%i, k=%i, n=%i, with A and B transposed or not', (m, k, n) => {
    const a = random([m * k + 3], m).data;
    const b = random([k * n + 5], n).data;
    for (const [am, bm] of [
      [rowMajor(a, k), rowMajor(b, n)],
      [colMajor(a, m, 3), colMajor(b, k, 5)],
      [rowMajor(a, k, 2), colMajor(b, k)],
    ]) {
      const out = new Float32Array(m * n);
      gemm(m, k, n, am, bm, out);
      expect(out).toEqual(naive(m, k, n, am, bm));
    }
  });

  it('writes into a window of a larger output (offset and row stride), leaving the rest alone', () => {
    const [m, k, n] = [6, 10, 5];
    const a = random([m * k], 1).data;
    const b = random([k * n], 2).data;
    const out = new Float32Array(3 + m * 8).fill(7);
    gemm(m, k, n, rowMajor(a, k), rowMajor(b, n), out, 3, 8);
    const expected = naive(m, k, n, rowMajor(a, k), rowMajor(b, n));
    for (let i = 0; i < out.length; i++) {
      const r = Math.floor((i - 3) / 8);
      const c = (i - 3) % 8;
      expect(out[i]).toBe(i >= 3 && c < n ? expected[r * n + c] : 7);
    }
  });

  it('gives the same result in slices when packed A or B would pass its memory budget', () => {
    // A 700×3000 packs to 2.1 M doubles (over the 2 M budget): two slices of rows; B 3000×700 likewise, of columns.
    const [m, k, n] = [700, 3000, 6];
    const a = random([m * k], 3).data;
    const b = random([k * n], 4).data;
    const out = new Float32Array(m * n);
    gemm(m, k, n, rowMajor(a, k), rowMajor(b, n), out);
    expect(out).toEqual(naive(m, k, n, rowMajor(a, k), rowMajor(b, n)));
    const outT = new Float32Array(n * m);
    gemm(n, k, m, colMajor(b, k), colMajor(a, m), outT);
    expect(outT).toEqual(naive(n, k, m, colMajor(b, k), colMajor(a, m)));
  });

  it('fills zeros for k = 0 and does nothing for an empty C', () => {
    const out = new Float32Array(6).fill(1);
    gemm(2, 0, 3, rowMajor(new Float32Array(0), 0), rowMajor(new Float32Array(0), 3), out);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
    gemm(0, 4, 3, rowMajor(new Float32Array(0), 4), rowMajor(new Float32Array(12), 3), out);
  });

  it('gives bit-identical results with the JavaScript micro-kernel (the fallback without WebAssembly SIMD)', () => {
    const [m, k, n] = [11, 260, 37];
    const a = random([m * k], 5).data;
    const b = random([k * n], 6).data;
    const wasm = new Float32Array(m * n);
    gemm(m, k, n, rowMajor(a, k), colMajor(b, k), wasm);
    expect(gemmKernel('js')).toBe('js');
    const js = new Float32Array(m * n);
    gemm(m, k, n, rowMajor(a, k), colMajor(b, k), js);
    expect(js).toEqual(wasm);
    expect(js).toEqual(naive(m, k, n, rowMajor(a, k), colMajor(b, k)));
  });
});

describe('matMul, the InnerProduct product', () => {
  it.each([
    [1, 70, 9],
    [7, 33, 5],
    [8, 33, 5],
    [12, 130, 23],
  ])('equals the float64 triple loop for m=%i, k=%i, n=%i, B stored [n, k] or [k, n]', (m, k, n) => {
    const a = random([m * k], 7).data;
    const b = random([k * n], 8).data;
    expect(matMul(a, b, m, k, n, true)).toEqual(naive(m, k, n, rowMajor(a, k), colMajor(b, k)));
    expectClose(matMul(a, b, m, k, n, false), naive(m, k, n, rowMajor(a, k), rowMajor(b, n)), 1e-6);
  });
});

/** caffe_conv of test_convolution_layer.cpp for one image, written out. */
function directConv(x: Blob, w: Blob, kernel: number[], stride: number[], pad: number[], dilation: number[], group: number): number[] {
  const [, , h, wd] = x.shape;
  const [o, cg] = w.shape;
  const og = o / group;
  const oh = Math.floor((h + 2 * pad[0] - (dilation[0] * (kernel[0] - 1) + 1)) / stride[0]) + 1;
  const ow = Math.floor((wd + 2 * pad[1] - (dilation[1] * (kernel[1] - 1) + 1)) / stride[1]) + 1;
  const out: number[] = [];
  for (let f = 0; f < o; f++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++) {
        let s = 0;
        for (let k = 0; k < cg; k++)
          for (let i = 0; i < kernel[0]; i++)
            for (let j = 0; j < kernel[1]; j++) {
              const yi = y * stride[0] - pad[0] + i * dilation[0];
              const xi = xx * stride[1] - pad[1] + j * dilation[1];
              if (yi >= 0 && yi < h && xi >= 0 && xi < wd) s += x.data[((Math.floor(f / og) * cg + k) * h + yi) * wd + xi] * w.data[((f * cg + k) * kernel[0] + i) * kernel[1] + j];
            }
        out.push(s);
      }
  return out;
}

describe('Convolution reference on sizes past the GEMM tiles', () => {
  it.each([
    ['7 outputs, 15·3·3 = 135 deep, 19×17 positions', [1, 15, 19, 17], 7, [3, 3], [1, 1], [1, 1], [1, 1], 1],
    ['2 groups of 5 outputs, stride 2, pad 2, 5×3 kernel', [1, 18, 23, 21], 10, [5, 3], [2, 2], [2, 1], [1, 1], 2],
    ['dilation 2 and 3, 1 output', [1, 6, 20, 25], 1, [3, 3], [1, 2], [2, 3], [2, 3], 1],
    ['depthwise, 9 channels', [1, 9, 17, 16], 9, [3, 3], [1, 1], [1, 1], [1, 1], 9],
  ] as [string, number[], number, number[], number[], number[], number[], number][])('matches a direct convolution: %s', (_, shape, outputs, kernel, stride, pad, dilation, group) => {
    const x = random(shape, 9);
    const w = random([outputs, shape[1] / group, kernel[0], kernel[1]], 10);
    const param: Message = {
      num_output: outputs,
      kernel_h: kernel[0],
      kernel_w: kernel[1],
      stride_h: stride[0],
      stride_w: stride[1],
      pad_h: pad[0],
      pad_w: pad[1],
      dilation,
      group,
      bias_term: false,
    };
    const [y] = forward({ name: 'conv', type: 'Convolution', bottom: ['x'], top: ['y'], convolution_param: param }, [x], [w]);
    expectClose(y.data, directConv(x, w, kernel, stride, pad, dilation, group), 1e-5);
  });
});

describe('LRN ACROSS_CHANNELS reference (running window sum)', () => {
  it.each([
    ['local_size 5, beta 0.75 (the square-root path)', 5, 0.75],
    ['local_size 3, beta 0.6', 3, 0.6],
    ['local_size 9 over 7 channels (the window wider than the net)', 9, 0.75],
  ])('matches the window summed afresh at every channel: %s', (_, size, beta) => {
    const x = random([2, 7, 3, 5], 11);
    const [y] = forward({ name: 'lrn', type: 'LRN', bottom: ['x'], top: ['y'], lrn_param: { local_size: size, alpha: 0.3, beta, k: 1.5 } }, [x]);
    const pre = (size - 1) / 2;
    const at = (n: number, c: number, s: number): number => x.data[(n * 7 + c) * 15 + s];
    const expected = Array.from(x.data, (v, i) => {
      const [n, c, s] = [Math.floor(i / 105), Math.floor(i / 15) % 7, i % 15];
      let sum = 0;
      for (let j = Math.max(0, c - pre); j <= Math.min(6, c + pre); j++) sum += at(n, j, s) ** 2;
      return v * Math.pow(1.5 + (0.3 / size) * sum, -beta);
    });
    expectClose(y.data, expected, 1e-6);
  });
});

describe('ReLU reference', () => {
  it('keeps Caffe\'s formula max(x, 0) + slope·min(x, 0) as written, -∞ included', () => {
    const x = tensor([5], [-2, -0.5, 0, 3, -Infinity]);
    const [plain] = forward({ name: 'relu', type: 'ReLU', bottom: ['x'], top: ['y'] }, [x]);
    expect(Array.from(plain.data)).toEqual([0, 0, 0, 3, NaN]);
    const [leaky] = forward({ name: 'relu', type: 'ReLU', bottom: ['x'], top: ['y'], relu_param: { negative_slope: 0.5 } }, [x]);
    expect(Array.from(leaky.data)).toEqual([-1, -0.25, 0, 3, -Infinity]);
  });
});
