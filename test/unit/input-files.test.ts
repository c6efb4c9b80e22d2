/**
 * What the readers accept as a file. A reader of a user-named file opens a regular file only: a named
 * pipe would block it for ever (a plain open waits for a writer; a read of a FIFO, a device or
 * /proc waits or never ends), so each refuses FIFOs, devices, folders and the made-up files of /proc at
 * once, with its own typed error naming the file. And a prototxt must be text and define a net.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBinaryProto } from '../../src/main/caffe/binaryproto.js';
import { readCaffeModel, readCaffeModelSync, type CaffeModelErrorDetails } from '../../src/main/caffe/caffemodel.js';
import { readMean, readMeanSync } from '../../src/main/caffe/mean.js';
import { readNpyWeights } from '../../src/main/caffe/npy-weights.js';
import { readNpy } from '../../src/main/caffe/npy.js';
import { loadCaffeNet, readNetDefinition } from '../../src/main/net/model.js';
import { CaffeModelError, CaffeParseError, MeanFileError, NpyError, NetGraphError, type PortafilterError } from '../../src/shared/errors.js';
import { fixture } from '../helpers/fixtures.js';

const MKFIFO = '/usr/bin/mkfifo';

let dir: string;
let fifo: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portafilter-input-files-'));
  fifo = join(dir, 'pipe');
  const made = spawnSync(MKFIFO, [fifo], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `read` and returns what it threw and how long it took. Should `read` block on the FIFO (in open
 * or read), a watchdog thread becomes its writer after 5 s and hangs up, so the read ends and the test
 * fails on its time instead of hanging the run.
 */
async function timed(read: () => unknown): Promise<{ error: unknown; ms: number }> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const watchdog = new Worker(
    `const { workerData } = require('node:worker_threads');
     const fs = require('node:fs');
     if (Atomics.wait(new Int32Array(workerData.flag), 0, 0, 5000) === 'timed-out') {
       try { fs.closeSync(fs.openSync(workerData.fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)); } catch {}
     }`,
    { eval: true, workerData: { flag: flag.buffer, fifo } },
  );
  const exited = new Promise((resolve) => watchdog.once('exit', resolve));
  const start = performance.now();
  let error: unknown;
  try {
    await read();
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - start;
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  await exited;
  return { error, ms };
}

interface Special {
  what: string;
  path: () => string;
  reason: RegExp;
}

const SPECIALS: Special[] = [
  { what: 'a named pipe (FIFO)', path: () => fifo, reason: /is a named pipe \(FIFO\), not a file to read/ },
  { what: 'a character device (/dev/zero)', path: () => '/dev/zero', reason: /is a character device, not a file to read/ },
  { what: 'a folder', path: () => dir, reason: /is a folder, not a file to read/ },
  { what: '/proc/self/status', path: () => '/proc/self/status', reason: /is a file of \/proc, whose content the kernel makes up/ },
];

interface Reader {
  name: string;
  error: new (...args: never[]) => PortafilterError;
  read: (path: string) => unknown;
  /** CaffeModelError's machine-readable kind. */
  kind?: string;
  /** A folder is an input it reads (a folder of .npy weights), not one to refuse. */
  readsFolders?: boolean;
}

const READERS: Reader[] = [
  { name: 'the prototxt reader (readNetDefinition)', error: CaffeParseError, read: (p) => readNetDefinition(p) },
  { name: 'the caffemodel reader (readCaffeModel)', error: CaffeModelError, kind: 'io', read: (p) => readCaffeModel(p) },
  { name: 'the synchronous caffemodel reader (readCaffeModelSync)', error: CaffeModelError, kind: 'io', read: (p) => readCaffeModelSync(p) },
  {
    name: 'loadCaffeNet, given it as the weights of LeNet',
    error: CaffeModelError,
    kind: 'io',
    readsFolders: true,
    read: (p) => loadCaffeNet({ prototxt: fixture('models', 'lenet_mnist', 'deploy.prototxt'), caffemodel: p }),
  },
  { name: 'the .binaryproto reader (readBinaryProto)', error: CaffeModelError, kind: 'io', read: (p) => readBinaryProto(p) },
  { name: 'the mean file reader (readMean)', error: MeanFileError, read: (p) => readMean(p) },
  { name: 'the synchronous mean file reader (readMeanSync)', error: MeanFileError, read: (p) => readMeanSync(p) },
  { name: 'the .npy reader (readNpy)', error: NpyError, read: (p) => readNpy(p) },
];

