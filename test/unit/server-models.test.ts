/**
 * The web host with the real service (a pool of workers) behind it: a page's models live as long as
 * its socket, and the paths a page types mean what they would at home, not in the server's folder.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { fromHome, startServer, type RunningServer } from '../../src/main/server/index.js';
import { createWorkerService } from '../../src/main/service/worker-client.js';
import type { Service } from '../../src/main/service/types.js';
import { fixture } from '../helpers/fixtures.js';
import { openSocket, socketCall } from '../helpers/web-socket.js';

let service: Service;
let server: RunningServer;
const staticDir = mkdtempSync(join(homedir(), '.portafilter-test-static-'));
const atHome = mkdtempSync(join(homedir(), '.portafilter-test-'));

beforeAll(async () => {
  service = createWorkerService();
  server = await startServer({ port: 0, service, staticDir });
});
afterAll(async () => {
  await server.close();
  service.dispose();
  rmSync(staticDir, { recursive: true, force: true });
  rmSync(atHome, { recursive: true, force: true });
});

const socket = (): Promise<WebSocket> => openSocket(server);
const call = socketCall;

describe('the models of a page', () => {
  it('are closed when its socket closes, as a reload closes it', async () => {
    const ws = await socket();
    const opened = await call(ws, 'a', 'openModel', { prototxt: fixture('models/lenet_mnist/deploy.prototxt'), caffemodel: fixture('models/lenet_mnist/weights.caffemodel') });
    const id = opened.result!.id as string;
    ws.close();
    await new Promise((r) => setTimeout(r, 300));
    await expect(service.call('convertModel', { id, format: 'onnx', out: join(atHome, 'x.onnx') })).rejects.toThrow(`no open model with id '${id}': closed by its client`);
  });

  it("stay open while the socket does, and another page's closing does not touch them", async () => {
    const mine = await socket();
    const other = await socket();
    const opened = await call(mine, 'a', 'openModel', { prototxt: fixture('models/lenet_mnist/deploy.prototxt'), caffemodel: fixture('models/lenet_mnist/weights.caffemodel') });
    other.close();
    await new Promise((r) => setTimeout(r, 300));
    const converted = await call(mine, 'b', 'convertModel', { id: opened.result!.id, format: 'onnx', out: join(atHome, 'kept.onnx') });
    expect(converted.result?.files).toEqual([join(atHome, 'kept.onnx')]);
    mine.close();
  });
});

describe('paths typed in the page', () => {
  it('resolve against the home folder, ~ included, never the server process folder', async () => {
    copyFileSync(fixture('models/lenet_mnist/deploy.prototxt'), join(atHome, 'deploy.prototxt'));
    const ws = await socket();
    for (const typed of [join(basename(atHome), 'deploy.prototxt'), `~/${basename(atHome)}/deploy.prototxt`]) {
      const opened = await call(ws, typed.startsWith('~') ? 'tilde' : 'relative', 'openModel', { prototxt: typed });
      expect(opened.error).toBeUndefined();
      expect(opened.result!.prototxt).toBe(join(atHome, 'deploy.prototxt'));
    }
    ws.close();
    expect(fromHome('/abs/x')).toBe('/abs/x');
    expect(fromHome('~')).toBe(homedir());
  });
});
