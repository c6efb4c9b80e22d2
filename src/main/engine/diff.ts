/**
 * Layer-by-layer comparison of a run against the Caffe-semantics reference or against blob dumps
 * (`.npy`, N,C,H,W) made with real Caffe. Tolerances are the fixtures README's: finals within
 * 1e-5 + 1e-4·|ref|, intermediates within 1e-5·max(1, peak|ref|) + 1e-4·|ref|. The first layer that
 * diverges is marked, with the likely cause where the numbers show it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PortafilterError } from '../../shared/errors.js';
import { transposeData } from '../../shared/tensor.js';
import { npyToFloat32, readNpy } from '../caffe/npy.js';
import { layerDef } from '../layers/index.js';
import type { Blob } from '../layers/types.js';
import type { CaffeNet } from '../net/model.js';
import type { Ordering } from '../keras/spec.js';
import { describeRun } from './describe.js';
import type { EngineName, ModelForm, RunResult } from './types.js';

export type DiffStatus = 'ok' | 'diverged' | 'shape' | 'missing';

export interface DiffRow {
  layer: string;
  type: string;
  /** Which top of the layer. */
  top: number;
  blob: string;
  /** Caffe's shape of the top (the candidate's value, in Caffe layout). */
  caffeShape: number[];
  /** The Keras tensor's shape, when the candidate ran a Keras model. */
  kerasShape?: number[];
  /** The shape of what it is compared against. */
  expectedShape?: number[];
  maxAbs?: number;
  /** Largest |out - ref| / |ref| over elements whose |ref| is above 1e-6·peak. */
  maxRel?: number;
  peak?: number;
  /** Error over tolerance at the worst element: below 1 is within tolerance (Infinity for NaN). */
  ratio?: number;
  /** A net output: judged with the tighter final tolerance. */
  final: boolean;
  status: DiffStatus;
  /** Set on the first diverging row when the numbers point at a cause. */
  cause?: string;
}

export interface DiffReport {
  /** What was compared, as describeRun (engine/index.ts) words it. */
  ran: string;
  engine: EngineName;
  engineDetail: string;
  form: ModelForm;
  ordering?: Ordering;
  flipKernels?: boolean;
  /** Engines the choice passed over, and why. */
  skipped?: { name: EngineName; reason: string }[];
  /** 'reference', or the dump folder. */
  against: string;
  /** How dump files were matched: by layer name, or by blob name (pycaffe's net.blobs). */
  naming?: 'layers' | 'blobs';
  rows: DiffRow[];
  /** Index into rows of the first divergence. */
  first?: number;
  ok: boolean;
  /** Dump files that matched no layer or blob. */
  unmatched: string[];
}

/** What a run is compared against: a value per (layer, top), when there is one. */
export type Expected = (layer: string, top: number) => Blob | undefined;

export function expectedFromRun(run: RunResult): Expected {
  const byLayer = new Map(run.layers.map((l) => [l.layer, l]));
  return (layer, top) => byLayer.get(layer)?.tops[top]?.value;
}

/** `<name>.npy` / `<name>__<i>.npy`, names percent-encoded where not [A-Za-z0-9_.-]. */
function dumpFiles(dir: string): Map<string, string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new PortafilterError('is not a folder of .npy dumps', { file: dir });
  const files = new Map<string, string>();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.npy')) continue;
    let key: string;
    try {
      key = decodeURIComponent(f.slice(0, -4));
    } catch {
      key = f.slice(0, -4);
    }
    files.set(key, join(dir, f));
  }
  if (files.size === 0) throw new PortafilterError('holds no .npy files', { file: dir });
  return files;
}

/**
 * Dumps named by layer hold each layer's own output (an in-place ReLU's file is after it, its conv's
 * before). Dumps named by blob are pycaffe's `net.blobs[name]` after a forward: the value the last
 * layer writing that blob left, so a blob file is matched to that layer. `auto` picks layers when a
 * file is named after an in-place layer (whose name no blob has), else blobs.
 */