describe.each(READERS)('$name', (reader) => {
  it.each(SPECIALS.filter((s) => !(reader.readsFolders && s.what === 'a folder')))('refuses $what at once with its own error naming the file', async (special) => {
    const path = special.path();
    const { error, ms } = await timed(() => reader.read(path));
    expect(ms).toBeLessThan(2000);
    expect(error).toBeInstanceOf(reader.error);
    const e = error as PortafilterError;
    expect(e.location?.file).toBe(path);
    expect(e.reason).toMatch(special.reason);
    if (reader.kind) expect((e.details as CaffeModelErrorDetails).kind).toBe(reader.kind);
  });
});

describe('the .npy weights folder reader (readNpyWeights)', () => {
  // The folder itself is the input; what must not block is a W_<layer>.npy in it that is not a file.
  const folderHolding = (special: Special): { folder: string; file: string } => {
    const folder = mkdtempSync(join(dir, 'weights-'));
    const file = join(folder, 'W_conv1.npy');
    if (special.path() === fifo) {
      if (spawnSync(MKFIFO, [file]).status !== 0) throw new Error('mkfifo failed');
    } else if (special.path() === dir) mkdirSync(file);
    else symlinkSync(special.path(), file);
    return { folder, file };
  };

  it.each(SPECIALS)('refuses a W_conv1.npy that is $what at once, with an NpyError naming it', async (special) => {
    const { folder, file } = folderHolding(special);
    const { error, ms } = await timed(() => readNpyWeights(folder));
    expect(ms).toBeLessThan(2000);
    expect(error).toBeInstanceOf(NpyError);
    expect((error as NpyError).location?.file).toBe(file);
    expect((error as NpyError).reason).toMatch(special.reason);
  });
});

describe('the .npy weights folder reader, given something that is not a folder', () => {
  it('refuses a named pipe at once with a CaffeModelError naming it', async () => {
    const { error, ms } = await timed(() => readNpyWeights(fifo));
    expect(ms).toBeLessThan(2000);
    expect(error).toBeInstanceOf(CaffeModelError);
    expect((error as CaffeModelError).location?.file).toBe(fifo);
    expect((error as CaffeModelError).details).toEqual({ kind: 'io', path: '' });
    expect((error as CaffeModelError).reason).toMatch(/^cannot read the folder of \.npy weights: ENOTDIR/);
  });
});

