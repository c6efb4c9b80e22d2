/**
 * The Keras side of every Caffe layer, for the workbench: built by the exports' own builder
 * (keras/build.ts, tolerant and shapes-only, so a net with a layer that cannot convert still shows
 * the rest and no weight is read), with each Keras layer's output shapes as TF.js' own layer computes
 * them from its config. The Caffe shapes come from Caffe's rules (net/shapes.ts) and the Keras ones
 * from Keras', so the inspector's table compares two independent rules, not one rule with itself.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { KerasLayerInfo, KerasLayersView, KerasSideInfo, KerasTopInfo } from '../../shared/api.js';
import { makeLayer } from '../engine/tfjs-engine.js';
import { buildKerasModel } from '../keras/build.js';
import { isCustomLayer } from '../keras/custom/names.js';
import { permuteShape } from '../keras/layout.js';
import type { KerasLayerSpec, KerasModelSpec, Ordering } from '../keras/spec.js';
import type { CaffeNet } from '../net/model.js';

type KerasShape = (number | null)[];

const refKey = (r: { layer: string; index: number }): string => `${r.layer}:${r.index}`;

/**
 * Each output shape of `spec` as TF.js computes it (computeOutputShape of the layer made from the
 * spec, on the shapes TF.js computed for its inputs), or undefined where TF.js cannot make the layer
 * or a shape it reads is unknown. The layers are never built: no weight is allocated.
 */
function tfjsShapes(spec: KerasModelSpec): Map<string, KerasShape[] | undefined> {
  const shapes = new Map<string, KerasShape[] | undefined>();
  const tensor = new Map<string, KerasShape>();
  for (const ls of spec.layers) {
    let outs: KerasShape[] | undefined;
    if (ls.className === 'InputLayer') outs = [[...((ls.config.batch_shape as KerasShape | undefined) ?? ls.outputShapes[0])]];
    else {
      const ins = ls.inputs.map((r) => tensor.get(refKey(r)));
      if (ins.every((s) => s !== undefined)) outs = computeOutputShapes(ls, ins);
    }
    shapes.set(ls.name, outs);
    outs?.forEach((s, i) => tensor.set(`${ls.name}:${i}`, s));
  }
  return shapes;
}

function computeOutputShapes(ls: KerasLayerSpec, inputs: KerasShape[]): KerasShape[] | undefined {
  let layer: tfl.layers.Layer;
  try {
    layer = makeLayer(ls, inputs[0]?.length ?? 0);
  } catch {
    // The TF.js engine cannot run this class with this config: there is no TF.js shape to show.
    return undefined;
  }
  const out = layer.computeOutputShape(inputs.length === 1 ? inputs[0] : inputs) as KerasShape | KerasShape[];
  return out.length > 0 && Array.isArray(out[0]) ? (out as KerasShape[]).map((s) => [...s]) : [[...(out as KerasShape)]];
}

const sameFeatures = (a: readonly (number | null)[], b: readonly (number | null)[] | undefined): boolean =>
  b !== undefined && a.length === b.length && a.every((d, i) => i === 0 || d === b[i]);

/** The Keras layers of `model` in `ordering`, grouped by the Caffe layer they compute. */
export function kerasLayersView(model: CaffeNet, ordering: Ordering, flipKernels: boolean): KerasLayersView {
  const spec = buildKerasModel(model, { ordering, flipKernels, tolerant: true, shapesOnly: true });
  const computed = tfjsShapes(spec);
  const outputShape = (r: { layer: string; index: number }): KerasShape | undefined => computed.get(r.layer)?.[r.index];

  const kerasOf = new Map<string, KerasLayerInfo[]>();
  for (const ls of spec.layers) {
    const info: KerasLayerInfo = {
      name: ls.name,
      className: ls.className,
      config: structuredClone(ls.config),
      custom: isCustomLayer(ls.className),
      outputShapes: computed.get(ls.name) ?? [],
      weights: ls.weights.map((w) => ({ name: w.name, shape: [...w.shape] })),
    };
    const key = ls.caffeLayer ?? '';
    const list = kerasOf.get(key);
    if (list) list.push(info);
    else kerasOf.set(key, [info]);
  }

  const converted = new Map(spec.caffeLayers.map((l) => [l.name, l]));
  const skipped = new Map(spec.skipped.map((s) => [s.name, s.reason]));
  const failed = new Map((spec.failed ?? []).map((f) => [f.name, f.reason]));
  const byCaffeLayer: Record<string, KerasSideInfo> = {};
  for (const layer of model.graph.layers) {
    let side: KerasSideInfo;
    if (failed.has(layer.name)) side = { status: 'failed', reason: failed.get(layer.name), layers: [], tops: [] };
    else if (skipped.has(layer.name)) side = { status: 'omitted', reason: skipped.get(layer.name), layers: [], tops: [] };
    else {
      const tops: KerasTopInfo[] = (converted.get(layer.name)?.tops ?? []).map((top) => {
        // The layout the converted model holds the top in (keras = transpose(caffe, perm), batch first).
        const kerasShape = permuteShape(top.caffeShape, top.perm);
        return {
          blob: top.blob,
          caffeShape: [...top.caffeShape],
          kerasShape,
          matches: sameFeatures(kerasShape, outputShape(top.tensor)),
        };
      });
      side = { status: 'converted', layers: kerasOf.get(layer.name) ?? [], tops };
    }
    // A Caffe layer named '__proto__' must be a key like any other.
    Object.defineProperty(byCaffeLayer, layer.name, { value: side, enumerable: true, writable: true, configurable: true });
  }
  return { ordering, flipKernels, byCaffeLayer, failed: failed.size };
}