export function expectedFromDumps(
  dir: string,
  model: CaffeNet,
  naming: 'auto' | 'layers' | 'blobs' = 'auto',
): { expected: Expected; naming: 'layers' | 'blobs'; unmatched: string[] } {
  const files = dumpFiles(dir);
  const { graph } = model;
  const blobs = new Set(graph.tensors.map((t) => t.blob));
  const inPlaceOnly = graph.layers.filter((l) => l.inPlace.some(Boolean) && !blobs.has(l.name)).map((l) => l.name);
  const chosen: 'layers' | 'blobs' = naming !== 'auto' ? naming : inPlaceOnly.some((n) => files.has(n)) ? 'layers' : 'blobs';
  const used = new Set<string>();
  const lookup = new Map<string, string>(); // `${layer}\u0000${top}` -> file
  if (chosen === 'layers') {
    for (const l of graph.layers) {
      l.tops.forEach((_, i) => {
        const key = i === 0 ? l.name : `${l.name}__${i}`;
        const file = files.get(key) ?? (i === 0 ? files.get(`${l.name}__0`) : undefined);
        if (file) {
          lookup.set(`${l.name}\u0000${i}`, file);
          used.add(key);
        }
      });
    }
  } else {
    const lastWriter = new Map<string, [string, number]>();
    for (const l of graph.layers) l.tops.forEach((blob, i) => lastWriter.set(blob, [l.name, i]));
    for (const [blob, [layer, top]] of lastWriter) {
      const file = files.get(blob);
      if (file) {
        lookup.set(`${layer}\u0000${top}`, file);
        used.add(blob);
      }
    }
  }
  const cache = new Map<string, Blob>();
  const expected: Expected = (layer, top) => {
    const file = lookup.get(`${layer}\u0000${top}`);
    if (!file) return undefined;
    let blob = cache.get(file);
    if (!blob) {
      const npy = readNpy(file);
      blob = { shape: npy.shape, data: npyToFloat32(npy) };
      cache.set(file, blob);
    }
    return blob;
  };
  return { expected, naming: chosen, unmatched: [...files.keys()].filter((k) => !used.has(k)).sort() };
}

interface Errors {
  maxAbs: number;
  maxRel: number;
  peak: number;
  /** The largest |out - ref| / (atol + 1e-4·|ref|): under 1 within tolerance, its size how far out. */
  ratio: number;
  ok: boolean;
}

/** The README's tolerance: |out - ref| <= atol + 1e-4·|ref|, atol = 1e-5 (finals) or 1e-5·max(1, peak). */
export function compareValues(out: Float32Array, ref: Float32Array, final: boolean): Errors {
  let peak = 0;
  for (let i = 0; i < ref.length; i++) peak = Math.max(peak, Math.abs(ref[i]));
  const atol = final ? 1e-5 : 1e-5 * Math.max(1, peak);
  let maxAbs = 0;
  let maxRel = 0;
  let ratio = 0;
  let ok = true;
  let nan = false;
  const relFloor = 1e-6 * peak;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(out[i] - ref[i]);
    const r = Math.abs(ref[i]);
    const bound = atol + 1e-4 * r;
    if (Number.isNaN(d)) nan = true;
    else {
      if (d > maxAbs) maxAbs = d;
      if (d / bound > ratio) ratio = d / bound;
    }
    if (!(d <= bound)) ok = false;
    if (r > relFloor && r > 0 && d / r > maxRel) maxRel = d / r;
  }
  return { maxAbs: nan ? NaN : maxAbs, maxRel: nan ? NaN : maxRel, peak, ratio: nan ? Infinity : ratio, ok };
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

