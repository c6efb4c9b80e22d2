/**
 * The layer table's logic, kept out of components: filtering, sorting, and the shapes flowing into
 * each layer (which the summary gives per top only).
 */
import type { LayerInfo, ModelSummary } from '../../../shared/api.js';

export type SortKey = 'index' | 'name' | 'type' | 'output' | 'params';
export type SortDir = 'asc' | 'desc';

export interface LayerRow {
  /** Position in the network's layer order (0-based), which the user's prototxt follows. */
  index: number;
  layer: LayerInfo;
}

const volume = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);
/** Output size of a layer for sorting: the elements of its first top (0 when it has none). */
const outputSize = (layer: LayerInfo): number => (layer.top_shapes[0] ? volume(layer.top_shapes[0]) : 0);

/**
 * Filter terms are separated by spaces and must all match (case-insensitive) the layer's name,
 * type, or one of its bottoms or tops; `type:conv` restricts a term to the type.
 */
export function matchesFilter(layer: LayerInfo, filter: string): boolean {
  const terms = filter.toLowerCase().split(/\s+/).filter(Boolean);
  return terms.every((term) => {
    if (term.startsWith('type:')) return layer.type.toLowerCase().includes(term.slice(5));
    return [layer.name, layer.type, ...layer.bottoms, ...layer.tops].some((s) => s.toLowerCase().includes(term));
  });
}

export function viewLayers(layers: readonly LayerInfo[], filter: string, key: SortKey, dir: SortDir): LayerRow[] {
  const rows = layers.map((layer, index) => ({ index, layer })).filter((row) => matchesFilter(row.layer, filter));
  const compare = (a: LayerRow, b: LayerRow): number => {
    switch (key) {
      case 'index':
        return a.index - b.index;
      case 'name':
        return a.layer.name.localeCompare(b.layer.name, 'en', { numeric: true });
      case 'type':
        return a.layer.type.localeCompare(b.layer.type, 'en') || a.index - b.index;
      case 'output':
        return outputSize(a.layer) - outputSize(b.layer) || a.index - b.index;
      case 'params':
        return a.layer.params - b.layer.params || a.index - b.index;
    }
  };
  rows.sort((a, b) => (dir === 'asc' ? compare(a, b) : compare(b, a)));
  return rows;
}

/**
 * The shape of every bottom of every layer, in layer order: a bottom is whatever its blob held when
 * the layer ran, which for in-place chains (conv -> relu on the same blob) is the last writer's top.
 */
export function bottomShapes(summary: ModelSummary): (number[] | undefined)[][] {
  const current = new Map<string, number[]>(summary.inputs.flatMap((input) => (input.shape ? [[input.name, input.shape] as const] : [])));
  return summary.layers.map((layer) => {
    const shapes = layer.bottoms.map((bottom) => current.get(bottom));
    layer.tops.forEach((top, i) => {
      const shape = layer.top_shapes[i];
      if (shape) current.set(top, shape);
    });
    return shapes;
  });
}

/**
 * Input shape overrides as typed in the open form: `data=1,3,224,224` or `data: 1x3x224x224`,
 * several separated by `;` or new lines. Returns the map, or the first problem in words.
 */
export function parseInputShapes(text: string): { shapes: Record<string, number[]> } | { problem: string } {
  const shapes: Record<string, number[]> = {};
  for (const part of text.split(/[;\n]/).map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=:\s]+)\s*[=:]\s*(\d+(?:\s*[,x×]\s*\d+)*)$/.exec(part);
    if (!m) return { problem: `'${part}' is not NAME=N,C,H,W (e.g. data=1,3,224,224)` };
    shapes[m[1]] = m[2].split(/[,x×]/).map((d) => Number(d.trim()));
  }
  return { shapes };
}

export const formatInputShapes = (shapes: Record<string, number[]> | undefined): string =>
  Object.entries(shapes ?? {})
    .map(([name, shape]) => `${name}=${shape.join(',')}`)
    .join('; ');
