/**
 * The local web host: the built renderer and the whole API (one WebSocket) on 127.0.0.1, for
 * headless use, the browser workbench (`portafilter serve`) and the end-to-end tests.
 *
 * Anything on this machine can connect to a loopback port, and any web page can try, so:
 *  - a per-run random token is required on the page and on the API socket;
 *  - Host and Origin must be loopback on our own port (DNS-rebinding and cross-site guard);
 *  - every message is validated before it reaches the service.
 *
 * Two things only the host can do for a page in a browser: take files dropped on it (POST
 * /api/upload, streamed to a per-run temporary folder, see uploads.ts), and list folders on the host
 * (listFolder, answered here because only the host knows which folders this run opened).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { CallOptions, Method, Progress, Request } from '../../shared/api.js';
import { CALL_ID_PATTERN } from '../../shared/bridge.js';
import { API_PATH, ClientMessage, TOKEN_PARAM, decodeWire, encodeWire, type ServerMessage } from '../../shared/transport.js';
import { CallRegistry, checkCall, failure, serializeError } from '../service/dispatch.js';
import { listFolder } from '../service/folders.js';
import { mapPaths } from '../service/path-fields.js';
import type { Service } from '../service/types.js';
import { isInside } from '../paths.js';
import { SECURITY_HEADERS, isAllowedOrigin, isLoopbackHost, newToken, tokenMatches } from './security.js';
import { contentType, isDocumentPath, resolveStaticFile } from './static.js';
import { UPLOAD_NAME_PARAM, UPLOAD_PATH, UploadAborted, Uploads, checkUploadName } from './uploads.js';

export interface ServerOptions {
  /** 0 or absent: a free port chosen by the OS. */
  port?: number;
  service: Service;
  /** The built renderer (out/renderer). */
  staticDir: string;
  /** Given for tests; otherwise a fresh random token per run. */
  token?: string;
  /** Folders the file browser may list besides the home folder, the opened models' folders and the uploads. */
  folderRoots?: string[];
}

export interface RunningServer {
  /** The page URL, token included: what a user opens. */
  url: string;
  /** http://127.0.0.1:port */
  origin: string;
  port: number;
  token: string;
  /** Where uploads land this run (removed by close). */
  uploadDir: string;
  /** Stops listening, aborts running calls and uploads, drops every connection and removes the upload folder. The service stays open. */
  close(): Promise<void>;
}

/** Requests are small (paths, shapes); 1 MiB bounds what one message can make us parse. */
const MAX_MESSAGE_BYTES = 1 << 20;
/** The file browser keeps the folders of this many recently opened models as roots. */
const MAX_OPENED_FOLDERS = 32;
/** Close codes (RFC 6455): 1003 unsupported data, 1008 policy violation. */
const CLOSE_UNSUPPORTED = 1003;
const CLOSE_POLICY = 1008;

/**
 * A path typed in the page means what it would in the user's shell at home: relative to the home
 * folder (`~/x` too), never to wherever the server happened to be started.
 */
