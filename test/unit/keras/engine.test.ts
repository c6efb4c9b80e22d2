/**
 * The TF.js engine on tiny nets whose outputs are worked out by hand, in both orderings: Caffe layout
 * in and out, every layer captured in one forward, no tensors left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createTfjsEngine } from '../../../src/main/engine/tfjs-engine.js';
import type { RunResult } from '../../../src/main/engine/types.js';
import { buildKerasModel } from '../../../src/main/keras/build.js';
import type { Ordering } from '../../../src/main/keras/spec.js';
import type { Blob } from '../../../src/main/layers/types.js';
import type { CaffeNet } from '../../../src/main/net/model.js';
import { f32, fixtureCases, fixtureInput, loadFixtureNet, tinyNet } from './helpers.js';

const INPUT = (shape: number[], name = 'data'): string =>
  `layer { name: "${name}" type: "Input" top: "${name}" input_param { shape { ${shape.map((d) => `dim: ${d}`).join(' ')} } } }\n`;

async function run(net: CaffeNet, ordering: Ordering, inputs: Record<string, Blob>, flipKernels = false): Promise<RunResult> {
  const engine = await createTfjsEngine(net, buildKerasModel(net, { ordering, flipKernels }), 'cpu');
  try {
    return await engine.run(inputs);
  } finally {
    engine.dispose();
  }
}

const top = (r: RunResult, layer: string, i = 0): Blob => r.layers.find((l) => l.layer === layer)!.tops[i].value;
const values = (b: Blob): number[] => Array.from(b.data, (v) => Math.round(v * 1e5) / 1e5);

describe.each<Ordering>(['channels_last', 'channels_first'])('the TF.js engine in %s', (ordering) => {
  it("reads an InnerProduct's input in Caffe's C·H·W order", async () => {
    // x (1, 2, 1, 2) = [c0: 1 2, c1: 3 4], W = [10 20 30 40]: 1·10 + 2·20 + 3·30 + 4·40 = 300.
    const net = await tinyNet(INPUT([1, 2, 1, 2]) + 'layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 1 } }', {
      ip: [f32(10, 20, 30, 40), f32(0.5)],
    });
    const r = await run(net, ordering, { data: { shape: [1, 2, 1, 2], data: f32(1, 2, 3, 4) } });
    expect(top(r, 'ip')).toEqual({ shape: [1, 1], data: f32(300.5) });
  });

  it('runs a grouped convolution, a depthwise one and a padded one', async () => {
    const net = await tinyNet(
      INPUT([1, 4, 1, 1]) +
        'layer { name: "g" type: "Convolution" bottom: "data" top: "g" convolution_param { num_output: 2 kernel_size: 1 group: 2 bias_term: false } }\n' +
        'layer { name: "dw" type: "Convolution" bottom: "g" top: "dw" convolution_param { num_output: 2 kernel_size: 3 pad: 1 group: 2 } }\n',
      {
        // group 0 sums channels 0, 1; group 1 takes 10× channels 2, 3.
        g: [f32(1, 1, 10, 10)],
        // 3×3 depthwise on a 1×1 map with pad 1 sees only the centre tap (index 4).
        dw: [f32(0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0), f32(1, 1)],
      },
    );
    const r = await run(net, ordering, { data: { shape: [1, 4, 1, 1], data: f32(1, 2, 3, 4) } });
    expect(values(top(r, 'g'))).toEqual([3, 70]);
    expect(values(top(r, 'dw'))).toEqual([7, -69]);
  });

  it('runs a dilated convolution with stride (dilation folded into the kernel)', async () => {
    const net = await tinyNet(
      INPUT([1, 1, 5, 5]) +
        'layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 1 kernel_size: 2 stride: 2 dilation: 2 bias_term: false } }\n',
      { c: [f32(1, 2, 3, 4)] },
    );
    // x[h][w] = 10h + w; out[i][j] = 1·x[2i][2j] + 2·x[2i][2j+2] + 3·x[2i+2][2j] + 4·x[2i+2][2j+2].
    const x = Float32Array.from({ length: 25 }, (_, k) => 10 * Math.floor(k / 5) + (k % 5));
    const r = await run(net, ordering, { data: { shape: [1, 1, 5, 5], data: x } });
    expect(top(r, 'c')).toEqual({ shape: [1, 1, 2, 2], data: f32(152, 172, 352, 372) });
  });

  it('runs deconvolutions: grouped, and strided with the Caffe pad cropped', async () => {
    const net = await tinyNet(
      INPUT([1, 2, 1, 1]) +
        INPUT([1, 1, 2, 2], 'img') +
        'layer { name: "g" type: "Deconvolution" bottom: "data" top: "g" convolution_param { num_output: 2 kernel_size: 2 group: 2 bias_term: false } }\n' +
        'layer { name: "up" type: "Deconvolution" bottom: "img" top: "up" convolution_param { num_output: 1 kernel_size: 3 stride: 2 pad: 1 bias_term: false } }\n',
      { g: [f32(1, 2, 3, 4, 5, 6, 7, 8)], up: [new Float32Array(9).fill(1)] },
    );
    const r = await run(net, ordering, { data: { shape: [1, 2, 1, 1], data: f32(1, 2) }, img: { shape: [1, 1, 2, 2], data: f32(1, 2, 3, 4) } });
    // Group 0 spreads input 0 through kernel [1 2 3 4], group 1 input 1 through [5 6 7 8].
    expect(top(r, 'g')).toEqual({ shape: [1, 2, 2, 2], data: f32(1, 2, 3, 4, 10, 12, 14, 16) });
    // 3×3 blocks of ones at stride 2 (5×5), cropped by 1 on each side.
    expect(top(r, 'up')).toEqual({ shape: [1, 1, 3, 3], data: f32(1, 3, 2, 4, 10, 6, 3, 7, 4) });
  });

  it('applies Eltwise coefficients, a 2-D Scale with bias and a Scale by a second bottom', async () => {
    const net = await tinyNet(
      INPUT([1, 2, 1, 2]) +
        INPUT([1, 2], 'gain') +
        'layer { name: "split" type: "Split" bottom: "data" top: "a" top: "b" }\n' +
        'layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "sum" eltwise_param { operation: SUM coeff: 0.5 coeff: -2 } }\n' +
        'layer { name: "mul" type: "Scale" bottom: "sum" bottom: "gain" top: "mul" scale_param { axis: 0 } }\n' +
        'layer { name: "flat" type: "Flatten" bottom: "mul" top: "flat" }\n' +
        'layer { name: "sc" type: "Scale" bottom: "flat" top: "sc" scale_param { bias_term: true } }\n',
      { sc: [f32(1, 2, 3, 4), f32(1, 1, 1, 1)] },
    );
    const r = await run(net, ordering, { data: { shape: [1, 2, 1, 2], data: f32(2, 4, 6, 8) }, gain: { shape: [1, 2], data: f32(10, 100) } });
    // 0.5x - 2x = -1.5x; then ×10 for channel 0, ×100 for channel 1; then ·[1 2 3 4] + 1.
    expect(values(top(r, 'sum'))).toEqual([-3, -6, -9, -12]);
    expect(values(top(r, 'mul'))).toEqual([-30, -60, -900, -1200]);
    expect(values(top(r, 'sc'))).toEqual([-29, -119, -2699, -4799]);
    expect(top(r, 'split', 1).data).toEqual(f32(2, 4, 6, 8));
  });

  it('reshapes and permutes in Caffe order, and crops with Cropping2D', async () => {
    const net = await tinyNet(
      INPUT([1, 2, 2, 3]) +
        INPUT([1, 2, 1, 2], 'size') +
        'layer { name: "perm" type: "Permute" bottom: "data" top: "perm" permute_param { order: 0 order: 2 order: 3 order: 1 } }\n' +
        'layer { name: "resh" type: "Reshape" bottom: "perm" top: "resh" reshape_param { shape { dim: 0 dim: -1 dim: 2 } } }\n' +
        'layer { name: "crop" type: "Crop" bottom: "data" bottom: "size" top: "crop" crop_param { axis: 2 offset: 1 offset: 1 } }\n' +
        'layer { name: "soft" type: "Softmax" bottom: "resh" top: "soft" softmax_param { axis: 2 } }\n',
    );
    // data[c][h][w] = 100c + 10h + w
    const data = f32(0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112);
    const r = await run(net, ordering, { data: { shape: [1, 2, 2, 3], data }, size: { shape: [1, 2, 1, 2], data: new Float32Array(4) } });
    expect(top(r, 'perm')).toEqual({ shape: [1, 2, 3, 2], data: f32(0, 100, 1, 101, 2, 102, 10, 110, 11, 111, 12, 112) });
    expect(top(r, 'resh').shape).toEqual([1, 6, 2]);
    expect(top(r, 'resh').data).toEqual(top(r, 'perm').data);
    expect(top(r, 'crop')).toEqual({ shape: [1, 2, 1, 2], data: f32(11, 12, 111, 112) });
    // Softmax over pairs (x, x + 100): e^-100 / (1 + e^-100) and 1 / (1 + e^-100).
    expect(values(top(r, 'soft'))).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  });

  it("computes Caffe's element-wise layers, Bias and ArgMax", async () => {
    const layer = (name: string, type: string, params = ''): string => `layer { name: "${name}" type: "${type}" bottom: "data" top: "${name}" ${params} }\n`;
    const net = await tinyNet(
      INPUT([1, 1, 1, 4]) +
        layer('elu', 'ELU', 'elu_param { alpha: 2 }') +
        layer('abs', 'AbsVal') +
        layer('bnll', 'BNLL') +
        layer('clip', 'Clip', 'clip_param { min: -1 max: 1 }') +
        layer('relu6', 'Clip', 'clip_param { min: 0 max: 1 }') +
        layer('swish', 'Swish') +
        layer('thr', 'Threshold', 'threshold_param { threshold: 0 }') +
        layer('exp', 'Exp', 'exp_param { base: 2 }') +
        layer('lin', 'Power', 'power_param { power: 1 scale: 2 shift: 1 }') +
        layer('drop', 'Dropout') +
        layer('bias', 'Bias') +
        layer('arg', 'ArgMax', 'argmax_param { axis: 3 }') +
        'layer { name: "log" type: "Log" bottom: "abs" top: "log" log_param { base: 2 } }\n',
      { bias: [f32(3)] },
    );
    const x = [-2, -0.5, 0.5, 2];
    const r = await run(net, ordering, { data: { shape: [1, 1, 1, 4], data: f32(...x) } });
    const expected: Record<string, number[]> = {
      elu: x.map((v) => (v > 0 ? v : 2 * (Math.exp(v) - 1))),
      abs: [2, 0.5, 0.5, 2],
      bnll: x.map((v) => Math.log(1 + Math.exp(v))),
      clip: [-1, -0.5, 0.5, 1],
      relu6: [0, 0, 0.5, 1],
      swish: x.map((v) => v / (1 + Math.exp(-v))),
      thr: [0, 0, 1, 1],
      exp: x.map((v) => 2 ** v),
      lin: [-3, 0, 2, 5],
      drop: x,
      bias: [1, 2.5, 3.5, 5],
      arg: [3],
      log: [1, -1, -1, 1],
    };
    for (const [name, want] of Object.entries(expected)) {
      const got = Array.from(top(r, name).data);
      expect(got.length, name).toBe(want.length);
      got.forEach((v, i) => expect(v, `${name}[${i}]`).toBeCloseTo(want[i], 5));
    }
  });

  it('gives every layer, the net outputs and the Keras shapes of one forward', async () => {
    const net = await tinyNet(
      INPUT([1, 1, 2, 2]) +
        'layer { name: "relu" type: "ReLU" bottom: "data" top: "data" }\n' +
        'layer { name: "sig" type: "Sigmoid" bottom: "data" top: "sig" }\n',
    );
    const r = await run(net, ordering, { data: { shape: [1, 1, 2, 2], data: f32(-1, 0, 1, 2) } });
    expect(r.layers.map((l) => l.layer)).toEqual(['data', 'relu', 'sig']);
    expect(top(r, 'data').data).toEqual(f32(-1, 0, 1, 2));
    expect(top(r, 'relu').data).toEqual(f32(0, 0, 1, 2));
    expect(r.outputs.map((o) => o.blob)).toEqual(['sig']);
    expect(r.layers[2].tops[0].kerasShape).toEqual(ordering === 'channels_last' ? [1, 2, 2, 1] : [1, 1, 2, 2]);
    expect(r.engine).toBe('cpu');
    expect(r.engineDetail).toBe('tfjs cpu (plain JavaScript)');
    expect(r.milliseconds).toBeGreaterThanOrEqual(0);
  });
});

describe('the TF.js engine', () => {
  it('computes the same outputs from a channels_first model with flipped kernels (it unflips them for TF.js)', async () => {
    const [c] = fixtureCases('features_b');
    const net = await loadFixtureNet(c);
    const x = { [c.index.input.name]: fixtureInput(c) };
    const plain = await run(net, 'channels_first', x);
    const flipped = await run(net, 'channels_first', x, true);
    expect(flipped.outputs[0].value.data).toEqual(plain.outputs[0].value.data);
  });

  it('returns only the net outputs without capture', async () => {
    const [c] = fixtureCases('mtcnn_pnet');
    const net = await loadFixtureNet(c);
    const engine = await createTfjsEngine(net, buildKerasModel(net, { ordering: 'channels_last' }), 'cpu');
    const r = await engine.run({ [c.index.input.name]: fixtureInput(c) }, { capture: false });
    engine.dispose();
    // The fixture's final layers: prob, bbox_pred, landmark_pred.
    expect(r.outputs.map((o) => o.blob).sort()).toEqual([...c.index.final].sort());
    expect(r.layers.map((l) => l.layer).sort()).toEqual([...c.index.final].sort());
  });

  it('leaves no tensors behind across runs and after dispose', async () => {
    const [c] = fixtureCases('features_b');
    const net = await loadFixtureNet(c);
    const x = { [c.index.input.name]: fixtureInput(c) };
    // Load the backend once so its own setup does not count.
    await run(net, 'channels_last', x);
    const before = tf.memory().numTensors;
    const engine = await createTfjsEngine(net, buildKerasModel(net, { ordering: 'channels_last' }), 'cpu');
    await engine.run(x);
    const afterOne = tf.memory().numTensors;
    await engine.run(x);
    await engine.run(x, { capture: false });
    expect(tf.memory().numTensors).toBe(afterOne);
    engine.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(engine.run(x)).rejects.toThrow(/disposed/);
  });

  it('refuses an input of the wrong shape or a missing input', async () => {
    const net = await tinyNet(INPUT([1, 3, 4, 4]) + 'layer { name: "r" type: "ReLU" bottom: "data" top: "r" }');
    const engine = await createTfjsEngine(net, buildKerasModel(net, { ordering: 'channels_last' }), 'cpu');
    const before = tf.memory().numTensors;
    await expect(engine.run({ data: { shape: [1, 4, 4, 3], data: new Float32Array(48) } })).rejects.toThrow(/\[N, 3, 4, 4\]/);
    await expect(engine.run({})).rejects.toThrow(/no value for net input 'data'/);
    expect(tf.memory().numTensors).toBe(before);
    // Another batch size is fine: Keras models take any.
    const r = await engine.run({ data: { shape: [2, 3, 4, 4], data: new Float32Array(96).fill(-1) } });
    expect(top(r, 'r').shape).toEqual([2, 3, 4, 4]);
    engine.dispose();
  });
});
