/** The API over the Electron preload bridge (`window.portafilter`). */
import type { CallOptions, Method, Request, Response } from '../../../shared/api.js';
import type { DroppedPath, FileKind, PortafilterBridge, SaveKind } from '../../../shared/bridge.js';
import { ApiError, abortError, type ApiClient, type ConnectionState } from './types.js';

export class IpcClient implements ApiClient {
  readonly transport = 'electron';
  readonly endpoint = 'Electron';
  readonly pickFile: (kind: FileKind) => Promise<string | null>;
  readonly pickSavePath: (kind: SaveKind, suggested: string) => Promise<string | null>;
  readonly chooseDropped: (file: File) => Promise<DroppedPath | null>;
  private nextId = 1;

  constructor(private readonly bridge: PortafilterBridge) {
    this.pickFile = (kind) => bridge.pickFile(kind);
    this.pickSavePath = (kind, suggested) => bridge.pickSavePath(kind, suggested);
    this.chooseDropped = (file) => bridge.chooseDropped(file);
  }

  async call<M extends Method>(method: M, request: Request<M>, options: CallOptions = {}): Promise<Response<M>> {
    const { signal, onProgress } = options;
    if (signal?.aborted) throw abortError();
    const id = `c${this.nextId++}`;
    let onAbort: (() => void) | undefined;
    // Cancel rejects at once; the main process stops the work and its late answer is dropped.
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        this.bridge.cancel(id);
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const outcome = await Promise.race([this.bridge.call(id, method, request, onProgress && ((p) => onProgress(p))), aborted]);
      if ('error' in outcome) throw new ApiError(outcome.error);
      // The trust boundary: main produced this value for `method`, whose type the contract fixes.
      return outcome.result as Response<M>;
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  onConnectionChange(listener: (state: ConnectionState) => void): () => void {
    listener('open');
    return () => undefined;
  }
}
