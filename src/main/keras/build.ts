/**
 * Caffe net -> Keras model spec, in either ordering. Walks the graph in Caffe's order and lets each
 * layer type's `keras(ctx)` (src/main/layers/) add the Keras layers computing it. Tensors carry their
 * layout (`perm`, keras = transpose(caffe, perm)); layers that need a layout ask for it and a Permute
 * is inserted only then, so a channels_last model stays N,H,W,C between convolutions and never
 * permutes for element-wise layers.
 */
import { basename } from 'node:path';
import { KerasConversionError, UnsupportedLayerError, type UnsupportedLayer } from '../../shared/errors.js';
import { layerParams } from '../layers/context.js';
import { layerDef } from '../layers/index.js';
import type { Blob, KerasContext, KTensor } from '../layers/types.js';
import { requireKnownShapes } from '../net/shapes.js';
import type { CaffeNet } from '../net/model.js';
import { isPerm, nativePermFor, permuteDims, permuteShape, samePerm } from './layout.js';
import type { CaffeTopRef, KerasLayerSpec, KerasModelSpec, KerasTensorRef, KerasWeight, Ordering } from './spec.js';
import { NO_DATA } from './weights.js';

export { KerasConversionError };

export interface BuildKerasOptions {
  ordering: Ordering;
  /** Flip convolution kernels 180° for true-convolution backends (Theano); channels_first only. */
  flipKernels?: boolean;
  /**
   * The workbench's view of a model that may not convert whole: a layer whose mapping refuses it (or
   * that has none) goes to the spec's `failed` with the reason, and so does every layer reading its
   * tops, instead of refusing the model. Exports leave it off: they refuse such a model.
   */
  tolerant?: boolean;
  /** Only the Keras layers and their weights' shapes are wanted: weight data is NO_DATA (no blob is read or transformed). */
  shapesOnly?: boolean;
}

/**
 * A Keras layer name for a Caffe name: Keras 3 forbids '/', and TF.js weight names must start with a
 * letter or digit and use only [-A-Za-z0-9._/]; anything else becomes '_'.
 */
export function sanitizeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (s === '') return 'layer';
  return /^[A-Za-z0-9]/.test(s) ? s : `layer${s.startsWith('_') ? '' : '_'}${s}`;
}

const shapeText = (s: readonly (number | null)[]): string => `[${s.join(', ')}]`;

type GraphLayer = CaffeNet['graph']['layers'][number];

/** Data and loss layers have their own rules; any other layer needs a Keras mapping. */
const lacksMapping = (l: GraphLayer): boolean => {
  const def = layerDef(l.type);
  return !def || (def.role === undefined && !def.keras);
};

/** The error naming `layers` as having no Keras mapping. */
function noMappingError(model: CaffeNet, layers: readonly GraphLayer[]): UnsupportedLayerError {
  const missing: UnsupportedLayer[] = layers.map((l) => ({
    name: l.name,
    type: l.type,
    location: l.source && { file: l.source.file, line: l.source.line, column: l.source.column, layer: l.name },
  }));
  const err = new UnsupportedLayerError(missing, model.graph.file);
  const types = [...new Set(missing.map((m) => m.type))].join(', ');
  Object.defineProperty(err, 'message', { value: `${err.message}: no Keras mapping for ${types}` });
  return err;
}

/** One error listing every layer that has no Keras mapping (data and loss layers have their own rules). */
export function checkKerasSupported(model: CaffeNet): void {
  const missing = model.graph.layers.filter(lacksMapping);
  if (missing.length > 0) throw noMappingError(model, missing);
}

/** What a tolerant build records instead of refusing: a layer mapping's own refusals, not internal faults. */
const isRefusal = (e: unknown): e is KerasConversionError | UnsupportedLayerError => e instanceof KerasConversionError || e instanceof UnsupportedLayerError;

/**
 * The Caffe values (tensor ids, in production order) that are outputs of the Keras model: Caffe's net
 * outputs, and values read only by the loss layers inference leaves out (e.g. the logits before a
 * SoftmaxWithLoss in a train_val prototxt).
 */
export function kerasOutputTensors(model: CaffeNet): number[] {
  const { graph } = model;
  const isLoss = (i: number): boolean => layerDef(graph.layers[i].type)?.role === 'loss';
  return graph.tensors
    .filter((t) => !isLoss(t.producer) && t.consumers.every(isLoss))
    .map((t) => t.id);
}

