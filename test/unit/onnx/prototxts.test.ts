/**
 * The well-known deploy prototxts (shared/fixtures/prototxts) exported with placeholder weights and
 * run by onnxruntime at batch 1: every layer's output has the shape OpenCV gave it (its
 * <name>.shapes.json, at the declared batch, which axis 0 scales).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createOnnxEngine } from '../../../src/main/engine/onnx-engine.js';
import { loadCaffeNet } from '../../../src/main/net/model.js';
import { fixture } from '../../helpers/fixtures.js';

interface Shapes {
  input: number[];
  input_name: string;
  layers: { name: string; top_shapes: number[][]; source: string }[];
}

// VGG-19 (20 GMAC, 144 M parameters) is left to the benchmarks; MobileNet-SSD ends in DetectionOutput,
// which has no ONNX mapping (see export.test.ts).
const NETS = ['bvlc_alexnet', 'bvlc_reference_caffenet', 'bvlc_googlenet', 'ResNet-50-deploy', 'SqueezeNet_v1.0', 'SqueezeNet_v1.1'];

describe.each(NETS)('the ONNX export of %s', (name) => {
  it("gives every layer OpenCV's output shape at batch 1", async () => {
    const shapes = JSON.parse(readFileSync(fixture('prototxts', `${name}.shapes.json`), 'utf8')) as Shapes;
    const batch = shapes.input[0];
    const input = [1, ...shapes.input.slice(1)];
    const net = await loadCaffeNet({ prototxt: fixture('prototxts', `${name}.prototxt`), inputShapes: { [shapes.input_name]: input } });
    for (const layer of net.graph.layers) {
      const blobs = net.shapes.layers[layer.index].blobShapes;
      if (blobs.length > 0) net.weights.set(layer.name, blobs.map((shape) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) })));
    }
    const engine = createOnnxEngine(net);
    const result = await engine.run({ [shapes.input_name]: { shape: input, data: new Float32Array(input.reduce((a, b) => a * b, 1)) } });
    engine.dispose();
    const got = new Map(result.layers.map((l) => [l.layer, l.tops.map((t) => t.value.shape)]));
    const mismatches = shapes.layers
      .filter((l) => l.source === 'opencv')
      .map((l) => ({ layer: l.name, opencv: l.top_shapes.map((s) => (s[0] === batch ? [1, ...s.slice(1)] : s)), onnx: got.get(l.name) }))
      .filter((m) => JSON.stringify(m.opencv) !== JSON.stringify(m.onnx));
    expect(mismatches).toEqual([]);
  });
});
