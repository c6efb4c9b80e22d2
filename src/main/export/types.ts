import type { KerasModelSpec, Ordering } from '../keras/spec.js';
import type { CaffeNet } from '../net/model.js';
import type { Verification, VerifyInput } from './verify.js';

export type ExportFormat = 'keras' | 'h5' | 'tfjs' | 'onnx' | 'npy';

export interface ExportOptions {
  format: ExportFormat;
  /** A file (.keras, .h5, .onnx) or a folder (tfjs, npy). */
  out: string;
  ordering: Ordering;
  flipKernels?: boolean;
  /** Replace what is at `out`: a file, or a folder holding an earlier Portafilter export of the same format. */
  force?: boolean;
  onProgress?: (stage: string, fraction?: number) => void;
  signal?: AbortSignal;
  /** After writing, load the files back with their consumer and compare them with the reference (verify.ts): on this input, or a seeded random one when `true`. */
  verify?: true | VerifyInput;
}

export interface ExportResult {
  format: ExportFormat;
  /** Everything written, the model first. */
  files: string[];
  /** Custom layers the model needs, and how to load it (also in the README written next to it). */
  customLayers: string[];
  /** Remarks on the model, then what the placement did besides (leftovers of killed exports removed). */
  notes: string[];
  /** What loading the files back found, when asked to verify. */
  verification?: Verification;
}

/** A model input or output of a written file, in Caffe's terms: `file = transpose(caffe, perm)`. */
export interface TensorPlace {
  /** Its name in the file. */
  name: string;
  blob: string;
  perm: number[];
}

/** What each format's writer gets: the model, its Keras form (for the Keras formats) and the options. */
export interface ExportContext {
  model: CaffeNet;
  spec?: KerasModelSpec;
  options: ExportOptions;
  progress(stage: string, fraction?: number): void;
  /** Throws if the export was cancelled. */
  checkCancelled(): void;
  /** Set by a writer whose file names its inputs and outputs itself (ONNX): where each is, in file order. */
  written?: { inputs: TensorPlace[]; outputs: TensorPlace[] };
}
