/**
 * Running a model: the converted Keras model on a TensorFlow.js backend or onnxruntime, or the
 * Caffe-semantics reference. Every engine takes Caffe-layout inputs and gives back every Caffe
 * layer's output in Caffe's layout, so they compare directly.
 */
import type { Ordering } from '../keras/spec.js';
import type { Blob } from '../layers/types.js';

export type EngineName = 'tfjs-node-gpu' | 'tfjs-node' | 'onnxruntime' | 'wasm' | 'cpu' | 'reference';

/** Auto picks the first of these that loads here. */
export const ENGINE_PREFERENCE: readonly EngineName[] = ['tfjs-node-gpu', 'tfjs-node', 'onnxruntime', 'wasm', 'cpu'];

export interface TopOutput {
  /** The Caffe blob the top writes. */
  blob: string;
  /** The value in Caffe's layout (N,C,H,W for 4-D). */
  value: Blob;
  /** The Keras tensor's shape, where the engine runs a Keras model. */
  kerasShape?: number[];
}

export interface LayerOutput {
  /** Caffe layer name and type. */
  layer: string;
  type: string;
  /** One per top: the layer's own output at the moment it ran (an in-place layer's is after it). */
  tops: TopOutput[];
}

export interface RunResult {
  engine: EngineName;
  /** Human-readable: backend and its settings, e.g. "tfjs wasm (SIMD, 1 thread)". */
  engineDetail: string;
  ordering?: Ordering;
  /** Every Caffe layer that ran, in execution order (when capturing), else only the net outputs' producers. */
  layers: LayerOutput[];
  /** The net outputs (Caffe blob names) and their values. */
  outputs: { blob: string; value: Blob }[];
  milliseconds: number;
}

export interface RunOptions {
  /** Capture every layer's output (default) or only the net outputs. */
  capture?: boolean;
  signal?: AbortSignal;
}

export interface Engine {
  readonly name: EngineName;
  readonly detail: string;
  /** `inputs` by net input blob name, in Caffe's layout. */
  run(inputs: Record<string, Blob>, options?: RunOptions): Promise<RunResult>;
  dispose(): void;
}
