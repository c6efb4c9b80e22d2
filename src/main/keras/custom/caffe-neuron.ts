/**
 * CaffeNeuron: Caffe's element-wise layers that have no exact standard Keras counterpart, one
 * `function` each (the formulas of Caffe's *_layer.cpp, in the same order of operations):
 *   abs        y = |x|                                                    (AbsVal)
 *   power      y = (shift + scale·x)^power; if power = 0 or scale = 0,
 *              the constant 1 (power 0) or shift^power                    (Power)
 *   exp        y = base^(shift + scale·x) = e^(shift·ln b) · e^(scale·ln b · x), base -1 meaning e  (Exp)
 *   log        y = log_base(shift + scale·x) = ln(shift + scale·x) / ln b, base -1 meaning e     (Log)
 *   threshold  y = 1 if x > threshold else 0                              (Threshold)
 *   clip       y = max(min(x, max), min)                                  (Clip)
 *   swish      y = x · sigmoid(beta·x)                                    (Swish with beta != 1)
 * Config: function, and the parameters it uses (power, scale, shift, base, threshold, min, max, beta).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Layer, oneShape, oneTensor, type CustomLayerArgs, type Shape } from './common.js';

export type NeuronFunction = 'abs' | 'power' | 'exp' | 'log' | 'threshold' | 'clip' | 'swish';
const FUNCTIONS: readonly NeuronFunction[] = ['abs', 'power', 'exp', 'log', 'threshold', 'clip', 'swish'];

export interface CaffeNeuronArgs extends CustomLayerArgs {
  function: NeuronFunction;
  power?: number;
  scale?: number;
  shift?: number;
  base?: number;
  threshold?: number;
  min?: number;
  max?: number;
  beta?: number;
}

const PARAMS: Record<NeuronFunction, (keyof CaffeNeuronArgs)[]> = {
  abs: [],
  power: ['power', 'scale', 'shift'],
  exp: ['base', 'scale', 'shift'],
  log: ['base', 'scale', 'shift'],
  threshold: ['threshold'],
  clip: ['min', 'max'],
  swish: ['beta'],
};

const DEFAULTS: Partial<Record<keyof CaffeNeuronArgs, number>> = { power: 1, scale: 1, shift: 0, base: -1, threshold: 0, beta: 1 };

export class CaffeNeuron extends Layer {
  static readonly className = 'CaffeNeuron';
  readonly fn: NeuronFunction;
  readonly params: Record<string, number>;

  constructor(args: CaffeNeuronArgs) {
    super({ name: args.name, trainable: args.trainable });
    if (!FUNCTIONS.includes(args.function)) throw new Error(`CaffeNeuron: unknown function '${String(args.function)}'`);
    this.fn = args.function;
    this.params = {};
    for (const key of PARAMS[this.fn]) {
      const v = (args[key] as number | undefined) ?? DEFAULTS[key];
      if (typeof v !== 'number') throw new Error(`CaffeNeuron '${this.fn}' needs '${key}'`);
      this.params[key] = v;
    }
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...oneShape(inputShape)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs);
      const p = this.params;
      switch (this.fn) {
        case 'abs':
          return tf.abs(x);
        case 'power': {
          if (p.power === 0 || p.scale === 0) return tf.fill(x.shape, p.power === 0 ? 1 : Math.pow(p.shift, p.power));
          let y = p.scale === 1 ? x : tf.mul(x, p.scale);
          if (p.shift !== 0) y = tf.add(y, p.shift);
          return p.power === 1 ? y : tf.pow(y, p.power);
        }
        case 'exp': {
          const logBase = p.base === -1 ? 1 : Math.log(p.base);
          const inner = logBase * p.scale;
          const outer = p.shift === 0 ? 1 : p.base === -1 ? Math.exp(p.shift) : Math.pow(p.base, p.shift);
          const y = tf.exp(inner === 1 ? x : tf.mul(x, inner));
          return outer === 1 ? y : tf.mul(y, outer);
        }
        case 'log': {
          const baseScale = p.base === -1 ? 1 : 1 / Math.log(p.base);
          let y = p.scale === 1 ? x : tf.mul(x, p.scale);
          if (p.shift !== 0) y = tf.add(y, p.shift);
          y = tf.log(y);
          return baseScale === 1 ? y : tf.mul(y, baseScale);
        }
        case 'threshold':
          return tf.cast(tf.greater(x, p.threshold), 'float32');
        case 'clip':
          return tf.maximum(tf.minimum(x, p.max), p.min);
        case 'swish':
          return tf.mul(x, tf.sigmoid(p.beta === 1 ? x : tf.mul(x, p.beta)));
      }
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), function: this.fn, ...this.params };
  }
}

tf.serialization.registerClass(CaffeNeuron);
