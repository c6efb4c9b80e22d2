/**
 * The one API between the workbench UI and everything behind it. The Electron preload bridge, the
 * local web host and the CLI all serve exactly these methods; payloads are validated with these
 * schemas on the way in, because the renderer is untrusted.
 */
import { z } from 'zod';
import type { SerializedError } from './errors.js';

export const Shape = z.array(z.number().int().min(0));
export type Shape = z.infer<typeof Shape>;

/** Every file-system path of every request is this one schema: service/path-fields.ts finds path fields by it. */
export const PathSchema = z.string().min(1).max(4096);
const path = PathSchema;

export const OpenModelRequest = z.object({
  prototxt: path,
  caffemodel: path.optional(),
  /** Feed shapes other than the declared ones, by input blob name (e.g. LeNet at batch 1). */
  inputShapes: z.record(z.string(), Shape).optional(),
});
export type OpenModelRequest = z.infer<typeof OpenModelRequest>;

export interface InputInfo {
  name: string;
  shape: number[];
}

export interface LayerInfo {
  name: string;
  /** Caffe V2 type string, e.g. "Convolution". */
  type: string;
  bottoms: string[];
  tops: string[];
  /** Caffe N,C,H,W shapes of every top. */
  top_shapes: number[][];
  /** Shapes of the learnable blobs Caffe's layer allocates (what the prototxt implies). */
  blob_shapes: number[][];
  /** Learnable parameter count. */
  params: number;
  /** The layer writes its top over its bottom (top == bottom). */
  inPlace: boolean;
  /** The layer's parameters as prototxt text, for browsing. */
  prototxt: string;
  /** 1-based line of the layer in the prototxt. */
  line?: number;
  /** True where the top's size depends on the data (DetectionOutput). */
  dataDependent?: boolean;
}

export interface ModelSummary {
  /** Session handle for later calls. */
  id: string;
  name: string;
  prototxt: string;
  caffemodel?: string;
  /** The prototxt's own format before upgrade. */
  prototxtFormat: 'V0' | 'V1' | 'V2';
  weightsFormat?: 'V0' | 'V1' | 'V2';
  inputs: InputInfo[];
  outputs: string[];
  layers: LayerInfo[];
  totalParams: number;
  /** Things worth knowing that are not errors (layers dropped from a training snapshot, ...). */
  notes: string[];
}

export const ConvertRequest = z.object({
  /** An open model (openModel's id). */
  id: z.string(),
  format: z.enum(['keras', 'h5', 'tfjs', 'onnx', 'npy']),
  /** The file (.keras, .h5, .onnx) or folder (tfjs, npy) to write. */
  out: path,
  ordering: z.enum(['channels_last', 'channels_first']).default('channels_last'),
  flipKernels: z.boolean().optional(),
  /** npy only: a mean file to write as mean_image.npy. */
  mean: path.optional(),
  /** Replace what is at `out` (a file, or a folder holding an earlier export of the same format); the workbench asks first. */
  force: z.boolean().optional(),
});
export type ConvertRequest = z.infer<typeof ConvertRequest>;

export interface ConvertResult {
  format: string;
  /** Everything written, the model first. */
  files: string[];
  customLayers: string[];
  notes: string[];
}

export const MeanRequest = z.object({ file: path });
export interface MeanInfo {
  file: string;
  /** Shape of the full mean image, C,H,W. */
  shape: number[];
  /** Per-channel mean in the file's channel order (BGR for Caffe means). */
  channelMean: number[];
}

export interface Progress {
  /** What is happening now, e.g. "reading weights". */
  stage: string;
  /** 0..1 when known. */
  fraction?: number;
}

/** Method name -> [request schema, response type]. */
export const methods = {
  version: z.object({}),
  demoModel: z.object({}),
  openModel: OpenModelRequest,
  closeModel: z.object({ id: z.string() }),
  readMean: MeanRequest,
  convertModel: ConvertRequest,
} as const;

export interface Responses {
  version: { version: string; node: string; platform: string };
  demoModel: OpenModelRequest & { title: string };
  openModel: ModelSummary;
  closeModel: { closed: boolean };
  readMean: MeanInfo;
  convertModel: ConvertResult;
}

export type Method = keyof typeof methods;
export type Request<M extends Method> = z.infer<(typeof methods)[M]>;
export type Response<M extends Method> = Responses[M];

export interface CallOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** What the renderer sees, whichever transport carries it. */
export interface PortafilterApi {
  call<M extends Method>(method: M, request: Request<M>, options?: CallOptions): Promise<Response<M>>;
}

/** A failed call, as it crosses a transport. */
export interface CallFailure {
  error: SerializedError;
}
