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
  /** Feed shapes other than the declared ones, by input blob name (e.g. LeNet at batch 1); also a database data layer's shape. */
  inputShapes: z.record(z.string(), Shape).optional(),
  /** Caffe's net state, which the layers' include/exclude rules read: phase (default TEST), stages, level. */
  phase: z.enum(['TEST', 'TRAIN']).optional(),
  stages: z.array(z.string().min(1).max(200)).max(100).optional(),
  level: z.number().int().optional(),
});
export type OpenModelRequest = z.infer<typeof OpenModelRequest>;

/** The net state a model was opened in, and the layers its include/exclude rules left out. */
export interface NetStateInfo {
  phase: 'TEST' | 'TRAIN';
  level: number;
  stages: string[];
  excluded: { name: string; type: string; line?: number }[];
}

export interface InputInfo {
  name: string;
  /** Null where the file does not give it (a data layer reading a database, before an input shape is given). */
  shape: number[] | null;
}

export interface LayerInfo {
  name: string;
  /** Caffe V2 type string, e.g. "Convolution". */
  type: string;
  bottoms: string[];
  tops: string[];
  /** Caffe N,C,H,W shapes of every top; null where the shape is unknown (see `unknown`). */
  top_shapes: (number[] | null)[];
  /** Why the layer's tops have no shape: it reads a database, its type has no rule, or it follows such a layer. */
  unknown?: string;
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
  /** The layer type's category (its LayerDef.meta), for the graph's colours. */
  category: LayerCategory;
  /** The parameters that matter, in a few words for a graph node: '11×11 /4, 96', 'MAX 3×3 /2'. */
  keyParams: string;
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
  state: NetStateInfo;
  /** Things worth knowing that are not errors (layers dropped from a training snapshot, ...). */
  notes: string[];
}

