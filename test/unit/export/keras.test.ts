/**
 * The Keras 3 `.keras` export, read back by Python's zipfile and Debian's h5py (and by h5wasm), and
 * checked against what Keras 3's loader needs: the archive's three entries, a config.json whose every
 * layer Keras can rebuild and which wires the spec's graph, and a weights file keyed as Keras' H5IOStore
 * looks the weights up, by paths worked out from a transcription of Keras' own ordering code
 * (test/helpers/keras_layer_order.py). Real Keras cannot be installed here: loading with it is left to
 * a machine that has it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import h5wasm from 'h5wasm/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeKeras } from '../../../src/main/export/keras.js';
import { toSnakeCase } from '../../../src/main/export/keras-config.js';
import { buildKerasModel } from '../../../src/main/keras/build.js';
import { README_MARK } from '../../../src/main/export/readme.js';
import type { KerasLayerSpec, KerasModelSpec, Ordering } from '../../../src/main/keras/spec.js';
import { resourcePath } from '../../../src/main/paths.js';
import { f32, tinyNet } from '../keras/helpers.js';
import {
  CUSTOM_ARGS,
  dumpKerasFile,
  exportContext,
  FIXTURES,
  fixtureNet,
  KERAS3_ARGS,
  kerasOrderOf,
  ORDERINGS,
  sha256,
  tempDir,
  type KerasFileDump,
  type KerasLayerJson,
} from './keras-helpers.js';

const dir = tempDir('keras-export');
let runs = 0;
const freshDir = (): string => {
  const d = join(dir, `run${runs++}`);
  mkdirSync(d);
  return d;
};

beforeAll(async () => {
  await h5wasm.ready;
});

/** The keras_history triples a serialised node reads, in argument order. */
function historyOf(node: unknown): [string, number, number][] {
  const found: [string, number, number][] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      const o = x as { class_name?: string; config?: { keras_history: [string, number, number] } };
      if (o.class_name === '__keras_tensor__') found.push(o.config!.keras_history);
      else Object.values(o).forEach(walk);
    }
  };
  walk(node);
  return found;
}

