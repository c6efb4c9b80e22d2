import type { KerasModelSpec, Ordering } from '../keras/spec.js';
import type { CaffeNet } from '../net/model.js';

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
}

export interface ExportResult {
  format: ExportFormat;
  /** Everything written, the model first. */
  files: string[];
  /** Custom layers the model needs, and how to load it (also in the README written next to it). */
  customLayers: string[];
  /** Remarks on the model, then what the placement did besides (leftovers of killed exports removed). */
  notes: string[];
}

/** What each format's writer gets: the model, its Keras form (for the Keras formats) and the options. */
export interface ExportContext {
  model: CaffeNet;
  spec?: KerasModelSpec;
  options: ExportOptions;
  progress(stage: string, fraction?: number): void;
  /** Throws if the export was cancelled. */
  checkCancelled(): void;
}
