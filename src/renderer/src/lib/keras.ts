/**
 * The Keras side of Caffe layers as the inspector and the Shapes view show it: each Keras layer's
 * class and main config as compact `key: value` lines, and the shape check that sets Caffe's output
 * shape beside the output shape of the Keras layers it becomes. Every fact comes from the service
 * (kerasLayers); this file only arranges and compares them. Pure (test/unit/renderer/details-logic.test.ts).
 */
import type { KerasLayerInfo, KerasLayersView, KerasSideInfo, LayerInfo, ModelSummary } from '../../../shared/api.js';
import { formatShape } from './format.js';

/** Config keys the header shows, or that say nothing about a converted model (its weights are loaded, not initialised). */
const HIDDEN_KEY = /^(name|dtype|trainable)$|_(initializer|regularizer|constraint)$/;

/** A config value in one short line: arrays as `[5, 5]`, serialised Keras objects as their class (`GlorotUniform`, `DTypePolicy(float32)`). */
export function formatConfigValue(v: unknown, depth = 0): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v === '' ? "''" : v;
  // A float32 config value (LRN's alpha 1e-4 reads 0.00009999999747378752) in the digits float32 holds.
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(7)));
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => formatConfigValue(x, depth + 1)).join(', ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.class_name === 'string') {
      const config = (typeof o.config === 'object' && o.config !== null ? o.config : {}) as Record<string, unknown>;
      const name = typeof config.name === 'string' ? config.name : undefined;
      return name !== undefined ? `${o.class_name}(${name})` : o.class_name;
    }
    if (depth > 2) return '{…}';
    const entries = Object.entries(o).map(([k, x]) => `${k}: ${formatConfigValue(x, depth + 1)}`);
    return `{${entries.join(', ')}}`;
  }
  return String(v);
}

/** The main config as lines, in its own key order: what the layer computes, not how Keras would initialise it. */
export function configLines(config: Record<string, unknown>): { key: string; value: string }[] {
  return Object.entries(config)
    .filter(([key]) => !HIDDEN_KEY.test(key))
    .map(([key, value]) => ({ key, value: formatConfigValue(value) }));
}

/** A Keras shape with its batch axis as Keras reports it: `N×55×55×96` (null is any batch size). */
export const formatKerasShape = (shape: readonly (number | null)[]): string => (shape.length === 0 ? 'scalar' : shape.map((d) => (d === null ? 'N' : String(d))).join('×'));

/** `kernel 11×11×3×96`. */
export const weightText = (w: { name: string; shape: number[] }): string => `${w.name} ${formatShape(w.shape)}`;

/** Same shape, up to the batch axis: Keras leaves it open (null) where Caffe names a number. */
export function sameShape(keras: readonly (number | null)[], caffeInKeras: readonly number[]): boolean {
  return keras.length === caffeInKeras.length && keras.every((d, i) => (d === null ? i === 0 : d === caffeInKeras[i]));
}

export interface KerasTopCheck {
  blob: string;
  /** Caffe's N×C×H×W. */
  caffe: string;
  /** The same blob in the ordering's Keras layout. */
  keras: string;
  /** The Keras layer holding the top, and its output shape ('' where no Keras layer computes it: Split, Dropout). */
  heldBy: string;
  output: string;
  mismatch: boolean;
}

export interface KerasLayerRow {
  name: string;
  className: string;
  custom: boolean;
  /** Every output shape, `N×27×27×96`. */
  outputs: string[];
  /** The Caffe tops this layer holds (the last layers of the group, in top order). */
  holds: string[];
  /** One of the tops it holds does not have the shape Caffe gives it. */
  mismatch: boolean;
}

export interface ShapeCheck {
  layer: string;
  type: string;
  status: KerasSideInfo['status'] | 'unknown';
  reason?: string;
  tops: KerasTopCheck[];
  keras: KerasLayerRow[];
  mismatches: number;
  /** Failed to convert, or a shape that differs: the row is red. */
  problem: boolean;
}

/**
 * Which Keras output holds Caffe top `i`: the API's rule is that the last Keras layer of the group
 * holds the top; a layer with several tops has either one Keras layer with as many outputs, or one
 * Keras layer per top at the end of the group.
 */