export function fromHome(path: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(homedir(), path);
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? newToken();
  const { service, staticDir } = options;
  let port = 0;
  const uploads = await Uploads.create();
  /** Folders of models opened in this run (any page), most recent last: the file browser's extra roots. */
  const openedFolders = new Set<string>();
  const folderRoots = (): string[] => [homedir(), ...(options.folderRoots ?? []), ...openedFolders, uploads.root];

  const rememberOpened = async (request: Request<'openModel'>): Promise<void> => {
    // A caffemodel may be a folder of .npy weights: then that folder is the one to come back to.
    const folders = [dirname(request.prototxt)];
    if (request.caffemodel) folders.push((await stat(request.caffemodel).catch(() => null))?.isDirectory() ? request.caffemodel : dirname(request.caffemodel));
    for (const folder of folders) {
      // Uploads are reachable through their own root; their one-file folders would only clutter the list.
      if (isInside(folder, uploads.root)) continue;
      openedFolders.delete(folder);
      openedFolders.add(folder);
    }
    for (const old of [...openedFolders].slice(0, Math.max(0, openedFolders.size - MAX_OPENED_FOLDERS))) openedFolders.delete(old);
  };

  /** The service as a socket sees it: listFolder is answered here, against this run's roots. */
  const hosted: Service = {
    call: (async (method: Method, request: unknown, callOptions?: CallOptions) => {
      if (method === 'listFolder') return listFolder(request as Request<'listFolder'>, folderRoots());
      const result = await service.call(method, request, callOptions);
      if (method === 'openModel') await rememberOpened(request as Request<'openModel'>);
      return result;
    }) as Service['call'],
    dispose: () => service.dispose(),
  };

  const http = createServer((req, res) => {
    handleHttp(req, res).catch((e: unknown) => {
      if (!res.headersSent) plain(res, 500, `internal error: ${serializeError(e).message}`);
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isLoopbackHost(req.headers.host, port)) return plain(res, 403, 'forbidden host');
    if (!isAllowedOrigin(req.headers.origin, port)) return plain(res, 403, 'forbidden origin');
    if (new URL(req.url ?? '/', `http://127.0.0.1:${port}`).pathname === UPLOAD_PATH) return handleUpload(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'method not allowed');
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const authorised = tokenMatches(token, url.searchParams.get(TOKEN_PARAM));

    if (url.pathname === `${API_PATH}/ping`) {
      if (!authorised) return plain(res, 401, 'missing or wrong token');
      return send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ ok: true }));
    }
    if (url.pathname === API_PATH || url.pathname.startsWith(`${API_PATH}/`)) {
      if (!authorised) return plain(res, 401, 'missing or wrong token');
      return plain(res, 426, 'the API is a WebSocket at /api');
    }
    const file = await resolveStaticFile(staticDir, url.pathname);
    // Pages are gated (judged by the file served, so /index.html/ or //index.html cannot slip
    // past): a page is what carries the token into the renderer. Assets are not, as a module
    // script cannot carry a query token, and they hold nothing secret.
    const isPage = isDocumentPath(url.pathname) || (file !== null && extname(file) === '.html');
    if (isPage && !authorised) {
      return plain(res, 401, 'Open the URL that `portafilter serve` printed: it carries this run\'s token.');
    }
    if (file === null) return plain(res, 404, 'not found');
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': contentType(file),
      // The page names hashed assets; re-fetch it every time so a rebuild is picked up.
      'Cache-Control': isPage ? 'no-store' : 'no-cache',
    });
    if (req.method === 'HEAD') return void res.end();
    await new Promise<void>((resolveDone, reject) => {
      createReadStream(file).on('error', reject).pipe(res).on('finish', resolveDone).on('error', reject);
    });
  }

  async function handleUpload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A refused upload's body is not read: the connection closes after the answer instead.
    const refuse = (status: number, body: string): void => {
      res.setHeader('Connection', 'close');
      plain(res, status, body);
    };
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return refuse(405, 'method not allowed: uploads are POSTed');
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!tokenMatches(token, url.searchParams.get(TOKEN_PARAM))) return refuse(401, 'missing or wrong token');
    const checked = checkUploadName(url.searchParams.get(UPLOAD_NAME_PARAM));
    if ('problem' in checked) return refuse(400, checked.problem);
    let path: string;
    try {
      path = await uploads.receive(req, checked.name);
    } catch (e) {
      // The client that cut the upload off is gone; there is nobody to answer.
      if (e instanceof UploadAborted || req.destroyed || !req.complete) return void res.destroy();
      return refuse(500, `the upload of ${checked.name} failed: ${serializeError(e).message}`);
    }
    send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ path }));
  }

  function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!isLoopbackHost(req.headers.host, port)) return refuseUpgrade(socket, 403, 'Forbidden');
    if (!isAllowedOrigin(req.headers.origin, port)) return refuseUpgrade(socket, 403, 'Forbidden');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname !== API_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    if (!tokenMatches(token, url.searchParams.get(TOKEN_PARAM))) return refuseUpgrade(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  function serveSocket(ws: WebSocket): void {
    const calls = new CallRegistry(hosted);
    const reply = (message: ServerMessage): void => {
      if (ws.readyState !== ws.OPEN) return;
      let text: string;
      try {
        text = encodeWire(message);
      } catch (e) {
        // A result JSON cannot carry (a BigInt, a cycle) still ends the call, as an error.
        text = encodeWire({ id: message.id, error: serializeError(e) });
      }
      ws.send(text);
    };

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return ws.close(CLOSE_UNSUPPORTED, 'text messages only');
      let raw: unknown;
      try {
        raw = decodeWire(rawText(data));
      } catch {
        return ws.close(CLOSE_POLICY, 'invalid JSON');
      }
      const parsed = ClientMessage.safeParse(raw);
      if (!parsed.success) {
        // With a usable id the client learns which call was refused; without one it is not our client.
        const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
        if (typeof id === 'string' && CALL_ID_PATTERN.test(id)) {
          return reply({ id, ...failure(`invalid message: ${parsed.error.issues.map((i) => i.message).join('; ')}`) });
        }
        return ws.close(CLOSE_POLICY, 'invalid message');
      }
      const message = parsed.data;
      if ('cancel' in message) {
        calls.cancel(message.id);
        return;
      }
      const checked = checkCall(message.method, message.request);
      if ('error' in checked) return reply({ id: message.id, error: checked.error });
      const onProgress = (progress: Progress): void => reply({ id: message.id, progress });
      const call = { ...checked, request: mapPaths(checked.method, checked.request, fromHome) };
      void calls.run(message.id, call, onProgress).then((outcome) => reply({ id: message.id, ...outcome }));
    });
    // A closed socket (the page closed or reloaded) takes its calls and its models with it.
    ws.on('close', () => calls.release());
    ws.on('error', () => ws.terminate());
  }

  await new Promise<void>((resolveListen, reject) => {
    // A host that never listened leaves no upload folder behind.
    const failed = (e: Error): void => void uploads.close().finally(() => reject(e));
    http.once('error', failed);
    // Loopback only: the host is for this machine's user, never for the network.
    http.listen(options.port ?? 0, '127.0.0.1', () => {
      http.off('error', failed);
      // Set before any request is handled: the Host and Origin checks compare against it.
      port = (http.address() as AddressInfo).port;
      resolveListen();
    });
  });
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/?${TOKEN_PARAM}=${token}`,
    origin,
    port,
    token,
    uploadDir: uploads.root,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
      await uploads.close();
      http.closeAllConnections();
      await new Promise<void>((done) => http.close(() => done()));
    },
  };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('utf8');
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

function plain(res: ServerResponse, status: number, body: string): void {
  send(res, status, 'text/plain; charset=utf-8', body + '\n');
}
