/**
 * The network as a graph to draw: one box per Caffe layer, one edge per blob passed from layer to
 * layer, the ELK graph that lays it out (and back), and the queries the view asks of it (search,
 * walking along edges, what lies in a window, what is under the pointer). Pure, so it is tested
 * without a page (test/unit/renderer/graph.test.ts); ELK itself runs in workers/elkLayout.ts.
 *
 * Caffe facts come from the model summary as the main side states them (LayerInfo.category and
 * keyParams, from each layer type's file in src/main/layers/); nothing here knows a layer type.
 *
 * In-place layers (ReLU, BatchNorm, Scale, Dropout writing their top over their bottom) fold into
 * the layer whose output they modify: one ELK node holds the producer and its chain of in-place
 * layers, drawn as badges, or as rows of their own once expanded. A layer folds only where nothing
 * else reads the blob before it rewrites it; otherwise it stands alone, so every edge still says
 * which version of the blob a reader saw (as Caffe's inserted Split layers would).
 */
import type { KerasSideInfo, LayerCategory, ModelSummary } from '../../../shared/api.js';
import { formatShape } from './format.js';

type SummaryPart = Pick<ModelSummary, 'layers' | 'inputs' | 'outputs'>;

/** One layer as a row of a node box (the head) or one of its folded in-place layers. */
export interface GraphRow {
  layer: string;
  /** Position in the network's layer order. */
  index: number;
  type: string;
  /** As the main side states it; 'other' while a summary without one is shown. */
  category: LayerCategory;
  /** Kernel/stride, num_output … in a few words, as the main side writes them ('' when none). */
  keyParams: string;
  /** The Caffe shapes of its tops, N×C×H×W, joined (for tooltips). */
  caffeShapes: string;
  /** Folded into the row above: writes its top over that row's output. */
  attached: boolean;
  /** A data layer (Input, Data …) producing a net input. */
  data: boolean;
  /** Net outputs whose final value this layer writes. */
  outputs: string[];
}

/** One box: a layer and the in-place layers folded into it, or a blob no layer produces. */
export interface GraphNode {
  id: string;
  kind: 'layers' | 'input' | 'missing';
  /** The head row first, then its folded in-place layers in the order they run. */
  rows: GraphRow[];
  /** For 'input' and 'missing' nodes: the blob and its shape where known. */
  blob?: string;
  shape?: number[];
  /** Category of the head row ('data' for an input blob), for the colour. */
  category: LayerCategory;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  blob: string;
  /** The blob's Caffe shape as the reader saw it. */
  shape?: number[];
  /** The layer that wrote this version of the blob (absent for a net input without a layer). */
  fromLayer?: string;
  /** Which of fromLayer's tops this is. */
  topIndex: number;
  toLayer: string;
}

export interface NetGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Layer name -> the node drawing it. */
  nodeOf: Map<string, string>;
  /** Node id -> the node. */
  byId: Map<string, GraphNode>;
  layerCount: number;
}

/** Row and box metrics, shared by the size estimate here and the SVG that draws it. */
export const METRICS = {
  headHeight: 42,
  /** The line of badges under the head of a folded node. */
  badgeLine: 20,
  badgeHeight: 15,
  badgeGap: 4,
  attachedHeight: 22,
  inputHeight: 34,
  minWidth: 132,
  maxWidth: 300,
  padX: 10,
  /** Average advance of the 11.5px monospace font and the 11px sans font, per character. */
  nameChar: 7,
  smallChar: 6.3,
  badgeChar: 5.9,
  /** Room for a tag ("input", "output") and the fold toggle on the head row. */
  tagWidth: 46,
  toggleWidth: 18,
} as const;

/** Cuts text to `max` characters with an ellipsis, for labels in fixed-width boxes. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

/** Characters of a layer name that fit in a box of the widest size. */
export const MAX_NAME_CHARS = Math.floor((METRICS.maxWidth - 2 * METRICS.padX - METRICS.tagWidth) / METRICS.nameChar);
export const MAX_SMALL_CHARS = Math.floor((METRICS.maxWidth - 2 * METRICS.padX) / METRICS.smallChar);

/** The second line of a head row: its type and key parameters. */
export const detailOf = (row: GraphRow): string => (row.keyParams ? `${row.type}  ${row.keyParams}` : row.type);

export const badgeWidth = (row: GraphRow): number => Math.round(row.type.length * METRICS.badgeChar + 12);

