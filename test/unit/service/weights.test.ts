/**
 * weightStats, filterTiles and weightOverview through the service. The fixture models' blobs are
 * protobufjs' own decode of the .caffemodel (test/helpers/protobuf-oracle.ts, no code shared with the
 * reader) and the expected figures are computed here by plain loops and a sort; hand-written blobs
 * give NaN/Inf/zero counts and tile bytes worked out by hand.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../../src/main/caffe/npy.js';
import { npyWeightFile } from '../../../src/main/caffe/npy-weights.js';
import { createService } from '../../../src/main/service/index.js';
import { blobStats } from '../../../src/main/service/weight-views.js';
import { fixture } from '../../helpers/fixtures.js';
import { mulberry32 } from '../../helpers/prng.js';
import { decodeWithProtobufjs } from '../../helpers/protobuf-oracle.js';

const service = createService();
const work = mkdtempSync(join(tmpdir(), 'portafilter-weights-'));
afterAll(() => {
  service.dispose();
  rmSync(work, { recursive: true, force: true });
});

const openFixture = async (model: string): Promise<string> =>
  (await service.call('openModel', { prototxt: fixture('models', model, 'deploy.prototxt'), caffemodel: fixture('models', model, 'weights.caffemodel') })).id;

/** A layer's blobs as protobufjs decodes them (V2 `layer` or V1 `layers`). */
function decodedBlobs(model: string, layer: string): Float32Array[] {
  const decoded = decodeWithProtobufjs(readFileSync(fixture('models', model, 'weights.caffemodel')));
  const found = [...decoded.v2, ...decoded.v1].find((l) => l.name === layer);
  if (!found) throw new Error(`${model} has no layer ${layer} in its caffemodel`);
  return found.blobs.map((b) => b.data);
}

/** numpy's figures by plain loops: min, max, mean, population std over the values. */
function expectedStats(values: Float32Array): { min: number; max: number; mean: number; std: number; zeros: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let zeros = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    if (v === 0) zeros++;
  }
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(squares / values.length), zeros };
}

/** A one-layer net with a hand-written kernel (and a zero bias), opened from a folder of .npy weights. */
async function openKernel(name: string, shape: number[], kernel: number[]): Promise<string> {
  const [o, i, kh, kw] = shape;
  const prototxt = join(work, `${name}.prototxt`);
  writeFileSync(
    prototxt,
    `layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: ${i} dim: ${kh + 2} dim: ${kw + 2} } } }\n` +
      `layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: ${o} kernel_h: ${kh} kernel_w: ${kw} } }\n` +
      'layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }\n',
  );
  const dir = mkdtempSync(join(work, `${name}-`));
  writeNpy(join(dir, npyWeightFile('conv', 0)), shape, Float32Array.from(kernel));
  writeNpy(join(dir, npyWeightFile('conv', 1)), [o], new Float32Array(o));
  return (await service.call('openModel', { prototxt, caffemodel: dir })).id;
}

