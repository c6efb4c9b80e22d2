/**
 * `--dump DIR`: every layer's own output as DIR/<layer>.npy, in Caffe's layout.
 *
 * The folder is checked and made before the run, so a bad path fails in a second, not after the
 * forward pass. Missing folders are made one level at a time: Node's `mkdirSync(p, { recursive: true })`
 * retries forever where mkdir answers ENOENT although the parent exists (/proc/nope), and a single
 * level answers at once. A dump folder holds a marker, `.portafilter-dump`, listing the files it wrote;
 * a later dump into it replaces those (and removes the ones this model no longer writes), while a
 * non-empty folder without the marker holds someone else's files and is refused unless forced.
 */
import { readdirSync, readFileSync, mkdirSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PortafilterError } from '../../shared/errors.js';
import { pseudoFileSystem, SYSTEM_CAUSES, systemErrorCode } from '../system-errors.js';
import { writeNpy } from '../caffe/npy.js';
import { appVersion } from '../paths.js';
import type { RunResult } from './types.js';

/** The file that makes a folder a Portafilter dump folder. */
export const DUMP_MARKER = '.portafilter-dump';

/** A layer name as a file name: characters outside [A-Za-z0-9_.-] percent-encoded (the fixtures' convention). */
export const dumpFileName = (layer: string, top: number): string =>
  `${layer.replace(/[^A-Za-z0-9_.-]/g, (c) => [...new TextEncoder().encode(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''))}${top === 0 ? '' : `__${top}`}.npy`;

function causeOf(e: unknown): string {
  const code = systemErrorCode(e);
  return code ? SYSTEM_CAUSES[code] : e instanceof Error ? e.message : String(e);
}

function kindOf(stat: Stats): string {
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'a file';
}

const statOf = (path: string): Stats | undefined => {
  try {
    return statSync(path);
  } catch (e) {
    // ENOTDIR: a file stands where a folder of the path should be; the walk up finds and names it.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
};

interface Marker {
  writtenBy: 'Portafilter';
  version: string;
  date: string;
  /** The dump files in the folder, as the last dump left them. */
  files: string[];
}

/** A dump folder, checked and made, ready to be written. */
export interface DumpFolder {
  /** As the user gave it (for messages). */
  dir: string;
  /** Whether the folder carries the marker (it does unless --force wrote into someone else's folder). */
  marked: boolean;
  /** The files an earlier dump wrote here. */
  previous: string[];
}

function readMarker(dir: string): string[] {
  try {
    const m = JSON.parse(readFileSync(join(dir, DUMP_MARKER), 'utf8')) as Partial<Marker>;
    // Only plain dump names: a marker is a file anyone can edit, and these names get deleted.
    return Array.isArray(m.files) ? m.files.filter((f): f is string => typeof f === 'string' && /^[^/\\]+\.npy$/.test(f) && f !== '..') : [];
  } catch {
    return [];
  }
}

function writeMarker(folder: DumpFolder, files: string[]): void {
  const marker: Marker = { writtenBy: 'Portafilter', version: appVersion(), date: new Date().toISOString(), files };
  writeFileSync(join(folder.dir, DUMP_MARKER), JSON.stringify(marker, null, 1) + '\n');
}

const refuse = (dir: string, reason: string, cause?: unknown): PortafilterError => {
  const e = new PortafilterError(reason, { file: dir }, { kind: 'dump' });
  if (cause !== undefined) e.cause = cause;
  return e;
};

/** Makes the missing folders of `dir` one level at a time, after checking where they would go. */
function makeFolder(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  let stat = statOf(at);
  while (!stat) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
    stat = statOf(at);
  }
  if (stat && !stat.isDirectory()) throw refuse(dir, `cannot make the dump folder: ${at} is ${kindOf(stat)}, not a folder`);
  const pseudo = pseudoFileSystem(at);
  if (pseudo) throw refuse(dir, `cannot make the dump folder: ${at} is in ${pseudo}, a pseudo file system of the kernel, where no folder of files can be made`);
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOENT with the parent present is a file system that refuses folders here.
      const why = code === 'ENOENT' ? 'the file system there does not allow making folders' : causeOf(e);
      throw refuse(dir, `cannot make the dump folder${level !== resolve(dir) ? ` (at ${level})` : ''}: ${why}`, e);
    }
  }
}

