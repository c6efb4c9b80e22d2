/**
 * Reading a written `.keras` or `.h5` back into a model spec, from the file's own config and weights
 * only: the inverse of keras-config.ts, for verifying an export (verify.ts builds the spec on TF.js
 * and runs it). It reads what Portafilter writes, the way Keras' loaders read it:
 *
 * - `.keras`: config.json's layers and their `__keras_tensor__` inbound references; weights of each
 *   layer of `model.layers` (Keras' own order, kerasLayerOrder, recomputed from the config read) from
 *   `layers/<snake_case class>[_n]/vars/<k>` of model.weights.h5 (saving_lib.py).
 * - `.h5`: the root `model_config` (Keras 2 dialect) and `model_weights/<layer>` with its
 *   `weight_names` (legacy_h5_format.py); `backend: theano` marks kernels flipped 180°.
 */
import { closeSync, createWriteStream, openSync, readSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Unzip, UnzipPassThrough } from 'fflate';
import { PortafilterError } from '../../shared/errors.js';
import type { KerasLayerSpec, KerasModelSpec, KerasTensorRef, KerasWeight } from '../keras/spec.js';
import { hdf5 } from './hdf5.js';
import { CUSTOM_PACKAGE, kerasLayerOrder, kerasWeightPaths } from './keras-config.js';

/** A spec read back from a file: no Caffe side, no output shapes (the file does not record them). */
export interface KerasFileModel {
  spec: KerasModelSpec;
  /** What the file says about its kernels: flipped for a true-convolution backend ('.h5' backend attribute), or unknown. */
  flipped?: boolean;
}

type Json = Record<string, unknown>;
const CONVOLUTIONS = new Set(['Conv2D', 'DepthwiseConv2D', 'Conv2DTranspose']);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(file: string, what: string): never {
  throw new PortafilterError(`the Keras file does not read back: ${what}`, { file });
}

/** `[layer, node, index]` (or a list of them) as tensor refs. */
function refsOf(file: string, value: unknown, what: string): KerasTensorRef[] {
  const one = (v: unknown): KerasTensorRef => {
    if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[2] !== 'number') bad(file, `${what} holds ${JSON.stringify(v)?.slice(0, 60)}, not [layer, node, tensor]`);
    return { layer: v[0], index: v[2] };
  };
  if (Array.isArray(value) && typeof value[0] === 'string') return [one(value)];
  if (!Array.isArray(value)) bad(file, `${what} is not a list`);
  return value.map(one);
}

/** Every `__keras_tensor__` in a Keras 3 call's arguments (a merge layer takes them as one list). */
function kerasTensors(file: string, value: unknown, out: KerasTensorRef[] = []): KerasTensorRef[] {
  if (Array.isArray(value)) for (const v of value) kerasTensors(file, v, out);
  else if (isObject(value) && value.class_name === '__keras_tensor__') {
    const history = (value.config as Json | undefined)?.keras_history;
    out.push(...refsOf(file, history, 'a __keras_tensor__ keras_history'));
  }
  return out;
}

const withoutCommon = (config: Json): Json => {
  const { name: _name, trainable: _trainable, dtype: _dtype, ...rest } = config;
  return rest;
};

const layerList = (file: string, model: unknown): Json[] => {
  const layers = isObject(model) && isObject(model.config) ? model.config.layers : undefined;
  if (!Array.isArray(layers) || !layers.every(isObject)) bad(file, 'the config has no list of layers');
  return layers;
};

/** The model around its layers: name, inputs and outputs as the config says (no Caffe side: it is read from a file). */
function modelSpec(file: string, model: unknown, layers: KerasLayerSpec[]): KerasModelSpec {
  const config = (model as Json).config as Json;
  return {
    name: String(config.name ?? 'model'),
    ordering: 'channels_last',
    flipKernels: false,
    layers,
    inputs: refsOf(file, config.input_layers, 'input_layers'),
    outputs: refsOf(file, config.output_layers, 'output_layers'),
    caffeLayers: [],
    skipped: [],
  };
}

