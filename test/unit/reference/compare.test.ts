import { describe, expect, it } from 'vitest';
import { withinTolerance } from '../../helpers/compare.js';

describe('withinTolerance (fixtures README, "Suggested tolerance")', () => {
  it('bounds final outputs by 1e-5 + 1e-4·|ref|', () => {
    expect(withinTolerance([1.000105], [1], { final: true }).ok).toBe(true);
    expect(withinTolerance([1.000115], [1], { final: true }).ok).toBe(false);
    expect(withinTolerance([0.000009], [0], { final: true }).ok).toBe(true);
    expect(withinTolerance([0.000011], [0], { final: true }).ok).toBe(false);
  });

  it('scales the absolute part of intermediates by the peak |ref| of the tensor: 1e-5·max(1, peak) + 1e-4·|ref|', () => {
    // peak 350 (CIFAR conv2-like): a value 0 may be off by 3.5e-3, a value 100 by 3.5e-3 + 1e-2.
    expect(withinTolerance([0.0034, 100.0134, 350], [0, 100, 350], { final: false }).ok).toBe(true);
    expect(withinTolerance([0.0036, 100, 350], [0, 100, 350], { final: false }).ok).toBe(false);
    expect(withinTolerance([100.014, 0, 350], [100, 0, 350], { final: false }).ok).toBe(false);
    // a peak below 1 leaves the absolute part at 1e-5
    expect(withinTolerance([0.5 + 5e-5, 0.000011], [0.5, 0], { final: false }).ok).toBe(false);
    expect(withinTolerance([0.5 + 5e-5, 0.000009], [0.5, 0], { final: false }).ok).toBe(true);
  });

  it('reports the largest absolute and relative differences and where the bound is missed the most', () => {
    const r = withinTolerance([1, 2.5, 3, 0.1], [1, 2, 3.01, 0], { final: true });
    expect(r.ok).toBe(false);
    expect(r.maxAbs).toBeCloseTo(0.5, 12);
    expect(r.maxRel).toBeCloseTo(0.25, 12);
    expect(r.worstIndex).toBe(1);
  });

  it('fails on NaN where the reference is a number', () => {
    const r = withinTolerance([NaN, 1], [0, 1], { final: false });
    expect(r.ok).toBe(false);
    expect(r.worstIndex).toBe(0);
  });
});
