/**
 * The report's plot as inline SVG markup: no script, no external font or style, readable offline.
 * The histogram of |out − ref| is on a log axis, a few bins per decade, because the differences of a
 * faithful conversion spread over several decades of float32 rounding; exact zeros get a bar of their own.
 */
import type { ErrorDistribution } from './error-distribution.js';

export const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface LogHistogram {
  /** log10 of the first bin's lower edge, in 1/perDecade steps. */
  start: number;
  perDecade: number;
  /** counts[i] holds |d| in [10^((start+i)/perDecade), 10^((start+i+1)/perDecade)). */
  counts: number[];
  zeros: number;
  infinite: number;
  nan: number;
}

/**
 * The distribution's bins gathered into `perDecade` bins per decade (each fine bin, 0.4 % wide, goes
 * where its lower edge is), over a range that also takes in `include` (so the tolerance shows).
 */
export function logHistogram(dist: ErrorDistribution, perDecade = 4, include: number[] = []): LogHistogram {
  const byIndex = new Map<number, number>();
  let infinite = 0;
  for (const [lo, hi, n] of dist.entries()) {
    if (Number.isNaN(lo)) continue; // counted in dist.nan
    if (lo === Infinity) {
      infinite += n;
      continue;
    }
    // The first bin holds the exact zeros and the smallest subnormals.
    const count = lo === 0 ? n - dist.zeros : n;
    if (count <= 0) continue;
    const at = Math.floor(Math.log10(lo === 0 ? hi : lo) * perDecade);
    byIndex.set(at, (byIndex.get(at) ?? 0) + count);
  }
  const indices = [...byIndex.keys(), ...include.filter((v) => v > 0 && Number.isFinite(v)).map((v) => Math.floor(Math.log10(v) * perDecade))];
  if (indices.length === 0) return { start: 0, perDecade, counts: [], zeros: dist.zeros, infinite, nan: dist.nan };
  // Whole decades at both ends, so the axis labels fall on bin edges.
  const start = Math.floor(Math.min(...indices) / perDecade) * perDecade;
  const end = Math.ceil((Math.max(...indices) + 1) / perDecade) * perDecade;
  const counts = Array.from({ length: end - start }, (_, i) => byIndex.get(start + i) ?? 0);
  return { start, perDecade, counts, zeros: dist.zeros, infinite, nan: dist.nan };
}

const power = (exponent: number): string => (Number.isInteger(exponent) ? `1e${exponent}` : (10 ** exponent).toExponential(1));

const compact = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toPrecision(3)} M` : n >= 1e4 ? `${(n / 1e3).toPrecision(3)} k` : String(n));

export interface HistogramOptions {
  title: string;
  /** Vertical lines: a value and what it is. */
  markers?: { at: number; label: string }[];
  width?: number;
  height?: number;
}

/** The histogram as an `<svg>` element: a bar for the exact zeros, then the log bins; every bar titled with its range and count. */
export function histogramSvg(h: LogHistogram, options: HistogramOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 280;
  const margin = { left: 64, right: 16, top: 28, bottom: 44 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  // The exact zeros' bar stands apart, left of the log bins.
  const zeroW = 36;
  const slot = (plotW - zeroW) / Math.max(h.counts.length, 1);
  const peak = Math.max(1, h.zeros, ...h.counts);
  const y = (count: number): number => margin.top + plotH - (count / peak) * plotH;
  const xOfBin = (i: number): number => margin.left + zeroW + i * slot;
  const xOfValue = (v: number): number => xOfBin(Math.log10(v) * h.perDecade - h.start);
  const parts: string[] = [];
  parts.push(`<svg class="plot" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" aria-label="${escapeXml(options.title)}">`);
  parts.push(`<title>${escapeXml(options.title)}</title>`);
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  // Count axis: 0, half and the peak.
  for (const f of [0, 0.5, 1]) {
    const count = Math.round(peak * f);
    const yy = y(count).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${yy}" y2="${yy}" class="grid"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${yy}" class="tick" text-anchor="end" dominant-baseline="middle">${compact(count)}</text>`);
  }
  const bar = (x0: number, width: number, count: number, label: string, cls: string): void => {
    if (count === 0) return;
    const x = x0 + width * 0.08;
    const top = y(count);
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(width * 0.84).toFixed(1)}" height="${(margin.top + plotH - top).toFixed(1)}" class="${cls}"><title>${escapeXml(`${label}: ${count.toLocaleString('en')} value${count === 1 ? '' : 's'}`)}</title></rect>`,
    );
  };
  bar(margin.left, Math.min(zeroW * 0.6, Math.max(slot, 8)), h.zeros, '|out − ref| = 0 (exactly equal)', 'bar zero');
  parts.push(`<text x="${(margin.left + Math.min(zeroW * 0.6, Math.max(slot, 8)) / 2).toFixed(1)}" y="${margin.top + plotH + 16}" class="tick" text-anchor="middle">0</text>`);
  h.counts.forEach((count, i) => {
    const lo = (h.start + i) / h.perDecade;
    bar(xOfBin(i), slot, count, `${power(lo)} ≤ |out − ref| < ${power(lo + 1 / h.perDecade)}`, 'bar');
  });
  // A label every decade, or every few where there are many.
  const step = h.perDecade * Math.max(1, Math.ceil(h.counts.length / h.perDecade / 12));
  for (let i = 0; i <= h.counts.length; i += step) {
    const x = xOfBin(i).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 5}" class="axis"/>`);
    parts.push(`<text x="${x}" y="${margin.top + plotH + 16}" class="tick" text-anchor="middle">${power((h.start + i) / h.perDecade)}</text>`);
  }
  for (const m of options.markers ?? []) {
    if (!(m.at > 0) || h.counts.length === 0) continue;
    const x = xOfValue(m.at).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top}" y2="${margin.top + plotH}" class="marker"/>`);
    parts.push(`<text x="${(Number(x) - 4).toFixed(1)}" y="${margin.top - 6}" class="marker-label" text-anchor="end">${escapeXml(m.label)}</text>`);
  }
  parts.push(`<text x="${margin.left + plotW / 2}" y="${height - 8}" class="axis-label" text-anchor="middle">|out − ref| (log scale, ${h.perDecade} bins per decade)</text>`);
  parts.push(`<text x="14" y="${margin.top + plotH / 2}" class="axis-label" text-anchor="middle" transform="rotate(-90 14 ${margin.top + plotH / 2})">values</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
