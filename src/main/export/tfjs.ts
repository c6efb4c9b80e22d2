/**
 * TensorFlow.js export: a layers-model folder as the official converter writes it, which
 * `tf.loadLayersModel` reloads and runs as the TF.js engine does.
 *
 *   model.json              format 'layers-model', generatedBy (tfjs-layers'), convertedBy 'Portafilter <version>',
 *                           modelTopology: tfjs-layers' own serialisation (`model.save`) of the model the TF.js
 *                           engine instantiates (buildTfjsGraph), so what reloads is what the engine ran;
 *                           weightsManifest: one group of float32 weights in 4 MiB shards (a weight may span two);
 *                           userDefinedMetadata.portafilter: each input's and output's Caffe blob, shape and layout.
 *   group1-shard<i>of<N>.bin
 *   portafilter_layers.js   only when the model uses Portafilter classes (keras/custom, engine/tfjs-bridges): an
 *                           ES module that imports the user's '@tensorflow/tfjs' and registers exactly those
 *                           classes. esbuild bundles it at export time from the same TypeScript sources the
 *                           engine runs, with '@tensorflow/tfjs-core' and '-layers' mapped to '@tensorflow/tfjs'.
 *   README.md               the JS part of export/readme.ts: how to load it, the inputs' and outputs' layouts.
 *
 * The model's inputs and outputs are in the Keras layout of the ordering (channels_last: N,H,W,C for 4-D
 * blobs); the metadata gives `perm` with keras = transpose(caffe, perm).
 */
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { build, type Plugin } from 'esbuild';
import { PortafilterError } from '../../shared/errors.js';
import { useTfjsBackend } from '../engine/tfjs-backends.js';
import { buildTfjsGraph, netOutputTops } from '../engine/tfjs-engine.js';
import { buildKerasModel } from '../keras/build.js';
import type { KerasModelSpec, KerasTensorRef } from '../keras/spec.js';
import { appRoot, appVersion } from '../paths.js';
import { placeExport } from './atomic.js';
import { README_FILE, writeReadme, type ReadmePart } from './readme.js';
import type { ExportContext, ExportResult } from './types.js';

/** The official converter's shard size (tensorflowjs' write_weights: 4 MiB). */
export const SHARD_BYTES = 4 * 1024 * 1024;
export const MODEL_JSON = 'model.json';
export const LAYERS_MODULE = 'portafilter_layers.js';
/** The package the layers module imports: the user's TensorFlow.js. */
export const TFJS_PEER = '@tensorflow/tfjs';

export const shardName = (i: number, n: number): string => `group1-shard${i + 1}of${n}.bin`;

/**
 * Every Portafilter class a saved model may name, by TF.js class name: the source file (under
 * src/main) and its export there. export/tfjs.test.ts checks this covers CUSTOM_LAYERS and BRIDGE_LAYERS.
 */
export const TFJS_LAYER_SOURCES: Readonly<Record<string, { file: string; name: string }>> = {
  CaffeArgMax: { file: 'keras/custom/caffe-arg-max.ts', name: 'CaffeArgMax' },
  CaffeLRN: { file: 'keras/custom/caffe-lrn.ts', name: 'CaffeLRN' },
  CaffeNeuron: { file: 'keras/custom/caffe-neuron.ts', name: 'CaffeNeuron' },
  CaffePooling: { file: 'keras/custom/caffe-pooling.ts', name: 'CaffePooling' },
  CaffeScale: { file: 'keras/custom/caffe-scale.ts', name: 'CaffeScale' },
  CaffeSlice: { file: 'keras/custom/caffe-slice.ts', name: 'CaffeSlice' },
  PortafilterAlphaELU: { file: 'engine/tfjs-bridges.ts', name: 'AlphaELU' },
  PortafilterAxisBatchNorm: { file: 'engine/tfjs-bridges.ts', name: 'AxisBatchNorm' },
  PortafilterAxisSoftmax: { file: 'engine/tfjs-bridges.ts', name: 'AxisSoftmax' },
  PortafilterBroadcastPReLU: { file: 'engine/tfjs-bridges.ts', name: 'BroadcastPReLU' },
  PortafilterGroupedConv2D: { file: 'engine/tfjs-bridges.ts', name: 'GroupedConv2D' },
};

/** Where a model input or output is in Caffe's terms: keras = transpose(caffe, perm). */
export interface TfjsTensorInfo {
  /** The Keras layer whose output it is. */
  name: string;
  /** The Caffe blob, and the Caffe layer that produced it (an input's data layer). */
  blob: string;
  layer: string;
  caffeShape: number[];
  kerasShape: (number | null)[];
  perm: number[];
}

