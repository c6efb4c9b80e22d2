import { describe, expect, it } from 'vitest';
import { firstNonFinite, firstNonFiniteLayer, nonFiniteWarnings, position } from '../../../src/main/engine/finite.js';
import { createEngine } from '../../../src/main/engine/index.js';
import type { Engine, LayerOutput, RunOptions } from '../../../src/main/engine/types.js';
import { loadCaffeNet } from '../../../src/main/net/model.js';
import { fixture } from '../../helpers/fixtures.js';

const FLT_MAX = 3.4028234663852886e38;
const lenet = { prototxt: fixture('models/lenet_mnist/deploy.prototxt'), caffemodel: fixture('models/lenet_mnist/weights.caffemodel'), inputShapes: { data: [1, 1, 28, 28] } };

const layer = (name: string, values: number[]): LayerOutput => ({
  layer: name,
  type: 'Test',
  tops: [{ blob: name, value: { shape: [1, values.length], data: Float32Array.from(values) } }],
});

/** Counts the runs an engine makes and whether each captured. */
function counted(engine: Engine): Engine & { runs: boolean[] } {
  const runs: boolean[] = [];
  return Object.assign(Object.create(engine) as Engine, {
    runs,
    run: (inputs: Parameters<Engine['run']>[0], options?: RunOptions) => {
      runs.push(options?.capture ?? true);
      return engine.run(inputs, options);
    },
  });
}

describe('finding where values stop being finite', () => {
  it('places a flat index in N,C,H,W', () => {
    expect(position([2, 2, 2], 7)).toEqual([1, 1, 1]);
    expect(position([1, 2, 3], 5)).toEqual([0, 1, 2]);
    expect(position([4], 3)).toEqual([3]);
  });

  it('finds NaN, Infinity and -Infinity but not the largest float32', () => {
    expect(firstNonFinite(Float32Array.from([FLT_MAX, -FLT_MAX, 0]))).toBe(-1);
    expect(firstNonFinite(Float32Array.from([1, NaN]))).toBe(1);
    expect(firstNonFinite(Float32Array.from([Infinity]))).toBe(0);
    expect(firstNonFinite(Float32Array.from([2, -Infinity]))).toBe(1);
  });

  it('names the first layer in execution order, not the worst one', () => {
    const found = firstNonFiniteLayer([layer('a', [1, 2]), layer('b', [3, Infinity]), layer('c', [NaN, NaN])]);
    expect(found).toMatchObject({ layer: 'b', top: 0, blob: 'b', at: [0, 1], value: Infinity });
    expect(firstNonFiniteLayer([layer('a', [1]), layer('b', [2])])).toBeUndefined();
  });
});

describe('the warning of a run whose outputs are NaN from a finite input', () => {
  it("names LeNet's conv1 when every pixel is 3e38, running again with capture only because the outputs are NaN", async () => {
    const model = await loadCaffeNet(lenet);
    // conv1 at (0,0) is 3e38·Σw + b over a 5×5 filter: beyond float32 for any filter whose weights sum past ~1.13.
    const [w, b] = model.weights.get('conv1')!;
    const sums = Array.from({ length: 20 }, (_, k) => w.data.subarray(k * 25, (k + 1) * 25).reduce((a, v) => a + v, 0) * 3e38 + b.data[k]);
    expect(sums.some((v) => Math.abs(v) > FLT_MAX)).toBe(true);

    const inputs = { data: { shape: [1, 1, 28, 28], data: new Float32Array(784).fill(3e38) } };
    expect(firstNonFinite(inputs.data.data)).toBe(-1);
    const engine = counted(await createEngine(model, { engine: 'reference' }));
    const result = await engine.run(inputs, { capture: false });
    expect(Number.isNaN(result.outputs[0].value.data[0])).toBe(true);
    const warnings = await nonFiniteWarnings(engine, inputs, result, false);
    expect(engine.runs).toEqual([false, true]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^layer 'conv1' \(Convolution\) is the first to give a non-finite value, -?Infinity at conv1\[0, \d+, \d+, \d+\], from a finite input; output 'prob' holds NaN or Infinity/);
  });

  it('says nothing and runs nothing more for a healthy run, and scans what a capturing run holds', async () => {
    const model = await loadCaffeNet(lenet);
    const inputs = { data: { shape: [1, 1, 28, 28], data: new Float32Array(784).fill(0.5) } };
    const engine = counted(await createEngine(model, { engine: 'reference' }));
    expect(await nonFiniteWarnings(engine, inputs, await engine.run(inputs, { capture: false }), false)).toEqual([]);
    expect(engine.runs).toEqual([false]);

    const huge = { data: { shape: [1, 1, 28, 28], data: new Float32Array(784).fill(3e38) } };
    const captured = await engine.run(huge, { capture: true });
    expect(await nonFiniteWarnings(engine, huge, captured, true)).toEqual([expect.stringMatching(/^layer 'conv1' \(Convolution\)/)]);
    expect(engine.runs).toEqual([false, true]);
  });
});
