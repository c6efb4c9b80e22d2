/** The report's |out − ref| distribution: its percentile against a sort of the same differences, and the histogram's bins. */
import { describe, expect, it } from 'vitest';
import { ErrorDistribution } from '../../src/main/report/error-distribution.js';
import { logHistogram } from '../../src/main/report/svg-plots.js';
import { mulberry32 } from '../helpers/prng.js';

/** Nearest-rank quantile of |a − b| computed in float64 by sorting. */
function sortedQuantile(a: Float32Array, b: Float32Array, q: number): number {
  const d = Array.from(a, (v, i) => Math.abs(Math.fround(v - b[i]))).sort((x, y) => x - y);
  return d[Math.max(1, Math.ceil(q * d.length)) - 1];
}

function pair(n: number, seed: number, spread: number): [Float32Array, Float32Array] {
  const random = mulberry32(seed);
  const ref = new Float32Array(n).map(() => (random() - 0.5) * 10);
  // Differences over several decades, a tenth of them exactly zero.
  const out = ref.map((v) => (random() < 0.1 ? v : v + (random() - 0.5) * 10 ** (-random() * spread)));
  return [out, ref];
}

describe('the distribution of |out − ref|', () => {
  it('gives the 99th percentile within 0.4 % above the sorted value, over two arrays added apart', () => {
    const [o1, r1] = pair(50_000, 1, 8);
    const [o2, r2] = pair(30_000, 2, 3);
    const dist = new ErrorDistribution();
    dist.add(o1, r1);
    dist.add(o2, r2);
    const all = [new Float32Array([...o1, ...o2]), new Float32Array([...r1, ...r2])] as const;
    for (const q of [0.5, 0.9, 0.99, 1]) {
      const exact = sortedQuantile(all[0], all[1], q);
      const got = dist.quantile(q);
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got).toBeLessThanOrEqual(exact * 1.004);
    }
    expect(dist.quantile(1)).toBe(sortedQuantile(all[0], all[1], 1));
    expect(dist.count).toBe(80_000);
    expect(dist.zeros + dist.above + dist.below).toBe(80_000);
  });

  it('is 0 where the rank falls among exact zeros, and NaN where it falls among NaNs', () => {
    const dist = new ErrorDistribution();
    dist.add(new Float32Array([1, 2, 3, NaN]), new Float32Array([1, 2, 3, 4]));
    expect(dist.quantile(0.75)).toBe(0);
    expect(dist.quantile(1)).toBeNaN();
    expect(dist.nan).toBe(1);
  });

  it('puts every non-zero difference in one log bin of the histogram, and the zeros apart', () => {
    const [out, ref] = pair(10_000, 3, 6);
    const dist = new ErrorDistribution();
    dist.add(out, ref);
    const h = logHistogram(dist, 4, [1e-5]);
    expect(h.zeros).toBe(dist.zeros);
    expect(h.counts.reduce((a, b) => a + b, 0) + h.zeros).toBe(10_000);
    // Whole decades, reaching the marker.
    expect(Math.abs(h.start % 4)).toBe(0);
    expect(h.start / 4).toBeLessThanOrEqual(-5);
  });
});