describe('weightStats', () => {
  it.each([
    ['lenet_mnist', 'conv1', [20, 1, 5, 5]],
    ['cifar10_quick', 'conv1', [32, 3, 5, 5]],
  ])("gives %s's %s kernel the statistics of its protobufjs-decoded values", async (model, layer, shape) => {
    const values = decodedBlobs(model, layer)[0];
    const expected = expectedStats(values);
    const s = await service.call('weightStats', { id: await openFixture(model), layer, blob: 0, bins: 16 });
    expect(s).toMatchObject({ layer, blob: 0, shape, count: values.length, min: expected.min, max: expected.max, nanCount: 0, infCount: 0 });
    expect(s.count).toBe(shape.reduce((a, d) => a * d, 1));
    expect(s.mean).toBeCloseTo(expected.mean, 12);
    expect(s.std).toBeCloseTo(expected.std, 12);
    expect(s.zeroFraction).toBe(expected.zeros / values.length);
    expect(s.counts).toBeInstanceOf(Float64Array);
    expect(s.edges).toBeInstanceOf(Float64Array);
    expect(s.counts).toHaveLength(16);
    expect(s.edges).toHaveLength(17);
    expect(s.counts.reduce((a, c) => a + c, 0)).toBe(values.length);
    expect([s.edges[0], s.edges[16]]).toEqual([expected.min, expected.max]);
    // Each bin holds exactly the values between its edges, the last one closed.
    s.counts.forEach((c, i) => {
      const inside = values.filter((v) => v >= s.edges[i] && (i === 15 ? v <= s.edges[i + 1] : v < s.edges[i + 1])).length;
      expect(c, `bin ${i}`).toBe(inside);
    });
  });

  it('counts NaN, ±Inf and zeros of a hand-written blob exactly, and leaves the non-finite out of the rest', async () => {
    // 8 values: 3 zeros, one NaN, +Inf and -Inf; the finite ones 0, 0, 1, 2, 0 have mean 0.6 and std 0.8.
    const id = await openKernel('odd', [2, 1, 2, 2], [0, NaN, Infinity, -Infinity, 0, 1, 2, 0]);
    const s = await service.call('weightStats', { id, layer: 'conv', bins: 4 });
    expect(s).toMatchObject({ count: 8, nanCount: 1, infCount: 2, zeroFraction: 3 / 8, min: 0, max: 2 });
    expect(s.mean).toBeCloseTo(0.6, 14);
    expect(s.std).toBeCloseTo(0.8, 14);
    expect([...s.edges]).toEqual([0, 0.5, 1, 1.5, 2]);
    expect([...s.counts]).toEqual([3, 0, 1, 1]);
  });

  it('puts 0..7 two to a bin of width 1.75 (1.75 itself in the second), and a constant blob in the last, closed bin', async () => {
    const id = await openKernel('ramp', [2, 1, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]);
    const ramp = await service.call('weightStats', { id, layer: 'conv', bins: 4 });
    expect([...ramp.edges]).toEqual([0, 1.75, 3.5, 5.25, 7]);
    expect([...ramp.counts]).toEqual([2, 2, 2, 2]);
    expect(ramp.std).toBeCloseTo(Math.sqrt(5.25), 14);
    const bias = await service.call('weightStats', { id, layer: 'conv', blob: 1, bins: 3 });
    expect(bias).toMatchObject({ count: 2, min: 0, max: 0, mean: 0, std: 0, zeroFraction: 1 });
    expect([...bias.counts]).toEqual([0, 0, 2]);
  });

  it('names the layer and why when there are no values: no weights, no blobs, no such blob, no such layer', async () => {
    const bare = (await service.call('openModel', { prototxt: fixture('models/lenet_mnist/deploy.prototxt') })).id;
    await expect(service.call('weightStats', { id: bare, layer: 'conv1' })).rejects.toThrow(/layer 'conv1': the model was opened without weights/);
    const lenet = await openFixture('lenet_mnist');
    await expect(service.call('weightStats', { id: lenet, layer: 'relu1' })).rejects.toThrow(/layer 'relu1': the layer \(ReLU\) has no learnable blobs/);
    await expect(service.call('weightStats', { id: lenet, layer: 'conv1', blob: 2 })).rejects.toThrow(/the layer has 2 learnable blobs \(0\.\.1\); blob 2 does not exist/);
    await expect(service.call('weightStats', { id: lenet, layer: 'conv9' })).rejects.toThrow(/layer 'conv9': the model has no layer 'conv9'/);
  });
});

