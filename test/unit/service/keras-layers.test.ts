/**
 * kerasLayers: the Keras side of every Caffe layer, built by the exports' own builder (tolerant, so a
 * layer that cannot convert is marked instead of refusing the model), with output shapes as TF.js'
 * layers compute them. Caffe's top shapes are checked against OpenCV's (the fixtures' *.shapes.json),
 * so a `matches: true` there says Keras' rule and OpenCV's Caffe agree.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KerasLayersView } from '../../../src/shared/api.js';
import { writeNpy } from '../../../src/main/caffe/npy.js';
import { npyWeightFile } from '../../../src/main/caffe/npy-weights.js';
import { buildKerasModel } from '../../../src/main/keras/build.js';
import { loadCaffeNet } from '../../../src/main/net/model.js';
import { createService } from '../../../src/main/service/index.js';
import { FIXTURE_MODELS, fixture } from '../../helpers/fixtures.js';

const service = createService();
const work = mkdtempSync(join(tmpdir(), 'portafilter-keras-layers-'));
afterAll(() => {
  service.dispose();
  rmSync(work, { recursive: true, force: true });
});

const openPrototxt = async (file: string): Promise<string> => (await service.call('openModel', { prototxt: file })).id;

/** Opens `file` with weights (zeros, in a .npy folder made from the blob shapes the prototxt implies): the export needs some. */
async function openWithWeights(file: string): Promise<string> {
  const bare = await service.call('openModel', { prototxt: file });
  await service.call('closeModel', { id: bare.id });
  const dir = mkdtempSync(join(work, 'weights-'));
  for (const l of bare.layers) l.blob_shapes.forEach((shape, i) => writeNpy(join(dir, npyWeightFile(l.name, i)), shape, new Float32Array(shape.reduce((a, d) => a * d, 1))));
  return (await service.call('openModel', { prototxt: file, caffemodel: dir })).id;
}
const alexnet = openPrototxt(fixture('prototxts', 'bvlc_alexnet.prototxt'));

interface ShapesFile {
  layers: { name: string; tops: string[]; top_shapes: number[][] }[];
}

describe("AlexNet's conv1 and pool1", () => {
  it('is one Conv2D giving [null, 55, 55, 96] in channels_last, kernel [kh, kw, in, out] = [11, 11, 3, 96]', async () => {
    const view = await service.call('kerasLayers', { id: await alexnet, ordering: 'channels_last' });
    const conv1 = view.byCaffeLayer.conv1;
    expect(conv1.status).toBe('converted');
    expect(conv1.layers).toHaveLength(1);
    expect(conv1.layers[0]).toMatchObject({ className: 'Conv2D', custom: false, outputShapes: [[null, 55, 55, 96]] });
    expect(conv1.layers[0].config).toMatchObject({ filters: 96, kernel_size: [11, 11], strides: [4, 4], padding: 'valid', data_format: 'channels_last' });
    expect(conv1.layers[0].weights).toEqual([
      { name: 'kernel', shape: [11, 11, 3, 96] },
      { name: 'bias', shape: [96] },
    ]);
    expect(conv1.tops).toEqual([{ blob: 'conv1', caffeShape: [10, 96, 55, 55], kerasShape: [10, 55, 55, 96], matches: true }]);
  });

  it('gives [null, 96, 55, 55] in channels_first; the Keras kernel stays [kh, kw, in, out] (data_format moves only the data)', async () => {
    const view = await service.call('kerasLayers', { id: await alexnet, ordering: 'channels_first' });
    expect(view).toMatchObject({ ordering: 'channels_first', flipKernels: false, failed: 0 });
    const [conv] = view.byCaffeLayer.conv1.layers;
    expect(conv).toMatchObject({ className: 'Conv2D', outputShapes: [[null, 96, 55, 55]] });
    expect(conv.config.data_format).toBe('channels_first');
    expect(conv.weights[0]).toEqual({ name: 'kernel', shape: [11, 11, 3, 96] });
    expect(view.byCaffeLayer.conv1.tops[0]).toMatchObject({ kerasShape: [10, 96, 55, 55], matches: true });
  });

  it('keeps the same Keras layers with the Theano kernel flip, and refuses the flip in channels_last', async () => {
    const id = await alexnet;
    const flipped = await service.call('kerasLayers', { id, ordering: 'channels_first', flipKernels: true });
    expect(flipped.flipKernels).toBe(true);
    expect(flipped.byCaffeLayer.conv1.layers).toEqual((await service.call('kerasLayers', { id, ordering: 'channels_first' })).byCaffeLayer.conv1.layers);
    await expect(service.call('kerasLayers', { id, ordering: 'channels_last', flipKernels: true })).rejects.toThrow(
      /flipKernels \(the Theano kernel flip\) only goes with the channels_first ordering/,
    );
  });

  it("maps Caffe's ceil-rounded pools to the layers the export builds, at OpenCV's shapes", async () => {
    // GoogLeNet's pool1/3x3_s2 takes 112 to ceil((112 - 3) / 2) + 1 = 56 (floor would give 55); AlexNet's pool1 55 to 27.
    const googlenet = fixture('prototxts', 'bvlc_googlenet.prototxt');
    const cases = [
      { file: fixture('prototxts', 'bvlc_alexnet.prototxt'), layer: 'pool1', shape: [10, 96, 27, 27] },
      { file: googlenet, layer: 'pool1/3x3_s2', shape: [10, 64, 56, 56] },
      { file: googlenet, layer: 'pool2/3x3_s2', shape: [10, 192, 28, 28] },
    ];
    for (const { file, layer, shape } of cases) {
      const id = await openPrototxt(file);
      const model = await loadCaffeNet({ prototxt: file });
      for (const ordering of ['channels_last', 'channels_first'] as const) {
        const exported = buildKerasModel(model, { ordering }).layers.filter((l) => l.caffeLayer === layer);
        const side = (await service.call('kerasLayers', { id, ordering })).byCaffeLayer[layer];
        expect(side.layers.map((l) => [l.name, l.className, l.config]), `${layer} ${ordering}`).toEqual(exported.map((l) => [l.name, l.className, l.config]));
        const [n, c, h, w] = shape;
        const keras = ordering === 'channels_last' ? [n, h, w, c] : shape;
        expect(side.layers.at(-1)!.outputShapes, `${layer} ${ordering}`).toEqual([[null, ...keras.slice(1)]]);
        expect(side.tops).toEqual([{ blob: layer, caffeShape: shape, kerasShape: keras, matches: true }]);
      }
      await service.call('closeModel', { id });
    }
  });
});

