/** Building the Keras model spec from a Caffe net: layouts, names, inputs, skipped and unsupported layers. */
import { describe, expect, it } from 'vitest';
import { createTfjsEngine } from '../../../src/main/engine/tfjs-engine.js';
import { buildKerasModel, KerasConversionError, sanitizeName } from '../../../src/main/keras/build.js';
import { standardPooling } from '../../../src/main/keras/helpers.js';
import { UnsupportedLayerError } from '../../../src/shared/errors.js';
import { fixtureCases, loadFixtureNet, tinyNet } from './helpers.js';

const INPUT = (shape: number[], name = 'data'): string =>
  `layer { name: "${name}" type: "Input" top: "${name}" input_param { shape { ${shape.map((d) => `dim: ${d}`).join(' ')} } } }\n`;

describe('buildKerasModel', () => {
  it('makes the net inputs InputLayers shaped for the ordering', async () => {
    const net = await tinyNet(INPUT([1, 3, 8, 6]) + 'layer { name: "r" type: "ReLU" bottom: "data" top: "r" }');
    const last = buildKerasModel(net, { ordering: 'channels_last' });
    const first = buildKerasModel(net, { ordering: 'channels_first' });
    expect(last.layers[0]).toMatchObject({ name: 'data', className: 'InputLayer', config: { batch_shape: [null, 8, 6, 3] } });
    expect(first.layers[0]).toMatchObject({ name: 'data', className: 'InputLayer', config: { batch_shape: [null, 3, 8, 6] } });
    expect(last.inputs).toEqual([{ layer: 'data', index: 0 }]);
    expect(last.outputs).toEqual([{ layer: 'r', index: 0 }]);
    expect(last.caffeLayers.map((l) => l.name)).toEqual(['data', 'r']);
    expect(last.caffeLayers[1].tops[0]).toMatchObject({ blob: 'r', perm: [0, 2, 3, 1], caffeShape: [1, 3, 8, 6] });
  });

  it('refuses the kernel flip with channels_last', async () => {
    const net = await tinyNet(INPUT([1, 1, 4, 4]));
    expect(() => buildKerasModel(net, { ordering: 'channels_last', flipKernels: true })).toThrow(KerasConversionError);
    expect(() => buildKerasModel(net, { ordering: 'channels_last', flipKernels: true })).toThrow(/channels_first/);
  });

  it('flips every convolution kernel 180° with flipKernels in channels_first', async () => {
    const [c] = fixtureCases('features_b');
    const net = await loadFixtureNet(c);
    const plain = buildKerasModel(net, { ordering: 'channels_first' });
    const flipped = buildKerasModel(net, { ordering: 'channels_first', flipKernels: true });
    expect(flipped.flipKernels).toBe(true);
    const kernels = (spec: typeof plain): Map<string, { shape: number[]; data: Float32Array }> =>
      new Map(
        spec.layers
          .filter((l) => ['Conv2D', 'DepthwiseConv2D', 'Conv2DTranspose'].includes(l.className))
          .map((l) => [l.name, l.weights.find((w) => w.name === 'kernel')!]),
      );
    const a = kernels(plain);
    const b = kernels(flipped);
    // scale2 is the 1×1 DepthwiseConv2D of a Scale layer: flipping it changes nothing.
    expect([...a.keys()].sort()).toEqual(['conv1', 'conv2', 'deconv_transpose', 'scale2']);
    for (const [name, k] of a) {
      const [kh, kw] = k.shape;
      const inner = k.data.length / (kh * kw);
      const f = b.get(name)!;
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let r = 0; r < inner; r++) expect(f.data[((kh - 1 - i) * kw + (kw - 1 - j)) * inner + r]).toBe(k.data[(i * kw + j) * inner + r]);
    }
    // Dense and other weights are untouched.
    expect(flipped.layers.find((l) => l.name === 'fc')!.weights[0].data).toEqual(plain.layers.find((l) => l.name === 'fc')!.weights[0].data);
  });

  it("sanitises names for Keras 3 (no '/') and TF.js (a letter or digit first)", () => {
    expect(sanitizeName('inception_3a/1x1')).toBe('inception_3a_1x1');
    expect(sanitizeName('185')).toBe('185');
    expect(sanitizeName('conv 1:a')).toBe('conv_1_a');
    expect(sanitizeName('_x')).toBe('layer_x');
    expect(sanitizeName('-y')).toBe('layer_-y');
    expect(sanitizeName('')).toBe('layer');
  });

  it('keeps Keras layer names unique when sanitised Caffe names collide', async () => {
    const net = await tinyNet(
      INPUT([1, 2, 3, 3]) +
        'layer { name: "a/b" type: "ReLU" bottom: "data" top: "x" }\n' +
        'layer { name: "a_b" type: "Sigmoid" bottom: "x" top: "y" }\n' +
        'layer { name: "data" type: "TanH" bottom: "y" top: "z" }\n',
    );
    const spec = buildKerasModel(net, { ordering: 'channels_last' });
    const names = spec.layers.map((l) => l.name);
    expect(names).toEqual(['data', 'a_b', 'a_b_2', 'data_2']);
    expect(names.some((n) => n.includes('/'))).toBe(false);
    expect(spec.layers.map((l) => l.caffeLayer)).toEqual(['data', 'a/b', 'a_b', 'data']);
  });

  it('lists every layer without a Keras mapping in one error', async () => {
    const net = await tinyNet(
      INPUT([1, 3, 4, 4]) +
        'layer { name: "norm" type: "MVN" bottom: "data" top: "norm" }\n' +
        'layer { name: "ok" type: "ReLU" bottom: "norm" top: "ok" }\n' +
        'layer { name: "tile" type: "Tile" bottom: "ok" top: "tile" tile_param { axis: 1 tiles: 2 } }\n' +
        'layer { name: "sum" type: "Reduction" bottom: "tile" top: "sum" }\n',
    );
    let caught: unknown;
    try {
      buildKerasModel(net, { ordering: 'channels_last' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UnsupportedLayerError);
    const err = caught as UnsupportedLayerError;
    expect(err.layers.map((l) => `${l.name} (${l.type})`)).toEqual(['norm (MVN)', 'tile (Tile)', 'sum (Reduction)']);
    expect(err.message).toMatch(/3 unsupported layers/);
    expect(err.message).toMatch(/no Keras mapping for MVN, Tile, Reduction/);
  });

  it('leaves out loss layers with a reason, and the label input only they read', async () => {
    const net = await tinyNet(
      'layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 4 } shape { dim: 2 } } }\n' +
        'layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 } }\n' +
        'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }\n',
    );
    const spec = buildKerasModel(net, { ordering: 'channels_last' });
    expect(spec.skipped).toEqual([{ name: 'loss', type: 'SoftmaxWithLoss', reason: expect.stringMatching(/loss/) }]);
    expect(spec.layers.filter((l) => l.className === 'InputLayer').map((l) => l.name)).toEqual(['data']);
    expect(spec.outputs).toEqual([{ layer: 'ip', index: 0 }]);
  });

  it('names the layer and field of a parameter Keras cannot express', async () => {
    const net = await tinyNet(
      INPUT([1, 4, 5, 5]) +
        INPUT([1, 2, 5, 5], 'ref') +
        'layer { name: "crop" type: "Crop" bottom: "data" bottom: "ref" top: "crop" crop_param { axis: 1 offset: 1 offset: 0 offset: 0 } }\n',
    );
    expect(() => buildKerasModel(net, { ordering: 'channels_last' })).toThrow(KerasConversionError);
    try {
      buildKerasModel(net, { ordering: 'channels_last' });
    } catch (e) {
      expect((e as KerasConversionError).location).toMatchObject({ layer: 'crop', field: 'crop_param.axis' });
    }
  });

  it("feeds LeNet's first InnerProduct without a Permute, its rows reordered from C·H·W to H·W·C", async () => {
    const [c] = fixtureCases('lenet_mnist');
    const spec = buildKerasModel(await loadFixtureNet(c), { ordering: 'channels_last' });
    expect(spec.layers.filter((l) => l.className === 'Permute')).toEqual([]);
    expect(spec.layers.map((l) => l.className)).toEqual([
      'InputLayer', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'ReLU', 'Dense', 'Softmax',
    ]);
    expect(spec.layers.find((l) => l.name === 'ip1_flatten')!.config).toEqual({ data_format: 'channels_last' });
  });

  it("permutes to Caffe's order before a Flatten only where the layout differs", async () => {
    const [c] = fixtureCases('features_b');
    const net = await loadFixtureNet(c);
    const last = buildKerasModel(net, { ordering: 'channels_last' });
    const first = buildKerasModel(net, { ordering: 'channels_first' });
    expect(last.layers.filter((l) => l.className === 'Permute').map((l) => [l.name, l.config])).toEqual([['flat_permute', { dims: [3, 1, 2] }]]);
    expect(first.layers.filter((l) => l.className === 'Permute')).toEqual([]);
  });

  it('maps an SSD Permute to a new layout of the same Keras tensor', async () => {
    const [c] = fixtureCases('ultraface_slim320');
    const net = await loadFixtureNet(c);
    const spec = buildKerasModel(net, { ordering: 'channels_last' });
    const conv = spec.caffeLayers.find((l) => l.name === '232')!.tops[0];
    const permute = spec.caffeLayers.find((l) => l.name === '233')!.tops[0];
    expect(permute.tensor).toEqual(conv.tensor);
    expect(conv.perm).toEqual([0, 2, 3, 1]);
    expect(permute.perm).toEqual([0, 1, 2, 3]);
    expect(permute.caffeShape).toEqual([1, 30, 40, 6]);
    // In channels_last the heads need no Permute at all before their Reshape.
    expect(spec.layers.filter((l) => l.className === 'Permute')).toEqual([]);
  });

  it('crops a deconvolution by its Caffe pad after a valid Conv2DTranspose', async () => {
    const [c] = fixtureCases('features_b');
    const spec = buildKerasModel(await loadFixtureNet(c), { ordering: 'channels_last' });
    // 13×13 in, k 4, s 2, p 1: Keras gives 12·2 + 4 = 28, Caffe 26 = 28 cropped by 1 at each end.
    expect(spec.layers.find((l) => l.name === 'deconv_transpose')).toMatchObject({ className: 'Conv2DTranspose', outputShapes: [[null, 28, 28, 6]] });
    expect(spec.layers.find((l) => l.name === 'deconv')).toMatchObject({ className: 'Cropping2D', config: { cropping: [[1, 1], [1, 1]] } });
  });
});

describe('standardPooling', () => {
  const axis = (size: number, kernel: number, stride: number, pad: number, out: number) => ({ size, kernel, stride, pad, out });

  it("uses TF 'same' for MTCNN's 3×3/2 MAX pooling where ceil rounding gives 22 -> 11", () => {
    expect(standardPooling('MAX', [axis(22, 3, 2, 0, 11), axis(22, 3, 2, 0, 11)])).toBe('same');
  });

  it("uses 'valid' when no window overhangs, as global pooling", () => {
    expect(standardPooling('AVE', [axis(7, 7, 1, 0, 1), axis(7, 7, 1, 0, 1)])).toBe('valid');
    expect(standardPooling('MAX', [axis(28, 2, 2, 0, 14), axis(28, 2, 2, 0, 14)])).toBe('valid');
  });

  it('zero-pads AVE pooling when every window lies inside the padded input', () => {
    expect(standardPooling('AVE', [axis(5, 3, 1, 1, 5), axis(5, 3, 1, 1, 5)])).toBe('pad');
  });

  it('finds no exact standard layer for a padded ceil window that overhangs (AVE 3/2 pad 1 on 24 -> 13)', () => {
    expect(standardPooling('AVE', [axis(24, 3, 2, 1, 13), axis(24, 3, 2, 1, 13)])).toBeNull();
  });

  it("finds none for MAX 3/2 pad 1 on 112 -> 57, where TF 'same' gives 56", () => {
    expect(standardPooling('MAX', [axis(112, 3, 2, 1, 57), axis(112, 3, 2, 1, 57)])).toBeNull();
  });
});

describe('ReLU with a negative slope', () => {
  it('becomes a PReLU with one shared alpha (Keras refuses negative slopes in ReLU and LeakyReLU), computing the same values', async () => {
    const net = await tinyNet(`input: "data" input_shape { dim: 1 dim: 2 dim: 3 dim: 3 }
layer { name: "leaky" type: "ReLU" bottom: "data" top: "out" relu_param { negative_slope: -0.5 } }`);
    const spec = buildKerasModel(net, { ordering: 'channels_last' });
    const layer = spec.layers.find((l) => l.name === 'leaky')!;
    expect(layer.className).toBe('PReLU');
    expect(layer.config).toEqual({ shared_axes: [1, 2, 3] });
    expect(layer.weights.map((w) => [w.name, w.shape, [...w.data]])).toEqual([['alpha', [1, 1, 1], [-0.5]]]);
    const engine = await createTfjsEngine(net, spec, 'cpu');
    try {
      const x = Float32Array.from({ length: 18 }, (_, i) => i - 9);
      const out = (await engine.run({ data: { shape: [1, 2, 3, 3], data: x } })).outputs[0].value.data;
      expect([...out]).toEqual([...x].map((v) => Math.max(v, 0) - 0.5 * Math.min(v, 0)));
    } finally {
      engine.dispose();
    }
  });
});