/** `userDefinedMetadata.portafilter` of the model.json. */
export interface TfjsExportMetadata {
  caffeNet: string;
  ordering: KerasModelSpec['ordering'];
  /** In the model's input order. */
  inputs: TfjsTensorInfo[];
  /** In the model's output order. */
  outputs: TfjsTensorInfo[];
  /** The Portafilter classes portafilter_layers.js registers (empty: no module). */
  customLayers: string[];
}

const refKey = (r: KerasTensorRef): string => `${r.layer}:${r.index}`;
const dims = (s: readonly (number | null)[]): string => `[${s.map((d) => d ?? 'N').join(', ')}]`;

/** The Caffe side of each input and output of the exported model. */
function describeTensors(ctx: ExportContext, spec: KerasModelSpec, outputs: KerasTensorRef[]): Pick<TfjsExportMetadata, 'inputs' | 'outputs'> {
  const shapeOf = new Map(spec.layers.map((l) => [l.name, l.outputShapes]));
  const info = (ref: KerasTensorRef, blob: string, layer: string, caffeShape: number[], perm: number[]): TfjsTensorInfo => ({
    name: ref.layer,
    blob,
    layer,
    caffeShape: [...caffeShape],
    kerasShape: [...(shapeOf.get(ref.layer)?.[ref.index] ?? [])],
    perm: [...perm],
  });
  const inputs = spec.inputs.map((ref) => {
    const owner = spec.caffeLayers.find((l) => l.tops.some((t) => refKey(t.tensor) === refKey(ref)));
    const top = owner?.tops.find((t) => refKey(t.tensor) === refKey(ref));
    if (!owner || !top) throw new PortafilterError(`internal: model input ${refKey(ref)} holds no Caffe blob`);
    return info(ref, top.blob, owner.name, top.caffeShape, top.perm);
  });
  const tops = netOutputTops(ctx.model, spec);
  const outs = outputs.map((ref) => {
    const o = tops.find((t) => refKey(t.top.tensor) === refKey(ref));
    if (!o) throw new PortafilterError(`internal: model output ${refKey(ref)} is no net output`);
    return info(ref, o.top.blob, o.layer, o.top.caffeShape, o.top.perm);
  });
  return { inputs, outputs: outs };
}

/** tfjs-layers' own serialisation of `model`: topology, weight specs and data, generatedBy. */
async function serialise(model: LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.modelTopology || !artifacts.weightSpecs) throw new PortafilterError('internal: tfjs-layers saved no topology');
  return artifacts;
}

/**
 * Writes `buffer` as shards of SHARD_BYTES under `dir`; returns the file names. Calls `each` after every shard
 * (progress, cancel).
 */
function writeShards(dir: string, buffer: tf.io.CompositeArrayBuffer, each: (done: number, n: number) => void): string[] {
  const n = Math.ceil(buffer.byteLength / SHARD_BYTES);
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = shardName(i, n);
    const bytes = new Uint8Array(buffer.slice(i * SHARD_BYTES, Math.min((i + 1) * SHARD_BYTES, buffer.byteLength)));
    const fd = openSync(join(dir, name), 'w');
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    } finally {
      closeSync(fd);
    }
    names.push(name);
    each(i + 1, n);
  }
  return names;
}

/**
 * The source of portafilter_layers.js registering `classes` (TF.js class names of TFJS_LAYER_SOURCES), bundled
 * with esbuild from Portafilter's TypeScript sources. '@tensorflow/tfjs-core' and '@tensorflow/tfjs-layers'
 * become imports of TFJS_PEER; the sources may import nothing else outside Portafilter.
 */
