/**
 * The inspector's and the Shapes view's logic (lib/keras.ts): Keras configs as compact text, and the
 * check that sets Caffe's output shape beside the Keras layers' output shapes. The Keras sides below
 * are written out by hand the way the service's kerasLayers answers; the Caffe shapes are AlexNet's
 * from test/fixtures/prototxts/bvlc_alexnet.shapes.json (OpenCV's own shape pass).
 */
import { describe, expect, it } from 'vitest';
import type { KerasLayersView, KerasSideInfo } from '../../../src/shared/api.js';
import alexnetShapes from '../../fixtures/prototxts/bvlc_alexnet.shapes.json?raw';
import { bottomKerasShapes, configLines, formatConfigValue, formatKerasShape, sameShape, shapeCheck, shapeChecks, summarise } from '../../../src/renderer/src/lib/keras.js';

const alexnet = JSON.parse(alexnetShapes) as {
  layers: { name: string; type: string; tops: string[]; top_shapes: number[][]; bottoms: string[] }[];
};
const caffe = (name: string) => {
  const l = alexnet.layers.find((x) => x.name === name);
  if (!l) throw new Error(`no ${name} in bvlc_alexnet.shapes.json`);
  return l;
};
const pool1 = caffe('pool1');
const [n, c, h, w] = pool1.top_shapes[0];

/** pool1 in channels_last as the converter builds it: Caffe's ceil rounding through explicit padding. */
const pool1Side = (kerasOut: (number | null)[]): KerasSideInfo => ({
  status: 'converted',
  layers: [
    { name: 'pool1_pad', className: 'ZeroPadding2D', config: { padding: [[0, 1], [0, 1]], data_format: 'channels_last' }, custom: false, outputShapes: [[null, 56, 56, c]], weights: [] },
    { name: 'pool1', className: 'MaxPooling2D', config: { pool_size: [3, 3], strides: [2, 2], padding: 'valid' }, custom: false, outputShapes: [kerasOut], weights: [] },
  ],
  tops: [{ blob: 'pool1', caffeShape: [n, c, h, w], kerasShape: [n, h, w, c], matches: sameShape(kerasOut, [n, h, w, c]) }],
});

describe('a Keras config as text', () => {
  it('writes arrays, nulls and serialised Keras objects in one short line each', () => {
    expect(formatConfigValue([5, 5])).toBe('[5, 5]');
    expect(formatConfigValue(null)).toBe('null');
    expect(formatConfigValue({ module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } })).toBe('DTypePolicy(float32)');
    expect(formatConfigValue({ class_name: 'GlorotUniform', config: {} })).toBe('GlorotUniform');
    expect(formatConfigValue('')).toBe("''");
    expect(formatConfigValue(Math.fround(1e-4))).toBe('0.0001');
  });

  it('keeps what the layer computes and leaves out initialisers, regularisers and constraints', () => {
    const lines = configLines({
      name: 'conv1',
      filters: 96,
      kernel_size: [11, 11],
      strides: [4, 4],
      kernel_initializer: { class_name: 'GlorotUniform', config: {} },
      bias_regularizer: null,
      kernel_constraint: null,
      use_bias: true,
    });
    expect(lines.map((l) => `${l.key}: ${l.value}`)).toEqual(['filters: 96', 'kernel_size: [11, 11]', 'strides: [4, 4]', 'use_bias: true']);
  });
});

describe('a Keras shape', () => {
  it('reads N for the open batch axis', () => {
    expect(formatKerasShape([null, 55, 55, 96])).toBe('N×55×55×96');
    expect(formatKerasShape([])).toBe('scalar');
  });

  it('equals a Caffe shape in Keras layout up to the batch axis only', () => {
    expect(sameShape([null, 27, 27, 96], [10, 27, 27, 96])).toBe(true);
    expect(sameShape([null, 28, 28, 96], [10, 27, 27, 96])).toBe(false);
    expect(sameShape([null, 27, 27], [10, 27, 27, 96])).toBe(false);
    expect(sameShape([1, null, 27, 96], [1, 27, 27, 96])).toBe(false);
  });
});

