/**
 * The Caffe-semantics reference executor: runs the network layer by layer in Caffe's own layout with
 * each layer type's `reference` op (src/main/layers/), the second, independent path that a converted
 * model is compared against when Caffe itself is not at hand.
 *
 * Layers run in the graph's order; loss and metric layers are left out, data layers take the given
 * inputs. Every layer's output is its own value (no op writes into its bottom), so an in-place ReLU
 * on conv1 leaves conv1's value as it was and gives relu1 the rectified one.
 */
import { EngineError, PortafilterError, UnsupportedLayerError, type ErrorLocation } from '../../shared/errors.js';
import type { Message } from '../caffe/message.js';
import { layerDef, layerParams } from '../layers/index.js';
import type { Blob, LayerDef, ReferenceContext, Shape } from '../layers/types.js';
import type { NetLayer } from '../net/graph.js';
import type { CaffeNet } from '../net/model.js';
import { requireKnownShapes } from '../net/shapes.js';
import { gemmKernel } from '../layers/reference-gemm.js';
import type { Engine, LayerOutput, RunOptions, RunResult } from './types.js';

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

function where(layer: NetLayer, file: string): ErrorLocation {
  const loc: ErrorLocation = { file: layer.source?.file ?? file, layer: layer.name };
  if (layer.source?.line !== undefined) loc.line = layer.source.line;
  if (layer.source?.column !== undefined) loc.column = layer.source.column;
  return loc;
}

/**
 * What a layer's `reference` op sees: the parameters of `layer` (a V2 LayerParameter), its bottoms,
 * learnable blobs and Caffe's top shapes. Its failures are EngineErrors naming the layer.
 */
export function createReferenceContext(layer: Message, bottoms: readonly Blob[], blobs: readonly Blob[], topShapes: readonly Shape[]): ReferenceContext {
  return { ...layerParams(layer, EngineError), bottoms, blobs, topShapes };
}

interface Step {
  layer: NetLayer;
  def: LayerDef;
  role: 'data' | 'compute';
  blobs: Blob[];
}

