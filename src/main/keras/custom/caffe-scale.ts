/**
 * CaffeScale: Caffe's Scale / Bias with learned blobs where no standard Keras layer is exact (a
 * per-channel Scale on a 4-D tensor is a 1×1 DepthwiseConv2D instead).
 *
 * Config: shape (the weights' shape: the input's shape without the batch axis, with 1 on the axes the
 * Caffe blob does not span), use_scale, use_bias. Weights: scale, bias (each only when used).
 *   y = x · scale + bias        (broadcast over the batch and the axes of size 1; Caffe's order of operations)
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, type LayerVariable } from '@tensorflow/tfjs-layers';
import { Layer, oneShape, oneTensor, type CustomLayerArgs, type Shape } from './common.js';

export interface CaffeScaleArgs extends CustomLayerArgs {
  shape: number[];
  useScale?: boolean;
  useBias?: boolean;
}

export class CaffeScale extends Layer {
  static readonly className = 'CaffeScale';
  readonly shape: number[];
  readonly useScale: boolean;
  readonly useBias: boolean;
  private scale: LayerVariable | null = null;
  private bias: LayerVariable | null = null;

  constructor(args: CaffeScaleArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.shape = [...args.shape];
    this.useScale = args.useScale ?? true;
    this.useBias = args.useBias ?? false;
    if (!this.useScale && !this.useBias) throw new Error('CaffeScale needs use_scale or use_bias');
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = oneShape(inputShape);
    if (s.length - 1 !== this.shape.length || this.shape.some((d, i) => d !== 1 && d !== s[i + 1]))
      throw new Error(`CaffeScale: weights of shape [${this.shape.join(', ')}] do not broadcast over input [${s.join(', ')}]`);
    if (this.useScale) this.scale = this.addWeight('scale', this.shape, 'float32', initializers.ones());
    if (this.useBias) this.bias = this.addWeight('bias', this.shape, 'float32', initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...oneShape(inputShape)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let y = oneTensor(inputs);
      if (this.scale) y = tf.mul(y, this.scale.read());
      if (this.bias) y = tf.add(y, this.bias.read());
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), shape: [...this.shape], useScale: this.useScale, useBias: this.useBias };
  }
}

tf.serialization.registerClass(CaffeScale);
