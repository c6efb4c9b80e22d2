/**
 * ONNX export: the Caffe net as an ONNX graph (opset 17) in Caffe's own NCHW layout, built from each
 * layer type's `onnx` member (src/main/layers/*.ts), with the weights as initializers.
 *
 * - Data-role layers become graph inputs (the tops some exported layer reads); loss-role layers are
 *   left out. Every other layer needs an `onnx` member: one error lists all that lack one.
 * - Every value Caffe produces is its own ONNX value, so an in-place layer's output stays apart from
 *   its input: the last value of a blob is named after the blob, earlier ones `<blob>/<layer>`.
 * - The batch axis is symbolic ('N') wherever a second shape pass with another batch size shows it
 *   is; a net whose shapes pin the batch (e.g. a Reshape to a literal batch) keeps literal dims.
 * - `channels_last` takes NHWC graph inputs and gives NHWC 4-D outputs (a Transpose at the boundary);
 *   inside, the graph is NCHW either way.
 * - `captureAll` adds every exported layer's own output (each top) as a graph output.
 *
 * Where ONNX's op is not Caffe's, the layer's `onnx` member decomposes (each cites the Caffe rule):
 * - Pooling (onnx-pool.ts): explicit end pads instead of ceil_mode (the ONNX spec's ceil rule and
 *   onnxruntime's differ; Caffe drops a window starting in the end padding); AVE pooling with a ceil
 *   overhang multiplies by a constant map, because Caffe's divisor counts padding but not the overhang;
 *   MAX pooling's mask top is ONNX's indices modulo H·W.
 * - LRN WITHIN_CHANNEL: Caffe's own x · (1 + α·AVE-pool(x²))^-β (k unused); ACROSS_CHANNELS: a 3-D
 *   AveragePool over channels and exp(-β·ln(k + α·mean)) (ONNX LRN agrees but runs slowly here).
 * - Eltwise SUM with coefficients: Mul per bottom, then Adds in bottom order.
 * - Power, Exp, Log: Caffe's sequence of scale / shift / pow (or exp, log) steps, each skipped when
 *   neutral as Caffe skips it; Power with power·scale = 0 is a constant of the input's shape.
 * - BatchNorm: the statistics divided by the stored factor; use_global_stats: false gives batch stats.
 * - Flatten, Reshape: Caffe's order is ONNX's (row-major), so they are Reshapes with 0 (copy) and -1.
 * - Scale, Bias, PReLU, Normalize: operands given trailing 1s to broadcast from their axis.
 * - ArgMax: TopK (ties: ONNX lists the lower index first, Caffe the higher); PriorBox: a constant.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PortafilterError, UnsupportedLayerError, type UnsupportedLayer } from '../../shared/errors.js';
import type { Ordering } from '../keras/spec.js';
import { layerDef, layerParams } from '../layers/index.js';
import type { Blob, OnnxAttribute, OnnxContext } from '../layers/types.js';
import type { CaffeNet } from '../net/model.js';
import { inferShapes } from '../net/shapes.js';
import { appRoot } from '../paths.js';
import { IR_VERSION, OnnxGraph, OPSET } from './onnx-graph.js';
import { encodeModel, valueInfo, type Dim, type ValueInfoProto } from './onnx-schema.js';

export interface OnnxOptions {
  ordering: Ordering;
  /** Every exported layer's own output becomes a graph output too. */
  captureAll?: boolean;
  /**
   * Allow exact decompositions that onnxruntime runs faster than the standard op (the onnxruntime
   * engine sets it). Exported files keep the standard ops, which every ONNX consumer knows.
   */
  fastPaths?: boolean;
}

/** A graph input or output and the Caffe blob it holds: `onnx = transpose(caffe, perm)`. */
export interface OnnxValue {
  /** The graph input/output name. */
  name: string;
  blob: string;
  /** The Caffe value (tensor id in the net graph). */
  tensor: number;
  /** ONNX dims: 'N' (or 'N*k') where the batch goes, null where a size is unknown. */
  dims: Dim[];
  /** Caffe's shape from the shape pass (declared batch). */
  caffeShape: number[];
  perm: number[];
}

