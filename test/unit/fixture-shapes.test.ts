/**
 * Every layer of every fixture net gets exactly the shapes an independent Caffe implementation
 * (OpenCV's dnn, see the fixtures README) computed, and every fixture model's weights pass the
 * blob-shape check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCaffeNet } from '../../src/main/net/model.js';
import { FIXTURE_MODELS, FIXTURE_PROTOTXTS, fixture } from '../helpers/fixtures.js';

interface ShapesJson {
  input: number[];
  input_name: string;
  data_dependent: string[];
  layers: { name: string; type: string; bottoms: string[]; tops: string[]; top_shapes: number[][]; blob_shapes?: number[][] }[];
}

describe('shapes of the well-known deploy prototxts match OpenCV layer for layer', () => {
  for (const name of FIXTURE_PROTOTXTS) {
    it(`${name}`, async () => {
      const expected = JSON.parse(readFileSync(fixture(`prototxts/${name}.shapes.json`), 'utf8')) as ShapesJson;
      const model = await loadCaffeNet({ prototxt: fixture(`prototxts/${name}.prototxt`) });
      const ours = new Map(model.graph.layers.map((l) => [l.name, l]));
      const declaredAsNetInput = !expected.layers.some((l) => l.type === 'Input');
      // Nets declared with `input:` get the Input layer Caffe's UpgradeNetInput makes; OpenCV lists none.
      expect(model.graph.layers.length).toBe(expected.layers.length + (declaredAsNetInput ? 1 : 0));
      if (declaredAsNetInput) {
        const input = ours.get('input')!;
        expect(input.type).toBe('Input');
        expect(model.shapes.layers[input.index].topShapes).toEqual([expected.input]);
      }
      for (const e of expected.layers) {
        const layer = ours.get(e.name);
        expect(layer, `layer ${e.name}`).toBeDefined();
        const got = model.shapes.layers[layer!.index];
        expect({ name: e.name, type: layer!.type, bottoms: layer!.bottoms, tops: layer!.tops }).toEqual({
          name: e.name,
          type: e.type,
          bottoms: e.bottoms,
          tops: e.tops,
        });
        expect(got.dataDependent, `${e.name} data-dependent`).toBe(expected.data_dependent.includes(e.name));
        expect({ name: e.name, top_shapes: got.topShapes }).toEqual({ name: e.name, top_shapes: e.top_shapes });
        if (e.blob_shapes) expect({ name: e.name, blob_shapes: got.blobShapes }).toEqual({ name: e.name, blob_shapes: e.blob_shapes });
      }
    });
  }
});

interface IndexJson {
  input: { name: string; shape: number[] };
  layers: Record<string, { type: string; shapes: number[][]; bottoms?: string[]; tops?: string[] }>;
  pruned?: { full_layers: Record<string, { type: string; shapes: number[][] }> };
}

describe('fixture models load with their weights and match OpenCV shapes for every fed input', () => {
  for (const name of FIXTURE_MODELS) {
    for (const input of readdirSync(fixture(`models/${name}/expected`))) {
      it(`${name} fed ${input}`, async () => {
        const index = JSON.parse(readFileSync(fixture(`models/${name}/expected/${input}/index.json`), 'utf8')) as IndexJson;
        const model = await loadCaffeNet({
          prototxt: fixture(`models/${name}/deploy.prototxt`),
          caffemodel: fixture(`models/${name}/weights.caffemodel`),
          inputShapes: { [index.input.name]: index.input.shape },
        });
        const layers = index.pruned?.full_layers ?? index.layers;
        const ours = new Map(model.graph.layers.map((l) => [l.name, l]));
        for (const [layerName, e] of Object.entries(layers)) {
          const layer = ours.get(layerName);
          expect(layer, `layer ${layerName}`).toBeDefined();
          expect({ layer: layerName, type: layer!.type, shapes: model.shapes.layers[layer!.index].topShapes }).toEqual({
            layer: layerName,
            type: e.type,
            shapes: e.shapes,
          });
        }
        // Every layer with learnable blobs got its weights, shaped as the prototxt implies.
        for (const layer of model.graph.layers) {
          const blobs = model.shapes.layers[layer.index].blobShapes;
          if (blobs.length === 0) continue;
          expect(model.weights.get(layer.name)?.map((w) => w.shape), layer.name).toEqual(blobs);
        }
      });
    }
  }
});

describe("the CIFAR-10 'prediction example' V1 text: data, accuracy and loss layers around the same net", () => {
  it('loads with the real legacy V1 caffemodel; its layers get the deploy net’s OpenCV shapes at the batch of 3 it declares', async () => {
    const model = await loadCaffeNet({
      prototxt: fixture('models/cifar10_quick/extra/prediction_example.v1.prototxt'),
      caffemodel: fixture('models/cifar10_quick/weights.caffemodel'),
    });
    expect(model.prototxtFormat).toBe('V1');
    const index = JSON.parse(readFileSync(fixture('models/cifar10_quick/expected/cat10/index.json'), 'utf8')) as IndexJson;
    const shape = (name: string): number[][] => model.shapes.layers[model.graph.layers.find((l) => l.name === name)!.index].topShapes;
    for (const [name, e] of Object.entries(index.layers)) {
      expect({ name, shapes: shape(name) }).toEqual({ name, shapes: e.shapes.map(([, ...rest]) => [3, ...rest]) });
    }
    expect(shape('data')).toEqual([[3, 3, 32, 32], [3]]);
    expect(shape('accuracy')).toEqual([[]]);
    expect(shape('loss')).toEqual([[]]);
    expect(shape('argmax')).toEqual([[3, 1, 5]]);
    expect(model.weights.get('ip2')!.map((w) => w.shape)).toEqual([[10, 64], [10]]);
  });
});
