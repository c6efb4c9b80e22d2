/**
 * The local web host on its own: token, loopback guards, static serving and the WebSocket protocol,
 * against a small scripted service (the real one is exercised by test/e2e).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { CallOptions, Method } from '../../src/shared/api.js';
import { CaffeParseError } from '../../src/shared/errors.js';
import { decodeWire, encodeWire } from '../../src/shared/transport.js';
import { startServer, type RunningServer } from '../../src/main/server/index.js';
import { CONTENT_SECURITY_POLICY } from '../../src/main/server/security.js';
import type { Service } from '../../src/main/service/types.js';

/** What the scripted service saw, for the tests to inspect. */
const seen = { aborted: [] as string[] };

/** Answers by method; `openModel` plays a slow load that reports progress and honours its signal. */
const service: Service = {
  call: (async (method: Method, request: unknown, options: CallOptions = {}) => {
    switch (method) {
      case 'version':
        return { version: '0.0.0-test', node: process.versions.node, platform: 'test' };
      case 'openModel': {
        const { prototxt } = request as { prototxt: string };
        if (prototxt.endsWith('bad.prototxt')) {
          throw new CaffeParseError("expected '}'", { file: prototxt, line: 3, column: 7 });
        }
        if (prototxt.endsWith('tensor.prototxt')) return { weights: new Float32Array([1.5, -2, 3.25]) };
        for (let i = 1; i <= 4; i++) {
          await new Promise((r) => setTimeout(r, prototxt.endsWith('slow.prototxt') ? 200 : 5));
          if (options.signal?.aborted) {
            seen.aborted.push(prototxt);
            throw new Error('aborted');
          }
          options.onProgress?.({ stage: `step ${i}`, fraction: i / 4 });
        }
        return { id: 'model-1', name: 'Fake' };
      }
      default:
        throw new Error(`not scripted: ${method}`);
    }
  }) as Service['call'],
  dispose: () => undefined,
};

let server: RunningServer;
let staticDir: string;