/** Whether a node shows its folded layers as rows (expanded) or as badges. */
export type Expansion = 'all' | ReadonlySet<string>;
export const isExpanded = (expansion: Expansion, nodeId: string): boolean => expansion === 'all' || expansion.has(nodeId);

/** The badges of a folded node, with their x offsets; those beyond the box's width are counted in `more`. */
export function badgeLayout(node: GraphNode, width: number): { row: GraphRow; x: number; width: number }[] {
  const out: { row: GraphRow; x: number; width: number }[] = [];
  let x = METRICS.padX + 2;
  for (const row of node.rows.slice(1)) {
    const w = badgeWidth(row);
    out.push({ row, x, width: w });
    x += w + METRICS.badgeGap;
  }
  // Too many to fit: squeeze them evenly (each still clickable, names in their tooltips).
  const room = width - METRICS.padX - 2 - METRICS.padX;
  const used = x - METRICS.badgeGap - METRICS.padX - 2;
  if (used > room && out.length > 0) {
    const each = (room - METRICS.badgeGap * (out.length - 1)) / out.length;
    out.forEach((b, i) => {
      b.width = Math.max(8, each);
      b.x = METRICS.padX + 2 + i * (b.width + METRICS.badgeGap);
    });
  }
  return out;
}

/** The size of a node's box, folded or expanded. */
export function nodeSize(node: GraphNode, expanded: boolean): { width: number; height: number } {
  if (node.kind !== 'layers') {
    const chars = (node.blob ?? '').length + (node.shape ? formatShape(node.shape).length + 2 : 0);
    return { width: Math.round(Math.min(METRICS.maxWidth, Math.max(METRICS.minWidth / 1.4, chars * METRICS.smallChar + 2 * METRICS.padX))), height: METRICS.inputHeight };
  }
  const [head, ...folded] = node.rows;
  const tag = head.data || head.outputs.length > 0 ? METRICS.tagWidth : 0;
  const toggle = folded.length > 0 ? METRICS.toggleWidth : 0;
  let want = Math.max(Math.min(head.layer.length, MAX_NAME_CHARS) * METRICS.nameChar + tag + toggle, Math.min(detailOf(head).length, MAX_SMALL_CHARS) * METRICS.smallChar);
  if (expanded) {
    for (const row of folded) want = Math.max(want, Math.min(row.layer.length + row.type.length + 4, MAX_SMALL_CHARS) * METRICS.smallChar + (row.outputs.length > 0 ? METRICS.tagWidth : 0));
  } else if (folded.length > 0) {
    want = Math.max(want, folded.reduce((w, r) => w + badgeWidth(r) + METRICS.badgeGap, -METRICS.badgeGap));
  }
  const width = Math.round(Math.min(METRICS.maxWidth, Math.max(METRICS.minWidth, want + 2 * METRICS.padX)));
  const height = METRICS.headHeight + (folded.length === 0 ? 0 : expanded ? folded.length * METRICS.attachedHeight : METRICS.badgeLine);
  return { width, height };
}

/** Each row's offset from the top of its node when expanded. */
export function rowOffsets(node: GraphNode): number[] {
  return node.rows.map((_, i) => (i === 0 ? 0 : METRICS.headHeight + (i - 1) * METRICS.attachedHeight));
}

/**
 * Builds the graph of a model: nodes (layers with their folded in-place layers, plus a node for
 * each blob read but written by no layer) and one edge per blob from the node that wrote the
 * version read to each node that reads it.
 */
