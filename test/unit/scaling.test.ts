/**
 * Nets of hundreds of thousands of layers read, wire and shape correctly in linear time. The timings
 * themselves are figures for `npm run bench -- many_layers`, never pass/fail here (a shared machine
 * makes them vary several-fold); these tests check the results on a net large enough that a quadratic
 * step would run past the timeouts, and that the caffemodel reader yields to the event loop by time.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaffeModel } from '../../src/main/caffe/caffemodel.js';
import { buildNetGraph, type NetGraph } from '../../src/main/net/graph.js';
import { readNetDefinition } from '../../src/main/net/model.js';
import { inferShapes, type NetShapes } from '../../src/main/net/shapes.js';
import { attachWeights } from '../../src/main/net/weights.js';
import { BIG_NET_BLOB_SHAPE, bigNetCaffeModel, bigNetPrototxt } from '../helpers/big-net.js';
import { syntheticValue, writeSyntheticCaffeModel } from '../helpers/caffemodel-writer.js';

/** 70,000 blocks of Convolution, in-place ReLU and Eltwise (test/helpers/big-net.ts), after the Input. */
const BLOCKS = 70_000;
const LAYERS = 3 * BLOCKS;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portafilter-scaling-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`a net of ${LAYERS.toLocaleString('en')} layers`, () => {
  let graph: NetGraph;
  let shapes: NetShapes;
  beforeAll(async () => {
    const prototxt = join(dir, 'big.prototxt');
    writeFileSync(prototxt, bigNetPrototxt(LAYERS));
    graph = buildNetGraph((await readNetDefinition(prototxt)).net, prototxt);
    shapes = inferShapes(graph);
  }, 120_000);

  it('reads, wires and shapes every layer as Caffe would', () => {
    expect(graph.layers.length).toBe(LAYERS + 1);
    // One value for the Input, and one per layer: the in-place ReLU writes a new value of its blob.
    expect(graph.tensors.length).toBe(LAYERS + 1);
    // One expect per property over all blocks: an expect per block would take longer than the net.
    const wrong: string[] = [];
    for (let b = 0; b < BLOCKS; b++) {
      const input = graph.layers[3 * b].outputs[0];
      const [conv, relu, sum] = graph.layers.slice(1 + 3 * b, 4 + 3 * b);
      if ([conv.name, relu.name, sum.name].join() !== `conv${b},relu${b},sum${b}`) wrong.push(`block ${b}: names`);
      if (!relu.inPlace[0] || relu.inputs[0] !== conv.outputs[0]) wrong.push(`block ${b}: ReLU not in place on the Convolution`);
      if (sum.inputs.join() !== `${input},${relu.outputs[0]}`) wrong.push(`block ${b}: Eltwise bottoms`);
      // The block's input feeds its Convolution and its Eltwise.
      if (graph.tensors[input].consumers.join() !== `${conv.index},${sum.index}`) wrong.push(`block ${b}: consumers of its input`);
      if (JSON.stringify(shapes.layers[conv.index].blobShapes) !== '[[4,4,1,1],[4]]') wrong.push(`block ${b}: weight shapes`);
    }
    shapes.layers.forEach((l, i) => l.topShapes.length === 1 && l.topShapes[0].join() === BIG_NET_BLOB_SHAPE.join() || wrong.push(`layer ${i}: top shapes`));
    expect(wrong).toEqual([]);
    expect(graph.outputs).toEqual(graph.layers.at(-1)!.outputs);
  }, 120_000);

  it('reads its caffemodel and attaches every weight to its layer, every value where the writer put it', async () => {
    const caffemodel = join(dir, 'big.caffemodel');
    writeSyntheticCaffeModel(caffemodel, bigNetCaffeModel(LAYERS));
    const model = await readCaffeModel(caffemodel);
    expect(model.layers.length).toBe(LAYERS + 1);
    const { byLayer } = attachWeights(graph, shapes, model);
    expect(byLayer.size).toBe(BLOCKS);
    const wrong: string[] = [];
    let blobIndex = 0;
    for (let b = 0; b < BLOCKS; b++) {
      const weights = byLayer.get(`conv${b}`)!;
      if (JSON.stringify(weights.map((w) => w.shape)) !== '[[4,4,1,1],[4]]') wrong.push(`conv${b}: shapes`);
      for (const w of weights) {
        const k = blobIndex++;
        if (!(w.data instanceof Float32Array) || w.data.some((v, i) => v !== syntheticValue(k, i))) wrong.push(`conv${b}: blob values`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});

describe('reading a caffemodel of 100,000 layers', () => {
  const layers = 100_000;
  let file: string;
  let size: number;
  beforeAll(() => {
    file = join(dir, 'many.caffemodel');
    writeSyntheticCaffeModel(file, bigNetCaffeModel(layers));
    size = statSync(file).size;
  });

  it('lets the event loop run while it walks, with progress paced by time rather than once per layer', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const seen: number[] = [];
    try {
      await readCaffeModel(file, { onProgress: (done, total) => (expect(total).toBe(size), seen.push(done)) });
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(size);
    expect(seen.every((v, i) => i === 0 || v >= seen[i - 1])).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.length).toBeLessThan(layers / 100);
  }, 60_000);

  it('stops with an AbortError when cancelled in the middle of the walk', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const reading = readCaffeModel(file, {
      signal: controller.signal,
      onProgress: (done) => {
        seen.push(done);
        if (done > 0 && done < size) controller.abort();
      },
    });
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen.filter((d) => d > 0 && d < size)).toHaveLength(1);
    expect(seen).not.toContain(size);
  }, 60_000);
});