export function createReferenceEngine(model: CaffeNet): Engine {
  requireKnownShapes(model.shapes, 'running the reference');
  const { graph, shapes } = model;
  const steps: Step[] = [];
  const unsupported: NetLayer[] = [];
  for (const layer of graph.layers) {
    const def = layerDef(layer.type);
    if (!def || def.role === 'loss') continue;
    if (def.role === 'data') {
      steps.push({ layer, def, role: 'data', blobs: [] });
      continue;
    }
    if (!def.reference) {
      unsupported.push(layer);
      continue;
    }
    const expected = shapes.layers[layer.index].blobShapes;
    const blobs = model.weights.get(layer.name) ?? [];
    if (blobs.length !== expected.length) {
      throw new EngineError(
        expected.length > 0 && blobs.length === 0
          ? `the layer has ${expected.length} learnable blob(s) (${expected.map(fmt).join(', ')}) but the model has no weights for it; load a caffemodel`
          : `the layer has ${blobs.length} weight blob(s) where ${expected.length} are expected`,
        where(layer, graph.file),
      );
    }
    steps.push({ layer, def, role: 'compute', blobs });
  }
  if (unsupported.length > 0) {
    const err = new UnsupportedLayerError(
      unsupported.map((l) => ({ name: l.name, type: l.type, location: where(l, graph.file) })),
      graph.file,
    );
    Object.defineProperty(err, 'message', { value: `${err.message}: the reference executor has no Caffe-semantics op for them` });
    throw err;
  }

  // Which executed layers read each value, and which values no executed layer reads (the net outputs).
  const readers = new Map<number, number>();
  for (const { layer } of steps) for (const id of layer.inputs) readers.set(id, (readers.get(id) ?? 0) + 1);
  const outputIds = steps.flatMap(({ layer }) => layer.outputs).filter((id) => !readers.has(id));
  const outputSet = new Set(outputIds);
  const inputTensors = new Map<string, number>();
  for (const { layer, role } of steps) if (role === 'data') layer.outputs.forEach((id, i) => inputTensors.set(layer.tops[i], id));

  // Names what computes, as every engine does: the products' micro-kernel (reference-gemm.ts), the rest JavaScript.
  const detail = `float64 sums; matrix products in ${gemmKernel() === 'wasm' ? 'WebAssembly SIMD' : 'plain JavaScript'}, the rest in JavaScript`;

  return {
    name: 'reference',
    detail,
    async run(inputs: Record<string, Blob>, options: RunOptions = {}): Promise<RunResult> {
      const capture = options.capture ?? true;
      const signal = options.signal;
      const started = performance.now();
      for (const name of Object.keys(inputs)) {
        if (!inputTensors.has(name))
          throw new EngineError(`no net input named '${name}' (inputs: ${[...inputTensors.keys()].join(', ') || 'none'})`, { file: graph.file });
      }
      const values = new Map<number, Blob>();
      const pending = new Map(readers);
      const layers: LayerOutput[] = [];
      for (const { layer, def, role, blobs } of steps) {
        signal?.throwIfAborted();
        const topShapes = shapes.layers[layer.index].topShapes;
        let tops: (Blob | undefined)[];
        if (role === 'data') {
          tops = layer.tops.map((name, i) => {
            const given = inputs[name];
            const shape = topShapes[i];
            if (!given) {
              if (readers.has(layer.outputs[i]))
                throw new EngineError(`the net input '${name}' ${fmt(shape)} is not given`, where(layer, graph.file));
              return undefined;
            }
            if (!sameShape(given.shape, shape))
              throw new EngineError(
                `the net input '${name}' has shape ${fmt(given.shape)} but the model is shaped for ${fmt(shape)}; load it with that input shape`,
                where(layer, graph.file),
              );
            if (given.data.length !== size(shape))
              throw new EngineError(`the net input '${name}' holds ${given.data.length} values, its shape ${fmt(shape)} needs ${size(shape)}`, where(layer, graph.file));
            return given;
          });
        } else {
          const bottoms = layer.inputs.map((id, i) => {
            const v = values.get(id);
            if (!v) throw new EngineError(`bottom '${layer.bottoms[i]}' has no value (its producer did not run)`, where(layer, graph.file));
            return v;
          });
          try {
            tops = def.reference!(createReferenceContext(layer.param, bottoms, blobs, topShapes));
          } catch (e) {
            if (e instanceof PortafilterError) throw e;
            const err = new EngineError(`the reference ${layer.type} op failed: ${(e as Error).message}`, where(layer, graph.file));
            err.cause = e;
            throw err;
          }
          if (tops.length !== layer.tops.length)
            throw new EngineError(`the reference ${layer.type} op gave ${tops.length} top(s) for ${layer.tops.length}`, where(layer, graph.file));
          tops.forEach((t, i) => {
            if (!t || !sameShape(t.shape, topShapes[i]) || t.data.length !== size(topShapes[i]))
              throw new EngineError(
                `the reference ${layer.type} op gave top ${i} the shape ${t ? fmt(t.shape) : 'none'} where Caffe's is ${fmt(topShapes[i])}`,
                where(layer, graph.file),
              );
          });
          for (const id of layer.inputs) {
            const left = (pending.get(id) ?? 1) - 1;
            pending.set(id, left);
            if (left === 0 && !capture && !outputSet.has(id)) values.delete(id);
          }
        }
        layer.outputs.forEach((id, i) => {
          const v = tops[i];
          if (v && (readers.has(id) || outputSet.has(id))) values.set(id, v);
        });
        if (capture || layer.outputs.some((id) => outputSet.has(id))) {
          const out = layer.tops.flatMap((blob, i) => {
            const value = tops[i];
            return value ? [{ blob, value }] : [];
          });
          layers.push({ layer: layer.name, type: layer.type, tops: out });
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      signal?.throwIfAborted();
      const outputs = outputIds.flatMap((id) => {
        const value = values.get(id);
        return value ? [{ blob: graph.tensors[id].blob, value }] : [];
      });
      return { engine: 'reference', engineDetail: detail, form: 'reference', layers, outputs, milliseconds: performance.now() - started };
    },
    dispose(): void {},
  };
}
