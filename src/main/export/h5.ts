/**
 * Legacy Keras `.h5` export: the HDF5 file tf.keras 2 `model.save('x.h5')` writes, which tf.keras 2 and
 * Keras 3 (keras/src/legacy/saving/legacy_h5_format.py) both load.
 *
 *   /                  attributes keras_version, backend, model_config (JSON, the Keras 2 dialect:
 *                      keras-config.ts `legacyModelConfig`)
 *   /model_weights     attributes layer_names (every layer of `model.layers`, in Keras' order; split into
 *                      layer_names0, layer_names1, ... past 64512 bytes, as Keras splits it), backend,
 *                      keras_version
 *   /model_weights/<layer>                 attribute weight_names (['conv1/kernel:0', 'conv1/bias:0'];
 *                                          empty for layers without weights)
 *   /model_weights/<layer>/<weight name>   float32 datasets, trainable weights first
 *
 * Both loaders read `keras_version` (absent means Keras 1 and converts the weights) and assign the
 * weights of the i-th layer with weights in `layer_names` to the i-th layer with weights of the
 * rebuilt model, by position: hence Keras' own layer order (keras-config.ts `kerasLayerOrder`).
 * `backend` says which backend the weights are for: 'theano' for flipped kernels (Keras 2 with
 * another backend then flips them back on load), else 'tensorflow'.
 */
import { basename } from 'node:path';
import { PortafilterError } from '../../shared/errors.js';
import { placeExport } from './atomic.js';
import { createHdf5, ensureGroup, hdf5, verifyHdf5, withHdf5, writeFloat32, writeStringAttr, writeStringsAttr, type H5Expectation } from './hdf5.js';
import { exportSpec, planKerasExport, writeCompanions, type KerasExportPlan } from './keras-companions.js';
import { KERAS2_VERSION, legacyModelConfig, legacyWeightNames, pythonJson } from './keras-config.js';
import type { ExportContext, ExportResult } from './types.js';

/** legacy_h5_format.py HDF5_OBJECT_HEADER_LIMIT: a name list attribute larger than this is split. */
export const HDF5_OBJECT_HEADER_LIMIT = 64512;

/**
 * legacy_h5_format.py `save_attributes_to_hdf5_group`: the list as one attribute `name`, or, when its
 * numpy array (fixed width: the longest name) exceeds the limit, as `name0`, `name1`, ... split into
 * nearly equal parts (numpy.array_split) each within the limit.
 */
export function splitNameAttribute(name: string, values: readonly string[]): { name: string; value: string[] }[] {
  const width = Math.max(1, ...values.map((v) => v.length));
  const long = values.find((v) => v.length > HDF5_OBJECT_HEADER_LIMIT);
  if (long !== undefined) throw new PortafilterError(`the name '${long.slice(0, 40)}...' is longer than HDF5 attributes allow (${HDF5_OBJECT_HEADER_LIMIT} bytes)`);
  const split = (k: number): string[][] => {
    const base = Math.floor(values.length / k);
    const extra = values.length % k;
    const parts: string[][] = [];
    for (let i = 0, at = 0; i < k; i++) {
      const n = base + (i < extra ? 1 : 0);
      parts.push(values.slice(at, at + n));
      at += n;
    }
    return parts;
  };
  let k = 1;
  while (split(k).some((p) => p.length * width > HDF5_OBJECT_HEADER_LIMIT)) k++;
  return k === 1 ? [{ name, value: [...values] }] : split(k).map((value, i) => ({ name: `${name}${i}`, value }));
}

/** Everything the `.h5` file holds for the plan. */
export function h5Layout(plan: KerasExportPlan): H5Expectation {
  const backend = plan.spec.flipKernels ? 'theano' : 'tensorflow';
  const layout: H5Expectation = {
    groups: ['model_weights'],
    attributes: [
      { path: '/', name: 'keras_version', value: KERAS2_VERSION },
      { path: '/', name: 'backend', value: backend },
      { path: '/', name: 'model_config', value: pythonJson(legacyModelConfig(plan.spec, plan.ordered)) },
      ...splitNameAttribute('layer_names', plan.ordered.map((l) => l.name)).map((a) => ({ path: 'model_weights', ...a })),
      { path: 'model_weights', name: 'backend', value: backend },
      { path: 'model_weights', name: 'keras_version', value: KERAS2_VERSION },
    ],
    datasets: [],
  };
  // Keras creates the layer groups sorted by name ("strictly growing, to avoid prefix issues").
  for (const layer of [...plan.ordered].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const group = `model_weights/${layer.name}`;
    const names = legacyWeightNames(layer);
    layout.groups.push(group);
    layout.attributes.push(...splitNameAttribute('weight_names', names).map((a) => ({ path: group, ...a })));
    layer.weights.forEach((w, i) => layout.datasets.push({ path: `${group}/${names[i]}`, shape: w.shape, data: w.data }));
  }
  return layout;
}

/** Writes the `.h5` file `ctx.options.out` and its companions. */
export async function writeH5(ctx: ExportContext): Promise<ExportResult> {
  const { options } = ctx;
  if (!/\.(h5|hdf5)$/i.test(options.out))
    throw new PortafilterError("a legacy Keras model file must end in '.h5' or '.hdf5' (how keras.saving.load_model recognises one)", { file: options.out });
  const plan = planKerasExport(exportSpec(ctx));
  ctx.checkCancelled();
  ctx.progress('serialising', 0);
  const layout = h5Layout(plan);
  await hdf5();
  const placed = await placeExport({ out: options.out, kind: 'file', format: 'h5', force: options.force }, async (staging) => {
    withHdf5(() => {
      const f = createHdf5(staging.model);
      try {
        for (const g of layout.groups) ensureGroup(f, g);
        for (const a of layout.attributes) {
          const target = a.path === '/' ? f : ensureGroup(f, a.path);
          if (Array.isArray(a.value)) writeStringsAttr(target, a.name, a.value);
          else writeStringAttr(target, a.name, a.value);
        }
        layout.datasets.forEach((d, i) => {
          ctx.checkCancelled();
          ctx.progress('writing weights', (0.8 * i) / layout.datasets.length);
          writeFloat32(f, d.path, d);
        });
      } finally {
        f.close();
      }
      verifyHdf5(staging.model, layout, (i, n) => {
        ctx.checkCancelled();
        ctx.progress('checking the file', 0.8 + (0.2 * i) / n);
      });
    });
    ctx.checkCancelled();
    return { value: undefined, files: [basename(staging.model), ...writeCompanions(ctx, plan, staging, 'h5')] };
  });
  ctx.progress('done', 1);
  const grouped = plan.ordered.filter((l) => l.className === 'Conv2D' && Number(l.config.groups ?? 1) > 1);
  if (grouped.length > 0)
    plan.notes.push(`tf.keras 2 may refuse the grouped convolutions (${grouped.map((l) => l.name).join(', ')}) on a CPU, where TensorFlow has no grouped kernel; Keras 3 compiles them with XLA`);
  return {
    format: 'h5',
    files: placed.files,
    customLayers: plan.customLayers,
    notes: [
      `legacy HDF5 model (tf.keras ${KERAS2_VERSION} dialect; Keras 3 loads it too): ${plan.ordered.length} layers, ${layout.datasets.length} weights`,
      ...plan.notes,
      ...placed.notes,
    ],
  };
}
