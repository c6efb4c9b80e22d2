/**
 * The export panel's logic, kept out of components: the formats and what each writes, the output
 * path a model gets by default, which options apply to which format, and the request they make.
 * Pure, so it is tested without a page (test/unit/export-logic.test.ts).
 */
import type { ConvertRequest, ConvertResult, ModelSummary, OutputAgreementInfo } from '../../../shared/api.js';
import { formatRatio } from './compare.js';
import { formatShape } from './format.js';
import { formatError } from './numbers.js';

export type ExportFormat = ConvertRequest['format'];
export type Ordering = ConvertRequest['ordering'];

export interface FormatInfo {
  id: ExportFormat;
  /** What the format picker shows. */
  label: string;
  /** A short name for progress and result lines ("Exporting LeNet to ONNX"). */
  short: string;
  /** A file (.keras, .h5, .onnx) or a folder of files (TF.js, .npy weights). */
  kind: 'file' | 'dir';
  /** Ends the default output name: an extension for a file, a suffix for a folder. */
  suffix: string;
}

export const EXPORT_FORMATS: readonly FormatInfo[] = [
  { id: 'keras', label: 'Keras 3 (.keras)', short: 'Keras 3', kind: 'file', suffix: '.keras' },
  { id: 'h5', label: 'Legacy Keras (.h5)', short: 'Keras .h5', kind: 'file', suffix: '.h5' },
  { id: 'tfjs', label: 'TensorFlow.js (folder)', short: 'TensorFlow.js', kind: 'dir', suffix: '_tfjs' },
  { id: 'onnx', label: 'ONNX (.onnx)', short: 'ONNX', kind: 'file', suffix: '.onnx' },
  { id: 'npy', label: '.npy weights (folder)', short: '.npy weights', kind: 'dir', suffix: '_npy' },
];

export const ORDERINGS: readonly { id: Ordering; label: string; backend: string }[] = [
  { id: 'channels_last', label: 'channels_last', backend: 'TensorFlow' },
  { id: 'channels_first', label: 'channels_first', backend: 'Theano' },
];

export const formatInfo = (format: ExportFormat): FormatInfo => EXPORT_FORMATS.find((f) => f.id === format) ?? EXPORT_FORMATS[0];

/** A result's format (a plain string on the wire) in words. */
export const formatName = (format: string): string => EXPORT_FORMATS.find((f) => f.id === format)?.short ?? format;

/** The formats that hold a Keras model a Theano backend can load, where the kernel flip means something. */
const FLIPPABLE: readonly ExportFormat[] = ['keras', 'h5'];

/** Everything before the last path separator, separator included ('' for a bare name). */
const folderOf = (path: string): string => path.slice(0, Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
const lastSegment = (path: string): string => path.slice(folderOf(path).length);

/** A model name as a file name: letters, digits, `.`, `_` and `-` only, nothing hidden. */
function fileStem(name: string): string {
  return name
    .trim()
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+|[._]+$/g, '');
}

/**
 * Where an export goes unless the user says otherwise: next to the prototxt, named after the model
 * (its prototxt's own name when it has none), with the format's extension or folder suffix.
 * `/m/lenet/deploy.prototxt` named "LeNet" -> `/m/lenet/LeNet.onnx`, `/m/lenet/LeNet_tfjs`.
 */
export function defaultOutputPath(summary: Pick<ModelSummary, 'name' | 'prototxt'>, format: ExportFormat): string {
  const stem = fileStem(summary.name) || fileStem(lastSegment(summary.prototxt).replace(/\.[^.]*$/, '')) || 'model';
  return `${folderOf(summary.prototxt)}${stem}${formatInfo(format).suffix}`;
}

/**
 * The output path after the format changes: a path that ends the way some format's default does
 * (`.onnx`, `_npy` …) gets the new format's ending; any other path is the user's choice and stays.
 */
export function retargetOutputPath(path: string, to: ExportFormat): string {
  const name = lastSegment(path);
  const ending = EXPORT_FORMATS.map((f) => f.suffix).find((suffix) => name.length > suffix.length && name.toLowerCase().endsWith(suffix));
  return ending === undefined ? path : `${path.slice(0, path.length - ending.length)}${formatInfo(to).suffix}`;
}

/** The ordering decides the Keras layout and ONNX's input layout; .npy weights keep Caffe's shapes whatever it is. */
export const orderingApplies = (format: ExportFormat): boolean => format !== 'npy';

export function orderingHint(format: ExportFormat): string {
  return orderingApplies(format)
    ? "channels_last: N,H,W,C tensors, TensorFlow's default. channels_first: N,C,H,W, as Caffe and Theano."
    : ".npy weights keep Caffe's own blob shapes; the ordering does not apply.";
}

