/**
 * Verifying an export: the written files are loaded back by the consumer that runs here, run on one
 * input, and their outputs compared with the Caffe-semantics reference on the same input, with the
 * diff's tolerance (engine/diff.ts compareValues).
 *
 * - tfjs: `tf.loadLayersModel` on model.json and its shards (Portafilter's custom classes registered
 *   as portafilter_layers.js registers them), on the TF.js backend the engine picks;
 * - onnx: onnxruntime-node's InferenceSession on the .onnx file;
 * - keras / h5: the project's TF.js reconstruction from the file's own config and weights, as read
 *   back from the file (keras-read.ts); no Python Keras runs here;
 * - npy: the net loaded again with the written folder as its weights, on the reference.
 *
 * Only the file is trusted for the model; where its inputs and outputs sit in Caffe's terms (which
 * blob, which layout) comes from what the writer meant, so a file that lost or reordered one fails.
 */
import { join } from 'node:path';
import { PortafilterError } from '../../shared/errors.js';
import { invertPerm, isIdentityPerm, transposeData } from '../../shared/tensor.js';
import { compareValues } from '../engine/diff.js';
import { netInputs } from '../engine/inputs.js';
import { isClassScores } from '../engine/predictions.js';
import { createReferenceEngine } from '../engine/reference.js';
import type { io, Tensor } from '@tensorflow/tfjs-core';
import type { OutputAgreementInfo, VerificationInfo } from '../../shared/api.js';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { KerasModelSpec, KerasTensorRef } from '../keras/spec.js';
import type { Blob } from '../layers/types.js';
import { loadCaffeNet, withInputShapes, type CaffeNet } from '../net/model.js';
import type { ExportContext, ExportFormat, ExportResult, TensorPlace } from './types.js';

/** The input a verification runs: prepared as `run` prepares it, the net reshaped to it. */
export interface VerifyInput {
  model: CaffeNet;
  inputs: Record<string, Blob>;
  /** What it is, for the result ("digit_3.png, preprocessed"). */
  source: string;
}

/** One net output of the file against the reference, and the whole verification: as the API carries them. */
export type OutputAgreement = OutputAgreementInfo;
export type Verification = Omit<VerificationInfo, 'format'> & { format: ExportFormat };

const SEED = 0x5eed;

/** A seeded uniform [-1, 1) input per net input, batch 1: when no input is given, every weight still has to agree. */
export function seededInput(model: CaffeNet): VerifyInput {
  const shapes = Object.fromEntries(netInputs(model).map((i) => [i.name, [1, ...i.shape.slice(1)]]));
  const shaped = withInputShapes(model, shapes);
  let state = SEED;
  // mulberry32: a small, well-known generator; the values only need to be fixed and spread.
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const inputs = Object.fromEntries(
    Object.entries(shapes).map(([name, shape]) => {
      const data = new Float32Array(shape.reduce((a, d) => a * d, 1));
      for (let i = 0; i < data.length; i++) data[i] = next() * 2 - 1;
      return [name, { shape, data }];
    }),
  );
  return { model: shaped, inputs, source: `a seeded random input (uniform in [-1, 1), ${Object.entries(shapes).map(([n, s]) => `${n} ${s.join('×')}`).join(', ')})` };
}

const argmax = (data: Float32Array, from: number, to: number): number => {
  let best = from;
  for (let i = from + 1; i < to; i++) if (data[i] > data[best]) best = i;
  return best - from;
};

function agreement(blob: string, out: Blob, ref: Blob): OutputAgreement {
  const same = out.shape.length === ref.shape.length && out.shape.every((d, i) => d === ref.shape[i]);
  if (!same) return { blob, shape: out.shape, maxAbs: NaN, maxRel: NaN, ratio: Infinity, ok: false };
  const e = compareValues(out.data, ref.data, true);
  const row: OutputAgreement = { blob, shape: [...out.shape], maxAbs: e.maxAbs, maxRel: e.maxRel, ratio: e.ratio, ok: e.ok };
  if (isClassScores(ref) && ref.shape[0] >= 1) {
    const n = ref.data.length / ref.shape[0];
    row.top1 = { exported: argmax(out.data, 0, n), reference: argmax(ref.data, 0, n) };
  }
  return row;
}