describe('the statistics pass', () => {
  it('agrees with plain loops on odd-length blobs with NaN and ±Inf anywhere, bin by bin', () => {
    const random = mulberry32(9);
    for (const n of [1, 2, 3, 7, 1000, 65537, 131075]) {
      const data = Float32Array.from({ length: n }, () => {
        const r = random();
        return r < 0.01 ? NaN : r < 0.02 ? Infinity : r < 0.03 ? -Infinity : r < 0.1 ? 0 : Math.fround((random() - 0.3) * 5);
      });
      const finite = data.filter((v) => Number.isFinite(v));
      const { stats, histogram } = blobStats(data, 37);
      expect(stats.nanCount + stats.infCount + finite.length, `n ${n}`).toBe(n);
      expect(stats.nanCount, `n ${n}`).toBe(data.filter((v) => Number.isNaN(v)).length);
      expect(stats.zeroFraction, `n ${n}`).toBe(data.filter((v) => v === 0).length / n);
      if (finite.length === 0) continue;
      const expected = expectedStats(finite);
      expect([stats.min, stats.max], `n ${n}`).toEqual([expected.min, expected.max]);
      expect(stats.mean, `n ${n}`).toBeCloseTo(expected.mean, 12);
      expect(stats.std, `n ${n}`).toBeCloseTo(expected.std, 12);
      const { edges, counts } = histogram;
      counts.forEach((c, i) => {
        const inside = finite.filter((v) => v >= edges[i] && (i === 36 ? v <= edges[i + 1] : v < edges[i + 1])).length;
        expect(c, `n ${n} bin ${i}`).toBe(inside);
      });
    }
  });
  it('finds the edges of a range symmetric around 0, where an edge falls on 0 (64 and 4096 bins; it once took hours)', () => {
    const random = mulberry32(17);
    const data = Float32Array.from({ length: 20_001 }, () => Math.fround((random() * 2 - 1) * 0.05));
    data[0] = -0.05;
    data[1] = 0.05;
    data[2] = 0;
    for (const bins of [64, 4096]) {
      const { histogram } = blobStats(data, bins);
      const { edges, counts } = histogram;
      // The middle edge is 0 itself, give or take the rounding of min + (max - min) / 2.
      expect(Math.abs(edges[bins / 2]), `${bins} bins`).toBeLessThan(1e-15);
      counts.forEach((c, i) => {
        const inside = data.filter((v) => v >= edges[i] && (i === bins - 1 ? v <= edges[i + 1] : v < edges[i + 1])).length;
        expect(c, `${bins} bins, bin ${i}`).toBe(inside);
      });
    }
  });
});

describe('filterTiles', () => {
  // Two filters of 3 input channels, 1×2 each. Filter 0 by blob channel (Caffe's B, G, R): B [1, -1],
  // G [0, 0.5], R [-0.5, 0.25]; its max |w| is 1. Filter 1 is all zeros.
  const kernel = [1, -1, 0, 0.5, -0.5, 0.25, 0, 0, 0, 0, 0, 0];
  // A byte is round(127.5 + 127.5·w / max|w|): 1 -> 255, -1 -> 0, 0 -> 128, 0.5 -> 191, -0.5 -> 64, 0.25 -> 159.
  it('draws a 3-channel kernel in colour, blob channel 2 as red and 0 as blue, each tile scaled to its own max |w|', async () => {
    const id = await openKernel('rgb', [2, 3, 1, 2], kernel);
    const t = await service.call('filterTiles', { id, layer: 'conv' });
    expect(t).toMatchObject({ layer: 'conv', mode: 'rgb', filters: 2, offset: 0, tiles: 2, height: 1, width: 2, inputChannels: 3 });
    expect(t.pixels).toBeInstanceOf(Uint8ClampedArray);
    expect([...t.pixels]).toEqual([64, 128, 255, 255, 159, 191, 0, 255, 128, 128, 128, 255, 128, 128, 128, 255]);
    expect([...t.scales]).toEqual([1, 0]);
  });

  it('draws one input channel, or their mean, in grey', async () => {
    const id = await openKernel('grey', [2, 3, 1, 2], kernel);
    // Channel 1 of filter 0 is [0, 0.5], scaled by 0.5: 128 and 255.
    const one = await service.call('filterTiles', { id, layer: 'conv', mode: 'channel', channel: 1, limit: 1 });
    expect(one).toMatchObject({ mode: 'channel', tiles: 1 });
    expect([...one.pixels]).toEqual([128, 128, 128, 255, 255, 255, 255, 255]);
    expect([...one.scales]).toEqual([0.5]);
    // The mean over channels of filter 0 is [(1 + 0 - 0.5) / 3, (-1 + 0.5 + 0.25) / 3] = [1/6, -1/12], scaled by 1/6: 255 and round(63.75) = 64.
    const mean = await service.call('filterTiles', { id, layer: 'conv', mode: 'mean', offset: 0, limit: 1 });
    expect([...mean.pixels]).toEqual([255, 255, 255, 255, 64, 64, 64, 255]);
    expect(mean.scales[0]).toBeCloseTo(1 / 6, 7);
    // From offset 1: the zero filter alone.
    const rest = await service.call('filterTiles', { id, layer: 'conv', mode: 'mean', offset: 1 });
    expect(rest).toMatchObject({ offset: 1, tiles: 1, filters: 2 });
  });

  it("averages LeNet's single-channel conv1 filters (auto is mean there), 20 tiles of 5×5", async () => {
    const t = await service.call('filterTiles', { id: await openFixture('lenet_mnist'), layer: 'conv1' });
    expect(t).toMatchObject({ mode: 'mean', filters: 20, tiles: 20, height: 5, width: 5, inputChannels: 1 });
    expect(t.pixels).toHaveLength(20 * 5 * 5 * 4);
    const values = decodedBlobs('lenet_mnist', 'conv1')[0];
    const maxAbs = Math.max(...values.subarray(0, 25).map(Math.abs));
    expect(t.scales[0]).toBe(Math.fround(maxAbs));
  });

  it('refuses what cannot be tiles, naming the layer', async () => {
    const lenet = await openFixture('lenet_mnist');
    await expect(service.call('filterTiles', { id: lenet, layer: 'ip1' })).rejects.toThrow(/layer 'ip1': filter tiles need a 4-D kernel .* blob 0 is \[500, 800\]/);
    await expect(service.call('filterTiles', { id: lenet, layer: 'conv1', mode: 'rgb' })).rejects.toThrow(/rgb tiles need 3 input channels; the kernel has 1/);
    await expect(service.call('filterTiles', { id: lenet, layer: 'conv2', mode: 'channel', channel: 20 })).rejects.toThrow(/the kernel has 20 input channels \(0\.\.19\); channel 20 does not exist/);
  });
});

