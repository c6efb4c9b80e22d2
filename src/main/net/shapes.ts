/**
 * Caffe's shape pass: every layer's Reshape() in execution order, from the Input layers' declared
 * (or overridden) shapes. The rules themselves live with each layer type in src/main/layers/.
 */
import { NetGraphError, ShapeError, UnsupportedLayerError, type UnsupportedLayer } from '../../shared/errors.js';
import { blobShapeProblem, fmt } from '../layers/common.js';
import { createShapeContext } from '../layers/context.js';
import { layerDef } from '../layers/index.js';
import type { Shape } from '../layers/types.js';
import type { NetGraph, NetLayer } from './graph.js';

export interface LayerShapeInfo {
  topShapes: Shape[];
  blobShapes: Shape[];
  dataDependent: boolean;
}

export interface NetShapes {
  /** Per layer, in graph order. */
  layers: LayerShapeInfo[];
  /** Per tensor id. */
  tensors: Shape[];
}

const TRAINING_TYPES = /^(WindowData|AnnotatedData|VideoData|.*Loss|Python)$/;

/** Throws one UnsupportedLayerError listing every layer whose type has no definition. */
export function checkSupported(graph: NetGraph): void {
  const missing: UnsupportedLayer[] = graph.layers
    .filter((l) => !layerDef(l.type))
    .map((l) => ({ name: l.name, type: l.type, location: l.source && { file: l.source.file, line: l.source.line, column: l.source.column } }));
  if (missing.length === 0) return;
  const err = new UnsupportedLayerError(missing, graph.file);
  if (missing.some((m) => TRAINING_TYPES.test(m.type))) {
    Object.defineProperty(err, 'message', {
      value: `${err.message}. Some of these belong to training only: the deploy prototxt may not need them.`,
    });
  }
  throw err;
}

/**
 * Runs the shape pass. `inputShapes` replaces the declared shape of an Input top (by blob name),
 * as Caffe's Net::Reshape does after a new input size.
 */
export function inferShapes(graph: NetGraph, inputShapes: Record<string, Shape> = {}): NetShapes {
  checkSupported(graph);
  const inputLayers = new Map<string, NetLayer>();
  for (const l of graph.layers) if (layerDef(l.type)?.role === 'data') for (const t of l.tops) inputLayers.set(t, l);
  const whereOf = (layer: NetLayer) => ({ file: layer.source?.file ?? graph.file, line: layer.source?.line, column: layer.source?.column, layer: layer.name });
  for (const [name, shape] of Object.entries(inputShapes)) {
    const layer = inputLayers.get(name);
    if (!layer)
      throw new NetGraphError(`no net input named '${name}' to give a shape to (inputs: ${[...inputLayers.keys()].join(', ') || 'none'})`, {
        file: graph.file,
      });
    const problem = Array.isArray(shape) ? blobShapeProblem(shape) : 'is not a list of dimensions';
    if (problem)
      throw new ShapeError(`the shape given for input '${name}', ${Array.isArray(shape) ? fmt(shape) : String(shape)}, ${problem}`, {
        ...whereOf(layer),
        field: 'input_shape',
      });
  }
  const tensors: Shape[] = [];
  const layers = graph.layers.map((layer): LayerShapeInfo => {
    const def = layerDef(layer.type)!;
    const bottoms = layer.inputs.map((id) => tensors[id]);
    const where = whereOf(layer);
    const count = (n: number, { min, max }: { min: number; max?: number }, what: string): void => {
      if (n < min || (max !== undefined && n > max)) {
        const want = max === min ? `${min}` : max === undefined ? `at least ${min}` : `${min} to ${max}`;
        throw new ShapeError(`${layer.type} layer takes ${want} ${what} blob(s), found ${n}`, { ...where, field: what });
      }
    };
    count(bottoms.length, def.bottoms, 'bottom');
    count(layer.tops.length, def.tops, 'top');
    const given = def.role === 'data' ? layer.tops.map((t) => inputShapes[t]) : [];
    const out = def.shapes(createShapeContext(layer.param, bottoms, layer.tops.length, given));
    const topShapes = out.tops.slice(0, layer.tops.length);
    if (topShapes.length < layer.tops.length)
      throw new ShapeError(`${layer.type} layer produces ${out.tops.length} top(s) but ${layer.tops.length} are declared`, where);
    // Caffe reshapes every top and allocates every learnable blob through Blob::Reshape, whose CHECKs
    // hold for all layer types alike: the rules compute shapes, this refuses the ones Caffe cannot hold.
    topShapes.forEach((s, i) => {
      const problem = blobShapeProblem(s);
      if (problem) throw new ShapeError(`top ${i} '${layer.tops[i]}' would have shape ${fmt(s)}, which ${problem}`, { ...where, field: 'top' });
    });
    out.blobs.forEach((s, i) => {
      // A learnable blob must also hold something: set-up fills it (filler.hpp CHECK(blob->count())) or
      // sets it (BatchNorm), and an empty blob has no data to write (Blob::mutable_cpu_data CHECK(data_)).
      const problem = blobShapeProblem(s) ?? (s.includes(0) ? 'holds no values; Caffe fills it at set-up, and an empty blob fails there' : undefined);
      if (problem) throw new ShapeError(`learnable blob ${i} would have shape ${fmt(s)}, which ${problem}`, { ...where, field: 'blobs' });
    });
    layer.outputs.forEach((id, i) => (tensors[id] = topShapes[i]));
    return { topShapes, blobShapes: out.blobs, dataDependent: out.dataDependent ?? false };
  });
  return { layers, tensors };
}

export const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