/** The export's own fields; ConvertRequest (below, after the run input's schema) adds `verify`. */
const ConvertFields = z.object({
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

/** One net output of a verified export against the reference (the diff's tolerance). */
export interface OutputAgreementInfo {
  blob: string;
  shape: number[];
  maxAbs: number;
  maxRel: number;
  /** Largest error over the tolerance: under 1 agrees. */
  ratio: number;
  ok: boolean;
  /** Class scores: the top class of the file's output and of the reference's. */
  top1?: { exported: number; reference: number };
}

/** What loading an export back found (export/verify.ts). */
export interface VerificationInfo {
  format: string;
  /** What loaded and ran the files ('TF.js 4.22.0 tf.loadLayersModel on tfjs wasm (SIMD, 1 thread)'). */
  consumer: string;
  /** The input it ran on. */
  input: string;
  ok: boolean;
  outputs: OutputAgreementInfo[];
  problems: string[];
  milliseconds: number;
}

export interface ConvertResult {
  format: string;
  /** Everything written, the model first. */
  files: string[];
  customLayers: string[];
  notes: string[];
  /** When asked to verify. */
  verification?: VerificationInfo;
}

const OrderingSchema = z.enum(['channels_last', 'channels_first']);

/**
 * Where a layer sits in the workbench's palette. Each layer type declares its own, in its file under
 * src/main/layers/ (LayerDef.meta); the renderer only maps a category to a colour.
 */
export const LAYER_CATEGORIES = ['data', 'convolution', 'pooling', 'normalization', 'activation', 'dense', 'merge', 'shape', 'detection', 'loss', 'other'] as const;
export type LayerCategory = (typeof LAYER_CATEGORIES)[number];

/** An ordering and kernel-flip setting: what the converted model is. flipKernels goes with channels_first only. */
export const LayoutRequest = z.object({
  id: z.string(),
  ordering: OrderingSchema.default('channels_last'),
  flipKernels: z.boolean().default(false),
});

/** One Keras layer a Caffe layer becomes, as the exports write it (weights left out). */
export interface KerasLayerInfo {
  name: string;
  className: string;
  /** The Keras 3 config the exports write, minus name/dtype/trainable. */
  config: Record<string, unknown>;
  /** A Portafilter custom layer (CaffeLRN, CaffePooling, ...): exports ship its definition. */
  custom: boolean;
  /** Output shapes as TF.js' own layer computes them from this config (null for the batch axis). */
  outputShapes: (number | null)[][];
  /** Keras' weight variables and their shapes in Keras layout (Conv2D kernel kh,kw,in,out ...). */
  weights: { name: string; shape: number[] }[];
}

/** A Caffe top in the converted model. */
export interface KerasTopInfo {
  blob: string;
  /** Caffe's N,C,H,W shape. */
  caffeShape: number[];
  /** The same blob in the ordering's Keras layout (batch axis first, as Caffe's number). */
  kerasShape: number[];
  /** kerasShape equals the output shape TF.js computes for the Keras layer that holds the top. */
  matches: boolean;
}

/** The Keras side of one Caffe layer. */
export interface KerasSideInfo {
  /** converted; omitted (a loss or metric inference leaves out); failed (cannot convert: reason says why). */
  status: 'converted' | 'omitted' | 'failed';
  reason?: string;
  /** In the order the converted model computes them; the last one holds the Caffe top. Empty where Keras needs none (Split, Dropout). */
  layers: KerasLayerInfo[];
  tops: KerasTopInfo[];
}

export interface KerasLayersView {
  ordering: 'channels_last' | 'channels_first';
  flipKernels: boolean;
  /** Every Caffe layer of the net, by name. */
  byCaffeLayer: Record<string, KerasSideInfo>;
  /** How many Caffe layers cannot convert (status failed). */
  failed: number;
}

/** A layer's parameters with Caffe's defaults filled in, for the inspector. */
export interface ParamField {
  /** Dotted path, e.g. 'convolution_param.kernel_size'; repeated fields give one entry with every value. */
  path: string;
  /** As prototxt text would write it ('3', 'MAX', '[1, 2]', '"conv1"'). */
  value: string;
  /** True when the prototxt sets it (Caffe's has_x()); false: Caffe's default. */
  set: boolean;
}
export const LayerParamsRequest = z.object({ id: z.string(), layer: z.string() });
export interface LayerParamsInfo {
  layer: string;
  fields: ParamField[];
}

export const WeightStatsRequest = z.object({
  id: z.string(),
  layer: z.string(),
  blob: z.number().int().min(0).default(0),
  bins: z.number().int().min(2).max(4096).default(64),
});
export interface BlobStats {
  count: number;
  /** Over finite values; 0 when there are none. */
  min: number;
  max: number;
  mean: number;
  /** Population std (numpy's default), float64 sums. */
  std: number;
  /** Fraction of values exactly 0. */
  zeroFraction: number;
  nanCount: number;
  infCount: number;
}
export interface WeightStats extends BlobStats {
  layer: string;
  blob: number;
  /** Caffe's shape of the blob. */
  shape: number[];
  /** bins+1 edges over [min, max]; counts[i] holds edges[i] <= v < edges[i+1] (the last bin closed). */
  edges: Float64Array;
  counts: Float64Array;
}

export const FilterTilesRequest = z.object({
  id: z.string(),
  layer: z.string(),
  blob: z.number().int().min(0).default(0),
  /** rgb: 3 input channels as one colour image (BGR in Caffe, shown as RGB); channel: one input channel; mean: averaged over inputs. */
  mode: z.enum(['auto', 'rgb', 'channel', 'mean']).default('auto'),
  channel: z.number().int().min(0).default(0),
  /** At most this many output filters, from `offset`. */
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(4096).default(256),
});
export interface FilterTiles {
  layer: string;
  mode: 'rgb' | 'channel' | 'mean';
  /** Output filters in the blob, and how many tiles `pixels` holds (from offset). */
  filters: number;
  offset: number;
  tiles: number;
  height: number;
  width: number;
  inputChannels: number;
  /** tiles × height × width × 4 RGBA bytes, each tile normalised symmetrically around 0 to its own max |w| (grey = 0). */
  pixels: Uint8ClampedArray;
  /** Per tile, the max |w| that maps to full intensity. */
  scales: Float32Array;
}

/** Whole-model weight distribution: one entry per learnable blob, for a box plot. */
export const WeightOverviewRequest = z.object({ id: z.string() });
export interface BlobDistribution extends BlobStats {
  layer: string;
  blob: number;
  shape: number[];
  /** Quartiles and the 1st/99th percentiles, from a 4096-bin histogram (within one bin width of exact). */
  p01: number;
  q1: number;
  median: number;
  q3: number;
  p99: number;
  meanAbs: number;
}
export interface WeightOverview {
  blobs: BlobDistribution[];
}

/** The host's own file browser (web host): folders and model files under the allowed roots. */
export const ListFolderRequest = z.object({ path: path.optional() });
export interface FolderEntry {
  name: string;
  kind: 'folder' | 'file';
  size?: number;
}
export interface FolderListing {
  /** The folder listed (absolute), or '' for the list of roots. */
  path: string;
  parent?: string;
  /** The roots a listing may reach: the user's home and the folders the user opened. */
  roots: string[];
  entries: FolderEntry[];
}

export const MeanRequest = z.object({ file: path });
export interface MeanInfo {
  file: string;
  /** Shape of the full mean image, C,H,W. */
  shape: number[];
  /** Per-channel mean in the file's channel order (BGR for Caffe means). */
  channelMean: number[];
}

// --- Running a model, and what each layer computed -------------------------------------------------

/** pycaffe Transformer's steps for an image input (a .npy is fed as it is, in Caffe's N,C,H,W). */
export const PreprocessSchema = z.object({
  /** A mean file (.binaryproto, or .npy C,H,W) subtracted after scaling. */
  mean: path.optional(),
  /** Or one mean per channel, in the net's channel order (BGR for Caffe's reference models). */
  meanValues: z.array(z.number()).max(64).optional(),
  /** Transformer raw_scale: the [0,1] image is multiplied by it first (default 255). */
  rawScale: z.number().positive().optional(),
  /** Transformer input_scale: multiplies the result last. */
  scale: z.number().positive().optional(),
  /** Keep RGB; by default the channels are swapped to BGR as Caffe's models expect. */
  rgb: z.boolean().optional(),
});
export type Preprocess = z.infer<typeof PreprocessSchema>;

/**
 * An image or a .npy on disk (`file`), or one of the demo's bundled inputs by name (`sample`, from
 * demoModel's samples): exactly one. Two fields rather than a union, so the path check of every
 * transport (service/path-fields.ts) sees the path field as it sees every other.
 */
export const RunInputSchema = z
  .object({ file: path.optional(), sample: z.string().min(1).max(200).optional() })
  .refine((i) => (i.file === undefined) !== (i.sample === undefined), 'give exactly one of file (an image or a .npy) and sample (a demo input)');
export type RunInput = z.infer<typeof RunInputSchema>;

export const ConvertRequest = ConvertFields.extend({
  /**
   * After writing, load the files back with their consumer and compare them with the reference: on
   * this input and preprocessing (the Run view's), or on a seeded random input when no input is given.
   */
  verify: z.object({ input: RunInputSchema.optional(), preprocess: PreprocessSchema.default({}) }).optional(),
});
export type ConvertRequest = z.infer<typeof ConvertRequest>;

/** The engine choices of the CLI's --engine: auto, tfjs (the best TF.js backend), or one by name. */
export const ENGINE_CHOICE_NAMES = ['auto', 'tfjs', 'tfjs-node-gpu', 'tfjs-node', 'onnxruntime', 'wasm', 'cpu', 'reference'] as const;

export const RunRequest = z.object({
  id: z.string(),
  input: RunInputSchema,
  preprocess: PreprocessSchema.default({}),
  engine: z.enum(ENGINE_CHOICE_NAMES).default('auto'),
  ordering: OrderingSchema.default('channels_last'),
  flipKernels: z.boolean().default(false),
  /** Predictions per class-score output. */
  top: z.number().int().min(1).max(1000).default(5),
  /** synset_words.txt style; when absent, a synset_words.txt or labels.txt next to the prototxt is used. */
  labels: path.optional(),
});

export interface Prediction {
  index: number;
  label?: string;
  score: number;
}

/** What the net saw, after preprocessing: sample 0 as an RGB(A) image (3 channels shown as RGB, 1 as grey). */
export interface InputPreview {
  width: number;
  height: number;
  /** height × width × 4 bytes, each channel scaled from its own min..max. */
  pixels: Uint8ClampedArray;
}

export interface RunInfo {
  /** The run's handle for activation calls; kept (with every layer's output) until the model closes or later runs push it out. */
  runId: string;
  /** The engine that ran and how ('tfjs wasm (SIMD, 1 thread)'). */
  engine: string;
  engineDetail: string;
  form: 'keras' | 'onnx' | 'reference';
  ordering?: 'channels_last' | 'channels_first';
  flipKernels?: boolean;
  /** Engines tried before the one that ran (auto), and why each was passed over. */
  skipped: { engine: string; reason: string }[];
  milliseconds: number;
  inputs: { name: string; shape: number[]; preview?: InputPreview }[];
  outputs: {
    blob: string;
    shape: number[];
    /** Top-k per sample, for outputs that read as class scores ((N,K) or (N,K,1,1)). */
    top?: Prediction[][];
    /** The values themselves, for outputs of at most MAX_OUTPUT_VALUES floats (plots of outputs that are not classes). */
    values?: Float32Array;
  }[];
  /** Every layer that ran, in execution order, with its tops' Caffe shapes: what activation can be asked for. */
  layers: { layer: string; type: string; tops: { blob: string; shape: number[] }[] }[];
  /** The labels file used, given or found next to the model. */
  labels?: string;
  warnings: string[];
}

/** Outputs up to this many floats come back with their values. */
export const MAX_OUTPUT_VALUES = 65536;

export const ActivationRequest = z.object({
  id: z.string(),
  runId: z.string(),
  layer: z.string(),
  /** Which of the layer's tops. */
  top: z.number().int().min(0).default(0),
  bins: z.number().int().min(2).max(4096).default(64),
  /** Channel maps of sample 0, for a 4-D (N,C,H,W) top. */
  tiles: z
    .object({
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(4096).default(256),
      /** channel: each map scaled from its own min..max; shared: all from the top's min..max. */
      normalise: z.enum(['channel', 'shared']).default('channel'),
      colormap: z.enum(['gray', 'viridis', 'magma']).default('viridis'),
    })
    .optional(),
  /** The raw values of sample 0 (Caffe layout), to read out a pixel. */
  raw: z.boolean().default(false),
  /** Another run of the model (a diff's reference run): everything above is then of this run minus that one. */
  minus: z.string().optional(),
});
export interface ActivationInfo extends BlobStats {
  layer: string;
  top: number;
  blob: string;
  /** Caffe's N,C,H,W (or N,K …) shape. */
  shape: number[];
  edges: Float64Array;
  counts: Float64Array;
  tiles?: {
    channels: number;
    offset: number;
    count: number;
    height: number;
    width: number;
    /** count × height × width × 4 RGBA bytes, through the colour map. */
    pixels: Uint8ClampedArray;
    /** Per tile, the value range mapped to the colour map's ends (min, max pairs). */
    ranges: Float32Array;
  };
  /** Sample 0's values when asked for (raw). */
  raw?: Float32Array;
}

/** The converted model against the Caffe-semantics reference, or against a folder of real Caffe's .npy dumps, layer by layer. */
export const DiffRequest = z.object({
  id: z.string(),
  input: RunInputSchema,
  preprocess: PreprocessSchema.default({}),
  /** The engine whose run is checked (default tfjs: the converted Keras model, as the exports carry it). */
  engine: z.enum(ENGINE_CHOICE_NAMES).default('tfjs'),
  ordering: OrderingSchema.default('channels_last'),
  flipKernels: z.boolean().default(false),
  /** A folder of `<layer>.npy` or pycaffe `net.blobs` `<blob>.npy` dumps; absent: the built-in reference. */
  dumps: path.optional(),
  naming: z.enum(['auto', 'layers', 'blobs']).default('auto'),
});
export interface DiffRowInfo {
  layer: string;
  type: string;
  top: number;
  blob: string;
  caffeShape: number[];
  /** The Keras tensor's shape, when the checked engine ran a Keras model. */
  kerasShape?: number[];
  /** The shape of what it is compared against. */
  expectedShape?: number[];
  maxAbs?: number;
  /** Largest |out - ref| / |ref| over elements whose |ref| is above 1e-6·peak. */
  maxRel?: number;
  /** Error over tolerance at the worst element (< 1 within tolerance; Infinity for NaN): the graph's heat map. */
  ratio?: number;
  /** A net output, judged with the tighter final tolerance. */
  final: boolean;
  status: 'ok' | 'diverged' | 'shape' | 'missing';
  /** On the first divergence, when the numbers point at a cause. */
  cause?: string;
}
export interface DiffInfo {
  /** The checked run and (against the reference) the reference's run, kept like runModel's: activation takes them, and `minus`. */
  runId: string;
  referenceRunId?: string;
  engine: string;
  engineDetail: string;
  /** What ran, in words. */
  ran: string;
  /** 'reference', or the dump folder. */
  against: string;
  naming?: 'layers' | 'blobs';
  rows: DiffRowInfo[];
  /** Index into rows of the first divergence. */
  first?: number;
  ok: boolean;
  /** Dump files that matched no layer or blob. */
  unmatched: string[];
  warnings: string[];
}

/**
 * An equivalence report over a folder of inputs (images and .npy, in name order), written as one
 * self-contained HTML file: every layer's error over all of them, top-1/top-5 agreement, the outputs'
 * error histogram, what ran, the files' sha256, the throughput (src/main/report/).
 */
export const ReportRequest = z.object({
  id: z.string(),
  /** The folder of inputs. */
  images: path,
  preprocess: PreprocessSchema.default({}),
  engine: z.enum(ENGINE_CHOICE_NAMES).default('tfjs'),
  ordering: OrderingSchema.default('channels_last'),
  flipKernels: z.boolean().default(false),
  /** A folder holding one folder of .npy dumps per input, named by the input's file stem; absent: the built-in reference. */
  against: path.optional(),
  naming: z.enum(['auto', 'layers', 'blobs']).default('auto'),
  /** Class names, one per line (synset_words.txt). */
  labels: path.optional(),
  /** The .html file to write. */
  out: path,
  /** Replace an earlier Portafilter report at `out` (never another file); the workbench asks first. */
  force: z.boolean().optional(),
});
export interface ReportInfo {
  /** The file written, absolute. */
  out: string;
  images: number;
  /** Spent on the inputs (reading, both runs, comparing), the engines' building apart (setupSeconds). */
  seconds: number;
  imagesPerSecond: number;
  setupSeconds: number;
  /** Over every class-score output's samples; absent when the net has none. */
  top1?: { agreed: number; compared: number };
  top5?: { agreed: number; compared: number };
  /** The first layer to diverge on any input, on how many inputs, and its likely cause. */
  first?: { layer: string; type: string; top: number; images: number; cause?: string };
  ok: boolean;
  engine: string;
  engineDetail: string;
  /** 'reference', or the dumps folder. */
  against: string;
  warnings: string[];
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
  kerasLayers: LayoutRequest,
  layerParams: LayerParamsRequest,
  weightStats: WeightStatsRequest,
  filterTiles: FilterTilesRequest,
  weightOverview: WeightOverviewRequest,
  listFolder: ListFolderRequest,
  runModel: RunRequest,
  activation: ActivationRequest,
  diffModel: DiffRequest,
  reportModel: ReportRequest,
} as const;

export interface Responses {
  version: { version: string; node: string; platform: string };
  /** The bundled demo model, the names of its sample inputs (RunInput's sample), and the preprocessing they need. */
  /** The demo's own inputs (`samples`, fed with `preprocess`), and the photos bundled for any net with a 3-channel input; RunInput's sample names either. */
  demoModel: OpenModelRequest & { title: string; samples: string[]; photos: string[]; preprocess: Preprocess };
  openModel: ModelSummary;
  closeModel: { closed: boolean };
  readMean: MeanInfo;
  convertModel: ConvertResult;
  kerasLayers: KerasLayersView;
  layerParams: LayerParamsInfo;
  weightStats: WeightStats;
  filterTiles: FilterTiles;
  weightOverview: WeightOverview;
  listFolder: FolderListing;
  runModel: RunInfo;
  activation: ActivationInfo;
  diffModel: DiffInfo;
  reportModel: ReportInfo;
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
