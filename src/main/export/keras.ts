/**
 * Keras 3 `.keras` export: the zip archive keras/src/saving/saving_lib.py writes and `load_model` reads.
 *
 *   metadata.json      {"keras_version", "date_saved"}
 *   config.json        the Functional model, serialised as Keras 3 does (keras-config.ts `kerasConfig`)
 *   model.weights.h5   H5IOStore's layout: `vars` (the model's own, none) and, per layer of `model.layers`
 *                      in Keras' order, `layers/<class in snake case>[_<n>]/vars/<i>` holding its variables
 *                      in Keras' order (trainable, then non-trainable); every layer has its `vars` group,
 *                      with the layer's name as attribute `name` (as Keras 3.10 and later write it).
 *
 * Exactly those three entries, stored uncompressed as Python's zipfile writes them (Keras takes a
 * fourth entry for an assets folder). The weights file is written with h5wasm to a temporary file,
 * read back and checked, then streamed into the archive. Next to the model: portafilter_layers.py when
 * it uses Portafilter's custom layers, and the README (keras-companions.ts).
 */
import { closeSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Zip, ZipPassThrough } from 'fflate';
import { PortafilterError } from '../../shared/errors.js';
import { placeExport } from './atomic.js';
import { createHdf5, ensureGroup, hdf5, verifyHdf5, withHdf5, writeFloat32, writeStringAttr, type H5Expectation } from './hdf5.js';
import { exportSpec, planKerasExport, writeCompanions, type KerasExportPlan } from './keras-companions.js';
import { KERAS3_VERSION, kerasConfig, kerasWeightPaths, pythonJson } from './keras-config.js';
import type { ExportContext, ExportResult } from './types.js';

/** The archive's entries, in the order saving_lib.py writes them. */
export const KERAS_ENTRIES = ['metadata.json', 'config.json', 'model.weights.h5'] as const;

/** Stored zip entries hold at most 4 GiB (fflate writes no ZIP64). */
const ZIP_LIMIT = 0xffffffff;
const CHUNK = 8 * 1024 * 1024;

/** `datetime.now().strftime("%Y-%m-%d@%H:%M:%S")`, as saving_lib.py dates an archive. */
export function dateSaved(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}@${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** What `model.weights.h5` holds for the plan: its groups, attributes and datasets. */
export function kerasWeightsLayout(plan: KerasExportPlan): H5Expectation {
  const paths = kerasWeightPaths(plan.ordered);
  const layout: H5Expectation = { groups: ['vars'], attributes: [{ path: 'vars', name: 'name', value: plan.spec.name }], datasets: [] };
  for (const layer of plan.ordered) {
    const vars = `${paths.get(layer.name)!}/vars`;
    layout.groups.push(vars);
    layout.attributes.push({ path: vars, name: 'name', value: layer.name });
    layer.weights.forEach((w, i) => layout.datasets.push({ path: `${vars}/${i}`, shape: w.shape, data: w.data }));
  }
  return layout;
}

/** Writes `model.weights.h5` to `file` (progress 0 → 0.6) and checks it (0.6 → 0.8). */
async function writeWeights(ctx: ExportContext, plan: KerasExportPlan, file: string): Promise<void> {
  await hdf5();
  const layout = kerasWeightsLayout(plan);
  withHdf5(() => {
    const f = createHdf5(file);
    try {
      for (const g of layout.groups) ensureGroup(f, g);
      for (const a of layout.attributes) writeStringAttr(ensureGroup(f, a.path), a.name, a.value as string);
      layout.datasets.forEach((d, i) => {
        ctx.checkCancelled();
        ctx.progress('writing weights', (0.6 * i) / layout.datasets.length);
        writeFloat32(f, d.path, d);
      });
    } finally {
      f.close();
    }
    verifyHdf5(file, layout, (i, n) => {
      ctx.checkCancelled();
      ctx.progress('checking the weights file', 0.6 + (0.2 * i) / n);
    });
  });
}

/** Writes the zip archive `target` from the JSON texts and the weights file (progress 0.8 → 1). */
function writeArchive(ctx: ExportContext, target: string, texts: { metadata: string; config: string }, weightsFile: string): void {
  const size = statSync(weightsFile).size;
  if (size > ZIP_LIMIT) throw new PortafilterError(`the weights take ${size} bytes; a .keras archive written here holds at most 4 GiB`, { file: target });
  const out = openSync(target, 'w');
  let failure: Error | null = null;
  try {
    const zip = new Zip((err, chunk) => {
      if (err) failure = err;
      else writeSync(out, chunk);
    });
    const stored = (name: string): ZipPassThrough => {
      const entry = new ZipPassThrough(name);
      zip.add(entry);
      return entry;
    };
    const encoder = new TextEncoder();
    stored(KERAS_ENTRIES[0]).push(encoder.encode(texts.metadata), true);
    stored(KERAS_ENTRIES[1]).push(encoder.encode(texts.config), true);
    const weights = stored(KERAS_ENTRIES[2]);
    const source = openSync(weightsFile, 'r');
    try {
      let done = 0;
      do {
        ctx.checkCancelled();
        ctx.progress('writing the archive', 0.8 + (0.2 * done) / Math.max(size, 1));
        const chunk = new Uint8Array(Math.min(CHUNK, size - done));
        const n = chunk.length > 0 ? readSync(source, chunk, 0, chunk.length, done) : 0;
        if (n !== chunk.length) throw new Error(`short read of ${weightsFile}`);
        done += n;
        weights.push(chunk, done >= size);
      } while (done < size);
    } finally {
      closeSync(source);
    }
    zip.end();
    if (failure) throw failure;
  } finally {
    closeSync(out);
  }
}

/** Writes the `.keras` archive `ctx.options.out` and its companions. */
export async function writeKeras(ctx: ExportContext): Promise<ExportResult> {
  const { options } = ctx;
  if (!options.out.toLowerCase().endsWith('.keras'))
    throw new PortafilterError("a Keras 3 model file must end in '.keras' (keras.saving.load_model reads no other name as one)", { file: options.out });
  const plan = planKerasExport(exportSpec(ctx));
  ctx.checkCancelled();
  ctx.progress('serialising', 0);
  const texts = {
    metadata: pythonJson({ keras_version: KERAS3_VERSION, date_saved: dateSaved() }),
    config: pythonJson(kerasConfig(plan.spec, plan.ordered)),
  };
  const placed = await placeExport({ out: options.out, kind: 'file', format: 'keras', force: options.force }, async (staging) => {
    const weightsFile = join(staging.dir, '.model.weights.h5');
    try {
      await writeWeights(ctx, plan, weightsFile);
      writeArchive(ctx, staging.model, texts, weightsFile);
    } finally {
      rmSync(weightsFile, { force: true });
    }
    ctx.checkCancelled();
    return { value: undefined, files: [basename(staging.model), ...writeCompanions(ctx, plan, staging, 'keras')] };
  });
  ctx.progress('done', 1);
  return {
    format: 'keras',
    files: placed.files,
    customLayers: plan.customLayers,
    notes: [
      `Keras 3 archive, config as Keras ${KERAS3_VERSION} writes it: ${plan.ordered.length} layers, ${plan.ordered.reduce((n, l) => n + l.weights.length, 0)} weights`,
      ...plan.notes,
      ...placed.notes,
    ],
  };
}
