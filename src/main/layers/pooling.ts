import { caffePool } from '../export/onnx-pool.js';
import { checkInt, checkTopCount, fmt, INT_MAX, label } from './common.js';
import { registerLayer } from './registry.js';
import { avePool, blob, count, maxPool, stochasticPool, type PoolWindow } from './reference-kernels.js';
import { standardPooling, type PoolAxis } from '../keras/helpers.js';
import { native } from '../keras/layout.js';

interface PoolingParam {
  pool: 'MAX' | 'AVE' | 'STOCHASTIC';
  pad: number;
  pad_h: number;
  pad_w: number;
  kernel_size: number;
  kernel_h: number;
  kernel_w: number;
  stride: number;
  stride_h: number;
  stride_w: number;
  global_pooling: boolean;
  round_mode: 'CEIL' | 'FLOOR';
}

const P = 'pooling_param';

registerLayer({
  type: 'Pooling',
  meta: {
    category: 'pooling',
    keyParams: (ctx) => {
      const p = ctx.param<PoolingParam>(P);
      const has = (f: string): boolean => ctx.has(P, f);
      if (p.global_pooling) return `${p.pool} global`;
      const pair = (a: number, b: number): string => (a === b ? String(a) : `${a}×${b}`);
      const [kh, kw] = has('kernel_size') ? [p.kernel_size, p.kernel_size] : [p.kernel_h, p.kernel_w];
      const [sh, sw] = has('stride_h') ? [p.stride_h, p.stride_w] : [p.stride, p.stride];
      const [ph, pw] = has('pad_h') ? [p.pad_h, p.pad_w] : [p.pad, p.pad];
      return label(p.pool, `${kh}×${kw}`, (sh !== 1 || sw !== 1) && `/${pair(sh, sw)}`, (ph !== 0 || pw !== 0) && `pad ${pair(ph, pw)}`, p.round_mode === 'FLOOR' && 'floor');
    },
  },
  bottoms: { min: 1, max: 1 },
  // pooling_layer.hpp MaxTopBlobs: MAX pooling may add a second top, the argmax mask.
  tops: { min: 1, max: 2 },
  onnx(ctx) {
    const p = ctx.param<PoolingParam>(P);
    const has = (f: string): boolean => ctx.has(P, f);
    const [, , height, width] = ctx.bottoms[0];
    const [, , oh, ow] = ctx.topShapes[0];
    // pooling_layer.cpp STOCHASTIC has no CPU forward (NOT_IMPLEMENTED); its GPU test-time rule is not exported.
    if (p.pool === 'STOCHASTIC') ctx.fail('STOCHASTIC pooling has no ONNX mapping (Caffe runs it on the GPU only)', `${P}.pool`);
    const kernel: [number, number] = p.global_pooling ? [height, width] : has('kernel_size') ? [p.kernel_size, p.kernel_size] : [p.kernel_h, p.kernel_w];
    const pad: [number, number] = has('pad_h') ? [p.pad_h, p.pad_w] : [p.pad, p.pad];
    const stride: [number, number] = has('stride_h') ? [p.stride_h, p.stride_w] : [p.stride, p.stride];
    const geometry = { kernel, stride, pad, input: [height, width] as [number, number], output: [oh, ow] as [number, number] };
    return caffePool(ctx, ctx.inputs[0], p.pool as 'MAX' | 'AVE', geometry, ctx.top(0), ctx.topShapes.length > 1 ? ctx.top(1) : undefined);
  },
  reference(ctx) {
    const p = ctx.param<PoolingParam>(P);
    const has = (f: string): boolean => ctx.has(P, f);
    const x = ctx.bottoms[0];
    const [num, channels, height, width] = x.shape;
    const top = ctx.topShapes[0];
    // pooling_layer.cpp LayerSetUp: global pooling is one window of the whole image, no pad, stride 1.
    const win: PoolWindow = p.global_pooling
      ? { kernel: [height, width], stride: [1, 1], pad: [0, 0] }
      : {
          kernel: has('kernel_size') ? [p.kernel_size, p.kernel_size] : [p.kernel_h, p.kernel_w],
          stride: has('stride_h') ? [p.stride_h, p.stride_w] : [p.stride, p.stride],
          pad: has('pad_h') ? [p.pad_h, p.pad_w] : [p.pad, p.pad],
        };
    const args = [x.data, num * channels, height, width, top[2], top[3], win] as const;
    if (p.pool === 'MAX') {
      const mask = ctx.topShapes.length > 1 ? new Float32Array(count(top)) : undefined;
      const out = blob(top, maxPool(...args, mask));
      return mask ? [out, blob(ctx.topShapes[1], mask)] : [out];
    }
    return [blob(top, p.pool === 'AVE' ? avePool(...args) : stochasticPool(...args))];
  },
  shapes(ctx) {
    const p = ctx.param<PoolingParam>(P);
    const has = (f: string): boolean => ctx.has(P, f);
    if (p.pool !== 'MAX') checkTopCount(ctx, 1);
    const bottom = ctx.bottoms[0];
    if (bottom.length !== 4)
      ctx.fail(`input must have 4 axes, corresponding to (num, channels, height, width); got ${fmt(bottom)}`, 'bottom');
    const [num, channels, height, width] = bottom;

    if (p.global_pooling) {
      if (has('kernel_size') || has('kernel_h') || has('kernel_w'))
        ctx.fail('with global_pooling: true filter size cannot be specified', `${P}.kernel_size`);
    } else {
      if (!has('kernel_size') === !(has('kernel_h') && has('kernel_w')))
        ctx.fail('filter size is kernel_size OR kernel_h and kernel_w; not both', `${P}.kernel_size`);
    }
    if (!((!has('pad') && has('pad_h') && has('pad_w')) || (!has('pad_h') && !has('pad_w'))))
      ctx.fail('pad is pad OR pad_h and pad_w are required', `${P}.pad`);
    if (!((!has('stride') && has('stride_h') && has('stride_w')) || (!has('stride_h') && !has('stride_w'))))
      ctx.fail('stride is stride OR stride_h and stride_w are required', `${P}.stride`);

    // pooling_layer.cpp keeps kernel, pad and stride in ints: a uint32 above INT_MAX would be negative there.
    const [kh, kw] = p.global_pooling ? [height, width] : has('kernel_size') ? [p.kernel_size, p.kernel_size] : [p.kernel_h, p.kernel_w];
    checkInt(ctx, [kh, kw], has('kernel_h') ? `${P}.kernel_h` : `${P}.kernel_size`);
    if (!(kh > 0) || !(kw > 0)) ctx.fail('filter dimensions cannot be zero', `${P}.kernel_size`);
    const [ph, pw] = has('pad_h') ? [p.pad_h, p.pad_w] : [p.pad, p.pad];
    checkInt(ctx, [ph, pw], has('pad_h') ? `${P}.pad_h` : `${P}.pad`);
    const [sh, sw] = has('stride_h') ? [p.stride_h, p.stride_w] : [p.stride, p.stride];
    checkInt(ctx, [sh, sw], has('stride_h') ? `${P}.stride_h` : `${P}.stride`);
    if (!(sh > 0) || !(sw > 0)) ctx.fail('stride must be greater than 0', `${P}.stride`);
    if (p.global_pooling && !(ph === 0 && pw === 0 && sh === 1 && sw === 1))
      ctx.fail('with global_pooling: true only pad = 0 and stride = 1 are allowed', `${P}.global_pooling`);
    if (ph !== 0 || pw !== 0) {
      if (p.pool === 'STOCHASTIC') ctx.fail('padding is implemented only for average and max pooling', `${P}.pad`);
      if (ph >= kh || pw >= kw) ctx.fail(`pad (${ph}, ${pw}) must be smaller than the kernel (${kh}, ${kw})`, `${P}.pad`);
    }

    // pooling_layer.cpp Reshape: ceil (default round_mode) or floor of a float division, then with
    // padding the last window must start inside image + pad, else it is dropped.
    const round = p.round_mode === 'FLOOR' ? Math.floor : Math.ceil;
    const pooled = (size: number, k: number, s: number, pad: number): number => {
      if (size + 2 * pad > INT_MAX)
        ctx.fail(`input size ${size} with pad ${pad} overflows Caffe's int arithmetic of the output size (${size} + 2·${pad} is beyond INT_MAX)`, `${P}.pad`);
      let o = round(Math.fround(Math.fround(size + 2 * pad - k) / s)) + 1;
      if (pad > 0 && (o - 1) * s >= size + pad) o--;
      if (pad > 0 && !((o - 1) * s < size + pad)) ctx.fail('the last pooling window starts past the padded input', `${P}.pad`);
      if (!(o > 0)) ctx.fail(`input size ${size} gives an empty output (kernel ${k}, stride ${s}, pad ${pad})`, `${P}.kernel_size`);
      return o;
    };
    const top = [num, channels, pooled(height, kh, sh, ph), pooled(width, kw, sw, pw)];
    return { tops: Array.from({ length: ctx.numTops }, () => [...top]), blobs: [] };
  },
  keras(ctx) {
    const p = ctx.param<PoolingParam>(P);
    const has = (f: string): boolean => ctx.has(P, f);
    if (ctx.topShapes.length > 1) ctx.fail('the argmax-mask top of MAX pooling has no Keras mapping', 'top');
    if (p.pool === 'STOCHASTIC') ctx.fail('STOCHASTIC pooling has no Keras mapping', `${P}.pool`);
    const pool = p.pool as 'MAX' | 'AVE';
    const x = native(ctx, ctx.inputs[0]);
    const [n, c, h, w] = x.caffeShape;
    const top = ctx.topShapes[0];
    const kernel = p.global_pooling ? [h, w] : has('kernel_size') ? [p.kernel_size, p.kernel_size] : [p.kernel_h, p.kernel_w];
    const stride = p.global_pooling ? [1, 1] : has('stride_h') ? [p.stride_h, p.stride_w] : [p.stride, p.stride];
    const pad = p.global_pooling ? [0, 0] : has('pad_h') ? [p.pad_h, p.pad_w] : [p.pad, p.pad];
    const axes: PoolAxis[] = [0, 1].map((i) => ({ size: [h, w][i], kernel: kernel[i], stride: stride[i], pad: pad[i], out: top[2 + i] }));
    const out = [{ caffeShape: top, perm: x.perm }];
    // pooling_layer.cpp: ceil rounding, the last window starting inside image + pad, MAX over the cells
    // inside the image, AVE dividing by the window clipped to image + pad. Standard Keras pooling only
    // where it is provably the same windows and divisors (see standardPooling), else CaffePooling.
    const mode = standardPooling(pool, axes);
    const className = pool === 'MAX' ? 'MaxPooling2D' : 'AveragePooling2D';
    const config = (padding: string): Record<string, unknown> => ({ pool_size: kernel, strides: stride, padding, data_format: ctx.ordering });
    if (mode === 'valid' || mode === 'same') return ctx.add({ className, config: config(mode) }, [x], out);
    if (mode === 'pad') {
      const [padded] = ctx.add({ className: 'ZeroPadding2D', config: { padding: [[pad[0], pad[0]], [pad[1], pad[1]]], data_format: ctx.ordering }, suffix: 'pad' }, [x], [
        { caffeShape: [n, c, h + 2 * pad[0], w + 2 * pad[1]], perm: x.perm },
      ]);
      return ctx.add({ className, config: config('valid') }, [padded], out);
    }
    const config2 = {
      mode: pool === 'MAX' ? 'max' : 'ave',
      pool_size: kernel,
      strides: stride,
      padding: pad,
      round_mode: p.round_mode === 'FLOOR' ? 'floor' : 'ceil',
      data_format: ctx.ordering,
    };
    return ctx.add({ className: 'CaffePooling', config: config2 }, [x], out);
  },
});
