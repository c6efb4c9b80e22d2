/**
 * CaffePooling: MAX / AVE pooling with Caffe's exact semantics (pooling_layer.cpp), for the cases the
 * standard MaxPooling2D / AveragePooling2D (with ZeroPadding2D) cannot reproduce.
 *
 * Config: mode 'max' | 'ave', pool_size [kh, kw], strides [sh, sw], padding [ph, pw],
 * round_mode 'ceil' | 'floor', data_format. Per spatial axis of size H:
 *   output size  o = round((H + 2p - k) / s) + 1, then, if p > 0 and (o-1)·s >= H + p, o = o - 1
 *   window j     start = j·s - p, end = min(start + k, H + p)
 *   MAX          the maximum over the cells of [start, end) inside [0, H)   (padding never wins)
 *   AVE          the sum over the cells of [start, end) inside [0, H), divided by
 *                (end_h - start_h)·(end_w - start_w): padding counts, the overhang past H + p does not.
 */
import * as tf from '@tensorflow/tfjs-core';
import { asDataFormat, fromNHWC, Layer, oneShape, oneTensor, toNHWC, type CustomLayerArgs, type DataFormat, type Shape } from './common.js';

export interface CaffePoolingArgs extends CustomLayerArgs {
  mode: 'max' | 'ave';
  poolSize: [number, number];
  strides: [number, number];
  padding: [number, number];
  roundMode?: 'ceil' | 'floor';
  dataFormat?: DataFormat | string;
}

/** Caffe's pooled size of one axis. */
export function caffePooledSize(size: number, k: number, s: number, p: number, roundMode: 'ceil' | 'floor' = 'ceil'): number {
  const round = roundMode === 'floor' ? Math.floor : Math.ceil;
  let o = round(Math.fround(Math.fround(size + 2 * p - k) / s)) + 1;
  if (p > 0 && (o - 1) * s >= size + p) o--;
  return o;
}

/** The AVE divisor of each output cell along one axis: end - start, with end clipped to H + p. */
function divisors(size: number, k: number, s: number, p: number, out: number): number[] {
  return Array.from({ length: out }, (_, j) => Math.min(j * s - p + k, size + p) - (j * s - p));
}

export class CaffePooling extends Layer {
  static readonly className = 'CaffePooling';
  readonly mode: 'max' | 'ave';
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: [number, number];
  readonly roundMode: 'ceil' | 'floor';
  readonly dataFormat: DataFormat;

  constructor(args: CaffePoolingArgs) {
    super({ name: args.name, trainable: args.trainable });
    if (args.mode !== 'max' && args.mode !== 'ave') throw new Error(`CaffePooling: mode must be 'max' or 'ave', got '${String(args.mode)}'`);
    this.mode = args.mode;
    this.poolSize = [args.poolSize[0], args.poolSize[1]];
    this.strides = [args.strides[0], args.strides[1]];
    this.padding = [args.padding[0], args.padding[1]];
    this.roundMode = args.roundMode === 'floor' ? 'floor' : 'ceil';
    this.dataFormat = asDataFormat(args.dataFormat);
  }

  private outSize(h: number, w: number): [number, number] {
    return [
      caffePooledSize(h, this.poolSize[0], this.strides[0], this.padding[0], this.roundMode),
      caffePooledSize(w, this.poolSize[1], this.strides[1], this.padding[1], this.roundMode),
    ];
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = [...oneShape(inputShape)];
    const [ha, wa] = this.dataFormat === 'channelsFirst' ? [2, 3] : [1, 2];
    const [oh, ow] = this.outSize(s[ha] as number, s[wa] as number);
    s[ha] = oh;
    s[wa] = ow;
    return s;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = toNHWC(oneTensor(inputs), this.dataFormat);
      const [, h, w] = x.shape;
      const [kh, kw] = this.poolSize;
      const [sh, sw] = this.strides;
      const [ph, pw] = this.padding;
      const [oh, ow] = this.outSize(h, w);
      // Pad (with -inf for MAX, zeros for AVE) so that the `o` windows fit exactly, then pool 'valid'.
      const needH = (oh - 1) * sh + kh;
      const needW = (ow - 1) * sw + kw;
      const fill = this.mode === 'max' ? -Infinity : 0;
      let padded = tf.pad(x, [[0, 0], [ph, Math.max(needH - h - ph, 0)], [pw, Math.max(needW - w - pw, 0)], [0, 0]], fill);
      if (padded.shape[1] > needH || padded.shape[2] > needW) padded = tf.slice(padded, [0, 0, 0, 0], [-1, needH, needW, -1]);
      let y: tf.Tensor4D;
      if (this.mode === 'max') {
        y = tf.maxPool(padded, [kh, kw], [sh, sw], 'valid');
      } else {
        // avgPool divides every window by kh·kw; rescale each cell to Caffe's divisor.
        const dh = divisors(h, kh, sh, ph, oh);
        const dw = divisors(w, kw, sw, pw, ow);
        const factor = new Float32Array(oh * ow);
        for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) factor[i * ow + j] = (kh * kw) / (dh[i] * dw[j]);
        y = tf.mul(tf.avgPool(padded, [kh, kw], [sh, sw], 'valid'), tf.tensor4d(factor, [1, oh, ow, 1]));
      }
      return fromNHWC(y, this.dataFormat);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      mode: this.mode,
      poolSize: [...this.poolSize],
      strides: [...this.strides],
      padding: [...this.padding],
      roundMode: this.roundMode,
      dataFormat: this.dataFormat,
    };
  }
}

tf.serialization.registerClass(CaffePooling);
