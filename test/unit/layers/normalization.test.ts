import { describe, expect, it } from 'vitest';
import { expectShapeError, layer, shapesOf, topsOf } from './helpers.js';

describe('LRN shape rule (lrn_layer.cpp)', () => {
  // test_lrn_layer.cpp: bottom (2,7,3,3).
  it('keeps (2,7,3,3) across channels (TestSetupAcrossChannels)', () => {
    expect(shapesOf(layer('LRN'), [[2, 7, 3, 3]])).toEqual({ tops: [[2, 7, 3, 3]], blobs: [] });
  });

  it('keeps (2,7,3,3) within channel with local_size 3 (TestSetupWithinChannel)', () => {
    expect(topsOf(layer('LRN', { lrn_param: { norm_region: 'WITHIN_CHANNEL', local_size: 3 } }), [[2, 7, 3, 3]])).toEqual([[2, 7, 3, 3]]);
  });

  it('fails on an even local_size and on a bottom that is not 4-D', () => {
    expectShapeError(() => shapesOf(layer('LRN', { lrn_param: { local_size: 4 } }), [[2, 7, 3, 3]]), 'lrn_param.local_size', /odd/);
    expectShapeError(() => shapesOf(layer('LRN'), [[2, 7]]), 'bottom', /4 axes/);
  });
});

describe('BatchNorm shape rule (batch_norm_layer.cpp)', () => {
  // test_batch_norm_layer.cpp: bottom (5,2,3,4).
  it('allocates mean [C], variance [C] and the moving-average factor [1] for (5,2,3,4)', () => {
    expect(shapesOf(layer('BatchNorm'), [[5, 2, 3, 4]])).toEqual({ tops: [[5, 2, 3, 4]], blobs: [[2], [2], [1]] });
  });

  it('works in place and on a 2-D (N, C) blob', () => {
    expect(topsOf({ name: 'bn', type: 'BatchNorm', bottom: ['x'], top: ['x'] }, [[5, 2, 3, 4]])).toEqual([[5, 2, 3, 4]]);
    expect(shapesOf(layer('BatchNorm'), [[4, 10]]).blobs).toEqual([[10], [10], [1]]);
  });

  it('accepts statistics pinned with lr_mult 0', () => {
    const param = [{ lr_mult: 0 }, { lr_mult: 0 }, { lr_mult: 0, decay_mult: 0 }];
    expect(shapesOf(layer('BatchNorm', { param }), [[1, 8, 2, 2]]).blobs).toEqual([[8], [8], [1]]);
  });

  it('fails on a learned statistic and on a bottom without a channel axis', () => {
    expectShapeError(() => shapesOf(layer('BatchNorm', { param: [{ lr_mult: 0 }, { lr_mult: 1 }] }), [[1, 8, 2, 2]]), 'param.lr_mult');
    expectShapeError(() => shapesOf(layer('BatchNorm', { param: [{ decay_mult: 0 }] }), [[1, 8, 2, 2]]), 'param.lr_mult');
    expectShapeError(() => shapesOf(layer('BatchNorm'), [[8]]), 'bottom');
  });
});

describe('MVN shape rule (mvn_layer.cpp)', () => {
  it('keeps a (2,3,4,5) bottom', () => {
    expect(shapesOf(layer('MVN'), [[2, 3, 4, 5]])).toEqual({ tops: [[2, 3, 4, 5]], blobs: [] });
  });

  it('reshapes through the legacy accessors: a (2,3) bottom gives a (2,3,1,1) top', () => {
    expect(topsOf(layer('MVN'), [[2, 3]])).toEqual([[2, 3, 1, 1]]);
  });

  it('fails on more than 4 axes', () => {
    expectShapeError(() => shapesOf(layer('MVN'), [[1, 2, 3, 4, 5]]), 'bottom', /legacy/);
  });
});

describe('Normalize shape rule (SSD normalize_layer.cpp)', () => {
  it('keeps the bottom shape and learns a 0-axis scalar scale when channel_shared (the default)', () => {
    expect(shapesOf(layer('Normalize'), [[1, 512, 38, 38]])).toEqual({ tops: [[1, 512, 38, 38]], blobs: [[]] });
  });

  it('learns one scale per channel, [512], for conv4_3_norm with channel_shared false', () => {
    const l = layer('Normalize', { norm_param: { across_spatial: false, channel_shared: false, scale_filler: { type: 'constant', value: 20 } } });
    expect(shapesOf(l, [[1, 512, 38, 38]]).blobs).toEqual([[512]]);
  });

  it('fails on fewer than 2 axes and on more than 4', () => {
    expectShapeError(() => shapesOf(layer('Normalize'), [[512]]), 'bottom', />= 2/);
    expectShapeError(() => shapesOf(layer('Normalize'), [[1, 2, 3, 4, 5]]), 'bottom', /legacy/);
  });
});
