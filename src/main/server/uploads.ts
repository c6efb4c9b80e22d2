/**
 * Files dropped on the web host's page. A browser's drop carries bytes, never a path, so the page
 * POSTs each file to /api/upload and the host streams it to its own temporary folder, where the
 * service opens it like any other path. The body goes to disk chunk by chunk under backpressure (a
 * 550 MB caffemodel never sits in memory), under a temporary name renamed once complete, so a
 * cut-off upload leaves nothing that looks like a finished file; its folder is removed at once.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, realpath, rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { API_PATH } from '../../shared/transport.js';

export const UPLOAD_PATH = `${API_PATH}/upload`;
/** The query parameter that names the file. */
export const UPLOAD_NAME_PARAM = 'name';
/** Most file systems cap a name at 255 bytes. */
export const MAX_UPLOAD_NAME_BYTES = 255;
/** What a part-done upload is called in its folder; a name starting with '.' is never an uploaded name. */
const PART_NAME = '.upload.part';

/** The file name as it will be stored, or why it is refused: a name, never a path. */
export function checkUploadName(name: string | null): { name: string } | { problem: string } {
  if (name === null || name === '') return { problem: `the upload needs a file name (?${UPLOAD_NAME_PARAM}=…)` };
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  if (Buffer.byteLength(name, 'utf8') > MAX_UPLOAD_NAME_BYTES) return { problem: `the file name ${shown} is longer than ${MAX_UPLOAD_NAME_BYTES} bytes` };
  if (/[/\\]/.test(name)) return { problem: `the file name ${shown} holds a path separator: send a name, not a path` };
  if (name === '..' || name.includes('..')) return { problem: `the file name ${shown} holds '..'` };
  if (/[\u0000-\u001f\u007f]/.test(name)) return { problem: `the file name ${shown} holds a control character` };
  if (name.startsWith('.')) return { problem: `the file name ${shown} starts with '.', which would make it a hidden file` };
  if (name.trim() !== name) return { problem: `the file name ${shown} starts or ends with white space` };
  return { name };
}

export class UploadAborted extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadAborted';
  }
}

/** The per-run upload folder and the uploads being received into it. */
export class Uploads {
  private readonly active = new Set<IncomingMessage>();
  private closed = false;

  private constructor(
    /** portafilter-uploads-XXXXXX under the OS temporary folder; nothing outside it is ever removed. */
    readonly root: string,
  ) {}

  static async create(): Promise<Uploads> {
    // Canonical (macOS' tmpdir is a symlink): the paths it hands out compare with realpath'd roots as they are.
    return new Uploads(await realpath(await mkdtemp(join(tmpdir(), 'portafilter-uploads-'))));
  }

  /** Streams the request body to `<root>/<unique>/<name>` and answers that path once the last byte is on disk. */
  async receive(req: IncomingMessage, name: string): Promise<string> {
    if (this.closed) throw new UploadAborted('the host is shutting down');
    // A folder per upload: two drops of deploy.prototxt (from different models) never meet.
    const folder = await mkdtemp(join(this.root, 'u-'));
    const part = join(folder, PART_NAME);
    const expected = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        done(null, chunk);
      },
    });
    this.active.add(req);
    try {
      await pipeline(req, counter, createWriteStream(part, { flags: 'wx' }));
      // Node ends a request body early without an error in some abort races; the length is the proof.
      if (expected !== undefined && received !== expected) throw new UploadAborted(`the upload of ${name} ended after ${received} of ${expected} bytes`);
      if (this.closed) throw new UploadAborted('the host is shutting down');
      const done = join(folder, name);
      await rename(part, done);
      return done;
    } catch (e) {
      await rm(folder, { recursive: true, force: true });
      throw e;
    } finally {
      this.active.delete(req);
    }
  }

  /** Aborts uploads in flight and removes the upload folder with everything in it. */
  async close(): Promise<void> {
    this.closed = true;
    for (const req of this.active) req.destroy(new UploadAborted('the host is shutting down'));
    // Each receive removes its own folder as it fails; wait for that before removing the root.
    const deadline = Date.now() + 5000;
    while (this.active.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await rm(this.root, { recursive: true, force: true });
  }
}
