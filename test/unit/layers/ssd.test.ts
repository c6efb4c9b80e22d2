import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import { priorAspectRatios } from '../../../src/main/layers/prior-box.js';
import { expectShapeError, shapesOf, topsOf } from './helpers.js';

const priorBox = (prior_box_param: Message, bottom = ['feature', 'data']) => ({
  name: 'priorbox',
  type: 'PriorBox',
  bottom,
  top: ['priorbox'],
  prior_box_param,
});
const data = [1, 3, 300, 300];

describe('PriorBox shape rule (SSD prior_box_layer.cpp)', () => {
  it('lists aspect ratios with 1 first and 1/r after each new r when flip is set', () => {
    expect(priorAspectRatios([2, 3], true)).toEqual([1, 2, 0.5, 3, Math.fround(1 / 3)]);
    expect(priorAspectRatios([2, 3], false)).toEqual([1, 2, 3]);
  });

  it('skips a ratio within 1e-6 of one already listed, flipped ones included, and with it its flip', () => {
    expect(priorAspectRatios([2, 2.0000001, 0.5, 1], true)).toEqual([1, 2, 0.5]);
    expect(priorAspectRatios([0.5, 2, 3], true)).toEqual([1, 0.5, 2, 3, Math.fround(1 / 3)]);
  });

  it('emits 3 priors per cell on a 19x19 map for min_size 60, aspect_ratio 2, flip: (1,2,4332) (MobileNet-SSD conv11)', () => {
    const l = priorBox({ min_size: [60], aspect_ratio: [2], flip: true, variance: [0.1, 0.1, 0.2, 0.2] });
    expect(shapesOf(l, [[1, 512, 19, 19], data])).toEqual({ tops: [[1, 2, 4332]], blobs: [] });
  });

  it('adds one prior per max_size: 6 per cell on 10x10 for ratios 2 and 3 with flip, (1,2,2400) (MobileNet-SSD conv13)', () => {
    const l = priorBox({ min_size: [105], max_size: [150], aspect_ratio: [2, 3], flip: true });
    expect(topsOf(l, [[1, 1024, 10, 10], data])).toEqual([[1, 2, 2400]]);
  });

  it('counts ratios once per min_size: two min/max pairs with ratio 2 and flip give 8 priors per cell', () => {
    const l = priorBox({ min_size: [30, 60], max_size: [60, 111], aspect_ratio: [2] });
    expect(topsOf(l, [[1, 512, 38, 38], data])).toEqual([[1, 2, 38 * 38 * 8 * 4]]);
  });

  it('reads the feature map through the legacy height()/width(): a (1,C) blob is one cell', () => {
    expect(topsOf(priorBox({ min_size: [10] }), [[1, 16], data])).toEqual([[1, 2, 4]]);
  });

  it('needs no image bottom when img_size or img_h/img_w is given', () => {
    expect(topsOf(priorBox({ min_size: [10], img_size: 300 }, ['feature']), [[1, 16, 2, 2]])).toEqual([[1, 2, 16]]);
    expect(topsOf(priorBox({ min_size: [10], img_h: 300, img_w: 400, step_h: 8, step_w: 8 }, ['feature']), [[1, 16, 2, 2]])).toEqual([
      [1, 2, 16],
    ]);
  });

  it('fails like SSD-Caffe CHECKs, naming the layer and the field', () => {
    const f = [[1, 16, 2, 2], data];
    expectShapeError(() => shapesOf(priorBox({}), f), 'prior_box_param.min_size', /must provide min_size/);
    expectShapeError(() => shapesOf(priorBox({ min_size: [0] }), f), 'prior_box_param.min_size', /positive/);
    expectShapeError(() => shapesOf(priorBox({ min_size: [10, 20], max_size: [30] }), f), 'prior_box_param.max_size');
    expectShapeError(() => shapesOf(priorBox({ min_size: [10], max_size: [10] }), f), 'prior_box_param.max_size', /greater than min_size/);
    expectShapeError(() => shapesOf(priorBox({ min_size: [10], variance: [0.1, 0.1, 0.2] }), f), 'prior_box_param.variance', /4 variance/);
    expectShapeError(() => shapesOf(priorBox({ min_size: [10], variance: [0] }), f), 'prior_box_param.variance', /positive/);
    expectShapeError(() => shapesOf(priorBox({ min_size: [10], img_size: 300, img_h: 300, img_w: 300 }), f), 'prior_box_param.img_size', /not both/);
    expectShapeError(() => shapesOf(priorBox({ min_size: [10], img_h: 300 }), f), 'prior_box_param.img_w', /larger than 0/);
    expectShapeError(() => shapesOf(priorBox({ min_size: [10], img_size: 0 }), f), 'prior_box_param.img_size');
    expectShapeError(() => shapesOf(priorBox({ min_size: [10], step: 8, step_h: 8, step_w: 8 }), f), 'prior_box_param.step', /not both/);
    expectShapeError(() => shapesOf(priorBox({ min_size: [10], step: 0 }), f), 'prior_box_param.step', /larger than 0/);
    expectShapeError(() => shapesOf(priorBox({ min_size: [10] }, ['feature']), [[1, 16, 2, 2]]), 'bottom', /image blob/);
    expectShapeError(() => shapesOf(priorBox({ min_size: [10] }), [[1, 16, 0, 2], data]), 'bottom', /no priors/);
    expectShapeError(() => shapesOf(priorBox({ min_size: [10] }), [[1, 16, 2, 2, 2], data]), 'bottom', /legacy/);
  });
});