export function buildGraph(summary: SummaryPart): NetGraph {
  const { layers } = summary;
  const inputNames = new Set(summary.inputs.map((i) => i.name));
  const inputShape = new Map(summary.inputs.map((i) => [i.name, i.shape]));

  // Blob versions: each write makes a new one; each read names the one current at the time.
  interface Version { blob: string; writer: number | null; topIndex: number; shape?: number[]; readers: number[] }
  const versions: Version[] = [];
  const current = new Map<string, number>();
  const reads: number[][] = layers.map(() => []);
  const versionOf = (blob: string): number => {
    let v = current.get(blob);
    if (v === undefined) {
      v = versions.push({ blob, writer: null, topIndex: 0, shape: inputShape.get(blob) ?? undefined, readers: [] }) - 1;
      current.set(blob, v);
    }
    return v;
  };
  layers.forEach((layer, index) => {
    for (const bottom of layer.bottoms) {
      const v = versionOf(bottom);
      versions[v].readers.push(index);
      reads[index].push(v);
    }
    layer.tops.forEach((top, i) => {
      current.set(top, versions.push({ blob: top, writer: index, topIndex: i, shape: layer.top_shapes[i] ?? undefined, readers: [] }) - 1);
    });
  });
  const finalWriter = new Map<string, number>();
  for (const output of summary.outputs) {
    const v = current.get(output);
    const writer = v === undefined ? null : versions[v].writer;
    if (writer !== null) finalWriter.set(output, writer);
  }

  // Which node draws each layer: its own, or its host's when it folds.
  const host: number[] = layers.map((_, i) => i);
  const attached: boolean[] = layers.map(() => false);
  layers.forEach((layer, index) => {
    const { bottoms, tops } = layer;
    if (tops.length === 0 || tops.some((t, i) => bottoms[i] !== t)) return;
    const sources = tops.map((_, i) => versions[reads[index][i]]);
    const writer = sources[0].writer;
    if (writer === null || writer === index) return;
    const sole = sources.every((v) => v.writer !== null && host[v.writer] === host[writer] && v.readers.length === 1 && v.readers[0] === index);
    if (!sole) return;
    host[index] = host[writer];
    attached[index] = true;
  });

  const nodes: GraphNode[] = [];
  const nodeOf = new Map<string, string>();
  const byId = new Map<string, GraphNode>();
  const nodeIdOfLayer = (index: number): string => `L${host[index]}`;
  layers.forEach((layer, index) => {
    const category: LayerCategory = layer.category ?? 'other';
    const row: GraphRow = {
      layer: layer.name,
      index,
      type: layer.type,
      category,
      keyParams: layer.keyParams ?? '',
      caffeShapes: layer.top_shapes.map((s) => formatShape(s)).join(' · '),
      attached: attached[index],
      data: layer.bottoms.length === 0 && (layer.tops.some((t) => inputNames.has(t)) || category === 'data'),
      outputs: summary.outputs.filter((o) => finalWriter.get(o) === index),
    };
    const id = nodeIdOfLayer(index);
    nodeOf.set(layer.name, id);
    const node = byId.get(id);
    if (node) node.rows.push(row);
    else {
      const created: GraphNode = { id, kind: 'layers', rows: [row], category };
      byId.set(id, created);
      nodes.push(created);
    }
  });

  // A blob read before any layer wrote it: a net input declared without a layer, or a dangling bottom.
  const blobNodes: GraphNode[] = [];
  versions.forEach((v, i) => {
    if (v.writer !== null || v.readers.length === 0) return;
    const node: GraphNode = { id: `B${i}`, kind: inputNames.has(v.blob) ? 'input' : 'missing', rows: [], blob: v.blob, shape: v.shape, category: 'data' };
    byId.set(node.id, node);
    blobNodes.push(node);
  });
  nodes.unshift(...blobNodes);

  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  layers.forEach((layer, index) => {
    const target = nodeIdOfLayer(index);
    for (const v of reads[index]) {
      const version = versions[v];
      const source = version.writer === null ? `B${v}` : nodeIdOfLayer(version.writer);
      if (source === target) continue;
      const id = `${source}>${target}:${version.blob}`;
      if (seen.has(id)) continue;
      seen.add(id);
      edges.push({
        id,
        source,
        target,
        blob: version.blob,
        shape: version.shape,
        fromLayer: version.writer === null ? undefined : layers[version.writer].name,
        topIndex: version.topIndex,
        toLayer: layer.name,
      });
    }
  });

  return { nodes, edges, nodeOf, byId, layerCount: layers.length };
}

/**
 * A key that is equal for models drawn the same (names, types, wiring, key parameters), so a
 * layout is reused when the same prototxt is opened again, with or without weights.
 */
export function graphKey(summary: SummaryPart): string {
  const parts = summary.layers.map((l) => `${l.name}\u0001${l.type}\u0001${l.bottoms.join('\u0002')}\u0001${l.tops.join('\u0002')}\u0001${l.keyParams ?? ''}\u0001${l.top_shapes.map((s) => s?.join('x') ?? '?').join('\u0002')}`);
  const text = `${summary.inputs.map((i) => i.name).join(',')}|${summary.outputs.join(',')}|${parts.join('\u0003')}`;
  // FNV-1a, twice over with different seeds: short keys, collisions out of reach for a handful of models.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return `${summary.layers.length}:${(a >>> 0).toString(36)}${(b >>> 0).toString(36)}`;
}

