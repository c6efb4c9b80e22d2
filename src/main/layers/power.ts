import { op, scaleBy, scalar } from '../export/onnx-ops.js';
import { changed, label, registerNeuron } from './common.js';
import { mapValues } from './reference-kernels.js';
import { elementwise } from '../keras/layout.js';

registerNeuron('Power', undefined, {
  meta: { category: 'activation', keyParams: (p) => label(changed(p, 'power_param', 'power'), changed(p, 'power_param', 'scale'), changed(p, 'power_param', 'shift')) },
  onnx(ctx) {
    const { power, scale, shift } = ctx.param<{ power: number; scale: number; shift: number }>('power_param');
    const x = ctx.inputs[0];
    // power_layer.cpp: (shift + scale·x)^power, each step skipped when neutral; when power·scale is 0 the top
    // is the constant 1 (power 0) or shift^power, whatever x holds (even inf or NaN).
    if (power * scale === 0) {
      const value = power === 0 ? 1 : Math.pow(shift, power);
      return [op(ctx, 'Expand', [scalar(ctx, 'value', value), op(ctx, 'Shape', [x])], {}, ctx.top(0))];
    }
    let y = scaleBy(ctx, x, scale, 'scale');
    if (shift !== 0) y = op(ctx, 'Add', [y, scalar(ctx, 'shift', shift)], {}, power === 1 ? ctx.top(0) : undefined);
    if (power !== 1) y = op(ctx, 'Pow', [y, scalar(ctx, 'power', power)], {}, ctx.top(0));
    // power 1, scale 1, shift 0: the identity.
    return [y];
  },
  reference(ctx) {
    const { power, scale, shift } = ctx.param<{ power: number; scale: number; shift: number }>('power_param');
    // power_layer.cpp Forward: when power·scale is 0 the top is the constant 1 (power 0) or shift^power.
    if (power * scale === 0) {
      const value = power === 0 ? 1 : Math.pow(shift, power);
      return [mapValues(ctx.bottoms[0], () => value)];
    }
    return [mapValues(ctx.bottoms[0], (x) => Math.pow(shift + scale * x, power))];
  },
  keras(ctx) {
    const { power, scale, shift } = ctx.param<{ power: number; scale: number; shift: number }>('power_param');
    // power 1 is x·scale + shift: Keras' Rescaling, the same multiply then add. The rest: CaffeNeuron 'power'.
    if (power === 1 && scale !== 0) return elementwise(ctx, 'Rescaling', { scale, offset: shift });
    return elementwise(ctx, 'CaffeNeuron', { function: 'power', power, scale, shift });
  },
});
