/**
 * What a Caffe layer type knows about itself. One file per type under src/main/layers/ implements
 * this and registers it; nothing else in Portafilter switches on a layer type string.
 * (Issue 3 adds the Keras mapping and the Caffe-semantics reference op to the same objects.)
 */
import type { Message } from '../caffe/message.js';

export type Shape = number[];

export interface ShapeContext {
  /** The layer, in Caffe V2 form, exactly as parsed (no defaults filled in). */
  readonly layer: Message;
  readonly name: string;
  readonly type: string;
  /** Shapes of the layer's bottoms, in order. */
  readonly bottoms: readonly Shape[];
  /** Number of tops the layer declares. */
  readonly numTops: number;
  /** The layer's `<field>` parameter message with Caffe's defaults filled in (e.g. 'convolution_param'). */
  param<T = Message>(field: string): T;
  /** True when the layer sets `<field>` (Caffe's has_x()), e.g. `has('pooling_param', 'stride_h')`. */
  has(paramField: string, field: string): boolean;
  /** The shape the caller gives top `i` of a data layer (an input-shape override), if any. */
  givenShape(top: number): Shape | undefined;
  /** Throws a ShapeError naming this layer (and the field, when given), as a Caffe CHECK would fail. */
  fail(reason: string, field?: string): never;
}

export interface LayerShapes {
  /** Shape of every top, in order. */
  tops: Shape[];
  /** Shapes of the learnable blobs the layer allocates, in Caffe's blob order (may be empty). */
  blobs: Shape[];
  /** The top's size depends on the data (e.g. DetectionOutput's kept detections): tops give the bound. */
  dataDependent?: boolean;
}

export interface LayerDef {
  /** Caffe V2 type string, e.g. "Convolution". */
  readonly type: string;
  /** Allowed number of bottoms (Caffe's ExactNum/MinNum/MaxNumBottomBlobs). */
  readonly bottoms: { min: number; max?: number };
  /** Allowed number of tops. */
  readonly tops: { min: number; max?: number };
  /**
   * `data`: the layer feeds the net (Input, ImageData, ...): its tops are net inputs and take
   * input-shape overrides. `loss`: a training objective or metric (SoftmaxWithLoss, Accuracy),
   * which inference leaves out.
   */
  readonly role?: 'data' | 'loss';
  /** Output shapes and learnable-blob shapes, by Caffe's own rules (Reshape/LayerSetUp). */
  shapes(ctx: ShapeContext): LayerShapes;
}
