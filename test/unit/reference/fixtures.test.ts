/**
 * The Caffe-semantics reference executor on every fixture model and input: every layer OpenCV stored
 * (second tops included; features_b's slice__1 is OpenCV's per-layer value, the right one) within the
 * fixtures README's tolerances.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createReferenceEngine } from '../../../src/main/engine/reference.js';
import type { RunResult } from '../../../src/main/engine/types.js';
import { compareWithFixture, fixtureCases, fixtureInput, loadFixtureNet } from '../../helpers/fixture-runs.js';
import { FIXTURE_MODELS } from '../../helpers/fixtures.js';

for (const model of FIXTURE_MODELS) {
  for (const c of fixtureCases(model)) {
    describe(`the reference executor on ${model} / ${c.input}`, () => {
      let run: RunResult;

      beforeAll(async () => {
        run = await createReferenceEngine(await loadFixtureNet(c)).run({ [c.index.input.name]: fixtureInput(c) });
      });

      it('computes every layer OpenCV stored within the fixtures tolerance', () => {
        const { compared, stored, failures } = compareWithFixture(c, run);
        expect(failures).toEqual([]);
        expect(compared).toBe(stored);
      });

      it('returns the net outputs under their blob names', () => {
        const finals = c.index.final.map((layer) => run.layers.find((l) => l.layer === layer)!.tops[0].blob);
        expect(run.outputs.map((o) => o.blob)).toEqual(expect.arrayContaining(finals));
      });
    });
  }
}
