/**
 * The model spec as Keras serialises it, for the `.keras` and `.h5` writers. Everything here follows
 * Keras' own saving code (keras-team/keras), cited where it decides a detail:
 *
 * - Layer order (`kerasLayerOrder`): `Functional.layers` is not the config's order but the order
 *   keras/src/ops/function.py `map_graph` derives from the graph: a depth-first walk from the outputs
 *   numbers each layer when first met; each node's depth is its longest path to an output; layers
 *   go by decreasing depth, ties by that number. Keras 3 keys `.keras` weights by it, and the legacy
 *   `.h5` loaders (Keras 3 and tf.keras 2 alike) assign weights by position in it.
 * - Weight paths (`kerasWeightPaths`): saving_lib.py `_save_container_state` names each layer of
 *   `model.layers` by its Python class in snake case (`naming.to_snake_case`), numbering repeats
 *   (`conv2d`, `conv2d_1`, ...): `layers/conv2d/vars/0`. Not the layer's name.
 * - `config.json` (`kerasConfig`): serialization_lib.py `serialize_keras_object` of the Functional
 *   model: `{module, class_name, config, registered_name}` per object, inbound nodes as
 *   `{"args": [...], "kwargs": {}}` with `__keras_tensor__` references (functional.py `serialize_node`).
 *   Layer dtypes are written as the string "float32" (how Keras up to 3.3 wrote them; every Keras 3
 *   reads it). No `build_config`: every layer is built when functional_from_config calls it.
 * - The legacy `model_config` (`legacyModelConfig`): the Keras 2 dialect (`inbound_nodes` as nested
 *   `[layer, node, tensor, kwargs]` lists, InputLayer `batch_input_shape`, LeakyReLU `alpha`, custom
 *   classes named `Package>Class`), which tf.keras 2 reads as it is and Keras 3's legacy loader
 *   (legacy/saving/saving_utils.py `model_from_config`) translates.
 */
import { KerasConversionError } from '../../shared/errors.js';
import { isCustomLayer } from '../keras/custom/names.js';
import type { KerasLayerSpec, KerasModelSpec, KerasTensorRef, KerasWeight } from '../keras/spec.js';

/** The Keras 3 release whose config dialect config.json follows (written to metadata.json). */
export const KERAS3_VERSION = '3.3.3';
/** The tf.keras release whose `.h5` dialect the legacy export follows (its `keras_version` attributes). */
export const KERAS2_VERSION = '2.15.0';
/** The package Portafilter's custom layers are registered under (`Portafilter>CaffeLRN`). */
export const CUSTOM_PACKAGE = 'Portafilter';
/** The Python module defining them, written next to an exported model. */
export const PYTHON_MODULE = 'portafilter_layers';

/** Keras' merge layers take their inputs as one list argument. */
const MERGE_LAYERS = new Set(['Add', 'Multiply', 'Maximum', 'Minimum', 'Subtract', 'Average', 'Concatenate']);

/** keras/src/utils/naming.py `to_snake_case`: 'Conv2D' -> 'conv2d', 'PReLU' -> 'p_re_lu', 'CaffeLRN' -> 'caffe_lrn'. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** The registered name of a Portafilter custom layer ('Portafilter>CaffeLRN'), or undefined for Keras' own. */
export const registeredName = (className: string): string | undefined => (isCustomLayer(className) ? `${CUSTOM_PACKAGE}>${className}` : undefined);

/**
 * The layers of the model Keras rebuilds from the config, in `model.layers` order (function.py
 * `map_graph`; see the file comment). Layers from which no output is reached are not part of the
 * Keras model and are left out.
 */
