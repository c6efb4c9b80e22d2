/**
 * The numbers of an equivalence report: a folder of inputs, each run through the converted model and
 * compared layer by layer (engine/diff.ts: its tolerance, its causes) with the Caffe-semantics
 * reference or with real Caffe's dumps of that input (DUMPS/<file stem>/, read as `diff --against`
 * reads a dump folder). Over all the images: per layer the largest |out − ref|, its 99th percentile
 * over every element, the worst error over tolerance and the status; the first layer to diverge and
 * its cause; top-1 and top-5 agreement of the class-score outputs; the distribution of the final
 * outputs' differences; the files' sha256; what ran; the throughput.
 *
 * The engines are built once and reused while the inputs keep their shape; one image's runs (every
 * layer captured) are dropped before the next is read, so a large folder needs one image's memory.
 */
import { createHash } from 'node:crypto';
import { closeSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { FILE_FILTERS } from '../../shared/bridge.js';
import { PortafilterError } from '../../shared/errors.js';
import { openInputFile } from '../caffe/input-file.js';
import type { Ordering } from '../keras/spec.js';
import type { Blob } from '../layers/types.js';
import type { CaffeNet } from '../net/model.js';
import { appVersion } from '../paths.js';
import { diffRuns, expectedFromDumps, expectedFromRun, type DiffRow, type Expected } from '../engine/diff.js';
import { firstNonFiniteLayer, nonFiniteWarning } from '../engine/finite.js';
import { createEngine, describeRun, type EngineChoice, type SkippedEngine } from '../engine/index.js';
import { prepareInputs, type InputPreparation } from '../engine/inputs.js';
import { onnxRuntimeVersion } from '../engine/onnx-engine.js';
import { isClassScores, readLabels, topK, type Prediction } from '../engine/predictions.js';
import type { Engine, EngineName, ModelForm, RunResult } from '../engine/types.js';
import { ErrorDistribution } from './error-distribution.js';

/** The inputs a report takes from its folder: what `run` accepts (images and .npy), by ending. */
export const INPUT_EXTENSIONS: readonly string[] = FILE_FILTERS.input.extensions.map((e) => `.${e}`);
/** How many classes top-5 compares (fewer when the output has fewer). */
export const TOP_K = 5;
/** The percentile of |out − ref| the layer table shows. */
export const PERCENTILE = 0.99;

export interface EquivalenceOptions {
  /** The folder of inputs: images and .npy in Caffe's N,C,H,W, taken in name order. */
  images: string;
  /** pycaffe Transformer settings for the images (a .npy is fed as it is); `names` words them in messages (the CLI's flags). */
  preprocess?: Pick<InputPreparation, 'mean' | 'meanValues' | 'scale' | 'rawScale' | 'rgb' | 'names'>;
  /** Default `tfjs`: the converted Keras model, the artefact the exports carry. */
  engine?: EngineChoice;
  ordering?: Ordering;
  flipKernels?: boolean;
  /** 'reference' (default), or a folder holding one folder of .npy dumps per input, named by the input's file stem. */
  against?: string;
  naming?: 'auto' | 'layers' | 'blobs';
  /** Class names, one per line (synset_words.txt). */
  labels?: string;
  onProgress?: (stage: string, fraction?: number) => void;
  signal?: AbortSignal;
}

/** One (layer, top) over all images. */
export interface LayerSummary {
  layer: string;
  type: string;
  top: number;
  blob: string;
  caffeShape: number[];
  kerasShape?: number[];
  final: boolean;
  /** Images whose value was compared (not missing from the dumps, same shape). */
  compared: number;
  /** Images on which it diverged (or had another shape). */
  diverged: number;
  maxAbs?: number;
  /** PERCENTILE of |out − ref| over every element of every compared image (ErrorDistribution: within 0.4 %). */
  p99?: number;
  /** The worst error over tolerance of any image (diff.ts compareValues). */
  ratio?: number;
  /** The worst of the images: shape, else diverged, else ok; missing when no image had it to compare. */
  status: DiffRow['status'];
  /** The first image (in name order) on which it diverged. */
  firstImage?: string;
  /** Where it was an image's first divergence and the numbers point at a cause (diff.ts explain). */
  cause?: string;
}

export interface SampleAgreement {
  /** The sample of the input (a .npy may hold several), 0 for an image. */
  sample: number;
  candidate: Prediction[];
  reference: Prediction[];
  top1: boolean;
  top5: boolean;
}

export interface ImageSummary {
  file: string;
  name: string;
  sha256: string;
  /** The shape fed. */
  shape: number[];
  /** The dump folder compared against, when against dumps. */
  dumps?: string;
  /** This image's first divergence, as diff.ts found it. */
  first?: { layer: string; top: number; cause?: string };
  /** The worst error over tolerance of its layers. */
  ratio: number;
  /** Per class-score output. */
  outputs: { blob: string; samples: SampleAgreement[] }[];
  /** The converted model's forward time. */
  milliseconds: number;
}

export interface Agreement {
  blob: string;
  /** Classes per sample, and how many top-5 compares. */
  classes: number;
  k: number;
  /** Samples compared (an image is one). */
  compared: number;
  top1: number;
  top5: number;
}

export interface FileHash {
  role: 'prototxt' | 'caffemodel' | 'mean' | 'labels';
  path: string;
  bytes: number;
  sha256: string;
}

export interface Equivalence {
  name: string;
  date: string;
  engine: { name: EngineName; detail: string; form: ModelForm; ordering?: Ordering; flipKernels: boolean; ran: string; skipped: SkippedEngine[] };
  /** 'reference', or the dumps folder; with how its files were named. */
  against: string;
  naming?: 'layers' | 'blobs';
  preprocess: NonNullable<EquivalenceOptions['preprocess']>;
  versions: { portafilter: string; node: string; tfjs?: string; onnxruntime?: string };
  files: FileHash[];
  imagesFolder: string;
  images: ImageSummary[];
  /** Files in the folder that are not inputs (by their ending), left out. */
  skippedFiles: string[];
  layers: LayerSummary[];
  /** Index into layers of the first (in execution order) to diverge on any image. */
  first?: number;
  agreement: Agreement[];
  /** |out − ref| of the net outputs over all images, for the histogram. */
  finals: ErrorDistribution;
  ok: boolean;
  /** Time spent on the images (reading, both runs, comparing), the engines' building apart. */
  seconds: number;
  imagesPerSecond: number;
  /** Building the engines, before the first image (and again where an input's shape changed). */
  setupSeconds: number;
  warnings: string[];
}

const STATUS_RANK: Record<DiffRow['status'], number> = { missing: 0, ok: 1, diverged: 2, shape: 3 };
const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** sha256 of a regular file, read in chunks with the event loop let in between (so a cancel is heard). */
export async function sha256File(path: string, signal?: AbortSignal): Promise<{ sha256: string; bytes: number }> {
  const { fd, size } = openInputFile(path, (reason, cause) => {
    const e = new PortafilterError(reason, { file: path });
    if (cause !== undefined) e.cause = cause;
    return e;
  });
  try {
    const hash = createHash('sha256');
    const chunk = Buffer.allocUnsafe(Math.min(Math.max(size, 1), 8 << 20));
    for (let done = 0; done < size; ) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - done), done);
      if (n === 0) throw new PortafilterError(`the file ended at byte ${done} while hashing it (was it changed meanwhile?)`, { file: path });
      hash.update(chunk.subarray(0, n));
      done += n;
      if (done < size) {
        await yieldToEvents();
        signal?.throwIfAborted();
      }
    }
    return { sha256: hash.digest('hex'), bytes: size };
  } finally {
    closeSync(fd);
  }
}