/** The 180° kernel flip: only for a channels_first Keras model (a true-convolution backend, Theano, loads those). */
export const flipApplies = (format: ExportFormat, ordering: Ordering): boolean => FLIPPABLE.includes(format) && ordering === 'channels_first';

export function flipHint(format: ExportFormat, ordering: Ordering): string {
  if (!FLIPPABLE.includes(format)) {
    return format === 'npy'
      ? ".npy weights are Caffe's own blobs, written unchanged: no flip."
      : `${formatInfo(format).short} runs convolution as cross-correlation, as Caffe does: no flip is needed.`;
  }
  if (ordering !== 'channels_first') return 'Only for channels_first (Theano): TensorFlow computes cross-correlation, as Caffe does, and needs no flip.';
  return "Rotates every convolution kernel by 180°, for Theano's true convolution. Leave it off for TensorFlow and other cross-correlation backends.";
}

/** A mean image is written beside the weights only in the .npy folder (as mean_image.npy). */
export const meanApplies = (format: ExportFormat): boolean => format === 'npy';

/** Why the open model cannot be exported, or null when it can. */
export function exportBlocker(summary: Pick<ModelSummary, 'caffemodel'> | null): string | null {
  if (!summary) return 'open a model first';
  if (summary.caffemodel === undefined) return 'the model was opened without weights: open it with its .caffemodel (or .npy folder) to export';
  return null;
}

export interface ExportChoices {
  format: ExportFormat;
  ordering: Ordering;
  flipKernels: boolean;
  out: string;
  mean: string;
}

const samePath = (a: string, b: string | undefined): boolean => b !== undefined && a.replace(/[\\/]+$/, '') === b.replace(/[\\/]+$/, '');

/** The panel's choices as a convertModel request (options that do not apply are left out), or what is wrong with them. */
export function toConvertRequest(summary: Pick<ModelSummary, 'id' | 'prototxt' | 'caffemodel'>, choices: ExportChoices): { request: ConvertRequest } | { problem: string } {
  const blocker = exportBlocker(summary);
  if (blocker) return { problem: blocker };
  const out = choices.out.trim();
  if (!out) return { problem: `enter the ${formatInfo(choices.format).kind === 'dir' ? 'folder' : 'file'} to write` };
  if (samePath(out, summary.prototxt) || samePath(out, summary.caffemodel)) return { problem: 'the output would replace the model being exported; choose another path' };
  const request: ConvertRequest = {
    id: summary.id,
    format: choices.format,
    out,
    ordering: orderingApplies(choices.format) ? choices.ordering : 'channels_last',
  };
  if (choices.flipKernels && flipApplies(choices.format, choices.ordering)) request.flipKernels = true;
  const mean = choices.mean.trim();
  if (mean && meanApplies(choices.format)) request.mean = mean;
  return { request };
}

/** The files an export wrote, as one folder and the names in it (paths relative to it), for a list that reads. */
export function groupWrittenFiles(files: readonly string[]): { folder: string; names: string[] } {
  if (files.length === 0) return { folder: '', names: [] };
  let folder = folderOf(files[0]);
  while (folder && !files.every((f) => f.startsWith(folder))) folder = folderOf(folder.slice(0, -1));
  return { folder, names: files.map((f) => f.slice(folder.length)) };
}

/**
 * The modules that define a model's custom layers, written next to it: the Python one for the Keras
 * files, the JavaScript one for TF.js. Taken from what was written; named by format if not listed.
 */
export function customLayerModules(result: Pick<ConvertResult, 'format' | 'files' | 'customLayers'>): string[] {
  if (result.customLayers.length === 0) return [];
  const written = result.files.map(lastSegment).filter((name) => /^portafilter_layers\.(py|js)$/.test(name));
  if (written.length > 0) return written;
  return result.format === 'tfjs' ? ['portafilter_layers.js'] : ['portafilter_layers.py'];
}

/**
 * One output of a verified export as the panel lists it: 'prob 1×10: max |Δ| 5.96e-8, 5.4e-4× the
 * tolerance, top-1 3 = reference'. Ratios cross JSON as null where they were not finite.
 */
export function agreementLine(o: OutputAgreementInfo): string {
  const ratio = o.ratio === null || !Number.isFinite(o.ratio) ? 'off the scale of' : `${formatRatio(o.ratio)}×`;
  const top = o.top1 ? `, top-1 ${o.top1.exported}${o.top1.exported === o.top1.reference ? ' = reference' : ` (reference ${o.top1.reference})`}` : '';
  return `${o.blob} ${formatShape(o.shape)}: max |Δ| ${formatError(o.maxAbs ?? NaN)}, ${ratio} the tolerance${top}`;
}