export async function bundleTfjsLayers(classes: readonly string[], about: { model: string }): Promise<string> {
  if (classes.length === 0) throw new Error('internal: no classes to bundle');
  const srcMain = join(appRoot(), 'src', 'main');
  const entries = classes.map((c) => {
    const source = TFJS_LAYER_SOURCES[c];
    if (!source) throw new PortafilterError(`internal: no source known for the TF.js layer class '${c}'`);
    const file = join(srcMain, source.file);
    if (!existsSync(file))
      throw new PortafilterError(`the TF.js custom layer sources are not part of this installation (${source.file}); portafilter_layers.js is built from them`, { file });
    return { className: c, ...source, file };
  });
  const local = (i: number): string => `L${i}_${entries[i].name}`;
  const contents = [
    `import { serialization } from '@tensorflow/tfjs-core';`,
    ...entries.map((e, i) => `import { ${e.name} as ${local(i)} } from ${JSON.stringify(e.file)};`),
    ...entries.map((_, i) => `serialization.registerClass(${local(i)});`),
    `export { ${entries.map((e, i) => `${local(i)} as ${e.className}`).join(', ')} };`,
  ].join('\n');
  const peer: Plugin = {
    name: 'portafilter-tfjs-peer',
    setup(b) {
      b.onResolve({ filter: /^@tensorflow\/tfjs(-core|-layers)?$/ }, () => ({ path: TFJS_PEER, external: true }));
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(args.path)) return undefined;
        return { errors: [{ text: `the custom layers may import only TensorFlow.js, not '${args.path}' (from ${args.importer})` }] };
      });
    },
  };
  const classList = classes.join(', ');
  const banner = [
    `// ${LAYERS_MODULE}: written by Portafilter ${appVersion()} for the TF.js model '${about.model}'.`,
    `// Registers the layer classes the model uses (${classList}) with your TensorFlow.js, so that`,
    `// tf.loadLayersModel can rebuild it. Import it once, before loading:`,
    `//   import * as tf from '${TFJS_PEER}';`,
    `//   import './${LAYERS_MODULE}';`,
    `//   const model = await tf.loadLayersModel('<url or folder>/${MODEL_JSON}');`,
    `// It imports '${TFJS_PEER}' (4.x; tfjs-node re-exports that same package). An app built on`,
    `// @tensorflow/tfjs-core and @tensorflow/tfjs-layers alone maps '${TFJS_PEER}' to a module that does`,
    `//   export * from '@tensorflow/tfjs-core'; export * from '@tensorflow/tfjs-layers';`,
    `// (a bundler alias, an import map, or a local package of that name).`,
    `// Bundled from Portafilter's sources (src/main/keras/custom/, src/main/engine/tfjs-bridges.ts); MIT licence.`,
  ].join('\n');
  const result = await build({
    stdin: { contents, resolveDir: srcMain, sourcefile: 'portafilter_layers.entry.ts', loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2020',
    tsconfig: join(appRoot(), 'tsconfig.json'),
    plugins: [peer],
    banner: { js: banner },
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/** The README's JS part. */
function readmeJs(customLayers: string[], meta: Pick<TfjsExportMetadata, 'inputs' | 'outputs'>): ReadmePart {
  const code = [`import * as tf from '${TFJS_PEER}';`];
  if (customLayers.length > 0) code.push(`import './${LAYERS_MODULE}';`);
  code.push(`const model = await tf.loadLayersModel('<url or folder>/${MODEL_JSON}');`);
  const layout = (t: TfjsTensorInfo): string =>
    t.perm.every((a, i) => a === i) ? `Caffe's layout ${dims(t.kerasShape)}` : `${dims(t.kerasShape)}, i.e. Caffe's ${dims(t.caffeShape.map((d, i) => (i === 0 ? null : d)))} transposed by [${t.perm.join(', ')}]`;
  return {
    intro:
      customLayers.length > 0
        ? `The model uses Portafilter layer classes (${customLayers.join(', ')}); \`${LAYERS_MODULE}\` registers them with your \`${TFJS_PEER}\`. Import it before loading:`
        : 'Load it with TensorFlow.js:',
    code: code.join('\n'),
    notes: [
      ...meta.inputs.map((t) => `Input \`${t.name}\` (Caffe blob \`${t.blob}\`): ${layout(t)}.`),
      ...meta.outputs.map((t, i) => `Output ${i} \`${t.name}\` (Caffe blob \`${t.blob}\` of layer \`${t.layer}\`): ${layout(t)}.`),
      ...(customLayers.length > 0
        ? [
            `\`${LAYERS_MODULE}\` imports \`${TFJS_PEER}\`; with only \`@tensorflow/tfjs-core\` and \`@tensorflow/tfjs-layers\` installed, alias \`${TFJS_PEER}\` to a module that re-exports both (\`export * from\` each).`,
          ]
        : []),
      'In Node without tfjs-node, load from disk with an IOHandler that reads model.json and the shards (tf.io.fromMemory).',
    ],
  };
}

/** Writes the TF.js layers-model folder `ctx.options.out`. */
export async function writeTfjs(ctx: ExportContext): Promise<ExportResult> {
  const { options } = ctx;
  if (options.flipKernels)
    throw new PortafilterError('the 180° kernel flip is for Keras models on true-convolution backends; TF.js convolution is cross-correlation, as Caffe');
  const spec = ctx.spec ?? buildKerasModel(ctx.model, { ordering: options.ordering });
  if (spec.ordering !== options.ordering) throw new PortafilterError(`internal: the Keras model is ${spec.ordering}, the export asks for ${options.ordering}`);
  if (spec.flipKernels) throw new PortafilterError('the Keras model has flipped kernels; the TF.js export needs them unflipped');
  ctx.checkCancelled();

  ctx.progress('building the TF.js model', 0);
  // Any initialised backend will do (the weights only pass through); cpu when none is yet.
  if (!tf.engine().backendName) await useTfjsBackend('cpu');
  const graph = buildTfjsGraph(spec);
  try {
    const outputs = spec.outputs.filter((r) => !graph.inputLayers.has(r.layer));
    if (outputs.length === 0) throw new PortafilterError('the model computes nothing: every net output is a net input', { file: ctx.model.prototxt });
    const model = graph.model(outputs, spec.name)!;
    const customLayers = [...new Set(model.layers.map((l) => l.getClassName()).filter((c) => Object.hasOwn(TFJS_LAYER_SOURCES, c)))].sort();
    const meta: TfjsExportMetadata = {
      caffeNet: ctx.model.graph.name,
      ordering: spec.ordering,
      ...describeTensors(ctx, spec, outputs),
      customLayers,
    };
    model.setUserDefinedMetadata({ portafilter: meta });
    ctx.checkCancelled();

    ctx.progress('serialising', 0.1);
    const artifacts = await serialise(model);
    const specs = artifacts.weightSpecs!;
    const expected = specs.reduce((n, w) => n + w.shape.reduce((a, d) => a * d, 1) * 4, 0);
    const weightData = new tf.io.CompositeArrayBuffer(artifacts.weightData ?? new ArrayBuffer(0));
    if (specs.some((w) => w.dtype !== 'float32') || weightData.byteLength !== expected)
      throw new PortafilterError(`internal: tfjs-layers gave ${weightData.byteLength} bytes of weights for float32 specs of ${expected}`);
    if (customLayers.length > 0) ctx.progress('bundling the custom layers', 0.15);
    const layersJs = customLayers.length > 0 ? await bundleTfjsLayers(customLayers, { model: spec.name }) : undefined;
    ctx.checkCancelled();

    const placed = await placeExport({ out: options.out, kind: 'dir', format: 'tfjs', force: options.force }, async (staging) => {
      const tmp = staging.dir;
      ctx.progress('writing weights', 0.2);
      const shards = writeShards(tmp, weightData, (done, n) => {
        ctx.checkCancelled();
        ctx.progress('writing weights', 0.2 + (0.7 * done) / n);
      });
      const json = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: `Portafilter ${appVersion()}`,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: shards, weights: specs }],
        userDefinedMetadata: artifacts.userDefinedMetadata,
      };
      ctx.progress('writing model.json', 0.9);
      await writeFile(join(tmp, MODEL_JSON), JSON.stringify(json));
      const names = [MODEL_JSON, ...shards];
      if (layersJs !== undefined) {
        await writeFile(join(tmp, LAYERS_MODULE), layersJs);
        names.push(LAYERS_MODULE);
      }
      ctx.checkCancelled();
      ctx.progress('writing the README', 0.95);
      writeReadme(tmp, {
        title: `${spec.name}: TensorFlow.js layers model (${spec.ordering})`,
        about: [
          `Converted from the Caffe net '${ctx.model.graph.name}' (${basename(ctx.model.prototxt)}) by Portafilter ${appVersion()}, with Caffe's semantics.`,
          `Ordering ${spec.ordering}; ${specs.length} float32 weights, ${expected} bytes in ${shards.length} shard${shards.length === 1 ? '' : 's'} of at most ${SHARD_BYTES} bytes.`,
          `Keras layers: ${model.layers.length}; Portafilter classes: ${customLayers.length > 0 ? customLayers.join(', ') : 'none'}.`,
        ],
        js: readmeJs(customLayers, meta),
        notes: spec.skipped.length > 0 ? [`Left out: ${spec.skipped.map((s) => `${s.name} (${s.type}: ${s.reason})`).join('; ')}.`] : undefined,
      });
      names.push(README_FILE);
      return { value: undefined, files: names };
    });
    return {
      format: 'tfjs',
      files: placed.files,
      customLayers,
      notes: [
        `${spec.ordering}; inputs ${meta.inputs.map((t) => `${t.name} ${dims(t.kerasShape)}`).join(', ')}; outputs ${meta.outputs.map((t) => `${t.name} ${dims(t.kerasShape)}`).join(', ')}`,
        customLayers.length > 0
          ? `import './${LAYERS_MODULE}' (it imports ${TFJS_PEER}) before tf.loadLayersModel: it registers ${customLayers.join(', ')}`
          : 'standard TF.js layers only: tf.loadLayersModel loads it as is',
        ...placed.notes,
      ],
    };
  } finally {
    graph.dispose();
  }
}