/** The part of a layout key that says which nodes were expanded. */
export const expansionKey = (expansion: Expansion): string => (expansion === 'all' ? 'all' : [...expansion].sort().join(','));

// --- What an edge says: the blob's shape in the current ordering ---------------------------------

export interface EdgeLabel {
  text: string;
  /** The Caffe N×C×H×W shape, shown while the Keras view loads or where the writer did not convert. */
  caffe: boolean;
}

export function edgeLabel(edge: GraphEdge, side: KerasSideInfo | null): EdgeLabel {
  const keras = side && side.status === 'converted' ? side.tops[edge.topIndex]?.kerasShape : undefined;
  if (keras) return { text: formatShape(keras), caffe: false };
  return { text: edge.shape ? formatShape(edge.shape) : edge.blob, caffe: edge.shape !== undefined };
}

// --- Layout (ELK) -------------------------------------------------------------------------------

export interface Point {
  x: number;
  y: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphLayout {
  width: number;
  height: number;
  /** Which nodes this layout drew expanded (their boxes are sized for it). */
  expansion: Expansion;
  /** Node id -> its box (top-left corner). */
  nodes: Record<string, Rect>;
  /** Edge id -> its route, from the source's bottom to the target's top, where its label goes, and its bounds. */
  edges: Record<string, { points: Point[]; label: Point; bounds: Rect }>;
}

/** The subset of ELK's JSON graph this module writes and reads (elkjs' ElkNode). */
export interface ElkGraphIn {
  id: string;
  layoutOptions: Record<string, string>;
  children: { id: string; width: number; height: number; layoutOptions?: Record<string, string> }[];
  edges: { id: string; sources: string[]; targets: string[] }[];
}

export interface ElkGraphOut {
  width?: number;
  height?: number;
  children?: { id: string; x?: number; y?: number; width?: number; height?: number }[];
  edges?: { id: string; sections?: { startPoint: Point; endPoint: Point; bendPoints?: Point[] }[] }[];
}

/** ELK's gap between ranks, and between the boxes of a column (columnsOf). */
const LAYER_GAP = 40;

/** Layered (Sugiyama) top-down, orthogonal edges, keeping the prototxt's order where it can. */
export const ELK_OPTIONS: Readonly<Record<string, string>> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  // A layer sits right below the last of its inputs: the branches of an inception block start level.
  'elk.layered.layering.strategy': 'LONGEST_PATH_SOURCE',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.nodePlacement.bk.fixedAlignment': 'BALANCED',
  // Room between ranks for a shape label on each edge (placed by the view, so the ordering switch never re-lays out).
  'elk.layered.spacing.nodeNodeBetweenLayers': String(LAYER_GAP),
  'elk.layered.spacing.edgeNodeBetweenLayers': '18',
  'elk.spacing.nodeNode': '24',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeEdge': '8',
  'elk.padding': '[top=20,left=20,bottom=20,right=20]',
  'elk.separateConnectedComponents': 'false',
  // The boxes have fixed sizes and no ports or labels of ELK's: its node micro layout (a third of the time) has nothing to do.
  'elk.omitNodeMicroLayout': 'true',
};

/**
 * A run of boxes each of which feeds only the next, which reads only it (VGG is one run from data to
 * prob, a ResNet block's branch2a, 2b, 2c another), drawn as one column: ELK lays the column out as one
 * tall box, and the boxes are stacked inside it at ELK's gap between layers, as ELK would have
 * placed them. ELK's time grows with its boxes and edges; ResNet-152's 210 boxes and 259 edges become
 * 105 and 154, which halves the layout. Every box of a column takes its width, so an edge ELK routes
 * to the column's top or from its bottom always meets the box there.
 */
export interface Column {
  /** The ELK node: a lone box's own id, or `column:` and its first box's. */
  id: string;
  /** Node ids, top to bottom. */
  members: string[];
}