const refKey = (r: KerasTensorRef): string => `${r.layer}:${r.index}`;

/** Where each model input and output of a Keras spec is in Caffe's terms, by Keras tensor. */
export function kerasPlaces(model: CaffeNet, spec: KerasModelSpec): Map<string, TensorPlace> {
  const places = new Map<string, TensorPlace>();
  for (const l of spec.caffeLayers)
    for (const top of l.tops) if (!places.has(refKey(top.tensor))) places.set(refKey(top.tensor), { name: top.tensor.layer, blob: top.blob, perm: top.perm });
  // A net output's own top wins over an earlier top sharing its tensor (an in-place layer's).
  for (const id of model.graph.outputs) {
    const t = model.graph.tensors[id];
    const producer = model.graph.layers[t.producer].name;
    const top = spec.caffeLayers.find((l) => l.name === producer)?.tops.find((x) => x.blob === t.blob);
    if (top) places.set(refKey(top.tensor), { name: top.tensor.layer, blob: top.blob, perm: top.perm });
  }
  return places;
}

const toLayout = (blob: Blob, perm: readonly number[]): Blob =>
  isIdentityPerm(perm) ? blob : { shape: perm.map((p) => blob.shape[p]), data: transposeData(blob.data, blob.shape, perm) };
const fromLayout = (shape: readonly number[], data: Float32Array, perm: readonly number[]): Blob => {
  const back = invertPerm(perm);
  return { shape: back.map((p) => shape[p]), data: transposeData(data, shape, back) };
};

/** A model's inputs in the layout each file input takes, in the file's order. */
function feedsFor(places: readonly TensorPlace[], input: VerifyInput): Blob[] {
  return places.map((p) => {
    const blob = input.inputs[p.blob];
    if (!blob) throw new PortafilterError(`the exported model takes '${p.blob}', which the verification input does not give (it gives ${Object.keys(input.inputs).join(', ')})`);
    return toLayout(blob, p.perm);
  });
}

interface Ran {
  consumer: string;
  outputs: { blob: string; value: Blob }[];
}

/** Runs a spec read back from a file (or a tfjs LayersModel) on TF.js and returns its outputs in Caffe's layout. */
async function runOnTfjs(
  load: () => Promise<{ predict(x: unknown): unknown; dispose?(): void } & { inputs: readonly { shape: (number | null)[] }[] }>,
  inputs: readonly TensorPlace[],
  outputs: readonly TensorPlace[],
  input: VerifyInput,
  consumer: string,
): Promise<Ran> {
  const tf = await import('@tensorflow/tfjs-core');
  const { selectTfjsBackend } = await import('../engine/tfjs-backends.js');
  const backend = await selectTfjsBackend('auto');
  const model = await load();
  const feeds = feedsFor(inputs, input).map((b) => tf.tensor(b.data, b.shape, 'float32'));
  try {
    const predicted = model.predict(feeds.length === 1 ? feeds[0] : feeds) as Tensor | Tensor[];
    const ys = Array.isArray(predicted) ? predicted : [predicted];
    try {
      if (ys.length !== outputs.length) throw new PortafilterError(`the file's model gives ${ys.length} outputs, the export wrote ${outputs.length}`);
      const values = await Promise.all(ys.map(async (y, i) => ({ blob: outputs[i].blob, value: fromLayout(y.shape, (await y.data()) as Float32Array, outputs[i].perm) })));
      return { consumer: `${consumer} on ${backend.detail}`, outputs: values };
    } finally {
      tf.dispose(ys);
    }
  } finally {
    tf.dispose(feeds);
  }
}

