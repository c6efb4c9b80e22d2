/**
 * What every transport checks before a call reaches the service (the Electron IPC handler uses
 * exactly these functions), how calls are tracked and cancelled, and how failures are carried.
 */
import { describe, expect, it } from 'vitest';
import type { CallOptions, Method, Progress } from '../../src/shared/api.js';
import { CaffeParseError, UnsupportedLayerError } from '../../src/shared/errors.js';
import { CallRegistry, checkCall, parseIpcCall, serializeError, type CheckedCall } from '../../src/main/service/dispatch.js';
import type { Service } from '../../src/main/service/types.js';

describe('IPC call payloads', () => {
  it('accepts a well-formed call and returns its parsed request', () => {
    const parsed = parseIpcCall({ id: 'c1', method: 'openModel', request: { prototxt: '/m/deploy.prototxt', inputShapes: { data: [1, 3, 8, 8] } } });
    expect(parsed).toEqual({
      id: 'c1',
      call: { method: 'openModel', request: { prototxt: '/m/deploy.prototxt', inputShapes: { data: [1, 3, 8, 8] } } },
    });
  });

  it('refuses payloads that are not a call object', () => {
    for (const payload of [undefined, null, 'openModel', 42, [], { method: 'version', request: {} }]) {
      expect(parseIpcCall(payload)).toMatchObject({ error: { code: 'PortafilterError', message: expect.stringMatching(/^malformed call/) } });
    }
  });

  it('refuses call ids that could reach into other channel names', () => {
    for (const id of ['', 'a:b', '../x', 'c 1', 'x'.repeat(65), 7]) {
      expect(parseIpcCall({ id, method: 'version', request: {} })).toHaveProperty('error');
    }
  });

  it('refuses extra keys in the payload', () => {
    expect(parseIpcCall({ id: 'c1', method: 'version', request: {}, sender: 'main' })).toHaveProperty('error');
  });

  it("refuses methods the API does not define, including Object.prototype's names", () => {
    for (const method of ['deleteEverything', 'toString', '__proto__', 'constructor', 'hasOwnProperty', '']) {
      const result = parseIpcCall({ id: 'c1', method, request: {} });
      expect(result).toHaveProperty('error');
    }
  });

  it('refuses a request that fails the method schema, naming the field', () => {
    expect(checkCall('openModel', { prototxt: '' })).toMatchObject({ error: { message: expect.stringMatching(/^invalid request for openModel: prototxt: /) } });
    expect(checkCall('openModel', { prototxt: '/m/a.prototxt', inputShapes: { data: [1, -3] } })).toMatchObject({
      error: { message: expect.stringContaining('inputShapes.data.1') },
    });
    expect(checkCall('closeModel', {})).toMatchObject({ error: { message: expect.stringContaining('id') } });
  });
});

describe('failures as they cross a transport', () => {
  it('keeps a typed error with its code and file:line:column', () => {
    const e = new CaffeParseError("expected '}'", { file: '/m/a.prototxt', line: 12, column: 3 });
    expect(serializeError(e)).toEqual({
      code: 'CaffeParseError',
      message: "/m/a.prototxt:12:3: expected '}'",
      location: { file: '/m/a.prototxt', line: 12, column: 3 },
    });
  });

  it('keeps the details of an unsupported-layer error', () => {
    const e = new UnsupportedLayerError([{ name: 'roi', type: 'ROIPooling', location: { line: 40 } }], '/m/a.prototxt');
    expect(serializeError(e)).toMatchObject({ code: 'UnsupportedLayerError', details: [{ name: 'roi', type: 'ROIPooling', location: { line: 40 } }] });
  });

  it('recognises a typed error that arrives as a plain object (from a worker thread)', () => {
    const plain = { code: 'ShapeError', message: 'kernel larger than input', location: { layer: 'conv1' } };
    expect(serializeError(plain)).toEqual(plain);
  });

  it("gives Node's file errors the file they name", () => {
    const e = Object.assign(new Error("ENOENT: no such file or directory, open '/m/x.caffemodel'"), { code: 'ENOENT', path: '/m/x.caffemodel' });
    expect(serializeError(e)).toEqual({ code: 'PortafilterError', message: e.message, location: { file: '/m/x.caffemodel' } });
  });

  it('turns anything else thrown into a message', () => {
    expect(serializeError('boom')).toEqual({ code: 'PortafilterError', message: 'boom' });
    expect(serializeError(new TypeError('x is undefined'))).toEqual({ code: 'PortafilterError', message: 'x is undefined' });
  });
});

