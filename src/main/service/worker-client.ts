/**
 * The service as the window's process (Electron's main, the web host) sees it: the same API, computed
 * in worker threads (worker.ts), so no call ever blocks the process that owns the window or the
 * sockets, and no client's work stalls another's.
 *
 * - Every opened model lives in a worker of its own, made by its openModel call. Calls on the model
 *   (its id) go to that worker; closing the model ends the worker, which frees all its memory at once.
 *   Cancelling an openModel ends its worker on the spot: parsing and reading stop mid-way, however
 *   long the file.
 * - Calls on no model (version, demoModel, readMean) share one utility worker.
 * - One spare worker, its modules loaded, waits for the next openModel: spawning a worker and loading
 *   the service into it takes ~150 ms, which the user would otherwise wait for at every open.
 * - At most `maxModels` models stay open; opening one more closes the one used least recently.
 * - A worker that dies (out of memory, a crash) fails the calls it had with an error that says so;
 *   its model is gone and says why when next asked for; the utility worker is made anew.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { CallOptions, Method, ModelSummary, Response } from '../../shared/api.js';
import { PortafilterError } from '../../shared/errors.js';
import type { Service } from './types.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

/** Models open at once, by default: each holds its weights and a worker. */
export const MAX_OPEN_MODELS = 8;
/** How long a new spare worker waits before loading TF.js (see prepareSpare). */
const SPARE_WARM_DELAY_MS = 1500;
/** How many closed models' ids are remembered, to say why a later call finds them gone. */
const REMEMBERED_CLOSED = 1000;

/**
 * The worker's entry: the bundled `service-worker.js` next to this module (out/main, out/cli), or
 * the TypeScript source through tsx when running from src/ (tests).
 */
function spawn(resourceLimits?: ResourceLimits): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./service-worker.js', here), { resourceLimits });
  // Loader flags do not reach workers: the worker imports its TypeScript entry through tsx's tsImport.
  const manifest = createRequire(here).resolve('tsx/package.json');
  const exported = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'];
  const api = pathToFileURL(join(dirname(manifest), exported.import.default)).href;
  const entry = new URL('./worker.ts', here).href;
  return new Worker(`import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}));`, { eval: true, resourceLimits });
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  onProgress?: CallOptions['onProgress'];
}

/** One worker thread and the calls it has running. */
class Lane {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  /** Set once the worker is gone: why, in words. */
  ended: string | undefined;
  /** What the lane holds, for messages ("model 'LeNet'"). */
  label = 'the service worker';
  lastUsed = Date.now();

  constructor(
    private readonly onEnd: (lane: Lane, why: string) => void,
    resourceLimits?: ResourceLimits,
  ) {
    this.worker = spawn(resourceLimits);
    this.worker.on('message', (reply: WorkerReply) => {
      const call = this.pending.get(reply.id);
      if (!call) return;
      if (reply.type === 'progress') call.onProgress?.(reply.progress);
      else {
        this.pending.delete(reply.id);
        if (reply.type === 'result') call.resolve(reply.result);
        // A plain Error carrying the serialised code and location: transports serialise it back by shape.
        else call.reject(Object.assign(new Error(reply.error.message), reply.error));
      }
    });
    this.worker.on('error', (e) => this.end(describeDeath(e)));
    this.worker.on('exit', (code) => this.end(code === 0 ? 'it exited' : `it exited with code ${code}`));
  }

  private end(why: string): void {
    if (this.ended !== undefined) return;
    this.ended = why;
    const error = new PortafilterError(`${this.label} stopped (${why}); the call was dropped`);
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
    this.onEnd(this, why);
  }

  call(method: Method, request: unknown, options: CallOptions, onAbort: (id: number) => void): Promise<unknown> {
    if (this.ended !== undefined) return Promise.reject(new PortafilterError(`${this.label} stopped (${this.ended})`));
    this.lastUsed = Date.now();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress: options.onProgress });
      if (options.signal) {
        if (options.signal.aborted) onAbort(id);
        else options.signal.addEventListener('abort', () => onAbort(id), { once: true });
      }
      this.post({ type: 'call', id, method, request });
    });
  }

  /** Asks the worker to stop call `id` where it next checks (between stages, between layers). */
  cancel(id: number): void {
    this.post({ type: 'cancel', id });
  }

  post(message: WorkerRequest): void {
    if (this.ended === undefined) this.worker.postMessage(message);
  }

  /** Ends the worker now, whatever it is doing; its calls fail with `why`. */
  stop(why: string): void {
    if (this.ended !== undefined) return;
    const error = new PortafilterError(why);
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
    this.ended = why;
    void this.worker.terminate();
  }
}

function describeDeath(e: Error): string {
  const code = (e as { code?: string }).code;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') return 'it ran out of memory';
  return e.message.split('\n')[0];
}

