/**
 * Every fixture model exported to ONNX and run by onnxruntime-node, in both orderings: the net outputs
 * and every captured layer against OpenCV's independent outputs (shared/fixtures), within the README's
 * tolerances.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnnxEngine } from '../../../src/main/engine/onnx-engine.js';
import type { Engine, RunResult } from '../../../src/main/engine/types.js';
import { withinTolerance } from '../../helpers/compare.js';
import { compareWithFixture, expectedTop, fixtureCases, fixtureInput, loadFixtureNet } from '../../helpers/fixture-runs.js';
import { FIXTURE_MODELS } from '../../helpers/fixtures.js';

for (const model of FIXTURE_MODELS) {
  for (const c of fixtureCases(model)) {
    describe.each(['channels_first', 'channels_last'] as const)(`onnxruntime on ${model} / ${c.input} (%s)`, (ordering) => {
      let engine: Engine;
      let run: RunResult;
      let plain: RunResult;

      beforeAll(async () => {
        engine = createOnnxEngine(await loadFixtureNet(c), { ordering });
        const inputs = { [c.index.input.name]: fixtureInput(c) };
        run = await engine.run(inputs);
        plain = await engine.run(inputs, { capture: false });
      });
      afterAll(() => engine?.dispose());

      it('computes every layer OpenCV stored within the fixtures tolerance', () => {
        const { compared, stored, failures } = compareWithFixture(c, run);
        expect(failures).toEqual([]);
        expect(compared).toBe(stored);
      });

      it('gives the net outputs without capturing, within the final tolerance', () => {
        expect(plain.layers.length).toBeLessThanOrEqual(c.index.final.length + 1);
        for (const layer of c.index.final) {
          const blob = run.layers.find((l) => l.layer === layer)!.tops[0].blob;
          const output = plain.outputs.find((o) => o.blob === blob);
          expect(output, `net output ${blob}`).toBeDefined();
          const report = withinTolerance(output!.value.data, expectedTop(c, layer, 0)!.data, { final: true });
          expect(report, `${layer}: max |Δ| ${report.maxAbs}`).toMatchObject({ ok: true });
        }
      });
    });
  }
}