export function diffRuns(candidate: RunResult, expected: Expected, model: CaffeNet, against: string): Omit<DiffReport, 'naming' | 'unmatched'> {
  const finals = new Set(model.graph.outputs.map((t) => `${model.graph.tensors[t].producer}:${model.graph.tensors[t].topIndex}`));
  const indexOf = new Map(model.graph.layers.map((l) => [l.name, l.index]));
  const rows: DiffRow[] = [];
  for (const out of candidate.layers) {
    out.tops.forEach((top, i) => {
      const row: DiffRow = {
        layer: out.layer,
        type: out.type,
        top: i,
        blob: top.blob,
        caffeShape: top.value.shape,
        kerasShape: top.kerasShape,
        final: finals.has(`${indexOf.get(out.layer)}:${i}`),
        status: 'missing',
      };
      const ref = expected(out.layer, i);
      if (ref) {
        row.expectedShape = ref.shape;
        if (!sameShape(ref.shape, top.value.shape) && !squeezeEqual(ref.shape, top.value.shape)) row.status = 'shape';
        else {
          const e = compareValues(top.value.data, ref.data, row.final);
          Object.assign(row, { maxAbs: e.maxAbs, maxRel: e.maxRel, peak: e.peak, ratio: e.ratio, status: e.ok ? 'ok' : 'diverged' });
        }
      }
      rows.push(row);
    });
  }
  const first = rows.findIndex((r) => r.status === 'diverged' || r.status === 'shape');
  if (first >= 0) {
    const cause = explain(rows[first], candidate, expected, model);
    if (cause) rows[first].cause = cause;
  }
  return {
    ran: describeRun(candidate),
    engine: candidate.engine,
    engineDetail: candidate.engineDetail,
    form: candidate.form,
    ordering: candidate.ordering,
    flipKernels: candidate.flipKernels,
    against,
    rows,
    first: first >= 0 ? first : undefined,
    ok: first < 0,
  };
}

/** Shapes that differ only by axes of size 1 (a (1,10) dump of a (1,10,1,1) top), or not at all. */
function squeezeEqual(a: readonly number[], b: readonly number[]): boolean {
  const s = (x: readonly number[]) => x.filter((d) => d !== 1);
  return sameShape(s(a), s(b));
}

// ---------------------------------------------------------------------------------------------
// Likely causes, tested on the numbers where possible.

const transpose = (b: Blob, perm: readonly number[]): Blob => ({ shape: perm.map((p) => b.shape[p]), data: transposeData(b.data, b.shape, perm) });

function close(a: Blob, b: Blob): boolean {
  return sameShape(a.shape, b.shape) && compareValues(a.data, b.data, false).ok;
}

function explain(row: DiffRow, candidate: RunResult, expected: Expected, model: CaffeNet): string | undefined {
  const layer = model.graph.layers.find((l) => l.name === row.layer);
  const ours = candidate.layers.find((l) => l.layer === row.layer)?.tops[row.top]?.value;
  const ref = expected(row.layer, row.top);
  if (!layer || !ours || !ref) return undefined;

  if (row.status === 'shape') {
    if (ours.shape.length === 4 && ref.shape.length === 4) {
      if (close(transpose(ours, [0, 3, 1, 2]), ref) || close(transpose(ours, [0, 2, 3, 1]), ref))
        return 'ordering: the values match after moving the channel axis — a channels-last (N,H,W,C) tensor was compared as Caffe N,C,H,W, or the other way round';
      if (layer.type === 'Pooling' && ours.shape[1] === ref.shape[1] && Math.abs(ours.shape[2] - ref.shape[2]) + Math.abs(ours.shape[3] - ref.shape[3]) <= 2)
        return 'pooling rounding: Caffe rounds the pooled size up (ceil), with the last window starting inside the padded image; floor rounding loses a row or column';
    }
    return `shape: ${ref.shape.join('×')} expected, ${ours.shape.join('×')} computed`;
  }

  if (layerDef(layer.type)?.role === 'data' && ours.shape.length === 4 && ours.shape[1] === 3) {
    const swapped = { shape: ours.shape, data: new Float32Array(ours.data.length) };
    const plane = ours.shape[2] * ours.shape[3];
    for (let s = 0; s < ours.shape[0]; s++)
      for (let ch = 0; ch < 3; ch++) swapped.data.set(ours.data.subarray((s * 3 + 2 - ch) * plane, (s * 3 + 3 - ch) * plane), (s * 3 + ch) * plane);
    if (close(swapped, ref)) return 'channel order: the input matches Caffe’s with its channels reversed (RGB fed where the model expects BGR, or the other way round)';
  }
  if (layerDef(layer.type)?.role === 'data') return inputCause(ours, ref, 'the input');

  const bottom = layer.inputs.length > 0 ? layer.inputs[0] : undefined;
  const bottomProducer = bottom !== undefined ? model.graph.layers[model.graph.tensors[bottom].producer] : undefined;
  if (layer.type === 'InnerProduct' && bottomProducer && bottom !== undefined) {
    const input = expected(bottomProducer.name, model.graph.tensors[bottom].topIndex);
    const weights = model.weights.get(layer.name);
    if (input && input.shape.length === 4 && weights && flattenOrderExplains(ours, input, weights[0].data, weights[1]?.data))
      return "flatten order: the output is what the weights give on a channels-last H·W·C flatten; Caffe's InnerProduct flattens C·H·W (reorder the weight rows)";
    if (input && input.shape.length === 4) return "flatten order, likely: the first InnerProduct after spatial layers; Caffe flattens C·H·W, channels-last Keras H·W·C";
  }
  if (layer.type === 'LRN')
    return "LRN parameters: Caffe's ACROSS_CHANNELS uses alpha/local_size and k; WITHIN_CHANNEL averages over local_size² cells (padding counted) and has no k";
  if (layer.type === 'Pooling')
    return "pooling: Caffe's MAX ignores padded cells; AVE divides by the window clipped to the padded image, not counting the ceil overhang";
  if (bottomProducer && layerDef(bottomProducer.type)?.role === 'data') return inputCause(ours, ref, "the first layer's output");
  return undefined;
}

