/**
 * What the operating system says, in the user's words: the system errors a read or a write meets,
 * and the kernel's pseudo file systems, whose files are made up as they are read and whose folders
 * hold no files. One table for every reader, the exports and the dumps.
 */
import { statfsSync } from 'node:fs';

export const SYSTEM_CAUSES: Readonly<Record<string, string>> = {
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space is left on the device',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'a folder is in the way',
  ENAMETOOLONG: 'the name is too long',
  ENOENT: 'the folder disappeared meanwhile',
  EMFILE: 'too many files are open',
  ENFILE: 'too many files are open',
  EIO: 'an input/output error (a failing disk or a lost network share?)',
  EFBIG: 'the file is larger than the file system allows',
  EXDEV: 'the temporary and the target are on different file systems',
  ELOOP: 'the path loops through symbolic links',
};

/** The code of a Node system error (`ENOENT` …), or undefined for anything else thrown. */
export const errnoCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;

/** The system error code somewhere in `e` (itself or the causes it wraps), when the table has words for it. */
export function systemErrorCode(e: unknown): string | undefined {
  for (let at: unknown = e, depth = 0; at && typeof at === 'object' && depth < 4; at = (at as { cause?: unknown }).cause, depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(SYSTEM_CAUSES, code)) return code;
  }
  return undefined;
}

/** statfs magic numbers of the pseudo file systems (linux/magic.h). */
const PSEUDO_FILE_SYSTEMS = new Map([
  [0x9fa0, '/proc'],
  [0x62656572, '/sys'],
  [0x63677270, 'cgroup2'],
  [0x27e0eb, 'cgroup'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
]);

/** The pseudo file system `path` is on ('/proc', '/sys', …), or undefined (also off Linux, or when it cannot be told). */
export function pseudoFileSystem(path: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return PSEUDO_FILE_SYSTEMS.get(statfsSync(path).type);
  } catch {
    return undefined; // gone meanwhile: the read or write that follows says what is wrong
  }
}
