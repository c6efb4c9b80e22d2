import { registerNeuron } from './common.js';

registerNeuron('Clip', (ctx) => {
  // caffe.proto declares ClipParameter.min and .max `required`: Caffe refuses a net without them.
  for (const f of ['min', 'max']) {
    if (!ctx.has('clip_param', f)) ctx.fail(`clip_param.${f} is required`, `clip_param.${f}`);
  }
});
