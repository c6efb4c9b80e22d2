/**
 * The Run view's logic (lib/run.ts): the engine list against the API's, the preprocessing form as
 * runModel's Transformer settings, the input choice as a RunInput, the charts as ECharts options,
 * and the arithmetic of the activation map grid and the value read-out.
 */
import { describe, expect, it } from 'vitest';
import { ENGINE_CHOICE_NAMES, PreprocessSchema, RunInputSchema, type ActivationInfo, type Prediction } from '../../../src/shared/api.js';
import {
  ENGINE_CHOICES,
  activationHistogram,
  activationKey,
  activationKind,
  emptyPreprocess,
  engineLine,
  firstSample,
  isDemoModel,
  parseNumber,
  parseNumberList,
  inputsText,
  predictionsOption,
  preprocessForm,
  ranWhat,
  sampleLabel,
  toPreprocess,
  toRunInput,
  valueAt,
  valuesOption,
} from '../../../src/renderer/src/lib/run.js';
import { tileAt, tileGrid, tileOrigin } from '../../../src/renderer/src/lib/tiles.js';

const colours = { bar: '#2f6fde', text: '#667085', line: '#d5dae2', tooltipBg: '#fff', danger: '#c8322b' };

describe('the engine choices', () => {
  it("offers exactly the API's engine names, in the CLI's order", () => {
    expect(ENGINE_CHOICES.map((e) => e.id)).toEqual([...ENGINE_CHOICE_NAMES]);
  });
});

describe('the preprocessing form', () => {
  it('reads numbers as recipes write them, fractions included', () => {
    expect(parseNumber('0.017')).toBe(0.017);
    expect(parseNumber('1/256')).toBe(0.00390625);
    expect(parseNumber(' 1e-3 ')).toBe(0.001);
    expect(parseNumber('255.')).toBe(255);
    expect(parseNumber('abc')).toBeNull();
    expect(parseNumber('1/0')).toBeNull();
    expect(parseNumber('')).toBeNull();
  });

  it('splits mean values on commas and spaces, and names a value that is not a number', () => {
    expect(parseNumberList('104, 117,123')).toEqual({ values: [104, 117, 123] });
    expect(parseNumberList('104 117 123')).toEqual({ values: [104, 117, 123] });
    expect(parseNumberList('')).toEqual({ values: [] });
    expect(parseNumberList('104, x')).toEqual({ problem: 'mean values: "x" is not a number' });
  });

  it('leaves blank fields to the service and passes the others, which the API schema accepts', () => {
    expect(toPreprocess(emptyPreprocess())).toEqual({ preprocess: {} });
    const got = toPreprocess({ mean: ' /m/ilsvrc_2012_mean.binaryproto ', meanValues: '', rawScale: '255', inputScale: '1/256', rgb: true });
    expect(got).toEqual({ preprocess: { mean: '/m/ilsvrc_2012_mean.binaryproto', rawScale: 255, scale: 0.00390625, rgb: true } });
    if (!('preprocess' in got)) throw new Error('refused');
    expect(PreprocessSchema.parse(got.preprocess)).toEqual(got.preprocess);
    expect(toPreprocess({ ...emptyPreprocess(), meanValues: '104, 117, 123' })).toEqual({ preprocess: { meanValues: [104, 117, 123] } });
  });

  it('refuses a mean file and mean values together, and a scale that is not positive', () => {
    expect(toPreprocess({ ...emptyPreprocess(), mean: 'm.binaryproto', meanValues: '1,2,3' })).toEqual({ problem: 'give a mean file or mean values, not both' });
    expect(toPreprocess({ ...emptyPreprocess(), inputScale: '0' })).toEqual({ problem: 'input scale: "0" is not a positive number' });
    expect(toPreprocess({ ...emptyPreprocess(), rawScale: '-1' })).toEqual({ problem: 'raw scale: "-1" is not a positive number' });
  });

  it("shows the demo's preprocessing in the fields, and turns it back into the same settings", () => {
    const demo = { scale: 0.00390625 };
    expect(preprocessForm(demo)).toEqual({ ...emptyPreprocess(), inputScale: '0.00390625' });
    expect(toPreprocess(preprocessForm(demo))).toEqual({ preprocess: demo });
    const full = { mean: '/m.npy', rawScale: 1, scale: 0.017, rgb: true };
    expect(toPreprocess(preprocessForm(full))).toEqual({ preprocess: full });
  });
});

