import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { npyToFloat32, readNpy } from '../../../src/main/caffe/npy.js';
import { createReferenceEngine } from '../../../src/main/engine/reference.js';
import type { LayerOutput, RunResult } from '../../../src/main/engine/types.js';
import { loadCaffeNet } from '../../../src/main/net/model.js';
import { withinTolerance } from '../../helpers/compare.js';
import { fixture, FIXTURE_MODELS } from '../../helpers/fixtures.js';

interface ExpectedIndex {
  input: { name: string; shape: number[]; file: string };
  final: string[];
  order: string[];
  one_shot_differs: string[];
}

/** `<layer>.npy` for the first top, `<layer>__<i>.npy` for top i. */
const fileOf = (layer: string, top: number): string => (top === 0 ? `${layer}.npy` : `${layer}__${top}.npy`);

for (const model of FIXTURE_MODELS) {
  const dir = fixture('models', model);
  for (const input of readdirSync(fixture('models', model, 'expected'))) {
    const expected = fixture('models', model, 'expected', input);
    const index = JSON.parse(readFileSync(`${expected}/index.json`, 'utf8')) as ExpectedIndex;
    // Every stored file, second tops included. UltraFace keeps only some layers. features_b's slice__1 is
    // listed in one_shot_differs: OpenCV's single forward clobbers it in place, and the stored file comes
    // from the per-layer forward, so it is the right value to compare with.
    const files = readdirSync(expected).filter((f) => f.endsWith('.npy'));

    describe(`the reference executor on ${model} / ${input}`, () => {
      let run: RunResult;
      let byFile: Map<string, { layer: LayerOutput; top: number }>;

      beforeAll(async () => {
        const net = await loadCaffeNet({
          prototxt: `${dir}/deploy.prototxt`,
          caffemodel: `${dir}/weights.caffemodel`,
          inputShapes: { [index.input.name]: index.input.shape },
        });
        const data = npyToFloat32(readNpy(fixture(index.input.file)));
        run = await createReferenceEngine(net).run({ [index.input.name]: { shape: index.input.shape, data } });
        byFile = new Map(run.layers.flatMap((layer) => layer.tops.map((_, top) => [fileOf(layer.layer, top), { layer, top }] as const)));
      });

      it('produces a value for every layer OpenCV stored', () => {
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

      it('returns the net outputs under their blob names', () => {
        const finals = index.final.map((layer) => run.layers.find((l) => l.layer === layer)!.tops[0].blob);
        expect(run.outputs.map((o) => o.blob)).toEqual(expect.arrayContaining(finals));
      });
    });
  }
}
