import { registerNeuron } from './common.js';

registerNeuron('Exp', (ctx) => {
  const { base } = ctx.param<{ base: number }>('exp_param');
  // exp_layer.cpp: base -1 means e; any other base must be > 0.
  if (base !== -1 && !(base > 0)) ctx.fail(`base must be strictly positive (got ${base})`, 'exp_param.base');
});
