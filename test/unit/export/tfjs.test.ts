/**
 * The TensorFlow.js export, verified by its real consumer: every fixture model is exported in both
 * orderings, then reloaded with tf.loadLayersModel in a FRESH Node process (test/helpers/tfjs-reload.mjs)
 * that sees only the written files — model.json, the shards and portafilter_layers.js, imported from disk
 * and resolving '@tensorflow/tfjs' from the app folder it sits in — and its final outputs are compared with
 * the fixtures' independent expected outputs (OpenCV's Caffe) within 1e-5 + 1e-4·|ref|.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BRIDGE_LAYERS } from '../../../src/main/engine/tfjs-bridges.js';
import { LAYERS_MODULE, MODEL_JSON, SHARD_BYTES, TFJS_LAYER_SOURCES, writeTfjs } from '../../../src/main/export/tfjs.js';
import type { ExportContext } from '../../../src/main/export/types.js';
import { CUSTOM_LAYERS } from '../../../src/main/keras/custom/index.js';
import type { Ordering } from '../../../src/main/keras/spec.js';
import type { Blob } from '../../../src/main/layers/types.js';
import type { CaffeNet } from '../../../src/main/net/model.js';
import { withinTolerance } from '../../helpers/compare.js';
import { FIXTURE_MODELS } from '../../helpers/fixtures.js';
import { mulberry32 } from '../../helpers/prng.js';
import { expectedTop, fixtureCases, fixtureInput, loadFixtureNet, tinyNet, type FixtureCase } from '../keras/helpers.js';

const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const DRIVER = join(root, 'test/helpers/tfjs-reload.mjs');
const ORDERINGS: Ordering[] = ['channels_last', 'channels_first'];

const work = mkdtempSync(join(tmpdir(), 'portafilter-tfjs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------------
// A user's app: a folder whose node_modules has '@tensorflow/tfjs', the exports inside it.

/**
 * 'tfjs': the real @tensorflow/tfjs (here a dependency of the optional tfjs-node; its tfjs-core and
 * tfjs-layers are the project's). 'alias': what portafilter_layers.js' header tells an app on tfjs-core and
 * tfjs-layers alone to do, a local '@tensorflow/tfjs' re-exporting both. Without a real one, both are the alias.
 */
