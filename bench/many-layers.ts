/**
 * many_layers: how the reading stages scale with the number of layers. A generated net (residual
 * blocks of Convolution, in-place ReLU and Eltwise; see test/helpers/big-net.ts) of 10^4, 10^5 and
 * 2·10^5 layers goes through the prototxt read (parse and upgrade), the graph, the shape pass, the
 * caffemodel read and the weight check; the 10^5 / 10^4 ratio of each stage is about 10 when it is
 * linear (100 when quadratic): the best of three runs up to 10^5 layers, one run above. Without
 * --quick a caffemodel of 10^6 layers is read as well.
 * The files are written once into os.tmpdir()/portafilter-bench/ and reused while their size matches.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, Log } from './types.js';
import { readCaffeModel } from '../src/main/caffe/caffemodel.js';
import { buildNetGraph } from '../src/main/net/graph.js';
import { readNetDefinition } from '../src/main/net/model.js';
import { inferShapes } from '../src/main/net/shapes.js';
import { attachWeights } from '../src/main/net/weights.js';
import { bigNetCaffeModel, bigNetPrototxt } from '../test/helpers/big-net.js';
import { syntheticModelSize, writeSyntheticCaffeModel } from '../test/helpers/caffemodel-writer.js';

const SIZES = [10_000, 100_000, 200_000];
const HUGE = 1_000_000;
const STAGES = ['prototxt', 'graph', 'shapes', 'caffemodel', 'attach'] as const;
type Stage = (typeof STAGES)[number];

function files(layers: number, log: Log, prototxt = true): { prototxt: string; caffemodel: string } {
  const dir = join(tmpdir(), 'portafilter-bench');
  mkdirSync(dir, { recursive: true });
  const paths = { prototxt: join(dir, `many-layers-${layers}.prototxt`), caffemodel: join(dir, `many-layers-${layers}.caffemodel`) };
  if (prototxt) writeFileSync(paths.prototxt, bigNetPrototxt(layers));
  const net = bigNetCaffeModel(layers);
  if (!existsSync(paths.caffemodel) || statSync(paths.caffemodel).size !== syntheticModelSize(net)) {
    log(`writing ${paths.caffemodel} ...`);
    writeSyntheticCaffeModel(paths.caffemodel, net);
  }
  return paths;
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

async function measure(layers: number, log: Log): Promise<Record<Stage, number>> {
  const paths = files(layers, log);
  log(`${layers} layers ...`);
  let t = performance.now();
  const { net } = await readNetDefinition(paths.prototxt);
  const prototxt = seconds(t);
  t = performance.now();
  const graph = buildNetGraph(net, paths.prototxt);
  const graphSeconds = seconds(t);
  t = performance.now();
  const shapes = inferShapes(graph);
  const shapesSeconds = seconds(t);
  t = performance.now();
  const model = await readCaffeModel(paths.caffemodel);
  const caffemodel = seconds(t);
  t = performance.now();
  attachWeights(graph, shapes, model);
  const attach = seconds(t);
  if (graph.layers.length !== layers + 1 || model.layers.length !== layers + 1)
    throw new Error(`read ${graph.layers.length} prototxt and ${model.layers.length} caffemodel layers, expected ${layers + 1}`);
  return { prototxt, graph: graphSeconds, shapes: shapesSeconds, caffemodel, attach };
}

export const manyLayers: Benchmark = {
  name: 'many_layers',
  title: 'Reading a net of 10^4, 10^5 and 2·10^5 layers: prototxt, graph, shapes, caffemodel, weights (linear: ×10 for 10× the layers)',
  async run(log, options) {
    // A first small read loads the schema and warms the JIT, so the smallest size is not charged for it.
    await measure(1_000, log);
    // The best of three runs up to 10^5 layers (a shared machine's noise weighs most on the small ones), one above.
    const bySize = new Map<number, Record<Stage, number>>();
    for (const n of SIZES) {
      const runs: Record<Stage, number>[] = [];
      for (let k = 0; k < (n <= 100_000 ? 3 : 1); k++) runs.push(await measure(n, log));
      bySize.set(n, Object.fromEntries(STAGES.map((s) => [s, Math.min(...runs.map((r) => r[s]))])) as Record<Stage, number>);
    }
    const metrics: Record<string, number> = {};
    const rows: Array<[string, string]> = [];
    const [small, big] = [bySize.get(10_000)!, bySize.get(100_000)!];
    for (const stage of STAGES) {
      for (const [n, s] of bySize) metrics[`${stage}_${n}_seconds`] = s[stage];
      metrics[`${stage}_ratio_10x`] = big[stage] / small[stage];
      rows.push([
        stage,
        [...bySize].map(([n, s]) => `${n.toLocaleString('en')}: ${s[stage].toFixed(3)} s`).join(', ') + `; 10^5 / 10^4 = ${(big[stage] / small[stage]).toFixed(1)}`,
      ]);
    }
    if (!options.skipSlow) {
      const paths = files(HUGE, log, false);
      log(`reading the caffemodel of ${HUGE.toLocaleString('en')} layers ...`);
      const t = performance.now();
      const model = await readCaffeModel(paths.caffemodel);
      const huge = seconds(t);
      if (model.layers.length !== HUGE + 1) throw new Error(`read ${model.layers.length} layers, expected ${HUGE + 1}`);
      metrics[`caffemodel_${HUGE}_seconds`] = huge;
      metrics.caffemodel_ratio_100x = huge / small.caffemodel;
      rows.push([`caffemodel of ${HUGE.toLocaleString('en')} layers`, `${huge.toFixed(3)} s; 10^6 / 10^4 = ${(huge / small.caffemodel).toFixed(1)}`]);
    }
    return { metrics, rows };
  },
};
