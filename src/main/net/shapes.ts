/**
 * Caffe's shape pass: every layer's Reshape() in execution order, from the Input layers' declared
 * (or overridden) shapes. The rules themselves live with each layer type in src/main/layers/.
 */
import { NetGraphError, ShapeError, ShapeUnknownError, UnsupportedLayerError, type ErrorLocation, type UnsupportedLayer } from '../../shared/errors.js';
import { blobShapeProblem, fmt } from '../layers/common.js';
import { createShapeContext } from '../layers/context.js';
import { layerDef } from '../layers/index.js';
import type { Shape } from '../layers/types.js';
import type { NetGraph, NetLayer } from './graph.js';

export interface LayerShapeInfo {
  /** Empty (and `unknown` set) when the shapes are not known. */
  topShapes: Shape[];
  /** Empty when the layer's shapes are unknown: nothing to check its weights against. */
  blobShapes: Shape[];
  dataDependent: boolean;
  /** Why this layer's tops are unknown (a tolerant pass only). */
  unknown?: string;
}

/** A layer whose shapes the file does not give, and why: where the unknown shapes of a tolerant pass start. */
export interface UnknownShape {
  layer: string;
  type: string;
  reason: string;
  location: ErrorLocation;
}

export interface NetShapes {
  /** Per layer, in graph order. */
  layers: LayerShapeInfo[];
  /** Per tensor id ([] where `unknown` says it is not known). */
  tensors: Shape[];
  /** A tolerant pass: the layers the unknown shapes start at, in order (none when every shape is known). */
  unknown: UnknownShape[];
}

/** Throws the first unknown shape's reason, at its layer: for everything that computes with the shapes. */
export function requireKnownShapes(shapes: NetShapes, what = 'this'): void {
  const first = shapes.unknown[0];
  if (!first) return;
  const more = shapes.unknown.length > 1 ? ` (and ${shapes.unknown.length - 1} more layer${shapes.unknown.length === 2 ? '' : 's'} of unknown shape)` : '';
  throw new ShapeUnknownError(`${what} needs every shape; layer '${first.layer}' (${first.type}) has none: ${first.reason}${more}`, first.location);
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
export function inferShapes(graph: NetGraph, inputShapes: Record<string, Shape> = {}, { tolerant = false }: { tolerant?: boolean } = {}): NetShapes {
  if (!tolerant) checkSupported(graph);
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
  const unknownTensor = new Map<number, string>();
  const unknown: UnknownShape[] = [];
  const unknownLayer = (layer: NetLayer, reason: string, root: boolean, location: ErrorLocation = whereOf(layer)): LayerShapeInfo => {
    if (root) unknown.push({ layer: layer.name, type: layer.type, reason, location });
    for (const id of layer.outputs) {
      tensors[id] = [];
      unknownTensor.set(id, root ? `'${layer.name}' (${layer.type}): ${reason}` : reason);
    }
    return { topShapes: [], blobShapes: [], dataDependent: false, unknown: reason };
  };
  const layers = graph.layers.map((layer): LayerShapeInfo => {
    const def = layerDef(layer.type);
    if (!def) return unknownLayer(layer, `Portafilter has no shape rule for the layer type '${layer.type}'`, true);
    const after = layer.inputs.find((id) => unknownTensor.has(id));
    if (after !== undefined) return unknownLayer(layer, `its bottom '${graph.tensors[after].blob}' is unknown, after ${unknownTensor.get(after)}`, false);
    try {
      return known(layer, def);
    } catch (e) {
      if (tolerant && e instanceof ShapeUnknownError) return unknownLayer(layer, e.reason, true, e.location);
      throw e;
    }
  });
  return { layers, tensors, unknown };

  function known(layer: NetLayer, def: NonNullable<ReturnType<typeof layerDef>>): LayerShapeInfo {
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
  }
}

export const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
