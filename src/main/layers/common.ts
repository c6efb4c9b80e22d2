/**
 * Blob helpers the shape rules share: Caffe's Blob::CanonicalAxisIndex, count(), legacy 4-D
 * accessors, and the element-wise ("neuron") layer shape. Not a layer type itself.
 */
import { repeated, type Message, type Scalar } from '../caffe/message.js';
import { registerLayer } from './registry.js';
import type { LayerDef, LayerMeta, LayerParams, LayerShapes, Shape, ShapeContext } from './types.js';

export const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * A parameter value for a node label: float fields hold float32 values (0.0001 is 9.99999974e-5 once
 * read), so seven significant digits give back what the prototxt wrote.
 */
export const num = (v: unknown): string => {
  const n = Number(v);
  return Number.isFinite(n) ? String(Number(n.toPrecision(7))) : String(v);
};

/** The parts of a node label that apply, joined: `label(['MAX', '3×3'], ...)` with falsy parts left out. */
export const label = (...parts: (string | false | undefined | null)[]): string => parts.filter(Boolean).join(' ');

/** A label part naming a parameter the layer sets to a value other than its default, e.g. 'alpha 0.1'. */
export function changed(p: LayerParams, paramField: string, field: string, name = field): string | undefined {
  if (!p.has(paramField, field)) return undefined;
  const v = p.param(paramField)[field];
  return `${name} ${typeof v === 'number' ? num(v) : String(v)}`;
}

/** Product of shape[start..end) (1 for an empty range), as Blob::count(start, end). */
export function count(shape: readonly number[], start = 0, end = shape.length): number {
  let n = 1;
  for (let i = start; i < end; i++) n *= shape[i];
  return n;
}

/** Blob::CanonicalAxisIndex: -N <= axis < N, negative axes count from the end. */
export function canonicalAxis(ctx: ShapeContext, shape: readonly number[], axis: number, field: string): number {
  const n = shape.length;
  if (axis < -n || axis >= n) ctx.fail(`axis ${axis} out of range for ${n}-D blob with shape ${fmt(shape)}`, field);
  return axis < 0 ? axis + n : axis;
}

/**
 * Blob::LegacyShape (num/channels/height/width): only for blobs of at most 4 axes, and an index
 * past the blob's axes reads as 1.
 */
export function legacyDim(ctx: ShapeContext, shape: readonly number[], index: number, field?: string): number {
  if (shape.length > 4) ctx.fail(`cannot use legacy accessors on blobs with more than 4 axes (shape ${fmt(shape)})`, field);
  if (index >= shape.length || index < -shape.length) return 1;
  return shape[index < 0 ? index + shape.length : index];
}

/** A repeated field of a defaults-filled parameter message, as an array whatever its form. */
export const list = <T extends Scalar | Message = number>(msg: Message, field: string): T[] => repeated<T>(msg, field);

/** A repeated numeric value (array, lone value or absent) as an array of numbers. */
export const asList = (v: unknown): number[] => (v === undefined ? [] : Array.isArray(v) ? v.map(Number) : [Number(v)]);

/** The dims of a BlobShape message. */
export const blobShapeDims = (shape: Message | undefined): number[] => repeated<number>(shape, 'dim');

/** Caffe's CHECK_NE(top[i], bottom[0]): no top may be the bottom blob itself (same name). */
export function forbidInPlace(ctx: ShapeContext): void {
  const tops = repeated<string>(ctx.layer, 'top');
  const bottoms = repeated<string>(ctx.layer, 'bottom');
  for (const t of tops) {
    if (bottoms.length > 0 && t === bottoms[0]) ctx.fail(`${ctx.type} layer does not allow in-place computation`, 'top');
  }
}

/** Caffe's INT_MAX: the most values a blob holds, and the largest value of the int a layer keeps each parameter in. */
export const INT_MAX = 2147483647;

/**
 * What Blob::Reshape (blob.cpp) would CHECK-fail on in `shape`, in words, or undefined when Caffe
 * allocates it: at most kMaxBlobAxes (32) axes, every dimension >= 0, and axis by axis
 * shape[i] <= INT_MAX / count ("blob size exceeds INT_MAX").
 */
