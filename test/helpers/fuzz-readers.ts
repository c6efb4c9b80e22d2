/**
 * The reader side of test/unit/fuzz.test.ts, run inside a worker thread (fuzz-worker.ts): each case
 * builds one seeded mutation of a real fixture (or puts a folder, a FIFO, a /proc file … in its place),
 * feeds it to a reader through its public entry point, and returns what it saw. Judging happens in the
 * test, from these observations, so that a case that never returns can be named by the watchdog there.
 */
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { readBinaryProto } from '../../src/main/caffe/binaryproto.js';
import { readCaffeModel, readCaffeModelSync } from '../../src/main/caffe/caffemodel.js';
import { readMean } from '../../src/main/caffe/mean.js';
import { npyToFloat32, readNpy, writeNpy } from '../../src/main/caffe/npy.js';
import { npyWeightFile } from '../../src/main/caffe/npy-weights.js';
import { readLabels } from '../../src/main/engine/predictions.js';
import { prepareInputs } from '../../src/main/engine/inputs.js';
import { loadCaffeNet, type CaffeNet } from '../../src/main/net/model.js';
import { PortafilterError, UnsupportedLayerError, type ErrorLocation } from '../../src/shared/errors.js';
import { FIXTURE_MODELS, FIXTURE_PROTOTXTS, fixture } from './fixtures.js';
import { cutPoints, jpegEnd, mutate, npyDataEnd, pngDataEnd, protobufFieldEnds, prototxtHasLayer, prototxtUnclosed, type Mutation, type OtherFile } from './fuzz-mutations.js';
import { mulberry32 } from './prng.js';
import { decodeWithProtobufjs, strictCheck } from './protobuf-oracle.js';

export const READERS = ['prototxt', 'net+weights', 'caffemodel', 'binaryproto', 'mean', 'npy', 'npy-folder', 'image', 'input-npy', 'labels'] as const;
export type ReaderName = (typeof READERS)[number];

/** What stands in for the input file in a special case. */
export const SPECIALS = ['folder', 'fifo', 'proc', 'devnull', 'missing', 'empty'] as const;
export type Special = (typeof SPECIALS)[number];

export interface FuzzCase {
  /** e.g. `caffemodel #12`, unique in a run */
  id: string;
  reader: ReaderName;
  seed: number;
  special?: Special;
}

export interface SeenError {
  /** a PortafilterError subclass */
  typed: boolean;
  name: string;
  message: string;
  location?: ErrorLocation;
  /** UnsupportedLayerError names each layer's place in its list rather than in its own location */
  layerLines?: Array<number | undefined>;
  stack?: string;
}

export interface Observation {
  id: string;
  reader: ReaderName;
  seed: number;
  /** the source, and the mutation made of it */
  what: string;
  /** the files (or folder) a typed error must name */
  inputs: string[];
  /** errors about files inside this folder name that file */
  folder?: string;
  /** what place in the file an error must give: a line, any place (line, offset, layer, field), or none (the format has none) */
  place: 'line' | 'any' | 'none';
  /** set when the fault can only concern the whole file (a prototxt left without any layer): an error may then give no place */
  wholeFile?: string;
  /** set when the input cannot be complete: the oracle's reason */
  mustFail?: string;
  /** set when the oracle says a shorter but complete input must load: why */
  mustLoad?: string;
  /** for a caffemodel cut at a layer boundary: the layers it still holds, by protobufjs */
  layersExpected?: string[];
  layersGot?: string[];
  /** for a net loaded with such a caffemodel: weighted layers the cut removed and kept, what loaded, and the notes */
  weights?: { missing: string[]; kept: string[]; got: string[]; notes: string[] };
  outcome: { ok: true } | { ok: false; error: SeenError };
  ms: number;
}

export interface Specials {
  folder: string;
  fifo: string;
  proc: string;
  devnull: string;
  missing: string;
  empty: string;
}

// ---------------------------------------------------------------------------------------------------
// The fixtures each reader mutates

