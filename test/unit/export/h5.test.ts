/**
 * The legacy `.h5` export, read back by Debian's h5py (and h5wasm), and checked against what the
 * legacy loaders of tf.keras 2 (keras/saving/legacy/hdf5_format.py) and Keras 3
 * (keras/src/legacy/saving/legacy_h5_format.py) read: the root and model_weights attributes, a
 * model_config in the Keras 2 dialect both accept, and per layer `weight_names` naming float32
 * datasets, in the order those loaders assign them (model.layers, by a transcription of Keras' own
 * ordering code). Neither Keras can be installed here: loading with them is left to a machine that has them.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { HDF5_OBJECT_HEADER_LIMIT, splitNameAttribute, writeH5 } from '../../../src/main/export/h5.js';
import { buildKerasModel } from '../../../src/main/keras/build.js';
import type { KerasLayerSpec, KerasModelSpec, Ordering } from '../../../src/main/keras/spec.js';
import { resourcePath } from '../../../src/main/paths.js';
import {
  CUSTOM_ARGS,
  dumpKerasFile,
  exportContext,
  FIXTURES,
  fixtureNet,
  KERAS2_ARGS,
  kerasOrderOf,
  ORDERINGS,
  sha256,
  tempDir,
  type KerasLayerJson,
  type KerasObject,
} from './keras-helpers.js';

const dir = tempDir('h5-export');
let runs = 0;
const freshDir = (): string => {
  const d = join(dir, `run${runs++}`);
  mkdirSync(d);
  return d;
};

beforeAll(async () => {
  await h5wasm.ready;
});

async function exportFixture(model: string, ordering: Ordering): Promise<{ out: string; spec: KerasModelSpec; files: string[] }> {
  const net = await fixtureNet(model);
  const out = join(freshDir(), `${model}.h5`);
  const ctx = exportContext(net, 'h5', out, ordering);
  const result = await writeH5(ctx);
  expect(result.format).toBe('h5');
  return { out, spec: ctx.spec, files: result.files };
}

/** tf.keras 2's weight names: `<layer>/<variable>:0`, DepthwiseConv2D's kernel being `depthwise_kernel`. */
const weightNames = (l: KerasLayerSpec): string[] =>
  l.weights.map((w) => `${l.name}/${l.className === 'DepthwiseConv2D' && w.name === 'kernel' ? 'depthwise_kernel' : w.name}:0`);

/** Checks model_config against the Keras 2 dialect tf.keras 2 rebuilds a Functional model from. */
function checkModelConfig(config: KerasObject, spec: KerasModelSpec): void {
  expect(config.class_name).toBe('Functional');
  expect(Object.keys(config.config).sort()).toEqual(['input_layers', 'layers', 'name', 'output_layers']);
  expect(config.config.name).toBe(spec.name);
  const byName = new Map(spec.layers.map((l) => [l.name, l]));
  const layers = config.config.layers as KerasLayerJson[];
  expect(layers.map((l) => l.name).sort()).toEqual(spec.layers.map((l) => l.name).sort());
  for (const l of layers) {
    const s = byName.get(l.name)!;
    expect(Object.keys(l).sort()).toEqual(['class_name', 'config', 'inbound_nodes', 'name']);
    const custom = Object.hasOwn(CUSTOM_ARGS, s.className);
    // Registered custom classes go by their registered name, Keras' own by their class name.
    expect(l.class_name, l.name).toBe(custom ? `Portafilter>${s.className}` : s.className);
    const allowed = custom ? CUSTOM_ARGS[s.className] : KERAS2_ARGS[s.className];
    expect(allowed, `${s.className} is a layer the test knows`).toBeDefined();
    const base = s.className === 'InputLayer' ? [] : ['name', 'trainable', 'dtype'];
    for (const key of Object.keys(l.config)) expect([...base, ...allowed], `${l.name}: config key ${key}`).toContain(key);
    expect(l.config.name).toBe(l.name);
    expect(l.config.dtype).toBe('float32');
    if (s.className === 'InputLayer') {
      expect(l.config).toEqual({ batch_input_shape: s.outputShapes[0], dtype: 'float32', sparse: false, name: l.name });
      expect(l.inbound_nodes).toEqual([]);
      continue;
    }
    // One call, as nested [layer, node, tensor, kwargs] lists.
    expect(l.inbound_nodes).toEqual([s.inputs.map((r) => [r.layer, 0, r.index, {}])]);
    if (s.className === 'LeakyReLU') expect(l.config).toEqual({ name: l.name, trainable: true, dtype: 'float32', alpha: s.config.negative_slope });
  }
  expect(config.config.input_layers).toEqual(spec.inputs.map((r) => [r.layer, 0, r.index]));
  expect(config.config.output_layers).toEqual(spec.outputs.map((r) => [r.layer, 0, r.index]));
}