export function columnsOf(graph: NetGraph): { columns: Column[]; columnOf: Map<string, string> } {
  const outgoing = new Map<string, GraphEdge[]>();
  const incoming = new Map<string, number>();
  for (const e of graph.edges) {
    const out = outgoing.get(e.source);
    if (out) out.push(e);
    else outgoing.set(e.source, [e]);
    incoming.set(e.target, (incoming.get(e.target) ?? 0) + 1);
  }
  // Only layer boxes join a column: a net input's pill keeps its own width.
  const stacks = (id: string): boolean => graph.byId.get(id)?.kind === 'layers';
  const below = (id: string): string | null => {
    const out = outgoing.get(id);
    if (!out || out.length !== 1) return null;
    const next = out[0].target;
    return next !== id && incoming.get(next) === 1 && stacks(id) && stacks(next) ? next : null;
  };
  const continues = new Set<string>();
  for (const n of graph.nodes) {
    const next = below(n.id);
    if (next !== null) continues.add(next);
  }
  const columns: Column[] = [];
  const columnOf = new Map<string, string>();
  const place = (members: string[]): void => {
    const id = members.length > 1 ? `column:${members[0]}` : members[0];
    columns.push({ id, members });
    for (const m of members) columnOf.set(m, id);
  };
  for (const n of graph.nodes) {
    if (continues.has(n.id)) continue;
    const members = [n.id];
    for (let next = below(n.id); next !== null && !columnOf.has(next) && next !== n.id; next = below(next)) members.push(next);
    place(members);
  }
  // A box whose run loops back on itself has no head (a net is acyclic, but the summary comes from outside): a column of its own.
  for (const n of graph.nodes) if (!columnOf.has(n.id)) place([n.id]);
  return { columns, columnOf };
}

export function toElkGraph(graph: NetGraph, expansion: Expansion = new Set()): ElkGraphIn {
  const { columns, columnOf } = columnsOf(graph);
  const size = (id: string) => nodeSize(graph.byId.get(id) as GraphNode, isExpanded(expansion, id));
  return {
    id: 'root',
    layoutOptions: { ...ELK_OPTIONS },
    // Boxes of one rank share their top edge (a box with folded layers grows downwards only).
    children: columns.map((c) => {
      const sizes = c.members.map(size);
      return {
        id: c.id,
        width: Math.max(...sizes.map((b) => b.width)),
        height: sizes.reduce((h, b) => h + b.height, LAYER_GAP * (sizes.length - 1)),
        layoutOptions: { 'elk.alignment': 'TOP' },
      };
    }),
    edges: graph.edges
      .filter((e) => columnOf.get(e.source) !== columnOf.get(e.target))
      .map((e) => ({ id: e.id, sources: [columnOf.get(e.source) as string], targets: [columnOf.get(e.target) as string] })),
  };
}

/** Where on a route its label sits: the middle of its longest vertical stretch (or of the route). */
export function labelPoint(points: readonly Point[]): Point {
  if (points.length === 0) return { x: 0, y: 0 };
  let best: Point = points[0];
  let bestLength = -1;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    const length = Math.abs(b.y - a.y) + 0.5 * Math.abs(b.x - a.x);
    if (length > bestLength) {
      bestLength = length;
      best = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    }
  }
  return best;
}

