import type { LayerInfo, ModelSummary } from '../../shared/api.js';
import type { Message } from '../caffe/message.js';
import { formatPrototxt } from '../caffe/prototxt-writer.js';
import { layerDef, layerParams } from '../layers/index.js';
import type { LayerMeta } from '../layers/types.js';
import type { CaffeNet } from '../net/model.js';
import { count } from '../net/shapes.js';

/**
 * A layer's label parameters, or '' when they cannot be worded: a label is a convenience, and a
 * parameter set odd enough to trip its formatter must not keep the model from opening.
 */
function keyParamsOf(meta: LayerMeta | undefined, layer: Message): string {
  try {
    return meta?.keyParams?.(layerParams(layer)) ?? '';
  } catch {
    return '';
  }
}

/** The browsable description of a loaded model, as the UI and `inspect` show it. */
export function summarize(id: string, model: CaffeNet): ModelSummary {
  const { graph, shapes } = model;
  const layers: LayerInfo[] = graph.layers.map((layer) => {
    const info = shapes.layers[layer.index];
    const meta = layerDef(layer.type)?.meta;
    return {
      name: layer.name,
      type: layer.type,
      bottoms: layer.bottoms,
      tops: layer.tops,
      top_shapes: info.unknown !== undefined ? layer.tops.map(() => null) : info.topShapes,
      ...(info.unknown !== undefined ? { unknown: info.unknown } : {}),
      blob_shapes: info.blobShapes,
      params: info.blobShapes.reduce((n, s) => n + count(s), 0),
      inPlace: layer.inPlace.some(Boolean),
      prototxt: `layer {\n${formatPrototxt(layer.param, 'LayerParameter', 2)}\n}`,
      line: layer.source?.line,
      ...(info.dataDependent ? { dataDependent: true } : {}),
      category: meta?.category ?? 'other',
      keyParams: keyParamsOf(meta, layer.param),
    };
  });
  return {
    id,
    name: graph.name,
    prototxt: model.prototxt,
    caffemodel: model.caffemodel,
    prototxtFormat: model.prototxtFormat,
    weightsFormat: model.weightsFormat,
    inputs: graph.layers
      .filter((l) => layerDef(l.type)?.role === 'data')
      .flatMap((l) => l.tops.map((name, i) => ({ name, shape: shapes.layers[l.index].unknown !== undefined ? null : shapes.layers[l.index].topShapes[i] }))),
    outputs: graph.outputs.map((t) => graph.tensors[t].blob),
    layers,
    totalParams: layers.reduce((n, l) => n + l.params, 0),
    state: {
      ...graph.state,
      stages: [...graph.state.stages],
      excluded: graph.excluded.map((l) => ({ name: l.name, type: l.type, ...(l.source?.line !== undefined ? { line: l.source.line } : {}) })),
    },
    notes: model.notes,
  };
}
