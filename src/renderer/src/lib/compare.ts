/**
 * The Compare view's and the graph heat map's reading of a diff (diffModel): each layer's worst error
 * over tolerance, its colour, and the words for a row. Pure, so it is tested without a page
 * (test/unit/renderer/compare.test.ts).
 */
import type { DiffInfo, DiffRowInfo } from '../../../shared/api.js';

export interface LayerHeat {
  /** The worst error over tolerance of the layer's tops (Infinity for NaN); undefined where nothing was compared. */
  ratio?: number;
  status: DiffRowInfo['status'];
  /** The first divergence of the run. */
  first: boolean;
}

const RANK: Record<DiffRowInfo['status'], number> = { ok: 0, missing: 1, diverged: 2, shape: 3 };

/** Layer -> its heat: a layer with several tops takes its worst. */
export function heatByLayer(diff: DiffInfo): Map<string, LayerHeat> {
  const out = new Map<string, LayerHeat>();
  const firstLayer = diff.first !== undefined ? diff.rows[diff.first]?.layer : undefined;
  for (const row of diff.rows) {
    const before = out.get(row.layer);
    const ratio = row.ratio === undefined ? before?.ratio : Math.max(row.ratio, before?.ratio ?? 0);
    const status = before && RANK[before.status] > RANK[row.status] ? before.status : row.status;
    out.set(row.layer, { ratio, status, first: row.layer === firstLayer });
  }
  return out;
}

/**
 * A colour for an error over tolerance: within tolerance (ratio < 1) from a pale to a full green as it
 * nears 1; beyond it, yellow through orange to red over three decades (10^3 × tolerance is full red);
 * a shape mismatch or NaN is the darkest red; nothing compared is grey.
 */
export function heatColour(heat: LayerHeat | undefined): string {
  if (!heat || heat.status === 'missing' || heat.ratio === undefined) return heat?.status === 'shape' ? 'hsl(0 75% 38%)' : 'hsl(220 8% 78%)';
  if (heat.status === 'shape' || !Number.isFinite(heat.ratio)) return 'hsl(0 75% 38%)';
  if (heat.ratio < 1) return `hsl(140 45% ${Math.round(88 - 30 * Math.max(0, heat.ratio))}%)`;
  const t = Math.min(1, Math.log10(heat.ratio) / 3);
  return `hsl(${Math.round(48 * (1 - t))} 85% ${Math.round(58 - 10 * t)}%)`;
}

/** 0.031, 1.9e+3, NaN: an error over tolerance as the table shows it. */
export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined) return '';
  if (!Number.isFinite(ratio)) return 'NaN';
  if (ratio === 0) return '0';
  return ratio >= 1000 || ratio < 0.001 ? ratio.toExponential(1) : ratio.toPrecision(2);
}

export const STATUS_WORDS: Record<DiffRowInfo['status'], string> = {
  ok: 'within tolerance',
  diverged: 'diverged',
  shape: 'shape differs',
  missing: 'nothing to compare',
};
