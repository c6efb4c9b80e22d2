/**
 * Weights as the Weights view draws them: a blob's statistics line and histogram, and the
 * whole-model box plot, as ECharts options. The numbers come binned and summarised from the service
 * (weightStats, weightOverview); this file only lays them out. Pure (test/unit/renderer/weights-logic.test.ts);
 * the components supply the theme's colours.
 */
import type { BlobDistribution, BlobStats, WeightStats } from '../../../shared/api.js';
import { formatCount, formatShape } from './format.js';
import { formatValue } from './numbers.js';

/** What a learnable blob holds, by the Caffe layer's type (`weights`, `bias`, BatchNorm's `mean` …); '' when unknown. */
export function blobRole(type: string, blob: number, blobs: number): string {
  const roles: Record<string, readonly string[]> = {
    BatchNorm: ['mean', 'variance', 'moving-average factor'],
    Scale: ['scale', 'bias'],
    Bias: ['bias'],
    PReLU: ['slopes'],
  };
  if (roles[type]) return roles[type][blob] ?? '';
  return blobs <= 2 ? (['weights', 'bias'][blob] ?? '') : '';
}

export interface StatItem {
  key: keyof BlobStats;
  label: string;
  /** As shown: at most 4 significant digits. */
  value: string;
  /** The full number, for the tooltip (and the tests). */
  exact: number;
  /** Worth a warning: NaN or Inf present, every value zero. */
  alarm: boolean;
}

export function statItems(s: BlobStats): StatItem[] {
  const item = (key: keyof BlobStats, label: string, value: string, alarm = false): StatItem => ({ key, label, value, exact: s[key], alarm });
  return [
    item('count', 'count', formatCount(s.count)),
    item('min', 'min', formatValue(s.min)),
    item('max', 'max', formatValue(s.max)),
    item('mean', 'mean', formatValue(s.mean)),
    item('std', 'std', formatValue(s.std)),
    item('zeroFraction', 'zeros', formatPercent(s.zeroFraction), s.count > 0 && s.zeroFraction === 1),
    item('nanCount', 'NaN', formatCount(s.nanCount), s.nanCount > 0),
    item('infCount', 'Inf', formatCount(s.infCount), s.infCount > 0),
  ];
}

/** 0.0123 -> '1.23%'; exact ends stay exact (0% and 100% mean none and all). */
export function formatPercent(f: number): string {
  if (f === 0) return '0%';
  if (f === 1) return '100%';
  const p = f * 100;
  if (p < 0.01) return '<0.01%';
  if (p > 99.99) return '>99.99%';
  return `${Number(p.toPrecision(3))}%`;
}

/** A histogram's heading: its blob, what it holds, and its shape. */
export function blobHeading(type: string, h: Pick<WeightStats, 'blob' | 'shape'>, blobs: number): string {
  const role = blobRole(type, h.blob, blobs);
  return `blobs[${h.blob}]${role ? ` ${role}` : ''} · ${formatShape(h.shape)}`;
}

/** One bin as the tooltip reads: `[-0.05, -0.04): 123`. */
export const binText = (start: number, end: number, count: number, last: boolean): string => `[${formatValue(start)}, ${formatValue(end)}${last ? ']' : ')'}: ${formatCount(count)}`;

export interface ChartColours {
  bar: string;
  text: string;
  line: string;
  tooltipBg: string;
  danger: string;
}

/** Axis counts: 1200 -> 1.2k. */
export function compactCount(n: number): string {
  if (Math.abs(n) < 1000) return String(n);
  if (Math.abs(n) < 1e6) return `${Number((n / 1e3).toFixed(1))}k`;
  if (Math.abs(n) < 1e9) return `${Number((n / 1e6).toFixed(1))}M`;
  return `${Number((n / 1e9).toFixed(1))}G`;
}

const tooltip = (c: ChartColours) => ({
  confine: true,
  backgroundColor: c.tooltipBg,
  borderColor: c.line,
  textStyle: { color: c.text, fontSize: 11 },
});

