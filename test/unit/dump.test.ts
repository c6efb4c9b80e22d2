import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npyToFloat32, readNpy } from '../../src/main/caffe/npy.js';
import { DUMP_MARKER, prepareDump, writeDump } from '../../src/main/engine/dump.js';
import { createEngine } from '../../src/main/engine/index.js';
import type { RunResult } from '../../src/main/engine/types.js';
import { loadCaffeNet } from '../../src/main/net/model.js';
import { fixture } from '../helpers/fixtures.js';
import { tmpfs } from '../helpers/mounts.js';
import { PYTHON } from '../system-deps.js';

const work = mkdtempSync(join(tmpdir(), 'portafilter-dump-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const LENET_FILES = ['conv1', 'conv2', 'data', 'ip1', 'ip2', 'pool1', 'pool2', 'prob', 'relu1'].map((n) => `${n}.npy`);

let lenetRun: RunResult;
beforeAll(async () => {
  const model = await loadCaffeNet({
    prototxt: fixture('models/lenet_mnist/deploy.prototxt'),
    caffemodel: fixture('models/lenet_mnist/weights.caffemodel'),
    inputShapes: { data: [1, 1, 28, 28] },
  });
  const engine = await createEngine(model, { engine: 'reference' });
  const digit = readNpy(fixture('models/lenet_mnist/digit_3.npy'));
  lenetRun = await engine.run({ data: { shape: digit.shape, data: npyToFloat32(digit) } }, { capture: true });
});

/** A run with one layer of that name, for dumps that must leave other files alone. */
const oneLayer = (name: string): RunResult => ({
  engine: 'reference',
  engineDetail: 'test',
  form: 'reference',
  layers: [{ layer: name, type: 'Test', tops: [{ blob: name, value: { shape: [2], data: Float32Array.from([1, 2]) } }] }],
  outputs: [],
  milliseconds: 0,
});

const oneLine = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    const message = (e as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error('expected a refusal');
};

describe('the dump folder', () => {
  it('is made with its missing parents, marked, and holds every layer of LeNet', () => {
    const dir = join(work, 'new', 'deeper', 'dump');
    expect(writeDump(prepareDump(dir), lenetRun)).toHaveLength(LENET_FILES.length);
    expect(readdirSync(dir).sort()).toEqual([DUMP_MARKER, ...LENET_FILES].sort());
    const marker = JSON.parse(readFileSync(join(dir, DUMP_MARKER), 'utf8')) as { writtenBy: string; files: string[] };
    expect(marker.writtenBy).toBe('Portafilter');
    expect(marker.files.sort()).toEqual(LENET_FILES);
  });

  it('is refused when the path is empty or is a file, naming the path', () => {
    expect(oneLine(() => prepareDump(''))).toMatch(/empty path/);
    const file = join(work, 'a-file');
    writeFileSync(file, 'not a folder');
    expect(oneLine(() => prepareDump(file))).toBe(`${file}: is a file, not a folder to write the dump in`);
    expect(oneLine(() => prepareDump(join(file, 'below')))).toBe(`${join(file, 'below')}: cannot make the dump folder: ${file} is a file, not a folder`);
  });

  it('is refused at once in /proc, where Node\'s recursive mkdir would loop forever', () => {
    const started = performance.now();
    expect(oneLine(() => prepareDump('/proc/nope/dump'))).toMatch(/^\/proc\/nope\/dump: cannot make the dump folder: \/proc is in \/proc, a pseudo file system/);
    expect(oneLine(() => prepareDump('/proc/self'))).toMatch(/^\/proc\/self: is in \/proc, a pseudo file system/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("is refused when it holds files Portafilter did not write, and with force keeps them and writes no marker", () => {
    const dir = join(work, 'theirs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(oneLine(() => prepareDump(dir))).toBe(`${dir}: holds 1 entry Portafilter did not write (notes.txt): name a new or empty folder, or give --force to write the dump among them`);
    writeDump(prepareDump(dir, { force: true }), oneLayer('conv1'));
    expect(readdirSync(dir).sort()).toEqual(['conv1.npy', 'notes.txt']);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('is rewritten by a later dump, which removes only the files the earlier dump wrote and this one does not', () => {
    const dir = join(work, 'again');
    writeDump(prepareDump(dir), oneLayer('old_layer'));
    writeFileSync(join(dir, 'added-by-hand.txt'), 'keep me');
    writeDump(prepareDump(dir), lenetRun);
    expect(readdirSync(dir).sort()).toEqual([DUMP_MARKER, 'added-by-hand.txt', ...LENET_FILES].sort());
  });
});

describe('writing the dump where the disk says no', () => {
  it('names the dump folder and "read-only" in one line', () => {
    const mounted = tmpfs({ readOnly: true });
    try {
      expect(oneLine(() => prepareDump(join(mounted.dir, 'dump')))).toBe(`${join(mounted.dir, 'dump')}: cannot make the dump folder: the file system is read-only`);
      expect(oneLine(() => prepareDump(mounted.dir))).toBe(`${mounted.dir}: cannot write the dump: the file system is read-only`);
    } finally {
      mounted.unmount();
    }
  });

  it('names the dump folder, "no space" and the file it stopped at, and a later dump clears what it wrote', () => {
    // 64 KiB: the marker and a few of LeNet's layers fit, conv1 (46 KB) and the rest do not.
    const mounted = tmpfs({ kib: 64 });
    try {
      const dir = join(mounted.dir, 'dump');
      const message = oneLine(() => writeDump(prepareDump(dir), lenetRun));
      expect(message).toMatch(new RegExp(`^${dir}: cannot write the dump: no space is left on the device \\(at \\S+\\.npy, after \\d+ files?\\)$`));
      expect(readdirSync(dir).every((f) => f === DUMP_MARKER || LENET_FILES.includes(f))).toBe(true);
      writeDump(prepareDump(dir), oneLayer('small'));
      expect(readdirSync(dir).sort()).toEqual([DUMP_MARKER, 'small.npy']);
    } finally {
      mounted.unmount();
    }
  });
});

describe('a FIFO in the way', () => {
  it('is refused as the dump folder without opening it', () => {
    const fifo = join(work, 'pipe');
    expect(spawnSync(PYTHON, ['-c', `import os; os.mkfifo(${JSON.stringify(fifo)})`]).status).toBe(0);
    expect(oneLine(() => prepareDump(fifo))).toBe(`${fifo}: is a named pipe (FIFO), not a folder to write the dump in`);
    expect(existsSync(fifo)).toBe(true);
  });
});