/**
 * Checks `dir` and makes it: refuses an empty path, a path that is not a folder, a place where no
 * folder can be made, and a non-empty folder that is not a Portafilter dump (unless `force`).
 */
export function prepareDump(dir: string, options: { force?: boolean } = {}): DumpFolder {
  if (dir.trim() === '') throw new PortafilterError('the dump folder is an empty path: name a folder to write the layer outputs in', undefined, { kind: 'dump' });
  let stat: Stats | undefined;
  try {
    stat = statOf(dir);
  } catch (e) {
    throw refuse(dir, `cannot use as the dump folder: ${causeOf(e)}`, e);
  }
  if (stat && !stat.isDirectory()) throw refuse(dir, `is ${kindOf(stat)}, not a folder to write the dump in`);
  if (!stat) makeFolder(dir);
  else {
    const pseudo = pseudoFileSystem(dir);
    if (pseudo) throw refuse(dir, `is in ${pseudo}, a pseudo file system of the kernel, not a folder to write the dump in`);
  }
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    throw refuse(dir, `cannot read the dump folder: ${causeOf(e)}`, e);
  }
  const marked = entries.includes(DUMP_MARKER);
  if (!marked && entries.length > 0 && !options.force) {
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
    throw refuse(
      dir,
      `holds ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} Portafilter did not write (${shown}): name a new or empty folder, or give --force to write the dump among them`,
    );
  }
  const folder: DumpFolder = { dir, marked: marked || entries.length === 0, previous: marked ? readMarker(dir) : [] };
  if (folder.marked) {
    try {
      writeMarker(folder, folder.previous);
    } catch (e) {
      throw refuse(dir, `cannot write the dump: ${causeOf(e)}`, e);
    }
  }
  return folder;
}

/**
 * Writes every layer's own output as DIR/<layer>.npy (further tops DIR/<layer>__<i>.npy), float32, in
 * Caffe's layout: an in-place ReLU `relu1` on blob `conv1` gives conv1.npy (before) and relu1.npy (after).
 */
export function writeDump(folder: DumpFolder, run: RunResult): string[] {
  const written: string[] = [];
  const names = new Set<string>();
  const record = (): void => {
    if (folder.marked) writeMarker(folder, [...new Set([...folder.previous, ...names])]);
  };
  for (const layer of run.layers) {
    for (const [i, top] of layer.tops.entries()) {
      const name = dumpFileName(layer.layer, i);
      try {
        writeNpy(join(folder.dir, name), top.value.shape, top.value.data);
      } catch (e) {
        try {
          record(); // so a later dump here knows these files are its own
        } catch {
          // the folder refuses writes altogether: the error below already says why
        }
        throw refuse(folder.dir, `cannot write the dump: ${causeOf(e)} (at ${name}, after ${written.length} file${written.length === 1 ? '' : 's'})`, e);
      }
      names.add(name);
      written.push(join(folder.dir, name));
    }
  }
  // What an earlier dump wrote that this model does not: left in place it would pass for this run's.
  for (const old of folder.previous) {
    const path = join(folder.dir, old);
    if (names.has(old)) continue;
    try {
      if (statOf(path)?.isFile()) rmSync(path);
    } catch (e) {
      throw refuse(folder.dir, `cannot remove ${old}, which an earlier dump wrote here: ${causeOf(e)}`, e);
    }
  }
  if (folder.marked) {
    try {
      writeMarker(folder, [...names]);
    } catch (e) {
      throw refuse(folder.dir, `cannot write the dump: ${causeOf(e)} (at ${DUMP_MARKER})`, e);
    }
  }
  return written;
}
