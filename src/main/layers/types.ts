/**
 * What a Caffe layer type knows about itself. One file per type under src/main/layers/ implements
 * this and registers it; nothing else in Portafilter switches on a layer type string: its shape rule,
 * its Keras mapping (weights included), its Caffe-semantics reference op and its ONNX mapping.
 */
import type { LayerCategory } from '../../shared/api.js';
import type { Message } from '../caffe/message.js';
import type { KerasWeight, Ordering } from '../keras/spec.js';

export type Shape = number[];

/** A tensor in Caffe's own layout (N,C,H,W for 4-D), row-major. */
export interface Blob {
  shape: number[];
  data: Float32Array;
}

/** What every per-layer context offers: the layer's parameters as Caffe reads them. */
export interface LayerParams {
  /** The layer, in Caffe V2 form, exactly as parsed (no defaults filled in). */
  readonly layer: Message;
  readonly name: string;
  readonly type: string;
  /** The layer's `<field>` parameter message with Caffe's defaults filled in (e.g. 'convolution_param'). */
  param<T = Message>(field: string): T;
  /** True when the layer sets `<field>` (Caffe's has_x()), e.g. `has('pooling_param', 'stride_h')`. */
  has(paramField: string, field: string): boolean;
  /** Throws an error naming this layer (and the field, when given). */
  fail(reason: string, field?: string): never;
}

export interface ShapeContext extends LayerParams {
  /** Shapes of the layer's bottoms, in order. */
  readonly bottoms: readonly Shape[];
  /** Number of tops the layer declares. */
  readonly numTops: number;
  /** The shape the caller gives top `i` of a data layer (an input-shape override), if any. */
  givenShape(top: number): Shape | undefined;
  /** Throws: the file does not say this shape (a database's records); the net can still be looked at, not run. */
  unknown(reason: string, field?: string): never;
}

/**
 * The Caffe-semantics reference: computes the layer in Caffe's layout straight from Caffe's formulas.
 * It may use tfjs ops as arithmetic but shares nothing with the Keras mapping.
 */
export interface ReferenceContext extends LayerParams {
  readonly bottoms: readonly Blob[];
  /** The layer's learnable blobs, in Caffe's shapes and order (empty when it has none). */
  readonly blobs: readonly Blob[];
  /** Caffe's top shapes from the shape pass. */
  readonly topShapes: readonly Shape[];
}

/**
 * A tensor of the Keras model being built, and how it relates to the Caffe blob it holds:
 * `keras = transpose(caffe, perm)`, i.e. Keras axis i is Caffe axis perm[i] (numpy's transpose).
 */
export interface KTensor {
  /** The Keras layer that outputs it, and which of its outputs. */
  readonly layer: string;
  readonly index: number;
  /** The Caffe blob's shape, batch axis included. */
  readonly caffeShape: Shape;
  readonly perm: readonly number[];
}

/** Builds the Keras layers that compute one Caffe layer (see src/main/keras/). */
export interface KerasContext extends LayerParams {
  readonly ordering: Ordering;
  /** Flip kernels 180° for true-convolution backends (Theano); only ever set with channels_first. */
  readonly flipKernels: boolean;
  /** The Keras tensors of the bottoms. */
  readonly inputs: readonly KTensor[];
  /** Caffe's top shapes from the shape pass. */
  readonly topShapes: readonly Shape[];
  /** The layer's learnable blobs in Caffe's shapes and order. */
  readonly blobs: readonly Blob[];
  /** The perm of a tensor laid out natively for this ordering: channels_last puts axis 1 last. */
  nativePerm(rank: number): number[];
  /** `t` laid out as `perm` (adds a Permute layer unless it already is). */
  relayout(t: KTensor, perm: readonly number[]): KTensor;
  /**
   * Adds a Keras layer reading `inputs` and returns its outputs. The layer is named after the Caffe
   * layer (sanitised), with `_${suffix}` for helper layers (padding, flatten, ...): the unsuffixed layer
   * is the one whose output is the Caffe layer's top.
   */
  add(
    layer: { className: string; config: Record<string, unknown>; weights?: KerasWeight[]; suffix?: string },
    inputs: readonly KTensor[],
    outputs: readonly { caffeShape: Shape; perm: readonly number[] }[],
  ): KTensor[];
}

/** An ONNX node attribute: a number or number[] is INT / INTS, a string STRING; floats are wrapped. */
export type OnnxAttribute = number | readonly number[] | string | { float: number } | { floats: readonly number[] };

/**
 * Builds the ONNX nodes (opset 17, default domain) computing one Caffe layer in Caffe's own layout
 * (NCHW for 4-D). The batch axis is symbolic in the exported graph: build shapes with Reshape's 0
 * (copy) and -1 (infer) rather than the batch size of the shape pass. See src/main/export/onnx.ts.
 */
export interface OnnxContext extends LayerParams {
  /** The ONNX value names of the bottoms. */
  readonly inputs: readonly string[];
  /** Caffe's shapes of the bottoms and tops from the shape pass (at the declared batch size). */
  readonly bottoms: readonly Shape[];
  readonly topShapes: readonly Shape[];
  /** The layer's learnable blobs in Caffe's shapes and order. */
  readonly blobs: readonly Blob[];
  /** Exact decompositions that onnxruntime runs faster than the standard op are allowed (engine use, not files). */
  readonly fastPaths: boolean;
  /** The value name for top `i`; a top that is a bottom unchanged (Split) may return the bottom's name instead. */
  top(i: number): string;
  /** Adds a node and returns its outputs: the `outputs` names, else that many (default 1) fresh names. */
  node(opType: string, inputs: readonly string[], attributes?: Record<string, OnnxAttribute>, outputs?: number | readonly string[]): string[];
  /** A constant (an initializer), float32 unless `int64`, named after the layer and `hint`. */
  constant(hint: string, values: Float32Array | readonly number[], shape: readonly number[], type?: 'float32' | 'int64'): string;
}

export interface LayerShapes {
  /** Shape of every top, in order. */
  tops: Shape[];
  /** Shapes of the learnable blobs the layer allocates, in Caffe's blob order (may be empty). */
  blobs: Shape[];
  /** The top's size depends on the data (e.g. DetectionOutput's kept detections): tops give the bound. */
  dataDependent?: boolean;
}

/** What the workbench shows of a layer type: its palette category and the parameters a graph node names. */
export interface LayerMeta {
  category: LayerCategory;
  /** The parameters that matter, in a few words for a node label ('11×11 /4, 96', 'MAX 3×3 /2'); '' or absent: none. */
  keyParams?(p: LayerParams): string;
  /** The LayerParameter fields this type reads (default: the one named after it, 'convolution_param' for Convolution). */
  params?: readonly string[];
  /**
   * What Caffe takes for a repeated parameter left unset, which caffe.proto cannot declare
   * ('convolution_param.pad': '0'), as the inspector shows it.
   */
  unsetRepeated?: Readonly<Record<string, string>>;
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
  /** Category and key parameters for the workbench (see LayerMeta). */
  readonly meta: LayerMeta;
  /** Output shapes and learnable-blob shapes, by Caffe's own rules (Reshape/LayerSetUp). */
  shapes(ctx: ShapeContext): LayerShapes;
  /** Caffe's forward pass, in Caffe's layout: one blob per top. */
  reference?(ctx: ReferenceContext): Blob[];
  /** The Keras layers computing it: one tensor per top (a top may be an input unchanged, e.g. Split). */
  keras?(ctx: KerasContext): KTensor[];
  /** The ONNX nodes computing it: the value name of each top. */
  onnx?(ctx: OnnxContext): string[];
}