async function runTfjsFolder(folder: string, input: VerifyInput): Promise<Ran> {
  const { readFileSync } = await import('node:fs');
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  // The classes portafilter_layers.js registers, registered from the sources it bundles (the custom
  // layers register themselves on import; the bridges only in that module).
  await import('../engine/tfjs-engine.js');
  const { BRIDGE_LAYERS } = await import('../engine/tfjs-bridges.js');
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const [name, cls] of Object.entries(BRIDGE_LAYERS)) if (!(name in known)) tf.serialization.registerClass(cls);
  const json = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as io.ModelJSON;
  const meta = (json.userDefinedMetadata as { portafilter?: { inputs: TensorPlace[]; outputs: TensorPlace[] } } | undefined)?.portafilter;
  if (!meta) throw new PortafilterError("model.json has no userDefinedMetadata.portafilter: it says nothing of the Caffe blobs", { file: join(folder, 'model.json') });
  const handler: io.IOHandler = {
    load: async () =>
      tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const shards = manifest.flatMap((group) => group.paths.map((p) => readFileSync(join(folder, p))));
        const all = Buffer.concat(shards);
        return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
      }),
  };
  let loaded: LayersModel | undefined;
  try {
    return await runOnTfjs(async () => (loaded = await tfl.loadLayersModel(handler)), meta.inputs, meta.outputs, input, `TF.js ${tf.version_core} tf.loadLayersModel`);
  } finally {
    loaded?.dispose();
  }
}

async function runKerasFile(ctx: ExportContext, format: 'keras' | 'h5', file: string, input: VerifyInput): Promise<Ran & { problems: string[] }> {
  const tf = await import('@tensorflow/tfjs-core');
  const { readH5File, readKerasFile } = await import('./keras-read.js');
  const { buildTfjsGraph } = await import('../engine/tfjs-engine.js');
  const read = format === 'keras' ? await readKerasFile(file) : await readH5File(file);
  const written = ctx.spec!;
  const problems: string[] = [];
  if (read.flipped !== undefined && read.flipped !== written.flipKernels)
    problems.push(`the file says its kernels are ${read.flipped ? '' : 'not '}flipped 180°; the export was asked ${written.flipKernels ? 'to flip' : 'not to flip'} them`);
  // A flipped file is for a true-convolution backend: TF.js correlates, so the reconstruction flips back.
  read.spec.flipKernels = written.flipKernels;
  const places = kerasPlaces(ctx.model, written);
  const place = (r: KerasTensorRef, what: string): TensorPlace => {
    const p = places.get(refKey(r));
    if (!p) throw new PortafilterError(`the file's ${what} ${refKey(r)} is no Caffe blob of the exported model`, { file });
    return p;
  };
  let graph: ReturnType<typeof buildTfjsGraph> | undefined;
  try {
    const ran = await runOnTfjs(
      async () => {
        graph = buildTfjsGraph(read.spec, { checkShapes: false });
        const model = graph.model();
        if (!model) throw new PortafilterError('the file\'s model has no outputs', { file });
        return model;
      },
      read.spec.inputs.map((r) => place(r, 'input')),
      read.spec.outputs.map((r) => place(r, 'output')),
      input,
      `the file's config and weights rebuilt on TF.js ${tf.version_core}`,
    );
    return { ...ran, problems };
  } finally {
    graph?.dispose();
  }
}

async function runOnnxFile(ctx: ExportContext, file: string, input: VerifyInput): Promise<Ran> {
  const { loadOrt, onnxRuntimeVersion } = await import('../engine/onnx-engine.js');
  const written = ctx.written;
  if (!written) throw new PortafilterError('internal: the ONNX writer did not say where its inputs and outputs are');
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'] });
  try {
    const missing = written.inputs.filter((p) => !session.inputNames.includes(p.name)).concat(written.outputs.filter((p) => !session.outputNames.includes(p.name)));
    if (missing.length > 0) throw new PortafilterError(`the file has no ${missing.map((p) => `'${p.name}'`).join(', ')} (it has inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')})`, { file });
    const feeds = Object.fromEntries(feedsFor(written.inputs, input).map((b, i) => [written.inputs[i].name, new ort.Tensor('float32', b.data, b.shape)]));
    const results = await session.run(feeds);
    const outputs = written.outputs.map((p) => {
      const t = results[p.name];
      return { blob: p.blob, value: fromLayout(t.dims.map(Number), t.data as Float32Array, p.perm) };
    });
    return { consumer: `onnxruntime-node ${onnxRuntimeVersion()} InferenceSession (CPU)`, outputs };
  } finally {
    await session.release();
  }
}