/** The inputs of a folder in name order, and the other files there; an empty folder or one that is not a folder is refused. */
export function listInputs(folder: string): { files: string[]; skipped: string[] } {
  let stat: Stats;
  try {
    stat = statSync(folder);
  } catch (e) {
    throw new PortafilterError(`cannot read the folder of images: ${(e as Error).message}`, { file: folder });
  }
  if (!stat.isDirectory()) throw new PortafilterError('is not a folder: give the folder of images (and .npy inputs) to report on', { file: folder });
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (e) {
    throw new PortafilterError(`cannot read the folder of images: ${(e as Error).message}`, { file: folder });
  }
  const files: string[] = [];
  const skipped: string[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const path = join(folder, name);
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
    } catch {
      // a dangling link: not an input, named among the skipped
    }
    if (isFile && INPUT_EXTENSIONS.includes(extname(name).toLowerCase())) files.push(path);
    else skipped.push(name);
  }
  if (files.length === 0)
    throw new PortafilterError(
      `holds no inputs to report on (images ${INPUT_EXTENSIONS.filter((e) => e !== '.npy').join(' ')} or .npy in Caffe's N,C,H,W)${skipped.length > 0 ? `; it holds ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', …' : ''}` : ', it is empty'}`,
      { file: folder },
    );
  return { files, skipped };
}