function boundsOf(points: readonly Point[]): Rect {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of points) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x);
    y1 = Math.max(y1, p.y);
  }
  return points.length === 0 ? { x: 0, y: 0, width: 0, height: 0 } : { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * ELK's answer as a layout: each column's boxes stacked where ELK put the column, the edges within a
 * column straight down, the others as ELK routed them. An edge ELK did not route (which it always
 * does for a flat graph, but the answer comes from a worker) gets a straight line between the boxes,
 * so nothing disappears.
 */
export function fromElkLayout(graph: NetGraph, out: ElkGraphOut, expansion: Expansion = new Set()): GraphLayout {
  const { columns, columnOf } = columnsOf(graph);
  const placed = new Map((out.children ?? []).map((c) => [c.id, c]));
  const nodes: Record<string, Rect> = {};
  for (const c of columns) {
    const sizes = c.members.map((id) => nodeSize(graph.byId.get(id) as GraphNode, isExpanded(expansion, id)));
    const at = placed.get(c.id);
    const width = Math.max(...sizes.map((b) => b.width));
    let y = at?.y ?? 0;
    c.members.forEach((id, i) => {
      nodes[id] = { x: at?.x ?? 0, y, width, height: sizes[i].height };
      y += sizes[i].height + LAYER_GAP;
    });
  }
  const routed = new Map((out.edges ?? []).map((e) => [e.id, e.sections ?? []]));
  const edges: GraphLayout['edges'] = {};
  for (const e of graph.edges) {
    const sections = columnOf.get(e.source) === columnOf.get(e.target) ? [] : (routed.get(e.id) ?? []);
    let points: Point[] = sections.flatMap((s, i) => [...(i === 0 ? [s.startPoint] : []), ...(s.bendPoints ?? []), s.endPoint]);
    // Within a column (or not routed by ELK, though it routes every edge of a flat graph): straight down between the boxes.
    if (points.length < 2) {
      const a = nodes[e.source];
      const b = nodes[e.target];
      points = [
        { x: a.x + a.width / 2, y: a.y + a.height },
        { x: b.x + b.width / 2, y: b.y },
      ];
    }
    edges[e.id] = { points, label: labelPoint(points), bounds: boundsOf(points) };
  }
  let width = out.width ?? 0;
  let height = out.height ?? 0;
  for (const r of Object.values(nodes)) {
    width = Math.max(width, r.x + r.width);
    height = Math.max(height, r.y + r.height);
  }
  return { width, height, expansion, nodes, edges };
}

/** An SVG path through `points` with the corners rounded by up to `radius`. */
export function roundedPath(points: readonly Point[], radius = 6): string {
  if (points.length === 0) return '';
  const f = (n: number): string => String(Math.round(n * 10) / 10);
  let d = `M${f(points[0].x)},${f(points[0].y)}`;
  for (let i = 1; i < points.length - 1; i++) {
    const [a, b, c] = [points[i - 1], points[i], points[i + 1]];
    const inLength = Math.hypot(b.x - a.x, b.y - a.y);
    const outLength = Math.hypot(c.x - b.x, c.y - b.y);
    const r = Math.min(radius, inLength / 2, outLength / 2);
    if (r < 0.5) {
      d += `L${f(b.x)},${f(b.y)}`;
      continue;
    }
    const p = { x: b.x - ((b.x - a.x) / inLength) * r, y: b.y - ((b.y - a.y) / inLength) * r };
    const q = { x: b.x + ((c.x - b.x) / outLength) * r, y: b.y + ((c.y - b.y) / outLength) * r };
    d += `L${f(p.x)},${f(p.y)}Q${f(b.x)},${f(b.y)} ${f(q.x)},${f(q.y)}`;
  }
  const last = points[points.length - 1];
  return `${d}L${f(last.x)},${f(last.y)}`;
}

/**
 * A layer's box within the layout: its own row when its node is drawn expanded (or it is the
 * head), otherwise the whole node it is folded into. For selecting, centring and drawing.
 */
export function rowRect(graph: NetGraph, layout: GraphLayout, layer: string): Rect | null {
  const id = graph.nodeOf.get(layer);
  const node = id === undefined ? undefined : graph.byId.get(id);
  const box = id === undefined ? undefined : layout.nodes[id];
  if (!node || !box) return null;
  const i = node.rows.findIndex((r) => r.layer === layer);
  if (i < 0) return null;
  if (!isExpanded(layout.expansion, node.id)) return i === 0 ? { x: box.x, y: box.y, width: box.width, height: METRICS.headHeight } : { ...box };
  const y = box.y + rowOffsets(node)[i];
  return { x: box.x, y, width: box.width, height: i === 0 ? METRICS.headHeight : METRICS.attachedHeight };
}

// --- Questions the view asks ----------------------------------------------------------------------

const intersects = (a: Rect, b: Rect): boolean => a.x <= b.x + b.width && b.x <= a.x + a.width && a.y <= b.y + b.height && b.y <= a.y + a.height;

/** The nodes and edges that touch `window` (graph coordinates): all the view needs to draw. */
export function visibleIn(graph: NetGraph, layout: GraphLayout, window: Rect): { nodes: GraphNode[]; edges: GraphEdge[] } {
  return {
    nodes: graph.nodes.filter((n) => intersects(layout.nodes[n.id], window)),
    // A route's bounds, widened by its label.
    edges: graph.edges.filter((e) => {
      const b = layout.edges[e.id].bounds;
      return intersects({ x: b.x - 60, y: b.y - 8, width: b.width + 120, height: b.height + 16 }, window);
    }),
  };
}

/** The node under a graph point, for clicks on the far-out drawing (which has no per-node elements). */
export function nodeAt(graph: NetGraph, layout: GraphLayout, p: Point, slop = 0): GraphNode | null {
  for (const n of graph.nodes) {
    const r = layout.nodes[n.id];
    if (p.x >= r.x - slop && p.x <= r.x + r.width + slop && p.y >= r.y - slop && p.y <= r.y + r.height + slop) return n;
  }
  return null;
}

/**
 * The far-out picture as a few long SVG paths: every edge in one, the boxes in one per category.
 * Thousands of boxes then cost a handful of elements, so a 2,000-layer net pans at full speed.
 */
export function farPaths(graph: NetGraph, layout: GraphLayout): { edges: string; boxes: { category: LayerCategory; d: string }[] } {
  const f = (n: number): number => Math.round(n);
  const edges = graph.edges.map((e) => layout.edges[e.id].points.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(p.x)},${f(p.y)}`).join('')).join('');
  const by = new Map<LayerCategory, string[]>();
  for (const n of graph.nodes) {
    const r = layout.nodes[n.id];
    const parts = by.get(n.category) ?? [];
    parts.push(`M${f(r.x)},${f(r.y)}h${f(r.width)}v${f(r.height)}h${-f(r.width)}z`);
    by.set(n.category, parts);
  }
  return { edges, boxes: [...by].map(([category, parts]) => ({ category, d: parts.join('') })) };
}

/** Layers whose name or type contains `query` (any case), in the network's order. */
export function searchLayers(graph: NetGraph, query: string): string[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [];
  const found: { layer: string; index: number }[] = [];
  for (const n of graph.nodes) for (const r of n.rows) if (r.layer.toLowerCase().includes(q) || r.type.toLowerCase().includes(q)) found.push({ layer: r.layer, index: r.index });
  return found.sort((a, b) => a.index - b.index).map((f) => f.layer);
}

export type Direction = 'down' | 'up' | 'left' | 'right';

/**
 * Where an arrow key goes from `layer`, along the drawn edges: down to its first consumer, up to
 * its first producer, left and right to the siblings fed by the same producer (ordered as drawn,
 * or the boxes of the same rank when it has no siblings). Inside an expanded node, up and down
 * step through its rows first.
 */
export function walk(graph: NetGraph, layout: GraphLayout, layer: string, direction: Direction): string | null {
  const id = graph.nodeOf.get(layer);
  const node = id === undefined ? undefined : graph.byId.get(id);
  if (!node || id === undefined) return null;
  const at = node.rows.findIndex((r) => r.layer === layer);
  if (isExpanded(layout.expansion, id)) {
    if (direction === 'down' && at < node.rows.length - 1) return node.rows[at + 1].layer;
    if (direction === 'up' && at > 0) return node.rows[at - 1].layer;
  }
  const headOf = (nodeId: string): string | null => {
    const n = graph.byId.get(nodeId);
    return n && n.rows.length > 0 ? n.rows[0].layer : null;
  };
  const byX = (a: string, b: string): number => layout.nodes[a].x - layout.nodes[b].x;
  if (direction === 'down') {
    const out = graph.edges.filter((e) => e.source === id).map((e) => e.target).sort(byX);
    for (const t of out) if (headOf(t)) return headOf(t);
    return null;
  }
  if (direction === 'up') {
    const into = graph.edges.filter((e) => e.target === id).map((e) => e.source);
    for (const s of into) {
      const n = graph.byId.get(s);
      // Up from a box lands on the layer that wrote what it reads: the last of a folded chain.
      if (n && n.rows.length > 0) return isExpanded(layout.expansion, s) ? n.rows[n.rows.length - 1].layer : n.rows[0].layer;
    }
    return null;
  }
  const parent = graph.edges.find((e) => e.target === id)?.source;
  let row = parent === undefined ? [] : [...new Set(graph.edges.filter((e) => e.source === parent).map((e) => e.target))];
  if (row.length < 2) {
    const y = layout.nodes[id].y;
    row = graph.nodes.filter((n) => Math.abs(layout.nodes[n.id].y - y) < 1).map((n) => n.id);
  }
  row.sort(byX);
  const i = row.indexOf(id);
  const next = row[i + (direction === 'right' ? 1 : -1)];
  return next === undefined ? null : headOf(next);
}

/** The categories the net uses, in the palette's order, for the legend. */
export function categoriesOf(graph: NetGraph, order: readonly LayerCategory[]): LayerCategory[] {
  const used = new Set<LayerCategory>();
  for (const n of graph.nodes) for (const r of n.rows) used.add(r.category);
  return order.filter((c) => used.has(c));
}
