/**
 * Models that are not in the fixtures, checked against an independent Caffe implementation run here:
 * OpenCV's dnn module (Debian's python3-opencv; `npm test` installs it, test/system-deps.js). Weights are seeded random,
 * written with the test writer (test/helpers/caffemodel-writer.ts); OpenCV reads the same files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npyToFloat32, readNpy, writeNpy } from '../../../src/main/caffe/npy.js';
import { createEngine } from '../../../src/main/engine/index.js';
import type { EngineName } from '../../../src/main/engine/types.js';
import { loadCaffeNet, type CaffeNet } from '../../../src/main/net/model.js';
import { writeSyntheticCaffeModel, type SyntheticBlob } from '../../helpers/caffemodel-writer.js';
import { withinTolerance } from '../../helpers/compare.js';
import { fixture } from '../../helpers/fixtures.js';
import { mulberry32 } from '../../helpers/prng.js';
import { PYTHON } from '../../system-deps.js';

const script = new URL('../../helpers/opencv_forward.py', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'portafilter-opencv-'));
const cache = join(tmpdir(), 'portafilter-test-models-random-v1');
mkdirSync(cache, { recursive: true });
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  const probe = spawnSync(PYTHON, ['-c', 'import cv2, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0)
    throw new Error(`these tests need OpenCV's Python bindings: apt-get install -y python3-opencv, or run npm test, which installs it (${(probe.stderr || probe.error?.message || '').trim()})`);
});

/** Seeded uniform weights scaled by fan-in (He), BatchNorm variances positive and its scale factor 1. */
function weightsFor(model: CaffeNet, layerName: string, type: string, shapes: number[][]): SyntheticBlob[] {
  if (type === 'BatchNorm') return [{ shape: shapes[0], scale: 0.1 }, { shape: shapes[1], offset: 1, scale: 0.5 }, { shape: shapes[2], offset: 1, scale: 0 }];
  if (type === 'Scale') return shapes.map((shape, i) => (i === 0 ? { shape, offset: 1, scale: 0.2 } : { shape, scale: 0.1 }));
  void model;
  void layerName;
  return shapes.map((shape, i) => {
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    return i === 0 && shape.length > 1 ? { shape, scale: Math.sqrt(6 / fanIn) } : { shape, scale: 0.1 };
  });
}

/** A random-weight caffemodel for `prototxt`, V2 or legacy V1 (4-D legacy dims, enum types). */
async function randomModel(name: string, prototxt: string, format: 'V1' | 'V2'): Promise<string> {
  const path = join(cache, `${name}.caffemodel`);
  if (existsSync(path)) return path;
  const def = await loadCaffeNet({ prototxt });
  const V1_TYPE: Record<string, number> = { Convolution: 4, InnerProduct: 14 };
  const layers = def.graph.layers
    .filter((l) => def.shapes.layers[l.index].blobShapes.length > 0)
    .map((l) => {
      const shapes = def.shapes.layers[l.index].blobShapes;
      const blobs = weightsFor(def, l.name, l.type, shapes).map((b) => ({ ...b, legacy: format === 'V1' }));
      if (format === 'V1' && V1_TYPE[l.type] === undefined) throw new Error(`no V1 enum for ${l.type} in this test`);
      return { name: l.name, type: format === 'V1' ? V1_TYPE[l.type] : l.type, blobs };
    });
  writeSyntheticCaffeModel(path, { name, format, layers, values: 'random' });
  return path;
}

/**
 * OpenCV ignores an ACROSS_CHANNELS LRN's k (fixtures README), so it gets the same identity the
 * fixtures' runner used: x/(k + a/n·Σx²)^b = k^-b · x/(1 + (a/k)/n·Σx²)^b, i.e. LRN(alpha/k, k=1)
 * followed by an in-place Power(scale=k^-b) named `<lrn>__k`. V1 text (`layers {}`) only.
 */
