/**
 * runModel and activation in the service: LeNet on its drawn digits, every layer kept with the run,
 * each activation checked against the fixtures' OpenCV dnn outputs (test/fixtures/models/lenet_mnist/
 * expected/), not against values this code produced.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENGINE_CHOICE_NAMES } from '../../../src/shared/api.js';
import { npyToFloat32, readNpy, writeNpy } from '../../../src/main/caffe/npy.js';
import { ENGINE_CHOICES } from '../../../src/main/engine/index.js';
import { createService } from '../../../src/main/service/index.js';
import { RUNS_KEPT } from '../../../src/main/service/runs.js';
import { withinTolerance } from '../../helpers/compare.js';
import { fixture } from '../../helpers/fixtures.js';

const service = createService();
afterAll(() => service.dispose());

const expected = (input: string, layer: string): Float32Array => npyToFloat32(readNpy(fixture('models', 'lenet_mnist', 'expected', input, `${layer}.npy`)));

async function openDemo() {
  const demo = await service.call('demoModel', {});
  return { demo, summary: await service.call('openModel', demo) };
}

describe('running a model in the workbench', () => {
  it('offers the demo’s drawn digits, and the x/256 LeNet was trained with', async () => {
    const demo = await service.call('demoModel', {});
    expect(demo.samples).toEqual(['digit_0.png', 'digit_3.png', 'digit_7.png']);
    expect(demo.preprocess).toEqual({ scale: 1 / 256 });
  });

  it("feeds the bundled cat (BVLC's examples/images/cat.jpg) to a 3-channel net, resized to its input", async () => {
    const demo = await service.call('demoModel', {});
    expect(demo.photos).toEqual(['cat.jpg']);
    const cifar = await service.call('openModel', {
      prototxt: fixture('models', 'cifar10_quick', 'deploy.prototxt'),
      caffemodel: fixture('models', 'cifar10_quick', 'weights.caffemodel'),
    });
    const run = await service.call('runModel', { id: cifar.id, input: { sample: 'cat.jpg' }, engine: 'reference' });
    expect(run.inputs[0].shape).toEqual([1, 3, 32, 32]);
    expect(run.outputs[0].shape).toEqual([1, 10]);
  });

  it('predicts 3 for the drawn 3, with the probability OpenCV’s Caffe gives, and names the engine that ran', async () => {
    const { demo, summary } = await openDemo();
    const stages: string[] = [];
    const run = await service.call('runModel', { id: summary.id, input: { sample: 'digit_3.png' }, preprocess: demo.preprocess }, { onProgress: (p) => stages.push(p.stage) });
    expect(run.outputs).toHaveLength(1);
    const [prob] = run.outputs;
    expect(prob.top?.[0][0].index).toBe(3);
    expect(prob.top?.[0]).toHaveLength(5);
    expect(withinTolerance(prob.values ?? [], expected('digit_3', 'prob'), { final: true }).ok).toBe(true);
    expect(run.engine).not.toBe('reference');
    expect(run.engineDetail.length).toBeGreaterThan(0);
    expect(run.ordering).toBe('channels_last');
    expect(stages).toContain('reading the input');
    expect(run.inputs).toEqual([expect.objectContaining({ name: 'data', shape: [1, 1, 28, 28] })]);
    // The preview is the 28×28 digit, grey: white strokes on black.
    const preview = run.inputs[0].preview;
    expect(preview).toMatchObject({ width: 28, height: 28 });
    expect(preview?.pixels[0]).toBe(0);
    expect(Math.max(...(preview?.pixels ?? []))).toBe(255);
    expect(run.layers.map((l) => l.layer)).toEqual(expect.arrayContaining(['conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'prob']));
  });

  it('keeps every layer: conv1’s 20 maps of 24×24 equal OpenCV’s, with their statistics, maps and raw values', async () => {
    const { demo, summary } = await openDemo();
    const run = await service.call('runModel', { id: summary.id, input: { sample: 'digit_7.png' }, preprocess: demo.preprocess, engine: 'wasm' });
    expect(run.engine).toBe('wasm');
    const conv1 = await service.call('activation', { id: summary.id, runId: run.runId, layer: 'conv1', raw: true, tiles: { normalise: 'channel', colormap: 'gray' } });
    const ref = expected('digit_7', 'conv1');
    expect(conv1.shape).toEqual([1, 20, 24, 24]);
    expect(withinTolerance(conv1.raw ?? [], ref, { final: false }).ok).toBe(true);
    const refMin = ref.reduce((a, b) => Math.min(a, b), Infinity);
    const refMax = ref.reduce((a, b) => Math.max(a, b), -Infinity);
    const refMean = ref.reduce((a, b) => a + b, 0) / ref.length;
    expect(conv1.min).toBeCloseTo(refMin, 4);
    expect(conv1.max).toBeCloseTo(refMax, 4);
    expect(conv1.mean).toBeCloseTo(refMean, 5);
    expect(conv1.counts.reduce((a, b) => a + b, 0)).toBe(20 * 24 * 24);
    expect(conv1.tiles).toMatchObject({ channels: 20, offset: 0, count: 20, height: 24, width: 24 });
    // Map 0, grey, from its own min..max: its largest value is white, its smallest black.
    const plane = ref.subarray(0, 576);
    const at = (v: number) => plane.indexOf(v);
    const pixels = conv1.tiles?.pixels ?? new Uint8ClampedArray();
    const lo = plane.reduce((a, b) => Math.min(a, b), Infinity);
    const hi = plane.reduce((a, b) => Math.max(a, b), -Infinity);
    expect(pixels[at(hi) * 4]).toBe(255);
    expect(pixels[at(lo) * 4]).toBe(0);
    expect(conv1.tiles?.ranges[0]).toBeCloseTo(lo, 4);
    // In place: relu1 is ip1 after the ReLU, and ip1 before it, as OpenCV's per-layer files say.
    const ip1 = await service.call('activation', { id: summary.id, runId: run.runId, layer: 'ip1', raw: true });
    const relu1 = await service.call('activation', { id: summary.id, runId: run.runId, layer: 'relu1', raw: true });
    expect(withinTolerance(ip1.raw ?? [], expected('digit_7', 'ip1'), { final: false }).ok).toBe(true);
    expect(withinTolerance(relu1.raw ?? [], expected('digit_7', 'relu1'), { final: false }).ok).toBe(true);
    expect(ip1.min).toBeLessThan(0);
    expect(relu1.min).toBe(0);
  });

  it('runs the reference on a .npy in Caffe layout, which has no ordering, and says so', async () => {
    const { summary } = await openDemo();
    // The toolbar's Theano ordering with the flip is the converted model's; the reference runs as it is.
    const run = await service.call('runModel', { id: summary.id, input: { file: fixture('models', 'lenet_mnist', 'digit_0.npy') }, engine: 'reference', ordering: 'channels_first', flipKernels: true });
    expect(run).toMatchObject({ engine: 'reference', form: 'reference' });
    expect(run.ordering).toBeUndefined();
    expect(run.flipKernels).toBeUndefined();
    expect(run.outputs[0].top?.[0][0].index).toBe(0);
    expect(withinTolerance(run.outputs[0].values ?? [], expected('digit_0', 'prob'), { final: true }).ok).toBe(true);
  });

  it(`keeps the latest ${RUNS_KEPT} runs of a model, and says so of an older one`, async () => {
    const { demo, summary } = await openDemo();
    const ids: string[] = [];
    for (const sample of ['digit_0.png', 'digit_3.png', 'digit_7.png']) ids.push((await service.call('runModel', { id: summary.id, input: { sample }, preprocess: demo.preprocess, engine: 'reference' })).runId);
    await expect(service.call('activation', { id: summary.id, runId: ids[0], layer: 'conv1' })).rejects.toThrow(/keeps its latest 2 runs/);
    expect((await service.call('activation', { id: summary.id, runId: ids[2], layer: 'conv1' })).shape).toEqual([1, 20, 24, 24]);
    // Closing the model frees its runs with it.
    await service.call('closeModel', { id: summary.id });
    await expect(service.call('activation', { id: summary.id, runId: ids[2], layer: 'conv1' })).rejects.toThrow(/no open model/);
  });

  it('refuses what it cannot do with the reason: two inputs or none, a sample the demo lacks, a layer not in the run, maps of a 2-D top', async () => {
    const { demo, summary } = await openDemo();
    await expect(service.call('runModel', { id: summary.id, input: {} })).rejects.toThrow(/exactly one of file/);
    await expect(service.call('runModel', { id: summary.id, input: { sample: '../deploy.prototxt' } })).rejects.toThrow(
      /no bundled sample input '..\/deploy.prototxt' \(the demo has digit_0.png, digit_3.png, digit_7.png; the photos are cat.jpg\)/,
    );
    const run = await service.call('runModel', { id: summary.id, input: { sample: 'digit_3.png' }, preprocess: demo.preprocess, engine: 'reference' });
    await expect(service.call('activation', { id: summary.id, runId: run.runId, layer: 'nope' })).rejects.toThrow(/holds no output of layer 'nope'/);
    await expect(service.call('activation', { id: summary.id, runId: run.runId, layer: 'ip2', tiles: {} })).rejects.toThrow(/channel maps need a 4-D top/);
    await expect(service.call('runModel', { id: summary.id, input: { sample: 'digit_3.png' }, engine: 'onnxruntime', ordering: 'channels_first', flipKernels: true })).rejects.toThrow(
      /the onnxruntime engine cannot run this: it runs the ONNX form of the model/,
    );
    // In the workbench's words, not the command line's: no --flags in what the window shows.
    await expect(service.call('runModel', { id: summary.id, input: { sample: 'digit_3.png' }, preprocess: { meanValues: [1, 2] } })).rejects.toThrow(
      /^the mean values give 2 values for a 1-channel input$/,
    );
    await expect(service.call('runModel', { id: summary.id, input: { sample: 'digit_3.png' }, flipKernels: true })).rejects.toThrow(
      /^the kernel flip is only for the channels_first \(Theano\) ordering/,
    );
  });

  it('offers the engines the CLI’s --engine takes', () => {
    expect([...ENGINE_CHOICE_NAMES]).toEqual([...ENGINE_CHOICES]);
  });
});

describe('the layer-by-layer diff in the workbench', () => {
  it('finds LeNet converted equal to the reference at every layer, keeps both runs, and their difference is within tolerance', async () => {
    const { demo, summary } = await openDemo();
    const diff = await service.call('diffModel', { id: summary.id, input: { sample: 'digit_3.png' }, preprocess: demo.preprocess });
    expect(diff.ok).toBe(true);
    expect(diff.first).toBeUndefined();
    expect(diff.against).toBe('reference');
    expect(diff.rows.map((r) => r.layer)).toEqual(expect.arrayContaining(['conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'prob']));
    for (const r of diff.rows) expect(r.ratio, r.layer).toBeLessThan(1);
    expect(diff.referenceRunId).toBeDefined();
    const both = await service.call('activation', { id: summary.id, runId: diff.runId, layer: 'conv2', minus: diff.referenceRunId, raw: true });
    expect(both.shape).toEqual([1, 50, 8, 8]);
    const peak = (await service.call('activation', { id: summary.id, runId: diff.referenceRunId ?? '', layer: 'conv2' })).max;
    expect(Math.max(Math.abs(both.min), Math.abs(both.max))).toBeLessThan(1e-5 * Math.max(1, peak) + 1e-4 * peak);
  });

  it('names the first layer whose real-Caffe dump disagrees: OpenCV’s LeNet dumps agree, one with conv2 corrupted stops there', async () => {
    const { demo, summary } = await openDemo();
    const dumps = fixture('models', 'lenet_mnist', 'expected', 'digit_3');
    const clean = await service.call('diffModel', { id: summary.id, input: { sample: 'digit_3.png' }, preprocess: demo.preprocess, dumps });
    expect(clean).toMatchObject({ ok: true, naming: 'layers', against: dumps });
    const dir = mkdtempSync(join(tmpdir(), 'portafilter-dumps-'));
    try {
      for (const f of readdirSync(dumps)) copyFileSync(join(dumps, f), join(dir, f));
      const conv2 = readNpy(join(dumps, 'conv2.npy'));
      const values = npyToFloat32(conv2).map((v, i) => (i === 17 ? v + 0.5 : v));
      writeNpy(join(dir, 'conv2.npy'), conv2.shape, values);
      const bad = await service.call('diffModel', { id: summary.id, input: { sample: 'digit_3.png' }, preprocess: demo.preprocess, dumps: dir });
      expect(bad.ok).toBe(false);
      const first = bad.rows[bad.first ?? -1];
      expect(first).toMatchObject({ layer: 'conv2', status: 'diverged' });
      expect(first.maxAbs).toBeCloseTo(0.5, 4);
      expect(first.ratio).toBeGreaterThan(1);
      expect(bad.rows.filter((r) => r.layer === 'conv1')[0].status).toBe('ok');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
