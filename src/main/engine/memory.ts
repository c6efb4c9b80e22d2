/**
 * What a run will need in memory, known from the shape pass before anything is allocated, and a clear
 * refusal when the machine does not have it: an input shape too large for this machine otherwise
 * grinds through swap for minutes or dies with "Invalid typed array length", naming nothing.
 *
 * The estimate is a floor, not a forecast: every top blob once as float32 (what a run capturing every
 * layer holds at the end, and what `--dump` writes) plus the weights already loaded. A run that keeps
 * only the net outputs holds less at once; its largest live set is approximated by the same sum, which
 * overstates it by at most the layers that are freed early. Engines hold more than the floor (TF.js and
 * onnxruntime keep their own copies of tensors and weights), so a run refused here could never finish.
 */
import { freemem, totalmem } from 'node:os';
import { basename } from 'node:path';
import { EngineError } from '../../shared/errors.js';
import { layerDef } from '../layers/index.js';
import type { CaffeNet } from '../net/model.js';

export interface MemoryEstimate {
  /** Every layer's tops as float32, net inputs included. */
  activations: number;
  /** The weights already loaded (float32). */
  weights: number;
  total: number;
  /** The largest single top, which bounds what one allocation asks for. */
  largest?: { layer: string; blob: string; shape: number[]; bytes: number };
}

export interface Machine {
  /** Bytes the process may use: the RAM, or the container's limit when lower. */
  total: number;
  /** Bytes free now (the OS may free more from caches). */
  free: number;
}

const F32 = 4;
const elements = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

/** The memory a run of `model` at its current input shapes needs at least (see the module comment). */
export function estimateMemory(model: CaffeNet): MemoryEstimate {
  let activations = 0;
  let largest: MemoryEstimate['largest'];
  for (const layer of model.graph.layers) {
    model.shapes.layers[layer.index].topShapes.forEach((shape, i) => {
      const bytes = elements(shape) * F32;
      activations += bytes;
      if (!largest || bytes > largest.bytes) largest = { layer: layer.name, blob: layer.tops[i], shape: [...shape], bytes };
    });
  }
  let weights = 0;
  for (const blobs of model.weights.values()) for (const w of blobs) weights += w.data.byteLength;
  return { activations, weights, total: activations + weights, largest };
}

/** This machine: os.totalmem(), or the cgroup limit of a container when that is lower. */
export function thisMachine(): Machine {
  const limit = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : undefined;
  const total = limit !== undefined && limit > 0 && limit < totalmem() ? limit : totalmem();
  return { total, free: Math.min(freemem(), total) };
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} bytes` : `${v.toFixed(1)} ${units[u]}`;
}

export interface MemoryCheckOptions {
  /**
   * Where an input's shape came from, in the caller's words (e.g. "--input-shape data=1,3,224,224", "the
   * input file x.npy"); by default "given as its input shape" or "declared in <prototxt>".
   */
  origin?: (input: string) => string | undefined;
  /** The machine to check against (default: this one). */
  machine?: Machine;
}

/**
 * Refuses, before anything is allocated, a run that needs more memory than the machine has: the error
 * names each input's shape and where it came from, what the run needs and what the machine has.
 */
export function checkMemory(model: CaffeNet, options: MemoryCheckOptions = {}): MemoryEstimate {
  const estimate = estimateMemory(model);
  const machine = options.machine ?? thisMachine();
  if (estimate.total <= machine.total) return estimate;
  const declared = `declared in ${basename(model.prototxt)}`;
  const inputs = model.graph.layers
    .filter((l) => layerDef(l.type)?.role === 'data')
    .flatMap((l) => l.tops.map((blob, i) => ({ blob, shape: model.shapes.layers[l.index].topShapes[i] })))
    .filter((i) => i.shape.length > 1)
    .map(({ blob, shape }) => {
      const origin = options.origin?.(blob) ?? (model.inputShapes[blob] ? 'given as its input shape' : declared);
      return `${blob} ${shape.join('×')} (${origin})`;
    });
  const largest = estimate.largest
    ? ` (the largest, top '${estimate.largest.blob}' of layer '${estimate.largest.layer}' at ${estimate.largest.shape.join('×')}, takes ${formatBytes(estimate.largest.bytes)})`
    : '';
  throw new EngineError(
    `the input${inputs.length > 1 ? 's' : ''} ${inputs.join(', ')} ${inputs.length > 1 ? 'are' : 'is'} too large for this machine: running it needs at least ${formatBytes(estimate.total)}, ` +
      `${formatBytes(estimate.activations)} for every layer's output as float32${largest} and ${formatBytes(estimate.weights)} of weights, ` +
      `but this machine has ${formatBytes(machine.total)} of memory (${formatBytes(machine.free)} free); give a smaller input shape or batch`,
    undefined,
    { kind: 'memory', needed: estimate.total, activations: estimate.activations, weights: estimate.weights, machine },
  );
}
