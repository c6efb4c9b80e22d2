/**
 * Layer-by-layer comparison of a run against the Caffe-semantics reference or against blob dumps
 * (`.npy`, N,C,H,W) made with real Caffe. Tolerances are the fixtures README's: finals within
 * 1e-5 + 1e-4·|ref|, intermediates within 1e-5·max(1, peak|ref|) + 1e-4·|ref|. The first layer that
 * diverges is marked, with the likely cause where the numbers show it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DiffRowInfo } from '../../shared/api.js';
import { PortafilterError } from '../../shared/errors.js';
import { transposeData } from '../../shared/tensor.js';
import { npyToFloat32, readNpy } from '../caffe/npy.js';
import { layerDef } from '../layers/index.js';
import type { Blob } from '../layers/types.js';
import type { CaffeNet } from '../net/model.js';
import type { Ordering } from '../keras/spec.js';
import { describeRun } from './describe.js';
import { createReferenceContext } from './reference.js';
import type { EngineName, ModelForm, RunResult } from './types.js';

export type DiffStatus = DiffRowInfo['status'];

/** A row as the API carries it (src/shared/api.ts), with the reference's peak |value| the tolerance was scaled by. */
export interface DiffRow extends DiffRowInfo {
  peak?: number;
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
      if (layer.type === 'Pooling' && ours.shape[1] === ref.shape[1] && ours.shape[2] <= ref.shape[2] && ours.shape[3] <= ref.shape[3] && close(ours, cropTo(ref, ours.shape)))
        return `pooling rounding: the output is Caffe's without its last ${ref.shape[2] - ours.shape[2] === 1 && ref.shape[3] - ours.shape[3] <= 1 ? 'row and column' : 'rows or columns'} (${ref.shape.slice(2).join('×')} → ${ours.shape.slice(2).join('×')}): the pooled size was rounded down (floor), where Caffe rounds it up (ceil, its last window starting inside the padded image)`;
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
  // What the layer gives when its reference op is fed Caffe's own bottoms (where known) with one bug put in.
  const bottoms = layer.inputs.map((id) => {
    const t = model.graph.tensors[id];
    return expected(model.graph.layers[t.producer].name, t.topIndex) ?? candidate.layers.find((l) => l.layer === model.graph.layers[t.producer].name)?.tops[t.topIndex]?.value;
  });
  if (bottoms.some((b) => b === undefined)) return undefined;
  const inputs = bottoms as Blob[];
  if (layer.type === 'LRN') {
    const lrn = recompute(model, layer, inputs, { param: (name, p) => (name === 'lrn_param' ? { ...p, alpha: Number(p.alpha) * Number(p.local_size) } : p) });
    if (lrn && close(ours, lrn)) return 'LRN alpha: the output is what alpha gives undivided; Caffe divides alpha by local_size (x / (k + alpha/n · Σx²)^beta)';
    return undefined;
  }
  if (layer.type === 'Convolution' || layer.type === 'Deconvolution') {
    const [w, ...rest] = model.weights.get(layer.name) ?? [];
    const flipped = w && w.shape.length === 4 ? recompute(model, layer, inputs, { blobs: [{ shape: w.shape, data: rotate180(w.data, w.shape) }, ...rest] }) : undefined;
    if (flipped && close(ours, flipped))
      return 'kernels rotated 180°: the output is what the kernels give turned by 180°; Caffe correlates, so only a true-convolution backend (Theano) takes flipped kernels';
    if (bottomProducer && layerDef(bottomProducer.type)?.role === 'data') {
      // The first layer after the input, dumps without the input itself: which input would have given Caffe's numbers?
      const fed = candidate.layers.find((l) => l.layer === bottomProducer.name)?.tops[model.graph.tensors[layer.inputs[0]].topIndex]?.value;
      if (fed && fed.shape.length === 4 && fed.shape[1] === 3) {
        const swapped = recompute(model, layer, [swapChannels(fed), ...inputs.slice(1)]);
        if (swapped && close(swapped, ref)) return 'channel order: Caffe’s numbers come from the input with its channels reversed (RGB fed where the model expects BGR, or the other way round)';
      }
      if (fed) {
        const scale = inputScale(model, layer, fed, ours, ref, inputs.slice(1));
        if (scale !== undefined) return `input scale: Caffe’s numbers come from the input multiplied by ${scale.toPrecision(4)} (raw_scale / input_scale)`;
      }
      if (perChannelOffset(ours, ref, w?.shape))
        return "mean: the first layer's output differs from Caffe's by a constant per channel, away from the padded border, as a mean subtracted differently (or not at all) gives";
    }
    return undefined;
  }
  return undefined;
}