const PROTOTXTS = readdirSync(fixture('prototxts')).filter((f) => f.endsWith('.prototxt'));

describe.each(PROTOTXTS)('every layer of %s', (file) => {
  it.each(['channels_last', 'channels_first'] as const)('has Keras tops matching OpenCV’s Caffe shapes in %s', async (ordering) => {
    const expected = JSON.parse(readFileSync(fixture('prototxts', file.replace(/\.prototxt$/, '.shapes.json')), 'utf8')) as ShapesFile;
    const id = await openPrototxt(fixture('prototxts', file));
    const summary = (await service.call('openModel', { prototxt: fixture('prototxts', file) }));
    const view = await service.call('kerasLayers', { id, ordering });
    expect(Object.keys(view.byCaffeLayer)).toEqual(summary.layers.map((l) => l.name));
    let checked = 0;
    for (const l of expected.layers) {
      const side = view.byCaffeLayer[l.name];
      expect(side, l.name).toBeDefined();
      if (side.status !== 'converted') continue;
      expect(side.tops.map((t) => t.blob), l.name).toEqual(l.tops);
      side.tops.forEach((top, i) => {
        expect(top.caffeShape, `${l.name} top ${i}`).toEqual(l.top_shapes[i]);
        expect(top.matches, `${l.name} top ${i}: Keras ${JSON.stringify(top.kerasShape)}`).toBe(true);
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(20);
    // Only SSD's prior boxes and what reads them cannot convert (PriorBox has no Keras mapping).
    const failed = Object.entries(view.byCaffeLayer).filter(([, s]) => s.status === 'failed');
    if (file.startsWith('MobileNet-SSD')) {
      expect(failed.map(([name]) => name).sort()).toEqual(
        ['conv11', 'conv13', 'conv14_2', 'conv15_2', 'conv16_2', 'conv17_2'].map((c) => `${c}_mbox_priorbox`).concat('detection_out', 'mbox_priorbox').sort(),
      );
      expect(view.failed).toBe(8);
    } else expect(failed).toEqual([]);
    await service.call('closeModel', { id });
    await service.call('closeModel', { id: summary.id });
  });
});

describe.each(FIXTURE_MODELS)('the fixture model %s', (name) => {
  it('shows the Keras layers, configs and weight shapes of its export, in both orderings', async () => {
    const files = { prototxt: fixture('models', name, 'deploy.prototxt'), caffemodel: fixture('models', name, 'weights.caffemodel') };
    const id = (await service.call('openModel', files)).id;
    const model = await loadCaffeNet(files);
    for (const ordering of ['channels_last', 'channels_first'] as const) {
      // The export's own build, weights and all: the view's shapes-only build must give the same layers.
      const exported = buildKerasModel(model, { ordering });
      const view = await service.call('kerasLayers', { id, ordering });
      expect(Object.values(view.byCaffeLayer).flatMap((side) => side.layers)).toHaveLength(exported.layers.length);
      for (const [caffeLayer, side] of Object.entries(view.byCaffeLayer))
        expect(side.layers.map((l) => [l.name, l.className, l.config, l.weights]), `${caffeLayer} ${ordering}`).toEqual(
          exported.layers.filter((l) => l.caffeLayer === caffeLayer).map((l) => [l.name, l.className, l.config, l.weights.map((w) => ({ name: w.name, shape: w.shape }))]),
        );
      expect(Object.values(view.byCaffeLayer).every((side) => side.status !== 'failed' && side.tops.every((t) => t.matches))).toBe(true);
    }
    await service.call('closeModel', { id });
  });
});

describe('a net with a layer that cannot convert in the middle', () => {
  const net = (name: string, middle: string): string => {
    const file = join(work, `${name}.prototxt`);
    writeFileSync(
      file,
      `name: "${name}"\n` +
        'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }\n' +
        'layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 4 kernel_size: 3 } }\n' +
        middle +
        'layer { name: "relu" type: "ReLU" bottom: "mid" top: "mid" }\n' +
        'layer { name: "fc" type: "InnerProduct" bottom: "mid" top: "fc" inner_product_param { num_output: 2 } }\n' +
        'layer { name: "side" type: "Convolution" bottom: "data" top: "side" convolution_param { num_output: 2 kernel_size: 1 } }\n',
    );
    return file;
  };
  const stochastic = net('stochastic', 'layer { name: "pool" type: "Pooling" bottom: "conv" top: "mid" pooling_param { pool: STOCHASTIC kernel_size: 2 stride: 2 } }\n');
  const tiled = net('tiled', 'layer { name: "tile" type: "Tile" bottom: "conv" top: "mid" tile_param { axis: 1 tiles: 2 } }\n');

  const sides = (view: KerasLayersView): Record<string, [string, string | undefined]> =>
    Object.fromEntries(Object.entries(view.byCaffeLayer).map(([name, s]) => [name, [s.status, s.reason]]));

  it("opens, marks the refused layer with the mapping's reason and what reads it after it, and converts the rest", async () => {
    const id = await openWithWeights(stochastic);
    const view = await service.call('kerasLayers', { id });
    expect(sides(view)).toEqual({
      data: ['converted', undefined],
      conv: ['converted', undefined],
      pool: ['failed', expect.stringMatching(/layer 'pool', field 'pooling_param\.pool': STOCHASTIC pooling has no Keras mapping$/)],
      relu: ['failed', "reads 'mid' from 'pool', which cannot convert"],
      fc: ['failed', "reads 'mid' from 'relu', which cannot convert"],
      side: ['converted', undefined],
    });
    expect(view.failed).toBe(3);
    expect(view.byCaffeLayer.pool).toMatchObject({ layers: [], tops: [] });
    expect(view.byCaffeLayer.side.tops).toEqual([{ blob: 'side', caffeShape: [1, 2, 8, 8], kerasShape: [1, 8, 8, 2], matches: true }]);
    // The export of the same net still refuses it, as before.
    await expect(service.call('convertModel', { id, format: 'keras', out: join(work, 'stochastic.keras') })).rejects.toThrow(/STOCHASTIC pooling has no Keras mapping/);
  });

  it('marks a layer type with no Keras mapping at all, while the export still refuses the net naming it', async () => {
    const id = await openWithWeights(tiled);
    const view = await service.call('kerasLayers', { id, ordering: 'channels_first' });
    expect(view.byCaffeLayer.tile).toMatchObject({ status: 'failed', reason: expect.stringMatching(/'tile' \(Tile\) at line 4: no Keras mapping for Tile$/) as unknown });
    expect(view.byCaffeLayer.relu.reason).toBe("reads 'mid' from 'tile', which cannot convert");
    expect(view.byCaffeLayer.side.status).toBe('converted');
    const refusal = await service.call('convertModel', { id, format: 'keras', out: join(work, 'tiled.keras') }).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: 'UnsupportedLayerError', message: expect.stringMatching(/1 unsupported layer: 'tile' \(Tile\) at line 4: no Keras mapping for Tile$/) as unknown });
  });

  it('leaves a training loss out, saying why, with the layer feeding it converted', async () => {
    const file = join(work, 'loss.prototxt');
    writeFileSync(
      file,
      'layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 5 } shape { dim: 2 } } }\n' +
        'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 3 } }\n' +
        'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }\n',
    );
    const view = await service.call('kerasLayers', { id: await openPrototxt(file) });
    expect(view.byCaffeLayer.loss).toEqual({ status: 'omitted', reason: 'a training loss or metric: inference leaves it out', layers: [], tops: [] });
    expect(view.byCaffeLayer.fc.tops).toEqual([{ blob: 'fc', caffeShape: [2, 3], kerasShape: [2, 3], matches: true }]);
    expect(view.byCaffeLayer.fc.layers).toMatchObject([{ className: 'Dense', outputShapes: [[null, 3]], weights: [{ name: 'kernel', shape: [5, 3] }, { name: 'bias', shape: [3] }] }]);
  });
});

describe('the kerasLayers cache', () => {
  it('serves one frozen view per ordering and flip until the model closes, then names the model as gone', async () => {
    const id = await openPrototxt(fixture('prototxts', 'bvlc_alexnet.prototxt'));
    const first = await service.call('kerasLayers', { id, ordering: 'channels_last' });
    expect(await service.call('kerasLayers', { id })).toBe(first);
    expect(await service.call('kerasLayers', { id, ordering: 'channels_first' })).not.toBe(first);
    expect(Object.isFrozen(first.byCaffeLayer.conv1.layers[0].outputShapes[0])).toBe(true);
    await service.call('closeModel', { id });
    await expect(service.call('kerasLayers', { id })).rejects.toThrow(`no open model with id '${id}'`);
  });
});
