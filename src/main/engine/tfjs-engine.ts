/**
 * Runs a converted model (a KerasModelSpec) on TensorFlow.js: the spec's layers become tfjs-layers
 * layers (Portafilter's custom ones included) wired as a functional LayersModel whose outputs are
 * every Caffe layer's tops, so one forward captures them all. Inputs arrive in Caffe's layout and are
 * transposed to the Keras layout; outputs go back through the inverse layout.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { EngineError } from '../../shared/errors.js';
import { kerasOutputTensors } from '../keras/build.js';
import { CUSTOM_LAYERS, isCustomLayer } from '../keras/custom/index.js';
import { invertPerm, isIdentity } from '../keras/layout.js';
import type { CaffeTopRef, KerasLayerSpec, KerasModelSpec, KerasTensorRef } from '../keras/spec.js';
import { flipKernel } from '../keras/weights.js';
import type { Blob } from '../layers/types.js';
import type { CaffeNet } from '../net/model.js';
import { AlphaELU, AxisBatchNorm, AxisSoftmax, BroadcastPReLU, GroupedConv2D } from './tfjs-bridges.js';
import { selectTfjsBackend, useTfjsBackend, type TfjsBackendName } from './tfjs-backends.js';
import type { Engine, LayerOutput, RunOptions, RunResult } from './types.js';

type Config = Record<string, unknown>;
type DataFormat = 'channelsLast' | 'channelsFirst';

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1])] : [Number(v), Number(v)]);
const format = (v: unknown): DataFormat => (v === 'channels_first' ? 'channelsFirst' : 'channelsLast');
const num = (v: unknown, dflt: number): number => (typeof v === 'number' ? v : dflt);
const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A snake_case Keras config as the camelCase args of a TF.js layer (keys only; values stay). */
export function toTfjsArgs(config: Config): Config {
  const out: Config = {};
  for (const [k, v] of Object.entries(config)) out[camel(k)] = v;
  return out;
}

