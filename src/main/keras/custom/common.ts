/**
 * What Portafilter's custom Keras layers share: the TF.js Layer base, their config conventions and
 * the NHWC helpers. In TF.js a layer's config is camelCase (TF.js turns it into snake_case when it
 * saves a model.json); the model spec and Python Keras use the snake_case names.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';

export type DataFormat = 'channelsLast' | 'channelsFirst';
export type Shape = (number | null)[];

/** Base arguments of every custom layer (Keras' name; the rest is the layer's own config). */
export interface CustomLayerArgs {
  name?: string;
  trainable?: boolean;
}

export const Layer = layers.Layer;

export const oneShape = (s: Shape | Shape[]): Shape => (Array.isArray(s[0]) ? (s[0] as Shape) : (s as Shape));

export function oneTensor(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(x)) {
    if (x.length !== 1) throw new Error(`expected one input tensor, got ${x.length}`);
    return x[0];
  }
  return x;
}

/** 4-D input to NHWC (the layout TF.js' pooling ops take). */
export const toNHWC = (x: tf.Tensor, format: DataFormat): tf.Tensor4D =>
  (format === 'channelsFirst' ? tf.transpose(x, [0, 2, 3, 1]) : x) as tf.Tensor4D;

export const fromNHWC = (x: tf.Tensor, format: DataFormat): tf.Tensor => (format === 'channelsFirst' ? tf.transpose(x, [0, 3, 1, 2]) : x);

/** Keras' data_format value, or TF.js' camelCase one, as TF.js' camelCase. */
export function asDataFormat(v: unknown): DataFormat {
  if (v === 'channels_first' || v === 'channelsFirst') return 'channelsFirst';
  if (v === 'channels_last' || v === 'channelsLast' || v === undefined) return 'channelsLast';
  throw new Error(`unknown data_format '${String(v)}'`);
}
