/**
 * CaffeLRN: Caffe's local response normalisation (lrn_layer.cpp). Keras has no LRN layer.
 *
 * Config: local_size n (odd), alpha, beta, k, norm_region 'across_channels' | 'within_channel',
 * data_format. With x² summed over zero-padded windows:
 *   across_channels  y = x · (k + alpha/n · Σ_{|c'-c| <= (n-1)/2} x[c']²)^(-beta)
 *   within_channel   y = x · (1 + alpha/n² · Σ_{n×n window centred on (h, w)} x²)^(-beta)
 *                    (Caffe builds it from AVE pooling with pad (n-1)/2, whose divisor is always n²,
 *                    and a Power layer with shift 1: k plays no part.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { asDataFormat, fromNHWC, Layer, oneShape, oneTensor, toNHWC, type CustomLayerArgs, type DataFormat, type Shape } from './common.js';

export interface CaffeLRNArgs extends CustomLayerArgs {
  localSize: number;
  alpha: number;
  beta: number;
  k?: number;
  normRegion?: 'acrossChannels' | 'withinChannel' | 'across_channels' | 'within_channel';
  dataFormat?: DataFormat | string;
}

export class CaffeLRN extends Layer {
  static readonly className = 'CaffeLRN';
  readonly localSize: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
  readonly normRegion: 'acrossChannels' | 'withinChannel';
  readonly dataFormat: DataFormat;

  constructor(args: CaffeLRNArgs) {
    super({ name: args.name, trainable: args.trainable });
    if (!(args.localSize > 0) || args.localSize % 2 !== 1) throw new Error(`CaffeLRN: local_size must be odd, got ${args.localSize}`);
    this.localSize = args.localSize;
    this.alpha = args.alpha;
    this.beta = args.beta;
    this.k = args.k ?? 1;
    this.normRegion = args.normRegion === 'withinChannel' || args.normRegion === 'within_channel' ? 'withinChannel' : 'acrossChannels';
    this.dataFormat = asDataFormat(args.dataFormat);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...oneShape(inputShape)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = toNHWC(oneTensor(inputs), this.dataFormat);
      const n = this.localSize;
      const half = (n - 1) / 2;
      const sq = tf.square(x);
      let scale: tf.Tensor;
      if (this.normRegion === 'acrossChannels') {
        const c = x.shape[3];
        const padded = tf.pad(sq, [[0, 0], [0, 0], [0, 0], [half, half]]);
        let sum: tf.Tensor = tf.slice(padded, [0, 0, 0, 0], [-1, -1, -1, c]);
        for (let i = 1; i < n; i++) sum = tf.add(sum, tf.slice(padded, [0, 0, 0, i], [-1, -1, -1, c]));
        scale = tf.add(tf.mul(sum, this.alpha / n), this.k);
      } else {
        const padded = tf.pad(sq, [[0, 0], [half, half], [half, half], [0, 0]]);
        scale = tf.add(tf.mul(tf.avgPool(padded as tf.Tensor4D, [n, n], [1, 1], 'valid'), this.alpha), 1);
      }
      return fromNHWC(tf.mul(x, tf.pow(scale, -this.beta)), this.dataFormat);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      localSize: this.localSize,
      alpha: this.alpha,
      beta: this.beta,
      k: this.k,
      normRegion: this.normRegion,
      dataFormat: this.dataFormat,
    };
  }
}

tf.serialization.registerClass(CaffeLRN);
