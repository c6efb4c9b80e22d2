import { op } from '../export/onnx-ops.js';
import { asList, label, legacyDim, num } from './common.js';
import { registerLayer } from './registry.js';

interface PriorBoxParam {
  min_size: number[];
  max_size: number[];
  aspect_ratio: number[];
  flip: boolean;
  variance: number[];
  img_size: number;
  img_h: number;
  img_w: number;
  step: number;
  step_h: number;
  step_w: number;
}

const P = 'prior_box_param';

/**
 * The aspect ratios PriorBoxLayer::LayerSetUp (SSD) generates: 1 first, then each new ratio (closer
 * than 1e-6 in float to one already listed counts as a duplicate) followed by 1/ratio when flip.
 */
export function priorAspectRatios(ratios: readonly number[], flip: boolean): number[] {
  const out = [1];
  for (const r of ratios) {
    const ar = Math.fround(r);
    if (out.some((a) => Math.abs(Math.fround(ar - a)) < 1e-6)) continue;
    out.push(ar);
    if (flip) out.push(Math.fround(1 / ar));
  }
  return out;
}

registerLayer({
  type: 'PriorBox',
  meta: {
    category: 'detection',
    keyParams: (p) => {
      const b = p.param<PriorBoxParam>(P);
      const ratios = asList(b.aspect_ratio);
      return label(`size ${asList(b.min_size).map(num).join(', ')}`, asList(b.max_size).length > 0 && `max ${asList(b.max_size).map(num).join(', ')}`, ratios.length > 0 && `ratios ${ratios.map(num).join(', ')}`);
    },
  },
  // prior_box_layer.hpp (SSD) declares ExactBottomBlobs(), a misspelling Caffe never calls, so the
  // bottom count is unchecked; Forward reads bottom[1] only when no image size is given.
  bottoms: { min: 1 },
  tops: { min: 1, max: 1 },
  onnx(ctx) {
    // prior_box_layer.cpp (SSD): the priors depend only on shapes and parameters, so they are a constant.
    const p = ctx.param<PriorBoxParam & { offset: number; clip: boolean }>(P);
    const has = (f: string): boolean => ctx.has(P, f);
    const fr = Math.fround;
    const legacy = (s: readonly number[] | undefined, i: number): number => (s && i < s.length ? s[i] : 1);
    const [layerH, layerW] = [legacy(ctx.bottoms[0], 2), legacy(ctx.bottoms[0], 3)];
    const image = ctx.bottoms[1];
    const [imgH, imgW] = has('img_h') || has('img_w') ? [p.img_h, p.img_w] : has('img_size') ? [p.img_size, p.img_size] : [legacy(image, 2), legacy(image, 3)];
    const [stepH, stepW] = has('step_h') || has('step_w') ? [fr(p.step_h), fr(p.step_w)] : has('step') ? [fr(p.step), fr(p.step)] : [fr(imgH / layerH), fr(imgW / layerW)];
    const ratios = priorAspectRatios(p.aspect_ratio, p.flip);
    const dim = ctx.topShapes[0][2];
    const out = new Float32Array(2 * dim);
    let i = 0;
    const box = (cx: number, cy: number, bw: number, bh: number): void => {
      out[i++] = (cx - bw / 2) / imgW;
      out[i++] = (cy - bh / 2) / imgH;
      out[i++] = (cx + bw / 2) / imgW;
      out[i++] = (cy + bh / 2) / imgH;
    };
    for (let h = 0; h < layerH; h++) {
      for (let w = 0; w < layerW; w++) {
        const cx = fr(fr(w + p.offset) * stepW);
        const cy = fr(fr(h + p.offset) * stepH);
        p.min_size.forEach((minSize, s) => {
          const min = Math.trunc(minSize); // `int min_size_ = min_sizes_[s]`
          box(cx, cy, min, min);
          const max = p.max_size.length > 0 ? Math.trunc(p.max_size[s]) : 0;
          if (max > 0) box(cx, cy, fr(Math.sqrt(min * max)), fr(Math.sqrt(min * max)));
          // The other ratios scale min_size (SSD's prior_box_layer.cpp as forked and as OpenCV reads it; a
          // later variant scales sqrt(min·max) instead when max_size is given).
          for (const ar of ratios) {
            if (Math.abs(ar - 1) < 1e-6) continue;
            box(cx, cy, fr(min * fr(Math.sqrt(ar))), fr(min / fr(Math.sqrt(ar))));
          }
        });
      }
    }
    if (p.clip) for (let d = 0; d < dim; d++) out[d] = Math.min(Math.max(out[d], 0), 1);
    const variance = p.variance.length === 0 ? [0.1] : p.variance;
    for (let d = 0; d < dim; d++) out[dim + d] = variance.length === 1 ? variance[0] : variance[d % 4];
    return [op(ctx, 'Identity', [ctx.constant('priors', out, [1, 2, dim])], {}, ctx.top(0))];
  },
  shapes(ctx) {
    const p = ctx.param<PriorBoxParam>(P);
    const has = (f: string): boolean => ctx.has(P, f);
    if (p.min_size.length === 0) ctx.fail('must provide min_size', `${P}.min_size`);
    if (p.min_size.some((s) => !(s > 0))) ctx.fail('min_size must be positive', `${P}.min_size`);
    const numPriors =
      priorAspectRatios(p.aspect_ratio, p.flip).length * p.min_size.length + p.max_size.length;
    if (p.max_size.length > 0) {
      if (p.max_size.length !== p.min_size.length)
        ctx.fail(`${p.min_size.length} min_size value(s) need as many max_size values, found ${p.max_size.length}`, `${P}.max_size`);
      p.max_size.forEach((m, i) => {
        if (!(m > p.min_size[i])) ctx.fail(`max_size ${m} must be greater than min_size ${p.min_size[i]}`, `${P}.max_size`);
      });
    }
    if (p.variance.length > 1 && p.variance.length !== 4) ctx.fail('must and only provide 4 variance', `${P}.variance`);
    if (p.variance.some((v) => !(v > 0))) ctx.fail('variance must be positive', `${P}.variance`);
    let imageSizeGiven = false;
    if (has('img_h') || has('img_w')) {
      if (has('img_size')) ctx.fail('either img_size or img_h/img_w should be specified; not both', `${P}.img_size`);
      if (!(p.img_h > 0)) ctx.fail('img_h should be larger than 0', `${P}.img_h`);
      if (!(p.img_w > 0)) ctx.fail('img_w should be larger than 0', `${P}.img_w`);
      imageSizeGiven = true;
    } else if (has('img_size')) {
      if (!(p.img_size > 0)) ctx.fail('img_size should be larger than 0', `${P}.img_size`);
      imageSizeGiven = true;
    }
    if (has('step_h') || has('step_w')) {
      if (has('step')) ctx.fail('either step or step_h/step_w should be specified; not both', `${P}.step`);
      if (!(p.step_h > 0)) ctx.fail('step_h should be larger than 0', `${P}.step_h`);
      if (!(p.step_w > 0)) ctx.fail('step_w should be larger than 0', `${P}.step_w`);
    } else if (has('step') && !(p.step > 0)) ctx.fail('step should be larger than 0', `${P}.step`);
    if (!imageSizeGiven && ctx.bottoms.length < 2)
      ctx.fail('PriorBox needs the image blob as bottom[1] unless img_size or img_h/img_w is given', 'bottom');

    const width = legacyDim(ctx, ctx.bottoms[0], 3, 'bottom');
    const height = legacyDim(ctx, ctx.bottoms[0], 2, 'bottom');
    const dim = width * height * numPriors * 4;
    if (!(dim > 0)) ctx.fail(`a ${height}x${width} feature map gives no priors`, 'bottom');
    return { tops: [[1, 2, dim]], blobs: [] };
  },
});
