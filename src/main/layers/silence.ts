import { registerLayer } from './registry.js';

registerLayer({
  type: 'Silence',
  meta: { category: 'other' },
  bottoms: { min: 1 },
  tops: { min: 0, max: 0 },
  // silence_layer.cpp: consumes its bottoms and computes nothing.
  onnx: () => [],
  reference: () => [],
  shapes: () => ({ tops: [], blobs: [] }),
  // Produces nothing: no Keras layer.
  keras: () => [],
});
