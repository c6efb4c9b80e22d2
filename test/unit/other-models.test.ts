/**
 * Models that are not in the shared fixtures, old and new formats, with synthetic weights written by
 * an independent protobuf writer (test/helpers/caffemodel-writer.ts). Expected shapes are derived by
 * hand from the published architectures and Caffe's rules, or taken from OpenCV's pass in the fixtures.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCaffeNet } from '../../src/main/net/model.js';
import { BlobShapeMismatchError } from '../../src/shared/errors.js';
import { syntheticValue, writeSyntheticCaffeModel, type SyntheticLayer } from '../helpers/caffemodel-writer.js';
import { fixture } from '../helpers/fixtures.js';

const data = (name: string): string => new URL(`../data/models/${name}`, import.meta.url).pathname;
const cache = join(tmpdir(), 'portafilter-test-models-v1');
mkdirSync(cache, { recursive: true });

/** Writes a synthetic caffemodel once per machine (they are deterministic). */
function model(name: string, format: 'V0' | 'V1' | 'V2', layers: SyntheticLayer[]): string {
  const path = join(cache, `${name}.caffemodel`);
  if (!existsSync(path)) writeSyntheticCaffeModel(path, { name, format, layers });
  return path;
}

const V1 = { CONVOLUTION: 4, INNER_PRODUCT: 14 };

describe('VGG_CNN_S: legacy V1 text and a VGG_CNN_S-sized legacy V1 caffemodel', () => {
  // Blob shapes of CNN-S as Caffe allocates them; the file stores them as legacy 4-D dims.
  const weighted: [string, number, number[], number[]][] = [
    ['conv1', V1.CONVOLUTION, [96, 3, 7, 7], [96]],
    ['conv2', V1.CONVOLUTION, [256, 96, 5, 5], [256]],
    ['conv3', V1.CONVOLUTION, [512, 256, 3, 3], [512]],
    ['conv4', V1.CONVOLUTION, [512, 512, 3, 3], [512]],
    ['conv5', V1.CONVOLUTION, [512, 512, 3, 3], [512]],
    ['fc6', V1.INNER_PRODUCT, [4096, 18432], [4096]],
    ['fc7', V1.INNER_PRODUCT, [4096, 4096], [4096]],
    ['fc8', V1.INNER_PRODUCT, [1000, 4096], [1000]],
  ];
  let caffemodel = '';
  beforeAll(() => {
    caffemodel = model(
      'vgg_cnn_s_v1',
      'V1',
      weighted.map(([name, type, w, b]) => ({ name, type, blobs: [{ shape: w, legacy: true }, { shape: b, legacy: true }] })),
    );
  }, 300_000);

  it('is VGG_CNN_S-sized: over 400 MB of float weights', () => {
    expect(statSync(caffemodel).size).toBeGreaterThan(400e6);
  });

  it('gets the shapes of CNN-S: conv1 109x109, pool1 37x37 (ceil), pool2 17x17, pool5 6x6, fc6 from 18432', async () => {
    const net = await loadCaffeNet({ prototxt: data('vgg_cnn_s.v1.prototxt'), caffemodel });
    expect(net.prototxtFormat).toBe('V1');
    expect(net.weightsFormat).toBe('V1');
    const shape = (layer: string): number[][] => net.shapes.layers[net.graph.layers.find((l) => l.name === layer)!.index].topShapes;
    expect(shape('conv1')).toEqual([[10, 96, 109, 109]]);
    expect(shape('norm1')).toEqual([[10, 96, 109, 109]]);
    expect(shape('pool1')).toEqual([[10, 96, 37, 37]]);
    expect(shape('conv2')).toEqual([[10, 256, 33, 33]]);
    expect(shape('pool2')).toEqual([[10, 256, 17, 17]]);
    expect(shape('conv5')).toEqual([[10, 512, 17, 17]]);
    expect(shape('pool5')).toEqual([[10, 512, 6, 6]]);
    expect(shape('fc6')).toEqual([[10, 4096]]);
    expect(shape('prob')).toEqual([[10, 1000]]);
  });

  it('reports the legacy (1, 1, 4096, 18432) fc6 weight as [4096, 18432], with its data intact', async () => {
    const net = await loadCaffeNet({ prototxt: data('vgg_cnn_s.v1.prototxt'), caffemodel, inputShapes: { data: [1, 3, 224, 224] } });
    for (const [name, , w, b] of weighted) expect(net.weights.get(name)!.map((x) => x.shape), name).toEqual([w, b]);
    const fc6 = net.weights.get('fc6')![0];
    expect(fc6.data).toBeInstanceOf(Float32Array);
    expect(fc6.data.length).toBe(4096 * 18432);
    // fc6's weight is the 11th blob of the file (index 10).
    for (const i of [0, 1, 12345, 4096 * 18432 - 1]) expect(fc6.data[i]).toBe(syntheticValue(10, i));
  });
});