/**
 * One blob's histogram: one bar per bin on a value axis, each at its bin's centre, so the x axis
 * reads in weight values; the tooltip gives the bin's range and count.
 */
export function histogramOption(h: Pick<WeightStats, 'edges' | 'counts' | 'min' | 'max'>, c: ChartColours): Record<string, unknown> {
  const bins = h.counts.length;
  const data = new Array<{ value: [number, number]; name: string }>(bins);
  for (let i = 0; i < bins; i++) {
    const start = h.edges[i];
    const end = h.edges[i + 1];
    data[i] = { value: [(start + end) / 2, h.counts[i]], name: binText(start, end, h.counts[i], i === bins - 1) };
  }
  const lo = bins > 0 ? h.edges[0] : h.min;
  const hi = bins > 0 ? h.edges[bins] : h.max;
  const span = hi - lo || Math.abs(hi) || 1;
  return {
    animation: false,
    grid: { left: 44, right: 12, top: 8, bottom: 22 },
    tooltip: { ...tooltip(c), trigger: 'item', formatter: (p: { name: string }) => p.name },
    xAxis: {
      type: 'value',
      min: hi === lo ? lo - span / 2 : lo,
      max: hi === lo ? hi + span / 2 : hi,
      axisLabel: { color: c.text, fontSize: 10, formatter: (v: number) => formatValue(v), hideOverlap: true },
      axisLine: { lineStyle: { color: c.line } },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value',
      axisLabel: { color: c.text, fontSize: 10, formatter: (v: number) => compactCount(v) },
      splitLine: { lineStyle: { color: c.line, opacity: 0.5 } },
      minInterval: 1,
    },
    series: [{ type: 'bar', data, itemStyle: { color: c.bar }, barWidth: '92%', emphasis: { itemStyle: { opacity: 0.8 } } }],
  };
}

export type OverviewScale = 'linear' | 'log';

/** `conv1 w`, `bn2 var`: a box's axis label. */
export function boxLabel(d: Pick<BlobDistribution, 'layer' | 'blob'>, type: string | undefined, blobs: number): string {
  const role = blobRole(type ?? '', d.blob, blobs);
  const short: Record<string, string> = { weights: 'w', bias: 'b', variance: 'var', 'moving-average factor': 'factor' };
  return `${d.layer} ${role ? (short[role] ?? role) : `[${d.blob}]`}`;
}

/**
 * The bottom of the log axis: a decade below the smallest non-zero mean |w|, where a dead blob's 0
 * (which has no logarithm) is drawn.
 */
export function logFloor(blobs: readonly Pick<BlobDistribution, 'meanAbs'>[]): number {
  const positive = blobs.map((d) => d.meanAbs).filter((v) => v > 0 && Number.isFinite(v));
  return positive.length === 0 ? 1e-6 : 10 ** (Math.floor(Math.log10(Math.min(...positive))) - 1);
}

/** Dead (every value 0) or broken (NaN/Inf): drawn in the danger colour. */
export const isAlarming = (d: BlobStats): boolean => d.nanCount > 0 || d.infCount > 0 || (d.count > 0 && d.zeroFraction === 1);

/**
 * The whole-model chart. Linear: a box per blob, whiskers at the 1st and 99th percentiles, the box
 * from q1 to q3 around the median, and the min and max as outlier dots.
 *
 * Log: weights are signed, so their quantiles have no logarithm; instead each blob's magnitude,
 * mean |w| as the box (from the axis floor) and max |w| as the whisker's end, on a log axis. Mean |w|
 * is 0 only when every weight is 0 (std is 0 for any constant layer, and a mean cancels), so a dead
 * layer falls decades below the rest instead of sitting on the same line as a layer of small but
 * live weights, as it does on a linear axis scaled to the largest layer; max |w| catches an
 * exploding filter that the mean of its layer dilutes.
 */