beforeAll(async () => {
  staticDir = mkdtempSync(join(tmpdir(), 'portafilter-static-'));
  mkdirSync(join(staticDir, 'assets'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>page</title>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(staticDir, '.secret'), 'hidden');
  server = await startServer({ port: 0, service, staticDir });
});

afterAll(async () => {
  await server.close();
  rmSync(staticDir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so Host and Origin can be forged the way a rebinding page would send them. */
function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const withToken = (path: string, token = server.token): string => `${path}${path.includes('?') ? '&' : '?'}token=${token}`;

/** Opens a socket; resolves with it when open, or with the HTTP status that refused the handshake. */
function connect(query: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api${query}`, { headers });
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(0));
  });
}

async function openSocket(): Promise<WebSocket> {
  const ws = await connect(`?token=${server.token}`);
  if (typeof ws === 'number') throw new Error(`socket refused with ${ws}`);
  return ws;
}

/** Collects the messages of the call `id` until its result or error arrives. */
function exchange(ws: WebSocket, message: unknown, id: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve) => {
    const got: Record<string, unknown>[] = [];
    const onMessage = (data: WebSocket.RawData): void => {
      const m = decodeWire(String(data)) as Record<string, unknown>;
      if (m.id !== id) return;
      got.push(m);
      if ('result' in m || 'error' in m) {
        ws.off('message', onMessage);
        resolve(got);
      }
    };
    ws.on('message', onMessage);
    ws.send(typeof message === 'string' ? message : encodeWire(message));
  });
}

const closeCode = (ws: WebSocket): Promise<number> => new Promise((resolve) => ws.on('close', (code) => resolve(code)));

describe('the web host', () => {
  it('listens on 127.0.0.1 with a fresh 256-bit token in its URL', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    const other = await startServer({ port: 0, service, staticDir });
    expect(other.token).not.toBe(server.token);
    await other.close();
  });

  it('serves the page only with the token, with the CSP and no-referrer headers', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=wrong')).status).toBe(401);
    expect((await get(withToken('/index.html', 'x'.repeat(server.token.length)))).status).toBe(401);
    for (const path of ['/index.html/', '//index.html', '/%69ndex.html', '/assets/../index.html']) {
      expect((await get(path)).status, path).toBe(401);
    }
    const page = await get(withToken('/'));
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>page</title>');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves assets without the token, and nothing outside the built renderer', async () => {
    const asset = await get('/assets/app.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get('/../package.json')).status).toBe(404);
    expect((await get('/assets/%2e%2e/%2e%2e/package.json')).status).toBe(404);
    expect((await get('/.secret')).status).toBe(404);
    expect((await get('/assets')).status).toBe(404);
    expect((await get('/%E0%A4%A')).status).toBe(404);
  });

  it('refuses requests whose Host is not loopback on its port (DNS rebinding)', async () => {
    expect((await get(withToken('/'), { Host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await get(withToken('/'), { Host: '127.0.0.1:1' })).status).toBe(403);
    expect((await get(withToken('/'), { Host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('refuses requests from another origin', async () => {
    expect((await get(withToken('/'), { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(withToken('/'), { Origin: 'http://127.0.0.1:1' })).status).toBe(403);
    expect((await get(withToken('/'), { Origin: `http://127.0.0.1:${server.port}` })).status).toBe(200);
  });

  it('answers the ping only with the token', async () => {
    expect((await get('/api/ping')).status).toBe(401);
    expect((await get(withToken('/api/ping'))).body).toBe('{"ok":true}');
  });
});

describe('the API socket', () => {
  it('refuses a handshake without the token, with a wrong one, or from a foreign origin or host', async () => {
    expect(await connect('')).toBe(401);
    expect(await connect('?token=wrong')).toBe(401);
    expect(await connect(`?token=${server.token}`, { Origin: 'http://evil.example' })).toBe(403);
    expect(await connect(`?token=${server.token}`, { Host: `evil.example:${server.port}` })).toBe(403);
    const ok = await connect(`?token=${server.token}`, { Origin: `http://localhost:${server.port}` });
    expect(ok).toBeInstanceOf(WebSocket);
    (ok as WebSocket).close();
  });

  it('runs a call and answers with its result', async () => {
    const ws = await openSocket();
    const replies = await exchange(ws, { id: 'a1', method: 'version', request: {} }, 'a1');
    expect(replies).toEqual([{ id: 'a1', result: { version: '0.0.0-test', node: process.versions.node, platform: 'test' } }]);
    ws.close();
  });

  it('streams progress before the result', async () => {
    const ws = await openSocket();
    const replies = await exchange(ws, { id: 'p1', method: 'openModel', request: { prototxt: '/m/net.prototxt' } }, 'p1');
    const progress = replies.filter((r) => 'progress' in r).map((r) => r.progress);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ stage: 'step 4', fraction: 1 });
    expect(replies.at(-1)).toEqual({ id: 'p1', result: { id: 'model-1', name: 'Fake' } });
    ws.close();
  });

  it("carries a typed error's code and file:line:column unchanged", async () => {
    const ws = await openSocket();
    const [reply] = await exchange(ws, { id: 'e1', method: 'openModel', request: { prototxt: '/m/bad.prototxt' } }, 'e1');
    expect(reply).toEqual({
      id: 'e1',
      error: { code: 'CaffeParseError', message: "/m/bad.prototxt:3:7: expected '}'", location: { file: '/m/bad.prototxt', line: 3, column: 7 } },
    });
    ws.close();
  });

  it('carries typed arrays in results intact', async () => {
    const ws = await openSocket();
    const [reply] = await exchange(ws, { id: 't1', method: 'openModel', request: { prototxt: '/m/tensor.prototxt' } }, 't1');
    const weights = (reply.result as { weights: unknown }).weights;
    expect(weights).toBeInstanceOf(Float32Array);
    expect(Array.from(weights as Float32Array)).toEqual([1.5, -2, 3.25]);
    ws.close();
  });

  it('refuses unknown methods, prototype names and invalid requests before the service sees them', async () => {
    const ws = await openSocket();
    const [unknown] = await exchange(ws, { id: 'u1', method: 'deleteEverything', request: {} }, 'u1');
    expect(unknown.error).toMatchObject({ code: 'PortafilterError', message: "unknown method 'deleteEverything'" });
    const [proto] = await exchange(ws, { id: 'u2', method: 'toString', request: {} }, 'u2');
    expect(proto.error).toMatchObject({ message: "unknown method 'toString'" });
    const [invalid] = await exchange(ws, { id: 'u3', method: 'openModel', request: { prototxt: 42 } }, 'u3');
    expect((invalid.error as { message: string }).message).toMatch(/^invalid request for openModel: prototxt: /);
    ws.close();
  });

  it('answers a malformed message that still names a call id with an error for that call', async () => {
    const ws = await openSocket();
    const [reply] = await exchange(ws, { id: 'm1', method: 'version', request: {}, extra: true }, 'm1');
    expect((reply.error as { message: string }).message).toMatch(/^invalid message/);
    ws.close();
  });

  it('closes the socket on messages that are not protocol at all', async () => {
    for (const bad of ['not json', '{"method":"version"}', '[]', '{"id":"../../x","method":"version","request":{}}']) {
      const ws = await openSocket();
      const closed = closeCode(ws);
      ws.send(bad);
      expect(await closed).toBe(1008);
    }
    const ws = await openSocket();
    const closed = closeCode(ws);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await closed).toBe(1003);
  });

  it('cancels a call on request and answers it with a cancelled error', async () => {
    const ws = await openSocket();
    const done = exchange(ws, { id: 'c1', method: 'openModel', request: { prototxt: '/m/slow.prototxt' } }, 'c1');
    setTimeout(() => ws.send(encodeWire({ id: 'c1', cancel: true })), 50);
    const replies = await done;
    expect(replies.at(-1)).toEqual({ id: 'c1', error: { code: 'PortafilterError', message: 'cancelled' } });
    expect(seen.aborted).toContain('/m/slow.prototxt');
    ws.close();
  });

  it('aborts the calls of a socket that goes away', async () => {
    const ws = await openSocket();
    ws.send(encodeWire({ id: 'g1', method: 'openModel', request: { prototxt: '/m/gone-slow.prototxt' } }));
    await new Promise((r) => setTimeout(r, 50));
    ws.terminate();
    await new Promise((r) => setTimeout(r, 400));
    expect(seen.aborted).toContain('/m/gone-slow.prototxt');
  });
});

describe('the content security policy', () => {
  it("is the same in the page's meta tag as in the header, but for frame-ancestors (ignored in meta)", () => {
    const html = readFileSync(new URL('../../src/renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    const header = CONTENT_SECURITY_POLICY.split('; ').filter((d) => !d.startsWith('frame-ancestors'));
    expect(meta?.split('; ')).toEqual(header);
  });
});