const stem = (file: string): string => basename(file, extname(file));

/** Each input's dump folder, DUMPS/<stem>: checked before any image runs, so a missing one fails at once. */
function dumpFolders(against: string, files: string[]): Map<string, string> {
  let stat: Stats;
  try {
    stat = statSync(against);
  } catch (e) {
    throw new PortafilterError(`cannot read the dumps folder: ${(e as Error).message}`, { file: against });
  }
  if (!stat.isDirectory()) throw new PortafilterError('is not a folder: give a folder holding one folder of .npy dumps per input, named by the input file\'s stem', { file: against });
  const byStem = new Map<string, string>();
  const folders = new Map<string, string>();
  for (const file of files) {
    const s = stem(file);
    const other = byStem.get(s);
    if (other !== undefined)
      throw new PortafilterError(`${basename(other)} and ${basename(file)} would both be compared with the dumps in ${join(against, s)}: rename one, or report on them in separate folders`, { file });
    byStem.set(s, file);
    const dir = join(against, s);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // missing: said below
    }
    if (!isDir) throw new PortafilterError(`has no dumps: ${dir} is not a folder (the dumps of each input go in a folder named by its file stem, as pycaffe would save them for it)`, { file });
    folders.set(file, dir);
  }
  return folders;
}

/** The samples of a (N, K) or (N, K, 1, 1) output both sides gave: top-1 the same class, top-5 the same set of classes. */
function agreeOn(candidate: Blob, reference: Blob, labels: string[] | undefined): SampleAgreement[] {
  const n = candidate.shape[0] ?? 1;
  const per = candidate.data.length / Math.max(n, 1);
  const k = Math.min(TOP_K, per);
  const c = topK(candidate, k, labels);
  const r = topK(reference, k, labels);
  return c.map((preds, sample) => {
    const ref = r[sample];
    const set = new Set(ref.map((p) => p.index));
    return { sample, candidate: preds, reference: ref, top1: preds[0]?.index === ref[0]?.index, top5: preds.every((p) => set.has(p.index)) };
  });
}

const shapeKey = (inputs: Record<string, Blob>): string =>
  Object.entries(inputs)
    .map(([name, b]) => `${name}=${b.shape.join(',')}`)
    .join(';');

/** The version of the TF.js that ran (already loaded: the engine ran on it). */
async function tfjsVersion(): Promise<string | undefined> {
  try {
    const tf = await import('@tensorflow/tfjs-core');
    return tf.version_core;
  } catch {
    return undefined;
  }
}