export function kerasLayerOrder(spec: KerasModelSpec): KerasLayerSpec[] {
  const byName = new Map(spec.layers.map((l) => [l.name, l]));
  const get = (name: string): KerasLayerSpec => {
    const l = byName.get(name);
    if (!l) throw new KerasConversionError(`the Keras model refers to a layer '${name}' it does not have`);
    return l;
  };
  if (spec.outputs.length === 0) throw new KerasConversionError('the Keras model has no outputs');
  const inputLayers = new Set(spec.inputs.map((r) => r.layer));
  // _build_map: depth-first from each output in turn; `index` numbers layers as first met (pre-order),
  // `finished` lists them after their inputs (post-order).
  const index = new Map<string, number>();
  const finished: string[] = [];
  const done = new Set<string>();
  const active = new Set<string>();
  const visit = (name: string): void => {
    if (done.has(name)) return;
    if (active.has(name)) throw new KerasConversionError(`the Keras model has a cycle through '${name}'`);
    if (!index.has(name)) index.set(name, index.size);
    active.add(name);
    const layer = get(name);
    if (layer.className !== 'InputLayer' && !inputLayers.has(name)) for (const t of layer.inputs) visit(t.layer);
    done.add(name);
    active.delete(name);
    finished.push(name);
  };
  for (const o of spec.outputs) visit(o.layer);
  // map_graph: from the outputs back, a node's depth is the largest of its consumers' depths + 1.
  const nodeDepth = new Map<string, number>();
  const depth = new Map<string, number>();
  for (const name of [...finished].reverse()) {
    if (!nodeDepth.has(name)) nodeDepth.set(name, 0);
    const d = Math.max(nodeDepth.get(name)!, depth.get(name) ?? 0);
    depth.set(name, d);
    nodeDepth.set(name, d);
    const layer = get(name);
    if (layer.className === 'InputLayer') continue;
    for (const t of layer.inputs) nodeDepth.set(t.layer, Math.max(d + 1, nodeDepth.get(t.layer) ?? 0));
  }
  // Inputs no output depends on still belong to the model (depth 0, before everything else at 0).
  for (const r of spec.inputs) {
    if (depth.has(r.layer)) continue;
    depth.set(r.layer, 0);
    index.set(r.layer, -1);
  }
  const byDepth = new Map<number, string[]>();
  for (const [name, d] of depth) byDepth.set(d, [...(byDepth.get(d) ?? []), name]);
  return [...byDepth.keys()]
    .sort((a, b) => b - a)
    .flatMap((d) => byDepth.get(d)!.sort((a, b) => index.get(a)! - index.get(b)!))
    .map(get);
}

/** The H5IOStore path of each layer's `vars` group in `model.weights.h5`, by layer name ('layers/conv2d_1'). */
export function kerasWeightPaths(ordered: readonly KerasLayerSpec[]): Map<string, string> {
  const used = new Map<string, number>();
  const paths = new Map<string, string>();
  for (const layer of ordered) {
    let name = toSnakeCase(layer.className);
    const n = used.get(name);
    used.set(name, n === undefined ? 0 : n + 1);
    if (n !== undefined) name = `${name}_${n + 1}`;
    paths.set(layer.name, `layers/${name}`);
  }
  return paths;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const layerConfig = (layer: KerasLayerSpec): Record<string, unknown> =>
  layer.className === 'InputLayer'
    ? { batch_shape: layer.config.batch_shape, dtype: 'float32', sparse: layer.config.sparse ?? false, name: layer.name }
    : { name: layer.name, trainable: true, dtype: 'float32', ...layer.config };

/** One model input or output: [layer, node, tensor] (each layer is called once: node 0). */
const tensorRef = (r: KerasTensorRef): Json => [r.layer, 0, r.index];

/** The shape and producer of each Keras tensor, for the `__keras_tensor__` references. */
function kerasTensor(byName: Map<string, KerasLayerSpec>, r: KerasTensorRef): Json {
  const producer = byName.get(r.layer);
  const shape = producer?.outputShapes[r.index];
  if (!shape) throw new KerasConversionError(`the Keras model reads output ${r.index} of '${r.layer}', which it does not have`);
  return { class_name: '__keras_tensor__', config: { shape: [...shape], dtype: 'float32', keras_history: [r.layer, 0, r.index] } };
}

const takesList = (layer: KerasLayerSpec): boolean => MERGE_LAYERS.has(layer.className) || layer.inputs.length > 1;

/** `config.json` of a `.keras` archive: the Functional model as Keras 3 serialises it. */
export function kerasConfig(spec: KerasModelSpec, ordered: readonly KerasLayerSpec[] = kerasLayerOrder(spec)): Json {
  const byName = new Map(spec.layers.map((l) => [l.name, l]));
  const layers: Json[] = ordered.map((layer) => {
    const registered = registeredName(layer.className);
    const args = layer.inputs.map((r) => kerasTensor(byName, r));
    return {
      module: registered ? PYTHON_MODULE : 'keras.layers',
      class_name: layer.className,
      config: layerConfig(layer) as Json,
      registered_name: registered ?? null,
      name: layer.name,
      inbound_nodes: layer.className === 'InputLayer' ? [] : [{ args: takesList(layer) ? [args] : args, kwargs: {} }],
    };
  });
  const refs = (rs: readonly KerasTensorRef[]): Json => (rs.length === 1 ? tensorRef(rs[0]) : rs.map(tensorRef));
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: { name: spec.name, trainable: true, layers, input_layers: refs(spec.inputs), output_layers: refs(spec.outputs) },
    registered_name: 'Functional',
  };
}