describe('the .h5 file of a fixture model', () => {
  for (const model of FIXTURES)
    for (const ordering of ORDERINGS) {
      it(`holds ${model} (${ordering}) as tf.keras 2 saves a Functional model, with its weights in the order the legacy loaders assign them`, async () => {
        const { out, spec } = await exportFixture(model, ordering);
        const h5 = dumpKerasFile(out).hdf5;
        const root = h5['/'].attrs;
        expect(Object.keys(root).sort()).toEqual(['backend', 'keras_version', 'model_config']);
        expect(root.keras_version).toMatch(/^2\.\d+\.\d+$/);
        expect(root.backend).toBe('tensorflow');
        const config = root.model_config as KerasObject;
        checkModelConfig(config, spec);

        const weights = h5['model_weights'];
        expect(weights.kind).toBe('group');
        expect(weights.attrs.backend).toBe('tensorflow');
        expect(weights.attrs.keras_version).toBe(root.keras_version);
        // The layers in model.layers order, as Keras rebuilds the model from model_config.
        const { order } = kerasOrderOf(config);
        expect(weights.attrs.layer_names).toEqual(order);
        const byName = new Map(spec.layers.map((l) => [l.name, l]));
        const expected = new Set<string>(['model_weights']);
        for (const name of order) {
          const layer = byName.get(name)!;
          const group = h5[`model_weights/${name}`];
          expect(group.kind).toBe('group');
          expect(group.attrs.weight_names, name).toEqual(weightNames(layer));
          expected.add(`model_weights/${name}`);
          weightNames(layer).forEach((w, i) => {
            const d = h5[`model_weights/${name}/${w}`];
            expect(d, w).toMatchObject({ kind: 'dataset', shape: layer.weights[i].shape, dtype: '<f4' });
            expect(d.sha256, `${w} bytes`).toBe(sha256(layer.weights[i].data));
            expected.add(`model_weights/${name}/${w}`).add(`model_weights/${name}/${name}`);
          });
        }
        expect(Object.keys(h5).filter((k) => k !== '/').sort()).toEqual([...expected].sort());
        // What the loaders pair: the i-th layer with weights in layer_names and in model.layers.
        const withWeights = order.filter((n) => byName.get(n)!.weights.length > 0);
        expect((weights.attrs.layer_names as string[]).filter((n) => (h5[`model_weights/${n}`].attrs.weight_names as string[]).length > 0)).toEqual(withWeights);
      });
    }

  it('reads back with h5wasm to the same shapes and bytes as the spec', async () => {
    const { out, spec } = await exportFixture('ultraface_slim320', 'channels_first');
    const f = new h5wasm.File(out, 'r');
    try {
      for (const layer of spec.layers)
        weightNames(layer).forEach((w, i) => {
          const d = f.get(`model_weights/${layer.name}/${w}`) as InstanceType<typeof h5wasm.Dataset>;
          expect(d.shape).toEqual(layer.weights[i].shape);
          expect(d.value).toEqual(layer.weights[i].data);
        });
    } finally {
      f.close();
    }
  });

  it('writes the Keras 2 names of configs that Keras 3 renamed: batch_input_shape, LeakyReLU alpha, custom classes by registered name', async () => {
    const { out } = await exportFixture('features_b', 'channels_last');
    const layers = (dumpKerasFile(out).hdf5['/'].attrs.model_config as KerasObject).config.layers as KerasLayerJson[];
    const find = (name: string): KerasLayerJson => layers.find((l) => l.name === name)!;
    expect(find('data').config).toEqual({ batch_input_shape: [null, 24, 24, 3], dtype: 'float32', sparse: false, name: 'data' });
    expect(find('relu1').config).toMatchObject({ alpha: expect.closeTo(0.1, 6) as unknown });
    expect(find('relu1').config).not.toHaveProperty('negative_slope');
    expect(find('norm2').class_name).toBe('Portafilter>CaffeLRN');
    expect(find('conv1').config).not.toHaveProperty('groups');
  });

  it('writes portafilter_layers.py and a README that loads it in Keras 3 and in tf.keras 2', async () => {
    const { out, files } = await exportFixture('features_b', 'channels_first');
    const folder = join(out, '..');
    expect(readdirSync(folder).sort()).toEqual(['README.md', 'features_b.h5', 'portafilter_layers.py']);
    expect(files).toEqual([out, join(folder, 'portafilter_layers.py'), join(folder, 'README.md')]);
    expect(readFileSync(join(folder, 'portafilter_layers.py'), 'utf8')).toBe(readFileSync(resourcePath('export', 'portafilter_layers.py'), 'utf8'));
    const readme = readFileSync(join(folder, 'README.md'), 'utf8');
    expect(readme).toContain('import portafilter_layers  # registers CaffePooling, CaffeLRN, CaffeSlice, CaffeNeuron\nmodel = keras.saving.load_model("features_b.h5")');
    expect(readme).toContain('tf.keras.models.load_model("features_b.h5")');
  });
});