export async function gatherEquivalence(model: CaffeNet, options: EquivalenceOptions): Promise<Equivalence> {
  const progress = options.onProgress ?? (() => undefined);
  const { signal } = options;
  const against = options.against ?? 'reference';
  const reference = against === 'reference';
  const choice = options.engine ?? 'tfjs';
  if (reference && choice === 'reference')
    throw new PortafilterError('comparing the reference with itself proves nothing: pick the engine to check (the default runs the Keras model on TF.js), or report the reference against dumps (--against DUMPS)');
  const preprocess = options.preprocess ?? {};
  const date = new Date().toISOString();
  const { files, skipped } = listInputs(options.images);
  const dumps = reference ? undefined : dumpFolders(against, files);
  const labels = options.labels !== undefined ? readLabels(options.labels) : undefined;

  progress('hashing the model files');
  const hashes: FileHash[] = [];
  const hash = async (role: FileHash['role'], path: string): Promise<void> => void hashes.push({ role, path: resolve(path), ...(await sha256File(path, signal)) });
  await hash('prototxt', model.prototxt);
  if (model.caffemodel !== undefined) {
    // A folder of .npy weights: every file of it.
    if (statSync(model.caffemodel).isDirectory()) for (const f of readdirSync(model.caffemodel).sort()) await hash('caffemodel', join(model.caffemodel, f));
    else await hash('caffemodel', model.caffemodel);
  }
  if (preprocess.mean !== undefined) await hash('mean', preprocess.mean);
  if (options.labels !== undefined) await hash('labels', options.labels);

  const layers = new Map<string, LayerSummary & { errors: ErrorDistribution }>();
  const finals = new ErrorDistribution();
  const agreement = new Map<string, Agreement>();
  const images: ImageSummary[] = [];
  const warnings: string[] = [];
  const labelWarned = new Set<string>();
  let naming: 'layers' | 'blobs' | undefined;
  const unmatched = new Set<string>();
  let engine: (Engine & { skipped: SkippedEngine[] }) | undefined;
  let referenceEngine: Engine | undefined;
  let engineKey: string | undefined;
  let ran: RunResult | undefined;
  let setupMs = 0;
  let imagesMs = 0;

  try {
    for (const [i, file] of files.entries()) {
      signal?.throwIfAborted();
      const name = basename(file);
      progress(`image ${i + 1} of ${files.length}: ${name}`, i / files.length);
      const started = performance.now();
      const { sha256 } = await sha256File(file, signal);
      const { model: shaped, inputs } = await prepareInputs(model, {
        inputs: [file],
        ...preprocess,
        nameHint: 'a report feeds each file of its folder to the net\'s one input, so it reports on nets of one input',
      });
      const key = shapeKey(inputs);
      if (key !== engineKey) {
        const building = performance.now();
        engine?.dispose();
        referenceEngine?.dispose();
        engine = referenceEngine = undefined;
        engine = await createEngine(shaped, { engine: choice, ordering: options.ordering, flipKernels: options.flipKernels });
        if (reference) referenceEngine = await createEngine(shaped, { engine: 'reference' });
        engineKey = key;
        setupMs += performance.now() - building;
      }
      const candidate = await engine!.run(inputs, { capture: true, signal });
      ran = candidate;
      const nonFinite = firstNonFiniteLayer(candidate.layers);
      if (nonFinite) warnings.push(`${name}: ${nonFiniteWarning(nonFinite, candidate.outputs)}`);
      let expected: Expected;
      if (referenceEngine) expected = expectedFromRun(await referenceEngine.run(inputs, { capture: true, signal }));
      else {
        const found = expectedFromDumps(dumps!.get(file)!, shaped, options.naming ?? 'auto');
        expected = found.expected;
        if (naming !== undefined && found.naming !== naming)
          warnings.push(`${name}: its dumps read as named by ${found.naming === 'layers' ? 'layer' : 'blob'}, the earlier inputs' by ${naming === 'layers' ? 'layer' : 'blob'} (give --naming to fix one)`);
        naming ??= found.naming;
        for (const u of found.unmatched) unmatched.add(u);
      }
      const diff = diffRuns(candidate, expected, shaped, against);

      let ratio = 0;
      for (const row of diff.rows) {
        const id = `${row.layer}\u0000${row.top}`;
        let entry = layers.get(id);
        if (!entry) {
          entry = { layer: row.layer, type: row.type, top: row.top, blob: row.blob, caffeShape: [...row.caffeShape], ...(row.kerasShape ? { kerasShape: [...row.kerasShape] } : {}), final: row.final, compared: 0, diverged: 0, status: 'missing', errors: new ErrorDistribution() };
          layers.set(id, entry);
        }
        if (STATUS_RANK[row.status] > STATUS_RANK[entry.status]) entry.status = row.status;
        if (row.status === 'missing') continue;
        entry.compared++;
        if (row.status === 'diverged' || row.status === 'shape') {
          entry.diverged++;
          entry.firstImage ??= name;
          if (row.cause !== undefined) entry.cause ??= row.cause;
        }
        if (row.ratio !== undefined) {
          entry.ratio = Math.max(entry.ratio ?? 0, row.ratio);
          ratio = Math.max(ratio, row.ratio);
        } else if (row.status === 'shape') ratio = Infinity;
        // Math.max keeps a NaN: a layer that gave NaN on one image shows NaN.
        if (row.maxAbs !== undefined) entry.maxAbs = Math.max(entry.maxAbs ?? 0, row.maxAbs);
        if (row.status === 'ok' || row.status === 'diverged') {
          const out = candidate.layers.find((l) => l.layer === row.layer)!.tops[row.top].value;
          const ref = expected(row.layer, row.top)!;
          entry.errors.add(out.data, ref.data);
        }
      }

      // The net outputs: their differences for the histogram, and the class scores' agreement.
      const outputs: ImageSummary['outputs'] = [];
      for (const t of shaped.graph.outputs) {
        const tensor = shaped.graph.tensors[t];
        const layer = shaped.graph.layers[tensor.producer];
        const ours = candidate.layers.find((l) => l.layer === layer.name)?.tops[tensor.topIndex]?.value;
        const theirs = expected(layer.name, tensor.topIndex);
        if (!ours || !theirs || ours.data.length !== theirs.data.length) continue;
        finals.add(ours.data, theirs.data);
        if (!isClassScores(ours)) continue;
        const per = ours.data.length / Math.max(ours.shape[0] ?? 1, 1);
        const named = labels && labels.length === per ? labels : undefined;
        if (labels && !named && !labelWarned.has(tensor.blob)) {
          labelWarned.add(tensor.blob);
          warnings.push(`${options.labels} has ${labels.length} labels but output '${tensor.blob}' has ${per} classes: the labels are left out`);
        }
        const samples = agreeOn(ours, { shape: ours.shape, data: theirs.data }, named);
        outputs.push({ blob: tensor.blob, samples });
        const a = agreement.get(tensor.blob) ?? { blob: tensor.blob, classes: per, k: Math.min(TOP_K, per), compared: 0, top1: 0, top5: 0 };
        a.compared += samples.length;
        a.top1 += samples.filter((s) => s.top1).length;
        a.top5 += samples.filter((s) => s.top5).length;
        agreement.set(tensor.blob, a);
      }
      const first = diff.first !== undefined ? diff.rows[diff.first] : undefined;
      images.push({
        file,
        name,
        sha256,
        shape: [...Object.values(inputs)[0].shape],
        ...(dumps ? { dumps: dumps.get(file) } : {}),
        ...(first ? { first: { layer: first.layer, top: first.top, ...(first.cause !== undefined ? { cause: first.cause } : {}) } } : {}),
        ratio,
        outputs,
        milliseconds: candidate.milliseconds,
      });
      imagesMs += performance.now() - started;
    }
  } finally {
    engine?.dispose();
    referenceEngine?.dispose();
  }
  // The engines' building is set-up, not the images' work.
  imagesMs -= setupMs;
  progress('summing up', 1);

  if (unmatched.size > 0) {
    const list = [...unmatched].sort();
    warnings.push(`${list.length} dump file name(s) matched no layer or blob: ${list.slice(0, 10).join(', ')}${list.length > 10 ? ', …' : ''}`);
  }
  const rows = [...layers.values()].map(({ errors, ...row }) => (errors.count > 0 ? { ...row, p99: errors.quantile(PERCENTILE) } : row));
  const first = rows.findIndex((r) => r.status === 'diverged' || r.status === 'shape');
  const compared = rows.filter((r) => r.status !== 'missing').length;
  if (compared === 0) warnings.push('nothing was compared: no dump file matched a layer or blob name');
  const result = ran!;
  const versions: Equivalence['versions'] = { portafilter: appVersion(), node: process.versions.node };
  if (result.form === 'keras') {
    const v = await tfjsVersion();
    if (v !== undefined) versions.tfjs = v;
  }
  if (result.form === 'onnx') versions.onnxruntime = onnxRuntimeVersion();
  const seconds = imagesMs / 1000;
  return {
    name: model.graph.name || basename(model.prototxt),
    date,
    engine: {
      name: result.engine,
      detail: result.engineDetail,
      form: result.form,
      ...(result.ordering ? { ordering: result.ordering } : {}),
      flipKernels: result.flipKernels === true,
      ran: describeRun(result),
      skipped: engine?.skipped ?? [],
    },
    against,
    ...(naming ? { naming } : {}),
    preprocess,
    versions,
    files: hashes,
    imagesFolder: resolve(options.images),
    images,
    skippedFiles: skipped,
    layers: rows,
    ...(first >= 0 ? { first } : {}),
    agreement: [...agreement.values()],
    finals,
    ok: first < 0 && compared > 0,
    seconds,
    imagesPerSecond: seconds > 0 ? images.length / seconds : Infinity,
    setupSeconds: setupMs / 1000,
    warnings,
  };
}

/** Top-1 and top-5 agreement over every class-score output: agreed and compared samples. */
export function overallAgreement(eq: Pick<Equivalence, 'agreement'>): { top1: { agreed: number; compared: number }; top5: { agreed: number; compared: number } } | undefined {
  if (eq.agreement.length === 0) return undefined;
  const compared = eq.agreement.reduce((n, a) => n + a.compared, 0);
  return {
    top1: { agreed: eq.agreement.reduce((n, a) => n + a.top1, 0), compared },
    top5: { agreed: eq.agreement.reduce((n, a) => n + a.top5, 0), compared },
  };
}