/** The layer's reference op on `bottoms`, with its learnable blobs or a parameter message changed as a bug would change them. */
function recompute(
  model: CaffeNet,
  layer: CaffeNet['graph']['layers'][number],
  bottoms: Blob[],
  change: { blobs?: Blob[]; param?: (name: string, value: Record<string, unknown>) => Record<string, unknown> } = {},
): Blob | undefined {
  const def = layerDef(layer.type);
  if (!def?.reference) return undefined;
  const ctx = createReferenceContext(layer.param, bottoms, change.blobs ?? model.weights.get(layer.name) ?? [], model.shapes.layers[layer.index].topShapes);
  const tweak = change.param;
  const context = tweak ? { ...ctx, param: <T>(name: string): T => tweak(name, ctx.param<Record<string, unknown>>(name)) as T } : ctx;
  try {
    return def.reference(context)[0];
  } catch {
    // A bug that makes the op itself refuse is not the bug we are looking for.
    return undefined;
  }
}

/** Each (out, in) kernel of an O,I,kh,kw blob turned by 180°. */
function rotate180(data: Float32Array, shape: readonly number[]): Float32Array {
  const plane = shape[2] * shape[3];
  const out = new Float32Array(data.length);
  for (let k = 0; k < data.length; k += plane) for (let i = 0; i < plane; i++) out[k + i] = data[k + plane - 1 - i];
  return out;
}

function swapChannels(x: Blob): Blob {
  const [n, , h, w] = x.shape;
  const plane = h * w;
  const data = new Float32Array(x.data.length);
  for (let s = 0; s < n; s++) for (let ch = 0; ch < 3; ch++) data.set(x.data.subarray((s * 3 + 2 - ch) * plane, (s * 3 + 3 - ch) * plane), (s * 3 + ch) * plane);
  return { shape: x.shape, data };
}

/** The factor s for which the layer on s·input gives Caffe's numbers (a linear layer: read off its largest response, then checked). */
function inputScale(model: CaffeNet, layer: CaffeNet['graph']['layers'][number], fed: Blob, ours: Blob, ref: Blob, rest: Blob[]): number | undefined {
  const zero = recompute(model, layer, [{ shape: fed.shape, data: new Float32Array(fed.data.length) }, ...rest]);
  if (!zero) return undefined;
  let at = -1;
  for (let i = 0, best = 0; i < ours.data.length; i++) {
    const v = Math.abs(ours.data[i] - zero.data[i]);
    if (v > best) [best, at] = [v, i];
  }
  if (at < 0) return undefined;
  const s = (ref.data[at] - zero.data[at]) / (ours.data[at] - zero.data[at]);
  if (!Number.isFinite(s) || Math.abs(s - 1) < 1e-3) return undefined;
  const scaled = recompute(model, layer, [{ shape: fed.shape, data: fed.data.map((v) => v * s) }, ...rest]);
  return scaled && close(scaled, ref) ? s : undefined;
}

/** ours − ref is one constant per output channel over the cells no padding reaches (a kernel's width in from each edge). */
function perChannelOffset(ours: Blob, ref: Blob, kernel: readonly number[] | undefined): boolean {
  if (ours.shape.length !== 4 || !sameShape(ours.shape, ref.shape)) return false;
  const [n, c, h, w] = ours.shape;
  const margin = kernel ? Math.max(kernel[2], kernel[3]) : 0;
  if (h <= 2 * margin || w <= 2 * margin) return false;
  let varies = false;
  let offset = 0;
  for (let s = 0; s < n; s++)
    for (let ch = 0; ch < c; ch++) {
      const base = (s * c + ch) * h * w;
      const d0 = ours.data[base + margin * w + margin] - ref.data[base + margin * w + margin];
      offset = Math.max(offset, Math.abs(d0));
      for (let y = margin; y < h - margin; y++)
        for (let x = margin; x < w - margin; x++) {
          const d = ours.data[base + y * w + x] - ref.data[base + y * w + x];
          if (Math.abs(d - d0) > 1e-3 * (1 + Math.abs(d0))) varies = true;
        }
    }
  return !varies && offset > 0;
}

/** The leading rows and columns of an N,C,H,W blob. */
function cropTo(x: Blob, shape: readonly number[]): Blob {
  const [n, c, h, w] = x.shape;
  const [, , oh, ow] = shape;
  const data = new Float32Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++) for (let y = 0; y < oh; y++) data.set(x.data.subarray((p * h + y) * w, (p * h + y) * w + ow), (p * oh + y) * ow);
  return { shape: [n, c, oh, ow], data };
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
