/**
 * The converted Keras models, run on TF.js, against the fixtures' independent expected outputs
 * (OpenCV's Caffe implementation): every model, both orderings, every stored layer, with the
 * fixtures README's tolerances.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { TfjsBackendName } from '../../../src/main/engine/tfjs-backends.js';
import { createTfjsEngine } from '../../../src/main/engine/tfjs-engine.js';
import type { RunResult } from '../../../src/main/engine/types.js';
import { buildKerasModel } from '../../../src/main/keras/build.js';
import type { Ordering } from '../../../src/main/keras/spec.js';
import { withinTolerance } from '../../helpers/compare.js';
import { FIXTURE_MODELS } from '../../helpers/fixtures.js';
import { argmax, expectedTop, fixtureCases, fixtureInput, loadFixtureNet, type FixtureCase } from './helpers.js';

const ORDERINGS: Ordering[] = ['channels_last', 'channels_first'];

/** Per run: how many stored tops were compared, and the ones outside the tolerance. */
function compare(c: FixtureCase, result: RunResult): { compared: number; failures: string[] } {
  const failures: string[] = [];
  let compared = 0;
  for (const layer of result.layers) {
    layer.tops.forEach((top, i) => {
      const ref = expectedTop(c, layer.layer, i);
      if (!ref) return;
      compared++;
      if (ref.shape.join() !== top.value.shape.join()) {
        failures.push(`${layer.layer}[${i}]: shape [${top.value.shape}] vs expected [${ref.shape}]`);
        return;
      }
      const final = c.index.final.includes(layer.layer);
      const r = withinTolerance(top.value.data, ref.data, { final });
      if (!r.ok) failures.push(`${layer.layer}[${i}] (${layer.type}${final ? ', final' : ''}): max |diff| ${r.maxAbs} at ${r.worstIndex}`);
    });
  }
  return { compared, failures };
}

const results = new Map<string, RunResult>();
const key = (c: FixtureCase, ordering: Ordering, backend: string): string => `${c.model}/${c.input}/${ordering}/${backend}`;

async function runCase(c: FixtureCase, ordering: Ordering, backend: TfjsBackendName): Promise<RunResult> {
  const net = await loadFixtureNet(c);
  const engine = await createTfjsEngine(net, buildKerasModel(net, { ordering }), backend);
  try {
    const result = await engine.run({ [c.index.input.name]: fixtureInput(c) });
    results.set(key(c, ordering, backend), result);
    return result;
  } finally {
    engine.dispose();
  }
}

const timings: string[] = [];
afterAll(() => {
  if (process.env.PORTAFILTER_TIMINGS) console.log(timings.join('\n'));
});

describe.each(ORDERINGS)('the %s Keras model on the TF.js cpu backend', (ordering) => {
  for (const model of FIXTURE_MODELS) {
    for (const c of fixtureCases(model)) {
      it(`matches every stored layer of ${model} on ${c.input} within the fixture tolerances`, async () => {
        const result = await runCase(c, ordering, 'cpu');
        timings.push(`${model}/${c.input} ${ordering} cpu: ${result.milliseconds.toFixed(1)} ms`);
        const { compared, failures } = compare(c, result);
        expect(failures).toEqual([]);
        // Every file the fixture stores was compared (UltraFace stores only some layers).
        const stored = Object.values(c.index.layers).reduce((n, l) => n + l.files.length, 0);
        expect(compared).toBe(stored);
        expect(result.engine).toBe('cpu');
        expect(result.ordering).toBe(ordering);
      });
    }
  }

  it('predicts the digits drawn for LeNet: 3, 7 and 0', () => {
    const predicted = ['digit_3', 'digit_7', 'digit_0'].map((input) => {
      const result = results.get(`lenet_mnist/${input}/${ordering}/cpu`)!;
      return argmax(result.outputs.find((o) => o.blob === 'prob')!.value.data);
    });
    expect(predicted).toEqual([3, 7, 0]);
  });

  it('predicts dog, dog and truck for CIFAR-10 cat10, dog10 and truck10 as the README records', () => {
    const predicted = ['cat10', 'dog10', 'truck10'].map((input) => {
      const result = results.get(`cifar10_quick/${input}/${ordering}/cpu`)!;
      return argmax(result.outputs.find((o) => o.blob === 'prob')!.value.data);
    });
    expect(predicted).toEqual([5, 5, 9]);
  });
});

describe('the converted features_b model on the TF.js wasm backend', () => {
  for (const ordering of ORDERINGS) {
    it(`matches every stored layer in ${ordering} within the fixture tolerances`, async () => {
      const [c] = fixtureCases('features_b');
      const result = await runCase(c, ordering, 'wasm');
      timings.push(`features_b/${c.input} ${ordering} wasm: ${result.milliseconds.toFixed(1)} ms`);
      expect(result.engine).toBe('wasm');
      expect(result.engineDetail).toMatch(/^tfjs wasm \((SIMD|no SIMD), \d+ threads?\)$/);
      const { compared, failures } = compare(c, result);
      expect(failures).toEqual([]);
      expect(compared).toBe(20);
    });
  }
});