const ACTIVATIONS: Record<string, string> = { linear: 'linear', relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', softplus: 'softplus', silu: 'swish', swish: 'swish', elu: 'elu' };

/** The TF.js layer computing one Keras 3 layer of the spec (unbuilt: no weights until it is applied). */
/** `inputRank`: the rank of the layer's (first) input, batch included; the layers that need one keep it from input to output. */
export function makeLayer(spec: KerasLayerSpec, inputRank: number): tfl.layers.Layer {
  const c = spec.config;
  const name = spec.name;
  const unsupported = (why: string): never => {
    throw new EngineError(`the TF.js engine cannot run ${spec.className} '${name}': ${why}`, { layer: spec.caffeLayer });
  };
  switch (spec.className) {
    case 'Conv2D': {
      const groups = num(c.groups, 1);
      const padding = c.padding === 'same' ? 'same' : 'valid';
      if (groups > 1 && padding !== 'valid') unsupported("padding 'same' with groups");
      const args = {
        name,
        filters: Number(c.filters),
        kernelSize: pair(c.kernel_size),
        strides: pair(c.strides ?? 1),
        dilationRate: pair(c.dilation_rate ?? 1),
        useBias: c.use_bias !== false,
        dataFormat: format(c.data_format),
      };
      if (groups > 1) return new GroupedConv2D({ ...args, groups });
      return tfl.layers.conv2d({ ...args, padding });
    }
    case 'DepthwiseConv2D':
      return tfl.layers.depthwiseConv2d({
        name,
        kernelSize: pair(c.kernel_size),
        strides: pair(c.strides ?? 1),
        padding: c.padding === 'same' ? 'same' : 'valid',
        depthMultiplier: num(c.depth_multiplier, 1),
        dilationRate: pair(c.dilation_rate ?? 1),
        useBias: c.use_bias !== false,
        dataFormat: format(c.data_format),
      });
    case 'Conv2DTranspose': {
      const dilation = pair(c.dilation_rate ?? 1);
      if (dilation[0] !== 1 || dilation[1] !== 1) unsupported('dilation (tfjs-layers Conv2DTranspose has none; the builder folds it into the kernel)');
      if (c.output_padding != null) unsupported('output_padding');
      return tfl.layers.conv2dTranspose({
        name,
        filters: Number(c.filters),
        kernelSize: pair(c.kernel_size),
        strides: pair(c.strides ?? 1),
        padding: c.padding === 'same' ? 'same' : 'valid',
        useBias: c.use_bias !== false,
        dataFormat: format(c.data_format),
      });
    }
    case 'Dense':
      return tfl.layers.dense({ name, units: Number(c.units), useBias: c.use_bias !== false });
    case 'ZeroPadding2D':
      return tfl.layers.zeroPadding2d({ name, padding: c.padding as [[number, number], [number, number]], dataFormat: format(c.data_format) });
    case 'Cropping2D':
      return tfl.layers.cropping2D({ name, cropping: c.cropping as [[number, number], [number, number]], dataFormat: format(c.data_format) });
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const args = {
        name,
        poolSize: pair(c.pool_size),
        strides: pair(c.strides ?? c.pool_size),
        padding: (c.padding === 'same' ? 'same' : 'valid') as 'same' | 'valid',
        dataFormat: format(c.data_format),
      };
      return spec.className === 'MaxPooling2D' ? tfl.layers.maxPooling2d(args) : tfl.layers.averagePooling2d(args);
    }
    case 'Flatten':
      if (c.data_format === 'channels_first') unsupported("data_format 'channels_first' (the builder flattens in the tensor's own order)");
      return tfl.layers.flatten({ name, dataFormat: 'channelsLast' });
    case 'Reshape':
      return tfl.layers.reshape({ name, targetShape: c.target_shape as number[] });
    case 'Permute':
      return tfl.layers.permute({ name, dims: c.dims as number[] });
    case 'Activation': {
      const activation = ACTIVATIONS[String(c.activation)];
      if (!activation) unsupported(`activation '${String(c.activation)}'`);
      return tfl.layers.activation({ name, activation: activation as 'linear' });
    }
    case 'ReLU':
      if (num(c.negative_slope, 0) !== 0 || num(c.threshold, 0) !== 0) unsupported('negative_slope / threshold');
      return tfl.layers.reLU({ name, maxValue: c.max_value == null ? undefined : Number(c.max_value) });
    case 'LeakyReLU':
      return tfl.layers.leakyReLU({ name, alpha: num(c.negative_slope, 0.3) });
    case 'PReLU': {
      const rank = inputRank;
      const shared = (c.shared_axes as number[] | null) ?? [];
      // TF.js' own PReLU only when alpha varies along the last axis alone (or nowhere).
      const lastOnly = Array.from({ length: rank - 2 }, (_, i) => i + 1).every((a) => shared.includes(a));
      return lastOnly ? tfl.layers.prelu({ name, sharedAxes: shared.length > 0 ? shared : undefined }) : new BroadcastPReLU({ name, sharedAxes: shared });
    }
    case 'ELU': {
      const alpha = num(c.alpha, 1);
      return alpha === 1 ? tfl.layers.elu({ name }) : new AlphaELU({ name, alpha });
    }
    case 'BatchNormalization': {
      const rank = inputRank;
      const axis = num(c.axis, -1) < 0 ? num(c.axis, -1) + rank : num(c.axis, -1);
      const args = { name, axis, epsilon: num(c.epsilon, 1e-3), center: c.center !== false, scale: c.scale !== false };
      if (axis !== rank - 1) return new AxisBatchNorm(args);
      return tfl.layers.batchNormalization({
        name,
        axis: num(c.axis, -1),
        momentum: num(c.momentum, 0.99),
        epsilon: num(c.epsilon, 1e-3),
        center: c.center !== false,
        scale: c.scale !== false,
      });
    }
    case 'Add':
      return tfl.layers.add({ name });
    case 'Multiply':
      return tfl.layers.multiply({ name });
    case 'Maximum':
      return tfl.layers.maximum({ name });
    case 'Concatenate':
      return tfl.layers.concatenate({ name, axis: num(c.axis, -1) });
    case 'Softmax': {
      const rank = inputRank;
      const axis = num(c.axis, -1) < 0 ? num(c.axis, -1) + rank : num(c.axis, -1);
      return axis === rank - 1 ? tfl.layers.softmax({ name, axis: -1 }) : new AxisSoftmax({ name, axis });
    }
    case 'Dropout':
      return tfl.layers.dropout({ name, rate: num(c.rate, 0.5) });
    case 'Rescaling':
      return tfl.layers.rescaling({ name, scale: Number(c.scale), offset: num(c.offset, 0) });
  }
  if (isCustomLayer(spec.className)) {
    const Cls = CUSTOM_LAYERS[spec.className] as unknown as new (args: Config) => tfl.layers.Layer;
    return new Cls({ ...toTfjsArgs(c), name });
  }
  return unsupported('no TF.js counterpart');
}

