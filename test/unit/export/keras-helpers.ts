/**
 * Shared by the `.keras` / `.h5` export tests: fixture nets, an export context, and the independent
 * readers run through Debian's Python (zipfile, h5py, and a transcription of Keras' layer ordering).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { ExportContext, ExportFormat } from '../../../src/main/export/types.js';
import { buildKerasModel } from '../../../src/main/keras/build.js';
import type { KerasModelSpec, Ordering } from '../../../src/main/keras/spec.js';
import type { CaffeNet } from '../../../src/main/net/model.js';
import { PYTHON } from '../../system-deps.js';
import { fixtureCases, loadFixtureNet } from '../keras/helpers.js';

export { PYTHON } from '../../system-deps.js';
const helpers = fileURLToPath(new URL('../../helpers/', import.meta.url));

/** A fresh temporary folder, removed after the file's tests. */
export function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `portafilter-${tag}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs a Python helper of test/helpers (no .pyc written) and parses what it prints as JSON. */
export function runPython<T>(script: string, args: string[], input?: string): T {
  const r = spawnSync(PYTHON, ['-B', join(helpers, script), ...args], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout) as T;
}

export interface H5Object {
  kind: 'group' | 'dataset';
  attrs: Record<string, unknown>;
  shape?: number[];
  dtype?: string;
  sha256?: string;
}

export interface KerasFileDump {
  zip?: { entries: { name: string; compress_type: number; file_size: number }[]; bad: string | null };
  metadata?: Record<string, unknown>;
  config?: KerasObject;
  hdf5: Record<string, H5Object>;
}

export interface KerasObject {
  module?: string;
  class_name: string;
  config: Record<string, unknown> & { layers?: KerasLayerJson[]; input_layers?: unknown; output_layers?: unknown };
  registered_name?: string | null;
}

export interface KerasLayerJson extends KerasObject {
  name: string;
  inbound_nodes: unknown[];
}

/** The file as zipfile and h5py read it (test/helpers/keras_file_dump.py). */
export const dumpKerasFile = (file: string): KerasFileDump => runPython<KerasFileDump>('keras_file_dump.py', [file]);

/** Keras' `model.layers` order and weight paths for a config, by the Python transcription of Keras' code. */
export const kerasOrderOf = (config: unknown): { order: string[]; paths: Record<string, string> } =>
  runPython('keras_layer_order.py', [], JSON.stringify(config));

export const sha256 = (data: Float32Array): string => createHash('sha256').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex');

export const FIXTURES = ['lenet_mnist', 'features_b', 'mtcnn_onet', 'ultraface_slim320'] as const;
export const ORDERINGS: readonly Ordering[] = ['channels_last', 'channels_first'];

const nets = new Map<string, Promise<CaffeNet>>();
/** A fixture net with its weights (loaded once per test file). */
export function fixtureNet(model: string): Promise<CaffeNet> {
  let net = nets.get(model);
  if (!net) nets.set(model, (net = loadFixtureNet(fixtureCases(model)[0])));
  return net;
}

export interface TestContext extends ExportContext {
  spec: KerasModelSpec;
  events: { stage: string; fraction?: number }[];
  /** How many times checkCancelled was called. */
  checks: number;
}

/** The context export/index.ts builds, recording progress; cancelled at the `cancelAt`-th check when given. */
export function exportContext(model: CaffeNet, format: ExportFormat, out: string, ordering: Ordering, cancelAt?: number, spec?: KerasModelSpec): TestContext {
  const ctx: TestContext = {
    model,
    spec: spec ?? buildKerasModel(model, { ordering }),
    options: { format, out, ordering },
    events: [],
    checks: 0,
    progress: (stage, fraction) => ctx.events.push({ stage, fraction }),
    checkCancelled: () => {
      ctx.checks++;
      if (cancelAt !== undefined && ctx.checks >= cancelAt) throw new Error('the export was cancelled');
    },
  };
  return ctx;
}

/**
 * The constructor arguments of each Keras layer class the converter uses (Keras 3's `__init__`
 * signatures; every layer but InputLayer also takes the base Layer's name, trainable and dtype). A
 * config key outside these makes `from_config` fail.
 */
export const KERAS3_ARGS: Record<string, string[]> = {
  InputLayer: ['shape', 'batch_size', 'dtype', 'sparse', 'ragged', 'batch_shape', 'input_tensor', 'optional', 'name'],
  Conv2D: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'],
  DepthwiseConv2D: ['kernel_size', 'strides', 'padding', 'depth_multiplier', 'data_format', 'dilation_rate', 'activation', 'use_bias', 'depthwise_initializer', 'bias_initializer', 'depthwise_regularizer', 'bias_regularizer', 'activity_regularizer', 'depthwise_constraint', 'bias_constraint'],
  Conv2DTranspose: ['filters', 'kernel_size', 'strides', 'padding', 'output_padding', 'data_format', 'dilation_rate', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'],
  Dense: ['units', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'],
  ZeroPadding2D: ['padding', 'data_format'],
  Cropping2D: ['cropping', 'data_format'],
  MaxPooling2D: ['pool_size', 'strides', 'padding', 'data_format'],
  AveragePooling2D: ['pool_size', 'strides', 'padding', 'data_format'],
  Flatten: ['data_format'],
  Reshape: ['target_shape'],
  Permute: ['dims'],
  Activation: ['activation'],
  ReLU: ['max_value', 'negative_slope', 'threshold'],
  LeakyReLU: ['negative_slope'],
  PReLU: ['alpha_initializer', 'alpha_regularizer', 'alpha_constraint', 'shared_axes'],
  ELU: ['alpha'],
  Softmax: ['axis'],
  BatchNormalization: ['axis', 'momentum', 'epsilon', 'center', 'scale', 'beta_initializer', 'gamma_initializer', 'moving_mean_initializer', 'moving_variance_initializer', 'beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint', 'synchronized'],
  Add: [],
  Multiply: [],
  Maximum: [],
  Concatenate: ['axis'],
  Dropout: ['rate', 'noise_shape', 'seed'],
  Rescaling: ['scale', 'offset'],
};

/** The same for tf.keras 2 (Keras 2.15), where they differ: InputLayer and LeakyReLU. */
export const KERAS2_ARGS: Record<string, string[]> = {
  ...KERAS3_ARGS,
  InputLayer: ['input_shape', 'batch_size', 'dtype', 'input_tensor', 'sparse', 'name', 'ragged', 'type_spec', 'batch_input_shape'],
  LeakyReLU: ['alpha'],
};

/** The config keys of Portafilter's custom layers (their TS classes' snake_case config, as the Python classes take it). */
export const CUSTOM_ARGS: Record<string, string[]> = {
  CaffePooling: ['mode', 'pool_size', 'strides', 'padding', 'round_mode', 'data_format'],
  CaffeLRN: ['local_size', 'alpha', 'beta', 'k', 'norm_region', 'data_format'],
  CaffeNeuron: ['function', 'power', 'scale', 'shift', 'base', 'threshold', 'min', 'max', 'beta'],
  CaffeScale: ['shape', 'use_scale', 'use_bias'],
  CaffeSlice: ['axis', 'slice_points'],
  CaffeArgMax: ['axis', 'top_k', 'out_max_val'],
};