export interface OnnxCapture {
  layer: string;
  type: string;
  /** One per top, in order. Several tops may share a graph output (Split). */
  tops: OnnxValue[];
}

export interface OnnxExport {
  bytes: Uint8Array;
  inputs: OnnxValue[];
  /** The net outputs (Caffe's net_output_blobs), named after their blobs where free. */
  outputs: OnnxValue[];
  /** With captureAll: every exported layer, in Caffe's order. */
  captures: OnnxCapture[];
  opset: number;
  /** 'fixed' when the net's shapes do not follow another batch size. */
  batch: 'symbolic' | 'fixed';
  notes: string[];
}

const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];
const identity = (rank: number): number[] => Array.from({ length: rank }, (_, i) => i);

let producerVersion: string | undefined;
function version(): string {
  try {
    producerVersion ??= (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    producerVersion = '0';
  }
  return producerVersion;
}

/**
 * The ONNX dims of every tensor: the shape pass runs again with every data top's batch + 1; a dim
 * that follows it is symbolic. Throws nothing: a net that cannot take another batch keeps literal dims.
 */
function tensorDims(model: CaffeNet, dataTensors: number[]): { dims: Dim[][]; symbolic: boolean; note?: string } {
  const declared = model.shapes.tensors;
  const fixed = (note: string) => ({ dims: declared.map((s) => [...s] as Dim[]), symbolic: false, note });
  const alt: Record<string, number[]> = {};
  for (const id of dataTensors) {
    const s = declared[id];
    if (s.length === 0) return fixed(`input '${model.graph.tensors[id].blob}' has no axes, so the batch size is fixed`);
    alt[model.graph.tensors[id].blob] = [s[0] + 1, ...s.slice(1)];
  }
  if (dataTensors.length === 0) return fixed('the net has no inputs');
  const batch = declared[dataTensors[0]][0];
  let other: number[][];
  try {
    other = inferShapes(model.graph, alt).tensors;
  } catch (e) {
    return fixed(`the net does not take another batch size (${(e as Error).message}), so the batch size is fixed at ${batch}`);
  }
  const dims = declared.map((s, id) =>
    s.map((d, axis): Dim => {
      const e = other[id]?.[axis];
      if (e === d) return d;
      if (batch > 0 && d % batch === 0 && e === (d / batch) * (batch + 1)) return d === batch ? 'N' : `N*${d / batch}`;
      return null;
    }),
  );
  return { dims, symbolic: true };
}

export function toOnnx(model: CaffeNet, options: OnnxOptions): OnnxExport {
  const { graph, shapes } = model;
  const channelsLast = options.ordering === 'channels_last';
  const defs = graph.layers.map((l) => layerDef(l.type));
  const role = (i: number) => defs[i]?.role;
  const exported = (i: number): boolean => role(i) !== 'data' && role(i) !== 'loss';

  const missing: UnsupportedLayer[] = graph.layers
    .filter((l, i) => exported(i) && !defs[i]?.onnx)
    .map((l) => ({ name: l.name, type: l.type, location: l.source && { file: l.source.file, line: l.source.line, column: l.source.column } }));
  if (missing.length > 0) {
    const err = new UnsupportedLayerError(missing, graph.file);
    const types = [...new Set(missing.map((m) => m.type))].join(', ');
    Object.defineProperty(err, 'message', {
      value: `${graph.file}: ${missing.length} layer(s) have no ONNX mapping (${types}): ` + missing.map((m) => `'${m.name}' (${m.type})`).join(', '),
    });
    throw err;
  }
  const unweighted = graph.layers.filter((l, i) => exported(i) && shapes.layers[i].blobShapes.length > 0 && !model.weights.has(l.name));
  if (unweighted.length > 0)
    throw new PortafilterError(
      `no weights for ${unweighted.length} layer(s): ${unweighted.map((l) => `'${l.name}' (${l.type})`).join(', ')}; load the caffemodel to export`,
      { file: graph.file },
    );
  for (const l of graph.layers) {
    if (!exported(l.index)) continue;
    for (const id of l.inputs) {
      const p = graph.tensors[id].producer;
      if (role(p) === 'loss')
        throw new PortafilterError(`reads '${graph.tensors[id].blob}', the output of loss layer '${graph.layers[p].name}', which inference leaves out`, {
          file: graph.file,
          layer: l.name,
        });
    }
  }

  const dataTensors = graph.tensors.filter((t) => role(t.producer) === 'data').map((t) => t.id);
  const inputTensors = dataTensors.filter((id) => graph.tensors[id].consumers.some(exported));
  const outputTensors = graph.outputs.filter((id) => exported(graph.tensors[id].producer));
  const { dims, symbolic, note } = tensorDims(model, dataTensors);
  const notes = note ? [note] : [];
  const rank = (id: number): number => shapes.tensors[id].length;
  const boundaryPerm = (id: number): number[] => (channelsLast && rank(id) === 4 ? TO_NHWC : identity(rank(id)));
  const permute = <T>(xs: readonly T[], perm: readonly number[]): T[] => perm.map((p) => xs[p]);

  // Names: graph inputs and net outputs first (after their blobs), then every other value.
  const g = new OnnxGraph();
  const name = new Map<number, string>(); // tensor id -> the value name its layer is asked to produce
  const inputName = new Map<number, string>();
  const outputName = new Map<number, string>();
  const lastOfBlob = new Map<string, number>();
  for (const t of graph.tensors) lastOfBlob.set(t.blob, t.id);
  for (const id of inputTensors) {
    const blob = graph.tensors[id].blob;
    inputName.set(id, g.fresh(blob));
    name.set(id, boundaryPerm(id) === TO_NHWC ? g.fresh(`${blob}/nchw`) : inputName.get(id)!);
  }
  for (const id of outputTensors) outputName.set(id, g.fresh(graph.tensors[id].blob));
  for (const id of outputTensors) name.set(id, boundaryPerm(id) === TO_NHWC ? g.fresh(`${graph.tensors[id].blob}/nchw`) : outputName.get(id)!);
  for (const t of graph.tensors) {
    if (name.has(t.id) || !exported(t.producer)) continue;
    const base = lastOfBlob.get(t.blob) === t.id ? t.blob : `${t.blob}/${graph.layers[t.producer].name}`;
    name.set(t.id, g.fresh(base));
  }

  const inputs: OnnxValue[] = [];
  const graphInputs: ValueInfoProto[] = [];
  for (const id of inputTensors) {
    const perm = boundaryPerm(id);
    const value: OnnxValue = { name: inputName.get(id)!, blob: graph.tensors[id].blob, tensor: id, dims: permute(dims[id], perm), caffeShape: [...shapes.tensors[id]], perm };
    inputs.push(value);
    graphInputs.push(valueInfo(value.name, value.dims, undefined, `Caffe blob '${value.blob}'${perm === TO_NHWC ? ', NHWC' : ''}`));
    if (perm === TO_NHWC) g.add('Transpose', [value.name], [name.get(id)!], { perm: TO_NCHW }, `${value.blob}/to_nchw`);
  }

  // The layers, in Caffe's order.
  const valueOf = new Map<number, string>(); // tensor id -> the ONNX value holding it
  for (const id of inputTensors) valueOf.set(id, name.get(id)!);
  for (const layer of graph.layers) {
    const i = layer.index;
    if (!exported(i)) continue;
    const def = defs[i]!;
    const tops = layer.outputs.map((id) => name.get(id)!);
    const topSet = new Set(tops);
    let first = true;
    const blobs: Blob[] = (model.weights.get(layer.name) ?? []).map((w) => ({ shape: w.shape, data: w.data }));
    const ctx: OnnxContext = {
      ...layerParams(layer.param, PortafilterError),
      inputs: layer.inputs.map((id) => {
        const v = valueOf.get(id);
        if (v === undefined) throw new PortafilterError(`bottom '${graph.tensors[id].blob}' is not an input of the exported graph`, { file: graph.file, layer: layer.name });
        return v;
      }),
      bottoms: layer.inputs.map((id) => shapes.tensors[id]),
      topShapes: shapes.layers[i].topShapes,
      blobs,
      fastPaths: options.fastPaths ?? false,
      top: (k) => {
        if (k < 0 || k >= tops.length) throw new Error(`layer ${layer.name} has no top ${k}`);
        return tops[k];
      },
      node(opType: string, nodeInputs: readonly string[], attributes: Record<string, OnnxAttribute> = {}, outputs: number | readonly string[] = 1) {
        const outs =
          typeof outputs === 'number'
            ? Array.from({ length: outputs }, () => g.fresh(`${layer.name}/${opType}`))
            : outputs.map((o) => (topSet.has(o) ? o : g.fresh(`${layer.name}/${o}`)));
        const main = outs.some((o) => topSet.has(o));
        g.add(opType, nodeInputs, outs, attributes, main || first ? layer.name : `${layer.name}/${opType}`);
        first = false;
        return outs;
      },
      constant: (hint, values, shape, type) => g.constant(g.fresh(`${layer.name}/${hint}`), values, shape, type),
    };
    const result = def.onnx!(ctx);
    if (result.length !== layer.outputs.length)
      throw new PortafilterError(`the ONNX mapping gave ${result.length} output(s) for ${layer.outputs.length} top(s)`, { file: graph.file, layer: layer.name });
    result.forEach((v, k) => {
      if (!g.has(v)) throw new Error(`layer ${layer.name}: ONNX value '${v}' for top ${k} does not exist`);
      valueOf.set(layer.outputs[k], v);
    });
  }

  // Graph outputs: the net outputs, then (captureAll) every layer's own outputs.
  const graphInputNames = new Set(inputs.map((v) => v.name));
  const initializerNames = new Set(g.initializers.map((t) => t.name));
  const graphOutputs: ValueInfoProto[] = [];
  const exposed = new Map<string, string>(); // `${value}|${perm}` -> graph output name
  const expose = (id: number, desired: string | undefined): OnnxValue => {
    const v = valueOf.get(id)!;
    const perm = boundaryPerm(id);
    const key = `${v}|${perm.join(',')}`;
    let out = exposed.get(key);
    if (out === undefined) {
      const isSource = graphInputNames.has(v) || initializerNames.has(v);
      if (perm === TO_NHWC) {
        out = desired ?? g.fresh(`${v}/nhwc`);
        g.add('Transpose', [v], [out], { perm: TO_NHWC }, `${out}/to_nhwc`);
      } else if (desired !== undefined && desired !== v) {
        out = desired;
        g.add('Identity', [v], [out], {}, `${out}/output`);
      } else if (isSource) {
        out = g.fresh(`${v}/output`);
        g.add('Identity', [v], [out], {}, out);
      } else out = v;
      exposed.set(key, out);
      graphOutputs.push(valueInfo(out, permute(dims[id], perm), undefined, `Caffe blob '${graph.tensors[id].blob}'${perm === TO_NHWC ? ', NHWC' : ''}`));
    } else if (desired !== undefined && desired !== out) {
      g.add('Identity', [out], [desired], {}, `${desired}/output`);
      graphOutputs.push(valueInfo(desired, permute(dims[id], perm)));
      out = desired;
    }
    return { name: out, blob: graph.tensors[id].blob, tensor: id, dims: permute(dims[id], perm), caffeShape: [...shapes.tensors[id]], perm };
  };
  const outputs = outputTensors.map((id) => expose(id, outputName.get(id)));
  const captures: OnnxCapture[] = [];
  if (options.captureAll) {
    for (const layer of graph.layers) {
      if (!exported(layer.index)) continue;
      captures.push({ layer: layer.name, type: layer.type, tops: layer.outputs.map((id) => expose(id, undefined)) });
    }
  }

  const bytes = encodeModel({
    ir_version: IR_VERSION,
    opset_import: [{ domain: '', version: OPSET }],
    producer_name: 'portafilter',
    producer_version: version(),
    doc_string: `Caffe net '${graph.name}' (${graph.file.split(/[\\/]/).pop()}), ${options.ordering}, converted with Caffe's semantics`,
    graph: { name: graph.name || 'caffe', node: g.nodes, initializer: g.initializers, input: graphInputs, output: graphOutputs },
    metadata_props: [
      { key: 'caffe_net', value: graph.name },
      { key: 'ordering', value: options.ordering },
    ],
  });
  return { bytes, inputs, outputs, captures, opset: OPSET, batch: symbolic ? 'symbolic' : 'fixed', notes };
}
