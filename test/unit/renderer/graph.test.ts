/**
 * The graph view's logic: the boxes and blob edges built from a model summary, in-place layers
 * folded into the layer they modify, the ELK graph and its layout read back, the shape labels of
 * the edges in the current ordering, search, walking along edges, and the store that lays out each
 * model once (in the page a Web Worker runs ELK; here the same ELK runs in-process, Node having no
 * Web Workers).
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import type { KerasSideInfo, LayerCategory, LayerInfo, ModelSummary } from '../../../src/shared/api.js';
import {
  badgeLayout,
  buildGraph,
  edgeLabel,
  farPaths,
  fromElkLayout,
  graphKey,
  labelPoint,
  roundedPath,
  nodeAt,
  nodeSize,
  rowRect,
  searchLayers,
  toElkGraph,
  visibleIn,
  walk,
  type Expansion,
  type ElkGraphIn,
  type ElkGraphOut,
  type GraphLayout,
  type NetGraph,
} from '../../../src/renderer/src/lib/graph.js';

const elkInProcess = new ELK();
const layoutCalls: string[] = [];
vi.mock('../../../src/renderer/src/workers/elkLayout.js', () => ({
  layoutInWorker: async (graph: ElkGraphIn): Promise<ElkGraphOut> => {
    layoutCalls.push(graph.children.map((c) => c.id).join(','));
    return (await elkInProcess.layout(graph)) as ElkGraphOut;
  },
  warmLayoutWorker: () => undefined,
}));

const { useGraphStore } = await import('../../../src/renderer/src/stores/graph.js');
const { useModelStore } = await import('../../../src/renderer/src/stores/model.js');

// The categories and key parameters as the main side states them (src/main/layers/*: LayerDef.meta).
const CATEGORY: Record<string, LayerCategory> = {
  Input: 'data', Convolution: 'convolution', Pooling: 'pooling', InnerProduct: 'dense', ReLU: 'activation', Softmax: 'loss',
  BatchNorm: 'normalization', Scale: 'normalization', Eltwise: 'merge', Concat: 'merge',
};
const layer = (name: string, type: string, bottoms: string[], tops: string[], top_shapes: number[][], keyParams = ''): LayerInfo => ({
  name,
  type,
  bottoms,
  tops,
  top_shapes,
  blob_shapes: [],
  params: 0,
  inPlace: tops.some((t, i) => bottoms[i] === t),
  prototxt: '',
  category: CATEGORY[type] ?? 'other',
  keyParams,
});

// LeNet at batch 1, as Caffe shapes it: relu1 rewrites ip1 in place.
const LENET: Pick<ModelSummary, 'layers' | 'inputs' | 'outputs'> = {
  inputs: [{ name: 'data', shape: [1, 1, 28, 28] }],
  outputs: ['prob'],
  layers: [
    layer('data', 'Input', [], ['data'], [[1, 1, 28, 28]]),
    layer('conv1', 'Convolution', ['data'], ['conv1'], [[1, 20, 24, 24]]),
    layer('pool1', 'Pooling', ['conv1'], ['pool1'], [[1, 20, 12, 12]]),
    layer('conv2', 'Convolution', ['pool1'], ['conv2'], [[1, 50, 8, 8]], '5×5, 50'),
    layer('pool2', 'Pooling', ['conv2'], ['pool2'], [[1, 50, 4, 4]]),
    layer('ip1', 'InnerProduct', ['pool2'], ['ip1'], [[1, 500]]),
    layer('relu1', 'ReLU', ['ip1'], ['ip1'], [[1, 500]]),
    layer('ip2', 'InnerProduct', ['ip1'], ['ip2'], [[1, 10]]),
    layer('prob', 'Softmax', ['ip2'], ['prob'], [[1, 10]]),
  ],
};

// The start of a ResNet: conv -> BatchNorm -> Scale -> ReLU all on one blob, a projection branch,
// and the Eltwise sum rewritten in place by its ReLU.
const S = [1, 64, 56, 56];
const RESNET_BLOCK: Pick<ModelSummary, 'layers' | 'inputs' | 'outputs'> = {
  inputs: [{ name: 'data', shape: S }],
  outputs: ['res2a'],
  layers: [
    layer('input', 'Input', [], ['data'], [S]),
    layer('conv1', 'Convolution', ['data'], ['conv1'], [S]),
    layer('bn_conv1', 'BatchNorm', ['conv1'], ['conv1'], [S]),
    layer('scale_conv1', 'Scale', ['conv1'], ['conv1'], [S]),
    layer('conv1_relu', 'ReLU', ['conv1'], ['conv1'], [S]),
    layer('res2a_branch1', 'Convolution', ['conv1'], ['res2a_branch1'], [S]),
    layer('res2a_branch2a', 'Convolution', ['conv1'], ['res2a_branch2a'], [S]),
    layer('res2a', 'Eltwise', ['res2a_branch1', 'res2a_branch2a'], ['res2a'], [S]),
    layer('res2a_relu', 'ReLU', ['res2a'], ['res2a'], [S]),
  ],
};

// An inception-like fan-out and concat, for the layout: four branches of one blob, joined again.
const INCEPTION: Pick<ModelSummary, 'layers' | 'inputs' | 'outputs'> = {
  inputs: [{ name: 'data', shape: [1, 192, 28, 28] }],
  outputs: ['out'],
  layers: [
    layer('data', 'Input', [], ['data'], [[1, 192, 28, 28]]),
    layer('1x1', 'Convolution', ['data'], ['1x1'], [[1, 64, 28, 28]]),
    layer('relu_1x1', 'ReLU', ['1x1'], ['1x1'], [[1, 64, 28, 28]]),
    layer('3x3_reduce', 'Convolution', ['data'], ['3x3_reduce'], [[1, 96, 28, 28]]),
    layer('3x3', 'Convolution', ['3x3_reduce'], ['3x3'], [[1, 128, 28, 28]]),
    layer('5x5_reduce', 'Convolution', ['data'], ['5x5_reduce'], [[1, 16, 28, 28]]),
    layer('5x5', 'Convolution', ['5x5_reduce'], ['5x5'], [[1, 32, 28, 28]]),
    layer('pool', 'Pooling', ['data'], ['pool'], [[1, 192, 28, 28]]),
    layer('pool_proj', 'Convolution', ['pool'], ['pool_proj'], [[1, 32, 28, 28]]),
    layer('output', 'Concat', ['1x1', '3x3', '5x5', 'pool_proj'], ['out'], [[1, 256, 28, 28]]),
  ],
};

const rowsOf = (g: NetGraph): string[][] => g.nodes.map((n) => n.rows.map((r) => r.layer));
const edgeList = (g: NetGraph): string[] => g.edges.map((e) => `${e.fromLayer ?? '(input)'} -${e.blob}-> ${e.toLayer}`);

async function laidOut(summary: Pick<ModelSummary, 'layers' | 'inputs' | 'outputs'>, expansion: Expansion = new Set()): Promise<{ graph: NetGraph; layout: GraphLayout }> {
  const graph = buildGraph(summary);
  const layout = fromElkLayout(graph, (await elkInProcess.layout(toElkGraph(graph, expansion))) as ElkGraphOut, expansion);
  return { graph, layout };
}

describe('the network as a graph', () => {
  it('draws LeNet as 9 layers in 8 boxes, relu1 folded into ip1, and one edge per blob passed on', () => {
    const g = buildGraph(LENET);
    expect(g.layerCount).toBe(9);
    expect(rowsOf(g)).toEqual([['data'], ['conv1'], ['pool1'], ['conv2'], ['pool2'], ['ip1', 'relu1'], ['ip2'], ['prob']]);
    expect(g.nodes[5].rows.map((r) => r.attached)).toEqual([false, true]);
    expect(edgeList(g)).toEqual([
      'data -data-> conv1',
      'conv1 -conv1-> pool1',
      'pool1 -pool1-> conv2',
      'conv2 -conv2-> pool2',
      'pool2 -pool2-> ip1',
      'relu1 -ip1-> ip2',
      'ip2 -ip2-> prob',
    ]);
    // The edge into ip2 carries what relu1 left in ip1, and the shape ip2 read.
    expect(g.edges[5]).toMatchObject({ source: g.nodeOf.get('ip1'), target: g.nodeOf.get('ip2'), shape: [1, 500] });
  });

  it('marks the data layer and the layer writing the net output, and takes category and key parameters from the summary', () => {
    const rows = buildGraph(LENET).nodes.flatMap((n) => n.rows);
    expect(rows.filter((r) => r.data).map((r) => r.layer)).toEqual(['data']);
    expect(rows.filter((r) => r.outputs.length > 0).map((r) => [r.layer, r.outputs])).toEqual([['prob', ['prob']]]);
    expect(rows.find((r) => r.layer === 'conv2')).toMatchObject({ caffeShapes: '1×50×8×8', category: 'convolution', keyParams: '5×5, 50' });
  });

  it('colours a layer of a summary without a category as other, rather than guessing from its type', () => {
    const { category: _c, keyParams: _k, ...bare } = layer('conv', 'Convolution', ['data'], ['conv'], [[1, 4, 8, 8]]);
    const g = buildGraph({ inputs: [{ name: 'data', shape: [1, 3, 8, 8] }], outputs: ['conv'], layers: [bare as LayerInfo] });
    expect(g.nodes[1]).toMatchObject({ category: 'other', rows: [{ category: 'other', keyParams: '' }] });
  });

  it('attaches a chain of in-place layers (BatchNorm, Scale, ReLU) to the convolution they modify', () => {
    const g = buildGraph(RESNET_BLOCK);
    expect(rowsOf(g)).toEqual([['input'], ['conv1', 'bn_conv1', 'scale_conv1', 'conv1_relu'], ['res2a_branch1'], ['res2a_branch2a'], ['res2a', 'res2a_relu']]);
    expect(edgeList(g)).toEqual([
      'input -data-> conv1',
      'conv1_relu -conv1-> res2a_branch1',
      'conv1_relu -conv1-> res2a_branch2a',
      'res2a_branch1 -res2a_branch1-> res2a',
      'res2a_branch2a -res2a_branch2a-> res2a',
    ]);
    // The net output is what the ReLU wrote last, so the ReLU's row carries the mark.
    expect(g.nodes[4].rows.map((r) => r.outputs)).toEqual([[], ['res2a']]);
    // Folded, the box has one line of badges under the head; expanded, one short row per in-place layer.
    expect(nodeSize(g.nodes[1], false).height).toBe(42 + 20);
    expect(nodeSize(g.nodes[1], true).height).toBe(42 + 3 * 22);
    expect(badgeLayout(g.nodes[1], nodeSize(g.nodes[1], false).width).map((b) => b.row.layer)).toEqual(['bn_conv1', 'scale_conv1', 'conv1_relu']);
  });

  it('leaves an in-place layer standing alone where another layer reads the blob before it rewrites it', () => {
    const g = buildGraph({
      inputs: [{ name: 'data', shape: [1, 3, 8, 8] }],
      outputs: ['after', 'before'],
      layers: [
        layer('data', 'Input', [], ['data'], [[1, 3, 8, 8]]),
        layer('conv', 'Convolution', ['data'], ['conv'], [[1, 4, 8, 8]]),
        layer('before', 'Pooling', ['conv'], ['before'], [[1, 4, 4, 4]]),
        layer('relu', 'ReLU', ['conv'], ['conv'], [[1, 4, 8, 8]]),
        layer('after', 'Pooling', ['conv'], ['after'], [[1, 4, 4, 4]]),
      ],
    });
    expect(rowsOf(g)).toEqual([['data'], ['conv'], ['before'], ['relu'], ['after']]);
    // `before` saw the convolution's output, `after` the rectified one: both edges say so.
    expect(edgeList(g)).toEqual(['data -data-> conv', 'conv -conv-> before', 'conv -conv-> relu', 'relu -conv-> after']);
  });

  it('gives a net input without a data layer, and a bottom nothing writes, boxes of their own', () => {
    const g = buildGraph({
      inputs: [{ name: 'data', shape: [1, 3, 8, 8] }],
      outputs: ['sum'],
      layers: [layer('sum', 'Eltwise', ['data', 'ghost'], ['sum'], [[1, 3, 8, 8]])],
    });
    expect(g.nodes.map((n) => [n.kind, n.blob ?? n.rows[0].layer])).toEqual([
      ['input', 'data'],
      ['missing', 'ghost'],
      ['layers', 'sum'],
    ]);
    expect(edgeList(g)).toEqual(['(input) -data-> sum', '(input) -ghost-> sum']);
  });

  it('keys a layout by what is drawn, so reopening a prototxt (with or without weights) reuses it', () => {
    const again = { ...LENET, id: 'another-session', caffemodel: '/m/lenet.caffemodel' };
    expect(graphKey(again)).toBe(graphKey(LENET));
    const batch64 = { ...LENET, layers: LENET.layers.map((l) => ({ ...l, top_shapes: l.top_shapes.map((s) => [64, ...(s ?? []).slice(1)]) })) };
    expect(graphKey(batch64)).not.toBe(graphKey(LENET));
  });
});

describe('the layout', () => {
  it('lays LeNet out top-down: every edge runs from the bottom of one box down to the top of the next', async () => {
    const { graph, layout } = await laidOut(LENET);
    for (const e of graph.edges) {
      const from = layout.nodes[e.source];
      const to = layout.nodes[e.target];
      const points = layout.edges[e.id].points;
      expect(to.y).toBeGreaterThan(from.y + from.height);
      expect(points[0].y).toBeCloseTo(from.y + from.height, 0);
      expect(points[points.length - 1].y).toBeCloseTo(to.y, 0);
    }
    expect(layout.width).toBeGreaterThan(0);
    expect(layout.height).toBeGreaterThan(8 * 42);
  });

  it('puts the four branches of an inception block side by side, with no boxes overlapping', async () => {
    const { graph, layout } = await laidOut(INCEPTION);
    const boxes = graph.nodes.map((n) => layout.nodes[n.id]);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart, `${graph.nodes[i].id} and ${graph.nodes[j].id} overlap`).toBe(true);
      }
    }
    const firstOfBranch = ['1x1', '3x3_reduce', '5x5_reduce', 'pool'].map((name) => layout.nodes[graph.nodeOf.get(name) ?? '']);
    expect(new Set(firstOfBranch.map((b) => b.y)).size).toBe(1);
    expect(new Set(firstOfBranch.map((b) => b.x)).size).toBe(4);
  });

  it('finds each row’s box inside its node: expanded, the in-place rows below their host; folded, the whole box', async () => {
    const expanded = await laidOut(LENET, 'all');
    const ip1 = rowRect(expanded.graph, expanded.layout, 'ip1');
    const relu1 = rowRect(expanded.graph, expanded.layout, 'relu1');
    expect(relu1).toEqual({ x: ip1?.x, y: (ip1?.y ?? 0) + 42, width: ip1?.width, height: 22 });
    expect(rowRect(expanded.graph, expanded.layout, 'nonexistent')).toBeNull();
    const folded = await laidOut(LENET);
    expect(rowRect(folded.graph, folded.layout, 'relu1')).toEqual(folded.layout.nodes[folded.graph.nodeOf.get('ip1') ?? '']);
  });

  it('draws an edge ELK did not route as a straight line between the boxes', () => {
    const graph = buildGraph(INCEPTION);
    const elk = toElkGraph(graph);
    const layout = fromElkLayout(graph, { children: elk.children.map((c, i) => ({ ...c, x: i * 300, y: 10 })), edges: [] });
    const intoPool = graph.edges.find((e) => e.toLayer === 'pool');
    if (!intoPool) throw new Error('no edge into pool');
    const [from, to] = [layout.nodes[intoPool.source], layout.nodes[intoPool.target]];
    expect(layout.edges[intoPool.id].points).toEqual([
      { x: from.x + from.width / 2, y: from.y + from.height },
      { x: to.x + to.width / 2, y: to.y },
    ]);
  });

  it('hands ELK a run of boxes that only feed each other as one column: LeNet, data to prob, is one', async () => {
    const graph = buildGraph(LENET);
    const elk = toElkGraph(graph);
    expect(elk.children).toHaveLength(1);
    expect(elk.edges).toEqual([]);
    const { layout } = await laidOut(LENET);
    const boxes = graph.nodes.map((n) => layout.nodes[n.id]);
    // One width (the widest box's), one x, and ELK's 40 between ranks from each box to the next.
    expect(new Set(boxes.map((b) => b.width)).size).toBe(1);
    expect(boxes[0].width).toBe(Math.max(...graph.nodes.map((n) => nodeSize(n, false).width)));
    expect(new Set(boxes.map((b) => b.x)).size).toBe(1);
    for (let i = 1; i < boxes.length; i++) expect(boxes[i].y - (boxes[i - 1].y + boxes[i - 1].height)).toBe(40);
    for (const e of graph.edges) expect(new Set(layout.edges[e.id].points.map((p) => p.x)).size).toBe(1);
  });

  it('ends a column where a box feeds two or reads two: an inception block keeps its fan-out, its branches and its concat apart', () => {
    const graph = buildGraph(INCEPTION);
    const name = (id: string): string => graph.byId.get(id)?.rows[0]?.layer ?? id;
    const elk = toElkGraph(graph);
    expect(elk.children.filter((c) => !c.id.startsWith('column:')).map((c) => name(c.id))).toEqual(['data', '1x1', 'output']);
    const columnHeads = elk.children.filter((c) => c.id.startsWith('column:')).map((c) => name(c.id.slice('column:'.length)));
    expect(columnHeads).toEqual(['3x3_reduce', '5x5_reduce', 'pool']);
    // The edges left to ELK: data into the four branches, the four branches into the concat.
    expect(elk.edges).toHaveLength(8);
  });

  it('labels an edge in the middle of its longest vertical stretch', () => {
    expect(labelPoint([{ x: 0, y: 0 }, { x: 0, y: 10 }, { x: 50, y: 10 }, { x: 50, y: 90 }])).toEqual({ x: 50, y: 50 });
  });

  it('rounds the corners of an orthogonal route, never by more than half a leg', () => {
    expect(roundedPath([{ x: 0, y: 0 }, { x: 0, y: 20 }, { x: 4, y: 20 }], 6)).toBe('M0,0L0,18Q0,20 2,20L4,20');
    expect(roundedPath([{ x: 0, y: 0 }, { x: 0, y: 30 }])).toBe('M0,0L0,30');
  });
});

const converted = (kerasShape: number[]): KerasSideInfo => ({ status: 'converted', layers: [], tops: [{ blob: 'b', caffeShape: [], kerasShape, matches: true }] });

describe('what the graph says about each edge and where the view goes', () => {
  it('labels an edge with the blob’s Keras shape in the current ordering, from the layer that wrote it', () => {
    const g = buildGraph(LENET);
    const intoPool2 = g.edges.find((e) => e.toLayer === 'pool2');
    if (!intoPool2) throw new Error('no edge into pool2');
    expect(edgeLabel(intoPool2, converted([1, 8, 8, 50]))).toEqual({ text: '1×8×8×50', caffe: false });
    expect(edgeLabel(intoPool2, converted([1, 50, 8, 8]))).toEqual({ text: '1×50×8×8', caffe: false });
  });

  it('falls back to the Caffe shape, said to be Caffe’s, while the Keras view loads or where the layer failed', () => {
    const intoPool2 = buildGraph(LENET).edges.find((e) => e.toLayer === 'pool2');
    if (!intoPool2) throw new Error('no edge into pool2');
    expect(edgeLabel(intoPool2, null)).toEqual({ text: '1×50×8×8', caffe: true });
    expect(edgeLabel(intoPool2, { status: 'failed', reason: 'no Keras mapping', layers: [], tops: [] })).toEqual({ text: '1×50×8×8', caffe: true });
  });

  it('finds layers by name or type, any case, in the network’s order, folded ones included', () => {
    const g = buildGraph(RESNET_BLOCK);
    expect(searchLayers(g, 'relu')).toEqual(['conv1_relu', 'res2a_relu']);
    expect(searchLayers(g, 'CONVOLUTION')).toEqual(['conv1', 'res2a_branch1', 'res2a_branch2a']);
    expect(searchLayers(g, '  ')).toEqual([]);
  });

  it('walks down to the first consumer, up to the producer, and sideways between branches of one producer', async () => {
    const { graph, layout } = await laidOut(INCEPTION);
    expect(walk(graph, layout, 'data', 'down')).toBe('1x1');
    expect(walk(graph, layout, '3x3', 'up')).toBe('3x3_reduce');
    expect(walk(graph, layout, '1x1', 'right')).toBe('3x3_reduce');
    expect(walk(graph, layout, '3x3_reduce', 'left')).toBe('1x1');
    expect(walk(graph, layout, 'pool', 'right')).toBeNull();
    expect(walk(graph, layout, 'output', 'down')).toBeNull();
  });

  it('steps through the rows of an expanded node before leaving it', async () => {
    const { graph, layout } = await laidOut(RESNET_BLOCK, 'all');
    expect(walk(graph, layout, 'conv1', 'down')).toBe('bn_conv1');
    expect(walk(graph, layout, 'conv1_relu', 'down')).toBe('res2a_branch1');
    expect(walk(graph, layout, 'res2a_branch1', 'up')).toBe('conv1_relu');
    const folded = await laidOut(RESNET_BLOCK);
    expect(walk(folded.graph, folded.layout, 'res2a_branch1', 'up')).toBe('conv1');
  });

  it('draws near only what touches the window, and finds the box under a point far out', async () => {
    const { graph, layout } = await laidOut(LENET);
    const conv2 = layout.nodes[graph.nodeOf.get('conv2') ?? ''];
    const seen = visibleIn(graph, layout, { x: conv2.x, y: conv2.y + 5, width: 5, height: 5 });
    expect(seen.nodes.map((n) => n.rows[0].layer)).toEqual(['conv2']);
    expect(seen.edges.length).toBeLessThan(graph.edges.length);
    expect(nodeAt(graph, layout, { x: conv2.x + 3, y: conv2.y + 3 })?.rows[0].layer).toBe('conv2');
    expect(nodeAt(graph, layout, { x: -100, y: -100 })).toBeNull();
  });

  it('draws the far-out picture as one path for the edges and one per category for the boxes', async () => {
    const { graph, layout } = await laidOut(LENET);
    const far = farPaths(graph, layout);
    expect(far.boxes.map((b) => b.category).sort()).toEqual(['convolution', 'data', 'dense', 'loss', 'pooling']);
    expect(far.boxes.find((b) => b.category === 'convolution')?.d.match(/z/g)).toHaveLength(2);
    expect(far.edges.match(/M/g)).toHaveLength(graph.edges.length);
  });
});

describe('the graph store', () => {
  const summary = (id: string, over: Partial<ModelSummary> = {}): ModelSummary => ({
    id,
    name: 'LeNet',
    prototxt: '/m/lenet/deploy.prototxt',
    prototxtFormat: 'V2',
    totalParams: 0,
    state: { phase: 'TEST', level: 0, stages: [], excluded: [] },
    notes: [],
    ...LENET,
    ...over,
  });
  const resnet = { layers: RESNET_BLOCK.layers, inputs: RESNET_BLOCK.inputs, outputs: RESNET_BLOCK.outputs };

  beforeEach(() => {
    setActivePinia(createPinia());
    layoutCalls.length = 0;
  });

  async function settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    await nextTick();
  }

  it('lays out nothing until a graph view is showing', async () => {
    const model = useModelStore();
    const graph = useGraphStore();
    model.summary = summary('s1');
    await settle();
    expect(layoutCalls).toEqual([]);
    graph.attach();
    await settle();
    expect(layoutCalls).toHaveLength(1);
    expect(graph.ready).toBe(true);
    expect(graph.layout?.nodes[graph.graph?.nodeOf.get('conv2') ?? '']).toBeDefined();
  });

  it('lays out each model once: back and forth between two models, or reopening one, uses the cache', async () => {
    const model = useModelStore();
    const graph = useGraphStore();
    const detach = graph.attach();
    model.summary = summary('s1');
    await settle();
    model.summary = summary('s2', resnet);
    await settle();
    expect(graph.graph?.nodeOf.has('bn_conv1')).toBe(true);
    expect(graph.ready).toBe(true);
    // The same prototxt opened again gets a new session id: same drawing, same layout.
    model.summary = summary('s3');
    await settle();
    detach();
    graph.attach();
    await settle();
    expect(layoutCalls).toHaveLength(2);
    expect(graph.ready).toBe(true);
  });

  it('lays a model out again when a node or all of them are expanded, and reuses the folded layout when folded back', async () => {
    const model = useModelStore();
    const graph = useGraphStore();
    graph.attach();
    model.summary = summary('s1', resnet);
    await settle();
    const conv1 = graph.graph?.nodeOf.get('conv1') ?? '';
    const folded = graph.layout?.nodes[conv1].height;
    graph.toggleNode(conv1);
    await settle();
    expect(graph.layout?.nodes[conv1].height).toBe(42 + 3 * 22);
    graph.setAllExpanded(true);
    await settle();
    expect(graph.allExpanded).toBe(true);
    graph.setAllExpanded(false);
    await settle();
    expect(graph.layout?.nodes[conv1].height).toBe(folded);
    expect(layoutCalls).toHaveLength(3);
  });

  it('remembers the pan and zoom each model was left at', async () => {
    const model = useModelStore();
    const graph = useGraphStore();
    graph.attach();
    model.summary = summary('s1');
    await settle();
    graph.saveViewport({ x: 5, y: 6, k: 0.5 });
    model.summary = summary('s2', resnet);
    await settle();
    expect(graph.savedViewport()).toBeUndefined();
    model.summary = summary('s1');
    await settle();
    expect(graph.savedViewport()).toEqual({ x: 5, y: 6, k: 0.5 });
  });

  it('cycles through the search matches, wrapping at either end', async () => {
    const model = useModelStore();
    const graph = useGraphStore();
    model.summary = summary('s1', resnet);
    graph.query = 'branch';
    expect(graph.matches).toEqual(['res2a_branch1', 'res2a_branch2a']);
    expect(graph.currentMatch).toBe('res2a_branch1');
    graph.nextMatch();
    expect(graph.currentMatch).toBe('res2a_branch2a');
    graph.nextMatch();
    expect(graph.currentMatch).toBe('res2a_branch1');
    graph.nextMatch(-1);
    expect(graph.currentMatch).toBe('res2a_branch2a');
  });
});