const model = (m: string, f: string): string => fixture('models', m, f);
const PROTOTXTS = [
  ...FIXTURE_MODELS.map((m) => model(m, 'deploy.prototxt')),
  ...FIXTURE_PROTOTXTS.map((n) => fixture('prototxts', `${n}.prototxt`)),
  fixture('models', 'cifar10_quick', 'extra', 'prediction_example.v1.prototxt'),
];
const MEANS = [fixture('labels', 'neuralcatdog_mean.binaryproto'), fixture('labels', 'ilsvrc_2012_mean.npy')];
const NPYS = [
  model('lenet_mnist', 'digit_3.npy'),
  model('cifar10_quick', 'cat10.npy'),
  model('mtcnn_pnet', 'face_12.npy'),
  model('features_b', 'input.npy'),
  model('lenet_mnist', 'expected/digit_3/conv1.npy'),
  model('lenet_mnist', 'expected/digit_3/prob.npy'),
  fixture('labels', 'ilsvrc_2012_mean.npy'),
];
/** The models whose weights are also written as a .npy folder; mtcnn_pnet has PReLU slopes, features_b BatchNorm's three blobs. */
const FOLDER_MODELS = ['lenet_mnist', 'cifar10_quick', 'features_b', 'mtcnn_pnet'];
const IMAGES = [
  model('lenet_mnist', 'digit_3.png'),
  model('lenet_mnist', 'digit_0.png'),
  model('cifar10_quick', 'cat10.png'),
  model('cifar10_quick', 'dog10.png'),
  model('mtcnn_pnet', 'face_12.png'),
  model('mtcnn_rnet', 'face_24.png'),
  model('mtcnn_onet', 'face_48.png'),
  model('ultraface_slim320', 'sample_1.png'),
  fixture('images', 'space_shuttle.jpg'),
  fixture('images', 'ultraface_sample_13.jpg'),
  fixture('images', 'fish-bike.jpg'),
  fixture('images', 'cat.jpg'),
];
const INPUT_NPYS: Array<[file: string, net: 'lenet_mnist' | 'cifar10_quick']> = [
  [model('lenet_mnist', 'digit_7.npy'), 'lenet_mnist'],
  [model('cifar10_quick', 'truck10.npy'), 'cifar10_quick'],
];
/** Input shapes to feed; -1 … -4 stand for the net input's own N, C, H, W. */
const RESHAPES = [
  [-1, -2, -3, -4],
  [2, -2, -3, -4],
  [-1, -2, -3, 29],
  [-1, -2, 1, -4],
  [-1, 0, -3, -4],
  [0, -2, -3, -4],
  [-1, 3, -3, -4],
  [-1, -3, -4, -2],
  [-2, -3, -4],
  [-1, -2, -3, -4, 1],
  [-1, -2, 100000, -4],
];
/** Files of every kind, spliced into or swapped for the file a reader expects. */
const OTHERS = [
  model('lenet_mnist', 'weights.caffemodel'),
  model('mtcnn_pnet', 'weights.caffemodel'),
  model('lenet_mnist', 'deploy.prototxt'),
  model('lenet_mnist', 'digit_0.png'),
  fixture('images', 'space_shuttle.jpg'),
  model('lenet_mnist', 'digit_0.npy'),
  fixture('labels', 'neuralcatdog_mean.binaryproto'),
  fixture('labels', 'synset_words.txt'),
];

// ---------------------------------------------------------------------------------------------------
// Set-up, once per worker

let work = '';
let specials: Specials;
const bytesCache = new Map<string, Uint8Array>();
const bytesOf = (path: string): Uint8Array => {
  let b = bytesCache.get(path);
  if (!b) bytesCache.set(path, (b = new Uint8Array(readFileSync(path))));
  return b;
};
let others: OtherFile[] = [];
/** Each model as it loads from its intact files: the weighted layers, and the nets prepareInputs reshapes. */
const baseline = new Map<string, { weighted: string[]; net: CaffeNet }>();
const folders = new Map<string, string>();
let labelsFile = '';

