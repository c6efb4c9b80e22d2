/**
 * CaffeSlice: Caffe's Slice (slice_layer.cpp), one output per piece. Keras has no slicing layer.
 *
 * Config: axis (the Keras axis, batch = 0 excluded), slice_points (increasing, inside the axis).
 * Output i is x[..., p_i : p_{i+1}, ...] along `axis`, with p = [0, ...slice_points, size].
 */
import * as tf from '@tensorflow/tfjs-core';
import { Layer, oneShape, oneTensor, type CustomLayerArgs, type Shape } from './common.js';

export interface CaffeSliceArgs extends CustomLayerArgs {
  axis: number;
  slicePoints: number[];
}

export class CaffeSlice extends Layer {
  static readonly className = 'CaffeSlice';
  readonly axis: number;
  readonly slicePoints: number[];

  constructor(args: CaffeSliceArgs) {
    super({ name: args.name, trainable: args.trainable });
    if (!(args.axis >= 1)) throw new Error(`CaffeSlice: axis must be >= 1 (the batch axis cannot be sliced), got ${args.axis}`);
    this.axis = args.axis;
    this.slicePoints = [...args.slicePoints];
  }

  private bounds(size: number): number[] {
    const points = [0, ...this.slicePoints, size];
    for (let i = 1; i < points.length; i++) {
      if (!(points[i] > points[i - 1])) throw new Error(`CaffeSlice: slice points [${this.slicePoints.join(', ')}] do not fit an axis of ${size}`);
    }
    return points;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const s = oneShape(inputShape);
    const b = this.bounds(s[this.axis] as number);
    return b.slice(1).map((end, i) => s.map((d, a) => (a === this.axis ? end - b[i] : d)));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const x = oneTensor(inputs);
      const b = this.bounds(x.shape[this.axis]);
      return b.slice(1).map((end, i) => {
        const begin = x.shape.map((_, a) => (a === this.axis ? b[i] : 0));
        const size = x.shape.map((d, a) => (a === this.axis ? end - b[i] : d));
        return tf.slice(x, begin, size);
      });
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), axis: this.axis, slicePoints: [...this.slicePoints] };
  }
}

tf.serialization.registerClass(CaffeSlice);
