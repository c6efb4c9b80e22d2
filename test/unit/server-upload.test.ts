/**
 * Uploads to the web host (files dropped on the page) and its file browser, over real HTTP and a real
 * WebSocket, with the real service behind: bytes arrive as sent, an uploaded model opens, refused
 * uploads leave nothing, and the upload folder goes with the server.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { startServer, type RunningServer } from '../../src/main/server/index.js';
import { createWorkerService } from '../../src/main/service/worker-client.js';
import type { Service } from '../../src/main/service/types.js';
import { fixture } from '../helpers/fixtures.js';
import { openSocket, socketCall } from '../helpers/web-socket.js';

const MiB = 1 << 20;
/** LeNet's layers as its deploy.prototxt names them, and its parameter count (20·1·5·5+20, 50·20·5·5+50, 500·800+500, 10·500+10). */
const LENET_LAYERS = ['data', 'conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'prob'];
const LENET_PARAMS = 520 + 25050 + 400500 + 5010;

let service: Service;
let server: RunningServer;
const staticDir = mkdtempSync(join(tmpdir(), 'portafilter-upload-static-'));

beforeAll(async () => {
  service = createWorkerService();
  server = await startServer({ port: 0, service, staticDir });
});
afterAll(async () => {
  await server.close();
  service.dispose();
  rmSync(staticDir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface UploadOptions {
  token?: string | null;
  method?: string;
  headers?: Record<string, string>;
  /** Called with the request once its headers are out, for a test that cuts it off. */
  started?: (req: ClientRequest) => void;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function fileSha256(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash('sha256');
    createReadStream(path).on('data', (chunk) => hash.update(chunk)).on('end', () => done(hash.digest('hex'))).on('error', fail);
  });
}

/** POSTs `body` (bytes, or chunks written with backpressure) as /api/upload?name=…, the way the page does. */
function upload(name: string | null, body: Buffer | AsyncIterable<Buffer>, options: UploadOptions = {}): Promise<Reply> {
  const query = new URLSearchParams();
  const token = options.token === undefined ? server.token : options.token;
  if (token !== null) query.set('token', token);
  if (name !== null) query.set('name', name);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', ...options.headers };
    if (Buffer.isBuffer(body)) headers['Content-Length'] = String(body.length);
    const req = httpRequest({ host: '127.0.0.1', port: server.port, method: options.method ?? 'POST', path: `/api/upload?${query}`, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    options.started?.(req);
    if (Buffer.isBuffer(body)) return void req.end(body);
    void (async () => {
      for await (const chunk of body) {
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(reject);
  });
}

const socket = (): Promise<WebSocket> => openSocket(server);
const call = socketCall;

/** What the upload folder holds, every level down. */
const uploadedFiles = (): string[] => (existsSync(server.uploadDir) ? readdirSync(server.uploadDir, { recursive: true, encoding: 'utf8' }).sort() : []);

async function waitFor(what: string, test: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('an upload to the web host', () => {
  it('lands in a per-run folder under the temporary folder', () => {
    expect(dirname(server.uploadDir)).toBe(tmpdir());
    expect(basename(server.uploadDir)).toMatch(/^portafilter-uploads-/);
    expect(statSync(server.uploadDir).isDirectory()).toBe(true);
  });

  it('arrives byte for byte (12 MiB, compared by sha256) under the name it was sent with, and answers its path', async () => {
    const bytes = randomBytes(12 * MiB);
    const reply = await upload('weights.caffemodel', bytes);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    const { path } = JSON.parse(reply.body) as { path: string };
    expect(basename(path)).toBe('weights.caffemodel');
    expect(dirname(dirname(path))).toBe(server.uploadDir);
    expect(statSync(path).size).toBe(bytes.length);
    expect(await fileSha256(path)).toBe(sha256(bytes));
  });

  it('keeps two uploads of the same name apart', async () => {
    const first = JSON.parse((await upload('deploy.prototxt', Buffer.from('name: "one"'))).body) as { path: string };
    const second = JSON.parse((await upload('deploy.prototxt', Buffer.from('name: "two"'))).body) as { path: string };
    expect(first.path).not.toBe(second.path);
    expect(readFileSync(first.path, 'utf8')).toBe('name: "one"');
    expect(readFileSync(second.path, 'utf8')).toBe('name: "two"');
  });

  it('streams a chunked body too (no Content-Length), as a browser may send one', async () => {
    const chunks = [randomBytes(MiB), randomBytes(3 * MiB), randomBytes(17)];
    async function* body(): AsyncGenerator<Buffer> {
      yield* chunks;
    }
    const reply = await upload('chunked.npy', body());
    expect(reply.status).toBe(200);
    const { path } = JSON.parse(reply.body) as { path: string };
    expect(await fileSha256(path)).toBe(sha256(Buffer.concat(chunks)));
  });

  it('can be opened: an uploaded LeNet prototxt and caffemodel open through openModel as LeNet', async () => {
    const prototxt = JSON.parse((await upload('deploy.prototxt', readFileSync(fixture('models/lenet_mnist/deploy.prototxt')))).body) as { path: string };
    const caffemodel = JSON.parse((await upload('weights.caffemodel', readFileSync(fixture('models/lenet_mnist/weights.caffemodel')))).body) as { path: string };
    const ws = await socket();
    try {
      const opened = await call(ws, 'open', 'openModel', { prototxt: prototxt.path, caffemodel: caffemodel.path });
      expect(opened.error).toBeUndefined();
      expect(opened.result?.name).toBe('LeNet');
      expect(opened.result?.prototxt).toBe(prototxt.path);
      expect((opened.result?.layers as { name: string }[]).map((l) => l.name)).toEqual(LENET_LAYERS);
      expect(opened.result?.totalParams).toBe(LENET_PARAMS);
    } finally {
      ws.close();
    }
  });

  it('is refused without the token, or with a wrong one (401), and leaves nothing', async () => {
    const before = uploadedFiles();
    for (const token of [null, 'wrong', `${server.token}x`]) {
      const reply = await upload('deploy.prototxt', Buffer.from('name: "x"'), { token });
      expect(reply.status).toBe(401);
    }
    expect(uploadedFiles()).toEqual(before);
  });

  it('is refused from a foreign page or a rebound host name (403)', async () => {
    expect((await upload('deploy.prototxt', Buffer.from('x'), { headers: { Origin: 'http://evil.example' } })).status).toBe(403);
    expect((await upload('deploy.prototxt', Buffer.from('x'), { headers: { Host: `evil.example:${server.port}` } })).status).toBe(403);
  });

  it('is refused for any method but POST (405, Allow: POST)', async () => {
    for (const method of ['GET', 'PUT']) {
      const reply = await upload('deploy.prototxt', Buffer.alloc(0), { method });
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe('POST');
    }
  });

  it.each([
    ['no name', null, 'the upload needs a file name'],
    ['an empty name', '', 'the upload needs a file name'],
    ['a path', 'models/deploy.prototxt', 'holds a path separator'],
    ['an absolute path', '/etc/passwd', 'holds a path separator'],
    ['a Windows path', '..\\deploy.prototxt', 'holds a path separator'],
    ['..', '..', "holds '..'"],
    ['a name with ..', 'x..prototxt', "holds '..'"],
    ['a hidden name', '.bashrc', "starts with '.'"],
    ['a control character', 'deploy\n.prototxt', 'holds a control character'],
    ['a name of 256 bytes', `${'a'.repeat(247)}.prototxt`, 'is longer than 255 bytes'],
    ['a name of 256 bytes in 132 characters', `${'é'.repeat(123)}x.prototxt`, 'is longer than 255 bytes'],
  ])('refuses %s (400) and leaves nothing', async (_what, name, problem) => {
    const before = uploadedFiles();
    const reply = await upload(name, Buffer.from('name: "x"'));
    expect(reply.status).toBe(400);
    expect(reply.body).toContain(problem);
    expect(uploadedFiles()).toEqual(before);
  });

  it('takes a name of exactly 255 bytes, counted in UTF-8', async () => {
    // 246 + 9 bytes, and 123·2 + 9 bytes (é is two bytes in UTF-8).
    for (const name of [`${'a'.repeat(246)}.prototxt`, `${'é'.repeat(123)}.prototxt`]) {
      const reply = await upload(name, Buffer.from('x'));
      expect(reply.status).toBe(200);
      expect(basename((JSON.parse(reply.body) as { path: string }).path)).toBe(name);
    }
  });

  it('that is cut off leaves no file behind', async () => {
    const before = uploadedFiles();
    let cut: ClientRequest | undefined;
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 4; i++) yield randomBytes(MiB);
      // Stream no further: the test cuts the request off from here.
      await new Promise(() => undefined);
    }
    const replied = upload('cut.caffemodel', body(), { headers: { 'Content-Length': String(64 * MiB) }, started: (req) => (cut = req) });
    // Proof the upload was under way: its part file is on disk and growing.
    await waitFor('the part file holds the first MiB', () => uploadedFiles().some((f) => f.endsWith('.upload.part') && statSync(join(server.uploadDir, f)).size >= MiB));
    cut!.destroy();
    await expect(replied).rejects.toThrow();
    await waitFor('the cut upload is gone', () => JSON.stringify(uploadedFiles()) === JSON.stringify(before));
  });

  it('of 200 MiB does not grow the server process by the upload size (streamed, not buffered)', async () => {
    const size = 200 * MiB;
    const block = randomBytes(MiB);
    const sent = createHash('sha256');
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < size / MiB; i++) {
        // Each MiB differs (its index in the first bytes), so a dropped or repeated chunk changes the hash.
        const chunk = Buffer.from(block);
        chunk.writeUInt32LE(i, 0);
        sent.update(chunk);
        yield chunk;
      }
    }
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    let reply: Reply;
    try {
      reply = await upload('big.caffemodel', body(), { headers: { 'Content-Length': String(size) } });
    } finally {
      clearInterval(sampler);
    }
    expect(reply.status).toBe(200);
    const { path } = JSON.parse(reply.body) as { path: string };
    expect(statSync(path).size).toBe(size);
    expect(await fileSha256(path)).toBe(sent.digest('hex'));
    const grown = peak - before;
    console.log(`200 MiB upload: peak RSS grew by ${(grown / MiB).toFixed(1)} MiB`);
    // Buffered whole, the body alone would add 200 MiB; streamed, a few socket and file buffers.
    expect(grown).toBeLessThan(80 * MiB);
    rmSync(dirname(path), { recursive: true });
  }, 60_000);
});

describe('the file browser of the web host', () => {
  it('offers the home folder, the upload folder and the folders of models opened in this run as roots', async () => {
    const ws = await socket();
    try {
      await call(ws, 'open', 'openModel', { prototxt: fixture('models/cifar10_quick/deploy.prototxt') });
      const listing = await call(ws, 'roots', 'listFolder', {});
      expect(listing.error).toBeUndefined();
      const roots = listing.result?.roots as string[];
      expect(roots[0]).toBe(homedir());
      expect(roots).toContain(server.uploadDir);
      expect(roots).toContain(dirname(fixture('models/cifar10_quick/deploy.prototxt')));
      // The uploaded LeNet opened above is reached through the upload root, not one root per upload.
      expect(roots.filter((r) => r.startsWith(server.uploadDir))).toEqual([server.uploadDir]);
    } finally {
      ws.close();
    }
  });

  it("lists an opened model's folder with its files and sizes", async () => {
    const ws = await socket();
    try {
      const folder = dirname(fixture('models/lenet_mnist/deploy.prototxt'));
      await call(ws, 'open', 'openModel', { prototxt: fixture('models/lenet_mnist/deploy.prototxt') });
      const listing = await call(ws, 'list', 'listFolder', { path: folder });
      expect(listing.error).toBeUndefined();
      const entries = listing.result?.entries as { name: string; kind: string; size?: number }[];
      expect(entries[0]).toEqual({ name: 'expected', kind: 'folder' });
      expect(entries).toContainEqual({ name: 'deploy.prototxt', kind: 'file', size: statSync(join(folder, 'deploy.prototxt')).size });
      expect(entries).toContainEqual({ name: 'weights.caffemodel', kind: 'file', size: 1725006 });
      expect(entries.map((e) => e.name)).not.toContain('model.json');
    } finally {
      ws.close();
    }
  });

  it('refuses a folder outside its roots, naming it', async () => {
    const ws = await socket();
    try {
      const listing = await call(ws, 'etc', 'listFolder', { path: '/etc' });
      expect(listing.error?.message).toMatch(/^\/etc: refused: outside the folders the file browser may list/);
    } finally {
      ws.close();
    }
  });
});

describe('closing the web host', () => {
  it('removes the upload folder with what was uploaded, and nothing else', async () => {
    const other = await startServer({ port: 0, service, staticDir });
    const beside = mkdtempSync(join(tmpdir(), 'portafilter-uploads-'));
    try {
      const reply = await new Promise<Reply>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: other.port, method: 'POST', path: `/api/upload?token=${other.token}&name=deploy.prototxt` }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }));
        });
        req.on('error', reject);
        req.end('name: "x"');
      });
      expect(reply.status).toBe(200);
      expect(readdirSync(other.uploadDir)).toHaveLength(1);
      await other.close();
      expect(existsSync(other.uploadDir)).toBe(false);
      expect(existsSync(beside)).toBe(true);
      expect(existsSync(staticDir)).toBe(true);
    } finally {
      rmSync(beside, { recursive: true, force: true });
    }
  });
});