/** config.json of a `.keras` archive as a spec (weights empty). */
export function specFromKerasConfig(file: string, model: unknown): KerasModelSpec {
  const layers: KerasLayerSpec[] = layerList(file, model).map((l) => {
    const name = String(l.name ?? (l.config as Json | undefined)?.name ?? '');
    const className = String(l.class_name ?? '');
    if (!name || !className || !isObject(l.config)) bad(file, `a layer entry lacks its name, class or config (${JSON.stringify(l).slice(0, 60)})`);
    const nodes = Array.isArray(l.inbound_nodes) ? l.inbound_nodes : [];
    if (nodes.length > 1) bad(file, `layer '${name}' is called ${nodes.length} times; Portafilter writes each layer once`);
    const inputs = nodes.length === 0 ? [] : kerasTensors(file, (nodes[0] as Json).args);
    const config = className === 'InputLayer' ? { batch_shape: l.config.batch_shape, sparse: l.config.sparse ?? false } : withoutCommon(l.config);
    return { name, className, config, inputs, outputShapes: [], weights: [] };
  });
  return modelSpec(file, model, layers);
}

/** The root `model_config` of a legacy `.h5` (the Keras 2 dialect) as a spec (weights empty). */
export function specFromLegacyConfig(file: string, model: unknown): KerasModelSpec {
  const layers: KerasLayerSpec[] = layerList(file, model).map((l) => {
    const name = String(l.name ?? '');
    let className = String(l.class_name ?? '');
    if (className.startsWith(`${CUSTOM_PACKAGE}>`)) className = className.slice(CUSTOM_PACKAGE.length + 1);
    if (!name || !className || !isObject(l.config)) bad(file, `a layer entry lacks its name, class or config (${JSON.stringify(l).slice(0, 60)})`);
    const nodes = Array.isArray(l.inbound_nodes) ? l.inbound_nodes : [];
    if (nodes.length > 1) bad(file, `layer '${name}' is called ${nodes.length} times; Portafilter writes each layer once`);
    const inputs = nodes.length === 0 ? [] : refsOf(file, nodes[0], `the inbound node of '${name}'`);
    const c = withoutCommon(l.config);
    // The inverse of keras-config.ts legacyLayerConfig.
    if (className === 'InputLayer') return { name, className, config: { batch_shape: c.batch_input_shape, sparse: c.sparse ?? false }, inputs, outputShapes: [], weights: [] };
    if (className === 'LeakyReLU' && 'alpha' in c) {
      c.negative_slope = c.alpha;
      delete c.alpha;
    }
    return { name, className, config: c, inputs, outputShapes: [], weights: [] };
  });
  return modelSpec(file, model, layers);
}

const textOf = (v: unknown): string => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v));
const textsOf = (v: unknown): string[] => (Array.isArray(v) ? v.map(textOf) : v === undefined || v === null ? [] : [textOf(v)]);

type H5 = Awaited<ReturnType<typeof hdf5>>;
type H5FileHandle = InstanceType<H5['File']>;

function readFloat32(h5: H5, f: H5FileHandle, file: string, path: string): { shape: number[]; data: Float32Array } {
  const ds = f.get(path);
  if (!(ds instanceof h5.Dataset)) bad(file, `'${path}' is missing`);
  const value = ds.value;
  if (!(value instanceof Float32Array)) bad(file, `'${path}' is not float32 (${String(ds.dtype)})`);
  return { shape: [...(ds.shape ?? [])], data: value };
}

/** The weights of each layer from `model.weights.h5`, at the paths Keras 3 derives from the config's layer order. */
async function readKerasWeights(spec: KerasModelSpec, weightsFile: string, archive: string): Promise<void> {
  const h5 = await hdf5();
  const f = new h5.File(weightsFile, 'r');
  try {
    const paths = kerasWeightPaths(kerasLayerOrder(spec));
    for (const layer of spec.layers) {
      const vars = f.get(`${paths.get(layer.name)!}/vars`);
      if (!(vars instanceof h5.Group)) continue;
      const keys = vars.keys().filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
      layer.weights = keys.map((k, i): KerasWeight => {
        if (Number(k) !== i) bad(archive, `'${paths.get(layer.name)}/vars' has no weight ${i}`);
        // Keras' convolutions hold their kernel first; the name only tells TF.js which weight a flip applies to.
        return { name: i === 0 && CONVOLUTIONS.has(layer.className) ? 'kernel' : `vars/${k}`, ...readFloat32(h5, f, archive, `${paths.get(layer.name)!}/vars/${k}`) };
      });
    }
  } finally {
    f.close();
  }
}