export function overviewOption(blobs: readonly BlobDistribution[], labels: readonly string[], scale: OverviewScale, c: ChartColours): Record<string, unknown> {
  const zoom = blobs.length > 60 ? [{ type: 'inside', xAxisIndex: 0, startValue: 0, endValue: 59 }, { type: 'slider', xAxisIndex: 0, height: 14, bottom: 4, startValue: 0, endValue: 59, showDetail: false }] : [];
  const colour = (d: BlobDistribution) => (isAlarming(d) ? c.danger : c.bar);
  const floor = logFloor(blobs);
  const magnitude = (v: number) => (Number.isFinite(v) ? Math.max(floor, v) : floor);
  const boxes =
    scale === 'linear'
      ? blobs.map((d, i) => ({ value: [d.p01, d.q1, d.median, d.q3, d.p99], name: labels[i], itemStyle: { borderColor: colour(d), color: 'transparent' } }))
      : blobs.map((d, i) => {
          const mean = magnitude(d.meanAbs);
          const max = magnitude(Math.max(Math.abs(d.min), Math.abs(d.max)));
          return { value: [floor, floor, mean, mean, max], name: labels[i], itemStyle: { borderColor: colour(d), color: 'transparent' } };
        });
  const outliers =
    scale === 'linear'
      ? blobs.flatMap((d, i) => [
          [i, d.min],
          [i, d.max],
        ])
      : [];
  const tip = (i: number): string => {
    const d = blobs[i];
    if (!d) return '';
    const lines = [
      `<b>${labels[i]}</b> · ${formatShape(d.shape)}`,
      `min ${formatValue(d.min)} · max ${formatValue(d.max)}`,
      `p01 ${formatValue(d.p01)} · q1 ${formatValue(d.q1)} · median ${formatValue(d.median)} · q3 ${formatValue(d.q3)} · p99 ${formatValue(d.p99)}`,
      `mean ${formatValue(d.mean)} · std ${formatValue(d.std)} · mean |w| ${formatValue(d.meanAbs)}`,
      `zeros ${formatPercent(d.zeroFraction)}${d.nanCount ? ` · NaN ${d.nanCount}` : ''}${d.infCount ? ` · Inf ${d.infCount}` : ''}`,
    ];
    return lines.join('<br>');
  };
  return {
    animation: false,
    grid: { left: 56, right: 14, top: 12, bottom: blobs.length > 60 ? 86 : 70 },
    tooltip: { ...tooltip(c), trigger: 'item', formatter: (p: { dataIndex: number }) => tip(p.dataIndex) },
    dataZoom: zoom,
    xAxis: {
      type: 'category',
      data: labels,
      axisLabel: { color: c.text, fontSize: 10, rotate: 50, interval: 'auto', hideOverlap: true },
      axisLine: { lineStyle: { color: c.line } },
      axisTick: { alignWithLabel: true },
    },
    yAxis:
      scale === 'linear'
        ? { type: 'value', scale: true, axisLabel: { color: c.text, fontSize: 10, formatter: (v: number) => formatValue(v) }, splitLine: { lineStyle: { color: c.line, opacity: 0.5 } } }
        : { type: 'log', min: floor, axisLabel: { color: c.text, fontSize: 10, formatter: (v: number) => formatValue(v) }, splitLine: { lineStyle: { color: c.line, opacity: 0.5 } } },
    series: [
      { type: 'boxplot', name: scale === 'linear' ? 'w' : '|w|', data: boxes, boxWidth: [3, 24], itemStyle: { borderWidth: 1.2 } },
      ...(outliers.length > 0 ? [{ type: 'scatter', name: 'min / max', data: outliers, symbolSize: 4, itemStyle: { color: c.text }, tooltip: { formatter: (p: { value: [number, number] }) => `${labels[p.value[0]]}: ${formatValue(p.value[1])}` } }] : []),
    ],
  };
}
