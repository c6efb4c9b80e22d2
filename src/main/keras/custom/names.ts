/**
 * The names of Portafilter's custom Keras layers, apart from their TF.js classes (index.ts), so that
 * the Keras config writers can tell them without loading TF.js.
 */
export const CUSTOM_LAYER_NAMES = ['CaffeArgMax', 'CaffeLRN', 'CaffeNeuron', 'CaffePooling', 'CaffeScale', 'CaffeSlice'] as const;

export type CustomLayerName = (typeof CUSTOM_LAYER_NAMES)[number];

export const isCustomLayer = (className: string): className is CustomLayerName => (CUSTOM_LAYER_NAMES as readonly string[]).includes(className);