function opencvPrototxt(text: string): { text: string; renames: Map<string, string> } {
  const renames = new Map<string, string>();
  const out = text.replace(
    /layers \{\n  bottom: "([^"]+)"\n  top: "([^"]+)"\n  name: "([^"]+)"\n  type: LRN\n  lrn_param \{\n    local_size: (\d+)\n    alpha: ([\d.e-]+)\n    beta: ([\d.e-]+)\n    k: ([\d.e-]+)\n  \}\n\}\n/g,
    (_, bottom: string, top: string, name: string, n: string, alpha: string, beta: string, k: string) => {
      renames.set(name, `${name}__k`);
      return [
        `layers {\n  bottom: "${bottom}"\n  top: "${top}"\n  name: "${name}"\n  type: LRN\n`,
        `  lrn_param {\n    local_size: ${n}\n    alpha: ${Number(alpha) / Number(k)}\n    beta: ${beta}\n    k: 1\n  }\n}\n`,
        `layers {\n  bottom: "${top}"\n  top: "${top}"\n  name: "${name}__k"\n  type: POWER\n`,
        `  power_param {\n    power: 1\n    scale: ${Math.pow(Number(k), -Number(beta))}\n  }\n}\n`,
      ].join('');
    },
  );
  return { text: out, renames };
}

/** OpenCV's values of every blob's final value (the last layer writing each blob), by layer name. */
function opencvForward(prototxt: string, caffemodel: string, model: CaffeNet, input: { name: string; shape: number[] }, data: Float32Array, dir: string) {
  mkdirSync(dir, { recursive: true });
  const rewritten = opencvPrototxt(readFileSync(prototxt, 'utf8'));
  if (rewritten.renames.size > 0) {
    prototxt = join(dir, 'opencv.prototxt');
    writeFileSync(prototxt, rewritten.text);
  }
  const inputFile = join(dir, 'input.npy');
  writeNpy(inputFile, input.shape, data);
  const last = new Map<string, string>();
  for (const l of model.graph.layers) if (l.type !== 'Input') for (const t of l.tops) last.set(t, l.name);
  const layers = [...new Set(last.values())];
  const asked = layers.map((l) => rewritten.renames.get(l) ?? l);
  execFileSync(PYTHON, [script, prototxt, caffemodel, inputFile, input.name, dir, ...asked], { encoding: 'utf8', maxBuffer: 1 << 24 });
  // The same values as pycaffe's net.blobs would hold them: one <blob>.npy per blob, its last writer's value.
  const blobs = join(dir, 'blobs');
  mkdirSync(blobs, { recursive: true });
  for (const [blob, layer] of last) copyFileSync(join(dir, `${layers.indexOf(layer)}.npy`), join(blobs, `${encodeURIComponent(blob)}.npy`));
  const values = new Map(layers.map((name, i) => {
    const npy = readNpy(join(dir, `${i}.npy`));
    return [name, { shape: npy.shape, data: npyToFloat32(npy) }];
  }));
  return { values, inputFile, blobs };
}

const models: { name: string; prototxt: string; format: 'V1' | 'V2'; input: [number, number, number, number] }[] = [
  { name: 'vgg_cnn_s_v1', prototxt: new URL('../../data/models/vgg_cnn_s.v1.prototxt', import.meta.url).pathname, format: 'V1', input: [1, 3, 224, 224] },
  { name: 'alexnet', prototxt: fixture('prototxts/bvlc_alexnet.prototxt'), format: 'V2', input: [1, 3, 227, 227] },
  { name: 'googlenet', prototxt: fixture('prototxts/bvlc_googlenet.prototxt'), format: 'V2', input: [1, 3, 224, 224] },
  { name: 'resnet50', prototxt: fixture('prototxts/ResNet-50-deploy.prototxt'), format: 'V2', input: [1, 3, 224, 224] },
  { name: 'squeezenet11', prototxt: fixture('prototxts/SqueezeNet_v1.1.prototxt'), format: 'V2', input: [1, 3, 227, 227] },
];

const ENGINES: EngineName[] = ['onnxruntime', 'wasm', 'reference'];