describe('the input', () => {
  it('is a demo sample by name or a file by its trimmed path, as RunInputSchema takes them', () => {
    const sample = toRunInput({ kind: 'sample', name: 'digit_3.png' });
    expect(sample).toEqual({ input: { sample: 'digit_3.png' } });
    const file = toRunInput({ kind: 'file', path: ' /data/cat.jpg ' });
    expect(file).toEqual({ input: { file: '/data/cat.jpg' } });
    for (const got of [sample, file]) if ('input' in got) expect(RunInputSchema.safeParse(got.input).success).toBe(true);
    expect(toRunInput({ kind: 'file', path: '  ' })).toEqual({ problem: 'choose an input: the path of an image or a .npy' });
  });

  it('names a sample without its extension, and knows the demo by its prototxt', () => {
    expect(sampleLabel('digit_3.png')).toBe('digit_3');
    expect(isDemoModel('/r/demo/lenet_mnist/deploy.prototxt', '/r/demo/lenet_mnist/deploy.prototxt')).toBe(true);
    expect(isDemoModel('/elsewhere/deploy.prototxt', '/r/demo/lenet_mnist/deploy.prototxt')).toBe(false);
    expect(isDemoModel(undefined, undefined)).toBe(false);
  });
});

describe('the run summary and charts', () => {
  it('names the engine that ran and its time, and which model it ran', () => {
    expect(engineLine({ engineDetail: 'tfjs wasm (SIMD, 1 thread)', milliseconds: 12.34 })).toBe('tfjs wasm (SIMD, 1 thread) · 12.3 ms');
    expect(ranWhat({ form: 'onnx', ordering: 'channels_last' })).toBe('the ONNX export, channels_last');
    expect(ranWhat({ form: 'keras', ordering: 'channels_first', flipKernels: true })).toBe('the converted Keras model, channels_first with flipped kernels');
    expect(ranWhat({ form: 'reference' })).toBe('the reference executor');
    expect(inputsText([{ name: 'data', shape: [1, 3, 32, 32] }])).toBe('data 1×3×32×32');
  });

  it('draws the top-k with the best on top, labels where there are labels and the class index where not', () => {
    const top: Prediction[] = [
      { index: 3, score: 0.98 },
      { index: 8, label: 'eight', score: 0.015 },
      { index: 5, score: 0.004 },
    ];
    const option = predictionsOption(top, colours) as { yAxis: { data: string[] }; series: { data: { value: number }[] }[]; xAxis: { min: number } };
    // ECharts draws a category axis from the bottom up.
    expect(option.yAxis.data).toEqual(['class 5', 'eight', 'class 3']);
    expect(option.series[0].data.map((d) => d.value)).toEqual([0.004, 0.015, 0.98]);
    expect(option.xAxis.min).toBe(0);
    const logits = predictionsOption([{ index: 0, score: 2 }, { index: 1, score: -3 }], colours) as { xAxis: { min: number } };
    expect(logits.xAxis.min).toBe(-3);
  });

  it("takes sample 0's values of an output, and plots a few as bars and many as a line", () => {
    const values = Float32Array.from({ length: 20 }, (_, i) => i);
    expect(Array.from(firstSample(values, [2, 10]))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(firstSample(values, [20]).length).toBe(20);
    const few = valuesOption(firstSample(values, [2, 10]), colours, 'prob') as { series: { type: string; data: number[][] }[] };
    expect(few.series[0].type).toBe('bar');
    expect(few.series[0].data[4]).toEqual([4, 4]);
    const many = valuesOption(new Float32Array(1000), colours, 'fc7') as { series: { type: string }[] };
    expect(many.series[0].type).toBe('line');
  });
});

describe('activations', () => {
  it('draws a 4-D top as maps, an (N,K) or (N,K,1,1) top as values, anything else as statistics only', () => {
    expect(activationKind([1, 20, 24, 24])).toBe('maps');
    expect(activationKind([1, 500])).toBe('vector');
    expect(activationKind([1, 4096, 1, 1])).toBe('vector');
    expect(activationKind([1, 3, 5])).toBe('stats');
  });

  it('caches per run, layer, top and drawing options', () => {
    const base = { runId: 'r1', layer: 'conv1', top: 0, tiles: { offset: 0, limit: 256, normalise: 'channel' as const, colormap: 'viridis' as const }, raw: false };
    const keys = new Set([
      activationKey(base),
      activationKey({ ...base, runId: 'r2' }),
      activationKey({ ...base, layer: 'conv2' }),
      activationKey({ ...base, top: 1 }),
      activationKey({ ...base, tiles: { ...base.tiles, normalise: 'shared' } }),
      activationKey({ ...base, tiles: { ...base.tiles, colormap: 'gray' } }),
      activationKey({ ...base, tiles: { ...base.tiles, offset: 256 } }),
      activationKey({ ...base, tiles: undefined, raw: true }),
    ]);
    expect(keys.size).toBe(8);
    expect(activationKey({ ...base })).toBe(activationKey(base));
  });

  it("hands an activation's statistics to the histogram as a blob's, its top for the blob", () => {
    const a: ActivationInfo = {
      layer: 'conv1', top: 0, blob: 'conv1', shape: [1, 20, 24, 24],
      count: 11520, min: -1, max: 2, mean: 0.1, std: 0.3, zeroFraction: 0, nanCount: 0, infCount: 0,
      edges: Float64Array.from([-1, 0.5, 2]), counts: Float64Array.from([5000, 6520]),
    };
    const h = activationHistogram(a);
    expect(h).toMatchObject({ layer: 'conv1', blob: 0, shape: [1, 20, 24, 24], count: 11520, min: -1, max: 2 });
    expect(h.edges).toBe(a.edges);
    expect(h.counts).toBe(a.counts);
  });

  it("lays LeNet conv1's 20 maps of 24×24 out 5 wide, 4 high, with a pixel's gap, and finds the map under a pixel", () => {
    const g = tileGrid(20, 24, 24);
    expect(g).toMatchObject({ cols: 5, rows: 4, width: 5 * 25 + 1, height: 4 * 25 + 1 });
    expect(tileOrigin(g, 0)).toEqual({ x: 1, y: 1 });
    expect(tileOrigin(g, 7)).toEqual({ x: 1 + 2 * 25, y: 1 + 25 });
    expect(tileAt(g, 1, 1)).toBe(0);
    expect(tileAt(g, 24, 24)).toBe(0);
    expect(tileAt(g, 25, 10)).toBeNull();
    expect(tileAt(g, 0, 0)).toBeNull();
    expect(tileAt(g, 51 + 23, 26)).toBe(7);
    expect(tileAt(g, 10, 4 * 25 + 0.5)).toBeNull();
    // 7 maps in a 3-wide grid: the 8th and 9th cells are empty.
    expect(tileAt(tileGrid(7, 4, 4), 1 + 2 * 5, 1 + 2 * 5)).toBeNull();
  });

  it("reads sample 0's value at channel, row, column of a C,H,W block", () => {
    const shape = [1, 2, 3, 4];
    const raw = Float32Array.from({ length: 24 }, (_, i) => i);
    expect(valueAt(raw, shape, 0, 0, 0)).toBe(0);
    expect(valueAt(raw, shape, 0, 2, 3)).toBe(11);
    expect(valueAt(raw, shape, 1, 1, 2)).toBe(12 + 4 + 2);
    expect(valueAt(raw, shape, 2, 0, 0)).toBeNull();
    expect(valueAt(raw, shape, 0, 3, 0)).toBeNull();
    expect(valueAt(raw, [1, 24], 0, 0, 0)).toBeNull();
  });
});
