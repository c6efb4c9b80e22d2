import { op, scaleBy } from '../export/onnx-ops.js';
import { changed, label, registerNeuron } from './common.js';
import { mapValues } from './reference-kernels.js';
import { elementwise } from '../keras/layout.js';

registerNeuron('Exp', (ctx) => {
  const { base } = ctx.param<{ base: number }>('exp_param');
  // exp_layer.cpp: base -1 means e; any other base must be > 0.
  if (base !== -1 && !(base > 0)) ctx.fail(`base must be strictly positive (got ${base})`, 'exp_param.base');
}, {
  meta: { category: 'activation', keyParams: (p) => label(changed(p, 'exp_param', 'base'), changed(p, 'exp_param', 'scale'), changed(p, 'exp_param', 'shift')) },
  onnx(ctx) {
    const { base, scale, shift } = ctx.param<{ base: number; scale: number; shift: number }>('exp_param');
    // exp_layer.cpp: base^(shift + scale·x) = outer·exp(inner·x), inner = ln(base)·scale, outer = base^shift.
    const logBase = base === -1 ? 1 : Math.fround(Math.log(base));
    const inner = Math.fround(logBase * scale);
    const outer = shift === 0 ? 1 : Math.fround(base === -1 ? Math.exp(shift) : Math.pow(base, shift));
    const e = op(ctx, 'Exp', [scaleBy(ctx, ctx.inputs[0], inner, 'inner_scale')], {}, outer === 1 ? ctx.top(0) : undefined);
    return [outer === 1 ? e : scaleBy(ctx, e, outer, 'outer_scale', ctx.top(0))];
  },
  reference(ctx) {
    const { base, scale, shift } = ctx.param<{ base: number; scale: number; shift: number }>('exp_param');
    const logBase = base === -1 ? 1 : Math.log(base);
    const outer = shift === 0 ? 1 : Math.exp(logBase * shift);
    return [mapValues(ctx.bottoms[0], (x) => outer * Math.exp(logBase * scale * x))];
  },
  keras(ctx) {
    const { base, scale, shift } = ctx.param<{ base: number; scale: number; shift: number }>('exp_param');
    return elementwise(ctx, 'CaffeNeuron', { function: 'exp', base, scale, shift });
  },
});
