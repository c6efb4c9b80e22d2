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
import { FIXTURE_MODELS } from '../../helpers/fixtures.js';
import { compareWithFixture } from '../../helpers/fixture-runs.js';
import { argmax, fixtureCases, fixtureInput, loadFixtureNet, type FixtureCase } from './helpers.js';

const ORDERINGS: Ordering[] = ['channels_last', 'channels_first'];

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
        const { compared, stored, failures } = compareWithFixture(c, result);
        expect(failures).toEqual([]);
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
      const { compared, failures } = compareWithFixture(c, result);
      expect(failures).toEqual([]);
      expect(compared).toBe(20);
    });
  }
});
