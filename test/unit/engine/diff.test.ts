import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npyToFloat32, readNpy, writeNpy } from '../../../src/main/caffe/npy.js';
import { diffRuns, expectedFromDumps } from '../../../src/main/engine/diff.js';
import type { RunResult } from '../../../src/main/engine/types.js';
import type { Blob } from '../../../src/main/layers/types.js';
import { loadCaffeNet, type CaffeNet } from '../../../src/main/net/model.js';
import { fixture } from '../../helpers/fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'portafilter-diff-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const read = (file: string): Blob => {
  const npy = readNpy(file);
  return { shape: npy.shape, data: npyToFloat32(npy) };
};

/** A run whose every layer output is the fixture's expected value (what a perfect engine gives). */
function perfectRun(model: CaffeNet, dir: string, input: Blob): RunResult {
  return {
    engine: 'cpu',
    engineDetail: 'fixture values',
    form: 'keras',
    ordering: 'channels_last',
    layers: model.graph.layers.map((l) => ({
      layer: l.name,
      type: l.type,
      tops: l.tops.map((blob, i) => ({ blob, value: l.type === 'Input' ? input : read(join(dir, i === 0 ? `${l.name}.npy` : `${l.name}__${i}.npy`)) })),
    })),
    outputs: [],
    milliseconds: 0,
  };
}

const copyDir = (from: string, to: string): void => {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) if (f.endsWith('.npy')) copyFileSync(join(from, f), join(to, f));
};

let lenet: CaffeNet;
let lenetDir: string;
let lenetInput: Blob;
beforeAll(async () => {
  lenet = await loadCaffeNet({
    prototxt: fixture('models/lenet_mnist/deploy.prototxt'),
    caffemodel: fixture('models/lenet_mnist/weights.caffemodel'),
    inputShapes: { data: [1, 1, 28, 28] },
  });
  lenetDir = fixture('models/lenet_mnist/expected/digit_3');
  lenetInput = read(fixture('models/lenet_mnist/digit_3.npy'));
});

