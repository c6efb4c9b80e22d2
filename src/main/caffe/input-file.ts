/**
 * Opening a file the user named as an input (prototxt, caffemodel, mean, .npy, image, labels): a
 * regular file only, checked with fstat on the open descriptor before a byte is read. The open never
 * waits: O_NONBLOCK makes a FIFO open return at once (a plain open would block the thread until a
 * writer appears), and then fstat says what it is. Files of /proc, /sys and the like look regular but
 * are not data (their size is 0, their content made up on each read), so they are refused by file system.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { pseudoFileSystem } from '../system-errors.js';

/** What is at a path that is not a regular file, in the user's words. */
function kindOf(stat: ReturnType<typeof fstatSync>): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

export interface OpenedFile {
  fd: number;
  size: number;
}

/**
 * Opens `path` for reading when it is a regular file of real data; otherwise throws `fail(reason)`
 * with the reason in the user's words (the caller's error type names the file). The caller closes fd.
 */
export function openInputFile(path: string, fail: (reason: string, cause?: unknown) => Error): OpenedFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (err) {
    throw fail(`cannot read: ${(err as Error).message}`, err);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw fail(`is ${kindOf(stat)}, not a file to read`);
    const pseudo = pseudoFileSystem(path);
    if (pseudo) throw fail(`is a file of ${pseudo}, whose content the kernel makes up as it is read, not a file to read`);
    return { fd, size: stat.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** The whole of a regular input file (see openInputFile), read through its checked descriptor. */
export function readInputFile(path: string, fail: (reason: string, cause?: unknown) => Error): Buffer {
  const { fd, size } = openInputFile(path, fail);
  try {
    const out = Buffer.allocUnsafe(size);
    for (let done = 0; done < size; ) {
      let n: number;
      try {
        n = readSync(fd, out, done, size - done, done);
      } catch (err) {
        throw fail(`cannot read: ${(err as Error).message}`, err);
      }
      if (n === 0) throw fail(`the file ended at byte ${done} while reading it (was it changed meanwhile?)`);
      done += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
