/**
 * reference_executor: how long the Caffe-semantics reference takes on real-sized nets (one image,
 * capture on, the second of two runs): UltraFace slim/RFB-320 from the shared fixtures, and
 * VGG_CNN_S (2.6 GMAC, Chatfield et al. 2014) and CaffeNet at batch 1 with seeded random weights.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from './types.js';
import { npyToFloat32, readNpy } from '../src/main/caffe/npy.js';
import { createReferenceEngine } from '../src/main/engine/reference.js';
import { loadCaffeNet, type CaffeNet } from '../src/main/net/model.js';
import { mulberry32 } from '../test/helpers/prng.js';

const fixtures = process.env.PORTAFILTER_FIXTURES ?? resolve(fileURLToPath(new URL('.', import.meta.url)), '../test/fixtures');

const VGG_CNN_S = `name: "VGG_CNN_S"
input: "data"
input_shape { dim: 1 dim: 3 dim: 224 dim: 224 }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 96 kernel_size: 7 stride: 2 } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "norm1" type: "LRN" bottom: "conv1" top: "norm1" lrn_param { local_size: 5 alpha: 0.0005 beta: 0.75 k: 2 } }
layer { name: "pool1" type: "Pooling" bottom: "norm1" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 3 } }
layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2" convolution_param { num_output: 256 kernel_size: 5 } }
layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "conv3" type: "Convolution" bottom: "pool2" top: "conv3" convolution_param { num_output: 512 pad: 1 kernel_size: 3 } }
layer { name: "relu3" type: "ReLU" bottom: "conv3" top: "conv3" }
layer { name: "conv4" type: "Convolution" bottom: "conv3" top: "conv4" convolution_param { num_output: 512 pad: 1 kernel_size: 3 } }
layer { name: "relu4" type: "ReLU" bottom: "conv4" top: "conv4" }
layer { name: "conv5" type: "Convolution" bottom: "conv4" top: "conv5" convolution_param { num_output: 512 pad: 1 kernel_size: 3 } }
layer { name: "relu5" type: "ReLU" bottom: "conv5" top: "conv5" }
layer { name: "pool5" type: "Pooling" bottom: "conv5" top: "pool5" pooling_param { pool: MAX kernel_size: 3 stride: 3 } }
layer { name: "fc6" type: "InnerProduct" bottom: "pool5" top: "fc6" inner_product_param { num_output: 4096 } }
layer { name: "relu6" type: "ReLU" bottom: "fc6" top: "fc6" }
layer { name: "fc7" type: "InnerProduct" bottom: "fc6" top: "fc7" inner_product_param { num_output: 4096 } }
layer { name: "relu7" type: "ReLU" bottom: "fc7" top: "fc7" }
layer { name: "fc8" type: "InnerProduct" bottom: "fc7" top: "fc8" inner_product_param { num_output: 1000 } }
layer { name: "prob" type: "Softmax" bottom: "fc8" top: "prob" }
`;

/** Multiply-accumulates of the 2-D convolutions and inner products. */
function macs(net: CaffeNet): number {
  let total = 0;
  for (const layer of net.graph.layers) {
    const { blobShapes, topShapes } = net.shapes.layers[layer.index];
    const weights = blobShapes[0]?.reduce((a, b) => a * b, 1) ?? 0;
    const top = topShapes[0];
    if (layer.type === 'InnerProduct') total += weights * top.slice(0, -1).reduce((a, b) => a * b, 1);
    else if (layer.type === 'Convolution') total += weights * top[0] * top.slice(2).reduce((a, b) => a * b, 1);
  }
  return total;
}

async function synthetic(name: string, text: string, input: string, shape: number[]) {
  const dir = join(tmpdir(), 'portafilter-bench');
  mkdirSync(dir, { recursive: true });
  const prototxt = join(dir, `${name}.prototxt`);
  writeFileSync(prototxt, text);
  const net = await loadCaffeNet({ prototxt, inputShapes: { [input]: shape } });
  const next = mulberry32(1701);
  for (const layer of net.graph.layers) {
    const shapes = net.shapes.layers[layer.index].blobShapes;
    if (shapes.length > 0)
      net.weights.set(layer.name, shapes.map((s) => ({ shape: s, data: Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => (next() - 0.5) * 0.05) })));
  }
  return { net, inputs: { [input]: { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next() - 0.5) } } };
}

async function fixture(model: string, input: string) {
  const index = JSON.parse(readFileSync(join(fixtures, 'models', model, 'expected', input, 'index.json'), 'utf8')) as { input: { name: string; shape: number[]; file: string } };
  const net = await loadCaffeNet({
    prototxt: join(fixtures, 'models', model, 'deploy.prototxt'),
    caffemodel: join(fixtures, 'models', model, 'weights.caffemodel'),
    inputShapes: { [index.input.name]: index.input.shape },
  });
  return { net, inputs: { [index.input.name]: { shape: index.input.shape, data: npyToFloat32(readNpy(join(fixtures, index.input.file))) } } };
}

export const referenceExecutor: Benchmark = {
  name: 'reference_executor',
  title: 'Caffe-semantics reference executor, one image',
  async run(log) {
    const metrics: Record<string, number> = {};
    const rows: Array<[string, string]> = [];
    const cases: Array<[string, () => ReturnType<typeof fixture>]> = [];
    if (existsSync(join(fixtures, 'models'))) {
      cases.push(['ultraface_slim320', () => fixture('ultraface_slim320', 'sample_1')]);
      cases.push(['ultraface_rfb320', () => fixture('ultraface_rfb320', 'sample_1')]);
      const caffenet = join(fixtures, 'prototxts', 'bvlc_reference_caffenet.prototxt');
      cases.push(['caffenet', () => synthetic('caffenet', readFileSync(caffenet, 'utf8'), 'data', [1, 3, 227, 227])]);
    }
    cases.push(['vgg_cnn_s', () => synthetic('vgg_cnn_s', VGG_CNN_S, 'data', [1, 3, 224, 224])]);
    for (const [name, load] of cases) {
      log(`${name}: loading`);
      const { net, inputs } = await load();
      const engine = createReferenceEngine(net);
      await engine.run(inputs);
      const run = await engine.run(inputs);
      const seconds = run.milliseconds / 1000;
      const gmac = macs(net) / 1e9;
      metrics[`${name}_seconds`] = seconds;
      metrics[`${name}_gmac`] = gmac;
      rows.push([name, `${seconds.toFixed(2)} s for ${gmac.toFixed(2)} GMAC (${(gmac / seconds).toFixed(2)} GMAC/s)`]);
      log(`${name}: ${seconds.toFixed(2)} s`);
    }
    return { metrics, rows };
  },
};
