/**
 * Portafilter's custom Keras layers, as TF.js layer classes registered for (de)serialisation.
 * Importing this module registers them all. Each is documented in its file with its exact math, so
 * that other runtimes (the Python export) can implement the same layer.
 */
import { CaffeArgMax } from './caffe-arg-max.js';
import { CaffeLRN } from './caffe-lrn.js';
import { CaffeNeuron } from './caffe-neuron.js';
import { CaffePooling } from './caffe-pooling.js';
import { CaffeScale } from './caffe-scale.js';
import { CaffeSlice } from './caffe-slice.js';
import type { CustomLayerName } from './names.js';

export { CaffeArgMax, CaffeLRN, CaffeNeuron, CaffePooling, CaffeScale, CaffeSlice };

/** By Keras class name. */
export const CUSTOM_LAYERS = {
  CaffeArgMax,
  CaffeLRN,
  CaffeNeuron,
  CaffePooling,
  CaffeScale,
  CaffeSlice,
} as const satisfies Record<CustomLayerName, unknown>;

export { CUSTOM_LAYER_NAMES, isCustomLayer, type CustomLayerName } from './names.js';
