/**
 * The API over the web host's WebSocket (see src/shared/transport.ts for the protocol). Connects on
 * the first call and again on the next call after a drop; calls running when the socket drops fail
 * at once instead of waiting forever.
 */
import type { CallOptions, Method, Progress, Request, Response } from '../../../shared/api.js';
import type { SerializedError } from '../../../shared/errors.js';
import { ServerMessage, decodeWire, encodeWire } from '../../../shared/transport.js';
import { ApiError, abortError, type ApiClient, type ConnectionState } from './types.js';

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  onProgress?: (progress: Progress) => void;
  cleanup(): void;
}

export interface WebSocketClientOptions {
  /** Shown in the status bar. */
  label: string;
  /** Answers 200 with a right token and 401 with a wrong one: tells a refused socket from a dead host. */
  pingUrl?: string;
  /** POST target of uploads, token included; the file name is added as `name`. Without it the client cannot upload. */
  uploadUrl?: string;
}

const failureOf = (message: string): SerializedError => ({ code: 'PortafilterError', message });

export class WebSocketClient implements ApiClient {
  readonly transport = 'web';
  readonly endpoint: string;
  private socket: WebSocket | undefined;
  private opening: Promise<WebSocket> | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(state: ConnectionState) => void>();
  private state: ConnectionState = 'closed';
  private nextId = 1;
  readonly uploadFile?: (file: File, onProgress?: (fraction: number) => void, signal?: AbortSignal) => Promise<string>;

  constructor(
    private readonly url: string,
    private readonly options: WebSocketClientOptions,
  ) {
    this.endpoint = options.label;
    const uploadUrl = options.uploadUrl;
    if (uploadUrl) this.uploadFile = (file, onProgress, signal) => upload(uploadUrl, file, onProgress, signal);
  }

  call<M extends Method>(method: M, request: Request<M>, options: CallOptions = {}): Promise<Response<M>> {
    const { signal, onProgress } = options;
    return new Promise<Response<M>>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const id = `c${this.nextId++}`;
      const onAbort = (): void => {
        if (!this.pending.delete(id)) return;
        this.socket?.send(encodeWire({ id, cancel: true }));
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        // The trust boundary: the host produced this value for `method`, whose type the contract fixes.
        resolve: (result) => resolve(result as Response<M>),
        reject,
        onProgress,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      this.connect().then(
        (socket) => {
          if (this.pending.has(id)) socket.send(encodeWire({ id, method, request }));
        },
        (e: unknown) => this.settle(id, e instanceof ApiError ? e.error : failureOf(String(e))),
      );
    });
  }

  onConnectionChange(listener: (state: ConnectionState) => void): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }

  private connect(): Promise<WebSocket> {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    if (this.opening) return this.opening;
    this.setState('connecting');
    const opening = new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(this.url);
      let opened = false;
      socket.onopen = () => {
        opened = true;
        this.socket = socket;
        this.opening = undefined;
        this.setState('open');
        resolve(socket);
      };
      socket.onmessage = (event: MessageEvent) => {
        if (typeof event.data === 'string') this.receive(event.data);
      };
      socket.onclose = (event: CloseEvent) => {
        this.socket = undefined;
        this.opening = undefined;
        this.setState('closed');
        if (!opened) {
          void this.explainRefusal().then((error) => reject(new ApiError(error)));
          return;
        }
        const why = event.reason ? ` (${event.reason})` : '';
        this.failAll(failureOf(`the connection to the Portafilter host was lost${why}; calls that were running have stopped`));
      };
    });
    this.opening = opening;
    return opening;
  }

  /** Browsers hide why a WebSocket handshake failed; an HTTP ping tells a wrong token from a stopped host. */
  private async explainRefusal(): Promise<SerializedError> {
    if (this.options.pingUrl) {
      try {
        const res = await fetch(this.options.pingUrl, { cache: 'no-store' });
        if (res.status === 401) {
          return failureOf("the Portafilter host refused this page's token: open the URL that `portafilter serve` printed for this run");
        }
      } catch {
        // Fetch failing as well means the host is gone; said below.
      }
    }
    return failureOf(`cannot reach the Portafilter host at ${this.endpoint}: is \`portafilter serve\` still running?`);
  }

  private receive(text: string): void {
    let parsed: ReturnType<typeof ServerMessage.safeParse>;
    try {
      parsed = ServerMessage.safeParse(decodeWire(text));
    } catch {
      return;
    }
    // A message that fails validation names no call we can trust, so it is dropped.
    if (!parsed.success) return;
    const message = parsed.data;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if ('progress' in message) pending.onProgress?.(message.progress);
    else if ('error' in message) this.settle(message.id, message.error);
    else this.settle(message.id, undefined, message.result);
  }

  private settle(id: string, error: SerializedError | undefined, result?: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.cleanup();
    if (error) pending.reject(new ApiError(error));
    else pending.resolve(result);
  }

  private failAll(error: SerializedError): void {
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }
}

/**
 * One file POSTed as the raw request body. XMLHttpRequest rather than fetch: it streams a File from
 * disk and reports upload progress, which fetch does not (a streamed fetch body needs HTTP/2).
 */
function upload(url: string, file: File, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const xhr = new XMLHttpRequest();
    const target = `${url}${url.includes('?') ? '&' : '?'}${new URLSearchParams({ name: file.name })}`;
    const onAbort = (): void => xhr.abort();
    const done = (): void => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.open('POST', target);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e: ProgressEvent) => {
      if (e.lengthComputable && e.total > 0) onProgress?.(e.loaded / e.total);
    };
    xhr.onload = () => {
      done();
      if (xhr.status === 200) {
        try {
          const { path } = JSON.parse(xhr.responseText) as { path?: unknown };
          if (typeof path === 'string') return resolve(path);
        } catch {
          // Said below: an answer without a path is no upload.
        }
        return reject(new ApiError(failureOf(`the upload of ${file.name} got an answer without a path from the Portafilter host`)));
      }
      const why = xhr.responseText.trim() || `HTTP ${xhr.status}`;
      reject(new ApiError(failureOf(`the upload of ${file.name} was refused by the Portafilter host: ${why}`)));
    };
    xhr.onerror = () => {
      done();
      reject(new ApiError(failureOf(`the upload of ${file.name} failed: the connection to the Portafilter host broke off`)));
    };
    xhr.onabort = () => {
      done();
      reject(abortError());
    };
    xhr.send(file);
  });
}
