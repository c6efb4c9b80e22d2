/**
 * runModel and activation: a run of the converted model (or the reference) on one input, kept with
 * every layer's output in the model's session so the workbench can ask for any layer's activation
 * afterwards, as statistics, a histogram, channel maps through a colour map, or raw values.
 * Inputs and predictions are read as the CLI's `run` reads them (engine/inputs.ts, engine/predictions.ts).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { MAX_OUTPUT_VALUES, type ActivationInfo, type CallOptions, type DiffInfo, type InputPreview, type Request, type RunInfo } from '../../shared/api.js';
import { PortafilterError } from '../../shared/errors.js';
import { compareModelRuns } from '../engine/compare.js';
import { createEngine } from '../engine/index.js';
import { nonFiniteWarnings } from '../engine/finite.js';
import { prepareInputs } from '../engine/inputs.js';
import { isClassScores, readLabels, topK } from '../engine/predictions.js';
import type { LayerOutput, RunResult } from '../engine/types.js';
import type { VerifyInput } from '../export/verify.js';
import type { Blob } from '../layers/types.js';
import type { CaffeNet } from '../net/model.js';
import { resourcePath } from '../paths.js';
import { colormap } from './colormaps.js';
import { blobStats } from './weight-views.js';

/** Runs kept per model: each holds every layer's output (VGG_CNN_S: ~60 MB), so only the latest few. */
export const RUNS_KEPT = 2;

export interface StoredRun {
  id: string;
  result: RunResult;
  byLayer: Map<string, LayerOutput>;
}

const DEMO_FOLDER = (): string => resourcePath('demo', 'lenet_mnist');
const SAMPLE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.npy']);

/** Photos bundled for any net with a 3-channel input (resources/samples: the BVLC cat). */
const PHOTO_FOLDER = (): string => resourcePath('samples');

const inputsIn = (folder: string): string[] =>
  readdirSync(folder)
    .filter((f) => SAMPLE_EXTENSIONS.has(extname(f).toLowerCase()))
    .sort();

/** The demo's bundled inputs, by file name. */
export const demoSamples = (): string[] => inputsIn(DEMO_FOLDER());
/** The bundled photos, by file name. */
export const photoSamples = (): string[] => inputsIn(PHOTO_FOLDER());

function inputPath(input: Request<'runModel'>['input']): string {
  if (input.file !== undefined) return input.file;
  const name = input.sample ?? '';
  // By name from the lists, never joined blindly: a name cannot reach outside the bundled folders.
  const demo = demoSamples();
  if (demo.includes(name)) return join(DEMO_FOLDER(), name);
  const photos = photoSamples();
  if (photos.includes(name)) return join(PHOTO_FOLDER(), name);
  throw new PortafilterError(`there is no bundled sample input '${name}' (the demo has ${demo.join(', ')}; the photos are ${photos.join(', ')})`);
}