describe('a prototxt that is not a network', () => {
  const file = (name: string, bytes: string | Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const parseError = async (path: string): Promise<CaffeParseError> => {
    const error = await readNetDefinition(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CaffeParseError);
    expect((error as CaffeParseError).location?.file).toBe(path);
    return error as CaffeParseError;
  };

  it('refuses an empty or comment-only file: it defines no layers', async () => {
    for (const [name, text] of [['empty.prototxt', ''], ['comments.prototxt', '# a net\n\n  # to come\n']]) {
      const e = await parseError(file(name, text));
      expect(e.reason).toBe('defines no layers (the file is empty, or only comments): there is no network to open');
    }
  });

  it('refuses a net with a name but no layers, and one whose only input has no shape (UpgradeNetInput drops it)', async () => {
    expect((await parseError(file('named.prototxt', 'name: "nothing"\n'))).reason).toBe('defines no layers: there is no network to open');
    expect((await parseError(file('input.prototxt', 'name: "n"\ninput: "data"\n'))).reason).toBe(
      "defines no layers; its input 'data' has no input_shape or input_dim: there is no network to open",
    );
  });

  it('refuses a net whose layers are all left out in the TEST phase', async () => {
    const path = file('train.prototxt', 'layer { name: "a" type: "Input" top: "a" include { phase: TRAIN } input_param { shape { dim: 1 } } }\n');
    const error = await loadCaffeNet({ prototxt: path }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NetGraphError);
    expect((error as NetGraphError).message).toBe(
      `${path}: none of its 1 layer(s) is part of the net in the TEST phase (their include/exclude rules leave them all out)`,
    );
  });

  it('reports the byte offset, line and column of the first control byte', async () => {
    // 'name: "x"\n' is bytes 0-9; on line 2, 'layer { ' is columns 1-8, so U+0001 is byte 18, column 9.
    const e = await parseError(file('control.prototxt', 'name: "x"\nlayer { \u0001 }\n'));
    expect(e.location).toEqual({ file: e.location?.file, line: 2, column: 9, offset: 18 });
    expect(e.reason).toBe(
      'is not a text prototxt: the byte at offset 18 is the control character U+0001; it holds binary data (did you swap the prototxt and the caffemodel?)',
    );
    const nul = await parseError(file('nul.prototxt', 'a\n\nb\u0000'));
    expect(nul.location).toMatchObject({ line: 3, column: 2, offset: 4 });
    expect(nul.reason).toMatch(/the byte at offset 4 is a NUL byte/);
  });

  it('counts tabs, CR, VT and FF as text, and columns in UTF-16 units after multi-byte characters', async () => {
    // Five one-byte characters, 'é' (2 bytes, 1 column), '😀' (4 bytes, 2 columns, as the parser counts):
    // U+0002 is byte 11, column 9.
    const e = await parseError(file('wide.prototxt', '#\t\r\u000b\u000cé😀\u0002'));
    expect(e.location).toMatchObject({ line: 1, column: 9, offset: 11 });
  });

  it('names an earlier byte that is not UTF-8 as the first bad one, in a file with control bytes', async () => {
    const e = await parseError(file('latin.prototxt', Uint8Array.from([0x6e, 0xff, 0x0a, 0x00])));
    expect(e.location).toMatchObject({ line: 1, column: 2, offset: 1 });
    expect(e.reason).toMatch(/^is not a text prototxt: the byte at offset 1 \(0xFF\) is not UTF-8, and the one at offset 3 is a NUL byte/);
  });

  it('says what a known binary format looks like: a JPEG, UTF-16 text, and a caffemodel given as the prototxt', async () => {
    const jpeg = await parseError(file('photo.prototxt', Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46])));
    expect(jpeg.location).toMatchObject({ line: 1, column: 1, offset: 0 });
    expect(jpeg.reason).toMatch(/it looks like a JPEG image/);
    const utf16 = await parseError(file('utf16.prototxt', Buffer.from('\ufeffname: "n"', 'utf16le')));
    expect(utf16.reason).toMatch(/it looks like UTF-16 text; save it as UTF-8/);
    // LeNet's caffemodel opens with field 1 (0x0A, a newline) and the name's length 5: U+0005 on line 2.
    const swapped = await parseError(fixture('models', 'lenet_mnist', 'weights.caffemodel'));
    expect(swapped.location).toMatchObject({ line: 2, column: 1, offset: 1 });
  });

  it('reads a file whose comments are in another encoding (GBK), noting where its bytes are not UTF-8', async () => {
    // '# 卷积' in GBK: 0xBE 0xED 0xBB 0xFD. Caffe reads such files; only a string holding them would change.
    const gbk = Buffer.concat([
      Buffer.from('# '),
      Buffer.from([0xbe, 0xed, 0xbb, 0xfd]),
      Buffer.from('\nlayer { name: "a" type: "Input" top: "a" input_param { shape { dim: 1 } } }\n'),
    ]);
    const path = file('gbk.prototxt', gbk);
    const { net, notes } = await readNetDefinition(path);
    expect((net.layer as unknown[]).length).toBe(1);
    expect(notes[0]).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:3: byte 2 \\(0xBE\\) is not UTF-8`));
  });
});
