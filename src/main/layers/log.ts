import { op, scaleBy, scalar } from '../export/onnx-ops.js';
import { changed, label, registerNeuron } from './common.js';
import { mapValues } from './reference-kernels.js';
import { elementwise } from '../keras/layout.js';

registerNeuron('Log', (ctx) => {
  const { base } = ctx.param<{ base: number }>('log_param');
  // log_layer.cpp: base -1 means e; any other base must be > 0, and base 1 makes 1/log(base) infinite.
  if (base !== -1 && !(base > 0)) ctx.fail(`base must be strictly positive (got ${base})`, 'log_param.base');
  if (base === 1) ctx.fail('base 1 gives 1/log(base) = inf', 'log_param.base');
}, {
  meta: { category: 'activation', keyParams: (p) => label(changed(p, 'log_param', 'base'), changed(p, 'log_param', 'scale'), changed(p, 'log_param', 'shift')) },
  onnx(ctx) {
    const { base, scale, shift } = ctx.param<{ base: number; scale: number; shift: number }>('log_param');
    // log_layer.cpp: log(shift + scale·x)·base_scale, base_scale = 1 / ln(base) (1 for base e), each step skipped when neutral.
    const baseScale = base === -1 ? 1 : Math.fround(1 / Math.fround(Math.log(base)));
    let x = scaleBy(ctx, ctx.inputs[0], scale, 'scale');
    if (shift !== 0) x = op(ctx, 'Add', [x, scalar(ctx, 'shift', shift)]);
    const y = op(ctx, 'Log', [x], {}, baseScale === 1 ? ctx.top(0) : undefined);
    return [baseScale === 1 ? y : scaleBy(ctx, y, baseScale, 'base_scale', ctx.top(0))];
  },
  reference(ctx) {
    const { base, scale, shift } = ctx.param<{ base: number; scale: number; shift: number }>('log_param');
    const baseScale = base === -1 ? 1 : 1 / Math.log(base);
    return [mapValues(ctx.bottoms[0], (x) => Math.log(scale * x + shift) * baseScale)];
  },
  keras(ctx) {
    const { base, scale, shift } = ctx.param<{ base: number; scale: number; shift: number }>('log_param');
    return elementwise(ctx, 'CaffeNeuron', { function: 'log', base, scale, shift });
  },
});
