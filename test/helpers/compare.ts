/**
 * The fixtures' suggested tolerance (shared/fixtures/README.md, "Suggested tolerance") for comparing
 * an output `out` with a reference `ref`:
 *   final outputs:  |out - ref| <= 1e-5 + 1e-4·|ref|
 *   intermediates:  |out - ref| <= 1e-5·max(1, peak|ref|) + 1e-4·|ref|, peak = max |ref| of the tensor.
 */

export interface ToleranceReport {
  ok: boolean;
  /** Largest |out - ref|. */
  maxAbs: number;
  /** Largest |out - ref| / |ref| over the values where ref ≠ 0. */
  maxRel: number;
  /** The index where the bound is exceeded the most (or least met), -1 for empty tensors. */
  worstIndex: number;
}

export function withinTolerance(
  out: ArrayLike<number>,
  ref: ArrayLike<number>,
  { final }: { final: boolean },
): ToleranceReport {
  if (out.length !== ref.length) throw new Error(`cannot compare ${out.length} values with ${ref.length}`);
  let peak = 0;
  for (let i = 0; i < ref.length; i++) peak = Math.max(peak, Math.abs(ref[i]));
  const absolute = final ? 1e-5 : 1e-5 * Math.max(1, peak);
  let ok = true;
  let maxAbs = 0;
  let maxRel = 0;
  let worstIndex = -1;
  let worstExcess = -Infinity;
  for (let i = 0; i < ref.length; i++) {
    const diff = Math.abs(out[i] - ref[i]);
    const bound = absolute + 1e-4 * Math.abs(ref[i]);
    if (!(diff <= bound)) ok = false;
    const excess = Number.isNaN(diff) ? Infinity : diff - bound;
    if (excess > worstExcess) {
      worstExcess = excess;
      worstIndex = i;
    }
    if (Number.isNaN(diff)) maxAbs = NaN;
    else if (diff > maxAbs) maxAbs = diff;
    if (ref[i] !== 0) maxRel = Math.max(maxRel, diff / Math.abs(ref[i]));
  }
  return { ok, maxAbs, maxRel, worstIndex };
}
