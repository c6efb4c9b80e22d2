/**
 * resources/export/portafilter_layers.py, the Python module that carries Portafilter's custom layers
 * to Keras. Keras and TensorFlow cannot be installed here, so its layer classes run on a stand-in
 * base class with numpy in place of keras.ops (test/helpers/numpy_ops.py), and through the module's
 * own tf.keras 2 adapter over numpy in place of TensorFlow (test/helpers/numpy_tf.py); their outputs
 * must match the TypeScript custom layers (src/main/keras/custom, checked against Caffe elsewhere) on
 * small inputs. Loading a model in real Keras (each backend) is left to a machine that has it.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { toTfjsArgs } from '../../../src/main/engine/tfjs-engine.js';
import { customLayersOf } from '../../../src/main/export/keras-config.js';
import { buildKerasModel } from '../../../src/main/keras/build.js';
import { CUSTOM_LAYERS, type CustomLayerName } from '../../../src/main/keras/custom/index.js';
import { resourcePath } from '../../../src/main/paths.js';
import { mulberry32 } from '../../helpers/prng.js';
import { fixtureNet, PYTHON, runPython, tempDir } from './keras-helpers.js';

const MODULE = resourcePath('export', 'portafilter_layers.py');
const dir = tempDir('python-layers');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface Case {
  class_name: CustomLayerName;
  name: string;
  config: Record<string, unknown>;
  input: { shape: number[]; data: Float32Array };
  weights?: { scale?: { shape: number[]; data: Float32Array }; bias?: { shape: number[]; data: Float32Array } };
}

interface Encoded {
  shape: number[];
  data: string;
}

interface PythonResult {
  config: Record<string, unknown>;
  output_shape: (number | null)[] | (number | null)[][];
  outputs: Encoded[];
  tf_outputs: Encoded[];
}

const encode = (x: { shape: number[]; data: Float32Array }): Encoded => ({ shape: x.shape, data: Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength).toString('base64') });
const decode = (e: Encoded): Float32Array => {
  const b = Buffer.from(e.data, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** Values in [lo, hi), seeded; `step` rounds them (equal values for the ArgMax ties). */
function values(shape: number[], seed: number, lo = -2, hi = 2, step?: number): { shape: number[]; data: Float32Array } {
  const rand = mulberry32(seed);
  const n = shape.reduce((a, d) => a * d, 1);
  const data = Float32Array.from({ length: n }, () => {
    const v = lo + (hi - lo) * rand();
    return step ? Math.round(v / step) * step : v;
  });
  return { shape, data };
}

/** The TypeScript layer's outputs and output shape. */
function typescript(c: Case): { outputs: { shape: number[]; data: Float32Array }[]; outputShape: unknown } {
  const Cls = CUSTOM_LAYERS[c.class_name] as unknown as new (args: Record<string, unknown>) => tfl.layers.Layer;
  const layer = new Cls({ ...toTfjsArgs(c.config), name: c.name });
  const x = tf.tensor(c.input.data, c.input.shape, 'float32');
  const run = (): { shape: number[]; data: Float32Array }[] => {
    const out = layer.apply(x) as tf.Tensor | tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    const result = outs.map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array }));
    tf.dispose(outs);
    return result;
  };
  let outputs = run();
  if (c.weights) {
    layer.setWeights([c.weights.scale, c.weights.bias].filter((w) => w !== undefined).map((w) => tf.tensor(w.data, w.shape)));
    outputs = run();
  }
  const outputShape = layer.computeOutputShape([null, ...c.input.shape.slice(1)]);
  x.dispose();
  return { outputs, outputShape };
}

function python(cases: Case[]): { results: PythonResult[]; registered: string[]; layer_names: string[] } {
  const input = JSON.stringify({
    cases: cases.map((c) => ({
      ...c,
      input: encode(c.input),
      weights: c.weights ? Object.fromEntries(Object.entries(c.weights).map(([k, w]) => [k, encode(w)])) : undefined,
    })),
  });
  return runPython('portafilter_layers_check.py', [join(MODULE, '..')], input);
}

const within = (got: Float32Array, want: Float32Array, what: string): void => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) expect(Number.isNaN(got[i]), `${what}[${i}] NaN`).toBe(true);
    else expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(1e-6 + 2e-6 * Math.abs(want[i]));
  }
};

