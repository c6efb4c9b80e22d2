/**
 * CaffeArgMax: Caffe's ArgMax (argmax_layer.cpp). Indices come out as floats, as in Caffe.
 *
 * Config: axis (a Keras axis >= 1, or null), top_k, out_max_val. Order: larger value first, and among
 * equal values the larger index first (Caffe sorts (value, index) pairs with std::greater).
 *   axis set      along `axis`: the top_k indices, or their values when out_max_val
 *   axis null     over each item's values in the tensor's own order (the builder feeds Caffe's C·H·W):
 *                 output (N, 1, top_k) of indices, or (N, 2, top_k) indices then values with
 *                 out_max_val, followed by 1s up to the input's rank (at least 3 axes).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Layer, oneShape, oneTensor, type CustomLayerArgs, type Shape } from './common.js';

export interface CaffeArgMaxArgs extends CustomLayerArgs {
  axis: number | null;
  topK?: number;
  outMaxVal?: boolean;
}

export class CaffeArgMax extends Layer {
  static readonly className = 'CaffeArgMax';
  readonly axis: number | null;
  readonly topK: number;
  readonly outMaxVal: boolean;

  constructor(args: CaffeArgMaxArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.axis = args.axis ?? null;
    if (this.axis !== null && !(this.axis >= 1)) throw new Error(`CaffeArgMax: axis must be >= 1 or null, got ${this.axis}`);
    this.topK = args.topK ?? 1;
    this.outMaxVal = args.outMaxVal ?? false;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = oneShape(inputShape);
    if (this.axis !== null) return s.map((d, a) => (a === this.axis ? this.topK : d));
    const out: Shape = new Array<number | null>(Math.max(s.length, 3)).fill(1);
    out[0] = s[0];
    out[1] = this.outMaxVal ? 2 : 1;
    out[2] = this.topK;
    return out;
  }

  /** top_k along the last axis of `x`: [values, indices as float32], Caffe's tie order. */
  private topk(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const n = x.shape[x.rank - 1];
    const { values, indices } = tf.topk(tf.reverse(x, -1), this.topK, true);
    return [values, tf.sub(tf.scalar(n - 1), tf.cast(indices, 'float32'))];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs);
      if (this.axis !== null) {
        const r = x.rank;
        const perm = [...Array(r).keys()].filter((a) => a !== this.axis).concat([this.axis]);
        const [values, indices] = this.topk(tf.transpose(x, perm));
        const back = new Array<number>(r);
        perm.forEach((a, i) => (back[a] = i));
        return tf.transpose(this.outMaxVal ? values : indices, back);
      }
      const n = x.shape[0];
      const [values, indices] = this.topk(tf.reshape(x, [n, -1]));
      const out = this.computeOutputShape(x.shape).map((d) => d as number);
      const y = this.outMaxVal ? tf.stack([indices, values], 1) : tf.expandDims(indices, 1);
      return tf.reshape(y, out);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), axis: this.axis, topK: this.topK, outMaxVal: this.outMaxVal };
  }
}

tf.serialization.registerClass(CaffeArgMax);
