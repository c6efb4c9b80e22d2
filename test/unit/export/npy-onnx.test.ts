import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { npyToFloat32, readNpy } from '../../../src/main/caffe/npy.js';
import { writeNpyWeights } from '../../../src/main/export/npy.js';
import { writeOnnx } from '../../../src/main/export/onnx-file.js';
import { onnxType } from '../../../src/main/export/onnx-schema.js';
import { createReferenceEngine } from '../../../src/main/engine/reference.js';
import { mulberry32 } from '../../helpers/prng.js';
import type { ExportContext, ExportOptions } from '../../../src/main/export/types.js';
import { loadCaffeNet, type CaffeNet } from '../../../src/main/net/model.js';
import { withinTolerance } from '../../helpers/compare.js';
import { fixture } from '../../helpers/fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'portafilter-export-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const context = (model: CaffeNet, options: Partial<ExportOptions> & Pick<ExportOptions, 'format' | 'out'>, cancelAfter = Infinity): ExportContext => {
  let calls = 0;
  return {
    model,
    options: { ordering: 'channels_last', ...options },
    progress: () => undefined,
    checkCancelled: () => {
      if (++calls > cancelAfter) throw new Error('cancelled');
    },
  };
};

const load = (name: string, caffemodel = fixture(`models/${name}/weights.caffemodel`)) =>
  loadCaffeNet({ prototxt: fixture(`models/${name}/deploy.prototxt`), caffemodel });

describe('.npy weights export and import', () => {
  it("writes W_/b_/blob<k>_<layer>.npy in Caffe's shapes and mean_image.npy", async () => {
    const model = await load('features_b');
    const out = join(work, 'features_b_npy');
    await writeNpyWeights(context(model, { format: 'npy', out }), fixture('labels/neuralcatdog_mean.binaryproto'));
    const files = readdirSync(out).sort();
    expect(files).toContain('W_conv1.npy');
    expect(files).toContain('b_conv1.npy');
    // BatchNorm's three blobs: mean, variance, scale factor.
    expect(files.filter((f) => f.endsWith('_bn2.npy')).sort()).toEqual(['W_bn2.npy', 'b_bn2.npy', 'blob2_bn2.npy']);
    expect(files).toContain('mean_image.npy');
    expect(readNpy(join(out, 'W_conv1.npy')).shape).toEqual(model.weights.get('conv1')![0].shape);
    expect(readNpy(join(out, 'mean_image.npy')).shape).toEqual([3, 256, 256]);
  });

  it('loads such a folder in place of the caffemodel, weight for weight', async () => {
    const model = await load('mtcnn_onet');
    const out = join(work, 'onet_npy');
    await writeNpyWeights(context(model, { format: 'npy', out }));
    const again = await load('mtcnn_onet', out);
    expect([...again.weights.keys()].sort()).toEqual([...model.weights.keys()].sort());
    for (const [layer, blobs] of model.weights) {
      again.weights.get(layer)!.forEach((b, i) => {
        expect(b.shape).toEqual(blobs[i].shape);
        expect(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(blobs[i].data.buffer, blobs[i].data.byteOffset, blobs[i].data.byteLength))).toBe(true);
      });
    }
  });

  it('names a folder with no weights, and a missing blob, clearly', async () => {
    const empty = join(work, 'empty_npy');
    await writeNpyWeights(context(await load('lenet_mnist'), { format: 'npy', out: empty }));
    rmSync(join(empty, 'b_conv1.npy'));
    copyFileSync(join(empty, 'W_conv1.npy'), join(empty, 'blob2_conv1.npy'));
    await expect(load('lenet_mnist', empty)).rejects.toThrow(/layer 'conv1' has blob 2 but no b_conv1\.npy/);
    const nothing = join(work, 'nothing');
    mkdirSync(nothing);
    await expect(load('lenet_mnist', nothing)).rejects.toThrow(/holds no W_<layer>\.npy/);
  });

  it('leaves nothing behind when cancelled mid-way', async () => {
    const model = await load('features_b');
    const out = join(work, 'cancelled_npy');
    await expect(writeNpyWeights(context(model, { format: 'npy', out }, 2))).rejects.toThrow('cancelled');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work).filter((f) => f.includes('cancelled_npy'))).toEqual([]);
  });
});

describe('.onnx export', () => {
  for (const ordering of ['channels_first', 'channels_last'] as const) {
    it(`writes a file onnxruntime runs to the fixture outputs (mtcnn_onet, ${ordering})`, async () => {
      const model = await load('mtcnn_onet');
      const out = join(work, `onet_${ordering}.onnx`);
      await writeOnnx(context(model, { format: 'onnx', out, ordering }));
      const session = await ort.InferenceSession.create(out);
      const x = readNpy(fixture('models/mtcnn_onet/face_48.npy'));
      let data = npyToFloat32(x);
      let dims = x.shape;
      if (ordering === 'channels_last') {
        const [n, c, h, w] = dims;
        const nhwc = new Float32Array(data.length);
        for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) nhwc[p * c + ch] = data[ch * h * w + p];
        data = nhwc;
        dims = [n, h, w, c];
      }
      const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, dims) });
      for (const name of ['prob', 'bbox_pred', 'landmark_pred']) {
        const ref = npyToFloat32(readNpy(fixture(`models/mtcnn_onet/expected/face_48/${name}.npy`)));
        const r = withinTolerance(result[name].data as Float32Array, ref, { final: true });
        expect({ name, ok: r.ok }, `max abs ${r.maxAbs}`).toEqual({ name, ok: true });
      }
    });
  }
});

describe('.onnx files use the standard ops', () => {
  it("writes Caffe's ACROSS_CHANNELS LRN as ONNX LRN, which onnxruntime computes as the reference does", async () => {
    const prototxt = join(work, 'lrn.prototxt');
    writeFileSync(
      prototxt,
      `input: "data" input_shape { dim: 1 dim: 7 dim: 5 dim: 4 }
layer { name: "norm" type: "LRN" bottom: "data" top: "norm" lrn_param { local_size: 5 alpha: 0.3 beta: 0.6 k: 2 } }`,
    );
    const model = await loadCaffeNet({ prototxt });
    const out = join(work, 'lrn.onnx');
    await writeOnnx(context(model, { format: 'onnx', out, ordering: 'channels_first' }));
    const decoded = onnxType('ModelProto').decode(readFileSync(out)) as unknown as { graph: { node: { opType?: string; op_type?: string }[] } };
    expect(decoded.graph.node.map((n) => n.op_type ?? n.opType)).toEqual(['LRN']);
    const random = mulberry32(3);
    const x = Float32Array.from({ length: 140 }, () => random() * 4 - 2);
    const session = await ort.InferenceSession.create(out);
    const got = (await session.run({ data: new ort.Tensor('float32', x, [1, 7, 5, 4]) })).norm.data as Float32Array;
    const reference = createReferenceEngine(model);
    const want = (await reference.run({ data: { shape: [1, 7, 5, 4], data: x } })).outputs[0].value.data;
    expect(withinTolerance(got, want, { final: true }).ok).toBe(true);
  });
});