/** Runs the cases in Python and in TypeScript and compares outputs, shapes and configs. */
function compare(cases: Case[]): void {
  const { results } = python(cases);
  expect(results).toHaveLength(cases.length);
  cases.forEach((c, k) => {
    const what = `${c.class_name} ${JSON.stringify(c.config)}`;
    const ts = typescript(c);
    const py = results[k];
    expect(py.config, `${what}: get_config`).toEqual({ name: c.name, trainable: true, dtype: 'float32', ...c.config });
    expect(py.output_shape, `${what}: compute_output_shape`).toEqual(ts.outputShape);
    expect(py.outputs.map((o) => o.shape), what).toEqual(ts.outputs.map((o) => o.shape));
    py.outputs.forEach((o, i) => within(decode(o), ts.outputs[i].data, `${what} output ${i}`));
    // The tf.keras 2 adapter computes the same.
    py.tf_outputs.forEach((o, i) => expect(decode(o), `${what}: TensorFlowOps output ${i}`).toEqual(decode(py.outputs[i])));
  });
}

const formats = ['channels_last', 'channels_first'] as const;
const image = (format: (typeof formats)[number], n: number, c: number, h: number, w: number): number[] => (format === 'channels_last' ? [n, h, w, c] : [n, c, h, w]);

describe('portafilter_layers.py', () => {
  it('compiles with python3 -m py_compile', () => {
    const r = spawnSync(PYTHON, ['-c', 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)', MODULE, join(dir, 'portafilter_layers.pyc')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('imports where no Keras is installed, registering nothing, and defines the six layers under Portafilter>Name', () => {
    const r = spawnSync(PYTHON, ['-B', '-c', 'import sys, json; sys.path.insert(0, sys.argv[1]); import portafilter_layers as p; print(json.dumps(p.custom_objects()))', join(MODULE, '..')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({});
    const { registered, layer_names } = python([]);
    expect(layer_names.sort()).toEqual(Object.keys(CUSTOM_LAYERS).sort());
    expect(registered.sort()).toEqual(Object.keys(CUSTOM_LAYERS).map((n) => `Portafilter>${n}`).sort());
  });

  it('pools as CaffePooling does: MAX and AVE, padding, ceil overhang and floor, in both orderings', () => {
    const cases: Case[] = formats.flatMap((data_format, f) =>
      [
        { mode: 'ave', pool_size: [3, 3], strides: [2, 2], padding: [1, 1], round_mode: 'ceil' },
        { mode: 'max', pool_size: [3, 2], strides: [2, 2], padding: [1, 0], round_mode: 'ceil' },
        { mode: 'max', pool_size: [3, 3], strides: [2, 2], padding: [0, 0], round_mode: 'ceil' },
        { mode: 'ave', pool_size: [2, 3], strides: [3, 2], padding: [1, 1], round_mode: 'floor' },
        { mode: 'ave', pool_size: [3, 3], strides: [2, 2], padding: [0, 0], round_mode: 'ceil' },
      ].map((config, i) => ({
        class_name: 'CaffePooling' as const,
        name: `pool${i}`,
        config: { ...config, data_format },
        input: values(image(data_format, 2, 3, 6, 7), 100 + 10 * f + i),
      })),
    );
    // 3×5 with k 2, s 2, pad 1: ceil gives 3×4 windows, but the last would start at H + pad: 2×3.
    for (const data_format of formats)
      for (const mode of ['max', 'ave'])
        cases.push({
          class_name: 'CaffePooling',
          name: `drop_${mode}`,
          config: { mode, pool_size: [2, 2], strides: [2, 2], padding: [1, 1], round_mode: 'ceil', data_format },
          input: values(image(data_format, 2, 3, 3, 5), 150 + cases.length),
        });
    compare(cases);
  });

  it('normalises as CaffeLRN does, across channels and within a channel, in both orderings', () => {
    compare(
      formats.flatMap((data_format, f) => [
        { class_name: 'CaffeLRN', name: 'across', config: { local_size: 5, alpha: 0.01, beta: 0.75, k: 2, norm_region: 'across_channels', data_format }, input: values(image(data_format, 2, 7, 3, 4), 200 + f) },
        { class_name: 'CaffeLRN', name: 'within', config: { local_size: 3, alpha: 0.5, beta: 0.75, k: 1, norm_region: 'within_channel', data_format }, input: values(image(data_format, 2, 3, 5, 4), 210 + f) },
      ]),
    );
  });

  it("computes CaffeNeuron's seven functions with Caffe's order of operations", () => {
    const shape = [2, 9];
    const configs: [Record<string, unknown>, number, number][] = [
      [{ function: 'abs' }, -2, 2],
      [{ function: 'power', power: 2, scale: 0.5, shift: 1 }, -2, 2],
      [{ function: 'power', power: 0.5, scale: 2, shift: 0.25 }, 0, 3],
      [{ function: 'power', power: 3, scale: 0, shift: 2 }, -2, 2],
      [{ function: 'power', power: 0, scale: 1, shift: 0 }, -2, 2],
      [{ function: 'exp', base: 2, scale: 0.5, shift: 1 }, -2, 2],
      [{ function: 'exp', base: -1, scale: 1.5, shift: 0 }, -2, 2],
      [{ function: 'log', base: 10, scale: 2, shift: 3 }, -1, 2],
      [{ function: 'log', base: -1, scale: 1, shift: 0 }, 0.1, 3],
      [{ function: 'threshold', threshold: 0.25 }, -1, 1],
      [{ function: 'clip', min: -0.5, max: 0.75 }, -2, 2],
      [{ function: 'swish', beta: 1.5 }, -3, 3],
    ];
    compare(configs.map(([config, lo, hi], i) => ({ class_name: 'CaffeNeuron', name: `neuron${i}`, config, input: values(shape, 300 + i, lo, hi) })));
  });

  it('scales as CaffeScale does, with its weights broadcast over the input', () => {
    const x = values([2, 4, 3, 5], 400);
    compare([
      { class_name: 'CaffeScale', name: 'both', config: { shape: [4, 1, 5], use_scale: true, use_bias: true }, input: x, weights: { scale: values([4, 1, 5], 401), bias: values([4, 1, 5], 402) } },
      { class_name: 'CaffeScale', name: 'bias', config: { shape: [1, 3, 1], use_scale: false, use_bias: true }, input: x, weights: { bias: values([1, 3, 1], 403) } },
      { class_name: 'CaffeScale', name: 'scale', config: { shape: [4, 3, 5], use_scale: true, use_bias: false }, input: x, weights: { scale: values([4, 3, 5], 404) } },
    ]);
  });

  it('slices as CaffeSlice does, one output per piece', () => {
    compare([
      { class_name: 'CaffeSlice', name: 'last', config: { axis: 3, slice_points: [2, 5] }, input: values([2, 2, 3, 6], 500) },
      { class_name: 'CaffeSlice', name: 'first', config: { axis: 1, slice_points: [1] }, input: values([2, 3, 4], 501) },
    ]);
  });

  it("ranks as CaffeArgMax does, equal values by the larger index first", () => {
    compare([
      { class_name: 'CaffeArgMax', name: 'flat', config: { axis: null, top_k: 3, out_max_val: true }, input: values([2, 3, 2, 2], 600, -2, 2, 1) },
      { class_name: 'CaffeArgMax', name: 'flat1', config: { axis: null, top_k: 1, out_max_val: false }, input: values([2, 5], 601, -2, 2, 1) },
      { class_name: 'CaffeArgMax', name: 'axis1', config: { axis: 1, top_k: 2, out_max_val: false }, input: values([2, 4, 3], 602, -2, 2, 1) },
      { class_name: 'CaffeArgMax', name: 'axis3', config: { axis: 3, top_k: 2, out_max_val: true }, input: values([2, 2, 2, 5], 603, -2, 2, 0.5) },
    ]);
  });

  it('computes the custom layers of features_b with the configs the converter writes, in both orderings', async () => {
    const net = await fixtureNet('features_b');
    const cases: Case[] = [];
    for (const ordering of formats) {
      const spec = buildKerasModel(net, { ordering });
      expect(customLayersOf(spec).sort()).toEqual(['CaffeLRN', 'CaffeNeuron', 'CaffePooling', 'CaffeSlice']);
      const byName = new Map(spec.layers.map((l) => [l.name, l]));
      spec.layers
        .filter((l) => Object.hasOwn(CUSTOM_LAYERS, l.className))
        .forEach((l, i) => {
          const input = l.inputs[0];
          const shape = byName.get(input.layer)!.outputShapes[input.index].map((d) => d ?? 2) as number[];
          cases.push({ class_name: l.className as CustomLayerName, name: l.name, config: l.config, input: values(shape, 700 + i + (ordering === 'channels_first' ? 50 : 0), -1, 3) });
        });
    }
    compare(cases);
  });
});