/** A layer's config in the Keras 2 dialect both tf.keras 2 and Keras 3's legacy loader accept. */
function legacyLayerConfig(layer: KerasLayerSpec): Record<string, unknown> {
  const c = { ...layer.config };
  switch (layer.className) {
    case 'InputLayer':
      return { batch_input_shape: c.batch_shape, dtype: 'float32', sparse: c.sparse ?? false, name: layer.name };
    case 'LeakyReLU':
      // Keras 3 takes `alpha` as the old name of `negative_slope` (leaky_relu.py).
      c.alpha = c.negative_slope;
      delete c.negative_slope;
      break;
    case 'Activation':
      // tf.keras 2 knows 'swish'; Keras 3 keeps 'swish' as an alias of 'silu'.
      if (c.activation === 'silu') c.activation = 'swish';
      break;
    case 'Conv2D':
      // `groups` came with tf.keras 2.3; leave the default out so older releases read ungrouped convolutions.
      if (c.groups === 1) delete c.groups;
      break;
  }
  return { name: layer.name, trainable: true, dtype: 'float32', ...c };
}

/** The `.h5` root attribute `model_config`: `{"class_name": "Functional", "config": ...}` in the Keras 2 dialect. */
export function legacyModelConfig(spec: KerasModelSpec, ordered: readonly KerasLayerSpec[] = kerasLayerOrder(spec)): Json {
  const layers: Json[] = ordered.map((layer) => ({
    class_name: registeredName(layer.className) ?? layer.className,
    config: legacyLayerConfig(layer) as Json,
    name: layer.name,
    inbound_nodes: layer.className === 'InputLayer' ? [] : [layer.inputs.map((r) => [r.layer, 0, r.index, {}])],
  }));
  return {
    class_name: 'Functional',
    config: { name: spec.name, layers, input_layers: spec.inputs.map(tensorRef), output_layers: spec.outputs.map(tensorRef) },
  };
}

/**
 * The `.h5` weight names of a layer (tf.keras 2's variable names, `conv1/kernel:0`; the legacy loaders
 * assign weights by position, the names only say where each dataset is).
 */
export function legacyWeightNames(layer: KerasLayerSpec): string[] {
  return layer.weights.map((w: KerasWeight) => {
    const name = layer.className === 'DepthwiseConv2D' && w.name === 'kernel' ? 'depthwise_kernel' : w.name;
    return `${layer.name}/${name}:0`;
  });
}

/**
 * JSON as Python's `json.dumps` writes it, which `json.loads` reads back: non-finite numbers as
 * `NaN` / `Infinity` / `-Infinity` (JSON.stringify would write null) and only ASCII (other
 * characters escaped), so the text can live in an HDF5 ASCII string.
 */
export function pythonJson(value: unknown): string {
  const text = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : JSON.stringify(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (Array.isArray(v)) return `[${v.map(text).join(', ')}]`;
    if (typeof v === 'object')
      return `{${Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => `${text(k)}: ${text(x)}`)
        .join(', ')}}`;
    throw new Error(`cannot write a ${typeof v} as JSON`);
  };
  return text(value);
}

/** The Portafilter custom layer classes a model uses, in first-use order. */
export const customLayersOf = (spec: KerasModelSpec): string[] => [...new Set(spec.layers.map((l) => l.className).filter(isCustomLayer))];
