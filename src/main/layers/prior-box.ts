import { legacyDim } from './common.js';
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
  // prior_box_layer.hpp (SSD) declares ExactBottomBlobs(), a misspelling Caffe never calls, so the
  // bottom count is unchecked; Forward reads bottom[1] only when no image size is given.
  bottoms: { min: 1 },
  tops: { min: 1, max: 1 },
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