describe('name list attributes', () => {
  it('stay one attribute up to 64512 bytes and split as numpy.array_split beyond, as Keras splits them', () => {
    const names = Array.from({ length: 100 }, (_, i) => `layer_${String(i).padStart(3, '0')}`); // 9 bytes each
    expect(splitNameAttribute('layer_names', names)).toEqual([{ name: 'layer_names', value: names }]);
    // 7169 names of 9 bytes: 64521 bytes > 64512: two parts of 3585 and 3584 names.
    const many = Array.from({ length: 7169 }, (_, i) => `l${String(i).padStart(8, '0')}`);
    expect(many.length * 9).toBeGreaterThan(HDF5_OBJECT_HEADER_LIMIT);
    const parts = splitNameAttribute('layer_names', many);
    expect(parts.map((p) => [p.name, p.value.length])).toEqual([
      ['layer_names0', 3585],
      ['layer_names1', 3584],
    ]);
    expect(parts.flatMap((p) => p.value)).toEqual(many);
  });
});

describe('a failed .h5 export', () => {
  it('leaves nothing behind when cancelled at any of its checkpoints', async () => {
    const net = await fixtureNet('features_b');
    const folder = freshDir();
    const out = join(folder, 'model.h5');
    const full = exportContext(net, 'h5', join(freshDir(), 'model.h5'), 'channels_first');
    await writeH5(full);
    expect(full.checks).toBeGreaterThan(10);
    for (let at = 1; at <= full.checks; at++) {
      await expect(writeH5(exportContext(net, 'h5', out, 'channels_first', at, full.spec)), `cancelled at check ${at}`).rejects.toThrow(/cancelled/);
      expect(readdirSync(folder), `cancelled at check ${at}`).toEqual([]);
    }
  });

  it('leaves nothing behind when the output folder is a file, and refuses a folder as the output', async () => {
    const net = await fixtureNet('lenet_mnist');
    const folder = freshDir();
    writeFileSync(join(folder, 'not-a-folder'), 'x');
    await expect(writeH5(exportContext(net, 'h5', join(folder, 'not-a-folder', 'lenet.h5'), 'channels_last'))).rejects.toThrow();
    mkdirSync(join(folder, 'taken.h5'));
    await expect(writeH5(exportContext(net, 'h5', join(folder, 'taken.h5'), 'channels_last'))).rejects.toThrow(/folder/);
    expect(readdirSync(folder).sort()).toEqual(['not-a-folder', 'taken.h5']);
    expect(readdirSync(join(folder, 'taken.h5'))).toEqual([]);
  });
});

describe('an .h5 of flipped kernels', () => {
  it("names theano as the weights' backend, so Keras 2 on another backend flips them back on load", async () => {
    const net = await fixtureNet('lenet_mnist');
    const spec = buildKerasModel(net, { ordering: 'channels_first', flipKernels: true });
    const out = join(freshDir(), 'lenet.h5');
    const result = await writeH5(exportContext(net, 'h5', out, 'channels_first', undefined, spec));
    const h5 = dumpKerasFile(out).hdf5;
    expect(h5['/'].attrs.backend).toBe('theano');
    expect(h5['model_weights'].attrs.backend).toBe('theano');
    expect(result.notes.join('\n')).toMatch(/flipped 180°/);
    expect(h5['model_weights/conv1/conv1/kernel:0'].sha256).toBe(sha256(spec.layers.find((l) => l.name === 'conv1')!.weights[0].data));
  });
});