describe('other formats and pairings', () => {
  it('reads a V0 net (padding layer folded into conv1) with a V0 caffemodel', async () => {
    const caffemodel = model('tiny_v0', 'V0', [
      { name: 'conv1', type: 'conv', blobs: [{ shape: [16, 3, 5, 5], legacy: true }, { shape: [16], legacy: true }] },
      { name: 'relu1', type: 'relu', blobs: [] },
      { name: 'fc', type: 'innerproduct', blobs: [{ shape: [10, 4096], legacy: true }, { shape: [10], legacy: true }] },
    ]);
    const net = await loadCaffeNet({ prototxt: data('tiny.v0.prototxt'), caffemodel });
    expect(net.prototxtFormat).toBe('V0');
    expect(net.weightsFormat).toBe('V0');
    expect(net.graph.layers.map((l) => [l.name, l.type, net.shapes.layers[l.index].topShapes[0]])).toEqual([
      ['input', 'Input', [1, 3, 32, 32]],
      ['conv1', 'Convolution', [1, 16, 32, 32]],
      ['relu1', 'ReLU', [1, 16, 32, 32]],
      ['pool1', 'Pooling', [1, 16, 16, 16]],
      ['norm1', 'LRN', [1, 16, 16, 16]],
      ['fc', 'InnerProduct', [1, 10]],
      ['prob', 'Softmax', [1, 10]],
    ]);
    expect(net.weights.get('fc')!.map((w) => w.shape)).toEqual([[10, 4096], [10]]);
  });

  it('attaches a current-format (V2) caffemodel to a V0 prototxt by layer name', async () => {
    const caffemodel = model('tiny_v2', 'V2', [
      { name: 'conv1', type: 'Convolution', blobs: [{ shape: [16, 3, 5, 5] }, { shape: [16] }] },
      { name: 'fc', type: 'InnerProduct', blobs: [{ shape: [10, 4096] }, { shape: [10] }] },
    ]);
    const net = await loadCaffeNet({ prototxt: data('tiny.v0.prototxt'), caffemodel });
    expect(net.weightsFormat).toBe('V2');
    expect(net.weights.get('conv1')!.map((w) => w.shape)).toEqual([[16, 3, 5, 5], [16]]);
  });

  it('attaches a legacy V1 caffemodel to the V2 GoogLeNet prototxt (blob shapes from the fixtures)', async () => {
    const shapes = JSON.parse(readFileSync(fixture('prototxts/bvlc_googlenet.shapes.json'), 'utf8')) as {
      layers: { name: string; type: string; blob_shapes?: number[][] }[];
    };
    const withBlobs = shapes.layers.filter((l) => l.blob_shapes?.length);
    const caffemodel = model(
      'googlenet_v1',
      'V1',
      withBlobs.map((l) => ({
        name: l.name,
        type: l.type === 'Convolution' ? V1.CONVOLUTION : V1.INNER_PRODUCT,
        blobs: l.blob_shapes!.map((shape) => ({ shape, legacy: true })),
      })),
    );
    const net = await loadCaffeNet({ prototxt: fixture('prototxts/bvlc_googlenet.prototxt'), caffemodel });
    expect(net.weights.size).toBe(withBlobs.length);
    for (const l of withBlobs) expect(net.weights.get(l.name)!.map((w) => w.shape), l.name).toEqual(l.blob_shapes);
  });

  it('rejects a weight whose shape differs from the prototxt, naming the layer and both shapes', async () => {
    const caffemodel = model('tiny_bad_shape', 'V2', [
      { name: 'conv1', type: 'Convolution', blobs: [{ shape: [16, 3, 3, 3] }, { shape: [16] }] },
    ]);
    const load = loadCaffeNet({ prototxt: data('tiny.v0.prototxt'), caffemodel });
    await expect(load).rejects.toThrow(BlobShapeMismatchError);
    await expect(loadCaffeNet({ prototxt: data('tiny.v0.prototxt'), caffemodel })).rejects.toThrow(
      /tiny_bad_shape\.caffemodel@\d+, layer 'conv1': blob 0 has shape \[16, 3, 3, 3\] in the caffemodel but the prototxt implies \[16, 3, 5, 5\]/,
    );
  });

  it('rejects a layer with the wrong number of blobs', async () => {
    const caffemodel = model('tiny_no_bias', 'V2', [{ name: 'fc', type: 'InnerProduct', blobs: [{ shape: [10, 4096] }] }]);
    await expect(loadCaffeNet({ prototxt: data('tiny.v0.prototxt'), caffemodel })).rejects.toThrow(
      /layer 'fc': incompatible number of blobs: the prototxt's InnerProduct layer has 2 \(\[10, 4096\], \[10\]\), the caffemodel holds 1/,
    );
  });
});
