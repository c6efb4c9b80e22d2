/**
 * Export verification (export/verify.ts): each format written for real fixture models, loaded back
 * by its consumer (TF.js loadLayersModel, onnxruntime-node, the file's own Keras config and weights
 * rebuilt on TF.js, the .npy folder on the reference) and compared with the reference. A verification
 * that cannot fail proves nothing, so each format is also corrupted between writing and loading back
 * (the export's progress callback runs at that moment): one bias value changed in the written bytes.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportModel } from '../../../src/main/export/index.js';
import type { ExportFormat } from '../../../src/main/export/types.js';
import { seededInput, type VerifyInput } from '../../../src/main/export/verify.js';
import type { Ordering } from '../../../src/main/keras/spec.js';
import { withInputShapes, type CaffeNet } from '../../../src/main/net/model.js';
import { argmax, expectedTop, fixtureCases, fixtureInput } from '../keras/helpers.js';
import { fixtureNet, tempDir } from './keras-helpers.js';

const dir = tempDir('verify');
let n = 0;
const target = (format: ExportFormat): string => join(dir, `m${++n}${format === 'keras' ? '.keras' : format === 'h5' ? '.h5' : format === 'onnx' ? '.onnx' : ''}`);

const CASES: { format: ExportFormat; ordering: Ordering; flipKernels?: boolean }[] = [
  { format: 'tfjs', ordering: 'channels_last' },
  { format: 'onnx', ordering: 'channels_last' },
  { format: 'onnx', ordering: 'channels_first' },
  { format: 'keras', ordering: 'channels_last' },
  { format: 'keras', ordering: 'channels_first', flipKernels: true },
  { format: 'h5', ordering: 'channels_last' },
  { format: 'h5', ordering: 'channels_first', flipKernels: true },
  { format: 'npy', ordering: 'channels_last' },
];

/** Every file under `path` (itself when a file). */
const filesUnder = (path: string): string[] => (statSync(path).isDirectory() ? readdirSync(path).flatMap((f) => filesUnder(join(path, f))) : [path]);

/** Replaces the first copy of `bytes` in any file under `path`; false when no file holds them. */
function replaceBytes(path: string, bytes: Uint8Array, by: Uint8Array): boolean {
  for (const file of filesUnder(path)) {
    const data = readFileSync(file);
    const at = data.indexOf(bytes);
    if (at < 0) continue;
    data.set(by, at);
    writeFileSync(file, data);
    return true;
  }
  return false;
}

/** A bias that every format stores as is (1-D, float32 little-endian), and the same bias with one value changed. */
function biasBytes(model: CaffeNet, layer: string): { bytes: Uint8Array; changed: Uint8Array } {
  const bias = model.weights.get(layer)![1].data;
  const bytes = new Uint8Array(bias.buffer, bias.byteOffset, bias.byteLength).slice();
  const changed = new Float32Array(bias);
  changed[0] += 0.5;
  return { bytes, changed: new Uint8Array(changed.buffer) };
}

describe('export verification', () => {
  describe.each(['lenet_mnist', 'features_b', 'mtcnn_onet'])('%s', (name) => {
    it.each(CASES)('verifies $format $ordering (flip: $flipKernels) on a seeded input', async ({ format, ordering, flipKernels }) => {
      const model = await fixtureNet(name);
      const result = await exportModel(model, { format, out: target(format), ordering, flipKernels, verify: true });
      const v = result.verification!;
      expect(v.problems).toEqual([]);
      expect(v.ok).toBe(true);
      expect(v.input).toMatch(/seeded random input/);
      expect(v.outputs.map((o) => o.blob).sort()).toEqual(model.graph.outputs.map((t) => model.graph.tensors[t].blob).sort());
      for (const o of v.outputs) expect(o.ratio).toBeLessThan(1);
      expect(v.consumer).toMatch(
        { tfjs: /^TF\.js 4\.\d+\.\d+ tf\.loadLayersModel on tfjs /, onnx: /^onnxruntime-node \d/, keras: /config and weights rebuilt on TF\.js/, h5: /config and weights rebuilt on TF\.js/, npy: /read back from the \.npy folder/ }[format],
      );
    });
  });

  it.each(CASES)("fails $format $ordering when one bias value changes in the written file", async ({ format, ordering, flipKernels }) => {
    const model = await fixtureNet('lenet_mnist');
    const out = target(format);
    const { bytes, changed } = biasBytes(model, 'ip2');
    let corrupted: boolean | undefined;
    const result = await exportModel(model, {
      format,
      out,
      ordering,
      flipKernels,
      verify: true,
      onProgress: (stage) => {
        // Written and placed, not yet loaded back.
        if (stage.startsWith('verifying: loading') && corrupted === undefined) corrupted = replaceBytes(out, bytes, changed);
      },
    });
    expect(corrupted).toBe(true);
    const v = result.verification!;
    expect(v.ok).toBe(false);
    expect(v.outputs.find((o) => o.blob === 'prob')?.ok).toBe(false);
    expect(v.problems.join('\n')).toMatch(/'prob' differs from the reference: max \|Δ\| .*× the tolerance/);
  });

  it('names what is missing when the written files do not load back', async () => {
    const model = await fixtureNet('lenet_mnist');
    const out = target('tfjs');
    const result = await exportModel(model, {
      format: 'tfjs',
      out,
      ordering: 'channels_last',
      verify: true,
      onProgress: (stage) => {
        if (stage.startsWith('verifying: loading')) for (const f of filesUnder(out)) if (f.endsWith('.bin')) writeFileSync(f, Buffer.alloc(16));
      },
    });
    const v = result.verification!;
    expect(v.ok).toBe(false);
    expect(v.outputs).toEqual([]);
    expect(v.problems[0]).toContain(`${join(out, 'model.json')} does not load back`);
  });

  it('runs on the input given, and the reference it compares with predicts what OpenCV does', async () => {
    for (const c of fixtureCases('lenet_mnist')) {
      const model = await fixtureNet('lenet_mnist');
      const blob = fixtureInput(c);
      const input: VerifyInput = { model: withInputShapes(model, { data: blob.shape }), inputs: { data: blob }, source: `${c.input}.npy` };
      const result = await exportModel(model, { format: 'onnx', out: target('onnx'), ordering: 'channels_last', verify: input });
      const prob = result.verification!.outputs[0];
      expect(result.verification!.input).toBe(`${c.input}.npy`);
      // OpenCV's dnn, an independent Caffe, on the same input.
      expect(prob.top1).toEqual({ exported: argmax(expectedTop(c, 'prob', 0)!.data), reference: argmax(expectedTop(c, 'prob', 0)!.data) });
    }
  });

  it('makes the same seeded input every time, at batch 1', async () => {
    const model = await fixtureNet('features_b');
    const a = seededInput(model);
    const b = seededInput(model);
    expect(Object.keys(a.inputs)).toEqual(['data']);
    expect(a.inputs.data.shape).toEqual([1, 3, 24, 24]);
    expect(a.inputs.data.data).toEqual(b.inputs.data.data);
    const values = Array.from(a.inputs.data.data);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(new Set(values).size).toBeGreaterThan(values.length * 0.99);
  });
});