/** A service whose `openModel` waits until released or aborted, reporting the progress it is given. */
function scriptedService(progress: Progress[] = []) {
  const releases: (() => void)[] = [];
  const service: Service = {
    call: (async (_method: Method, _request: unknown, options: CallOptions = {}) => {
      for (const p of progress) options.onProgress?.(p);
      await new Promise<void>((resolve, reject) => {
        releases.push(resolve);
        options.signal?.addEventListener('abort', () => reject(new Error('aborted by signal')));
      });
      return { ok: true };
    }) as Service['call'],
    dispose: () => undefined,
  };
  return { service, releaseAll: () => releases.splice(0).forEach((r) => r()) };
}

const openCall: CheckedCall = { method: 'openModel', request: { prototxt: '/m/a.prototxt' } };

describe('the calls of one peer', () => {
  it('returns the result as an outcome', async () => {
    const { service, releaseAll } = scriptedService();
    const calls = new CallRegistry(service);
    const outcome = calls.run('c1', openCall, () => undefined);
    releaseAll();
    expect(await outcome).toEqual({ result: { ok: true } });
    expect(calls.size).toBe(0);
  });

  it('cancels a running call through its AbortSignal and reports it cancelled', async () => {
    const { service } = scriptedService();
    const calls = new CallRegistry(service);
    const outcome = calls.run('c1', openCall, () => undefined);
    expect(calls.cancel('c1')).toBe(true);
    expect(await outcome).toEqual({ error: { code: 'PortafilterError', message: 'cancelled' } });
    expect(calls.cancel('c1')).toBe(false);
  });

  it('refuses a second call under an id that is still running', async () => {
    const { service, releaseAll } = scriptedService();
    const calls = new CallRegistry(service);
    const first = calls.run('c1', openCall, () => undefined);
    expect(await calls.run('c1', openCall, () => undefined)).toMatchObject({ error: { message: 'a call with id c1 is already running' } });
    releaseAll();
    await first;
  });

  it('bounds the calls one peer may have running', async () => {
    const { service, releaseAll } = scriptedService();
    const calls = new CallRegistry(service, { maxInFlight: 2 });
    const running = [calls.run('c1', openCall, () => undefined), calls.run('c2', openCall, () => undefined)];
    expect(await calls.run('c3', openCall, () => undefined)).toMatchObject({ error: { message: 'too many calls running (limit 2)' } });
    releaseAll();
    await Promise.all(running);
  });

  it('aborts every running call when the peer goes away', async () => {
    const { service } = scriptedService();
    const calls = new CallRegistry(service);
    const running = [calls.run('c1', openCall, () => undefined), calls.run('c2', openCall, () => undefined)];
    calls.cancelAll();
    expect(await Promise.all(running)).toEqual([
      { error: { code: 'PortafilterError', message: 'cancelled' } },
      { error: { code: 'PortafilterError', message: 'cancelled' } },
    ]);
  });

  it('thins out rapid progress of one stage but passes stage changes and completion, clamped to 0..1', async () => {
    const burst: Progress[] = [
      { stage: 'reading', fraction: 0 },
      { stage: 'reading', fraction: 0.1 },
      { stage: 'reading', fraction: 0.2 },
      { stage: 'checking', fraction: 1.7 },
      { stage: 'checking', fraction: Number.NaN },
      { stage: 'checking', fraction: 1 },
    ];
    const { service, releaseAll } = scriptedService(burst);
    const calls = new CallRegistry(service, { progressIntervalMs: 10_000 });
    const sent: Progress[] = [];
    const outcome = calls.run('c1', openCall, (p) => sent.push(p));
    releaseAll();
    await outcome;
    expect(sent).toEqual([
      { stage: 'reading', fraction: 0 },
      { stage: 'checking', fraction: 1 },
      { stage: 'checking', fraction: 1 },
    ]);
  });
});
