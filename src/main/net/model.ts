/**
 * A Caffe model as Portafilter holds it: the upgraded definition, its graph, Caffe's shapes for every
 * layer and (optionally) the weights, checked against those shapes.
 */
import { basename } from 'node:path';
import { BlobShapeMismatchError, CaffeModelError, CaffeParseError } from '../../shared/errors.js';
import { readCaffeModel } from '../caffe/caffemodel.js';
import { isNpyWeightFolder, readNpyWeights } from '../caffe/npy-weights.js';
import { readInputFile } from '../caffe/input-file.js';
import { repeated, type Message } from '../caffe/message.js';
import { parsePrototxt, prototxtText, unknownParamsOf } from '../caffe/prototxt.js';
import { upgradeNet, type NetFormat } from '../caffe/upgrade.js';
import { buildNetGraph, TEST_STATE, type NetGraph, type NetState } from './graph.js';
import { inferShapes, type NetShapes } from './shapes.js';
import { attachWeights, type Weight } from './weights.js';

export interface CaffeNet {
  prototxt: string;
  caffemodel?: string;
  /** V2 NetParameter. */
  net: Message;
  prototxtFormat: NetFormat;
  weightsFormat?: NetFormat;
  graph: NetGraph;
  shapes: NetShapes;
  /** By layer name; empty without a caffemodel. */
  weights: Map<string, Weight[]>;
  inputShapes: Record<string, number[]>;
  /** Opened to be looked at: shapes the file does not give are unknown (shapes.unknown) rather than an error. */
  tolerant?: boolean;
  notes: string[];
}

export interface LoadOptions {
  prototxt: string;
  /** A .caffemodel, or a folder of .npy weights (see caffe/npy-weights.ts). */
  caffemodel?: string;
  inputShapes?: Record<string, number[]>;
  state?: NetState;
  /**
   * Open a net whose shapes are not all in the file (a data layer reading a database, a layer type
   * with no rule): those layers and what follows them get unknown shapes instead of an error. For
   * looking at a net (the workbench, `inspect`); engines and exports refuse such a net (requireKnownShapes).
   */
  tolerant?: boolean;
  onProgress?: (stage: string, fraction?: number) => void;
  signal?: AbortSignal;
}

/**
 * Reads a prototxt file into an upgraded V2 NetParameter. The file must be a regular file (a FIFO
 * would block the reading thread for ever: see openInputFile), text (see prototxtText) and define at
 * least one layer.
 */
export async function readNetDefinition(path: string): Promise<{ net: Message; format: NetFormat; notes: string[] }> {
  const bytes = readInputFile(path, (reason, cause) => {
    const e = new CaffeParseError(reason, { file: path });
    if (cause !== undefined) e.cause = cause;
    return e;
  });
  const { text, notes: textNotes } = prototxtText(bytes, path);
  const parsed = parsePrototxt(text, path);
  const { net, format, notes } = upgradeNet(parsed, path);
  if (repeated(net, 'layer').length === 0) {
    // UpgradeNetInput drops an `input` without input_shape or input_dim (a legacy caffemodel's), as Caffe does.
    const inputs = repeated<string>(parsed, 'input');
    const why =
      inputs.length > 0
        ? `; its input${inputs.length === 1 ? '' : 's'} ${inputs.map((i) => `'${i}'`).join(', ')} ha${inputs.length === 1 ? 's' : 've'} no input_shape or input_dim`
        : Object.keys(parsed).length === 0
          ? ' (the file is empty, or only comments)'
          : '';
    throw new CaffeParseError(`defines no layers${why}: there is no network to open`, { file: path });
  }
  notes.unshift(...textNotes);
  for (const layer of [...(Array.isArray(parsed.layer) ? parsed.layer : []), ...(Array.isArray(parsed.layers) ? parsed.layers : [])]) {
    for (const u of unknownParamsOf(layer as Message))
      notes.push(`${basename(path)}:${u.line}:${u.column}: '${u.name}' is not a Caffe or SSD-Caffe parameter; it was skipped`);
  }
  return { net, format, notes };
}

export async function loadCaffeNet(options: LoadOptions): Promise<CaffeNet> {
  const progress = options.onProgress ?? (() => undefined);
  progress('reading the prototxt', 0);
  const { net, format, notes } = await readNetDefinition(options.prototxt);
  const graph = buildNetGraph(net, options.prototxt, options.state ?? TEST_STATE);
  const inputShapes = options.inputShapes ?? {};
  const shapes = inferShapes(graph, inputShapes, { tolerant: options.tolerant });
  const result: CaffeNet = {
    prototxt: options.prototxt,
    net,
    prototxtFormat: format,
    graph,
    shapes,
    weights: new Map(),
    inputShapes,
    ...(options.tolerant ? { tolerant: true } : {}),
    notes: [...notes, ...graph.notes],
  };
  for (const u of shapes.unknown) result.notes.push(`shapes unknown from layer '${u.layer}' (${u.type}) on: ${u.reason}`);
  if (graph.excluded.length > 0)
    result.notes.push(`left out ${graph.excluded.length} layer(s) not in the ${graph.state.phase} phase: ${graph.excluded.map((l) => l.name).join(', ')}`);
  if (options.caffemodel) {
    progress('reading the weights', 0);
    const model = isNpyWeightFolder(options.caffemodel)
      ? readNpyWeights(options.caffemodel)
      : await readCaffeModel(options.caffemodel, {
          signal: options.signal,
          onProgress: (done, total) => progress('reading the weights', total > 0 ? done / total : undefined),
        });
    if (model.layers.length === 0) throw new CaffeModelError('holds no layers', { file: options.caffemodel });
    const attached = attachWeights(graph, shapes, model);
    result.caffemodel = options.caffemodel;
    result.weights = attached.byLayer;
    result.weightsFormat = attached.format;
    result.notes.push(...attached.notes);
  }
  progress('done', 1);
  return result;
}

/**
 * The same model fed other input shapes (Caffe's Net::Reshape): the shape pass runs again and the
 * weights must still fit (an InnerProduct after spatial layers pins the input's height and width).
 */
export function withInputShapes(model: CaffeNet, inputShapes: Record<string, number[]>): CaffeNet {
  const merged = { ...model.inputShapes, ...inputShapes };
  const shapes = inferShapes(model.graph, merged, { tolerant: model.tolerant });
  for (const layer of model.graph.layers) {
    const weights = model.weights.get(layer.name);
    const expected = shapes.layers[layer.index].blobShapes;
    weights?.forEach((w, i) => {
      if (expected[i] && (expected[i].length !== w.shape.length || expected[i].some((d, k) => d !== w.shape[k])))
        throw new BlobShapeMismatchError(
          `with input shapes ${Object.entries(inputShapes).map(([k, v]) => `${k}=${v.join('×')}`).join(', ')} the layer needs blob ${i} of shape [${expected[i].join(', ')}], but its weights are [${w.shape.join(', ')}]`,
          { file: model.prototxt, layer: layer.name },
        );
    });
  }
  return { ...model, shapes, inputShapes: merged };
}