export interface WorkerServiceOptions {
  /** Models open at once (default MAX_OPEN_MODELS). */
  maxModels?: number;
  /** Limits of each worker's JavaScript heap (weights live outside it); Node's defaults when absent. */
  resourceLimits?: ResourceLimits;
  /** Keep a spare worker ready for the next openModel (default true; started with the first call). */
  spareWorker?: boolean;
  /** Told of each worker spawned and what for (a spare becomes a model's worker when taken). */
  onSpawn?: (role: 'utility' | 'spare' | 'model') => void;
}

const requestId = (request: unknown): string | undefined => {
  const id = typeof request === 'object' && request !== null ? (request as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
};

const modelLabel = (summary: ModelSummary): string => `the worker holding model '${summary.name || basename(summary.prototxt)}'`;

export function createWorkerService(serviceOptions: WorkerServiceOptions = {}): Service {
  const maxModels = Math.max(1, serviceOptions.maxModels ?? MAX_OPEN_MODELS);
  const models = new Map<string, Lane>();
  /** Why a model id that was open is not any more (closed, evicted, its worker died). */
  const gone = new Map<string, string>();
  let utility: Lane | undefined;
  let spare: Lane | undefined;
  let disposed = false;
  const keepSpare = serviceOptions.spareWorker ?? true;

  const remember = (id: string, why: string): void => {
    gone.set(id, why);
    if (gone.size > REMEMBERED_CLOSED) gone.delete(gone.keys().next().value!);
  };
  const onEnd = (lane: Lane, why: string): void => {
    if (lane === utility) utility = undefined;
    // A spare that died is not replaced until the next openModel: a worker that cannot start is not retried in a loop.
    if (lane === spare) spare = undefined;
    for (const [id, l] of models)
      if (l === lane) {
        models.delete(id);
        remember(id, `its worker stopped (${why}); open it again`);
      }
  };
  const closeModel = (id: string, why: string): boolean => {
    const lane = models.get(id);
    if (!lane) return false;
    models.delete(id);
    remember(id, why);
    lane.stop(`the model was closed (${why})`);
    return true;
  };
  const laneOf = (id: string): Lane => {
    const lane = models.get(id);
    if (lane) return lane;
    throw new PortafilterError(`no open model with id '${id}': ${gone.get(id) ?? 'open it first'}`);
  };

  const newLane = (role: 'utility' | 'spare' | 'model'): Lane => {
    const lane = new Lane(onEnd, serviceOptions.resourceLimits);
    serviceOptions.onSpawn?.(role);
    return lane;
  };
  const prepareSpare = (): void => {
    if (keepSpare && !disposed && spare === undefined) {
      const lane = newLane('spare');
      lane.label = 'the spare service worker';
      spare = lane;
      // TF.js loads in the spare once the process has been quiet a moment: loaded at once, it would
      // take a core from the model the user just opened (its layout, its first Keras view).
      setTimeout(() => spare === lane && lane.post({ type: 'warm' }), SPARE_WARM_DELAY_MS).unref();
    }
  };
  /** The spare (spawned earlier, its modules loaded or loading) or a new worker; a new spare starts behind it. */
  const laneForModel = (): Lane => {
    const lane = spare ?? newLane('model');
    spare = undefined;
    prepareSpare();
    return lane;
  };

  async function openModel(request: unknown, options: CallOptions): Promise<ModelSummary> {
    const lane = laneForModel();
    lane.label = 'the worker opening the model';
    let summary: ModelSummary;
    try {
      // Cancelling ends the worker: a parse or a read stops at once, not at its next check.
      summary = (await lane.call('openModel', request, options, () => lane.stop('cancelled'))) as ModelSummary;
    } catch (e) {
      lane.stop('the model did not open');
      throw e;
    }
    if (disposed) {
      lane.stop('the service was closed');
      throw new PortafilterError('the service was closed');
    }
    lane.label = modelLabel(summary);
    models.set(summary.id, lane);
    while (models.size > maxModels) {
      const [oldest] = [...models].filter(([id]) => id !== summary.id).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
      closeModel(oldest[0], `at most ${maxModels} models stay open, and this one was used least recently`);
    }
    return summary;
  }

  return {
    async call<M extends Method>(method: M, request: unknown, options: CallOptions = {}): Promise<Response<M>> {
      if (disposed) throw new PortafilterError('the service was closed');
      // A client's first call (the window asks for the version at connect) starts the spare before any model is opened.
      prepareSpare();
      if (method === 'openModel') return (await openModel(request, options)) as Response<M>;
      const id = requestId(request);
      if (method === 'closeModel' && id !== undefined) return { closed: closeModel(id, 'closed by its client') } as Response<M>;
      const lane = id !== undefined && method !== 'closeModel' ? laneOf(id) : (utility ??= newLane('utility'));
      return (await lane.call(method, request, options, (callId) => lane.cancel(callId))) as Response<M>;
    },
    dispose() {
      disposed = true;
      for (const lane of models.values()) lane.stop('the service was closed');
      models.clear();
      utility?.stop('the service was closed');
      utility = undefined;
      spare?.stop('the service was closed');
      spare = undefined;
    },
  };
}
