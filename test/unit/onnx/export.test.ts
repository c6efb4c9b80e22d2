/**
 * The ONNX file itself: its inputs, outputs and initializers, its orderings, its batch axis, and the
 * errors for nets it cannot express.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { npyToFloat32, readNpy } from '../../../src/main/caffe/npy.js';
import { createOnnxEngine } from '../../../src/main/engine/onnx-engine.js';
import { toOnnx } from '../../../src/main/export/onnx.js';
import { decodeModel } from '../../../src/main/export/onnx-schema.js';
import { loadCaffeNet, type CaffeNet } from '../../../src/main/net/model.js';
import { UnsupportedLayerError } from '../../../src/shared/errors.js';
import { withinTolerance } from '../../helpers/compare.js';
import { fixture } from '../../helpers/fixtures.js';
import { blob, tinyNet, withInput } from './helpers.js';

const lenet = (): Promise<CaffeNet> =>
  loadCaffeNet({
    prototxt: fixture('models/lenet_mnist/deploy.prototxt'),
    caffemodel: fixture('models/lenet_mnist/weights.caffemodel'),
    inputShapes: { data: [1, 1, 28, 28] },
  });

type Dims = { dim_value?: number; dim_param?: string }[];
const dimsOf = (v: { type: { tensor_type: { shape: { dim: Dims } } } }): (number | string | undefined)[] =>
  v.type.tensor_type.shape.dim.map((d) => d.dim_param ?? d.dim_value);

describe('the ONNX export of LeNet', () => {
  it('declares opset 17, the batch as the symbol N, and the weights as raw float32 initializers', async () => {
    const net = await lenet();
    const { bytes, inputs, outputs, batch } = toOnnx(net, { ordering: 'channels_first' });
    const model = decodeModel(bytes);
    expect(model.opset_import).toEqual([{ domain: '', version: 17 }]);
    expect(batch).toBe('symbolic');
    expect(model.graph.input.map((v) => [v.name, dimsOf(v)])).toEqual([['data', ['N', 1, 28, 28]]]);
    expect(model.graph.output.map((v) => [v.name, dimsOf(v)])).toEqual([['prob', ['N', 10]]]);
    expect(inputs.map((v) => v.blob)).toEqual(['data']);
    expect(outputs.map((v) => v.blob)).toEqual(['prob']);
    const weight = model.graph.initializer.find((t) => t.name === 'conv1/weight')!;
    expect(weight.dims).toEqual([20, 1, 5, 5]);
    expect(weight.data_type).toBe(1);
    const caffe = net.weights.get('conv1')![0].data;
    expect(new Float32Array(Uint8Array.from(weight.raw_data).buffer)).toEqual(caffe);
  });

  it('takes NHWC and gives NHWC 4-D tensors with channels_last, 2-D ones unchanged', async () => {
    const { bytes, captures } = toOnnx(await lenet(), { ordering: 'channels_last', captureAll: true });
    const model = decodeModel(bytes);
    expect(dimsOf(model.graph.input[0])).toEqual(['N', 28, 28, 1]);
    const conv1 = captures.find((c) => c.layer === 'conv1')!.tops[0];
    expect(conv1.perm).toEqual([0, 2, 3, 1]);
    expect(conv1.dims).toEqual(['N', 24, 24, 20]);
    expect(captures.find((c) => c.layer === 'ip1')!.tops[0].dims).toEqual(['N', 500]);
  });

  it('gives an in-place layer an output of its own, apart from its input', async () => {
    const { captures } = toOnnx(await lenet(), { ordering: 'channels_first', captureAll: true });
    const ip1 = captures.find((c) => c.layer === 'ip1')!.tops[0];
    const relu1 = captures.find((c) => c.layer === 'relu1')!.tops[0];
    expect(ip1.blob).toBe('ip1');
    expect(relu1.blob).toBe('ip1');
    expect(ip1.name).not.toBe(relu1.name);
    expect(captures.map((c) => c.layer)).toEqual(['conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'prob']);
  });

  it('runs the three drawn digits as one batch of 3', async () => {
    const digits = ['digit_3', 'digit_7', 'digit_0'];
    const data = new Float32Array(3 * 28 * 28);
    digits.forEach((d, i) => data.set(npyToFloat32(readNpy(fixture(`models/lenet_mnist/${d}.npy`))), i * 28 * 28));
    const engine = createOnnxEngine(await lenet());
    const result = await engine.run({ data: { shape: [3, 1, 28, 28], data } }, { capture: false });
    engine.dispose();
    const prob = result.outputs.find((o) => o.blob === 'prob')!.value;
    expect(prob.shape).toEqual([3, 10]);
    digits.forEach((d, i) => {
      const ref = npyToFloat32(readNpy(fixture(`models/lenet_mnist/expected/${d}/prob.npy`)));
      expect(withinTolerance(prob.data.subarray(i * 10, i * 10 + 10), ref, { final: true }).ok, d).toBe(true);
    });
  });
});

describe('the ONNX export and the batch axis', () => {
  it("follows Caffe's literal Reshape dims at another batch size (UltraFace's [1, -1, 2])", async () => {
    const dir = fixture('models/ultraface_slim320');
    const net = await loadCaffeNet({ prototxt: `${dir}/deploy.prototxt`, caffemodel: `${dir}/weights.caffemodel`, inputShapes: { input: [1, 3, 240, 320] } });
    const image = npyToFloat32(readNpy(`${dir}/sample_1.npy`));
    const data = new Float32Array(image.length * 2);
    data.set(image);
    data.set(image, image.length);
    const engine = createOnnxEngine(net);
    const result = await engine.run({ input: { shape: [2, 3, 240, 320], data } }, { capture: false });
    engine.dispose();
    const scores = result.outputs.find((o) => o.blob === 'scores')!.value;
    // Caffe's Reshape keeps the literal 1 and folds the batch into the -1: [1, 2·4420, 2]. Each head's
    // rows (30×40×3, 15×20×2, 8×10×2, 4×5×3 anchors) hold item 0 then item 1, and Concat joins the heads.
    expect(scores.shape).toEqual([1, 8840, 2]);
    const ref = npyToFloat32(readNpy(`${dir}/expected/sample_1/scores.npy`));
    const heads = [3600, 600, 160, 60];
    const expectedRows: Float32Array[] = [];
    let at = 0;
    for (const rows of heads) {
      const head = ref.subarray(at * 2, (at + rows) * 2);
      expectedRows.push(head, head);
      at += rows;
    }
    expect(at * 2).toBe(ref.length);
    const expectedScores = new Float32Array(ref.length * 2);
    expectedRows.reduce((offset, rows) => (expectedScores.set(rows, offset), offset + rows.length), 0);
    expect(withinTolerance(scores.data, expectedScores, { final: true }).ok).toBe(true);
  });

  it('keeps literal dims when the shapes pin the batch size', async () => {
    const net = await tinyNet(withInput([1, 8], `layer { name: "r" type: "Reshape" bottom: "data" top: "r" reshape_param { shape { dim: 2 dim: 4 } } }`));
    const { bytes, batch, notes } = toOnnx(net, { ordering: 'channels_first' });
    expect(batch).toBe('fixed');
    expect(notes.join(' ')).toMatch(/batch size is fixed at 1/);
    expect(dimsOf(decodeModel(bytes).graph.input[0])).toEqual([1, 8]);
    const engine = createOnnxEngine(net);
    const result = await engine.run({ data: blob([1, 8], [0, 1, 2, 3, 4, 5, 6, 7]) });
    engine.dispose();
    expect(result.outputs[0].value.shape).toEqual([2, 4]);
  });
});

describe('the ONNX export of nets it cannot express', () => {
  it('lists every layer without an ONNX mapping in one error', async () => {
    const net = await loadCaffeNet({ prototxt: fixture('prototxts/MobileNet-SSD_deploy.prototxt') });
    let caught: unknown;
    try {
      toOnnx(net, { ordering: 'channels_first' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UnsupportedLayerError);
    expect((caught as UnsupportedLayerError).layers.map((l) => `${l.name} (${l.type})`)).toEqual(['detection_out (DetectionOutput)']);
    expect((caught as Error).message).toMatch(/no ONNX mapping \(DetectionOutput\)/);
  });

  it('asks for the weights of every layer that has some', async () => {
    const text = readFileSync(fixture('models/lenet_mnist/deploy.prototxt'), 'utf8');
    const net = await tinyNet(text.replace(/input_param \{[^}]*\}[^}]*\}/, 'input_param { shape { dim: 1 dim: 1 dim: 28 dim: 28 } }'));
    expect(() => toOnnx(net, { ordering: 'channels_first' })).toThrow(/no weights for 4 layer\(s\): 'conv1' \(Convolution\), 'conv2' \(Convolution\), 'ip1' \(InnerProduct\), 'ip2' \(InnerProduct\)/);
  });
});

describe('the onnxruntime engine', () => {
  it('names the net input it misses, refuses a wrong shape, and honours an aborted signal', async () => {
    const engine = createOnnxEngine(await lenet());
    expect(engine.name).toBe('onnxruntime');
    expect(engine.detail).toMatch(/^onnxruntime-node \d+\.\d+\.\d+ \(CPU, \d+ threads?\)$/);
    await expect(engine.run({})).rejects.toThrow(/no value given for the net input 'data'/);
    await expect(engine.run({ data: blob([1, 1, 28, 27], new Array(28 * 27).fill(0)) })).rejects.toThrow(/input 'data' has shape \[1, 1, 28, 27\], the model takes \[1, 1, 28, 28\]/);
    const controller = new AbortController();
    controller.abort();
    await expect(engine.run({ data: blob([1, 1, 28, 28], new Array(784).fill(0)) }, { signal: controller.signal })).rejects.toThrow();
    engine.dispose();
  });

  it('reports every layer in Caffe order when capturing, the input layer with the fed value', async () => {
    const engine = createOnnxEngine(await lenet(), { ordering: 'channels_last' });
    const data = blob([1, 1, 28, 28], new Array(784).fill(0.5));
    const result = await engine.run({ data });
    engine.dispose();
    expect(result.engine).toBe('onnxruntime');
    expect(result.ordering).toBe('channels_last');
    expect(result.layers.map((l) => l.layer)).toEqual(['data', 'conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'prob']);
    expect(result.layers[0].tops[0].value).toBe(data);
    // Caffe layout whatever the exported ordering
    expect(result.layers.find((l) => l.layer === 'conv1')!.tops[0].value.shape).toEqual([1, 20, 24, 24]);
  });
});
