/**
 * The API implementation behind every transport. Requests are validated here against the schemas in
 * src/shared/api.ts; errors leave as the typed errors of src/shared/errors.ts.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  methods,
  type CallOptions,
  type ConvertRequest,
  type KerasLayersView,
  type Method,
  type Request,
  type Response,
  type Responses,
  type WeightOverview,
} from '../../shared/api.js';
import { KerasConversionError, PortafilterError } from '../../shared/errors.js';
import { readMean } from '../caffe/mean.js';
import { exportModel } from '../export/index.js';
import { loadCaffeNet, type CaffeNet } from '../net/model.js';
import { appRoot, resourcePath } from '../paths.js';
import type { Weight } from '../net/weights.js';
import { layerParamFields } from './layer-params.js';
import { summarize } from './summary.js';
import type { Service } from './types.js';
import { activation, demoSamples, diffModel, photoSamples, runModel, RUNS_KEPT, verificationInput, type StoredRun } from './runs.js';
import { reportModel } from './report.js';
import { blobDistribution, blobStats, filterTiles } from './weight-views.js';

export type { Service } from './types.js';

type Handlers = { [M in Method]: (request: never, options: CallOptions) => Promise<Responses[M]> };

/** An open model and what was worked out from it, freed together by closeModel. */
interface Session {
  model: CaffeNet;
  /** The Keras side by `${ordering}/${flipKernels}`, frozen: every caller shares one. */
  kerasViews: Map<string, KerasLayersView>;
  /** Every learnable blob's distribution, once asked for (a pass over all the weights). */
  overview?: WeightOverview;
  /** The latest runs (RUNS_KEPT), oldest first, with every layer's output. */
  runs: StoredRun[];
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The layer of an open model by name, or an error naming the file and the layer. */
function layerOf(model: CaffeNet, name: string): CaffeNet['graph']['layers'][number] {
  const layer = model.graph.layers.find((l) => l.name === name);
  if (!layer) throw new PortafilterError(`the model has no layer '${name}'`, { file: model.prototxt, layer: name });
  return layer;
}

/** Learnable blob `index` of layer `name`, or an error saying why there is none. */
function blobOf(model: CaffeNet, name: string, index: number): Weight {
  const layer = layerOf(model, name);
  const where = { file: model.caffemodel ?? model.prototxt, layer: name };
  if (!model.caffemodel) throw new PortafilterError('the model was opened without weights (no caffemodel): there are no values to show', where);
  const blobs = model.weights.get(name) ?? [];
  if (blobs.length === 0) throw new PortafilterError(`the layer (${layer.type}) has no learnable blobs`, where);
  const blob = blobs[index];
  if (!blob) throw new PortafilterError(`the layer has ${plural(blobs.length, 'learnable blob')} (0..${blobs.length - 1}); blob ${index} does not exist`, where);
  return blob;
}

/** Freezes `value` and everything it holds, so a view cached for every caller cannot be changed by one. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Keeps `runs` with the session: the latest RUNS_KEPT, so a diff's two runs stay together; older ones (every layer's output) are freed. */
function keep(s: Session, runs: StoredRun[]): void {
  s.runs.push(...runs);
  while (s.runs.length > Math.max(RUNS_KEPT, runs.length)) s.runs.shift();
}

export function createService(): Service {
  const sessions = new Map<string, Session>();

  const session = (id: string): Session => {
    const s = sessions.get(id);
    if (!s) throw new PortafilterError(`no open model with id '${id}' (open it first)`);
    return s;
  };

  const handlers: Handlers = {
    version: async () => ({
      version: (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version,
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
    }),
    demoModel: async () => {
      const dir = resourcePath('demo', 'lenet_mnist');
      return {
        title: 'LeNet (MNIST), BVLC',
        prototxt: join(dir, 'deploy.prototxt'),
        caffemodel: join(dir, 'weights.caffemodel'),
        inputShapes: { data: [1, 1, 28, 28] },
        samples: demoSamples(),
        photos: photoSamples(),
        // The deploy prototxt has no input scaling; Caffe's lenet_train_test.prototxt fed pixel / 256.
        preprocess: { scale: 0.00390625 },
      };
    },
    openModel: async (req: Request<'openModel'>, options) => {
      const { phase, stages, level, ...files } = req;
      const model = await loadCaffeNet({
        ...files,
        state: { phase: phase ?? 'TEST', level: level ?? 0, stages: stages ?? [] },
        // Opened to be looked at: a layer whose shape the file does not give shows as unknown; runs and exports ask for it.
        tolerant: true,
        onProgress: (stage, fraction) => options.onProgress?.({ stage, fraction }),
        signal: options.signal,
      });
      const id = randomUUID();
      sessions.set(id, { model, kerasViews: new Map(), runs: [] });
      return summarize(id, model);
    },
    closeModel: async (req: { id: string }) => ({ closed: sessions.delete(req.id) }),
    convertModel: async (req: ConvertRequest, options) => {
      const { model } = session(req.id);
      const { verify, ...fields } = req;
      return exportModel(model, {
        ...fields,
        verify: verify === undefined ? undefined : verify.input === undefined ? true : await verificationInput(model, { input: verify.input, preprocess: verify.preprocess }, options),
        onProgress: (stage, fraction) => options.onProgress?.({ stage, fraction }),
        signal: options.signal,
      });
    },
    readMean: async (req: { file: string }) => {
      const mean = await readMean(req.file);
      return { file: mean.file, shape: mean.shape, channelMean: mean.channelMean };
    },
    kerasLayers: async (req: Request<'kerasLayers'>) => {
      const s = session(req.id);
      // Refused here as the exports refuse it: a flip in channels_last would silently do nothing.
      if (req.flipKernels && req.ordering !== 'channels_first')
        throw new KerasConversionError('flipKernels (the Theano kernel flip) only goes with the channels_first ordering', { file: s.model.prototxt });
      const key = `${req.ordering}/${req.flipKernels}`;
      let view = s.kerasViews.get(key);
      if (!view) {
        // TF.js (for its layers' own output shapes) loads on first use: a worker that never shows the Keras side never pays for it.
        const { kerasLayersView } = await import('./keras-view.js');
        s.kerasViews.set(key, (view = deepFreeze(kerasLayersView(s.model, req.ordering, req.flipKernels))));
      }
      return view;
    },
    layerParams: async (req: Request<'layerParams'>) => {
      const layer = layerOf(session(req.id).model, req.layer);
      return { layer: layer.name, fields: layerParamFields(layer.param) };
    },
    weightStats: async (req: Request<'weightStats'>) => {
      const blob = blobOf(session(req.id).model, req.layer, req.blob);
      const { stats, histogram } = blobStats(blob.data, req.bins);
      const { count, min, max, mean, std, zeroFraction, nanCount, infCount } = stats;
      return { layer: req.layer, blob: req.blob, shape: [...blob.shape], count, min, max, mean, std, zeroFraction, nanCount, infCount, ...histogram };
    },
    filterTiles: async (req: Request<'filterTiles'>) => {
      const { model } = session(req.id);
      const blob = blobOf(model, req.layer, req.blob);
      const where = { file: model.caffemodel, layer: req.layer };
      if (blob.shape.length !== 4)
        throw new PortafilterError(`filter tiles need a 4-D kernel (Caffe's O, I/g, kh, kw); blob ${req.blob} is [${blob.shape.join(', ')}]`, where);
      const [filters, inputs] = blob.shape;
      if (req.mode === 'rgb' && inputs !== 3) throw new PortafilterError(`rgb tiles need 3 input channels; the kernel has ${inputs} (use 'channel' or 'mean')`, where);
      if (req.mode === 'channel' && req.channel >= inputs)
        throw new PortafilterError(`the kernel has ${plural(inputs, 'input channel')} (0..${inputs - 1}); channel ${req.channel} does not exist`, where);
      if (req.offset > 0 && req.offset >= filters) throw new PortafilterError(`offset ${req.offset} is past the kernel's ${plural(filters, 'filter')}`, where);
      return filterTiles(req.layer, blob.shape, blob.data, req);
    },
    weightOverview: async (req: Request<'weightOverview'>) => {
      const s = session(req.id);
      if (!s.overview) {
        const { model } = s;
        if (!model.caffemodel)
          throw new PortafilterError('the model was opened without weights (no caffemodel): there are no values to show', { file: model.prototxt });
        const blobs = model.graph.layers.flatMap((l) => (model.weights.get(l.name) ?? []).map((w, i) => blobDistribution(l.name, i, w.shape, w.data)));
        s.overview = deepFreeze({ blobs });
      }
      return s.overview;
    },
    runModel: async (req: Request<'runModel'>, options) => {
      const s = session(req.id);
      const { info, run } = await runModel(s.model, req, options);
      keep(s, [run]);
      return info;
    },
    diffModel: async (req: Request<'diffModel'>, options) => {
      const s = session(req.id);
      const { info, runs } = await diffModel(s.model, req, options);
      keep(s, runs);
      return info;
    },
    reportModel: async (req: Request<'reportModel'>, options) => reportModel(session(req.id).model, req, options),
    activation: async (req: Request<'activation'>) => {
      const s = session(req.id);
      const find = (id: string): StoredRun => {
        const run = s.runs.find((r) => r.id === id);
        if (!run) throw new PortafilterError(`no run '${id}' of this model: the model keeps its latest ${RUNS_KEPT} runs; run it again`, { file: s.model.prototxt });
        return run;
      };
      return activation(find(req.runId), req, { file: s.model.prototxt }, req.minus !== undefined ? find(req.minus) : undefined);
    },
    // The host-side file browser is the web host's (server/index.ts answers it against the folders its
    // page opened); the Electron window browses with the native dialogs, and the CLI takes paths.
    listFolder: async () => {
      throw new PortafilterError('listFolder is the web host\'s file browser: this transport opens files by their paths (the window by its open dialogs)');
    },
  };

  return {
    async call<M extends Method>(method: M, request: unknown, options: CallOptions = {}): Promise<Response<M>> {
      if (!Object.hasOwn(methods, method)) throw new PortafilterError(`unknown method '${String(method)}'`);
      const parsed = methods[method].safeParse(request ?? {});
      if (!parsed.success) {
        throw new PortafilterError(`invalid request for ${method}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ')}`);
      }
      const handler = handlers[method] as (r: unknown, o: CallOptions) => Promise<Response<M>>;
      return handler(parsed.data, options);
    },
    dispose() {
      sessions.clear();
    },
  };
}