describe('layer-by-layer diff', () => {
  it('finds nothing to flag when the run equals the dumps', () => {
    const { expected, naming } = expectedFromDumps(lenetDir, lenet);
    expect(naming).toBe('layers'); // relu1.npy names an in-place layer
    const report = diffRuns(perfectRun(lenet, lenetDir, lenetInput), expected, lenet, lenetDir);
    expect(report.ok).toBe(true);
    expect(report.rows.filter((r) => r.status === 'ok').map((r) => r.layer)).toEqual(['conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'prob']);
  });

  it('marks a deliberately corrupted dump as the first divergence', () => {
    const dir = join(work, 'corrupt');
    copyDir(lenetDir, dir);
    const pool2 = read(join(dir, 'pool2.npy'));
    pool2.data[17] += 0.5;
    writeNpy(join(dir, 'pool2.npy'), pool2.shape, pool2.data);
    const report = diffRuns(perfectRun(lenet, lenetDir, lenetInput), expectedFromDumps(dir, lenet).expected, lenet, dir);
    expect(report.ok).toBe(false);
    expect(report.rows[report.first!]).toMatchObject({ layer: 'pool2', status: 'diverged' });
    expect(report.rows[report.first!].maxAbs).toBeCloseTo(0.5, 5);
  });

  it('matches pycaffe blob dumps to the last layer writing each blob (ip1 after the in-place relu1)', () => {
    const dir = join(work, 'blobs');
    mkdirSync(dir, { recursive: true });
    for (const blob of ['conv1', 'pool1', 'conv2', 'pool2', 'ip2', 'prob']) copyFileSync(join(lenetDir, `${blob}.npy`), join(dir, `${blob}.npy`));
    copyFileSync(join(lenetDir, 'relu1.npy'), join(dir, 'ip1.npy')); // net.blobs['ip1'] holds the value after relu1
    const { expected, naming } = expectedFromDumps(dir, lenet);
    expect(naming).toBe('blobs');
    const report = diffRuns(perfectRun(lenet, lenetDir, lenetInput), expected, lenet, dir);
    expect(report.ok).toBe(true);
    expect(report.rows.find((r) => r.layer === 'ip1')?.status).toBe('missing');
    expect(report.rows.find((r) => r.layer === 'relu1')?.status).toBe('ok');
  });

  it('recognises a channels-last tensor compared as N,C,H,W (ordering)', () => {
    const run = perfectRun(lenet, lenetDir, lenetInput);
    const conv1 = run.layers.find((l) => l.layer === 'conv1')!.tops[0];
    const [n, c, h, w] = conv1.value.shape;
    const nhwc = new Float32Array(conv1.value.data.length);
    for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) nhwc[p * c + ch] = conv1.value.data[ch * h * w + p];
    conv1.value = { shape: [n, h, w, c], data: nhwc };
    const report = diffRuns(run, expectedFromDumps(lenetDir, lenet).expected, lenet, lenetDir);
    expect(report.rows[report.first!]).toMatchObject({ layer: 'conv1', status: 'shape' });
    expect(report.rows[report.first!].cause).toMatch(/^ordering/);
  });

  it("recognises an InnerProduct fed an H·W·C flatten (flatten order), checked with the layer's weights", () => {
    const run = perfectRun(lenet, lenetDir, lenetInput);
    const pool2 = read(join(lenetDir, 'pool2.npy'));
    const [, c, h, w] = pool2.shape;
    const hwc = new Float32Array(pool2.data.length);
    for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) hwc[p * c + ch] = pool2.data[ch * h * w + p];
    const [W, b] = lenet.weights.get('ip1')!;
    const wrong = new Float32Array(500);
    for (let o = 0; o < 500; o++) {
      let acc = b.data[o];
      for (let i = 0; i < c * h * w; i++) acc += W.data[o * c * h * w + i] * hwc[i];
      wrong[o] = acc;
    }
    run.layers.find((l) => l.layer === 'ip1')!.tops[0].value = { shape: [1, 500], data: wrong };
    const report = diffRuns(run, expectedFromDumps(lenetDir, lenet).expected, lenet, lenetDir);
    expect(report.rows[report.first!]).toMatchObject({ layer: 'ip1', status: 'diverged' });
    expect(report.rows[report.first!].cause).toMatch(/^flatten order: the output is what the weights give/);
  });

  it('recognises reversed channels at the input (BGR vs RGB) and a per-channel offset (mean)', async () => {
    const onet = await loadCaffeNet({
      prototxt: fixture('models/mtcnn_onet/deploy.prototxt'),
      caffemodel: fixture('models/mtcnn_onet/weights.caffemodel'),
    });
    const dir = fixture('models/mtcnn_onet/expected/face_48');
    const input = read(fixture('models/mtcnn_onet/face_48.npy'));
    const dumps = join(work, 'onet');
    copyDir(dir, dumps);
    writeNpy(join(dumps, 'data.npy'), input.shape, input.data); // pycaffe dumps net.blobs['data'] too
    const plane = 48 * 48;
    const rgb = new Float32Array(input.data.length);
    for (let ch = 0; ch < 3; ch++) rgb.set(input.data.subarray((2 - ch) * plane, (3 - ch) * plane), ch * plane);
    const swapped = perfectRun(onet, dir, { shape: input.shape, data: rgb });
    let report = diffRuns(swapped, expectedFromDumps(dumps, onet, 'blobs').expected, onet, dumps);
    expect(report.rows[report.first!].layer).toBe(onet.graph.layers[0].name);
    expect(report.rows[report.first!].cause).toMatch(/^channel order/);

    const shifted = perfectRun(onet, dir, { shape: input.shape, data: input.data.map((v, i) => v + [0.1, 0.2, 0.3][Math.floor(i / plane)]) });
    report = diffRuns(shifted, expectedFromDumps(dumps, onet, 'blobs').expected, onet, dumps);
    expect(report.rows[report.first!].cause).toMatch(/^mean/);
  });
});