function holderOf(layers: readonly KerasLayerInfo[], tops: number, i: number): { layer: number; output: number } | null {
  if (layers.length === 0) return null;
  const last = layers.length - 1;
  if (layers[last].outputShapes.length === tops) return { layer: last, output: i };
  if (tops > 1 && layers.length >= tops) return { layer: layers.length - tops + i, output: 0 };
  return tops === 1 ? { layer: last, output: 0 } : null;
}

/**
 * Caffe's output shapes beside the Keras ones for one Caffe layer. A top is a mismatch when the
 * service says so (KerasTopInfo.matches) or when the output shape of the Keras layer holding it
 * differs from the Caffe shape in Keras layout: either alone would hide a fault of the other.
 */
export function shapeCheck(layer: Pick<LayerInfo, 'name' | 'type' | 'tops' | 'top_shapes'>, side: KerasSideInfo | null | undefined): ShapeCheck {
  if (!side) {
    return {
      layer: layer.name,
      type: layer.type,
      status: 'unknown',
      tops: layer.tops.map((blob, i) => ({ blob, caffe: layer.top_shapes[i] ? formatShape(layer.top_shapes[i]) : '?', keras: '', heldBy: '', output: '', mismatch: false })),
      keras: [],
      mismatches: 0,
      problem: false,
    };
  }
  const keras: KerasLayerRow[] = side.layers.map((l) => ({ name: l.name, className: l.className, custom: l.custom, outputs: l.outputShapes.map(formatKerasShape), holds: [], mismatch: false }));
  const tops: KerasTopCheck[] = side.tops.map((t, i) => {
    const at = holderOf(side.layers, side.tops.length, i);
    const output = at ? side.layers[at.layer].outputShapes[at.output] : undefined;
    const mismatch = !t.matches || (output !== undefined && !sameShape(output, t.kerasShape));
    if (at) {
      keras[at.layer].holds.push(t.blob);
      if (mismatch) keras[at.layer].mismatch = true;
    }
    return {
      blob: t.blob,
      caffe: formatShape(t.caffeShape),
      keras: formatShape(t.kerasShape),
      heldBy: at ? side.layers[at.layer].name : '',
      output: output ? formatKerasShape(output) : '',
      mismatch,
    };
  });
  const mismatches = tops.filter((t) => t.mismatch).length;
  return {
    layer: layer.name,
    type: layer.type,
    status: side.status,
    ...(side.reason !== undefined ? { reason: side.reason } : {}),
    tops,
    keras,
    mismatches,
    problem: side.status === 'failed' || mismatches > 0,
  };
}

export interface ShapeSummary {
  layers: number;
  converted: number;
  omitted: number;
  failed: number;
  /** Layers with at least one top whose Keras shape differs from Caffe's. */
  mismatched: number;
  problems: number;
}

export function summarise(checks: readonly ShapeCheck[]): ShapeSummary {
  const s: ShapeSummary = { layers: checks.length, converted: 0, omitted: 0, failed: 0, mismatched: 0, problems: 0 };
  for (const c of checks) {
    if (c.status === 'converted') s.converted++;
    if (c.status === 'omitted') s.omitted++;
    if (c.status === 'failed') s.failed++;
    if (c.mismatches > 0) s.mismatched++;
    if (c.problem) s.problems++;
  }
  return s;
}

export const shapeChecks = (summary: Pick<ModelSummary, 'layers'>, view: KerasLayersView | null): ShapeCheck[] =>
  summary.layers.map((l) => shapeCheck(l, view?.byCaffeLayer[l.name]));

/**
 * The Keras shape of every bottom of every layer, in layer order: whatever the blob's last writer
 * left in it (as lib/layers.ts bottomShapes does for Caffe's), undefined for a blob no layer wrote.
 */
export function bottomKerasShapes(summary: Pick<ModelSummary, 'layers'>, view: KerasLayersView | null): (number[] | undefined)[][] {
  const current = new Map<string, number[]>();
  return summary.layers.map((layer) => {
    const shapes = layer.bottoms.map((b) => current.get(b));
    for (const t of view?.byCaffeLayer[layer.name]?.tops ?? []) current.set(t.blob, t.kerasShape);
    return shapes;
  });
}

export const statusText: Record<ShapeCheck['status'], string> = {
  converted: 'converted',
  omitted: 'left out',
  failed: 'cannot convert',
  unknown: '…',
};
