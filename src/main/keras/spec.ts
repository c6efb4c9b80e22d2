/**
 * A converted model, independent of where it goes: the Keras functional graph (Keras 3 class names
 * and configs), its weights as typed arrays in Keras' own shapes, and where each Caffe layer's
 * output is. The tfjs engine instantiates it; the exporters serialise it (.keras, .h5, TF.js).
 */

export type Ordering = 'channels_last' | 'channels_first';

export interface KerasWeight {
  /** Keras' variable name within the layer: 'kernel', 'bias', 'gamma', 'moving_mean', ... */
  name: string;
  /** Keras' shape, e.g. Conv2D kernel [kh, kw, in/groups, out]. */
  shape: number[];
  data: Float32Array;
}

export interface KerasTensorRef {
  layer: string;
  /** Which output of the layer. */
  index: number;
}

export interface KerasLayerSpec {
  /** Unique Keras layer name: the Caffe layer name, sanitised; helper layers add a suffix. */
  name: string;
  /** Keras 3 class name ('Conv2D', 'Dense', ...) or a Portafilter custom layer ('CaffeLRN', ...). */
  className: string;
  /** Keras 3 config keys (snake_case) other than name, dtype and trainable. */
  config: Record<string, unknown>;
  /** Inbound tensors (none for InputLayer). */
  inputs: KerasTensorRef[];
  /** Keras shapes of each output, batch axis included (null where the batch goes). */
  outputShapes: (number | null)[][];
  /** In the order of the layer's `weights` in Keras. */
  weights: KerasWeight[];
  /** The Caffe layer it computes (or helps to compute). */
  caffeLayer?: string;
}

export interface CaffeTopRef {
  /** The Caffe blob name. */
  blob: string;
  tensor: KerasTensorRef;
  /** keras = transpose(caffe, perm). */
  perm: number[];
  caffeShape: number[];
}

export interface KerasModelSpec {
  name: string;
  ordering: Ordering;
  flipKernels: boolean;
  /** In topological order, InputLayers first. */
  layers: KerasLayerSpec[];
  inputs: KerasTensorRef[];
  outputs: KerasTensorRef[];
  /** Per Caffe layer that has a Keras counterpart, in Caffe's order: where each of its tops is. */
  caffeLayers: { name: string; type: string; tops: CaffeTopRef[] }[];
  /** Caffe layers left out of the Keras model and why (losses, accuracy, ...). */
  skipped: { name: string; type: string; reason: string }[];
  /** A tolerant build only (the workbench's view): the layers that cannot convert, in Caffe's order, and why. */
  failed?: { name: string; type: string; reason: string }[];
}
