import { registerNeuron } from './common.js';

registerNeuron('Log', (ctx) => {
  const { base } = ctx.param<{ base: number }>('log_param');
  // log_layer.cpp: base -1 means e; any other base must be > 0, and base 1 makes 1/log(base) infinite.
  if (base !== -1 && !(base > 0)) ctx.fail(`base must be strictly positive (got ${base})`, 'log_param.base');
  if (base === 1) ctx.fail('base 1 gives 1/log(base) = inf', 'log_param.base');
});
