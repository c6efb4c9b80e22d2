/**
 * Every layer type declares its workbench metadata in its own file (LayerDef.meta): a category from
 * the palette, and the key parameters a graph node shows. The expected labels are read off the
 * fixture prototxts' text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYER_CATEGORIES } from '../../../src/shared/api.js';
import { layerDef, registerLayer, supportedLayerTypes } from '../../../src/main/layers/index.js';
import { createService } from '../../../src/main/service/index.js';
import { fixture } from '../../helpers/fixtures.js';

const service = createService();
const open = async (net: string): Promise<Map<string, { category: string; keyParams: string }>> => {
  const summary = await service.call('openModel', { prototxt: fixture('prototxts', `${net}.prototxt`) });
  await service.call('closeModel', { id: summary.id });
  return new Map(summary.layers.map((l) => [l.name, l]));
};

describe('layer metadata', () => {
  it('gives every registered layer type a category of the palette', () => {
    expect(supportedLayerTypes().length).toBeGreaterThan(40);
    for (const type of supportedLayerTypes()) expect(LAYER_CATEGORIES, type).toContain(layerDef(type)!.meta.category);
  });

  it('sorts the common types into the categories a reader expects', () => {
    const category = (type: string): string => layerDef(type)!.meta.category;
    expect(['Convolution', 'Deconvolution'].map(category)).toEqual(['convolution', 'convolution']);
    expect(['Pooling', 'InnerProduct', 'LRN', 'BatchNorm', 'ReLU', 'Concat', 'Eltwise', 'Reshape', 'Input', 'SoftmaxWithLoss', 'PriorBox'].map(category)).toEqual([
      'pooling',
      'dense',
      'normalization',
      'normalization',
      'activation',
      'merge',
      'merge',
      'shape',
      'data',
      'loss',
      'detection',
    ]);
  });

  it("labels AlexNet's conv1, conv2, pool1, norm1, fc6 and drop6 with what their prototxt sets", async () => {
    const alexnet = await open('bvlc_alexnet');
    // conv1: num_output 96, kernel_size 11, stride 4 (pad 0 and group 1 are the defaults, left out).
    expect(alexnet.get('conv1')).toMatchObject({ category: 'convolution', keyParams: '11×11 /4, 96' });
    // conv2: num_output 256, pad 2, kernel_size 5, group 2 (stride 1 is the default).
    expect(alexnet.get('conv2')?.keyParams).toBe('5×5 pad 2, 256, group 2');
    expect(alexnet.get('pool1')).toMatchObject({ category: 'pooling', keyParams: 'MAX 3×3 /2' });
    expect(alexnet.get('norm1')).toMatchObject({ category: 'normalization', keyParams: 'size 5' });
    expect(alexnet.get('fc6')).toMatchObject({ category: 'dense', keyParams: '4096' });
    expect(alexnet.get('drop6')?.keyParams).toBe('p 0.5');
    expect(alexnet.get('relu1')).toMatchObject({ category: 'activation', keyParams: '' });
    expect(alexnet.get('data')).toMatchObject({ category: 'data', keyParams: '10×3×227×227' });
  });

  it('labels a global average pool, a default-axis Concat, a SUM Eltwise and a Reshape by its target dims', async () => {
    expect((await open('SqueezeNet_v1.0')).get('pool10')?.keyParams).toBe('AVE global');
    expect((await open('bvlc_googlenet')).get('inception_3a/output')).toMatchObject({ category: 'merge', keyParams: 'axis 1' });
    expect((await open('ResNet-50-deploy')).get('res2a')).toMatchObject({ category: 'merge', keyParams: 'SUM' });
    const ssd = await open('MobileNet-SSD_deploy');
    expect(ssd.get('mbox_conf_reshape')).toMatchObject({ category: 'shape', keyParams: '[0, -1, 21]' });
    expect(ssd.get('conv11_mbox_priorbox')).toMatchObject({ category: 'detection', keyParams: 'size 60 ratios 2' });
  });

  it('opens a model whose label cannot be worded, with keyParams empty', async () => {
    registerLayer({
      type: 'LabelThrows',
      meta: {
        category: 'other',
        keyParams: () => {
          throw new Error('no words for this');
        },
      },
      bottoms: { min: 1, max: 1 },
      tops: { min: 1, max: 1 },
      shapes: (ctx) => ({ tops: [[...ctx.bottoms[0]]], blobs: [] }),
    });
    const dir = mkdtempSync(join(tmpdir(), 'portafilter-meta-'));
    try {
      const file = join(dir, 'net.prototxt');
      writeFileSync(file, 'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 } } }\nlayer { name: "odd" type: "LabelThrows" bottom: "data" top: "odd" }\n');
      const summary = await service.call('openModel', { prototxt: file });
      expect(summary.layers.find((l) => l.name === 'odd')).toMatchObject({ category: 'other', keyParams: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
