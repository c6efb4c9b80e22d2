/** What every renderer-side transport provides, and the errors its calls end with. */
import type { PortafilterApi } from '../../../shared/api.js';
import type { DroppedPath, FileKind, SaveKind } from '../../../shared/bridge.js';
import type { SerializedError } from '../../../shared/errors.js';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface ApiClient extends PortafilterApi {
  /** Which transport carries the calls, for the status bar. */
  readonly transport: 'electron' | 'web';
  /** Where calls go, in words ("Electron", "127.0.0.1:5173"). */
  readonly endpoint: string;
  /** The native open-file dialog; absent on the web host, where paths are typed. */
  readonly pickFile?: (kind: FileKind) => Promise<string | null>;
  /** The native save dialog for an export, starting at a suggested path; absent on the web host. */
  readonly pickSavePath?: (kind: SaveKind, suggested: string) => Promise<string | null>;
  /** A file or folder dropped on the window, made usable by the calls; absent on the web host, where a drop carries no path. */
  readonly chooseDropped?: (file: File) => Promise<DroppedPath | null>;
  /**
   * The web host's way in for a file a browser holds only as bytes (a drop, an <input type=file>):
   * streams it to the host's upload folder and answers the path there, which calls then take like
   * any other. `onProgress` gets the fraction sent; `signal` aborts the upload. Absent in the app,
   * where a dropped file already has a path.
   */
  readonly uploadFile?: (file: File, onProgress?: (fraction: number) => void, signal?: AbortSignal) => Promise<string>;
  /** Connection changes (Electron's bridge is always open). Returns the unsubscribe function. */
  onConnectionChange(listener: (state: ConnectionState) => void): () => void;
}

/** A call that failed on the other side, carrying the typed error unchanged. */
export class ApiError extends Error {
  constructor(readonly error: SerializedError) {
    super(error.message);
    this.name = error.code;
  }
}

export const abortError = (): DOMException => new DOMException('The call was cancelled', 'AbortError');
export const isAbortError = (e: unknown): boolean => e instanceof DOMException && e.name === 'AbortError';

/** Whatever was thrown, as the typed error shape the UI shows. */
export function toSerializedError(e: unknown): SerializedError {
  if (e instanceof ApiError) return e.error;
  if (e instanceof Error) return { code: 'PortafilterError', message: e.message };
  return { code: 'PortafilterError', message: String(e) };
}