async function runNpyFolder(ctx: ExportContext, folder: string, input: VerifyInput, signal?: AbortSignal): Promise<Ran> {
  const reloaded = await loadCaffeNet({ prototxt: ctx.model.prototxt, caffemodel: folder, inputShapes: ctx.model.inputShapes });
  const shaped = withInputShapes(reloaded, Object.fromEntries(Object.entries(input.inputs).map(([k, b]) => [k, b.shape])));
  const engine = createReferenceEngine(shaped);
  try {
    const result = await engine.run(input.inputs, { capture: false, signal });
    return { consumer: 'the reference executor, with the weights read back from the .npy folder', outputs: result.outputs };
  } finally {
    engine.dispose();
  }
}

/** Loads what `result` wrote, runs it on `input` (a seeded random one when absent) and compares its outputs with the reference's. */
export async function verifyExport(ctx: ExportContext, result: ExportResult, given?: VerifyInput): Promise<Verification> {
  const start = performance.now();
  const { format, out } = ctx.options;
  const input = given ?? seededInput(ctx.model);
  ctx.progress('verifying: running the reference', 0);
  const reference = createReferenceEngine(input.model);
  let expected: { blob: string; value: Blob }[];
  try {
    expected = (await reference.run(input.inputs, { capture: false, signal: ctx.options.signal })).outputs;
  } finally {
    reference.dispose();
  }
  ctx.checkCancelled();
  ctx.progress(`verifying: loading the ${format} export back`, 0.5);
  const problems: string[] = [];
  let ran: Ran;
  try {
    switch (format) {
      case 'tfjs':
        ran = await runTfjsFolder(out, input);
        break;
      case 'onnx':
        ran = await runOnnxFile(ctx, out, input);
        break;
      case 'keras':
      case 'h5': {
        const r = await runKerasFile(ctx, format, out, input);
        problems.push(...r.problems);
        ran = r;
        break;
      }
      case 'npy':
        ran = await runNpyFolder(ctx, out, input, ctx.options.signal);
        break;
    }
  } catch (e) {
    if (ctx.options.signal?.aborted) throw e;
    const why = e instanceof PortafilterError ? e.message : `${(e as Error).message}`;
    return { format, consumer: 'none: the files did not load', input: input.source, ok: false, outputs: [], problems: [...problems, `${result.files[0]} does not load back: ${why}`], milliseconds: performance.now() - start };
  }
  ctx.checkCancelled();
  const byBlob = new Map(expected.map((o) => [o.blob, o.value]));
  const misshapen = new Set<string>();
  const outputs = ran.outputs.flatMap((o) => {
    const ref = byBlob.get(o.blob);
    if (!ref) {
      problems.push(`the file gives '${o.blob}', which the reference does not compute as a net output`);
      return [];
    }
    if (o.value.shape.length !== ref.shape.length || o.value.shape.some((d, i) => d !== ref.shape[i])) {
      misshapen.add(o.blob);
      problems.push(`'${o.blob}' comes out as [${o.value.shape.join(', ')}], the reference's is [${ref.shape.join(', ')}]`);
    }
    return [agreement(o.blob, o.value, ref)];
  });
  const compared = new Set(outputs.map((o) => o.blob));
  for (const o of expected) if (!compared.has(o.blob) && !(o.blob in input.inputs)) problems.push(`the file does not give the net output '${o.blob}'`);
  for (const o of outputs)
    if (!o.ok && !misshapen.has(o.blob))
      problems.push(
        Number.isNaN(o.maxAbs)
          ? `'${o.blob}' holds NaN where the reference holds numbers`
          : `'${o.blob}' differs from the reference: max |Δ| ${o.maxAbs.toPrecision(3)}, ${o.ratio.toPrecision(3)}× the tolerance`,
      );
  ctx.progress('verified', 1);
  return {
    format,
    consumer: ran.consumer,
    input: input.source,
    ok: problems.length === 0 && outputs.length > 0,
    outputs,
    problems: outputs.length === 0 && problems.length === 0 ? ['the file gives no output to compare'] : problems,
    milliseconds: performance.now() - start,
  };
}
