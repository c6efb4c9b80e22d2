import { convShapes } from './conv-geometry.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'Deconvolution',
  bottoms: { min: 1 },
  tops: { min: 1 },
  // deconv_layer.cpp: out = s(in-1) + d(k-1)+1 - 2p; reverse_dimensions() makes weights [C_in, O/g, k...].
  shapes: (ctx) =>
    convShapes(ctx, true, (input, kernel, stride, pad, dilation) => stride * (input - 1) + dilation * (kernel - 1) + 1 - 2 * pad),
});
