import { registerLayer } from './registry.js';

registerLayer({
  type: 'Silence',
  bottoms: { min: 1 },
  tops: { min: 0, max: 0 },
  shapes: () => ({ tops: [], blobs: [] }),
});
