/**
 * The graph view's columns (src/renderer/src/lib/graph.ts columnsOf) on a real model summary from the
 * service: a Node test, since it opens a prototxt (test/unit/renderer/ holds the browser-side tests).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGraph, toElkGraph } from '../../src/renderer/src/lib/graph.js';
import { createService } from '../../src/main/service/index.js';
import { resnet152Prototxt } from '../helpers/resnet-prototxt.js';

describe('the graph handed to ELK', () => {
  it('gives ELK half of ResNet-152: 105 columns for its 210 boxes', async () => {
    // By hand: the stem (data, conv1, pool1) is one column; each of the 50 bottleneck blocks has its
    // branch2a-2b-2c column and its Eltwise, the last Eltwise heading the pool5, fc1000, prob column;
    // the 4 projection shortcuts (branch1) stand alone. 1 + 50 + 49 + 1 + 4 = 105 of 3 + 200 + 4 + 3 boxes.
    const dir = mkdtempSync(join(tmpdir(), 'portafilter-graph-'));
    try {
      const prototxt = join(dir, 'ResNet-152-deploy.prototxt');
      writeFileSync(prototxt, resnet152Prototxt());
      const graph = buildGraph(await createService().call('openModel', { prototxt }));
      expect(graph.nodes).toHaveLength(210);
      expect(toElkGraph(graph).children).toHaveLength(105);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

});
