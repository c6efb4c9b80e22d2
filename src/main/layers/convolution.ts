import { convShapes } from './conv-geometry.js';
import { registerLayer } from './registry.js';

registerLayer({
  type: 'Convolution',
  bottoms: { min: 1 },
  tops: { min: 1 },
  shapes: (ctx) =>
    convShapes(ctx, false, (input, kernel, stride, pad, dilation) => {
      // conv_layer.cpp compute_output_shape: C++ int division (truncates toward zero), so a kernel that
      // overhangs the padded input by less than one stride still yields one output.
      const extent = dilation * (kernel - 1) + 1;
      return Math.trunc((input + 2 * pad - extent) / stride) + 1;
    }),
});
