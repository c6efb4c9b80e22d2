/**
 * Running a model: the converted Keras model on a TensorFlow.js backend or onnxruntime, or the
 * Caffe-semantics reference. Every engine takes Caffe-layout inputs and gives back every Caffe
 * layer's output in Caffe's layout, so they compare directly.
 */
import type { Ordering } from '../keras/spec.js';
import type { Blob } from '../layers/types.js';

export type EngineName = 'tfjs-node-gpu' | 'tfjs-node' | 'onnxruntime' | 'wasm' | 'cpu' | 'reference';

/** The ordering a converted model has when none is asked for. */
export const DEFAULT_ORDERING: Ordering = 'channels_last';

/** Auto picks the first of these that loads here (and computes what was asked: engine/index.ts). */
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

/** Which form of the model ran: the converted Keras model, its ONNX form, or the Caffe-semantics reference. */
export type ModelForm = 'keras' | 'onnx' | 'reference';

export interface RunResult {
  engine: EngineName;
  /** Human-readable: backend and its settings, e.g. "tfjs wasm (SIMD, 1 thread)". */
  engineDetail: string;
  form: ModelForm;
  /** The ordering the model ran in (absent for the reference, which runs Caffe's layout). */
  ordering?: Ordering;
  /** The Keras model's kernels were flipped 180° (and run as a true-convolution backend runs them). */
  flipKernels?: boolean;
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
