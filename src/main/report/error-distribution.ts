/**
 * The distribution of |out − ref| over every element of every image of a report, kept without keeping
 * the elements: each difference is binned by the top 17 bits of its float32 pattern (sign, exponent and
 * 8 mantissa bits; non-negative floats order as their bits), so a bin spans 2^-8 of its value and a
 * quantile read from the bins is within 0.4 % of the exact one. Only the bins a layer touches are kept
 * (a few hundred: errors span a few decades), so a 600-layer net over a large folder stays small.
 */

const SHIFT = 15;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** Dense counts of one add(), folded into the sparse bins after it. Sign bit 0: 2^16 bins reach every |d|. */
const scratch = new Uint32Array(1 << (32 - SHIFT - 1));
const INF_BIN = 0x7f800000 >>> SHIFT;

/** The float32 whose bits are `bits`. */
const floatOf = (bits: number): number => {
  u32[0] = bits;
  return f32[0];
};

/** The values bin `b` holds: [lo, hi). */
export const binRange = (b: number): [number, number] => (b >= INF_BIN ? [b === INF_BIN ? Infinity : NaN, b === INF_BIN ? Infinity : NaN] : [floatOf(b << SHIFT), floatOf((b + 1) << SHIFT)]);

export class ErrorDistribution {
  private readonly bins = new Map<number, number>();
  /** Elements added. */
  count = 0;
  /** Of them: exactly equal, out above ref, out below ref, NaN on either side. */
  zeros = 0;
  above = 0;
  below = 0;
  nan = 0;
  /** The largest |out − ref| that is a number (Infinity counts; NaN does not). */
  max = 0;

  /** Every |out[i] − ref[i]|; the arrays have the same length. */
  add(out: Float32Array, ref: Float32Array): void {
    let lo = scratch.length;
    let hi = -1;
    let { zeros, above, below, nan, max } = this;
    for (let i = 0; i < ref.length; i++) {
      const d = out[i] - ref[i];
      if (d > 0) above++;
      else if (d < 0) below++;
      else if (d === 0) zeros++;
      else nan++;
      f32[0] = d;
      // |d| as bits: the sign bit cleared (NaN keeps its quiet bit, so it bins above Infinity).
      const b = (u32[0] & 0x7fffffff) >>> SHIFT;
      scratch[b]++;
      if (b < lo) lo = b;
      if (b > hi) hi = b;
      const a = Math.abs(d);
      if (a > max) max = a;
    }
    Object.assign(this, { zeros, above, below, nan, max });
    this.count += ref.length;
    for (let b = lo; b <= hi; b++) {
      const n = scratch[b];
      if (n === 0) continue;
      this.bins.set(b, (this.bins.get(b) ?? 0) + n);
      scratch[b] = 0;
    }
  }

  /** Another distribution's elements added to this one's. */
  merge(other: ErrorDistribution): void {
    for (const [b, n] of other.bins) this.bins.set(b, (this.bins.get(b) ?? 0) + n);
    this.count += other.count;
    this.zeros += other.zeros;
    this.above += other.above;
    this.below += other.below;
    this.nan += other.nan;
    this.max = Math.max(this.max, other.max);
  }

  /** The bins in increasing order: [lo, hi, count]; NaN last. */
  entries(): [number, number, number][] {
    return [...this.bins.entries()].sort((a, b) => a[0] - b[0]).map(([b, n]) => [...binRange(b), n]);
  }

  /**
   * The q-quantile of |out − ref| by nearest rank (the smallest value that at least q of the elements
   * are at or below), as the upper edge of its bin, and never above the largest: within 0.4 % above
   * the exact value. 0 when the rank falls among exact zeros; NaN when it falls among NaNs.
   */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    if (rank <= this.zeros) return 0;
    let seen = this.zeros;
    for (const [b, n] of [...this.bins.entries()].sort((x, y) => x[0] - y[0])) {
      // Bin 0 holds the exact zeros (already counted) and the smallest subnormals.
      seen += b === 0 ? n - this.zeros : n;
      if (seen >= rank) {
        const [, hi] = binRange(b);
        return Number.isNaN(hi) ? NaN : Math.min(hi, this.max);
      }
    }
    return NaN;
  }
}
