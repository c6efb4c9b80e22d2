/**
 * Every fixture model exported to ONNX and run by onnxruntime-node, in both orderings: the net outputs
 * and every captured layer against OpenCV's independent outputs (shared/fixtures), within the README's
 * tolerances.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npyToFloat32, readNpy } from '../../../src/main/caffe/npy.js';
import { createOnnxEngine } from '../../../src/main/engine/onnx-engine.js';
import type { Engine, LayerOutput, RunResult } from '../../../src/main/engine/types.js';
import { loadCaffeNet } from '../../../src/main/net/model.js';
import { withinTolerance } from '../../helpers/compare.js';
import { fixture, FIXTURE_MODELS } from '../../helpers/fixtures.js';

interface ExpectedIndex {
  input: { name: string; shape: number[]; file: string };
  final: string[];
}

/** `<layer>.npy` for the first top, `<layer>__<i>.npy` for top i. */
const fileOf = (layer: string, top: number): string => (top === 0 ? `${layer}.npy` : `${layer}__${top}.npy`);

for (const model of FIXTURE_MODELS) {
  const dir = fixture('models', model);
  for (const input of readdirSync(fixture('models', model, 'expected'))) {
    const expected = fixture('models', model, 'expected', input);
    const index = JSON.parse(readFileSync(`${expected}/index.json`, 'utf8')) as ExpectedIndex;
    const files = readdirSync(expected).filter((f) => f.endsWith('.npy'));

    describe.each(['channels_first', 'channels_last'] as const)(`onnxruntime on ${model} / ${input} (%s)`, (ordering) => {
      let engine: Engine;
      let run: RunResult;
      let plain: RunResult;
      let byFile: Map<string, { layer: LayerOutput; top: number }>;

      beforeAll(async () => {
        const net = await loadCaffeNet({
          prototxt: `${dir}/deploy.prototxt`,
          caffemodel: `${dir}/weights.caffemodel`,
          inputShapes: { [index.input.name]: index.input.shape },
        });
        const data = npyToFloat32(readNpy(fixture(index.input.file)));
        engine = createOnnxEngine(net, { ordering });
        run = await engine.run({ [index.input.name]: { shape: index.input.shape, data } });
        plain = await engine.run({ [index.input.name]: { shape: index.input.shape, data } }, { capture: false });
        byFile = new Map(run.layers.flatMap((layer) => layer.tops.map((_, top) => [fileOf(layer.layer, top), { layer, top }] as const)));
      });
      afterAll(() => engine?.dispose());

      it('captures every layer OpenCV stored', () => {
        expect(files.filter((f) => !byFile.has(f))).toEqual([]);
      });

      it.each(files)('computes %s within the fixtures tolerance', (file) => {
        const ref = readNpy(`${expected}/${file}`);
        const { layer, top } = byFile.get(file)!;
        const value = layer.tops[top].value;
        expect(value.shape).toEqual(ref.shape);
        const final = top === 0 && index.final.includes(layer.layer);
        const report = withinTolerance(value.data, npyToFloat32(ref), { final });
        expect(report, `${file}: max |Δ| ${report.maxAbs} at ${report.worstIndex}`).toMatchObject({ ok: true });
      });

      it('gives the net outputs without capturing, within the final tolerance', () => {
        expect(plain.layers.length).toBeLessThanOrEqual(index.final.length + 1);
        for (const layer of index.final) {
          const blob = run.layers.find((l) => l.layer === layer)!.tops[0].blob;
          const output = plain.outputs.find((o) => o.blob === blob);
          expect(output, `net output ${blob}`).toBeDefined();
          const report = withinTolerance(output!.value.data, npyToFloat32(readNpy(`${expected}/${layer}.npy`)), { final: true });
          expect(report, `${layer}: max |Δ| ${report.maxAbs}`).toMatchObject({ ok: true });
        }
      });
    });
  }
}