/** A labels file next to the prototxt, as Caffe's examples keep synset_words.txt beside the model. */
function labelsNextTo(prototxt: string): string | undefined {
  for (const name of ['synset_words.txt', 'labels.txt']) {
    const file = join(dirname(prototxt), name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** Sample 0 of a net input as the net sees it: 3 channels shown as RGB (Caffe's BGR swapped back unless rgb), else the first channel grey. */
export function inputPreview(blob: Blob, bgr: boolean): InputPreview | undefined {
  if (blob.shape.length !== 4) return undefined;
  const [, channels, height, width] = blob.shape;
  const plane = height * width;
  const pixels = new Uint8ClampedArray(plane * 4);
  const shown = channels === 3 ? (bgr ? [2, 1, 0] : [0, 1, 2]) : [0, 0, 0];
  for (let out = 0; out < 3; out++) {
    const values = blob.data.subarray(shown[out] * plane, (shown[out] + 1) * plane);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const k = hi > lo ? 255 / (hi - lo) : 0;
    for (let i = 0; i < plane; i++) pixels[i * 4 + out] = (values[i] - lo) * k;
  }
  for (let i = 0; i < plane; i++) pixels[i * 4 + 3] = 255;
  return { width, height, pixels };
}

/** The net reshaped to the input, and the input preprocessed, as runModel and diffModel feed it. */
async function readInput(model: CaffeNet, req: Pick<Request<'runModel'>, 'input' | 'preprocess'>, options: CallOptions) {
  const file = inputPath(req.input);
  options.onProgress?.({ stage: 'reading the input' });
  const prepared = await prepareInputs(model, { inputs: [file], ...req.preprocess, nameHint: 'one input at a time' });
  return { file, ...prepared };
}

/** The input an export is verified on (convertModel's `verify.input`), prepared as a run's. */
export async function verificationInput(model: CaffeNet, req: Pick<Request<'runModel'>, 'input' | 'preprocess'>, options: CallOptions): Promise<VerifyInput> {
  const { file, model: shaped, inputs } = await readInput(model, req, options);
  return { model: shaped, inputs, source: `${basename(file)}, preprocessed` };
}

const storedRun = (result: RunResult): StoredRun => ({ id: randomUUID(), result, byLayer: new Map(result.layers.map((l) => [l.layer, l])) });

export async function runModel(model: CaffeNet, req: Request<'runModel'>, options: CallOptions): Promise<{ info: RunInfo; run: StoredRun }> {
  const labelsFile = req.labels ?? labelsNextTo(model.prototxt);
  const labels = labelsFile !== undefined ? readLabels(labelsFile) : undefined;
  const { file, model: shaped, inputs } = await readInput(model, req, options);
  options.onProgress?.({ stage: 'building the engine' });
  // The reference computes Caffe's layout: the toolbar's ordering and flip are the converted model's, not its; RunInfo says so (no ordering field).
  const reference = req.engine === 'reference';
  const engine = await createEngine(shaped, { engine: req.engine, ordering: reference ? undefined : req.ordering, flipKernels: reference ? undefined : req.flipKernels });
  try {
    options.onProgress?.({ stage: `running on ${engine.name}` });
    const result = await engine.run(inputs, { capture: true, signal: options.signal });
    const warnings = await nonFiniteWarnings(engine, inputs, result, true, options.signal);
    const outputs = result.outputs.map((o) => {
      const perSample = o.value.data.length / Math.max(o.value.shape[0] ?? 1, 1);
      const classes = isClassScores(o.value);
      if (classes && labels && perSample !== labels.length)
        warnings.push(`${labelsFile} has ${labels.length} labels but output '${o.blob}' has ${perSample} classes: the labels are left out`);
      const named = classes && labels && perSample === labels.length ? labels : undefined;
      return {
        blob: o.blob,
        shape: [...o.value.shape],
        ...(classes ? { top: topK(o.value, Math.min(req.top, perSample), named) } : {}),
        ...(o.value.data.length <= MAX_OUTPUT_VALUES ? { values: o.value.data.slice() } : {}),
      };
    });
    const run = storedRun(result);
    const info: RunInfo = {
      runId: run.id,
      engine: result.engine,
      engineDetail: result.engineDetail,
      form: result.form,
      ...(result.ordering ? { ordering: result.ordering } : {}),
      ...(result.form === 'keras' ? { flipKernels: result.flipKernels === true } : {}),
      skipped: engine.skipped.map((s) => ({ engine: s.name, reason: s.reason })),
      milliseconds: result.milliseconds,
      inputs: Object.entries(inputs).map(([name, b]) => ({ name, shape: [...b.shape], preview: inputPreview(b, !req.preprocess.rgb && extname(file).toLowerCase() !== '.npy') })),
      outputs,
      layers: result.layers.map((l) => ({ layer: l.layer, type: l.type, tops: l.tops.map((t) => ({ blob: t.blob, shape: [...t.value.shape] })) })),
      ...(labelsFile !== undefined ? { labels: labelsFile } : {}),
      warnings,
    };
    return { info, run };
  } finally {
    engine.dispose();
  }
}

/** diffModel: the run checked (and the reference's) kept like runModel's, so both sides and their difference can be shown. */
export async function diffModel(model: CaffeNet, req: Request<'diffModel'>, options: CallOptions): Promise<{ info: DiffInfo; runs: StoredRun[] }> {
  const { model: shaped, inputs } = await readInput(model, req, options);
  const reference = req.engine === 'reference';
  const { report, runs } = await compareModelRuns(shaped, inputs, {
    against: req.dumps,
    naming: req.naming,
    engine: req.engine,
    ordering: reference ? undefined : req.ordering,
    flipKernels: req.flipKernels,
    onProgress: (stage, fraction) => options.onProgress?.({ stage, fraction }),
    signal: options.signal,
  });
  const candidate = storedRun(runs.candidate);
  const against = runs.reference ? storedRun(runs.reference) : undefined;
  const info: DiffInfo = {
    runId: candidate.id,
    ...(against ? { referenceRunId: against.id } : {}),
    engine: report.engine,
    engineDetail: report.engineDetail,
    ran: report.ran,
    against: report.against,
    ...(report.naming ? { naming: report.naming } : {}),
    rows: report.rows.map((r) => ({ ...r, caffeShape: [...r.caffeShape] })),
    ...(report.first !== undefined ? { first: report.first } : {}),
    ok: report.ok,
    unmatched: report.unmatched,
    warnings: report.warnings,
  };
  return { info, runs: against ? [candidate, against] : [candidate] };
}

/** One top of a stored run's layer: its statistics and histogram, channel maps of sample 0, raw values of sample 0. */
function topOf(run: StoredRun, req: Request<'activation'>, where: { file: string }) {
  const layer = run.byLayer.get(req.layer);
  if (!layer) throw new PortafilterError(`the run holds no output of layer '${req.layer}' (it ran ${run.byLayer.size} layers; is it excluded, or not in this net?)`, { ...where, layer: req.layer });
  const top = layer.tops[req.top];
  if (!top) throw new PortafilterError(`the layer has ${layer.tops.length} top(s) (0..${layer.tops.length - 1}); top ${req.top} does not exist`, { ...where, layer: req.layer });
  return top;
}

/** The activation of `run`, or of `run` minus `minus` (the same layer's top in another run, the same shape). */
export function activation(run: StoredRun, req: Request<'activation'>, where: { file: string }, minus?: StoredRun): ActivationInfo {
  const top = topOf(run, req, where);
  let { data } = top.value;
  const { shape } = top.value;
  if (minus) {
    const other = topOf(minus, req, where).value;
    if (other.data.length !== data.length || other.shape.some((d, i) => d !== shape[i]))
      throw new PortafilterError(`the two runs give '${top.blob}' different shapes (${shape.join('×')} and ${other.shape.join('×')}): no difference to show`, { ...where, layer: req.layer });
    const difference = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) difference[i] = data[i] - other.data[i];
    data = difference;
  }
  const { stats, histogram } = blobStats(data, req.bins);
  const { count, min, max, mean, std, zeroFraction, nanCount, infCount } = stats;
  const perSample = data.length / Math.max(shape[0] ?? 1, 1);
  const info: ActivationInfo = { layer: req.layer, top: req.top, blob: top.blob, shape: [...shape], count, min, max, mean, std, zeroFraction, nanCount, infCount, ...histogram };
  if (req.tiles) {
    if (shape.length !== 4) throw new PortafilterError(`channel maps need a 4-D top (N,C,H,W); '${top.blob}' is [${shape.join(', ')}]`, { ...where, layer: req.layer });
    info.tiles = channelMaps(data.subarray(0, perSample), shape[1], shape[2], shape[3], { ...req.tiles, min, max });
  }
  if (req.raw) info.raw = data.slice(0, perSample);
  return info;
}

/**
 * Channels [offset, offset + limit) of one sample's C,H,W values as RGBA maps through a colour map:
 * each from its own min..max (channel), or all from the top's (shared, which shows which channels are
 * strong). NaN is drawn black in every map; a constant map takes the colour map's middle.
 */
export function channelMaps(
  sample: Float32Array,
  channels: number,
  height: number,
  width: number,
  o: { offset: number; limit: number; normalise: 'channel' | 'shared'; colormap: 'gray' | 'viridis' | 'magma'; min: number; max: number },
): NonNullable<ActivationInfo['tiles']> {
  const offset = Math.min(o.offset, channels);
  const count = Math.max(0, Math.min(o.limit, channels - offset));
  const plane = height * width;
  const lut = colormap(o.colormap);
  const pixels = new Uint8ClampedArray(count * plane * 4);
  const ranges = new Float32Array(count * 2);
  for (let t = 0; t < count; t++) {
    const values = sample.subarray((offset + t) * plane, (offset + t + 1) * plane);
    let lo = o.min;
    let hi = o.max;
    if (o.normalise === 'channel') {
      lo = Infinity;
      hi = -Infinity;
      for (const v of values) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (lo > hi) lo = hi = 0;
    }
    ranges[2 * t] = lo;
    ranges[2 * t + 1] = hi;
    const k = hi > lo ? 255 / (hi - lo) : 0;
    const base = t * plane * 4;
    for (let i = 0; i < plane; i++) {
      const v = values[i];
      const p = base + i * 4;
      if (v !== v) {
        pixels[p + 3] = 255;
        continue;
      }
      const level = k > 0 ? Math.min(255, Math.max(0, Math.round((v - lo) * k))) : 128;
      pixels[p] = lut[level * 3];
      pixels[p + 1] = lut[level * 3 + 1];
      pixels[p + 2] = lut[level * 3 + 2];
      pixels[p + 3] = 255;
    }
  }
  return { channels, offset, count, height, width, pixels, ranges };
}
