/**
 * Where TF.js' layers fall short of the Keras 3 classes the model spec names, these layers compute the
 * Keras 3 semantics. The spec itself stays Keras 3; only the TF.js export (export/tfjs.ts) serialises
 * them, under their `Portafilter*` class names, and bundles this file into the `portafilter_layers.js`
 * written next to the model. So each takes its config object in the constructor (what
 * `tf.serialization` calls on load) and gives it back in `getConfig`:
 *  - Conv2D with `groups` > 1 (tfjs-layers' Conv2D has no groups): one convolution per group.
 *  - ELU with alpha != 1 (tfjs-layers' ELU refuses it).
 *  - BatchNormalization over an axis other than the last (TF.js' kernels broadcast only the last).
 *  - Softmax over an axis other than the last (TF.js refuses it).
 *  - PReLU with alpha varying along an axis other than the last (TF.js' wasm kernel gets it wrong).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers, type LayerVariable } from '@tensorflow/tfjs-layers';

type Shape = (number | null)[];
const one = <T>(x: T | T[]): T => (Array.isArray(x) ? x[0] : x);

/** What every bridge takes besides its own config (a reloaded model passes trainable and dtype too). */
export interface BridgeArgs {
  name?: string;
  trainable?: boolean;
  dtype?: 'float32';
}

const base = (args: BridgeArgs): BridgeArgs => ({ name: args.name, trainable: args.trainable, dtype: args.dtype });
const pair = (v: readonly number[]): [number, number] => [v[0], v[1]];

export interface GroupedConv2DArgs extends BridgeArgs {
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  dilationRate: [number, number];
  groups: number;
  useBias: boolean;
  dataFormat: 'channelsLast' | 'channelsFirst';
}

/** Keras 3 Conv2D(groups=g, padding='valid'): kernel (kh, kw, in/g, filters), group i maps its in/g channels to filters/g outputs. */
export class GroupedConv2D extends layers.Layer {
  static readonly className = 'PortafilterGroupedConv2D';
  private kernel: LayerVariable | null = null;
  private bias: LayerVariable | null = null;
  private readonly args: GroupedConv2DArgs;

  constructor(args: GroupedConv2DArgs) {
    super(base(args));
    this.args = {
      filters: args.filters,
      kernelSize: pair(args.kernelSize),
      strides: pair(args.strides),
      dilationRate: pair(args.dilationRate),
      groups: args.groups,
      useBias: args.useBias,
      dataFormat: args.dataFormat === 'channelsFirst' ? 'channelsFirst' : 'channelsLast',
    };
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = Array.isArray(inputShape[0]) ? (inputShape[0] as Shape) : (inputShape as Shape);
    const channels = s[this.args.dataFormat === 'channelsFirst' ? 1 : 3] as number;
    const { groups, filters, kernelSize } = this.args;
    if (channels % groups !== 0 || filters % groups !== 0)
      throw new Error(`${this.name}: ${channels} input channels and ${filters} filters must both divide into ${groups} groups`);
    this.kernel = this.addWeight('kernel', [kernelSize[0], kernelSize[1], channels / groups, filters], 'float32', initializers.zeros());
    if (this.args.useBias) this.bias = this.addWeight('bias', [filters], 'float32', initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = [...(Array.isArray(inputShape[0]) ? (inputShape[0] as Shape) : (inputShape as Shape))];
    const [ha, wa, ca] = this.args.dataFormat === 'channelsFirst' ? [2, 3, 1] : [1, 2, 3];
    const out = (n: number, k: number, st: number, d: number): number => Math.floor((n - (d * (k - 1) + 1)) / st) + 1;
    s[ha] = out(s[ha] as number, this.args.kernelSize[0], this.args.strides[0], this.args.dilationRate[0]);
    s[wa] = out(s[wa] as number, this.args.kernelSize[1], this.args.strides[1], this.args.dilationRate[1]);
    s[ca] = this.args.filters;
    return s;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const first = this.args.dataFormat === 'channelsFirst';
      let x = one(inputs) as tf.Tensor4D;
      if (first) x = tf.transpose(x, [0, 2, 3, 1]);
      const xs = tf.split(x, this.args.groups, 3) as tf.Tensor4D[];
      const ks = tf.split(this.kernel!.read() as tf.Tensor4D, this.args.groups, 3) as tf.Tensor4D[];
      const ys = xs.map((xi, i) => tf.conv2d(xi, ks[i], this.args.strides, 'valid', 'NHWC', this.args.dilationRate));
      let y: tf.Tensor = tf.concat(ys, 3);
      if (this.bias) y = tf.add(y, this.bias.read());
      return first ? tf.transpose(y, [0, 3, 1, 2]) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const a = this.args;
    return {
      ...super.getConfig(),
      filters: a.filters,
      kernelSize: [...a.kernelSize],
      strides: [...a.strides],
      dilationRate: [...a.dilationRate],
      groups: a.groups,
      useBias: a.useBias,
      dataFormat: a.dataFormat,
    };
  }
}

export interface AlphaELUArgs extends BridgeArgs {
  alpha: number;
}

/** Keras 3 ELU(alpha): x if x > 0 else alpha·(exp(x) - 1). */
export class AlphaELU extends layers.Layer {
  static readonly className = 'PortafilterAlphaELU';
  private readonly alpha: number;

