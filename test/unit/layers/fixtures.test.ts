/**
 * The shape rules against OpenCV's dnn module, an independent implementation of Caffe: the fixture
 * prototxts' *.shapes.json list every layer's bottoms and the top shapes OpenCV computed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/main/caffe/message.js';
import { layerDef } from '../../../src/main/layers/index.js';
import { fixture } from '../../helpers/fixtures.js';
import { shapesOf } from './helpers.js';
import { parsePrototxt } from './mini-prototxt.js';

interface ShapesFile {
  input: number[];
  input_name: string;
  data_dependent: string[];
  layers: { name: string; type: string; bottoms: string[]; tops: string[]; top_shapes: number[][]; blob_shapes?: number[][] }[];
}

/** Each layer of the net with its bottom shapes (the top shapes of the layer that last wrote each blob) and its message. */
function walk(net: string) {
  const shapes = JSON.parse(readFileSync(fixture('prototxts', `${net}.shapes.json`), 'utf8')) as ShapesFile;
  const parsed = parsePrototxt(readFileSync(fixture('prototxts', `${net}.prototxt`), 'utf8'));
  const messages = new Map((parsed.layer as Message[]).map((l) => [String(l.name), l]));
  const blobs = new Map<string, number[]>([[shapes.input_name, shapes.input]]);
  return shapes.layers.map((l) => {
    const bottoms = l.bottoms.map((b) => blobs.get(b)!);
    l.tops.forEach((t, i) => blobs.set(t, l.top_shapes[i]));
    return { ...l, bottoms, message: messages.get(l.name), dataDependent: shapes.data_dependent.includes(l.name) };
  });
}

describe('MobileNet-SSD prior boxes, permutes and flattens against OpenCV', () => {
  it('gives every PriorBox, Permute and Flatten layer the top shape OpenCV computed', () => {
    const checked: Record<string, number> = {};
    for (const l of walk('MobileNet-SSD_deploy')) {
      if (!['PriorBox', 'Permute', 'Flatten'].includes(l.type)) continue;
      expect(l.message, l.name).toBeDefined();
      expect(shapesOf(l.message!, l.bottoms, l.tops.length).tops, l.name).toEqual(l.top_shapes);
      checked[l.type] = (checked[l.type] ?? 0) + 1;
    }
    expect(checked).toEqual({ PriorBox: 6, Permute: 12, Flatten: 13 });
  });
});

// VGG_ILSVRC_19 is a V1 (`layers`, enum types) prototxt: it needs the upgrade first, not these rules alone.
const NETS = ['bvlc_alexnet', 'bvlc_reference_caffenet', 'bvlc_googlenet', 'ResNet-50-deploy', 'SqueezeNet_v1.0', 'SqueezeNet_v1.1', 'MobileNet-SSD_deploy'];

describe.each(NETS)('%s against OpenCV', (net) => {
  it('gives every layer the top shapes and learnable blob shapes OpenCV found', () => {
    let checked = 0;
    for (const l of walk(net)) {
      if (!l.message || !layerDef(l.type) || l.type === 'Input') continue;
      const out = shapesOf(l.message, l.bottoms, l.tops.length);
      if (l.dataDependent) {
        // OpenCV ran one input; Caffe's rows for it are at most the bound.
        expect(out.dataDependent, l.name).toBe(true);
        out.tops.forEach((s, i) => {
          expect([...s.slice(0, 2), ...s.slice(3)], l.name).toEqual([...l.top_shapes[i].slice(0, 2), ...l.top_shapes[i].slice(3)]);
          expect(l.top_shapes[i][2], l.name).toBeLessThanOrEqual(s[2]);
        });
      } else {
        expect(out.tops, l.name).toEqual(l.top_shapes);
      }
      if (l.blob_shapes) expect(out.blobs, l.name).toEqual(l.blob_shapes);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });
});

const MODEL_INPUTS: [string, string][] = [
  ['lenet_mnist', 'digit_3'],
  ['cifar10_quick', 'cat10'],
  ['mtcnn_pnet', 'face_12'],
  ['mtcnn_pnet', 'face_24'],
  ['mtcnn_rnet', 'face_24'],
  ['mtcnn_onet', 'face_48'],
  ['ultraface_slim320', 'sample_1'],
  ['ultraface_rfb320', 'sample_1'],
  ['features_b', 'input'],
];

describe.each(MODEL_INPUTS)('%s fed %s, against OpenCV', (model, input) => {
  it('gives every layer the top shapes OpenCV produced, following the deploy prototxt in file order', () => {
    const dir = (...p: string[]): string => fixture('models', model, ...p);
    const expectedDir = dir('expected', input);
    const index = JSON.parse(readFileSync(`${expectedDir}/index.json`, 'utf8')) as {
      input: { shape: number[] };
      pruned?: { full_layers: Record<string, { shapes: number[][] }> };
    };
    // Per layer, its tops as OpenCV produced them; `<layer>__<i>` holds top i of a multi-top layer.
    const flat = JSON.parse(readFileSync(`${expectedDir}/shapes.json`, 'utf8')) as Record<string, number[]>;
    const expectedTops = (name: string): number[][] | undefined =>
      index.pruned?.full_layers[name]?.shapes ??
      (flat[name] ? [flat[name], ...Object.keys(flat).filter((k) => k.startsWith(`${name}__`)).sort().map((k) => flat[k])] : undefined);

    const net = parsePrototxt(readFileSync(dir('deploy.prototxt'), 'utf8'));
    const blobs = new Map<string, number[]>();
    for (const name of (net.input as string[] | undefined) ?? []) blobs.set(name, index.input.shape);
    let checked = 0;
    for (const l of net.layer as Message[]) {
      const tops = (l.top as string[] | undefined) ?? [];
      if (l.type === 'Input') {
        tops.forEach((t) => blobs.set(t, index.input.shape));
        continue;
      }
      const bottoms = ((l.bottom as string[] | undefined) ?? []).map((b) => blobs.get(b)!);
      const out = shapesOf(l, bottoms, tops.length).tops;
      tops.forEach((t, i) => blobs.set(t, out[i]));
      const want = expectedTops(String(l.name));
      if (!want) continue;
      expect(out.slice(0, want.length), String(l.name)).toEqual(want);
      checked++;
    }
    expect(checked).toBe(index.pruned ? Object.keys(index.pruned.full_layers).length : Object.keys(flat).filter((k) => !k.includes('__')).length);
  });
});