/** Checks config.json against what Keras 3 rebuilds a Functional model from, and against the spec's graph. */
function checkConfig(config: KerasFileDump['config'], spec: KerasModelSpec): void {
  expect(config).toMatchObject({ module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional' });
  expect(Object.keys(config!.config).sort()).toEqual(['input_layers', 'layers', 'name', 'output_layers', 'trainable']);
  expect(config!.config.name).toBe(spec.name);
  const layers = config!.config.layers as KerasLayerJson[];
  const byName = new Map<string, KerasLayerSpec>(spec.layers.map((l) => [l.name, l]));
  expect(layers.map((l) => l.name).sort()).toEqual(spec.layers.map((l) => l.name).sort());
  for (const l of layers) {
    const s = byName.get(l.name)!;
    expect(l.class_name, l.name).toBe(s.className);
    expect(Object.keys(l).sort()).toEqual(['class_name', 'config', 'inbound_nodes', 'module', 'name', 'registered_name']);
    const custom = Object.hasOwn(CUSTOM_ARGS, l.class_name);
    if (custom) {
      expect(l.module).toBe('portafilter_layers');
      expect(l.registered_name).toBe(`Portafilter>${l.class_name}`);
    } else {
      expect(l.module).toBe('keras.layers');
      expect(l.registered_name).toBeNull();
      expect(KERAS3_ARGS[l.class_name], `${l.class_name} is a Keras layer the test knows`).toBeDefined();
    }
    const allowed = custom ? CUSTOM_ARGS[l.class_name] : KERAS3_ARGS[l.class_name];
    const base = l.class_name === 'InputLayer' ? [] : ['name', 'trainable', 'dtype'];
    for (const key of Object.keys(l.config)) expect([...base, ...allowed], `${l.name}: config key ${key}`).toContain(key);
    expect(l.config.name).toBe(l.name);
    expect(l.config.dtype).toBe('float32');
    if (l.class_name === 'InputLayer') {
      expect(l.config).toEqual({ batch_shape: s.outputShapes[0], dtype: 'float32', sparse: false, name: l.name });
      expect(l.inbound_nodes).toEqual([]);
      continue;
    }
    expect(l.config).toEqual({ name: l.name, trainable: true, dtype: 'float32', ...s.config });
    // One call of the layer on the spec's inputs, as functional.py serialize_node writes it.
    expect(l.inbound_nodes).toHaveLength(1);
    const node = l.inbound_nodes[0] as { args: unknown[]; kwargs: unknown };
    expect(Object.keys(node).sort()).toEqual(['args', 'kwargs']);
    expect(node.kwargs).toEqual({});
    expect(node.args).toHaveLength(1);
    const merge = ['Add', 'Multiply', 'Maximum', 'Concatenate'].includes(l.class_name);
    expect(Array.isArray(node.args[0]), `${l.name} takes ${merge ? 'a list' : 'one tensor'}`).toBe(merge);
    expect(historyOf(node)).toEqual(s.inputs.map((r) => [r.layer, 0, r.index]));
    for (const t of (merge ? node.args[0] : node.args) as { config: { shape: unknown; dtype: string; keras_history: [string, number, number] } }[]) {
      const [producer, , index] = t.config.keras_history;
      expect(t.config.shape).toEqual(byName.get(producer)!.outputShapes[index]);
      expect(t.config.dtype).toBe('float32');
    }
  }
  const refs = (rs: KerasModelSpec['inputs']): unknown => (rs.length === 1 ? [rs[0].layer, 0, rs[0].index] : rs.map((r) => [r.layer, 0, r.index]));
  expect(config!.config.input_layers).toEqual(refs(spec.inputs));
  expect(config!.config.output_layers).toEqual(refs(spec.outputs));
}

/** Checks model.weights.h5 (as h5py read it) against Keras' paths for the config and the spec's weights. */
function checkWeights(dump: KerasFileDump, spec: KerasModelSpec): void {
  const { paths } = kerasOrderOf(dump.config);
  const h5 = dump.hdf5;
  expect(h5['vars']).toMatchObject({ kind: 'group', attrs: { name: spec.name } });
  const expected = new Set<string>(['vars', 'layers']);
  for (const layer of spec.layers) {
    const path = paths[layer.name];
    expect(h5[`${path}/vars`], `${layer.name} at ${path}`).toMatchObject({ kind: 'group', attrs: { name: layer.name } });
    expected.add(path).add(`${path}/vars`);
    layer.weights.forEach((w, i) => {
      const d = h5[`${path}/vars/${i}`];
      expect(d, `${layer.name}/${w.name} at ${path}/vars/${i}`).toMatchObject({ kind: 'dataset', shape: w.shape, dtype: '<f4' });
      expect(d.sha256, `${layer.name}/${w.name} bytes`).toBe(sha256(w.data));
      expected.add(`${path}/vars/${i}`);
    });
  }
  expect(Object.keys(h5).filter((k) => k !== '/').sort()).toEqual([...expected].sort());
}

async function exportFixture(model: string, ordering: Ordering): Promise<{ out: string; spec: KerasModelSpec; files: string[]; customLayers: string[] }> {
  const net = await fixtureNet(model);
  const out = join(freshDir(), `${model}.keras`);
  const ctx = exportContext(net, 'keras', out, ordering);
  const result = await writeKeras(ctx);
  expect(result.format).toBe('keras');
  return { out, spec: ctx.spec, files: result.files, customLayers: result.customLayers };
}

describe('the .keras archive of a fixture model', () => {
  for (const model of FIXTURES)
    for (const ordering of ORDERINGS) {
      it(`holds ${model} (${ordering}) as Keras 3 saves a Functional model: three stored entries, a rebuildable config and the weights where H5IOStore looks`, async () => {
        const { out, spec } = await exportFixture(model, ordering);
        const dump = dumpKerasFile(out);
        expect(dump.zip!.entries.map((e) => e.name)).toEqual(['metadata.json', 'config.json', 'model.weights.h5']);
        expect(dump.zip!.entries.every((e) => e.compress_type === 0)).toBe(true);
        expect(dump.zip!.bad).toBeNull();
        expect(Object.keys(dump.metadata!).sort()).toEqual(['date_saved', 'keras_version']);
        expect(dump.metadata!.keras_version).toMatch(/^3\.\d+\.\d+$/);
        expect(dump.metadata!.date_saved).toMatch(/^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
        checkConfig(dump.config, spec);
        checkWeights(dump, spec);
        // Every layer of the spec is data_format-consistent with the ordering.
        for (const l of (dump.config!.config.layers as KerasLayerJson[]).filter((x) => 'data_format' in x.config && x.class_name !== 'Flatten'))
          expect(l.config.data_format, l.name).toBe(ordering);
      });
    }

  it('reads back with h5wasm to the same shapes and bytes as the spec, layer by layer', async () => {
    const { out, spec } = await exportFixture('mtcnn_onet', 'channels_last');
    const entries = unzipSync(readFileSync(out));
    const file = join(dir, 'onet.weights.h5');
    writeFileSync(file, entries['model.weights.h5']);
    const f = new h5wasm.File(file, 'r');
    try {
      for (const layer of spec.layers) {
        const group = [...(f.get('layers') as InstanceType<typeof h5wasm.Group>).keys()].find(
          (k) => (f.get(`layers/${k}/vars`) as InstanceType<typeof h5wasm.Group>).attrs.name.value === layer.name,
        );
        expect(group, layer.name).toBeDefined();
        layer.weights.forEach((w, i) => {
          const d = f.get(`layers/${group}/vars/${i}`) as InstanceType<typeof h5wasm.Dataset>;
          expect(d.shape).toEqual(w.shape);
          expect(d.value).toEqual(w.data);
        });
      }
    } finally {
      f.close();
    }
  });

  it('numbers the MTCNN ONet layers per class in the order Keras rebuilds them: the three heads after the trunk, prob after score', async () => {
    const { out } = await exportFixture('mtcnn_onet', 'channels_first');
    const h5 = dumpKerasFile(out).hdf5;
    const name = (path: string): unknown => h5[`layers/${path}/vars`]?.attrs.name;
    // Worked out by hand from function.py map_graph: depth decreases towards the outputs (prob, bbox_pred,
    // landmark_pred); score (depth 1) precedes the depth-0 outputs, which keep the order Keras met them.
    const expected: Record<string, string> = {
      input_layer: 'data',
      conv2d: 'conv1', conv2d_1: 'conv2', conv2d_2: 'conv3', conv2d_3: 'conv4',
      p_re_lu: 'prelu1', p_re_lu_1: 'prelu2', p_re_lu_2: 'prelu3', p_re_lu_3: 'prelu4', p_re_lu_4: 'prelu5',
      max_pooling2d: 'pool1', max_pooling2d_1: 'pool2', max_pooling2d_2: 'pool3',
      flatten: 'fc_flatten',
      dense: 'fc', dense_1: 'score', dense_2: 'bbox_pred', dense_3: 'landmark_pred',
      softmax: 'prob',
    };
    for (const [path, layer] of Object.entries(expected)) expect(name(path), path).toBe(layer);
  });

  it('writes portafilter_layers.py and a README next to a model with custom layers', async () => {
    const { out, files, customLayers } = await exportFixture('features_b', 'channels_last');
    expect(customLayers.sort()).toEqual(['CaffeLRN', 'CaffeNeuron', 'CaffePooling', 'CaffeSlice']);
    const folder = join(out, '..');
    expect(readdirSync(folder).sort()).toEqual(['README.md', 'features_b.keras', 'portafilter_layers.py']);
    expect(files).toEqual([out, join(folder, 'portafilter_layers.py'), join(folder, 'README.md')]);
    expect(readFileSync(join(folder, 'portafilter_layers.py'), 'utf8')).toBe(readFileSync(resourcePath('export', 'portafilter_layers.py'), 'utf8'));
    const readme = readFileSync(join(folder, 'README.md'), 'utf8');
    expect(readme.startsWith(README_MARK)).toBe(true);
    expect(readme).toContain('import portafilter_layers  # registers CaffePooling, CaffeLRN, CaffeSlice, CaffeNeuron\nmodel = keras.saving.load_model("features_b.keras")');
  });

  it('writes only a README next to a model of standard layers', async () => {
    const { out } = await exportFixture('lenet_mnist', 'channels_last');
    const folder = join(out, '..');
    expect(readdirSync(folder).sort()).toEqual(['README.md', 'lenet_mnist.keras']);
    const readme = readFileSync(join(folder, 'README.md'), 'utf8');
    expect(readme).toContain('import keras\nmodel = keras.saving.load_model("lenet_mnist.keras")');
    expect(readme).not.toContain('portafilter_layers');
  });
});

describe("Keras' layer order", () => {
  it("snake-cases class names as Keras' naming.to_snake_case does", () => {
    const names = ['Conv2D', 'Conv2DTranspose', 'DepthwiseConv2D', 'PReLU', 'ReLU', 'LeakyReLU', 'BatchNormalization', 'InputLayer', 'ZeroPadding2D', 'MaxPooling2D', 'CaffeLRN', 'CaffeArgMax'];
    expect(names.map(toSnakeCase)).toEqual([
      'conv2d', 'conv2d_transpose', 'depthwise_conv2d', 'p_re_lu', 're_lu', 'leaky_re_lu', 'batch_normalization', 'input_layer', 'zero_padding2d', 'max_pooling2d', 'caffe_lrn', 'caffe_arg_max',
    ]);
  });

  it('keys a short branch after the long one it joins, whatever the Caffe order, and stores each kernel there', async () => {
    // s (1 layer) and p -> q -> r (3 layers) both from data, summed as Add([r, s]). Keras walks from the
    // output: sum, r, q, p, data, then s; depths data 4, p 3, q 2, r and s 1, sum 0. So model.layers is
    // data, p, q, r, s, sum and the kernels are conv2d (p), conv2d_1 (q), conv2d_2 (r), conv2d_3 (s).
    const conv = (name: string, bottom: string): string =>
      `layer { name: "${name}" type: "Convolution" bottom: "${bottom}" top: "${name}" convolution_param { num_output: 1 kernel_size: 1 } }`;
    const net = await tinyNet(
      [
        'input: "data" input_shape { dim: 1 dim: 1 dim: 4 dim: 4 }',
        conv('s', 'data'),
        conv('p', 'data'),
        conv('q', 'p'),
        conv('r', 'q'),
        'layer { name: "sum" type: "Eltwise" bottom: "r" bottom: "s" top: "sum" }',
      ].join('\n'),
      { s: [f32(4), f32(40)], p: [f32(1), f32(10)], q: [f32(2), f32(20)], r: [f32(3), f32(30)] },
    );
    const out = join(freshDir(), 'branches.keras');
    await writeKeras(exportContext(net, 'keras', out, 'channels_last'));
    const h5 = dumpKerasFile(out).hdf5;
    const expected: Record<string, [string, number, number]> = { conv2d: ['p', 1, 10], conv2d_1: ['q', 2, 20], conv2d_2: ['r', 3, 30], conv2d_3: ['s', 4, 40] };
    for (const [path, [layer, kernel, bias]] of Object.entries(expected)) {
      expect(h5[`layers/${path}/vars`].attrs.name, path).toBe(layer);
      expect(h5[`layers/${path}/vars/0`].sha256).toBe(sha256(f32(kernel)));
      expect(h5[`layers/${path}/vars/1`].sha256).toBe(sha256(f32(bias)));
    }
    expect(h5['layers/input_layer/vars'].attrs.name).toBe('data');
    expect(h5['layers/add/vars'].attrs.name).toBe('sum');
  });
});

describe('a failed .keras export', () => {
  it('leaves nothing behind when cancelled at any of its checkpoints', async () => {
    const net = await fixtureNet('features_b');
    const folder = freshDir();
    const out = join(folder, 'model.keras');
    const full = exportContext(net, 'keras', join(freshDir(), 'model.keras'), 'channels_last');
    await writeKeras(full);
    expect(full.checks).toBeGreaterThan(10);
    for (let at = 1; at <= full.checks; at++) {
      await expect(writeKeras(exportContext(net, 'keras', out, 'channels_last', at, full.spec)), `cancelled at check ${at}`).rejects.toThrow(/cancelled/);
      expect(readdirSync(folder), `cancelled at check ${at}`).toEqual([]);
    }
    await writeKeras(exportContext(net, 'keras', out, 'channels_last', full.checks + 1, full.spec));
    expect(readdirSync(folder).sort()).toEqual(['README.md', 'model.keras', 'portafilter_layers.py']);
  });

  it('leaves nothing behind when the output folder is a file', async () => {
    const net = await fixtureNet('lenet_mnist');
    const folder = freshDir();
    writeFileSync(join(folder, 'not-a-folder'), 'x');
    await expect(writeKeras(exportContext(net, 'keras', join(folder, 'not-a-folder', 'lenet.keras'), 'channels_last'))).rejects.toThrow();
    expect(readdirSync(folder)).toEqual(['not-a-folder']);
    expect(readFileSync(join(folder, 'not-a-folder'), 'utf8')).toBe('x');
  });

  it("refuses a name Keras' load_model would not read as a .keras archive, writing nothing", async () => {
    const net = await fixtureNet('lenet_mnist');
    const folder = freshDir();
    await expect(writeKeras(exportContext(net, 'keras', join(folder, 'lenet.zip'), 'channels_last'))).rejects.toThrow(/\.keras/);
    expect(readdirSync(folder)).toEqual([]);
  });
});

describe('a .keras export into an existing folder', () => {
  it("keeps a README.md it did not write and puts its own in <model>.README.md", async () => {
    const net = await fixtureNet('lenet_mnist');
    const folder = freshDir();
    writeFileSync(join(folder, 'README.md'), '# my project\n');
    const result = await writeKeras(exportContext(net, 'keras', join(folder, 'lenet.keras'), 'channels_last'));
    expect(readFileSync(join(folder, 'README.md'), 'utf8')).toBe('# my project\n');
    expect(result.files).toEqual([join(folder, 'lenet.keras'), join(folder, 'lenet.keras.README.md')]);
    expect(existsSync(join(folder, 'lenet.keras.README.md'))).toBe(true);
  });

  it('replaces an earlier export of the same model and its README only when forced', async () => {
    const net = await fixtureNet('lenet_mnist');
    const folder = freshDir();
    const out = join(folder, 'lenet.keras');
    await writeKeras(exportContext(net, 'keras', out, 'channels_first'));
    await expect(writeKeras(exportContext(net, 'keras', out, 'channels_last'))).rejects.toMatchObject({
      message: `${out}: exists (a file); replace it with --force, or choose another file`,
      details: { kind: 'exists' },
    });
    const again = exportContext(net, 'keras', out, 'channels_last');
    again.options.force = true;
    await writeKeras(again);
    expect(readdirSync(folder).sort()).toEqual(['README.md', 'lenet.keras']);
    const config = dumpKerasFile(out).config!;
    expect((config.config.layers as KerasLayerJson[])[0].config.batch_shape).toEqual([null, 28, 28, 1]);
    expect(readFileSync(join(folder, 'README.md'), 'utf8')).toContain('channels_last');
  });

  it('reports progress that only grows, ending at done', async () => {
    const net = await fixtureNet('ultraface_slim320');
    const ctx = exportContext(net, 'keras', join(freshDir(), 'slim.keras'), 'channels_last');
    await writeKeras(ctx);
    const fractions = ctx.events.map((e) => e.fraction ?? 0);
    expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1])).toBe(true);
    expect(ctx.events.at(-1)).toEqual({ stage: 'done', fraction: 1 });
    expect(new Set(ctx.events.map((e) => e.stage))).toEqual(new Set(['serialising', 'writing weights', 'checking the weights file', 'writing the archive', 'done']));
  });
});