describe('the shape check of one Caffe layer', () => {
  it("sets AlexNet's pool1 (ceil rounding: 55 -> 27) beside ZeroPadding2D + MaxPooling2D, the last holding the top", () => {
    const check = shapeCheck(pool1, pool1Side([null, h, w, c]));
    expect(check.tops).toEqual([{ blob: 'pool1', caffe: `${n}×${c}×${h}×${w}`, keras: `${n}×${h}×${w}×${c}`, heldBy: 'pool1', output: `N×${h}×${w}×${c}`, mismatch: false }]);
    expect(check.keras.map((k) => [k.className, k.outputs, k.holds, k.mismatch])).toEqual([
      ['ZeroPadding2D', ['N×56×56×96'], [], false],
      ['MaxPooling2D', [`N×${h}×${w}×${c}`], ['pool1'], false],
    ]);
    expect(check.problem).toBe(false);
  });

  it("marks the top red when the Keras output differs from Caffe's, even if the service called it a match", () => {
    const side = pool1Side([null, 26, 26, c]);
    const check = shapeCheck(pool1, { ...side, tops: side.tops.map((t) => ({ ...t, matches: true })) });
    expect(check.tops[0].mismatch).toBe(true);
    expect(check.keras[1].mismatch).toBe(true);
    expect([check.mismatches, check.problem]).toEqual([1, true]);
  });

  it('marks the top red when the service says it does not match', () => {
    const side = pool1Side([null, h, w, c]);
    const check = shapeCheck(pool1, { ...side, tops: side.tops.map((t) => ({ ...t, matches: false })) });
    expect(check.problem).toBe(true);
  });

  it('reports a layer that cannot convert, with its reason, as a problem', () => {
    const check = shapeCheck({ name: 'odd', type: 'Python', tops: ['odd'], top_shapes: [[1, 3]] }, { status: 'failed', reason: "no Keras mapping for Caffe type 'Python'", layers: [], tops: [] });
    expect([check.status, check.reason, check.problem]).toEqual(['failed', "no Keras mapping for Caffe type 'Python'", true]);
  });

  it('gives each top of a multi-top layer to its own output of the last Keras layer', () => {
    const side: KerasSideInfo = {
      status: 'converted',
      layers: [{ name: 'slice', className: 'CaffeSlice', config: {}, custom: true, outputShapes: [[null, 2], [null, 3]], weights: [] }],
      tops: [
        { blob: 'a', caffeShape: [1, 2], kerasShape: [1, 2], matches: true },
        { blob: 'b', caffeShape: [1, 3], kerasShape: [1, 3], matches: true },
      ],
    };
    const check = shapeCheck({ name: 'slice', type: 'Slice', tops: ['a', 'b'], top_shapes: [[1, 2], [1, 3]] }, side);
    expect(check.tops.map((t) => [t.blob, t.output, t.mismatch])).toEqual([
      ['a', 'N×2', false],
      ['b', 'N×3', false],
    ]);
    expect(check.keras[0].holds).toEqual(['a', 'b']);
  });
});

describe('the whole model', () => {
  const view: KerasLayersView = {
    ordering: 'channels_last',
    flipKernels: false,
    failed: 1,
    byCaffeLayer: {
      conv1: {
        status: 'converted',
        layers: [{ name: 'conv1', className: 'Conv2D', config: {}, custom: false, outputShapes: [[null, 55, 55, 96]], weights: [{ name: 'kernel', shape: [11, 11, 3, 96] }] }],
        tops: [{ blob: 'conv1', caffeShape: caffe('conv1').top_shapes[0], kerasShape: [10, 55, 55, 96], matches: true }],
      },
      relu1: { status: 'converted', layers: [{ name: 'relu1', className: 'ReLU', config: {}, custom: false, outputShapes: [[null, 55, 55, 96]], weights: [] }], tops: [{ blob: 'conv1', caffeShape: [10, 96, 55, 55], kerasShape: [10, 55, 55, 96], matches: true }] },
      norm1: { status: 'failed', reason: 'test', layers: [], tops: [] },
      pool1: pool1Side([null, h, w, c]),
      loss: { status: 'omitted', reason: 'a loss', layers: [], tops: [] },
    },
  };
  const layers = ['conv1', 'relu1', 'norm1', 'pool1'].map(caffe);

  it('counts converted, left out, failed and mismatched layers', () => {
    const summary = summarise(shapeChecks({ layers: [...layers, { name: 'loss', type: 'SoftmaxWithLoss', bottoms: [], tops: [], top_shapes: [] }] as never }, view));
    expect(summary).toEqual({ layers: 5, converted: 3, omitted: 1, failed: 1, mismatched: 0, problems: 1 });
  });

  it("gives each bottom the Keras shape its blob's last writer left, in-place layers included", () => {
    const shapes = bottomKerasShapes({ layers: layers as never }, view);
    expect(shapes[1]).toEqual([[10, 55, 55, 96]]);
    expect(shapes[2]).toEqual([[10, 55, 55, 96]]);
    // norm1 failed: it left no Keras shape in its top.
    expect(shapes[3]).toEqual([undefined]);
    expect(shapes[0]).toEqual([undefined]);
  });
});
