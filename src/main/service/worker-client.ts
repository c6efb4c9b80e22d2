/** The service as the window's process sees it: the same API, computed in a worker thread (see worker.ts). */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CallOptions, Method, Response } from '../../shared/api.js';
import type { Service } from './types.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

/**
 * The worker's entry: the bundled `service-worker.js` next to this module in out/main, or the
 * TypeScript source through tsx when running from src/ (CLI, tests).
 */
function spawn(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./service-worker.js', here));
  // Loader flags do not reach workers: the worker imports its TypeScript entry through tsx's tsImport.
  const manifest = createRequire(here).resolve('tsx/package.json');
  const exported = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'];
  const api = pathToFileURL(join(dirname(manifest), exported.import.default)).href;
  const entry = new URL('./worker.ts', here).href;
  return new Worker(`import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}));`, { eval: true });
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  onProgress?: CallOptions['onProgress'];
}

export function createWorkerService(): Service {
  const worker = spawn();
  const pending = new Map<number, Pending>();
  let next = 1;
  let failed: Error | undefined;
  const send = (message: WorkerRequest): void => worker.postMessage(message);

  worker.on('message', (reply: WorkerReply) => {
    const call = pending.get(reply.id);
    if (!call) return;
    if (reply.type === 'progress') call.onProgress?.(reply.progress);
    else {
      pending.delete(reply.id);
      if (reply.type === 'result') call.resolve(reply.result);
      // A plain Error carrying the serialised code and location: transports serialise it back by shape.
      else call.reject(Object.assign(new Error(reply.error.message), reply.error));
    }
  });
  const fail = (e: Error): void => {
    failed = new Error(`the service worker stopped: ${e.message}`);
    for (const call of pending.values()) call.reject(failed);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (pending.size > 0 || code !== 0) fail(new Error(`exit code ${code}`));
  });

  return {
    call<M extends Method>(method: M, request: unknown, options: CallOptions = {}): Promise<Response<M>> {
      if (failed) return Promise.reject(failed);
      const id = next++;
      return new Promise<Response<M>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (r: unknown) => void, reject, onProgress: options.onProgress });
        if (options.signal) {
          if (options.signal.aborted) send({ type: 'cancel', id });
          else options.signal.addEventListener('abort', () => send({ type: 'cancel', id }), { once: true });
        }
        send({ type: 'call', id, method, request });
      });
    },
    dispose() {
      send({ type: 'dispose' });
      void worker.terminate();
    },
  };
}
