/**
 * What the Weights view draws of a model's learnable blobs, computed where the blobs are (the model's
 * worker) so that only small typed arrays cross to the window: a blob's statistics and histogram,
 * convolution filters as RGBA tiles, and every blob's distribution for the whole-model box plot.
 * Sums are float64; NaN and ±Inf are counted apart and left out of every other figure.
 */
import type { BlobDistribution, BlobStats, FilterTiles } from '../../shared/api.js';

export interface Moments extends BlobStats {
  /** Finite values (what min, max, mean and std are over). */
  finite: number;
  meanAbs: number;
}

export interface Histogram {
  /** bins + 1 edges over [min, max]; counts[i] holds edges[i] <= v < edges[i + 1], the last bin closed. */
  edges: Float64Array;
  counts: Float64Array;
}

/*
 * Blobs reach 10^8 values (VGG16's fc6), so the passes below run over chunks by small functions: they
 * are optimised after a few calls, where one long loop would wait for on-stack replacement, which
 * took several times as long on a first call.
 */
const CHUNK = 1 << 16;

/**
 * min and max of data[from, to) into range[0], range[1]; NaN loses both comparisons, ±Inf wins one.
 * Two lanes of comparisons, each with its own running extremes, keep the CPU's pipelines full.
 */
function rangeChunk(data: Float32Array, from: number, to: number, range: Float64Array): void {
  let min0 = range[0];
  let max0 = range[1];
  let min1 = min0;
  let max1 = max0;
  let i = from;
  for (; i + 1 < to; i += 2) {
    const v = data[i];
    const w = data[i + 1];
    if (v < min0) min0 = v;
    if (v > max0) max0 = v;
    if (w < min1) min1 = w;
    if (w > max1) max1 = w;
  }
  if (i < to) {
    const v = data[i];
    if (v < min0) min0 = v;
    if (v > max0) max0 = v;
  }
  range[0] = min0 < min1 ? min0 : min1;
  range[1] = max0 > max1 ? max0 : max1;
}

