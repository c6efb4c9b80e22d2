/**
 * The new methods through the real transports: the service in its worker threads (postMessage, the
 * same structured clone Electron's IPC uses) and the web host's WebSocket (transport.ts's typed-array
 * tags), against the same service called in-process. Large payloads must arrive as typed arrays.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { startServer, type RunningServer } from '../../../src/main/server/index.js';
import { createService } from '../../../src/main/service/index.js';
import type { Service } from '../../../src/main/service/types.js';
import { createWorkerService } from '../../../src/main/service/worker-client.js';
import { fixture } from '../../helpers/fixtures.js';
import { openSocket, socketCall } from '../../helpers/web-socket.js';

const lenet = { prototxt: fixture('models/lenet_mnist/deploy.prototxt'), caffemodel: fixture('models/lenet_mnist/weights.caffemodel') };
const inProcess = createService();
let workers: Service;
let server: RunningServer;
let staticDir: string;
let ws: WebSocket;

beforeAll(async () => {
  workers = createWorkerService();
  staticDir = mkdtempSync(join(tmpdir(), 'portafilter-transports-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>page</title>');
  server = await startServer({ port: 0, service: workers, staticDir });
  ws = await openSocket(server);
});
afterAll(async () => {
  ws.close();
  await server.close();
  workers.dispose();
  inProcess.dispose();
  rmSync(staticDir, { recursive: true, force: true });
});

let next = 0;
/** One call over the socket, decoded as the page decodes it. */
async function overSocket(method: string, request: unknown): Promise<Record<string, unknown>> {
  const message = await socketCall(ws, `c${next++}`, method, request);
  if (message.error) throw new Error(message.error.message);
  return message.result!;
}

describe('over the web host', () => {
  it("brings weightStats' counts and edges as Float64Arrays and filterTiles' pixels as a Uint8ClampedArray, equal to the in-process values", async () => {
    const id = (await overSocket('openModel', lenet)).id as string;
    const local = (await inProcess.call('openModel', lenet)).id;
    const stats = await overSocket('weightStats', { id, layer: 'conv1', bins: 32 });
    expect(stats.counts).toBeInstanceOf(Float64Array);
    expect(stats.edges).toBeInstanceOf(Float64Array);
    expect(stats).toEqual(await inProcess.call('weightStats', { id: local, layer: 'conv1', bins: 32 }));
    const tiles = await overSocket('filterTiles', { id, layer: 'conv2' });
    expect(tiles.pixels).toBeInstanceOf(Uint8ClampedArray);
    expect(tiles.scales).toBeInstanceOf(Float32Array);
    expect(tiles).toEqual(await inProcess.call('filterTiles', { id: local, layer: 'conv2' }));
  });

  it('serves kerasLayers, layerParams and weightOverview as the in-process service does', async () => {
    const id = (await overSocket('openModel', lenet)).id as string;
    const local = (await inProcess.call('openModel', lenet)).id;
    for (const [method, request] of [
      ['kerasLayers', { ordering: 'channels_first' }],
      ['layerParams', { layer: 'ip1' }],
      ['weightOverview', {}],
    ] as const)
      expect(await overSocket(method, { id, ...request }), method).toEqual(await inProcess.call(method, { id: local, ...request } as never));
  });
});

describe('through the worker threads', () => {
  it('keeps the typed arrays typed (postMessage, as Electron IPC, clones them as they are)', async () => {
    const id = (await workers.call('openModel', lenet)).id;
    const stats = await workers.call('weightStats', { id, layer: 'ip2', blob: 1 });
    expect(stats.counts).toBeInstanceOf(Float64Array);
    expect(stats.counts.reduce((a, c) => a + c, 0)).toBe(10);
    expect((await workers.call('filterTiles', { id, layer: 'conv1', limit: 4 })).pixels).toBeInstanceOf(Uint8ClampedArray);
    await workers.call('closeModel', { id });
  });
});