const detectionOutput = (detection_output_param: Message) => ({
  name: 'detection_out',
  type: 'DetectionOutput',
  bottom: ['mbox_loc', 'mbox_conf_flatten', 'mbox_priorbox'],
  top: ['detection_out'],
  detection_output_param,
});
// MobileNet-SSD: 1917 priors, 21 classes.
const ssd = [[1, 1917 * 4], [1, 1917 * 21], [1, 2, 1917 * 4]];
const mobilenetSsd = { num_classes: 21, share_location: true, background_label_id: 0, nms_param: { nms_threshold: 0.45, top_k: 100 }, code_type: 'CENTER_SIZE', keep_top_k: 100, confidence_threshold: 0.25 };

describe('DetectionOutput shape rule (SSD detection_output_layer.cpp)', () => {
  it('bounds the data-dependent top at [1, 1, keep_top_k, 7] for MobileNet-SSD', () => {
    expect(shapesOf(detectionOutput(mobilenetSsd), ssd)).toEqual({ tops: [[1, 1, 100, 7]], blobs: [], dataDependent: true });
  });

  it('bounds at nms top_k per non-background class when keep_top_k is -1', () => {
    expect(topsOf(detectionOutput({ ...mobilenetSsd, keep_top_k: -1, nms_param: { top_k: 400 } }), ssd)).toEqual([[1, 1, 20 * 400, 7]]);
  });

  it('bounds at every prior of every class when neither keep_top_k nor nms top_k is set', () => {
    expect(topsOf(detectionOutput({ num_classes: 21 }), ssd)).toEqual([[1, 1, 20 * 1917, 7]]);
    expect(topsOf(detectionOutput({ num_classes: 21, background_label_id: -1, keep_top_k: 50000 }), ssd)).toEqual([[1, 1, 21 * 1917, 7]]);
  });

  it('multiplies the per-image bound by the batch and keeps one row per image when nothing can be kept', () => {
    const batch2 = [[2, 1917 * 4], [2, 1917 * 21], [1, 2, 1917 * 4]];
    expect(topsOf(detectionOutput(mobilenetSsd), batch2)).toEqual([[1, 1, 200, 7]]);
    expect(topsOf(detectionOutput({ ...mobilenetSsd, keep_top_k: 0 }), batch2)).toEqual([[1, 1, 2, 7]]);
  });

  it('expects one location set per class without share_location', () => {
    expect(topsOf(detectionOutput({ num_classes: 3, share_location: false, keep_top_k: 10 }), [[1, 5 * 3 * 4], [1, 5 * 3], [1, 2, 20]])).toEqual([
      [1, 1, 10, 7],
    ]);
  });

  it('fails like SSD-Caffe CHECKs, naming the layer and the field', () => {
    const { num_classes: _n, ...noClasses } = mobilenetSsd;
    expectShapeError(() => shapesOf(detectionOutput(noClasses), ssd), 'detection_output_param.num_classes', /num_classes/);
    expectShapeError(() => shapesOf(detectionOutput({ ...mobilenetSsd, num_classes: 20 }), ssd), 'bottom', /confidence predictions/);
    expectShapeError(() => shapesOf(detectionOutput({ ...mobilenetSsd, share_location: false }), ssd), 'bottom', /location predictions/);
    expectShapeError(() => shapesOf(detectionOutput(mobilenetSsd), [[2, 1917 * 4], [1, 1917 * 21], ssd[2]]), 'bottom', /batch/);
    expectShapeError(
      () => shapesOf(detectionOutput({ ...mobilenetSsd, nms_param: { nms_threshold: -0.1 } }), ssd),
      'detection_output_param.nms_param.nms_threshold',
    );
    expectShapeError(() => shapesOf(detectionOutput({ ...mobilenetSsd, nms_param: { eta: 0 } }), ssd), 'detection_output_param.nms_param.eta');
  });
});