describe('models outside the fixtures agree with OpenCV dnn (an independent Caffe) at every blob', () => {
  for (const m of models) {
    it(`${m.name} (${m.format} weights): ${ENGINES.join(', ')}`, async () => {
      const caffemodel = await randomModel(m.name, m.prototxt, m.format);
      const model = await loadCaffeNet({ prototxt: m.prototxt, caffemodel, inputShapes: { data: m.input } });
      const random = mulberry32(7);
      const data = Float32Array.from({ length: m.input.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);
      const { values: expected } = opencvForward(m.prototxt, caffemodel, model, { name: 'data', shape: m.input }, data, join(work, m.name));
      const finals = new Set(model.graph.outputs.map((t) => model.graph.layers[model.graph.tensors[t].producer].name));
      for (const engineName of ENGINES) {
        const engine = await createEngine(model, engineName === 'reference' ? { engine: engineName } : { engine: engineName, ordering: 'channels_last' });
        try {
          const run = await engine.run({ data: { shape: m.input, data } }, { capture: true });
          const ours = new Map(run.layers.map((l) => [l.layer, l.tops[0].value]));
          let compared = 0;
          for (const [layer, ref] of expected) {
            const out = ours.get(layer);
            expect(out, `${engineName} ${layer}`).toBeDefined();
            expect(out!.data.length, `${engineName} ${layer} size`).toBe(ref.data.length);
            const r = withinTolerance(out!.data, ref.data, { final: finals.has(layer) });
            expect({ engine: engineName, layer, ok: r.ok }, `max abs ${r.maxAbs}, max rel ${r.maxRel}`).toEqual({ engine: engineName, layer, ok: true });
            compared++;
          }
          expect(compared).toBeGreaterThan(5);
        } finally {
          engine.dispose();
        }
      }
    }, 300_000);
  }
});

const bin = new URL('../../../bin/portafilter.js', import.meta.url).pathname;

interface DiffJson {
  engine: string;
  form: string;
  ordering: string;
  ran: string;
  ok: boolean;
  naming: string;
  unmatched: string[];
  rows: { layer: string; status: string; maxAbs?: number; kerasShape?: number[]; caffeShape: number[] }[];
}

describe('portafilter diff proves the converted Keras model against OpenCV dnn, in both orderings, on models outside the fixtures', () => {
  for (const m of models) {
    it(`${m.name}: channels_last and channels_first, every blob of pycaffe's net.blobs`, async () => {
      const caffemodel = await randomModel(m.name, m.prototxt, m.format);
      const model = await loadCaffeNet({ prototxt: m.prototxt, caffemodel, inputShapes: { data: m.input } });
      const random = mulberry32(11);
      const data = Float32Array.from({ length: m.input.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);
      const { inputFile, blobs } = opencvForward(m.prototxt, caffemodel, model, { name: 'data', shape: m.input }, data, join(work, `${m.name}-cli`));
      for (const ordering of ['channels_last', 'channels_first']) {
        const r = spawnSync(process.execPath, [bin, 'diff', m.prototxt, caffemodel, '--input', inputFile, '--against', blobs, '--naming', 'blobs', '--ordering', ordering, '--json'], {
          encoding: 'utf8',
          timeout: 280_000,
          maxBuffer: 1 << 26,
        });
        expect(r.stderr, ordering).toBe('');
        const report = JSON.parse(r.stdout) as DiffJson;
        expect({ form: report.form, ordering: report.ordering, naming: report.naming, unmatched: report.unmatched }).toEqual({ form: 'keras', ordering, naming: 'blobs', unmatched: [] });
        expect(report.engine).toMatch(/^(tfjs-node-gpu|tfjs-node|wasm|cpu)$/);
        expect(report.ran).toMatch(new RegExp(`^the Keras model in ${ordering} on tfjs`));
        const compared = report.rows.filter((row) => row.status !== 'missing');
        expect(compared.length).toBeGreaterThan(5);
        expect(compared.filter((row) => row.status !== 'ok').map((row) => `${row.layer}: ${row.status} (max abs ${row.maxAbs})`)).toEqual([]);
        expect([report.ok, r.status]).toEqual([true, 0]);
        // The Keras side really ran in that ordering: a 4-D tensor has its channels last or first.
        const conv = compared.find((row) => row.caffeShape.length === 4 && row.kerasShape)!;
        const [n, c, h, w] = conv.caffeShape;
        expect(conv.kerasShape).toEqual(ordering === 'channels_last' ? [n, h, w, c] : [n, c, h, w]);
      }
    }, 600_000);
  }
});

describe('the OpenCV side of the comparison', () => {
  it("rewrites VGG_CNN_S's norm1 (k = 2) for OpenCV, which ignores k", () => {
    const { text, renames } = opencvPrototxt(readFileSync(models[0].prototxt, 'utf8'));
    expect([...renames]).toEqual([['norm1', 'norm1__k']]);
    expect(text).toContain('alpha: 0.00025\n    beta: 0.75\n    k: 1');
    expect(text).toContain(`name: "norm1__k"\n  type: POWER\n  power_param {\n    power: 1\n    scale: ${2 ** -0.75}`);
  });
});