describe('weightOverview', () => {
  it("gives every learnable blob of LeNet its statistics, with percentiles within one of 4096 bins of the sorted values'", async () => {
    const id = await openFixture('lenet_mnist');
    const { blobs } = await service.call('weightOverview', { id });
    expect(blobs.map((b) => `${b.layer}/${b.blob}`)).toEqual(['conv1/0', 'conv1/1', 'conv2/0', 'conv2/1', 'ip1/0', 'ip1/1', 'ip2/0', 'ip2/1']);
    for (const b of blobs) {
      const values = decodedBlobs('lenet_mnist', b.layer)[b.blob];
      const expected = expectedStats(values);
      expect(b, `${b.layer}/${b.blob}`).toMatchObject({ count: values.length, min: expected.min, max: expected.max, nanCount: 0 });
      expect(b.mean).toBeCloseTo(expected.mean, 12);
      expect(b.std).toBeCloseTo(expected.std, 12);
      expect(b.meanAbs).toBeCloseTo(values.reduce((a, v) => a + Math.abs(v), 0) / values.length, 12);
      // numpy's percentile: linear interpolation at rank p·(n - 1) of the sorted values.
      const sorted = [...values].sort((x, y) => x - y);
      const exact = (p: number): number => {
        const r = p * (sorted.length - 1);
        const lo = Math.floor(r);
        return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (r - lo);
      };
      const width = (expected.max - expected.min) / 4096;
      for (const [key, p] of [['p01', 0.01], ['q1', 0.25], ['median', 0.5], ['q3', 0.75], ['p99', 0.99]] as const)
        expect(Math.abs(b[key] - exact(p)), `${b.layer}/${b.blob} ${key}`).toBeLessThanOrEqual(width);
    }
  });

  it('says when the model has no weights', async () => {
    const bare = (await service.call('openModel', { prototxt: fixture('models/lenet_mnist/deploy.prototxt') })).id;
    await expect(service.call('weightOverview', { id: bare })).rejects.toThrow(/opened without weights/);
  });
});
