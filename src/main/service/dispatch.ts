/**
 * The transport-neutral half of every transport: checks an untrusted call against `methods`, runs it
 * on the service with an AbortController, throttles its progress and turns any failure into a
 * SerializedError. Electron IPC and the WebSocket host differ only in how bytes travel; keeping the
 * rest here means both enforce the same rules and both are testable without Electron or a socket.
 */
import { z } from 'zod';
import { methods, type CallFailure, type Method, type Progress, type Request } from '../../shared/api.js';
import type { CallOutcome } from '../../shared/bridge.js';
import type { ErrorLocation, SerializedError } from '../../shared/errors.js';
import { CallId, isErrorCode, isMethod } from '../../shared/transport.js';
import type { Service } from './types.js';

export interface CheckedCall<M extends Method = Method> {
  method: M;
  request: Request<M>;
}

export const failure = (message: string, location?: ErrorLocation): CallFailure => ({
  error: location ? { code: 'PortafilterError', message, location } : { code: 'PortafilterError', message },
});

/**
 * Validates a call before it reaches the service. The service validates again; this copy exists so a
 * hostile renderer or socket client is turned away at the border, with a message naming the field.
 */
export function checkCall(method: unknown, request: unknown): CheckedCall | CallFailure {
  if (!isMethod(method)) {
    const shown = typeof method === 'string' ? `'${method.slice(0, 64)}'` : typeof method;
    return failure(`unknown method ${shown}`);
  }
  const schema: z.ZodType = methods[method];
  const parsed = schema.safeParse(request);
  if (!parsed.success) return failure(`invalid request for ${method}: ${describeIssues(parsed.error)}`);
  return { method, request: parsed.data as Request<typeof method> };
}

const describeIssues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.map(String).join('.') || 'request'}: ${i.message}`).join('; ');

/** The IPC payload of `portafilter:call`, before its method and request are checked. */
export const IpcCallPayload = z.strictObject({ id: CallId, method: z.string().max(64), request: z.unknown() });

export function parseIpcCall(payload: unknown): { id: string; call: CheckedCall } | CallFailure {
  const parsed = IpcCallPayload.safeParse(payload);
  if (!parsed.success) return failure(`malformed call: ${describeIssues(parsed.error)}`);
  const call = checkCall(parsed.data.method, parsed.data.request);
  return 'error' in call ? call : { id: parsed.data.id, call };
}

/**
 * Any thrown value as the typed error the user sees. Typed errors keep their code and location
 * (checked by shape, not by class: an error rebuilt after crossing a worker thread is a plain
 * object). Node's own errors (ENOENT …) keep their message and gain the file they name.
 */
export function serializeError(thrown: unknown, cancelled = false): SerializedError {
  if (cancelled) return { code: 'PortafilterError', message: 'cancelled' };
  if (typeof thrown === 'object' && thrown !== null) {
    const e = thrown as Record<string, unknown>;
    const message = typeof e.message === 'string' ? e.message : String(thrown);
    if (isErrorCode(e.code)) {
      const out: SerializedError = { code: e.code, message };
      if (typeof e.location === 'object' && e.location !== null) out.location = cloneable(e.location) as ErrorLocation;
      if (e.details !== undefined) out.details = cloneable(e.details);
      return out;
    }
    if (typeof e.path === 'string') return { code: 'PortafilterError', message, location: { file: e.path } };
    return { code: 'PortafilterError', message };
  }
  return { code: 'PortafilterError', message: String(thrown) };
}

/** Details may hold anything; what crosses IPC or JSON must be plain data. */
function cloneable(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return undefined;
  }
}

export interface CallRegistryLimits {
  /** Calls one peer may have running at once: a bound on work a single client can queue. */
  maxInFlight: number;
  /** Minimum gap between progress messages of one call; the UI cannot show more anyway. */
  progressIntervalMs: number;
}

const DEFAULT_LIMITS: CallRegistryLimits = { maxInFlight: 32, progressIntervalMs: 50 };

/**
 * The calls one peer (a webContents, a WebSocket) has running, by the peer's own call ids, and the
 * models it opened: when the peer goes (its socket closes, its page reloads) `release` closes them.
 */
export class CallRegistry {
  private readonly running = new Map<string, AbortController>();
  private readonly opened = new Set<string>();
  private readonly limits: CallRegistryLimits;

  constructor(
    private readonly service: Service,
    limits: Partial<CallRegistryLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get size(): number {
    return this.running.size;
  }

  /** Runs one call to completion; never throws, every failure is returned as an outcome. */
  async run(id: string, call: CheckedCall, onProgress: (progress: Progress) => void): Promise<CallOutcome> {
    if (this.running.has(id)) return failure(`a call with id ${id} is already running`);
    if (this.running.size >= this.limits.maxInFlight) return failure(`too many calls running (limit ${this.limits.maxInFlight})`);
    const controller = new AbortController();
    this.running.set(id, controller);
    try {
      const result: unknown = await this.service.call(call.method, call.request, {
        signal: controller.signal,
        onProgress: throttle(onProgress, this.limits.progressIntervalMs, controller.signal),
      });
      if (call.method === 'openModel' && typeof (result as { id?: unknown })?.id === 'string') this.opened.add((result as { id: string }).id);
      if (call.method === 'closeModel') this.opened.delete((call.request as { id: string }).id);
      // A service that finishes despite the abort still reports a cancel: the caller asked for one.
      if (controller.signal.aborted && call.method === 'openModel' && this.opened.has((result as { id: string }).id)) this.closeQuietly((result as { id: string }).id);
      return controller.signal.aborted ? { error: serializeError(undefined, true) } : { result };
    } catch (e) {
      return { error: serializeError(e, controller.signal.aborted) };
    } finally {
      this.running.delete(id);
    }
  }

  cancel(id: string): boolean {
    const controller = this.running.get(id);
    controller?.abort();
    return controller !== undefined;
  }

  cancelAll(): void {
    for (const controller of this.running.values()) controller.abort();
  }

  /** The peer is gone: its calls are cancelled and the models it opened are closed. */
  release(): void {
    this.cancelAll();
    for (const id of [...this.opened]) this.closeQuietly(id);
  }

  private closeQuietly(id: string): void {
    this.opened.delete(id);
    this.service.call('closeModel', { id }).catch(() => undefined);
  }
}

/** Drops progress that follows too closely on the last one sent, except stage changes and completion. */
function throttle(send: (p: Progress) => void, intervalMs: number, signal: AbortSignal): (p: Progress) => void {
  let last = -Infinity;
  let lastStage: string | undefined;
  return (p) => {
    if (signal.aborted) return;
    const now = Date.now();
    if (p.stage === lastStage && p.fraction !== 1 && now - last < intervalMs) return;
    last = now;
    lastStage = p.stage;
    try {
      // Clamped here so a sloppy estimate from a stage never fails the client's message validation.
      const fraction = typeof p.fraction === 'number' && Number.isFinite(p.fraction) ? Math.min(1, Math.max(0, p.fraction)) : undefined;
      send(fraction === undefined ? { stage: String(p.stage) } : { stage: String(p.stage), fraction });
    } catch {
      // The peer went away mid-call; the call itself is aborted by the peer's close handler.
    }
  };
}
