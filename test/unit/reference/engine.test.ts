import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createReferenceEngine } from '../../../src/main/engine/reference.js';
import { registerLayer } from '../../../src/main/layers/index.js';
import { loadCaffeNet, type CaffeNet } from '../../../src/main/net/model.js';
import { EngineError, UnsupportedLayerError } from '../../../src/shared/errors.js';
import { tensor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'portafilter-reference-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A net from prototxt text, with hand-set weights by layer name. */
async function net(text: string, weights: Record<string, number[][]> = {}, shapes: Record<string, number[][]> = {}): Promise<CaffeNet> {
  const prototxt = join(dir, `net${files++}.prototxt`);
  writeFileSync(prototxt, text);
  const model = await loadCaffeNet({ prototxt });
  for (const [name, blobs] of Object.entries(weights))
    model.weights.set(name, blobs.map((data, i) => ({ shape: shapes[name]?.[i] ?? [data.length], data: Float32Array.from(data) })));
  return model;
}

const CONV_RELU = `
input: "data"
input_shape { dim: 1 dim: 1 dim: 2 dim: 2 }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 1 kernel_size: 1 } }
layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
layer { name: "scale" type: "Power" bottom: "conv" top: "out" power_param { scale: 10 } }
`;
const convRelu = () => net(CONV_RELU, { conv: [[2], [-1]] }, { conv: [[1, 1, 1, 1], [1]] });
const X = tensor([1, 1, 2, 2], [1, 0, -1, 2]);

describe('the reference executor', () => {
  it("keeps an in-place layer's input as it was: conv's value before the ReLU, relu's after, both on blob 'conv'", async () => {
    const run = await createReferenceEngine(await convRelu()).run({ data: X });
    const byLayer = Object.fromEntries(run.layers.map((l) => [l.layer, l]));
    expect(byLayer.conv.tops[0].blob).toBe('conv');
    expect(Array.from(byLayer.conv.tops[0].value.data)).toEqual([1, -1, -3, 3]);
    expect(byLayer.relu.tops[0].blob).toBe('conv');
    expect(Array.from(byLayer.relu.tops[0].value.data)).toEqual([1, 0, 0, 3]);
    expect(run.outputs.map((o) => [o.blob, Array.from(o.value.data)])).toEqual([['out', [10, 0, 0, 30]]]);
    expect(run.engine).toBe('reference');
  });

  it('lists every layer that ran, in execution order, the net input included', async () => {
    const run = await createReferenceEngine(await convRelu()).run({ data: X });
    expect(run.layers.map((l) => `${l.layer}:${l.type}`)).toEqual(['input:Input', 'conv:Convolution', 'relu:ReLU', 'scale:Power']);
    expect(run.layers[0].tops[0].value).toBe(X);
  });

  it('returns only the producers of the net outputs without capture, with the same outputs', async () => {
    const engine = createReferenceEngine(await convRelu());
    const full = await engine.run({ data: X });
    const lean = await engine.run({ data: X }, { capture: false });
    expect(lean.layers.map((l) => l.layer)).toEqual(['scale']);
    expect(lean.outputs).toEqual(full.outputs);
  });

  it('leaves out loss layers and the label they read', async () => {
    const model = await net(`
layer { name: "in" type: "Input" top: "data" top: "label" input_param { shape { dim: 1 dim: 3 } shape { dim: 1 } } }
layer { name: "prob" type: "Softmax" bottom: "data" top: "prob" }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "data" bottom: "label" top: "loss" }
`);
    const run = await createReferenceEngine(model).run({ data: tensor([1, 3], [0, 0, 0]) });
    expect(run.layers.map((l) => l.layer)).toEqual(['in', 'prob']);
    expect(run.outputs.map((o) => o.blob)).toEqual(['prob']);
  });

  it('stops between layers when the signal aborts', async () => {
    const engine = createReferenceEngine(await convRelu());
    const controller = new AbortController();
    controller.abort();
    await expect(engine.run({ data: X }, { signal: controller.signal })).rejects.toThrow(/abort/i);
    const running = new AbortController();
    const run = engine.run({ data: X }, { signal: running.signal });
    setImmediate(() => running.abort());
    await expect(run).rejects.toThrow(/abort/i);
  });

  it('refuses a missing, unknown or misshapen input with an EngineError naming it', async () => {
    const engine = createReferenceEngine(await convRelu());
    await expect(engine.run({})).rejects.toThrow(EngineError);
    await expect(engine.run({})).rejects.toThrow(/'data' \[1, 1, 2, 2\] is not given/);
    await expect(engine.run({ data: X, other: X })).rejects.toThrow(/no net input named 'other'/);
    await expect(engine.run({ data: tensor([1, 1, 1, 4], [1, 2, 3, 4]) })).rejects.toThrow(/shape \[1, 1, 1, 4\] but the model is shaped for \[1, 1, 2, 2\]/);
  });

  it('refuses a model without the weights a layer needs, naming the layer', async () => {
    let caught: unknown;
    try {
      createReferenceEngine(await net(CONV_RELU));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(EngineError);
    expect((caught as EngineError).location?.layer).toBe('conv');
    expect((caught as EngineError).message).toMatch(/no weights/);
  });

  it('lists every layer it has no Caffe-semantics op for in one UnsupportedLayerError', async () => {
    registerLayer({ type: 'NoReferenceOp', meta: { category: 'other' }, bottoms: { min: 1 }, tops: { min: 1, max: 1 }, shapes: (ctx) => ({ tops: [[...ctx.bottoms[0]]], blobs: [] }) });
    const model = await net(`
input: "data"
input_shape { dim: 1 dim: 3 }
layer { name: "a" type: "NoReferenceOp" bottom: "data" top: "a" }
layer { name: "b" type: "Sigmoid" bottom: "a" top: "b" }
layer { name: "c" type: "NoReferenceOp" bottom: "b" top: "c" }
`);
    expect(() => createReferenceEngine(model)).toThrow(UnsupportedLayerError);
    expect(() => createReferenceEngine(model)).toThrow(/'a' \(NoReferenceOp\).*'c' \(NoReferenceOp\).*reference executor/);
  });
});