function makeApp(kind: 'tfjs' | 'alias'): { dir: string; tfjs: 'tfjs' | 'alias' } {
  const dir = mkdtempSync(join(work, `app-${kind}-`));
  const scope = join(dir, 'node_modules', '@tensorflow');
  mkdirSync(scope, { recursive: true });
  const own = (pkg: string): string => join(root, 'node_modules', '@tensorflow', pkg);
  let real: string | undefined;
  try {
    real = dirname(createRequire(join(root, 'package.json')).resolve('@tensorflow/tfjs/package.json'));
  } catch {
    real = undefined;
  }
  if (kind === 'tfjs' && real) {
    symlinkSync(real, join(scope, 'tfjs'), 'dir');
    return { dir, tfjs: 'tfjs' };
  }
  for (const pkg of ['tfjs-core', 'tfjs-layers', 'tfjs-backend-cpu']) symlinkSync(own(pkg), join(scope, pkg), 'dir');
  mkdirSync(join(scope, 'tfjs'));
  writeFileSync(join(scope, 'tfjs', 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs', version: '0.0.0-alias', type: 'module', main: 'index.js' }));
  writeFileSync(join(scope, 'tfjs', 'index.js'), "export * from '@tensorflow/tfjs-core';\nexport * from '@tensorflow/tfjs-layers';\n");
  return { dir, tfjs: 'alias' };
}

const apps = { tfjs: makeApp('tfjs'), alias: makeApp('alias') };

interface Reloaded {
  backend: string;
  hasModule: boolean;
  exported: string[];
  registeredByModule: string[];
  inputNames: string[];
  outputNames: string[];
  metadata: { portafilter: { ordering: string; inputs: Info[]; outputs: Info[]; customLayers: string[] } } | null;
  outputs: Map<string, Blob[]>;
}
interface Info {
  name: string;
  blob: string;
  layer: string;
  caffeShape: number[];
  kerasShape: (number | null)[];
  perm: number[];
}

/** Runs the export folder `model` in a fresh Node process on `inputs` (Keras layout). */
async function reload(model: string, inputs: { id: string; value: Blob }[]): Promise<Reloaded> {
  const out = mkdtempSync(join(work, 'run-'));
  const job = {
    model,
    out,
    inputs: inputs.map(({ id, value }) => {
      const file = join(out, `${id}.in.f32`);
      writeFileSync(file, new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.byteLength));
      return { id, file, shape: value.shape };
    }),
  };
  writeFileSync(join(out, 'job.json'), JSON.stringify(job));
  const app = dirname(dirname(model));
  const script = join(app, 'reload.mjs');
  if (!existsSync(script)) writeFileSync(script, readFileSync(DRIVER));
  await run(process.execPath, [script, join(out, 'job.json')], { cwd: app, env: { ...process.env, NODE_OPTIONS: '' }, timeout: 300_000 });
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as Omit<Reloaded, 'outputs'> & { results: { id: string; shapes: number[][] }[] };
  const outputs = new Map(
    result.results.map(({ id, shapes }) => [
      id,
      shapes.map((shape, k) => {
        const bytes = readFileSync(join(out, `${id}.${k}.f32`));
        return { shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
      }),
    ]),
  );
  return { ...result, outputs };
}

// ---------------------------------------------------------------------------------------------------
// Layouts, by the tests' own knowledge of the orderings (not from the exporter).

/** numpy's transpose: output axis i is input axis perm[i]. */
function transpose(b: Blob, perm: number[]): Blob {
  const shape = perm.map((a) => b.shape[a]);
  const inStrides = b.shape.map((_, i) => b.shape.slice(i + 1).reduce((a, d) => a * d, 1));
  const data = new Float32Array(b.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < data.length; o++) {
    let src = 0;
    for (let i = 0; i < shape.length; i++) src += idx[i] * inStrides[perm[i]];
    data[o] = b.data[src];
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  return { shape, data };
}

/** Keras = transpose(Caffe, native): channels_last puts a 4-D blob's channels last. */
const native = (ordering: Ordering, rank: number): number[] =>
  ordering === 'channels_last' && rank === 4 ? [0, 2, 3, 1] : Array.from({ length: rank }, (_, i) => i);
const inverse = (perm: number[]): number[] => perm.map((_, i) => perm.indexOf(i));

function context(model: CaffeNet, out: string, ordering: Ordering, extra: Partial<ExportContext> = {}): ExportContext {
  return { model, options: { format: 'tfjs', out, ordering }, progress: () => {}, checkCancelled: () => {}, ...extra };
}

// ---------------------------------------------------------------------------------------------------

/** Fixture cases grouped by input shape: one export serves every input of that shape. */
const groups = FIXTURE_MODELS.flatMap((model) => {
  const byShape = new Map<string, FixtureCase[]>();
  for (const c of fixtureCases(model)) {
    const key = c.index.input.shape.join('x');
    byShape.set(key, [...(byShape.get(key) ?? []), c]);
  }
  return [...byShape.values()];
});

describe.concurrent.each(ORDERINGS)('the %s TF.js export of every fixture model, reloaded in a fresh Node process', (ordering) => {
  for (const cases of groups) {
    const { model } = cases[0];
    const inputs = cases.map((c) => c.input).join(', ');
    it(`reloads ${model} from its files alone and gives OpenCV's final outputs for ${inputs}`, async ({ expect }) => {
      const net = await loadFixtureNet(cases[0]);
      const out = join(apps.tfjs.dir, 'models', `${model}-${cases[0].index.input.shape.join('x')}-${ordering}`);
      const exported = await writeTfjs(context(net, out, ordering));
      expect(exported.files[0]).toBe(join(out, MODEL_JSON));
      expect(existsSync(join(out, LAYERS_MODULE))).toBe(exported.customLayers.length > 0);

      const feeds = cases.map((c) => {
        const x = fixtureInput(c);
        return { id: c.input, value: transpose(x, native(ordering, x.shape.length)) };
      });
      const r = await reload(out, feeds);
      expect(r.backend).toBe('cpu');
      // The module registered the classes the model needs (they were unknown before it was imported).
      expect(r.hasModule).toBe(exported.customLayers.length > 0);
      expect([...r.exported].sort()).toEqual(exported.customLayers);
      expect(r.registeredByModule.filter((c) => exported.customLayers.includes(c)).sort()).toEqual(exported.customLayers);

      const meta = r.metadata!.portafilter;
      expect(meta.ordering).toBe(ordering);
      expect(meta.outputs.map((o) => o.name)).toEqual(r.outputNames);
      expect(meta.outputs.map((o) => o.layer).sort()).toEqual([...cases[0].index.final].sort());
      for (const c of cases) {
        const ys = r.outputs.get(c.input)!;
        expect(ys).toHaveLength(meta.outputs.length);
        meta.outputs.forEach((o, k) => {
          const ref = expectedTop(c, o.layer, 0)!;
          expect(o.perm, `${o.layer}: layout`).toEqual(native(ordering, ref.shape.length));
          const y = transpose(ys[k], inverse(native(ordering, ref.shape.length)));
          expect(y.shape, `${c.input}/${o.layer}: shape`).toEqual(ref.shape);
          const report = withinTolerance(y.data, ref.data, { final: true });
          expect(report, `${c.input}/${o.layer}: max |Δ| ${report.maxAbs} at ${report.worstIndex}`).toMatchObject({ ok: true });
        });
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------

/** A net whose one InnerProduct has 1024×1500 weights: 6 148 096 bytes, more than one shard. */
const WIDE = { inputs: 1500, outputs: 1024 };
async function wideNet(): Promise<{ net: CaffeNet; w: Float32Array; b: Float32Array }> {
  const rand = mulberry32(20240611);
  const w = Float32Array.from({ length: WIDE.inputs * WIDE.outputs }, () => (rand() - 0.5) * 0.1);
  const b = Float32Array.from({ length: WIDE.outputs }, () => rand() - 0.5);
  const net = await tinyNet(
    `name: "wide"
input: "data"
input_shape { dim: 1 dim: ${WIDE.inputs} }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: ${WIDE.outputs} } }`,
    { ip: [w, b] },
  );
  return { net, w, b };
}

/** The files in `dir` other than those listed (temporaries included). */
const leftovers = (dir: string, keep: string[]): string[] => readdirSync(dir).filter((f) => !keep.includes(f));

describe('the TF.js export folder', () => {
  it('shards 6 148 096 bytes of weights as 4 194 304 + 1 953 792, the manifest counts them, and a weight spanning both reloads intact', async () => {
    const { net, w, b } = await wideNet();
    const out = join(apps.tfjs.dir, 'models', 'wide');
    const result = await writeTfjs(context(net, out, 'channels_last'));
    const json = JSON.parse(readFileSync(join(out, MODEL_JSON), 'utf8')) as {
      format: string;
      generatedBy: string;
      convertedBy: string;
      modelTopology: { class_name: string };
      weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
    };
    expect(json.format).toBe('layers-model');
    expect(json.generatedBy).toMatch(/^TensorFlow\.js tfjs-layers v4\./);
    expect(json.convertedBy).toBe(`Portafilter ${(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version}`);
    expect(json.weightsManifest).toHaveLength(1);
    const [group] = json.weightsManifest;
    expect(group.paths).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin']);
    expect(group.weights).toEqual([
      { name: 'ip/kernel', shape: [1500, 1024], dtype: 'float32' },
      { name: 'ip/bias', shape: [1024], dtype: 'float32' },
    ]);
    expect(group.paths.map((p) => statSync(join(out, p)).size)).toEqual([SHARD_BYTES, 6_148_096 - SHARD_BYTES]);
    expect(SHARD_BYTES).toBe(4_194_304);
    const counted = group.weights.reduce((n, x) => n + x.shape.reduce((a, d) => a * d, 1) * 4, 0);
    expect(counted).toBe(6_148_096);
    expect(result.files.map((f) => basename(f))).toEqual([MODEL_JSON, ...group.paths, 'README.md']);

    // y = W·x + b, in float64 here, against the reloaded model.
    const rand = mulberry32(7);
    const x = Float32Array.from({ length: WIDE.inputs }, () => rand() * 2 - 1);
    const ref = new Float32Array(WIDE.outputs);
    for (let j = 0; j < WIDE.outputs; j++) {
      let s = b[j];
      for (let i = 0; i < WIDE.inputs; i++) s += w[j * WIDE.inputs + i] * x[i];
      ref[j] = s;
    }
    const r = await reload(out, [{ id: 'x', value: { shape: [1, WIDE.inputs], data: x } }]);
    const [y] = r.outputs.get('x')!;
    expect(y.shape).toEqual([1, WIDE.outputs]);
    expect(withinTolerance(y.data, ref, { final: true })).toMatchObject({ ok: true });
  });

  it('writes no JS module for a model of standard TF.js layers only (LeNet, channels_last)', async () => {
    const [c] = fixtureCases('lenet_mnist');
    const out = join(work, 'lenet-plain');
    const result = await writeTfjs(context(await loadFixtureNet(c), out, 'channels_last'));
    expect(result.customLayers).toEqual([]);
    expect(readdirSync(out).sort()).toEqual(['.portafilter-export.json', 'README.md', 'group1-shard1of1.bin', 'model.json']);
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain("const model = await tf.loadLayersModel('<url or folder>/model.json');");
    expect(readme).not.toContain(`import './${LAYERS_MODULE}';`);
  });

  it('bundles into portafilter_layers.js only the classes the model uses, importing @tensorflow/tfjs alone, and names its two usage lines in the README', async () => {
    const [c] = fixtureCases('mtcnn_pnet');
    const out = join(work, 'pnet-first');
    const result = await writeTfjs(context(await loadFixtureNet(c), out, 'channels_first'));
    expect(result.customLayers).toEqual(['PortafilterAxisSoftmax', 'PortafilterBroadcastPReLU']);
    const js = readFileSync(join(out, LAYERS_MODULE), 'utf8');
    const imports = [...js.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(new Set(imports)).toEqual(new Set(['@tensorflow/tfjs']));
    expect(js).not.toMatch(/\brequire\(/);
    // Registered: exactly the two. (The bridge file's other classes ride along unregistered: esbuild keeps
    // every `class extends layers.Layer` of a bundled file; the custom layers have a file each.)
    expect(js.match(/registerClass\(/g)).toHaveLength(2);
    expect(js).toMatch(/export \{\s*\w+ as PortafilterAxisSoftmax,\s*\w+ as PortafilterBroadcastPReLU\s*\};/);
    expect(js).not.toContain('CaffePooling');
    expect(js).not.toContain('CaffeLRN');
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain(`import './${LAYERS_MODULE}';\nconst model = await tf.loadLayersModel('<url or folder>/model.json');`);
    expect(result.files.map((f) => basename(f))).toEqual(['model.json', 'group1-shard1of1.bin', LAYERS_MODULE, 'README.md']);
  });

  it('knows the source of every Portafilter custom layer and TF.js bridge class', () => {
    expect(Object.keys(TFJS_LAYER_SOURCES).sort()).toEqual([...Object.keys(CUSTOM_LAYERS), ...Object.keys(BRIDGE_LAYERS)].sort());
    for (const [name, cls] of Object.entries({ ...CUSTOM_LAYERS, ...BRIDGE_LAYERS })) expect(cls.className, name).toBe(name);
    for (const { file } of Object.values(TFJS_LAYER_SOURCES)) expect(existsSync(join(root, 'src/main', file)), file).toBe(true);
  });

  it('loads through an @tensorflow/tfjs alias that re-exports tfjs-core and tfjs-layers alone, as the module header advises', async () => {
    const [c] = fixtureCases('features_b');
    const out = join(apps.alias.dir, 'models', 'features_b');
    const result = await writeTfjs(context(await loadFixtureNet(c), out, 'channels_first'));
    expect(result.customLayers.length).toBeGreaterThan(4);
    const r = await reload(out, [{ id: c.input, value: fixtureInput(c) }]);
    const ref = expectedTop(c, 'prob', 0)!;
    const [y] = r.outputs.get(c.input)!;
    expect(y.shape).toEqual(ref.shape);
    expect(withinTolerance(y.data, ref.data, { final: true })).toMatchObject({ ok: true });
  });

  it('reports its progress in order, from 0 to the README', async () => {
    const { net } = await wideNet();
    const seen: [string, number | undefined][] = [];
    await writeTfjs(context(net, join(work, 'wide-progress'), 'channels_first', { progress: (s, f) => seen.push([s, f]) }));
    const fractions = seen.map(([, f]) => f ?? 0);
    expect(fractions[0]).toBe(0);
    expect(seen.at(-1)![0]).toBe('writing the README');
    expect(fractions.every((f) => f <= 1)).toBe(true);
    expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1])).toBe(true);
    expect(seen.filter(([s]) => s === 'writing weights').length).toBeGreaterThanOrEqual(3);
  });

  it('leaves nothing behind when cancelled between two shards', async () => {
    const { net } = await wideNet();
    const parent = mkdtempSync(join(work, 'cancel-'));
    const out = join(parent, 'wide');
    let shardsWritten = 0;
    const ctx = context(net, out, 'channels_last', {
      progress: (stage, f) => {
        if (stage === 'writing weights' && (f ?? 0) > 0.2) shardsWritten++;
      },
      checkCancelled: () => {
        if (shardsWritten >= 1) throw new Error('the export was cancelled');
      },
    });
    await expect(writeTfjs(ctx)).rejects.toThrow('cancelled');
    expect(shardsWritten).toBe(1);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('keeps the previous export whole when a new one into the same folder fails', async () => {
    const { net } = await wideNet();
    const parent = mkdtempSync(join(work, 'replace-'));
    const out = join(parent, 'wide');
    await writeTfjs(context(net, out, 'channels_last'));
    const before = readdirSync(out).map((f) => [f, statSync(join(out, f)).size]);
    const ctx = context(net, out, 'channels_first', {
      progress: (stage) => {
        if (stage === 'writing model.json') throw new Error('disk full');
      },
    });
    ctx.options.force = true;
    await expect(writeTfjs(ctx)).rejects.toThrow('disk full');
    expect(readdirSync(out).map((f) => [f, statSync(join(out, f)).size])).toEqual(before);
    expect(leftovers(parent, ['wide'])).toEqual([]);
    expect(JSON.parse(readFileSync(join(out, MODEL_JSON), 'utf8')).userDefinedMetadata.portafilter.ordering).toBe('channels_last');
  });

  it('refuses the Theano kernel flip: TF.js convolves as Caffe does', async () => {
    const { net } = await wideNet();
    const out = join(work, 'flip');
    const ctx = context(net, out, 'channels_first');
    ctx.options.flipKernels = true;
    await expect(writeTfjs(ctx)).rejects.toThrow(/kernel flip/);
    expect(existsSync(out)).toBe(false);
  });
});