export function blobShapeProblem(shape: readonly number[]): string | undefined {
  if (shape.length > 32) return `has ${shape.length} axes; Caffe allows at most 32 (kMaxBlobAxes)`;
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!Number.isInteger(d)) return `has dimension ${i} = ${d}, not an integer`;
    if (d < 0) return `has dimension ${i} = ${d}, negative`;
    if (n !== 0 && d > Math.floor(INT_MAX / n)) {
      const exact = shape.every((x) => Number.isInteger(x) && x >= 0);
      const values = exact ? `${shape.reduce((a, b) => a * BigInt(b), 1n)} values` : 'more values';
      return `holds ${values}, more than INT_MAX (${INT_MAX}) (Blob::Reshape: blob size exceeds INT_MAX)`;
    }
    n *= d;
  }
  return undefined;
}

/** Blob::Reshape's checks on a shape the parameters give (see blobShapeProblem). */
export function checkBlobShape(ctx: ShapeContext, shape: readonly number[], field?: string): Shape {
  const problem = blobShapeProblem(shape);
  if (problem) ctx.fail(`blob shape ${fmt(shape)} ${problem}`, field);
  return [...shape];
}

/**
 * A parameter as the C++ int the layer copies it into (most uint32 fields of caffe.proto: num_output,
 * kernel_size, pad, stride, ...): above INT_MAX it would wrap to a negative number, so it is refused.
 * `values` is the field's value or values; `field` names it in the error.
 */
export function checkInt(ctx: ShapeContext, values: number | readonly number[], field: string): void {
  for (const v of typeof values === 'number' ? [values] : values) {
    if (!(v > INT_MAX)) continue;
    const low = v % 2 ** 32; // the bits an int keeps
    const wrapped = low > INT_MAX ? low - 2 ** 32 : low;
    ctx.fail(`${field.split('.').at(-1)} ${v} is above INT_MAX (${INT_MAX}): Caffe keeps it in an int, where it would be ${wrapped}`, field);
  }
}

/** The allowed tops of a layer whose count Caffe fixes per parameter set (e.g. Pooling's mask top). */
export function checkTopCount(ctx: ShapeContext, max: number): void {
  if (ctx.numTops > max) ctx.fail(`${ctx.type} layer takes at most ${max} top blob(s) as output with these parameters`, 'top');
}

/**
 * Element-wise layers (Caffe's NeuronLayer): one bottom, one top of the bottom's shape, no
 * learnable blobs; `check` adds the type's own LayerSetUp CHECKs, `members` its other members.
 */
export function registerNeuron(
  type: string,
  check: ((ctx: ShapeContext) => void) | undefined,
  members: Partial<Pick<LayerDef, 'reference' | 'keras' | 'onnx'>> & { meta: LayerMeta },
): LayerDef {
  return registerLayer({
    type,
    bottoms: { min: 1, max: 1 },
    tops: { min: 1, max: 1 },
    ...members,
    shapes(ctx): LayerShapes {
      check?.(ctx);
      return { tops: [[...ctx.bottoms[0]]], blobs: [] };
    },
  });
}

/**
 * The tops of a layer that reads its data from outside the net (a database, image files): the shape
 * the caller gives for the data top, else `known` when the parameters fix it, else a clear failure.
 * Further tops (labels) get one value per item: [N]. (base_data_layer.cpp, *_data_layer.cpp)
 */
export function dataTops(ctx: ShapeContext, known: Shape | undefined, why: string, field: string): Shape[] {
  const data = ctx.givenShape(0) ?? known;
  if (!data) {
    const blob = repeated<string>(ctx.layer, 'top')[0] ?? 'data';
    ctx.unknown(`the ${ctx.type} layer takes its shape ${why}: give it as an input shape, ${blob}=N,C,H,W (the Input shapes field; --input-shape on the command line)`, field);
  }
  return Array.from({ length: ctx.numTops }, (_, i) => (i === 0 ? [...data] : (ctx.givenShape(i) ?? [data[0]])));
}

/** LossLayer::Reshape: a scalar loss from (prediction, label) with the same first dimension. */
export function lossTop(ctx: ShapeContext): Shape {
  const [a, b] = ctx.bottoms;
  if (a.length === 0 || b.length === 0 || a[0] !== b[0])
    ctx.fail(`the data and label should have the same first dimension (${fmt(a)} vs ${fmt(b)})`, 'bottom');
  return [];
}
