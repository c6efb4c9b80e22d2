import type { CallOptions, Method, Response } from '../../shared/api.js';

/**
 * The API implementation every transport (Electron IPC, the local web host, the CLI) calls.
 * `request` is untrusted: the service validates it against the schema in src/shared/api.ts.
 */
export interface Service {
  call<M extends Method>(method: M, request: unknown, options?: CallOptions): Promise<Response<M>>;
  /** Releases every open model. */
  dispose(): void;
}