export async function prepare(workDir: string, special: Specials): Promise<void> {
  work = workDir;
  specials = special;
  others = OTHERS.map((p) => ({ name: `${basename(dirname(p))}/${basename(p)}`, bytes: bytesOf(p) }));
  for (const m of FIXTURE_MODELS) {
    const net = await loadCaffeNet({ prototxt: model(m, 'deploy.prototxt'), caffemodel: model(m, 'weights.caffemodel') });
    baseline.set(m, { weighted: [...net.weights.keys()], net });
  }
  for (const m of FOLDER_MODELS) {
    // The folder layout `convert --format npy` writes (README), made here from the caffemodel so the
    // fuzz does not depend on the exporter other work is changing.
    const dir = join(work, `npy-${m}`);
    mkdirSync(dir, { recursive: true });
    for (const layer of readCaffeModelSync(model(m, 'weights.caffemodel')).layers)
      layer.blobs.forEach((b, i) => writeNpy(join(dir, npyWeightFile(layer.name, i)), b.shape, b.data));
    folders.set(m, dir);
  }
  labelsFile = join(work, 'cifar-labels.txt');
  writeFileSync(labelsFile, 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
}

const cutsCache = new Map<string, number[]>();
/** The boundaries of a fixture worth cutting at, by its kind. */
function cutsOf(path: string): number[] {
  let cuts = cutsCache.get(path);
  if (!cuts) {
    const ext = extname(path);
    const kind = ext === '.npy' ? 'npy' : ext === '.png' ? 'png' : ext === '.jpg' ? 'jpeg' : ext === '.prototxt' ? 'prototxt' : ext === '.txt' ? undefined : 'protobuf';
    cutsCache.set(path, (cuts = kind ? cutPoints(kind, bytesOf(path)) : []));
  }
  return cuts;
}

// ---------------------------------------------------------------------------------------------------
// One case

const seen = (e: unknown): SeenError => {
  const err = e instanceof Error ? e : new Error(String(e));
  const typed = err instanceof PortafilterError;
  return {
    typed,
    name: err.name,
    message: err.message,
    location: typed ? { ...(err as PortafilterError).location } : undefined,
    layerLines: err instanceof UnsupportedLayerError ? err.layers.map((l) => l.location?.line) : undefined,
    stack: typed ? undefined : err.stack,
  };
};

const label = (path: string): string => `${basename(dirname(path))}/${basename(path)}`;

/** Writes `mutation` where the reader will read it, under the case's own folder, with the source's name. */
function place(dir: string, source: string, m: Mutation): string {
  const path = join(dir, basename(source));
  writeFileSync(path, m.bytes);
  return path;
}

/** The layers (with their blobs) a protobuf prefix holds, by protobufjs; undefined when protobufjs refuses it. */
function protobufLayers(bytes: Uint8Array): string[] | undefined {
  try {
    const { v2, v1 } = decodeWithProtobufjs(bytes);
    return [...v2, ...v1].map((l) => l.name);
  } catch {
    return undefined;
  }
}

interface Plan {
  what: string;
  inputs: string[];
  folder?: string;
  place: Observation['place'];
  mustFail?: string;
  mustLoad?: string;
  layersExpected?: string[];
  wholeFile?: string;
  run: () => Promise<unknown>;
  /** after a successful run, what it gave, for the oracles */
  after?: (result: unknown, obs: Observation) => void;
}

/** What the oracles say of a caffemodel (NetParameter) cut at `cut`. */
function caffemodelCut(original: Uint8Array, cut: number): Pick<Plan, 'mustFail' | 'mustLoad' | 'layersExpected'> {
  if (!protobufFieldEnds(original).has(cut)) return { mustFail: `the cut at byte ${cut} falls inside a top-level field` };
  const prefix = original.subarray(0, cut);
  const layers = protobufLayers(prefix);
  if (layers === undefined) throw new Error(`oracle: protobufjs refuses the prefix of ${cut} bytes that ends a top-level field`);
  if (layers.length === 0) return { mustFail: `the cut at byte ${cut} leaves no layer` };
  return { mustLoad: `the cut at byte ${cut} ends a top-level field: a NetParameter of ${layers.length} layer(s)`, layersExpected: layers };
}

/** What the oracles say of a .binaryproto (BlobProto) cut at `cut`: complete only at a field end with a loadable blob. */
function blobCut(original: Uint8Array, cut: number): string | undefined {
  if (!protobufFieldEnds(original).has(cut)) return `the cut at byte ${cut} falls inside a top-level field`;
  const v = strictCheck(original.subarray(0, cut), 'BlobProto').violation;
  return v === undefined ? undefined : `the BlobProto cut at byte ${cut} is not loadable (${v})`;
}

function npyCut(original: Uint8Array, cut: number): string | undefined {
  const end = npyDataEnd(original);
  return cut < end ? `the cut at byte ${cut} is before the end of the data the header declares (${end})` : undefined;
}

function imageCut(source: string, original: Uint8Array, cut: number): string | undefined {
  const end = extname(source) === '.png' ? pngDataEnd(original) : jpegEnd(original);
  return cut < end ? `the cut at byte ${cut} is before the end of the image data (${end})` : undefined;
}

function prototxtCut(original: Uint8Array, cut: number): string | undefined {
  const open = prototxtUnclosed(new TextDecoder().decode(original.subarray(0, cut)));
  return open === undefined ? undefined : `the cut at byte ${cut} leaves ${open}`;
}

function plan(c: FuzzCase, dir: string): Plan {
  const random = mulberry32(c.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const special = c.special;
  /** A mutated copy of `source` in the case folder, or the special path; with the oracle's verdict on a cut. */
  const input = (source: string, cut?: (original: Uint8Array, at: number) => Partial<Plan> | string | undefined) => {
    if (special) {
      // Readers that go by the extension (an input .npy or an image) see the special under the source's name.
      if (c.reader !== 'input-npy' && random() < 0.5) return { path: specials[special], what: `${special} in place of ${label(source)}`, verdict: {} as Partial<Plan> };
      const path = join(dir, basename(source));
      if (special === 'empty') writeFileSync(path, '');
      else if (special !== 'missing') symlinkSync(specials[special], path);
      return { path, what: `${special} in place of ${label(source)}, under its name`, verdict: {} as Partial<Plan> };
    }
    const original = bytesOf(source);
    const m = mutate(original, random, others, cutsOf(source));
    const path = place(dir, source, m);
    let verdict: Partial<Plan> = {};
    if (m.truncatedAt !== undefined && cut) {
      const v = cut(original, m.truncatedAt);
      verdict = typeof v === 'string' ? { mustFail: v } : (v ?? {});
    }
    if (source.endsWith('.prototxt') && !prototxtHasLayer(new TextDecoder().decode(m.bytes))) verdict.wholeFile = 'the text has no layer field left';
    return { path, what: `${label(source)}: ${m.what}`, verdict };
  };
  const specialVerdict = special && (c.reader !== 'labels' || special !== 'empty') ? { mustFail: `${special} is not an input file` } : {};
  const where: Pick<Plan, 'place'> = { place: special ? 'none' : 'any' };

  switch (c.reader) {
    case 'prototxt': {
      const i = input(pick(PROTOTXTS), prototxtCut);
      return { ...where, ...i.verdict, ...specialVerdict, what: i.what, inputs: [i.path], run: () => loadCaffeNet({ prototxt: i.path }) };
    }
    case 'net+weights': {
      const m = pick(FIXTURE_MODELS);
      const prototxt = model(m, 'deploy.prototxt');
      const caffemodel = model(m, 'weights.caffemodel');
      if (random() < 0.25) {
        const i = input(prototxt, prototxtCut);
        return { ...where, ...i.verdict, ...specialVerdict, what: `${i.what} (with its caffemodel)`, inputs: [i.path, caffemodel], run: () => loadCaffeNet({ prototxt: i.path, caffemodel }) };
      }
      const i = input(caffemodel, caffemodelCut);
      const { weighted } = baseline.get(m)!;
      return {
        ...where,
        ...i.verdict,
        ...specialVerdict,
        what: `${i.what} (with its prototxt)`,
        inputs: [prototxt, i.path],
        run: () => loadCaffeNet({ prototxt, caffemodel: i.path }),
        after: (result, obs) => {
          const expected = i.verdict.layersExpected;
          if (!expected) return;
          const net = result as CaffeNet;
          obs.weights = {
            missing: weighted.filter((l) => !expected.includes(l)),
            kept: weighted.filter((l) => expected.includes(l)),
            got: [...net.weights.keys()],
            notes: net.notes,
          };
        },
      };
    }
    case 'caffemodel': {
      const i = input(model(pick(FIXTURE_MODELS), 'weights.caffemodel'), caffemodelCut);
      return {
        ...where,
        ...i.verdict,
        ...specialVerdict,
        what: i.what,
        inputs: [i.path],
        run: () => readCaffeModel(i.path),
        after: (result, obs) => {
          if (i.verdict.layersExpected) obs.layersGot = (result as Awaited<ReturnType<typeof readCaffeModel>>).layers.map((l) => l.name);
        },
      };
    }
    case 'binaryproto': {
      const i = input(MEANS[0], blobCut);
      return { ...where, ...i.verdict, ...specialVerdict, what: i.what, inputs: [i.path], run: async () => readBinaryProto(i.path) };
    }
    case 'mean': {
      const source = pick(MEANS);
      const i = input(source, source.endsWith('.npy') ? npyCut : blobCut);
      if (random() < 0.5) return { ...where, ...i.verdict, ...specialVerdict, what: i.what, inputs: [i.path], run: () => readMean(i.path) };
      const net = baseline.get('cifar10_quick')!.net;
      const image = model('cifar10_quick', 'cat10.png');
      return {
        ...where,
        ...i.verdict,
        ...specialVerdict,
        what: `${i.what} (as the mean of cifar10_quick/cat10.png)`,
        inputs: [i.path],
        run: () => prepareInputs(net, { inputs: [image], mean: i.path }),
      };
    }
    case 'npy': {
      const i = input(pick(NPYS), npyCut);
      return { ...where, ...i.verdict, ...specialVerdict, what: i.what, inputs: [i.path], run: async () => npyToFloat32(readNpy(i.path)) };
    }
    case 'input-npy': {
      const [source, m] = pick(INPUT_NPYS);
      const net = baseline.get(m)!.net;
      if (!special && random() < 0.25) {
        // A well-formed .npy of a shape the net may not take: what fails is the input, so its error names it.
        const shape = pick(RESHAPES).map((d) => (d < 0 ? net.shapes.layers[0].topShapes[0][-d - 1] : d));
        const path = join(dir, basename(source));
        writeNpy(path, shape, new Float32Array(shape.reduce((a, d) => a * d, 1)));
        return { ...where, what: `a .npy of shape (${shape.join(', ')}) (input of ${m})`, inputs: [path], run: () => prepareInputs(net, { inputs: [path] }) };
      }
      const i = input(source, npyCut);
      return { ...where, ...i.verdict, ...specialVerdict, what: `${i.what} (input of ${m})`, inputs: [i.path], run: () => prepareInputs(net, { inputs: [i.path] }) };
    }
    case 'image': {
      const source = pick(IMAGES);
      const m = source.includes('lenet') ? 'lenet_mnist' : source.includes('cifar') ? 'cifar10_quick' : pick(['lenet_mnist', 'cifar10_quick']);
      const i = input(source, (original, at) => imageCut(source, original, at));
      const net = baseline.get(m)!.net;
      // An image has no line or offset that its decoder reports: the file is the place.
      return { ...i.verdict, ...specialVerdict, place: 'none', what: `${i.what} (input of ${m})`, inputs: [i.path], run: () => prepareInputs(net, { inputs: [i.path] }) };
    }
    case 'labels': {
      const i = input(pick([fixture('labels', 'synset_words.txt'), labelsFile]));
      // Any text is a list of labels; only a file that cannot be read is an error, and it has no place.
      return { ...i.verdict, ...specialVerdict, place: 'none', what: i.what, inputs: [i.path], run: async () => readLabels(i.path) };
    }
    case 'npy-folder':
      return folderPlan(c, dir, random);
  }
}

/** A copy of a model's .npy weights folder with one file mutated, removed, renamed or replaced. */
function folderPlan(c: FuzzCase, dir: string, random: () => number): Plan {
  const int = (n: number): number => Math.floor(random() * n);
  const m = FOLDER_MODELS[int(FOLDER_MODELS.length)];
  const prototxt = model(m, 'deploy.prototxt');
  const run = (folder: string) => () => loadCaffeNet({ prototxt, caffemodel: folder });
  if (c.special) {
    const path = specials[c.special];
    return { place: 'none', what: `${c.special} in place of the npy folder of ${m}`, inputs: [path, prototxt], mustFail: `${c.special} is not a weights folder`, run: run(path) };
  }
  const folder = join(dir, `npy-${m}`);
  cpSync(folders.get(m)!, folder, { recursive: true });
  const files = readdirSync(folder).sort();
  const victim = files[int(files.length)];
  const path = join(folder, victim);
  const base: Pick<Plan, 'inputs' | 'folder' | 'place'> = { inputs: [folder, prototxt], folder, place: 'any' };
  const roll = random();
  if (roll < 0.6) {
    const original = bytesOf(join(folders.get(m)!, victim));
    const mutation = mutate(original, random, others, cutsOf(join(folders.get(m)!, victim)));
    writeFileSync(path, mutation.bytes);
    const mustFail = mutation.truncatedAt !== undefined ? npyCut(original, mutation.truncatedAt) : undefined;
    return { ...base, what: `npy folder of ${m}, ${victim}: ${mutation.what}`, mustFail, run: run(folder) };
  }
  const other = join(folder, files[int(files.length)]);
  switch (int(6)) {
    case 0:
      unlinkSync(path);
      return { ...base, what: `npy folder of ${m} without ${victim}`, run: run(folder) };
    case 1:
      renameSync(path, join(folder, victim.replace(/_/, '_%zz')));
      // The fault is the file's name, which the message gives: there is no place inside a file to name.
      return { ...base, place: 'none', what: `npy folder of ${m}, ${victim} renamed with a bad percent escape`, mustFail: 'a file name is badly percent-encoded', run: run(folder) };
    case 2:
      rmSync(path);
      mkdirSync(path);
      return { ...base, place: 'none', what: `npy folder of ${m}, ${victim} replaced by a folder`, mustFail: 'a weights file is a folder', run: run(folder) };
    case 3:
      rmSync(path);
      symlinkSync(specials.fifo, path);
      return { ...base, place: 'none', what: `npy folder of ${m}, ${victim} a link to a FIFO`, mustFail: 'a weights file is a FIFO', run: run(folder) };
    case 4:
      rmSync(path);
      symlinkSync(specials.proc, path);
      return { ...base, place: 'none', what: `npy folder of ${m}, ${victim} a link to ${specials.proc}`, mustFail: 'a weights file is a /proc file', run: run(folder) };
    default:
      copyFileSync(other, path);
      return { ...base, what: `npy folder of ${m}, ${victim} overwritten by ${basename(other)}`, run: run(folder) };
  }
}

export async function runCase(c: FuzzCase, index: number): Promise<Observation> {
  const dir = join(work, `case-${index}`);
  mkdirSync(dir, { recursive: true });
  try {
    const p = plan(c, dir);
    const obs: Observation = {
      id: c.id,
      reader: c.reader,
      seed: c.seed,
      what: p.what,
      inputs: p.inputs,
      folder: p.folder,
      place: p.place,
      mustFail: p.mustFail,
      mustLoad: p.mustLoad,
      layersExpected: p.layersExpected,
      wholeFile: p.wholeFile,
      outcome: { ok: true },
      ms: 0,
    };
    const t0 = performance.now();
    try {
      const result = await p.run();
      obs.ms = performance.now() - t0;
      p.after?.(result, obs);
    } catch (e) {
      obs.ms = performance.now() - t0;
      obs.outcome = { ok: false, error: seen(e) };
    }
    return obs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
