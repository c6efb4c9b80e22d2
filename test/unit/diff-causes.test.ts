/**
 * The diff names the cause of a first divergence only where the numbers show it: a small net (conv,
 * ReLU, LRN, ceil-mode pooling, InnerProduct) run by the reference is compared with the same net built
 * or fed with one bug each, as a converter or a user's preprocessing gets it wrong. The floor-pooled
 * candidate is computed by TF.js' own 'valid' max pool, not by this code.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffRuns, expectedFromRun, type Expected } from '../../src/main/engine/diff.js';
import { createReferenceEngine } from '../../src/main/engine/reference.js';
import type { RunResult } from '../../src/main/engine/types.js';
import type { Blob } from '../../src/main/layers/types.js';
import { loadCaffeNet, type CaffeNet } from '../../src/main/net/model.js';
import { mulberry32 } from '../helpers/prng.js';

const net = (alpha: number): string =>
  [
    'name: "bugs"',
    'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 14 dim: 14 } } }',
    'layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }',
    'layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }',
    `layer { name: "norm1" type: "LRN" bottom: "conv1" top: "norm1" lrn_param { local_size: 3 alpha: ${alpha} beta: 0.75 } }`,
    // 14 -> 7 rounded up as Caffe does, 6 rounded down.
    'layer { name: "pool1" type: "Pooling" bottom: "norm1" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }',
    'layer { name: "ip1" type: "InnerProduct" bottom: "pool1" top: "ip1" inner_product_param { num_output: 5 } }',
    '',
  ].join('\n');

const random = mulberry32(20261203);
const values = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);

let dir: string;
let model: CaffeNet;
let input: Blob;
let truth: RunResult;

async function open(alpha: number, weights: Map<string, { shape: number[]; data: Float32Array }[]>): Promise<CaffeNet> {
  const file = join(dir, `bugs-${alpha}.prototxt`);
  writeFileSync(file, net(alpha));
  const m = await loadCaffeNet({ prototxt: file });
  for (const [k, v] of weights) m.weights.set(k, v);
  return m;
}
const run = (m: CaffeNet, x: Blob): Promise<RunResult> => createReferenceEngine(m).run({ data: x }, { capture: true });
const withWeights = (m: CaffeNet, layer: string, blobs: { shape: number[]; data: Float32Array }[]): CaffeNet => ({ ...m, weights: new Map([...m.weights, [layer, blobs]]) });
const firstCause = (candidate: RunResult, expected: Expected = expectedFromRun(truth)): { layer: string; cause?: string } => {
  const report = diffRuns(candidate, expected, model, 'reference');
  const row = report.rows[report.first ?? -1];
  return { layer: row?.layer, cause: row?.cause };
};
/** Caffe's dumps without the input blob, as pycaffe users often save them. */
const withoutInput: () => Expected = () => {
  const e = expectedFromRun(truth);
  return (layer, top) => (layer === 'data' ? undefined : e(layer, top));
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portafilter-causes-'));
  const weights = new Map([
    ['conv1', [{ shape: [4, 3, 3, 3], data: values(108) }, { shape: [4], data: values(4, 0.1) }]],
    ['ip1', [{ shape: [5, 4 * 7 * 7], data: values(5 * 196) }, { shape: [5], data: values(5, 0.1) }]],
  ]);
  model = await open(0.5, weights);
  input = { shape: [1, 3, 14, 14], data: values(3 * 196, 50) };
  truth = await run(model, input);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the likely cause of a first divergence, read from the numbers', () => {
  it('names kernels rotated by 180° at the convolution', async () => {
    const [w, b] = model.weights.get('conv1')!;
    const rotated = new Float32Array(w.data.length);
    for (let k = 0; k < w.data.length; k += 9) for (let i = 0; i < 9; i++) rotated[k + i] = w.data[k + 8 - i];
    const got = firstCause(await run(withWeights(model, 'conv1', [{ shape: w.shape, data: rotated }, b]), input));
    expect(got.layer).toBe('conv1');
    expect(got.cause).toMatch(/^kernels rotated 180°/);
  });

  it('names the H·W·C flatten before the first InnerProduct', async () => {
    const [w, b] = model.weights.get('ip1')!;
    // A converter that flattens channels-last: row o reads the pool output in H, W, C order.
    const hwc = new Float32Array(w.data.length);
    for (let o = 0; o < 5; o++)
      for (let c = 0; c < 4; c++) for (let y = 0; y < 7; y++) for (let x = 0; x < 7; x++) hwc[o * 196 + c * 49 + y * 7 + x] = w.data[o * 196 + (y * 7 + x) * 4 + c];
    const got = firstCause(await run(withWeights(model, 'ip1', [{ shape: w.shape, data: hwc }, b]), input));
    expect(got).toEqual({ layer: 'ip1', cause: expect.stringMatching(/^flatten order: the output is what the weights give on a channels-last H·W·C flatten/) });
  });

  it('names LRN alpha not divided by local_size', async () => {
    const undivided = await open(0.5 * 3, model.weights);
    const got = firstCause(await run(undivided, input));
    expect(got.layer).toBe('norm1');
    expect(got.cause).toMatch(/^LRN alpha/);
  });

  it('names floor instead of ceil pooling, with TF.js’ valid max pool as the converted layer', async () => {
    const norm1 = truth.layers.find((l) => l.layer === 'norm1')!.tops[0].value;
    const nhwc = tf.transpose(tf.tensor4d(norm1.data, norm1.shape as [number, number, number, number]), [0, 2, 3, 1]);
    const pooled = tf.transpose(tf.maxPool(nhwc, 3, 2, 'valid'), [0, 3, 1, 2]);
    const floor: Blob = { shape: pooled.shape, data: pooled.dataSync() as Float32Array };
    expect(floor.shape).toEqual([1, 4, 6, 6]);
    const candidate: RunResult = { ...truth, layers: truth.layers.map((l) => (l.layer === 'pool1' ? { ...l, tops: [{ ...l.tops[0], value: floor }] } : l)) };
    const got = firstCause(candidate);
    expect(got.layer).toBe('pool1');
    expect(got.cause).toMatch(/^pooling rounding: .*7×7 → 6×6.*rounded down \(floor\)/);
  });

  const swapped = (): Blob => {
    const data = new Float32Array(input.data.length);
    for (let c = 0; c < 3; c++) data.set(input.data.subarray((2 - c) * 196, (3 - c) * 196), c * 196);
    return { shape: input.shape, data };
  };
  const shifted = (): Blob => ({ shape: input.shape, data: input.data.map((v, i) => v + [104, 117, 123][Math.floor(i / 196)]) });
  const scaled = (): Blob => ({ shape: input.shape, data: input.data.map((v) => v * 2) });

  it('names the channel order, the mean and the scale at the input, when the dumps hold it', async () => {
    expect(firstCause(await run(model, swapped()))).toEqual({ layer: 'data', cause: expect.stringMatching(/^channel order/) });
    expect(firstCause(await run(model, shifted()))).toEqual({ layer: 'data', cause: expect.stringMatching(/^mean/) });
    expect(firstCause(await run(model, scaled()))).toEqual({ layer: 'data', cause: expect.stringMatching(/^input scale: the input is 2\.000×/) });
  });

  it('names them at the first convolution when the dumps leave the input out', async () => {
    expect(firstCause(await run(model, swapped()), withoutInput())).toEqual({ layer: 'conv1', cause: expect.stringMatching(/^channel order/) });
    expect(firstCause(await run(model, shifted()), withoutInput())).toEqual({ layer: 'conv1', cause: expect.stringMatching(/^mean/) });
    expect(firstCause(await run(model, scaled()), withoutInput())).toEqual({ layer: 'conv1', cause: expect.stringMatching(/^input scale: Caffe’s numbers come from the input multiplied by 0\.5000/) });
  });

  it('names nothing it has not checked: an LRN off in its beta', async () => {
    const file = join(dir, 'beta.prototxt');
    writeFileSync(file, net(0.5).replace('beta: 0.75', 'beta: 0.5'));
    const other = await loadCaffeNet({ prototxt: file });
    for (const [k, v] of model.weights) other.weights.set(k, v);
    const got = firstCause(await run(other, input));
    expect(got).toEqual({ layer: 'norm1', cause: undefined });
  });
});
