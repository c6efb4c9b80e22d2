/**
 * Attaching a .caffemodel's blobs to the network, as Net::CopyTrainedLayersFrom does: layers are
 * matched by name (so a V1 caffemodel fits a V2 prototxt and the other way round), source layers the
 * net lacks are ignored, and each blob must match the shape the prototxt implies under Blob::ShapeEquals
 * (legacy 4-D dims are compared right-aligned, so an old InnerProduct weight (1,1,N,K) fits [N,K]).
 */
import { BlobShapeMismatchError, CaffeModelError } from '../../shared/errors.js';
import type { CaffeModelFile, WeightBlob } from '../caffe/caffemodel.js';
import { v0TypeToV2, v1TypeToV2 } from '../caffe/upgrade.js';
import type { NetGraph } from './graph.js';
import { count, type NetShapes } from './shapes.js';

export interface Weight {
  /** The shape Caffe's layer allocates (the prototxt's), whatever dims the file used. */
  shape: number[];
  data: Float32Array;
}

export interface AttachedWeights {
  /** By layer name. */
  byLayer: Map<string, Weight[]>;
  format: 'V0' | 'V1' | 'V2';
  notes: string[];
}

/** Blob::ShapeEquals against a BlobProto. */
export function shapeEquals(expected: readonly number[], blob: WeightBlob): boolean {
  if (blob.legacy) {
    if (expected.length > 4) return false;
    const legacy = (i: number): number => (expected.length + i >= 0 ? expected[expected.length + i] : 1);
    return blob.shape.length === 4 && [-4, -3, -2, -1].every((i, k) => legacy(i) === blob.shape[k]);
  }
  return expected.length === blob.shape.length && expected.every((d, i) => d === blob.shape[i]);
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

export function attachWeights(graph: NetGraph, shapes: NetShapes, model: CaffeModelFile): AttachedWeights {
  const notes: string[] = [];
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const byLayer = new Map<string, Weight[]>();
  const ignored: string[] = [];
  const formats = new Set(model.layers.map((l) => l.format));
  const format = formats.has('V0') ? 'V0' : formats.has('V1') ? 'V1' : 'V2';

  for (const source of model.layers) {
    const target = byName.get(source.name);
    const v2type = source.format === 'V2' ? source.type : source.format === 'V1' ? v1TypeToV2(source.type) : v0TypeToV2(source.type);
    if (!target) {
      ignored.push(`${source.name} (${v2type ?? source.type})`);
      continue;
    }
    const where = { file: model.file, offset: source.offset, layer: source.name };
    if (shapes.layers[target.index].unknown !== undefined) {
      // Nothing to check them against: kept in the caffemodel's own shapes, for browsing.
      if (source.blobs.length > 0) byLayer.set(source.name, source.blobs.map((blob) => ({ shape: [...blob.shape], data: blob.data })));
      continue;
    }
    const expected = shapes.layers[target.index].blobShapes;
    if (expected.length !== source.blobs.length) {
      throw new BlobShapeMismatchError(
        `incompatible number of blobs: the prototxt's ${target.type} layer has ${expected.length} ` +
          `(${expected.map(fmt).join(', ') || 'none'}), the caffemodel holds ${source.blobs.length} ` +
          `(${source.blobs.map((b) => fmt(b.shape)).join(', ') || 'none'})`,
        where,
      );
    }
    if (source.blobs.length === 0) continue;
    byLayer.set(
      source.name,
      source.blobs.map((blob, i) => {
        if (!shapeEquals(expected[i], blob)) {
          throw new BlobShapeMismatchError(
            `blob ${i} has shape ${fmt(blob.shape)}${blob.legacy ? ' (legacy num, channels, height, width)' : ''} in the caffemodel ` +
              `but the prototxt implies ${fmt(expected[i])}`,
            where,
          );
        }
        if (blob.data.length !== count(blob.shape)) {
          throw new CaffeModelError(
            `blob ${i} declares shape ${fmt(blob.shape)} (${count(blob.shape)} values) but holds ${blob.data.length} values`,
            where,
          );
        }
        return { shape: [...expected[i]], data: blob.data };
      }),
    );
  }
  if (ignored.length > 0)
    notes.push(`ignored ${ignored.length} caffemodel layer(s) the prototxt does not have: ${ignored.join(', ')}`);
  const missing = graph.layers.filter((l) => shapes.layers[l.index].blobShapes.length > 0 && !byLayer.has(l.name));
  if (missing.length > 0)
    notes.push(
      `no weights in the caffemodel for ${missing.length} layer(s): ${missing.map((l) => l.name).join(', ')} (Caffe would leave them as their fillers initialise them)`,
    );
  return { byLayer, format, notes };
}