describe('what a Keras export says about the model', () => {
  it('leaves out a layer no output depends on, and says so', async () => {
    const net = await fixtureNet('lenet_mnist');
    const spec = buildKerasModel(net, { ordering: 'channels_last' });
    const dangling: KerasLayerSpec = { name: 'unused', className: 'ReLU', config: { max_value: null, negative_slope: 0, threshold: 0 }, inputs: [{ layer: 'conv1', index: 0 }], outputShapes: [[null, 24, 24, 20]], weights: [] };
    const out = join(freshDir(), 'lenet.keras');
    const result = await writeKeras(exportContext(net, 'keras', out, 'channels_last', undefined, { ...spec, layers: [...spec.layers, dangling] }));
    expect(result.notes.join('\n')).toMatch(/left out, as no output depends on them: unused/);
    const dump = dumpKerasFile(out);
    expect((dump.config!.config.layers as KerasLayerJson[]).map((l) => l.name)).not.toContain('unused');
    checkConfig(dump.config, spec);
    checkWeights(dump, spec);
  });

  it('says that flipped kernels compute something else in Keras 3, and that channels_first needs a GPU on TensorFlow', async () => {
    const net = await fixtureNet('features_b');
    const result = await writeKeras(exportContext(net, 'keras', join(freshDir(), 'b.keras'), 'channels_first', undefined, buildKerasModel(net, { ordering: 'channels_first', flipKernels: true })));
    const notes = result.notes.join('\n');
    expect(notes).toMatch(/flipped 180°/);
    expect(notes).toMatch(/channels_first/);
  });
});
