/**
 * What the `.keras` and `.h5` writers share: the plan of the model Keras will rebuild (its layers in
 * Keras' order, what is left out, remarks) and the files written next to the model: the Python
 * module defining Portafilter's custom layers (resources/export/portafilter_layers.py) when the model
 * uses one, and the README with the lines that load it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PortafilterError } from '../../shared/errors.js';
import type { KerasLayerSpec, KerasModelSpec } from '../keras/spec.js';
import { appVersion, resourcePath } from '../paths.js';
import { checkCompanion, type Staging } from './atomic.js';
import { customLayersOf, kerasLayerOrder, PYTHON_MODULE } from './keras-config.js';
import { isOurReadme, readmeFileFor, renderReadme, type ReadmeContent } from './readme.js';
import type { ExportContext } from './types.js';

export interface KerasExportPlan {
  spec: KerasModelSpec;
  /** The layers of the rebuilt model, in Keras' `model.layers` order. */
  ordered: KerasLayerSpec[];
  customLayers: string[];
  notes: string[];
}

/** The Keras model spec of an export (built by export/index.ts for the Keras formats). */
export function exportSpec(ctx: ExportContext): KerasModelSpec {
  const spec = ctx.spec;
  if (!spec) throw new PortafilterError('internal: the Keras exports need the converted model (ctx.spec)');
  if (spec.ordering !== ctx.options.ordering) throw new PortafilterError(`internal: the Keras model is ${spec.ordering}, the export asks for ${ctx.options.ordering}`);
  return spec;
}

export function planKerasExport(spec: KerasModelSpec): KerasExportPlan {
  const ordered = kerasLayerOrder(spec);
  const kept = new Set(ordered.map((l) => l.name));
  const model = { ...spec, layers: spec.layers.filter((l) => kept.has(l.name)) };
  const notes: string[] = [];
  const dropped = spec.layers.filter((l) => !kept.has(l.name));
  if (dropped.length > 0) notes.push(`left out, as no output depends on them: ${dropped.map((l) => l.name).join(', ')}`);
  if (spec.skipped.length > 0) notes.push(`Caffe layers inference leaves out: ${spec.skipped.map((s) => `${s.name} (${s.type})`).join(', ')}`);
  if (spec.flipKernels)
    notes.push('the convolution kernels are flipped 180° for true-convolution backends (Theano); Keras 3 and tf.keras correlate, so with them the model computes something else');
  if (spec.ordering === 'channels_first')
    notes.push("channels_first: TensorFlow's CPU kernels take only channels_last convolutions and pooling, so on TensorFlow run it on a GPU (JAX and PyTorch run it anywhere)");
  return { spec: model, ordered, customLayers: customLayersOf(model), notes };
}

/** The source of the Python module defining the custom layers. */
export const pythonLayersSource = (): string => readFileSync(resourcePath('export', `${PYTHON_MODULE}.py`), 'utf8');

/**
 * Writes the companions of the model file (format 'keras' or 'h5') into the export's staging folder:
 * `portafilter_layers.py` when the model uses custom layers, and the README, under the names they
 * will have beside the model. A file of such a name that Portafilter did not write is never replaced
 * (the README then takes another name; the module refuses). Returns their names.
 */
export function writeCompanions(ctx: ExportContext, plan: KerasExportPlan, staging: Staging, format: 'keras' | 'h5'): string[] {
  const model = basename(staging.model);
  const texts: [string, string][] = [];
  if (plan.customLayers.length > 0) {
    const name = `${PYTHON_MODULE}.py`;
    checkCompanion(join(staging.destination, name), (head) => head.startsWith(PYTHON_MODULE_HEAD));
    texts.push([name, pythonLayersSource()]);
  }
  const readme = readmeFileFor(staging.destination, model);
  checkCompanion(join(staging.destination, readme), isOurReadme);
  texts.push([readme, renderReadme(readmeContent(ctx, plan, model, format))]);
  for (const [name, text] of texts) writeFileSync(join(staging.dir, name), text);
  return texts.map(([name]) => name);
}

/** How resources/export/portafilter_layers.py begins: how a later export knows the module beside a model is its own. */
const PYTHON_MODULE_HEAD = '"""Portafilter\'s custom Keras layers';

function readmeContent(ctx: ExportContext, plan: KerasExportPlan, model: string, format: 'keras' | 'h5'): ReadmeContent {
  const { spec, customLayers } = plan;
  const custom = customLayers.length > 0;
  const register = custom ? [`import ${PYTHON_MODULE}  # registers ${customLayers.join(', ')}`] : [];
  const code = ['import keras', ...register, `model = keras.saving.load_model(${JSON.stringify(model)})`];
  const notes: string[] = [];
  if (custom)
    notes.push(
      `\`${PYTHON_MODULE}.py\` must be importable: keep it next to your script or on PYTHONPATH. Its layers compute with \`keras.ops\` (any Keras 3 backend) and register with tf.keras 2 where Keras 3 is absent.`,
    );
  if (format === 'h5')
    notes.push(
      `tf.keras 2 (TensorFlow 2.15 and earlier) loads it too: \`${['import tensorflow as tf', ...(custom ? [`import ${PYTHON_MODULE}`] : []), `model = tf.keras.models.load_model(${JSON.stringify(model)})`].join('; ')}\` (with the tf_keras package: \`tf_keras.models.load_model\`).`,
    );
  const inputs = spec.inputs.map((r) => {
    const l = spec.layers.find((x) => x.name === r.layer);
    return `\`${r.layer}\` ${JSON.stringify(l?.outputShapes[r.index] ?? [])}`;
  });
  const outputs = spec.outputs.map((r) => `\`${r.layer}\``);
  return {
    title: `${model}: Keras ${format === 'keras' ? '3' : 'HDF5 (legacy format)'} model (${spec.ordering})`,
    model,
    about: [
      `Converted from the Caffe net '${ctx.model.graph.name}' (${basename(ctx.model.prototxt)}) by Portafilter ${appVersion()}, with Caffe's semantics.`,
      `Ordering ${spec.ordering}. Inputs ${inputs.join(', ')} (None: the batch); outputs ${outputs.join(', ')}.`,
      ...(custom ? [`It uses Portafilter's custom layers ${customLayers.join(', ')}, defined in \`${PYTHON_MODULE}.py\` next to it.`] : []),
    ],
    python: {
      intro: custom ? `Import \`${PYTHON_MODULE}\` before loading:` : 'Load it with Keras 3:',
      code: code.join('\n'),
      notes,
    },
    notes: plan.notes.length > 0 ? plan.notes : undefined,
  };
}
