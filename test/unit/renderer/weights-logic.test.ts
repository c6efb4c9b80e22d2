/**
 * The Weights view's logic (lib/histogram.ts): a blob's statistics line, its histogram as an ECharts
 * option, and the whole-model box plot in its linear and log forms. The inputs are written out the
 * way weightStats and weightOverview answer (counts and edges as Float64Array).
 */
import { describe, expect, it } from 'vitest';
import type { BlobDistribution, WeightStats } from '../../../src/shared/api.js';
import { blobHeading, boxLabel, formatPercent, histogramOption, isAlarming, logFloor, overviewOption, statItems } from '../../../src/renderer/src/lib/histogram.js';

const colours = { bar: '#2f6fde', text: '#667085', line: '#d5dae2', tooltipBg: '#fff', danger: '#c8322b' };

/** 500 weights in 4 bins over [-0.4, 0.6]. */
const conv1: WeightStats = {
  layer: 'conv1',
  blob: 0,
  shape: [20, 1, 5, 5],
  count: 500,
  min: -0.4,
  max: 0.6,
  mean: 0.0123456,
  std: 0.2,
  zeroFraction: 0.004,
  nanCount: 0,
  infCount: 0,
  edges: Float64Array.from([-0.4, -0.15, 0.1, 0.35, 0.6]),
  counts: Float64Array.from([60, 300, 120, 20]),
};

const dist = (layer: string, blob: number, over: Partial<BlobDistribution> = {}): BlobDistribution => ({
  layer,
  blob,
  shape: [10],
  count: 10,
  min: -1,
  max: 1,
  mean: 0,
  std: 0.5,
  zeroFraction: 0,
  nanCount: 0,
  infCount: 0,
  p01: -0.9,
  q1: -0.3,
  median: 0,
  q3: 0.3,
  p99: 0.9,
  meanAbs: 0.4,
  ...over,
});

describe("a blob's statistics", () => {
  it('lists count, min, max, mean, std, the zero fraction and the NaN and Inf counts, with the exact value kept', () => {
    const items = statItems(conv1);
    expect(items.map((s) => `${s.label} ${s.value}`)).toEqual(['count 500', 'min -0.4', 'max 0.6', 'mean 0.01235', 'std 0.2', 'zeros 0.4%', 'NaN 0', 'Inf 0']);
    expect(items.find((s) => s.key === 'mean')?.exact).toBe(0.0123456);
    expect(items.some((s) => s.alarm)).toBe(false);
  });

  it('raises the alarm for NaN, Inf and a blob of zeros only', () => {
    const alarms = (over: Partial<WeightStats>) => statItems({ ...conv1, ...over }).filter((s) => s.alarm).map((s) => s.label);
    expect(alarms({ nanCount: 3 })).toEqual(['NaN']);
    expect(alarms({ infCount: 1 })).toEqual(['Inf']);
    expect(alarms({ zeroFraction: 1 })).toEqual(['zeros']);
  });

  it('writes fractions as percentages that never round to none or all', () => {
    expect([0, 1, 0.5, 0.00001, 0.999999, 0.123456].map(formatPercent)).toEqual(['0%', '100%', '50%', '<0.01%', '>99.99%', '12.3%']);
  });

  it('is headed by the blob, what it holds and its Caffe shape', () => {
    expect(blobHeading('Convolution', conv1, 2)).toBe('blobs[0] weights · 20×1×5×5');
    expect(blobHeading('BatchNorm', { blob: 2, shape: [1] }, 3)).toBe('blobs[2] moving-average factor · 1');
  });
});

describe('a histogram', () => {
  it('draws one bar per bin at its centre, on a value axis spanning the edges', () => {
    const option = histogramOption(conv1, colours) as {
      xAxis: { min: number; max: number };
      series: { type: string; data: { value: number[]; name: string }[] }[];
    };
    expect([option.xAxis.min, option.xAxis.max]).toEqual([-0.4, 0.6]);
    expect(option.series[0].type).toBe('bar');
    expect(option.series[0].data.map((d) => d.value[1])).toEqual([60, 300, 120, 20]);
    expect(option.series[0].data[0].value[0]).toBeCloseTo(-0.275);
    expect(option.series[0].data.map((d) => d.name)).toEqual(['[-0.4, -0.15): 60', '[-0.15, 0.1): 300', '[0.1, 0.35): 120', '[0.35, 0.6]: 20']);
  });

  it('still spans an axis when every weight has the same value', () => {
    const flat = { ...conv1, min: 1, max: 1, edges: Float64Array.from([1, 1]), counts: Float64Array.from([500]) };
    const option = histogramOption(flat, colours) as { xAxis: { min: number; max: number } };
    expect(option.xAxis.max).toBeGreaterThan(option.xAxis.min);
  });
});

describe('the whole-model box plot', () => {
  const blobs = [dist('conv1', 0), dist('conv1', 1, { meanAbs: 0.01 }), dist('dead', 0, { min: 0, max: 0, meanAbs: 0, zeroFraction: 1, p01: 0, q1: 0, median: 0, q3: 0, p99: 0 })];
  const labels = blobs.map((b) => boxLabel(b, b.layer === 'dead' ? 'InnerProduct' : 'Convolution', 2));

  it('labels each box by its layer and what the blob holds', () => {
    expect(labels).toEqual(['conv1 w', 'conv1 b', 'dead w']);
  });

  it('draws one box per blob, whiskers at p01 and p99, with min and max as dots (linear)', () => {
    const option = overviewOption(blobs, labels, 'linear', colours) as { series: { type: string; data: unknown[] }[] };
    expect(option.series[0].type).toBe('boxplot');
    expect((option.series[0].data as { value: number[] }[]).map((d) => d.value)[0]).toEqual([-0.9, -0.3, 0, 0.3, 0.9]);
    expect(option.series[0].data).toHaveLength(3);
    expect(option.series[1].data).toHaveLength(6);
  });

  it('draws magnitudes on a log axis, a dead blob at its floor a decade under the smallest live one, in red', () => {
    expect(logFloor(blobs)).toBeCloseTo(1e-3);
    const option = overviewOption(blobs, labels, 'log', colours) as {
      yAxis: { type: string; min: number };
      series: { data: { value: number[]; itemStyle: { borderColor: string } }[] }[];
    };
    expect(option.yAxis.type).toBe('log');
    expect(option.series).toHaveLength(1);
    const [live, , dead] = option.series[0].data;
    expect(live.value[2]).toBe(0.4);
    expect(live.value[4]).toBe(1);
    expect(dead.value[2]).toBeCloseTo(1e-3);
    expect(dead.itemStyle.borderColor).toBe(colours.danger);
    expect(live.itemStyle.borderColor).toBe(colours.bar);
    expect(isAlarming(blobs[2])).toBe(true);
  });
});