  constructor(args: AlphaELUArgs) {
    super(base(args));
    this.alpha = args.alpha;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...(Array.isArray(inputShape[0]) ? (inputShape[0] as Shape) : (inputShape as Shape))];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      return tf.where(tf.greater(x, 0), x, tf.mul(tf.sub(tf.exp(x), 1), this.alpha));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

export interface AxisBatchNormArgs extends BridgeArgs {
  axis: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
}

/**
 * Keras 3 BatchNormalization at inference over a channel axis that is not the last: TF.js' batchNorm
 * kernels broadcast the statistics cyclically over the flat data, which is right only for the last axis.
 * y = (x - moving_mean) / sqrt(moving_variance + epsilon) · gamma + beta, statistics broadcast along `axis`.
 */
export class AxisBatchNorm extends layers.Layer {
  static readonly className = 'PortafilterAxisBatchNorm';
  private vars: Partial<Record<'gamma' | 'beta' | 'movingMean' | 'movingVariance', LayerVariable>> = {};
  private readonly args: AxisBatchNormArgs;

  constructor(args: AxisBatchNormArgs) {
    super(base(args));
    this.args = { axis: args.axis, epsilon: args.epsilon, center: args.center, scale: args.scale };
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = Array.isArray(inputShape[0]) ? (inputShape[0] as Shape) : (inputShape as Shape);
    const c = s[this.args.axis] as number;
    // Keras' weight order: gamma, beta (trainable), then moving_mean, moving_variance.
    if (this.args.scale) this.vars.gamma = this.addWeight('gamma', [c], 'float32', initializers.ones());
    if (this.args.center) this.vars.beta = this.addWeight('beta', [c], 'float32', initializers.zeros());
    this.vars.movingMean = this.addWeight('moving_mean', [c], 'float32', initializers.zeros(), undefined, false);
    this.vars.movingVariance = this.addWeight('moving_variance', [c], 'float32', initializers.ones(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...(Array.isArray(inputShape[0]) ? (inputShape[0] as Shape) : (inputShape as Shape))];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const shape = x.shape.map((d, i) => (i === this.args.axis ? d : 1));
      const v = (t: LayerVariable): tf.Tensor => tf.reshape(t.read(), shape);
      let y = tf.div(tf.sub(x, v(this.vars.movingMean!)), tf.sqrt(tf.add(v(this.vars.movingVariance!), this.args.epsilon)));
      if (this.vars.gamma) y = tf.mul(y, v(this.vars.gamma));
      if (this.vars.beta) y = tf.add(y, v(this.vars.beta));
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { axis, epsilon, center, scale } = this.args;
    return { ...super.getConfig(), axis, epsilon, center, scale };
  }
}

export interface AxisSoftmaxArgs extends BridgeArgs {
  axis: number;
}

/** Keras 3 Softmax over an axis other than the last (TF.js' softmax takes only the last): exp(x - max) / Σ exp(x - max). */
export class AxisSoftmax extends layers.Layer {
  static readonly className = 'PortafilterAxisSoftmax';
  private readonly axis: number;

  constructor(args: AxisSoftmaxArgs) {
    super(base(args));
    this.axis = args.axis;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...(Array.isArray(inputShape[0]) ? (inputShape[0] as Shape) : (inputShape as Shape))];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const e = tf.exp(tf.sub(x, tf.max(x, this.axis, true)));
      return tf.div(e, tf.sum(e, this.axis, true));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), axis: this.axis };
  }
}

export interface BroadcastPReLUArgs extends BridgeArgs {
  /** Keras axes (batch = 0 excluded) along which alpha is shared. */
  sharedAxes: number[];
}

/**
 * Keras 3 PReLU whose alpha varies along an axis other than the last (e.g. channels_first): TF.js'
 * wasm Prelu kernel broadcasts alpha only along the last axis. y = x if x > 0 else alpha·x.
 */
export class BroadcastPReLU extends layers.Layer {
  static readonly className = 'PortafilterBroadcastPReLU';
  private alpha: LayerVariable | null = null;
  private readonly sharedAxes: number[];

  constructor(args: BroadcastPReLUArgs) {
    super(base(args));
    this.sharedAxes = [...(args.sharedAxes ?? [])];
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = Array.isArray(inputShape[0]) ? (inputShape[0] as Shape) : (inputShape as Shape);
    const shape = s.slice(1).map((d, i) => (this.sharedAxes.includes(i + 1) ? 1 : (d as number)));
    this.alpha = this.addWeight('alpha', shape, 'float32', initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...(Array.isArray(inputShape[0]) ? (inputShape[0] as Shape) : (inputShape as Shape))];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      return tf.where(tf.greater(x, 0), x, tf.mul(x, this.alpha!.read()));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), sharedAxes: [...this.sharedAxes] };
  }
}

/** By TF.js class name (what a saved model.json names them). */
export const BRIDGE_LAYERS = {
  PortafilterGroupedConv2D: GroupedConv2D,
  PortafilterAlphaELU: AlphaELU,
  PortafilterAxisBatchNorm: AxisBatchNorm,
  PortafilterAxisSoftmax: AxisSoftmax,
  PortafilterBroadcastPReLU: BroadcastPReLU,
} as const;
