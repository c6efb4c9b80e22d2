import { isMessage } from '../caffe/message.js';
import { withDefaults } from '../caffe/schema.js';
import { changed, label, legacyDim, num } from './common.js';
import { registerLayer } from './registry.js';

interface DetectionOutputParam {
  num_classes: number;
  share_location: boolean;
  background_label_id: number;
  keep_top_k: number;
}

const P = 'detection_output_param';

registerLayer({
  type: 'DetectionOutput',
  meta: { category: 'detection', keyParams: (p) => label(`${num(p.param(P).num_classes)} classes`, changed(p, P, 'keep_top_k', 'keep')) },
  // detection_output_layer.hpp (SSD): loc, conf, priors, and optionally the image for visualize.
  bottoms: { min: 3, max: 4 },
  tops: { min: 1, max: 1 },
  shapes(ctx) {
    const p = ctx.param<DetectionOutputParam>(P);
    if (!ctx.has(P, 'num_classes')) ctx.fail('must specify num_classes', `${P}.num_classes`);
    const raw = ctx.layer[P];
    const rawNms = isMessage(raw) ? raw.nms_param : undefined;
    const nms = withDefaults<{ nms_threshold: number; eta: number; top_k: number }>(
      'NonMaximumSuppressionParameter',
      isMessage(rawNms) ? rawNms : undefined,
    );
    if (!(nms.nms_threshold >= 0)) ctx.fail('nms_threshold must be non negative', `${P}.nms_param.nms_threshold`);
    if (!(nms.eta > 0 && nms.eta <= 1)) ctx.fail(`eta must be in (0, 1], got ${nms.eta}`, `${P}.nms_param.eta`);
    const topK = isMessage(rawNms) && rawNms.top_k !== undefined ? nms.top_k : -1;

    const [loc, conf, prior] = ctx.bottoms;
    const num = legacyDim(ctx, loc, 0, 'bottom');
    if (num !== legacyDim(ctx, conf, 0, 'bottom'))
      ctx.fail(`location (${loc[0]}) and confidence (${conf[0]}) predictions differ in batch size`, 'bottom');
    const numPriors = Math.trunc(legacyDim(ctx, prior, 2, 'bottom') / 4);
    const locClasses = p.share_location ? 1 : p.num_classes;
    if (numPriors * locClasses * 4 !== legacyDim(ctx, loc, 1, 'bottom'))
      ctx.fail(`number of priors (${numPriors}) must match number of location predictions (${legacyDim(ctx, loc, 1)})`, 'bottom');
    if (numPriors * p.num_classes !== legacyDim(ctx, conf, 1, 'bottom'))
      ctx.fail(`number of priors (${numPriors}) must match number of confidence predictions (${legacyDim(ctx, conf, 1)})`, 'bottom');

    // detection_output_layer.cpp Forward: NMS keeps at most top_k (nms_param; -1 = all priors) per
    // non-background class; keep_top_k > -1 caps each image; no detection at all still gives one
    // row per image. The top is [1, 1, rows, 7].
    const bg = p.background_label_id;
    const classes = p.num_classes - (bg >= 0 && bg < p.num_classes ? 1 : 0);
    let perImage = classes * (topK > -1 ? Math.min(topK, numPriors) : numPriors);
    if (p.keep_top_k > -1 && perImage > p.keep_top_k) perImage = p.keep_top_k;
    return { tops: [[1, 1, num * Math.max(perImage, 1), 7]], blobs: [], dataDependent: true };
  },
});
