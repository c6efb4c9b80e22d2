import { checkTopCount, fmt } from './common.js';
import { registerLayer } from './registry.js';

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
  bottoms: { min: 1, max: 1 },
  // pooling_layer.hpp MaxTopBlobs: MAX pooling may add a second top, the argmax mask.
  tops: { min: 1, max: 2 },
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

    const [kh, kw] = p.global_pooling ? [height, width] : has('kernel_size') ? [p.kernel_size, p.kernel_size] : [p.kernel_h, p.kernel_w];
    if (!(kh > 0) || !(kw > 0)) ctx.fail('filter dimensions cannot be zero', `${P}.kernel_size`);
    const [ph, pw] = has('pad_h') ? [p.pad_h, p.pad_w] : [p.pad, p.pad];
    const [sh, sw] = has('stride_h') ? [p.stride_h, p.stride_w] : [p.stride, p.stride];
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
      let o = round(Math.fround(Math.fround(size + 2 * pad - k) / s)) + 1;
      if (pad > 0 && (o - 1) * s >= size + pad) o--;
      if (pad > 0 && !((o - 1) * s < size + pad)) ctx.fail('the last pooling window starts past the padded input', `${P}.pad`);
      if (!(o > 0)) ctx.fail(`input size ${size} gives an empty output (kernel ${k}, stride ${s}, pad ${pad})`, `${P}.kernel_size`);
      return o;
    };
    const top = [num, channels, pooled(height, kh, sh, ph), pooled(width, kw, sw, pw)];
    return { tops: Array.from({ length: ctx.numTops }, () => [...top]), blobs: [] };
  },
});