export function buildKerasModel(model: CaffeNet, options: BuildKerasOptions): KerasModelSpec {
  const { ordering } = options;
  const flipKernels = options.flipKernels ?? false;
  const tolerant = options.tolerant ?? false;
  const shapesOnly = options.shapesOnly ?? false;
  if (ordering !== 'channels_last' && ordering !== 'channels_first')
    throw new KerasConversionError(`unknown ordering '${String(ordering)}' (channels_last or channels_first)`);
  if (flipKernels && ordering !== 'channels_first')
    throw new KerasConversionError('flipKernels (the Theano kernel flip) only goes with the channels_first ordering');
  if (!tolerant) {
    requireKnownShapes(model.shapes, 'converting to Keras');
    checkKerasSupported(model);
  }

  const { graph, shapes } = model;
  const names = new Set<string>();
  const unique = (base: string): string => {
    let name = base;
    for (let i = 2; names.has(name); i++) name = `${base}_${i}`;
    names.add(name);
    return name;
  };
  const inputLayers: KerasLayerSpec[] = [];
  const body: KerasLayerSpec[] = [];
  const known = new Set<string>(); // `${layer}:${index}` of every Keras tensor made so far
  const byTensor = new Map<number, KTensor>(); // Caffe tensor id -> Keras tensor
  const relayouts = new Map<string, KTensor>();
  const inputs: KerasTensorRef[] = [];
  const caffeLayers: KerasModelSpec['caffeLayers'] = [];
  const skipped: KerasModelSpec['skipped'] = [];
  const failed: NonNullable<KerasModelSpec['failed']> = [];
  const failedLayers = new Set<number>();
  const fail = (layer: GraphLayer, reason: string): void => {
    failed.push({ name: layer.name, type: layer.type, reason });
    failedLayers.add(layer.index);
  };
  const nativePerm = (rank: number): number[] => nativePermFor(ordering, rank);
  const keyOf = (t: { layer: string; index: number }): string => `${t.layer}:${t.index}`;
  const topRef = (blob: string, t: KTensor): CaffeTopRef => ({
    blob,
    tensor: { layer: t.layer, index: t.index },
    perm: [...t.perm],
    caffeShape: [...t.caffeShape],
  });

  for (const layer of graph.layers) {
    const info = shapes.layers[layer.index];
    if (info.unknown !== undefined) {
      // Only a tolerant build gets here (requireKnownShapes above).
      fail(layer, `its shape is unknown: ${info.unknown}`);
      continue;
    }
    const def = layerDef(layer.type)!;
    const where = {
      file: layer.source?.file ?? graph.file,
      line: layer.source?.line,
      column: layer.source?.column,
      layer: layer.name,
    };

    if (def.role === 'loss') {
      skipped.push({ name: layer.name, type: layer.type, reason: 'a training loss or metric: inference leaves it out' });
      continue;
    }

    if (def.role === 'data') {
      // Further tops of a data layer (labels) become inputs only when a layer of the Keras model reads them.
      const used = layer.tops.flatMap((blob, i) =>
        i > 0 && graph.tensors[layer.outputs[i]].consumers.every((c) => layerDef(graph.layers[c].type)?.role === 'loss') ? [] : [{ blob, i }],
      );
      const unshaped = used.find(({ i }) => info.topShapes[i].length === 0);
      if (unshaped) {
        const e = new KerasConversionError(`net input '${unshaped.blob}' has no shape: give one (an input shape override)`, where);
        if (!tolerant) throw e;
        fail(layer, e.message);
        continue;
      }
      const tops: CaffeTopRef[] = [];
      used.forEach(({ blob, i }) => {
        const id = layer.outputs[i];
        const caffeShape = info.topShapes[i];
        const perm = nativePerm(caffeShape.length);
        const name = unique(sanitizeName(blob));
        inputLayers.push({
          name,
          className: 'InputLayer',
          config: { batch_shape: [null, ...permuteShape(caffeShape, perm).slice(1)], sparse: false },
          inputs: [],
          outputShapes: [[null, ...permuteShape(caffeShape, perm).slice(1)]],
          weights: [],
          caffeLayer: layer.name,
        });
        const t: KTensor = { layer: name, index: 0, caffeShape: [...caffeShape], perm };
        known.add(keyOf(t));
        byTensor.set(id, t);
        inputs.push({ layer: name, index: 0 });
        tops.push(topRef(blob, t));
      });
      caffeLayers.push({ name: layer.name, type: layer.type, tops });
      continue;
    }

    const missing = layer.inputs.findIndex((id) => !byTensor.has(id));
    if (missing >= 0) {
      const producer = graph.layers[graph.tensors[layer.inputs[missing]].producer];
      if (tolerant && failedLayers.has(producer.index)) {
        fail(layer, `reads '${layer.bottoms[missing]}' from '${producer.name}', which cannot convert`);
        continue;
      }
      const e = new KerasConversionError(`reads '${layer.bottoms[missing]}', which comes from a layer left out of the Keras model`, { ...where, field: 'bottom' });
      if (!tolerant) throw e;
      fail(layer, e.message);
      continue;
    }
    if (lacksMapping(layer)) {
      // Only a tolerant build gets here: checkKerasSupported refused the model up front otherwise.
      fail(layer, noMappingError(model, [layer]).message);
      continue;
    }
    const bottoms = layer.inputs.map((id) => byTensor.get(id)!);
    const blobs: Blob[] = shapesOnly
      ? info.blobShapes.map((s) => ({ shape: [...s], data: NO_DATA }))
      : (model.weights.get(layer.name)?.map((w) => ({ shape: w.shape, data: w.data })) ??
        info.blobShapes.map((s) => ({ shape: [...s], data: new Float32Array(s.reduce((a, d) => a * d, 1)) })));

    const params = layerParams(layer.param, KerasConversionError);
    const add: KerasContext['add'] = (spec, ins, outs) => {
      const base = sanitizeName(spec.suffix ? `${layer.name}_${spec.suffix}` : layer.name);
      const name = unique(base);
      for (const t of ins) {
        if (!known.has(keyOf(t))) throw new Error(`internal: layer ${name} reads unknown Keras tensor ${keyOf(t)}`);
      }
      const outputShapes = outs.map((o) => {
        if (o.perm.length !== o.caffeShape.length || !isPerm(o.perm) || (o.perm.length > 0 && o.perm[0] !== 0))
          throw new Error(`internal: layer ${name} declares layout [${o.perm.join(', ')}] for Caffe shape ${shapeText(o.caffeShape)}`);
        return [null, ...permuteShape(o.caffeShape, o.perm).slice(1)];
      });
      const weights: KerasWeight[] = (spec.weights ?? []).map((w) => {
        if (shapesOnly) return { name: w.name, shape: w.shape, data: NO_DATA };
        const n = w.shape.reduce((a, d) => a * d, 1);
        if (n !== w.data.length) throw new Error(`internal: weight ${name}/${w.name} has ${w.data.length} values for shape ${shapeText(w.shape)}`);
        return w;
      });
      body.push({
        name,
        className: spec.className,
        config: spec.config,
        inputs: ins.map((t) => ({ layer: t.layer, index: t.index })),
        outputShapes,
        weights,
        caffeLayer: layer.name,
      });
      return outs.map((o, index) => {
        const t: KTensor = { layer: name, index, caffeShape: [...o.caffeShape], perm: [...o.perm] };
        known.add(keyOf(t));
        return t;
      });
    };
    const relayout = (t: KTensor, perm: readonly number[]): KTensor => {
      if (perm.length !== t.perm.length || !isPerm(perm))
        throw new Error(`internal: layout [${perm.join(', ')}] does not fit a ${t.perm.length}-D tensor`);
      if (samePerm(t.perm, perm)) return t;
      if (perm[0] !== 0 || t.perm[0] !== 0) params.fail('the batch axis must stay first in Keras');
      const key = `${keyOf(t)}[${t.perm.join(',')}]>${perm.join(',')}`;
      const cached = relayouts.get(key);
      if (cached) return cached;
      const [out] = add({ className: 'Permute', config: { dims: permuteDims(t.perm, perm) }, suffix: 'permute' }, [t], [
        { caffeShape: t.caffeShape, perm },
      ]);
      relayouts.set(key, out);
      return out;
    };
    const ctx: KerasContext = {
      ...params,
      ordering,
      flipKernels,
      inputs: bottoms,
      topShapes: info.topShapes,
      blobs,
      nativePerm,
      relayout,
      add,
    };
    // A refusal may come after the mapping added some layers: a tolerant build takes them out again.
    const mark = body.length;
    let outs: KTensor[];
    try {
      outs = def.keras!(ctx);
    } catch (e) {
      if (!tolerant || !isRefusal(e)) throw e;
      const removed = new Set(body.splice(mark).map((l) => l.name));
      for (const name of removed) names.delete(name);
      for (const key of [...known]) if (removed.has(key.slice(0, key.lastIndexOf(':')))) known.delete(key);
      for (const [key, t] of relayouts) if (removed.has(t.layer)) relayouts.delete(key);
      fail(layer, e.message);
      continue;
    }
    if (outs.length !== layer.tops.length)
      throw new Error(`internal: the Keras mapping of ${layer.type} gave ${outs.length} tensors for ${layer.tops.length} tops`);
    outs.forEach((t, i) => {
      if (shapeText(t.caffeShape) !== shapeText(info.topShapes[i]))
        throw new Error(
          `internal: the Keras mapping of ${layer.type} '${layer.name}' gives top ${i} Caffe shape ${shapeText(t.caffeShape)}, Caffe has ${shapeText(info.topShapes[i])}`,
        );
      byTensor.set(layer.outputs[i], t);
    });
    caffeLayers.push({ name: layer.name, type: layer.type, tops: outs.map((t, i) => topRef(layer.tops[i], t)) });
  }

  const outputs: KerasTensorRef[] = [];
  const seen = new Set<string>();
  for (const id of kerasOutputTensors(model)) {
    const t = byTensor.get(id);
    if (!t || seen.has(keyOf(t))) continue;
    seen.add(keyOf(t));
    outputs.push({ layer: t.layer, index: t.index });
  }
  return {
    name: sanitizeName(graph.name || basename(model.prototxt).replace(/\.[^.]*$/, '')),
    ordering,
    flipKernels,
    layers: [...inputLayers, ...body],
    inputs,
    outputs,
    caffeLayers,
    skipped,
    ...(tolerant ? { failed } : {}),
  };
}