/** config.json and model.weights.h5 of a `.keras` archive, the weights streamed to a temporary file (h5wasm opens files). */
async function unpackKeras(file: string, dir: string): Promise<{ config: unknown; weightsFile: string }> {
  const weightsFile = join(dir, 'model.weights.h5');
  const texts = new Map<string, Uint8Array[]>();
  let weights: ReturnType<typeof createWriteStream> | undefined;
  let failure: Error | undefined;
  const pending: Promise<void>[] = [];
  const unzip = new Unzip((entry) => {
    if (entry.name === 'config.json') {
      const parts: Uint8Array[] = [];
      texts.set(entry.name, parts);
      entry.ondata = (err, chunk) => (err ? (failure = err) : parts.push(chunk));
      entry.start();
    } else if (entry.name === 'model.weights.h5') {
      const out = (weights = createWriteStream(weightsFile));
      pending.push(new Promise((resolve, reject) => out.on('finish', resolve).on('error', reject)));
      entry.ondata = (err, chunk, final) => {
        if (err) failure = err;
        else out.write(chunk);
        if (final) out.end();
      };
      entry.start();
    }
  });
  unzip.register(UnzipPassThrough);
  const fd = openSync(file, 'r');
  try {
    const chunk = new Uint8Array(8 * 1024 * 1024);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      unzip.push(chunk.slice(0, n), n === 0);
      if (failure) throw failure;
      if (n === 0) break;
    }
  } catch (e) {
    bad(file, `it is not a zip archive (${(e as Error).message})`);
  } finally {
    closeSync(fd);
  }
  await Promise.all(pending);
  const config = texts.get('config.json');
  if (!config) bad(file, 'the archive has no config.json');
  if (!weights) bad(file, 'the archive has no model.weights.h5');
  try {
    return { config: JSON.parse(Buffer.concat(config).toString('utf8')), weightsFile };
  } catch (e) {
    return bad(file, `config.json is not JSON (${(e as Error).message})`);
  }
}

/** A `.keras` archive as Keras 3 would load it: the config's layers with the weights of model.weights.h5. */
export async function readKerasFile(file: string): Promise<KerasFileModel> {
  const dir = await mkdtemp(join(tmpdir(), 'portafilter-verify-'));
  try {
    const { config, weightsFile } = await unpackKeras(file, dir);
    const spec = specFromKerasConfig(file, config);
    await readKerasWeights(spec, weightsFile, file);
    return { spec };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A legacy `.h5` as Keras' legacy loader reads it: `model_config`, then each layer's `weight_names` under `model_weights`. */
export async function readH5File(file: string): Promise<KerasFileModel> {
  const h5 = await hdf5();
  let f: H5FileHandle;
  try {
    f = new h5.File(file, 'r');
  } catch (e) {
    return bad(file, `HDF5 cannot open it (${(e as Error).message})`);
  }
  try {
    const attrs = f.attrs;
    if (!('model_config' in attrs)) bad(file, "the root has no 'model_config' attribute");
    let config: unknown;
    try {
      config = JSON.parse(textOf(attrs.model_config.value));
    } catch (e) {
      bad(file, `model_config is not JSON (${(e as Error).message})`);
    }
    const spec = specFromLegacyConfig(file, config);
    const group = f.get('model_weights');
    if (!(group instanceof h5.Group)) bad(file, "there is no 'model_weights' group");
    for (const layer of spec.layers) {
      const g = group.get(layer.name);
      if (!(g instanceof h5.Group)) continue;
      layer.weights = textsOf(g.attrs.weight_names?.value).map((weightName) => {
        const short = weightName.slice(weightName.lastIndexOf('/') + 1).replace(/:\d+$/, '');
        return { name: short === 'depthwise_kernel' ? 'kernel' : short, ...readFloat32(h5, f, file, `model_weights/${layer.name}/${weightName}`) };
      });
    }
    const backend = 'backend' in attrs ? textOf(attrs.backend.value) : undefined;
    return { spec, flipped: backend === undefined ? undefined : backend === 'theano' };
  } finally {
    f.close();
  }
}
