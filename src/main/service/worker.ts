/**
 * The service in a worker thread: parsing, converting, running and exporting never block the
 * thread that owns the window (Electron's main process) or the web host's sockets.
 * Messages: {type:'call', id, method, request} -> {type:'progress', id, progress}* then
 * {type:'result', id, result} | {type:'error', id, error}; {type:'cancel', id}; {type:'dispose'}; {type:'warm'}.
 */
import { parentPort } from 'node:worker_threads';
import type { Method } from '../../shared/api.js';
import { serializeError } from './dispatch.js';
import { createService } from './index.js';

export type WorkerRequest =
  | { type: 'call'; id: number; method: Method; request: unknown }
  | { type: 'cancel'; id: number }
  | { type: 'dispose' }
  /** A spare worker, idle until its model comes: load what the first views will ask for. */
  | { type: 'warm' };

export type WorkerReply =
  | { type: 'progress'; id: number; progress: { stage: string; fraction?: number } }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: ReturnType<typeof serializeError> };

if (parentPort) {
  const port = parentPort;
  const service = createService();
  const running = new Map<number, AbortController>();
  const post = (reply: WorkerReply): void => port.postMessage(reply);
  port.on('message', (message: WorkerRequest) => {
    if (message.type === 'cancel') running.get(message.id)?.abort();
    else if (message.type === 'dispose') service.dispose();
    // TF.js (the Keras side every opened graph asks for next) takes ~0.5 s to load: loaded here, it
    // neither delays the model's first Keras view nor competes with the window's graph layout for a core.
    else if (message.type === 'warm') void import('./keras-view.js').catch(() => undefined);
    else if (message.type === 'call') {
      const { id } = message;
      const abort = new AbortController();
      running.set(id, abort);
      service
        .call(message.method, message.request, { signal: abort.signal, onProgress: (progress) => post({ type: 'progress', id, progress }) })
        .then(
          (result) => post({ type: 'result', id, result }),
          (e: unknown) => post({ type: 'error', id, error: serializeError(e, abort.signal.aborted) }),
        )
        .finally(() => running.delete(id));
    }
  });
}