/** y = W·flatten_hwc(x) + b matches the candidate: it flattened in the wrong order. */
function flattenOrderExplains(ours: Blob, input: Blob, w: Float32Array, b: Float32Array | undefined): boolean {
  const [n, c, h, wd] = input.shape;
  const k = c * h * wd;
  const outputs = w.length / k;
  if (!Number.isInteger(outputs) || ours.data.length !== n * outputs) return false;
  const hwc = transpose(input, [0, 2, 3, 1]).data;
  const y = new Float32Array(n * outputs);
  for (let s = 0; s < n; s++)
    for (let o = 0; o < outputs; o++) {
      let acc = b ? b[o] : 0;
      for (let i = 0; i < k; i++) acc += w[o * k + i] * hwc[s * k + i];
      y[s * outputs + o] = acc;
    }
  return compareValues(ours.data, y, false).ok;
}

/** At or right after the input: a per-channel offset points at the mean, a constant ratio at the scale. */
function inputCause(ours: Blob, ref: Blob, what: string): string | undefined {
  if (ours.shape.length !== 4) return undefined;
  const [n, c, h, w] = ours.shape;
  const plane = h * w;
  let offsets = true;
  let ratio: number | undefined;
  let ratios = true;
  for (let s = 0; s < n; s++)
    for (let ch = 0; ch < c; ch++) {
      const base = (s * c + ch) * plane;
      const d0 = ours.data[base] - ref.data[base];
      for (let p = 0; p < plane; p++) {
        const d = ours.data[base + p] - ref.data[base + p];
        if (Math.abs(d - d0) > 1e-3 * (1 + Math.abs(d0))) offsets = false;
        if (Math.abs(ref.data[base + p]) > 1e-3) {
          const r = ours.data[base + p] / ref.data[base + p];
          ratio ??= r;
          if (Math.abs(r - ratio) > 1e-3 * Math.abs(ratio)) ratios = false;
        }
      }
    }
  if (ratios && ratio !== undefined) return `input scale: ${what} is ${ratio.toPrecision(4)}× Caffe's (raw_scale / input_scale)`;
  if (offsets) return `mean: ${what} differs from Caffe's by a constant per channel, as a different mean subtraction gives`;
  return `input: ${what} already differs — check the channel order (BGR vs RGB), the mean and the scale`;
}

/** Row shapes as text. */
export const dims = (s: readonly number[] | undefined): string => (s === undefined ? '' : s.length === 0 ? 'scalar' : s.join('×'));