/** The same over finite values only: the slower loop, for a blob holding ±Inf. */
function finiteRangeChunk(data: Float32Array, from: number, to: number, range: Float64Array): void {
  let min = range[0];
  let max = range[1];
  for (let i = from; i < to; i++) {
    const v = data[i];
    if (v - v !== 0) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  range[0] = min;
  range[1] = max;
}

// Accumulators of the second pass, by index in one Float64Array (one type, one shape: the chunk function stays optimised).
const SUM = 0;
const SQUARES = 1;
const ABS = 2;
const ZEROS = 3;
const NAN = 4;
const INF = 5;

/** The bin of value v: the one rule statsChunk and binEdges share. */
const binOf = (v: number, min: number, scale: number, last: number): number => Math.min(last, ((v - min) * scale) | 0);

/**
 * Edges that agree with binOf exactly: edges[i] is the least float64 that binOf puts in bin i or
 * later (binOf is monotonic: a rounded subtraction, a product by a positive number and a floor), so
 * counts[i] holds exactly the values with edges[i] <= v < edges[i + 1]. They lie within a few ulps of
 * min + (max - min)·i / bins; edges[0] is min and edges[bins] max.
 */
function binEdges(min: number, max: number, bins: number): Float64Array {
  const edges = new Float64Array(bins + 1);
  edges[0] = min;
  edges[bins] = max;
  if (!(max > min)) return edges.fill(min);
  const scale = bins / (max - min);
  const last = bins - 1;
  const inBinOrLater = (v: number, i: number): boolean => binOf(v, min, scale, last) >= i;
  // The estimate is off by a few ulps of the range, which near 0 are billions of ulps of the edge
  // itself: bracket it, then bisect (each halving ends at two adjacent floats, at most ~2,100 steps).
  const slack = Math.max(Math.max(Math.abs(min), Math.abs(max)) * Number.EPSILON * 4, Number.MIN_VALUE);
  for (let i = 1; i < bins; i++) {
    const estimate = min + ((max - min) * i) / bins;
    let lo = estimate;
    for (let step = slack; inBinOrLater(lo, i); step *= 2) lo = estimate - step;
    let hi = estimate;
    for (let step = slack; !inBinOrLater(hi, i); step *= 2) hi = estimate + step;
    for (;;) {
      const mid = lo + (hi - lo) / 2;
      if (mid === lo || mid === hi) break;
      if (inBinOrLater(mid, i)) hi = mid;
      else lo = mid;
    }
    edges[i] = hi;
  }
  return edges;
}

/**
 * Sums (of v - shift, so that the variance suffers no cancellation: |mean - shift| <= (max - min) / 2),
 * |v|, zeros, NaN and ±Inf of data[from, to), and each finite value's histogram bin (binOf, inlined:
 * this loop runs 10^8 times).
 */
function statsChunk(data: Float32Array, from: number, to: number, min: number, max: number, shift: number, counts: Float64Array, acc: Float64Array): void {
  // Two lanes of sums (float adds wait on each other; two chains run side by side), added up at the end.
  let sum0 = 0;
  let sum1 = 0;
  let squares0 = 0;
  let squares1 = 0;
  let abs0 = 0;
  let abs1 = 0;
  let zeros = 0;
  const last = counts.length - 1;
  const scale = max > min ? counts.length / (max - min) : 0;
  let i = from;
  for (; i + 1 < to; i += 2) {
    const v = data[i];
    const w = data[i + 1];
    if (!(v >= min && v <= max && w >= min && w <= max)) {
      // A non-finite value in the pair: this pair one value at a time.
      statsOne(data, i, min, scale, last, shift, counts, acc);
      statsOne(data, i + 1, min, scale, last, shift, counts, acc);
      continue;
    }
    const d = v - shift;
    const e = w - shift;
    sum0 += d;
    sum1 += e;
    squares0 += d * d;
    squares1 += e * e;
    // Math.abs is one instruction; a conditional negation is a branch that random signs mispredict half the time (fc6: 40% of the pass).
    abs0 += Math.abs(v);
    abs1 += Math.abs(w);
    if (v === 0) zeros++;
    if (w === 0) zeros++;
    let b = ((v - min) * scale) | 0;
    if (b > last) b = last;
    counts[b]++;
    let c = ((w - min) * scale) | 0;
    if (c > last) c = last;
    counts[c]++;
  }
  if (i < to) statsOne(data, i, min, scale, last, shift, counts, acc);
  acc[SUM] += sum0 + sum1;
  acc[SQUARES] += squares0 + squares1;
  acc[ABS] += abs0 + abs1;
  acc[ZEROS] += zeros;
}

/** statsChunk's work for the one value data[i] (the finite range is [min, min + (last + 1) / scale], or min alone). */
function statsOne(data: Float32Array, i: number, min: number, scale: number, last: number, shift: number, counts: Float64Array, acc: Float64Array): void {
  const v = data[i];
  if (v !== v) {
    acc[NAN]++;
    return;
  }
  if (v === Infinity || v === -Infinity) {
    acc[INF]++;
    return;
  }
  const d = v - shift;
  acc[SUM] += d;
  acc[SQUARES] += d * d;
  acc[ABS] += Math.abs(v);
  if (v === 0) acc[ZEROS]++;
  let b = ((v - min) * scale) | 0;
  if (b > last) b = last;
  counts[b]++;
}

/**
 * A blob's statistics and its histogram of `bins` equal-width bins over [min, max] of the finite
 * values, in two passes: the range, then everything else. A constant blob has every edge at its value
 * and every value in the last (closed) bin; a blob without finite values has 0 for every figure.
 */
export function blobStats(data: Float32Array, bins: number): { stats: Moments; histogram: Histogram } {
  const n = data.length;
  const range = Float64Array.of(Infinity, -Infinity);
  for (let i = 0; i < n; i += CHUNK) rangeChunk(data, i, Math.min(n, i + CHUNK), range);
  if (range[0] === -Infinity || range[1] === Infinity) {
    range[0] = Infinity;
    range[1] = -Infinity;
    for (let i = 0; i < n; i += CHUNK) finiteRangeChunk(data, i, Math.min(n, i + CHUNK), range);
  }
  const any = range[0] <= range[1];
  const [min, max] = any ? [range[0], range[1]] : [0, 0];
  const edges = binEdges(min, max, bins);
  const counts = new Float64Array(bins);
  const acc = new Float64Array(6);
  const shift = (min + max) / 2;
  if (any) {
    // The last bin is closed: with max == min every value lands there, as the edges say.
    const constant = !(max > min);
    for (let i = 0; i < n; i += CHUNK) statsChunk(data, i, Math.min(n, i + CHUNK), min, max, shift, constant ? counts.subarray(bins - 1) : counts, acc);
  } else for (let i = 0; i < n; i++) acc[data[i] !== data[i] ? NAN : INF]++;
  const finite = n - acc[NAN] - acc[INF];
  const mean = finite > 0 ? shift + acc[SUM] / finite : 0;
  const variance = finite > 0 ? Math.max(0, acc[SQUARES] / finite - (acc[SUM] / finite) ** 2) : 0;
  const stats: Moments = {
    count: n,
    finite,
    min,
    max,
    mean,
    std: Math.sqrt(variance),
    zeroFraction: n > 0 ? acc[ZEROS] / n : 0,
    nanCount: acc[NAN],
    infCount: acc[INF],
    meanAbs: finite > 0 ? acc[ABS] / finite : 0,
  };
  return { stats, histogram: { edges, counts } };
}

/**
 * numpy's percentile (linear interpolation at rank p·(n-1) of the sorted finite values) read off a
 * histogram: each of the two order statistics around the rank is placed within its bin (so within one
 * bin width of its true value), and they are interpolated as numpy does, so the result is within one
 * bin width of the exact percentile however sparse the values.
 */
export function percentile(h: Histogram, finite: number, p: number): number {
  if (finite === 0) return 0;
  const rank = p * (finite - 1);
  const k = Math.floor(rank);
  const lo = orderStatistic(h, k);
  return k + 1 < finite && rank > k ? lo + (orderStatistic(h, k + 1) - lo) * (rank - k) : lo;
}

/** Where the k-th smallest value (0-based) lies, within its bin: its place among the bin's values, spread evenly. */
function orderStatistic(h: Histogram, k: number): number {
  const { edges, counts } = h;
  let below = 0;
  for (let b = 0; b < counts.length; b++) {
    const c = counts[b];
    if (k < below + c) return edges[b] + (edges[b + 1] - edges[b]) * ((k - below + 0.5) / c);
    below += c;
  }
  return edges[edges.length - 1];
}

/** The bins of the whole-model overview: fine enough that its percentiles are within (max - min) / 4096 of exact. */
export const OVERVIEW_BINS = 4096;

export function blobDistribution(layer: string, blob: number, shape: readonly number[], data: Float32Array): BlobDistribution {
  const { stats: m, histogram: h } = blobStats(data, OVERVIEW_BINS);
  const at = (p: number): number => percentile(h, m.finite, p);
  const { finite: _finite, ...stats } = m;
  return { layer, blob, shape: [...shape], ...stats, p01: at(0.01), q1: at(0.25), median: at(0.5), q3: at(0.75), p99: at(0.99) };
}

export type TileMode = 'rgb' | 'channel' | 'mean';

/** A value mapped to a byte, symmetric about 0: -scale -> 0, 0 -> 128, +scale -> 255 (NaN grey, like 0). */
const toByte = (v: number, scale: number): number => (v !== v ? 128 : scale > 0 ? Math.round(127.5 + (127.5 * v) / scale) : 128);

/**
 * The output filters [offset, offset + limit) of a 4-D blob (Caffe's O, I/g, kh, kw) as kh × kw RGBA
 * tiles, each scaled to its own max |w| (over what it shows; non-finite values left out of the scale).
 *  - rgb: the three input channels as one colour. Caffe models are trained on OpenCV's BGR images
 *    (the reference models' data layers and caffe.io load BGR), so blob channel 2 is red, 1 green, 0 blue.
 *  - channel: input channel `channel`, grey.
 *  - mean: the mean over the input channels, grey.
 */
export function filterTiles(
  layer: string,
  shape: readonly number[],
  data: Float32Array,
  request: { mode: 'auto' | TileMode; channel: number; offset: number; limit: number },
): FilterTiles {
  const [filters, inputs, height, width] = shape;
  const mode: TileMode = request.mode === 'auto' ? (inputs === 3 ? 'rgb' : 'mean') : request.mode;
  const offset = Math.min(request.offset, filters);
  const tiles = Math.max(0, Math.min(request.limit, filters - offset));
  const plane = height * width;
  const pixels = new Uint8ClampedArray(tiles * plane * 4);
  const scales = new Float32Array(tiles);
  const values = new Float64Array(mode === 'rgb' ? 3 * plane : plane);
  for (let t = 0; t < tiles; t++) {
    const base = (offset + t) * inputs * plane;
    // The tile's values: rgb as R, G, B planes (blob channels 2, 1, 0); channel and mean one plane.
    if (mode === 'rgb') for (let c = 0; c < 3; c++) values.set(data.subarray(base + (2 - c) * plane, base + (3 - c) * plane), c * plane);
    else if (mode === 'channel') values.set(data.subarray(base + request.channel * plane, base + (request.channel + 1) * plane));
    else {
      values.fill(0);
      for (let c = 0; c < inputs; c++) for (let i = 0; i < plane; i++) values[i] += data[base + c * plane + i];
      for (let i = 0; i < plane; i++) values[i] /= inputs;
    }
    let scale = 0;
    for (let i = 0; i < values.length; i++) {
      const a = Math.abs(values[i]);
      if (a > scale && a !== Infinity) scale = a;
    }
    scales[t] = scale;
    const out = t * plane * 4;
    for (let i = 0; i < plane; i++) {
      const p = out + i * 4;
      if (mode === 'rgb') {
        pixels[p] = toByte(values[i], scale);
        pixels[p + 1] = toByte(values[plane + i], scale);
        pixels[p + 2] = toByte(values[2 * plane + i], scale);
      } else pixels[p] = pixels[p + 1] = pixels[p + 2] = toByte(values[i], scale);
      pixels[p + 3] = 255;
    }
  }
  return { layer, mode, filters, offset, tiles, height, width, inputChannels: inputs, pixels, scales };
}