/** Spec weights in the TF.js layer's weight order, as tensors (kernels unflipped for a flipKernels spec). */
function weightTensors(spec: KerasLayerSpec, layer: tfl.layers.Layer, unflip: boolean): tf.Tensor[] {
  const vars = layer.weights;
  if (vars.length !== spec.weights.length)
    throw new EngineError(`layer '${spec.name}' (${spec.className}) has ${vars.length} weights in TF.js, the spec gives ${spec.weights.length}`, {
      layer: spec.caffeLayer,
    });
  return spec.weights.map((w, i) => {
    const want = vars[i].shape;
    if (want.length !== w.shape.length || want.some((d, k) => d !== w.shape[k]))
      throw new EngineError(`weight '${spec.name}/${w.name}' has shape [${w.shape.join(', ')}], TF.js expects [${want.join(', ')}]`, {
        layer: spec.caffeLayer,
      });
    const isKernel = w.name === 'kernel' && ['Conv2D', 'DepthwiseConv2D', 'Conv2DTranspose'].includes(spec.className);
    const data = unflip && isKernel ? flipKernel({ shape: w.shape, data: w.data }).data : w.data;
    return tf.tensor(data, w.shape, 'float32');
  });
}

const refKey = (r: KerasTensorRef): string => `${r.layer}:${r.index}`;
const sameDims = (a: readonly (number | null)[], b: readonly (number | null)[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** A spec instantiated as tfjs-layers layers with its weights set: the symbolic graph, from which models are cut. */
export interface TfjsGraph {
  readonly spec: KerasModelSpec;
  /** The spec's inputs, in order. */
  readonly inputs: tfl.SymbolicTensor[];
  /** Names of the spec's InputLayers. */
  readonly inputLayers: ReadonlySet<string>;
  /** The symbolic tensor of a spec tensor. */
  tensor(ref: KerasTensorRef): tfl.SymbolicTensor;
  /** A functional model from the spec's inputs to `outputs` (the spec's outputs when absent); null when `outputs` is empty. */
  model(outputs?: KerasTensorRef[], name?: string): tfl.LayersModel | null;
  /** Frees the weights (every model cut from the graph shares them). */
  dispose(): void;
}

/**
 * The spec as TF.js layers, wired in the spec's order and given the spec's weights (unflipped for a
 * flipKernels spec: TF.js convolves as Caffe does). The engine and the TF.js export share it. Needs
 * an initialised tfjs backend (the weights become tensors). `checkShapes: false` is for a spec read back
 * from a Keras file, which records no output shapes to check against.
 */
export function buildTfjsGraph(spec: KerasModelSpec, { checkShapes = true }: { checkShapes?: boolean } = {}): TfjsGraph {
  const symbolic = new Map<string, tfl.SymbolicTensor[]>();
  const tfLayers: { spec: KerasLayerSpec; layer: tfl.layers.Layer }[] = [];
  const inputLayers = new Set<string>();

  const dispose = (): void => {
    const vars = new Set(tfLayers.flatMap(({ layer }) => layer.weights));
    for (const v of vars) v.dispose();
  };
  try {
    for (const ls of spec.layers) {
      if (ls.className === 'InputLayer') {
        const batchShape = (ls.config.batch_shape as (number | null)[]) ?? ls.outputShapes[0];
        symbolic.set(ls.name, [tfl.input({ batchShape, name: ls.name })]);
        inputLayers.add(ls.name);
        continue;
      }
      const ins = ls.inputs.map((r) => {
        const t = symbolic.get(r.layer)?.[r.index];
        if (!t) throw new EngineError(`layer '${ls.name}' reads ${refKey(r)}, which no earlier layer produces`, { layer: ls.caffeLayer });
        return t;
      });
      const layer = makeLayer(ls, ins[0]?.shape.length ?? 0);
      const applied = layer.apply(ins.length === 1 ? ins[0] : ins) as tfl.SymbolicTensor | tfl.SymbolicTensor[];
      const outs = Array.isArray(applied) ? applied : [applied];
      if (checkShapes && (outs.length !== ls.outputShapes.length || outs.some((t, i) => !sameDims(t.shape, ls.outputShapes[i]))))
        throw new EngineError(
          `layer '${ls.name}' (${ls.className}) gives shapes ${outs.map((t) => `[${t.shape.join(', ')}]`).join(' ')} in TF.js, the spec says ${ls.outputShapes.map((s) => `[${s.join(', ')}]`).join(' ')}`,
          { layer: ls.caffeLayer },
        );
      symbolic.set(ls.name, outs);
      tfLayers.push({ spec: ls, layer });
    }
    for (const { spec: ls, layer } of tfLayers) {
      if (ls.weights.length === 0 && layer.weights.length === 0) continue;
      const tensors = weightTensors(ls, layer, spec.flipKernels);
      layer.setWeights(tensors);
      tf.dispose(tensors);
    }
  } catch (e) {
    dispose();
    throw e;
  }

  const tensor = (r: KerasTensorRef): tfl.SymbolicTensor => {
    const t = symbolic.get(r.layer)?.[r.index];
    if (!t) throw new EngineError(`the model has no tensor ${refKey(r)}`);
    return t;
  };
  const inputs = spec.inputs.map(tensor);
  return {
    spec,
    inputs,
    inputLayers,
    tensor,
    model: (outputs = spec.outputs, name = spec.name) =>
      outputs.length === 0 ? null : tfl.model({ inputs, outputs: outputs.map(tensor), name }),
    dispose,
  };
}

/** The net outputs (kerasOutputTensors) as Caffe tops of the spec: the producing layer and where its top is. */
export function netOutputTops(model: CaffeNet, spec: KerasModelSpec): { layer: string; top: CaffeTopRef }[] {
  const byLayer = new Map(spec.caffeLayers.map((l) => [l.name, l]));
  return kerasOutputTensors(model).flatMap((id) => {
    const t = model.graph.tensors[id];
    const layer = model.graph.layers[t.producer];
    const top = byLayer.get(layer.name)?.tops.find((x) => x.blob === t.blob);
    return top ? [{ layer: layer.name, top }] : [];
  });
}

export interface TfjsEngine extends Engine {
  readonly backend: TfjsBackendName;
  readonly spec: KerasModelSpec;
  /** The TF.js model over every captured tensor (for inspection; owned by the engine); null when nothing is computed. */
  readonly model: tfl.LayersModel | null;
}

/**
 * An engine running `spec` (built from `model`) on a TF.js backend: `backend` (or 'auto' / absent:
 * tfjs-node-gpu > tfjs-node > wasm > cpu, see tfjs-backends.ts).
 */
export async function createTfjsEngine(model: CaffeNet, spec: KerasModelSpec, backend?: TfjsBackendName | 'auto'): Promise<TfjsEngine> {
  const chosen = await selectTfjsBackend(backend);
  const graph = buildTfjsGraph(spec);
  const { inputLayers } = graph;

  // Which Keras tensors to fetch: every Caffe top except the net inputs (and tops aliasing them).
  const inputRefs = spec.inputs;
  const caffeInput = new Map<string, { blob: string; perm: number[]; caffeShape: number[] }>();
  for (const l of spec.caffeLayers)
    for (const top of l.tops)
      if (inputLayers.has(top.tensor.layer) && !caffeInput.has(refKey(top.tensor)))
        caffeInput.set(refKey(top.tensor), { blob: top.blob, perm: top.perm, caffeShape: top.caffeShape });

  const captureRefs: KerasTensorRef[] = [];
  const seen = new Set<string>();
  for (const l of spec.caffeLayers)
    for (const top of l.tops)
      if (!inputLayers.has(top.tensor.layer) && !seen.has(refKey(top.tensor))) {
        seen.add(refKey(top.tensor));
        captureRefs.push(top.tensor);
      }
  const outputRefs = spec.outputs.filter((r) => !inputLayers.has(r.layer));
  const captureModel = graph.model(captureRefs, spec.name);
  const outputModel = graph.model(outputRefs, `${spec.name}_outputs`);

  const netOutputs = netOutputTops(model, spec);
  const outputLayers = new Set(netOutputs.map((o) => o.layer));

  let disposed = false;
  const run = async (inputs: Record<string, Blob>, options: RunOptions = {}): Promise<RunResult> => {
    if (disposed) throw new EngineError('the engine was disposed');
    const capture = options.capture !== false;
    options.signal?.throwIfAborted();
    await useTfjsBackend(chosen.name);
    const start = performance.now();

    let batch: number | undefined;
    const given = inputRefs.map((r) => {
      const info = caffeInput.get(refKey(r))!;
      const blob = inputs[info.blob];
      if (!blob) throw new EngineError(`no value for net input '${info.blob}' (inputs: ${Object.keys(inputs).join(', ') || 'none'})`);
      if (blob.shape.length !== info.caffeShape.length || blob.shape.some((d, i) => i > 0 && d !== info.caffeShape[i]))
        throw new EngineError(`net input '${info.blob}' has shape [${blob.shape.join(', ')}]; the model takes [N, ${info.caffeShape.slice(1).join(', ')}]`);
      if (blob.data.length !== blob.shape.reduce((a, d) => a * d, 1))
        throw new EngineError(`net input '${info.blob}' holds ${blob.data.length} values for shape [${blob.shape.join(', ')}]`);
      if (batch !== undefined && blob.shape[0] !== batch) throw new EngineError('all net inputs must have the same batch size');
      batch = blob.shape[0];
      return { blob, perm: info.perm };
    });
    // Caffe layout in, Keras layout to the model.
    const feeds = given.map(({ blob, perm }) =>
      tf.tidy(() => {
        const x = tf.tensor(blob.data, blob.shape, 'float32');
        return isIdentity(perm) ? x : tf.transpose(x, perm);
      }),
    );

    const refs = capture ? captureRefs : outputRefs;
    const m = capture ? captureModel : outputModel;
    const wanted = spec.caffeLayers.filter((l) => capture || outputLayers.has(l.name));
    // Keras tensors by ref; each Caffe top reads one through its own layout (a Permute shares its bottom's tensor).
    const values = new Map<string, { value: Blob; kerasShape: number[] }>();
    const valueKey = (top: CaffeTopRef): string => `${refKey(top.tensor)}|${top.perm.join(',')}`;
    let outs: tf.Tensor[] = [];
    try {
      const predicted = m ? m.predict(feeds.length === 1 ? feeds[0] : feeds, { batchSize: Math.max(batch ?? 1, 1) }) : [];
      outs = Array.isArray(predicted) ? predicted : [predicted];
      const keras = new Map<string, tf.Tensor>();
      inputRefs.forEach((r, i) => keras.set(refKey(r), feeds[i]));
      refs.forEach((r, i) => keras.set(refKey(r), outs[i]));
      for (const top of wanted.flatMap((l) => l.tops)) {
        const key = valueKey(top);
        const t = keras.get(refKey(top.tensor));
        if (values.has(key) || !t) continue;
        const caffe = isIdentity(top.perm) ? t : tf.transpose(t, invertPerm(top.perm));
        try {
          values.set(key, { value: { shape: [...caffe.shape], data: (await caffe.data()) as Float32Array }, kerasShape: [...t.shape] });
        } finally {
          if (caffe !== t) caffe.dispose();
        }
      }
    } finally {
      tf.dispose(outs);
      tf.dispose(feeds);
    }
    options.signal?.throwIfAborted();

    const layers: LayerOutput[] = wanted.map((l) => ({
      layer: l.name,
      type: l.type,
      tops: l.tops.flatMap((top) => {
        const v = values.get(valueKey(top));
        return v ? [{ blob: top.blob, value: v.value, kerasShape: v.kerasShape }] : [];
      }),
    }));
    const outputs = netOutputs.flatMap(({ top }) => {
      const v = values.get(valueKey(top));
      return v ? [{ blob: top.blob, value: v.value }] : [];
    });
    return {
      engine: chosen.name,
      engineDetail: chosen.detail,
      form: 'keras',
      ordering: spec.ordering,
      flipKernels: spec.flipKernels,
      layers,
      outputs,
      milliseconds: performance.now() - start,
    };
  };

  return {
    name: chosen.name,
    backend: chosen.name,
    detail: chosen.detail,
    spec,
    model: captureModel ?? outputModel,
    run,
    dispose(): void {
      if (disposed) return;
      disposed = true;
      graph.dispose();
    },
  };
}
